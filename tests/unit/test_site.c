/* The site config: every invalid file gives exactly its expected
 * diagnostics; every valid file round-trips through site_format(). Run with
 * OQ_REGEN=1 to rewrite the .expect files (then read the diff). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"

#define DATA "tests/data/config"

/* Sorted list of the .conf files in dir. */
static char **list_confs(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	struct dirent *e;

	*n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v;
}

static char *diags_text(const struct site_diags *d)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);

	site_diags_print(d, m);
	fclose(m);
	return out;
}

static void test_invalid_corpus(void **state)
{
	size_t n, failures = 0;
	char **files = list_confs(DATA "/invalid", &n);

	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf(DATA "/invalid/%s", files[i]);
		char *expect_path = xasprintf("%.*s.expect", (int)(strlen(path) - 5), path);
		char *text = NULL, *expect = NULL, *cause = NULL, *got;
		struct site_diags d = { 0 };
		struct site *s;

		assert_int_equal(file_read(path, 1 << 20, &text, NULL, &cause), 0);
		s = site_load_string("site.conf", text, false, &d);
		got = diags_text(&d);
		if (getenv("OQ_REGEN"))
			file_write_atomic(expect_path, got, strlen(got), 0644, NULL);
		if (file_read(expect_path, 1 << 20, &expect, NULL, &cause) < 0)
			expect = xstrdup("(missing .expect file)\n");
		if (s != NULL || d.n == 0 || strcmp(got, expect) != 0) {
			print_message("# %s:\n# expected:\n%s# got:\n%s", files[i], expect, got);
			failures++;
		}
		site_free(s);
		site_diags_free(&d);
		free(got);
		free(expect);
		free(text);
		free(cause);
		free(path);
		free(expect_path);
		free(files[i]);
	}
	free(files);
	assert_int_equal(failures, 0);
}

static void test_valid_roundtrip(void **state)
{
	size_t n;
	char **files = list_confs(DATA "/valid", &n);

	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf(DATA "/valid/%s", files[i]);
		struct site_diags d = { 0 };
		struct site *s = site_load(path, false, &d), *s2;
		char *f1, *f2;

		if (s == NULL) {
			char *t = diags_text(&d);
			print_message("# %s: %s", files[i], t);
			free(t);
		}
		assert_non_null(s);
		assert_int_equal(d.n, 0);
		f1 = site_format(s);
		s2 = site_load_string("formatted", f1, false, &d);
		assert_non_null(s2);
		f2 = site_format(s2);
		assert_string_equal(f1, f2);
		struct json_object *j = site_to_json(s2);
		assert_string_equal(json_object_get_string(json_object_object_get(j, "schema")),
				    "oqlink.site/1");
		json_object_put(j);
		site_free(s);
		site_free(s2);
		free(f1);
		free(f2);
		free(path);
		free(files[i]);
	}
	free(files);
}

/* Long lists are folded onto continuation lines and still round-trip. */
static void test_long_list_folds(void **state)
{
	char *text = xstrdup("[site]\nfacility_code = 1312345678\nfacility_name = x\n"
			     "[uplink]\ntype = ipvpn\ninterface = wan0\naddress = 198.51.100.2/24\n"
			     "[ipvpn]\nce_router = 198.51.100.1\n"
			     "[lan]\ninterface = lan0\naddress = 192.168.1.1/24\n"
			     "[terminal]\nhost = 192.168.1.10\n[central]\nprefixes = 192.0.2.0/24\n"
			     "[probe]\ndns_names = a1.oqs-st.onshikaku.org\n");
	for (int i = 2; i <= 20; i++) {
		char *t = xasprintf("%s  a%d.oqs-st.onshikaku.org\n", text, i);
		free(text);
		text = t;
	}
	struct site_diags d = { 0 };
	struct site *s = site_load_string("long", text, false, &d);
	assert_non_null(s);
	assert_int_equal(s->n_dns_names, 20);
	char *f = site_format(s);
	for (char *line = f; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0))
		assert_true(strcspn(line, "\n") <= 120);
	struct site *s2 = site_load_string("long2", f, false, &d);
	assert_non_null(s2);
	assert_int_equal(s2->n_dns_names, 20);
	assert_string_equal(s2->dns_names[19], "a20.oqs-st.onshikaku.org");
	site_free(s);
	site_free(s2);
	free(f);
	free(text);
}

/* Missing files and a secret readable by others are reported with check_files. */
static void test_files_checked(void **state)
{
	char dir[] = "/tmp/oqsiteXXXXXX";
	assert_non_null(mkdtemp(dir));
	char *key = xasprintf("%s/ike.key", dir);
	assert_int_equal(file_write_atomic(key, "k", 1, 0644, NULL), 0);
	char *text = xasprintf("[site]\nfacility_code = 1312345678\nfacility_name = x\n"
			       "[uplink]\ntype = ipsec\ninterface = wan0\naddress = dhcp\n"
			       "[ipsec]\npeer = 203.0.113.1\ncertificate = %s/none.crt\n"
			       "private_key = %s\nca = %s/ike.key\n"
			       "[lan]\ninterface = lan0\naddress = 192.168.1.1/24\n"
			       "[terminal]\nhost = 192.168.1.10\n[central]\nprefixes = 192.0.2.0/24\n",
			       dir, key, dir);
	struct site_diags d = { 0 };
	assert_null(site_load_string("f.conf", text, true, &d));
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[0].line, 10);
	assert_non_null(strstr(d.v[0].message, "none.crt"));
	assert_int_equal(d.v[1].line, 11);
	assert_non_null(strstr(d.v[1].message, "chmod 600"));
	site_diags_free(&d);
	chmod(key, 0600);
	struct site *s = site_load_string("f.conf", text, false, &d);
	assert_non_null(s);
	site_free(s);
	unlink(key);
	rmdir(dir);
	free(key);
	free(text);
}

/* [lan] ssh_keys is read line by line with check_files: each line that is
 * not a key the login takes is reported at its own line of the key file,
 * and a private key stops the reading. */
static void test_ssh_keys_checked(void **state)
{
	static const char ed25519[] = "ssh-ed25519 %s%s";
	char dir[] = "/tmp/oqsshXXXXXX";
	assert_non_null(mkdtemp(dir));
	char *keys = xasprintf("%s/keys.pub", dir);
	char *good = xasprintf(ed25519, "AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNjjLrh9iOOVr", " engineer\n");
	char *bad = xasprintf("# keys of the vendor\n\n%s"
			      "ssh-rsa %s\n"
			      "from=\"192.168.10.0/24\" %s"
			      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
			      good, "AAAAB3NzaC1yc2EAAAADAQABAAABAQC7XLXt4DWlQgVFIxw0Cnoi0L9/pgOF"
			      "a/pnIqeXrHvaQO36DhbK9IKHVh8a8I4dDHrbVBe/H1QUlwwAxbbKClgOZEForXEirMSO4eOtsDOw+oZn"
			      "Bloo3IhvtDHdAJ6MqJI1x/EfMkYOtOhSCLNmZ2Pkdbw7J2fzIasVQA8KFs1PQEHoApK/2ODkzFWa9ovT"
			      "+e1utRaVmWsp8u/2zQrwwILBzye01bA2/veW7y2SitI/wa2tZGhQdMmtz9U2rpVmYywcxMflw3BUNV5Z"
			      "LWSHrGpTUjzb1PDqxO7g0g+Iehpqr/LO7b41zB9E3/WYqypmUVRxUh+aTlfjhVByuZtnWCD5", good);
	char *text = xasprintf("[site]\nfacility_code = 1312345678\nfacility_name = x\n"
			       "[uplink]\ntype = ipvpn\ninterface = wan0\naddress = 198.51.100.2/24\n"
			       "[ipvpn]\nce_router = 198.51.100.1\n"
			       "[lan]\ninterface = lan0\naddress = 192.168.1.1/24\n"
			       "management = 192.168.1.0/24\nssh = on\nssh_keys = %s\n"
			       "[terminal]\nhost = 192.168.1.10\n[central]\nprefixes = 192.0.2.0/24\n",
			       keys);
	struct site_diags d = { 0 };
	struct site *s;

	(void)state;
	i18n_set_lang(OQ_LANG_EN);
	assert_int_equal(file_write_atomic(keys, good, strlen(good), 0644, NULL), 0);
	s = site_load_string("f.conf", text, true, &d);
	assert_non_null(s);
	assert_int_equal(s->ssh, 1);
	assert_string_equal(s->ssh_keys, keys);
	site_free(s);

	assert_int_equal(file_write_atomic(keys, bad, strlen(bad), 0644, NULL), 0);
	assert_null(site_load_string("f.conf", text, true, &d));
	assert_int_equal(d.n, 3);
	for (size_t i = 0; i < d.n; i++)
		assert_string_equal(d.v[i].file, keys);
	assert_int_equal(d.v[0].line, 4);
	assert_non_null(strstr(d.v[0].message, "3072"));
	assert_int_equal(d.v[1].line, 5);
	assert_non_null(strstr(d.v[1].message, "options"));
	assert_int_equal(d.v[2].line, 6);
	assert_non_null(strstr(d.v[2].message, "private key"));
	site_diags_free(&d);
	/* without check_files the file is not read */
	s = site_load_string("f.conf", text, false, &d);
	assert_non_null(s);
	site_free(s);

	assert_int_equal(file_write_atomic(keys, "# none yet\n", 11, 0644, NULL), 0);
	assert_null(site_load_string("f.conf", text, true, &d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 15);
	assert_non_null(strstr(d.v[0].message, "no public key"));
	site_diags_free(&d);
	unlink(keys);
	assert_null(site_load_string("f.conf", text, true, &d));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].err, ENOENT);
	site_diags_free(&d);
	rmdir(dir);
	free(keys);
	free(good);
	free(bad);
	free(text);
}

/* docs/config.md describes every key, under its section's heading. */
static void test_docs_cover_every_key(void **state)
{
	char *doc = NULL, *cause = NULL;

	assert_int_equal(file_read("docs/config.md", 1 << 20, &doc, NULL, &cause), 0);
	for (size_t i = 0; i < site_key_count(); i++) {
		const char *section, *key;
		site_key_at(i, &section, &key);
		char *heading = xasprintf(strcmp(section, "probe.tls") == 0 ? "## [%s.NAME]" : "## [%s]",
					  section);
		char *row = xasprintf("| `%s` |", key);
		const char *h = strstr(doc, heading);
		const char *next = h ? strstr(h + 3, "\n## ") : NULL;
		const char *r = h ? strstr(h, row) : NULL;
		if (r == NULL || (next != NULL && r > next))
			fail_msg("docs/config.md does not describe %s under %s", key, heading);
		free(heading);
		free(row);
	}
	free(doc);
}

/* The keys of the visit carry a label in both languages; a key that is not
 * in the table has none. The time zone defaults to Asia/Tokyo. */
static void test_labels_and_zone(void **state)
{
	static const char *const labelled[][3] = {
		{ "site", "address", "作業場所" }, { "site", "timezone", "時間帯" },
		{ "uplink", "carrier", "回線事業者" }, { "uplink", "line_id", "回線ID" },
	};
	struct site_diags diags = { 0 };
	struct site *s;

	(void)state;
	for (size_t i = 0; i < sizeof(labelled) / sizeof(labelled[0]); i++) {
		struct bitext l = site_key_label(labelled[i][0], labelled[i][1]);
		bool known = false;
		for (size_t k = 0; k < site_key_count(); k++) {
			const char *section, *key;
			site_key_at(k, &section, &key);
			known |= strcmp(section, labelled[i][0]) == 0 && strcmp(key, labelled[i][1]) == 0;
		}
		assert_true(known);
		assert_non_null(l.ja);
		assert_non_null(l.en);
		assert_string_equal(l.ja, labelled[i][2]);
	}
	assert_null(site_key_label("site", "no_such_key").ja);
	s = site_load("examples/site-ipsec.conf", false, &diags);
	assert_non_null(s);
	assert_string_equal(s->timezone, "Asia/Tokyo");
	site_free(s);
	site_diags_free(&diags);
}

/* Every key carries its label and hint in both languages; an enum's words
 * are labelled and its default is one of them; a number's default is in
 * its range; keys on a page are asked for only when they apply to it. */
/* A number's hint shows its range, made from min and max once, beside the
 * hint's own words if it has any. */
static void test_hint_range(void **state)
{
	static const struct {
		const char *section, *key, *ja, *en;
	} cases[] = {
		{ "uplink", "mtu", "1280〜9000", "1280 to 9000" },
		{ "ipsec", "tunnel_mtu", "MSS 調整に使う、1280〜9000", "for MSS clamping, 1280 to 9000" },
		{ "ipsec", "dpd_delay", "0 で無効、0〜3600", "0 turns it off, 0 to 3600" },
		{ "site", "facility_code", NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct site_key k;
		int at = site_key_find(cases[i].section, cases[i].key);
		assert_true(at >= 0);
		site_key_get((size_t)at, &k);
		char *ja = site_key_hint(&k, OQ_LANG_JA), *en = site_key_hint(&k, OQ_LANG_EN);
		/* a key without a range shows its hint as it is */
		assert_string_equal(ja, cases[i].ja ? cases[i].ja : k.hint.ja);
		assert_string_equal(en, cases[i].en ? cases[i].en : k.hint.en);
		free(ja);
		free(en);
	}
}

static void test_schema_complete(void **state)
{
	unsigned on_page[SITE_PAGE_COUNT] = { 0 };

	(void)state;
	for (size_t i = 0; i < site_key_count(); i++) {
		struct site_key k;
		site_key_get(i, &k);
		char *hja = site_key_hint(&k, OQ_LANG_JA), *hen = site_key_hint(&k, OQ_LANG_EN);
		if (!k.label.ja || !*k.label.ja || !k.label.en || !*k.label.en || !*hja || !*hen)
			fail_msg("[%s] %s has no label or hint in both languages", k.section, k.key);
		free(hja);
		free(hen);
		assert_int_equal(site_key_find(k.section, k.key), (int)i);
		if (k.choices) {
			bool def_known = k.def == NULL;
			for (const struct site_choice *c = k.choices; c->word; c++) {
				if (!c->label.ja || !c->label.en)
					fail_msg("[%s] %s = %s has no label", k.section, k.key, c->word);
				def_known |= k.def && strcmp(k.def, c->word) == 0;
			}
			if (!def_known)
				fail_msg("[%s] %s defaults to '%s', not one of its words", k.section, k.key,
					 k.def);
		}
		if (k.number && k.def) {
			unsigned long v = strtoul(k.def, NULL, 10);
			if (v < k.min || v > k.max)
				fail_msg("[%s] %s defaults to %s outside %u..%u", k.section, k.key, k.def,
					 k.min, k.max);
		}
		assert_true(k.page < SITE_PAGE_COUNT);
		on_page[k.page]++;
	}
	for (int p = SITE_PAGE_NONE + 1; p < SITE_PAGE_COUNT; p++) {
		assert_true(on_page[p] > 0);
		assert_non_null(site_page_title((enum site_page)p).ja);
		assert_non_null(site_page_intro((enum site_page)p).en);
	}
	assert_null(site_page_title(SITE_PAGE_NONE).ja);
	assert_int_equal(site_key_find("ipsec", "no_such_key"), -1);
	assert_string_equal(site_choice_label("terminal", "segment", "separate").ja, "専用セグメント");
	assert_null(site_choice_label("terminal", "segment", "elsewhere").en);
}

/* Conditions hold for a loaded site as its line type and layout say. */
static void test_when(void **state)
{
	struct site_diags diags = { 0 };
	struct site *s = site_load("examples/site-ipsec.conf", false, &diags);

	(void)state;
	assert_non_null(s);
	assert_true(site_when_holds(s, SITE_WHEN_ALWAYS));
	assert_true(site_when_holds(s, SITE_WHEN_IPSEC));
	assert_false(site_when_holds(s, SITE_WHEN_IPVPN));
	assert_int_equal(site_when_holds(s, SITE_WHEN_PSK), s->auth == SITE_AUTH_PSK);
	assert_int_equal(site_when_holds(s, SITE_WHEN_PUBKEY), s->auth == SITE_AUTH_PUBKEY);
	assert_int_equal(site_when_holds(s, SITE_WHEN_SEPARATE),
			 s->segment == SITE_SEGMENT_SEPARATE);
	assert_int_equal(site_when_holds(s, SITE_WHEN_TLS), s->n_tls > 0);
	s->line = SITE_LINE_IPVPN;
	assert_true(site_when_holds(s, SITE_WHEN_IPVPN));
	assert_false(site_when_holds(s, SITE_WHEN_PSK));
	assert_false(site_when_holds(s, SITE_WHEN_PUBKEY));
	s->ipvpn6 = SITE_IPVPN6_NONE;
	assert_false(site_when_holds(s, SITE_WHEN_IPOE6));
	s->ipvpn6 = SITE_IPVPN6_IPOE;
	assert_true(site_when_holds(s, SITE_WHEN_IPOE6));
	s->line = SITE_LINE_IPSEC;
	assert_false(site_when_holds(s, SITE_WHEN_IPOE6));
	site_free(s);
	site_diags_free(&diags);
}

/* ipv6 = ipoe needs address6 = ra and a separate terminal segment: a site
 * with both loads and gets IPoE, one without either is refused at the ipv6
 * key, naming the key it needs; without ipoe, neither is needed. */
static void test_ipoe_needs(void **state)
{
	static const char sep[] = "segment = separate\ninterface = term0\naddress = 192.168.20.1/24\n"
				  "host = 192.168.20.10\n";
	static const char lan[] = "host = 192.168.10.10\n";
	static const struct {
		const char *uplink6, *ipv6, *terminal;
		const char *need1, *need2;	/* what the refusals say; NULL: loads */
	} cases[] = {
		{ "address6 = ra\n", "ipoe", sep, NULL, NULL },
		{ "address6 = ra\n", "ipoe\nipv6_prefix = pd\npd_subnet = 3", sep, NULL, NULL },
		{ "address6 = ra\n", "none", sep, NULL, NULL },
		{ "", "none", lan, NULL, NULL },
		{ "address6 = 2001:db8:1::2/64\ngateway6 = 2001:db8:1::1\n", "none", lan, NULL, NULL },
		{ "", "ipoe", sep, "needs [uplink] address6 = ra (not 'none')", NULL },
		{ "address6 = none\n", "ipoe", sep, "needs [uplink] address6 = ra (not 'none')", NULL },
		{ "address6 = 2001:db8:1::2/64\ngateway6 = 2001:db8:1::1\n", "ipoe", sep,
		  "needs [uplink] address6 = ra (not '2001:db8:1::2/64')", NULL },
		{ "address6 = ra\n", "ipoe", lan, "needs [terminal] segment = separate", NULL },
		{ "", "ipoe", lan, "needs [uplink] address6 = ra", "needs [terminal] segment = separate" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xasprintf("[site]\nfacility_code = 1312345678\nfacility_name = t\n\n"
				       "[uplink]\ntype = ipvpn\ninterface = wan0\naddress = 198.51.100.2/24\n%s\n"
				       "[ipvpn]\nce_router = 198.51.100.1\nipv6 = %s\n\n"
				       "[lan]\ninterface = lan0\naddress = 192.168.10.1/24\n\n"
				       "[terminal]\n%s\n[central]\nprefixes = 192.0.2.0/24\n",
				       cases[i].uplink6, cases[i].ipv6, cases[i].terminal);
		const char *at = strstr(text, "\nipv6 = ");
		unsigned line = 2;
		struct site_diags d = { 0 };
		struct site *s = site_load_string("t.conf", text, false, &d);

		for (const char *c = text; c < at; c++)
			line += *c == '\n';
		if (cases[i].need1 == NULL) {
			if (s == NULL)
				fail_msg("case %zu refused: %s", i, d.n ? d.v[0].message : "?");
			assert_int_equal(d.n, 0);
			assert_int_equal(site_ipoe6(s), strncmp(cases[i].ipv6, "ipoe", 4) == 0);
		} else {
			const char *need[] = { cases[i].need1, cases[i].need2 };
			size_t n = cases[i].need2 ? 2 : 1;
			assert_null(s);
			if (d.n != n)
				fail_msg("case %zu: %zu problems, want %zu (%s)", i, d.n, n,
					 d.n ? d.v[0].message : "none");
			for (size_t k = 0; k < n; k++) {
				assert_string_equal(d.v[k].file, "t.conf");
				assert_int_equal(d.v[k].line, line);
				assert_int_equal(d.v[k].col, 8);
				assert_non_null(strstr(d.v[k].message, "ipv6 = ipoe"));
				if (strstr(d.v[k].message, need[k]) == NULL)
					fail_msg("case %zu: '%s' does not say '%s'", i, d.v[k].message, need[k]);
			}
		}
		site_free(s);
		site_diags_free(&d);
		free(text);
	}
}

/* The refusal is in Japanese too, naming the same keys. */
static void test_ipoe_needs_ja(void **state)
{
	static const char text[] =
		"[site]\nfacility_code = 1312345678\nfacility_name = t\n"
		"[uplink]\ntype = ipvpn\ninterface = wan0\naddress = 198.51.100.2/24\n"
		"[ipvpn]\nce_router = 198.51.100.1\nipv6 = ipoe\n"
		"[lan]\ninterface = lan0\naddress = 192.168.10.1/24\n"
		"[terminal]\nhost = 192.168.10.10\n[central]\nprefixes = 192.0.2.0/24\n";
	struct site_diags d = { 0 };
	struct site *s;

	(void)state;
	i18n_set_lang(OQ_LANG_JA);
	s = site_load_string("t.conf", text, false, &d);
	i18n_set_lang(OQ_LANG_EN);
	assert_null(s);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[0].line, 10);
	assert_non_null(strstr(d.v[0].message, "ipv6 = ipoe には [uplink] address6 = ra が要ります"));
	assert_non_null(strstr(d.v[1].message, "ipv6 = ipoe には [terminal] segment = separate が要ります"));
	site_diags_free(&d);
}

/* A broken file still gives every key as written, and the writer puts
 * them back with a map from each line to its entry. */
static void test_entries(void **state)
{
	static const char text[] =
		"[site]\nfacility_code = 12\npear = 1\n\n[central]\nprefixes = 192.0.2.0/24,\n"
		"  198.51.100.0/24\n[probe.tls.hweb]\nhost = h.example\n";
	struct site_entries e = { 0 };
	struct site_diags d = { 0 };
	struct site *s = site_load_entries("t.conf", text, false, &e, &d);
	int *lines = NULL;
	size_t n = 0;
	char *out;

	(void)state;
	assert_null(s);
	assert_true(d.n > 0);
	assert_int_equal(e.n, 4);
	assert_string_equal(e.v[0].value, "12");
	assert_string_equal(e.v[1].key, "pear");
	assert_int_equal(e.v[1].line, 3);
	assert_string_equal(e.v[2].value, "192.0.2.0/24, 198.51.100.0/24");
	assert_string_equal(e.v[3].section, "probe.tls.hweb");
	out = site_entries_format(&e, "# head", &lines, &n);
	assert_string_equal(out, "# head\n\n[site]\nfacility_code = 12\npear = 1\n\n[central]\n"
			    "prefixes = 192.0.2.0/24, 198.51.100.0/24\n\n[probe.tls.hweb]\n"
			    "host = h.example\n");
	assert_int_equal(n, 11);
	assert_int_equal(lines[0], -1);
	assert_int_equal(lines[2], -2);
	assert_int_equal(lines[3], 0);
	assert_int_equal(lines[4], 1);
	assert_int_equal(lines[6], -2 - 2);
	assert_int_equal(lines[10], 3);
	free(out);
	free(lines);
	site_entries_free(&e);
	site_diags_free(&d);
}

/* docs/config.md's key tables are the key table's; a marker that names no
 * section or has no end, or a section without a marker, is refused. */
static void test_doc_fill(void **state)
{
	char *doc = NULL, *out = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(file_read("docs/config.md", 1 << 20, &doc, NULL, &cause), 0);
	assert_int_equal(site_doc_fill(doc, &out, &cause), 0);
	if (strcmp(doc, out) != 0)
		fail_msg("docs/config.md is out of date: run oqlink config doc docs/config.md");
	free(out);
	char *bad = xstrdup(doc), *lan = strstr(bad, "<!-- keys [lan] -->");
	assert_non_null(lan);
	memcpy(lan, "<!-- keys [lam] -->", strlen("<!-- keys [lam] -->"));
	assert_int_equal(site_doc_fill(bad, &out, &cause), -EINVAL);
	assert_null(out);
	assert_non_null(strstr(cause, "[lam]"));
	free(bad);
	free(cause);
	cause = NULL;
	bad = xstrdup("# x\n<!-- keys [site] -->\n| old |\n");
	assert_int_equal(site_doc_fill(bad, &out, &cause), -EINVAL);
	assert_non_null(strstr(cause, "end keys"));
	free(bad);
	free(cause);
	cause = NULL;
	bad = xstrdup("<!-- keys [site] -->\nold\n<!-- end keys -->\nprose\n");
	assert_int_equal(site_doc_fill(bad, &out, &cause), -EINVAL);
	assert_non_null(strstr(cause, "[uplink]"));
	free(bad);
	free(cause);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_corpus),
		cmocka_unit_test(test_valid_roundtrip),
		cmocka_unit_test(test_long_list_folds),
		cmocka_unit_test(test_files_checked),
		cmocka_unit_test(test_ssh_keys_checked),
		cmocka_unit_test(test_docs_cover_every_key),
		cmocka_unit_test(test_labels_and_zone),
		cmocka_unit_test(test_schema_complete),
		cmocka_unit_test(test_hint_range),
		cmocka_unit_test(test_when),
		cmocka_unit_test(test_ipoe_needs),
		cmocka_unit_test(test_ipoe_needs_ja),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_doc_fill),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* ipsec: the connection derived from the site config, its comparison,
 * the swanctl.conf export, and the classification of charon's log. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* The example config with some lines replaced. An edit is
 * "section/key = value" (replace that key in that section) or
 * "section/key" (drop the line). */
static struct site *site_with(const char *const *edits)
{
	struct site_diags diags = { 0 };
	struct site *s;
	char *text = NULL, *out, section[64] = "";
	size_t len;
	FILE *f;

	assert_int_equal(file_read("examples/site-ipsec.conf", 1 << 20, &text, &len, NULL), 0);
	f = open_memstream(&out, &len);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		const char *replaced = NULL;
		if (line[0] == '[')
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(line + 1, "]"),
				 line + 1);
		for (size_t i = 0; edits && edits[i]; i++) {
			const char *e = edits[i], *slash = strchr(e, '/');
			size_t k = strcspn(slash + 1, " =");
			if (strncmp(e, section, (size_t)(slash - e)) == 0 &&
			    section[slash - e] == '\0' && strncmp(line, slash + 1, k) == 0 &&
			    (line[k] == ' ' || line[k] == '='))
				replaced = slash[1 + k] ? slash + 1 : "";
		}
		fprintf(f, "%s\n", replaced ? replaced : line);
	}
	fclose(f);
	s = site_load_string("site.conf", out, false, &diags);
	if (s == NULL) {
		site_diags_print(&diags, stderr);
		fail();
	}
	site_diags_free(&diags);
	free(text);
	free(out);
	return s;
}

static char *joined(char **v, size_t n)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%s", out, i ? " " : "", v[i]);
		free(out);
		out = t;
	}
	return out;
}

static const struct {
	const char *what;
	const char *edits[6];
	const char *local_ts;
	const char *remote_ts;
	const char *start;
	bool encap;
} conns[] = {
	{ "separate segment: the terminal segment", { NULL },
	  "192.168.20.0/24", "192.0.2.0/24", "start", false },
	{ "lan layout: the terminal and the appliance's LAN address",
	  { "terminal/segment = lan", "terminal/interface", "terminal/address",
	    "terminal/host = 192.168.10.10", "terminal/lan_ports", NULL },
	  "192.168.10.10/32 192.168.10.1/32", "192.0.2.0/24", "start", false },
	{ "several central prefixes, trap, forced NAT-T",
	  { "central/prefixes = 192.0.2.0/24, 198.18.0.0/15", "ipsec/start_action = trap",
	    "ipsec/nat_traversal = force", NULL },
	  "192.168.20.0/24", "192.0.2.0/24 198.18.0.0/15", "trap", true },
};

static void test_conn_from_site(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(conns); i++) {
		struct site *s = site_with(conns[i].edits);
		struct ipsec_conn c;
		char *l, *r;

		assert_int_equal(ipsec_conn_from_site(s, &c, NULL), 0);
		l = joined(c.local_ts, c.n_local_ts);
		r = joined(c.remote_ts, c.n_remote_ts);
		if (strcmp(l, conns[i].local_ts) || strcmp(r, conns[i].remote_ts))
			fail_msg("%s: local %s remote %s", conns[i].what, l, r);
		assert_string_equal(c.name, IPSEC_CONN_NAME);
		assert_string_equal(c.remote_addrs, "203.0.113.1");
		assert_string_equal(c.ike_proposals, "aes256-sha256-modp2048");
		assert_string_equal(c.esp_proposals, "aes256gcm16-modp2048");
		assert_string_equal(c.auth, "pubkey");
		assert_string_equal(c.start_action, conns[i].start);
		assert_int_equal(c.encap, conns[i].encap);
		assert_int_equal(c.dpd_delay, 30);
		free(l);
		free(r);
		ipsec_conn_clear(&c);
		site_free(s);
	}
}

static void test_conn_diff(void **state)
{
	struct site *s = site_with(NULL);
	struct ipsec_conn want, have = { 0 };
	char **d;

	assert_int_equal(ipsec_conn_from_site(s, &want, NULL), 0);
	assert_int_equal(ipsec_conn_from_site(s, &have, NULL), 0);
	assert_null(ipsec_conn_diff(&want, &have));
	free(have.remote_ts[0]);
	have.remote_ts[0] = xstrdup("192.0.2.0/25");
	free(have.remote_id);
	have.remote_id = xstrdup("CN=other");
	d = ipsec_conn_diff(&want, &have);
	assert_non_null(d);
	assert_string_equal(d[0], "remote_id");
	assert_string_equal(d[1], "remote_ts");
	assert_null(d[2]);
	str_list_free(d);
	/* what charon does not report (NULL) is not a difference */
	free(have.ike_proposals);
	have.ike_proposals = NULL;
	d = ipsec_conn_diff(&want, &have);
	assert_null(d[2]);
	str_list_free(d);
	ipsec_conn_clear(&want);
	ipsec_conn_clear(&have);
	site_free(s);
}

static void test_export(void **state)
{
	static const char *const pubkey_has[] = {
		"connections {", "    oqlink {", "remote_addrs = 203.0.113.1",
		"proposals = aes256-sha256-modp2048", "id = \"CN=clinic-1312345678.example\"",
		"certs = /etc/oqlink/ike.crt", "local_ts = 192.168.20.0/24",
		"remote_ts = 192.0.2.0/24", "esp_proposals = aes256gcm16-modp2048",
		"dpd_delay = 30s", "start_action = start", "cacert = /etc/oqlink/ca.crt",
		"private key is /etc/oqlink/ike.key",
	};
	struct site *s = site_with(NULL);
	char *text = ipsec_export_swanctl(s);

	for (size_t i = 0; i < ARRAY_SIZE(pubkey_has); i++)
		if (strstr(text, pubkey_has[i]) == NULL)
			fail_msg("missing '%s' in:\n%s", pubkey_has[i], text);
	free(text);
	site_free(s);
}

/* Canned logs, as charon 5.9 writes them, and the cause each means. */
static const struct {
	const char *what;
	const char *auth;
	const char *lines[8];
	const char *cause;
	const char *evidence;		/* part of the first evidence line */
} logs[] = {
	{ "no answer at all", "pubkey",
	  { "[IKE] initiating IKE_SA oqlink[1] to 203.0.113.1",
	    "[NET] sending packet: from 198.51.100.2[500] to 203.0.113.1[500] (464 bytes)",
	    "[IKE] retransmit 1 of request with message ID 0",
	    "[IKE] retransmit 2 of request with message ID 0" },
	  "peer-unreachable", "retransmit 1 of request with message ID 0" },
	{ "gave up", "psk",
	  { "[IKE] giving up after 5 retransmits", "[IKE] establishing IKE_SA failed, peer not responding" },
	  "peer-unreachable", "giving up" },
	{ "4500 blocked", "pubkey",
	  { "[ENC] parsed IKE_SA_INIT response 0 [ SA KE No ]",
	    "[NET] sending packet: from 198.51.100.2[4500] to 203.0.113.1[4500] (1236 bytes)",
	    "[IKE] retransmit 1 of request with message ID 1" },
	  "udp4500-blocked", "parsed IKE_SA_INIT response" },
	{ "IKE proposal", "pubkey",
	  { "[ENC] parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]",
	    "[IKE] received NO_PROPOSAL_CHOSEN notify error" },
	  "no-proposal", "NO_PROPOSAL_CHOSEN" },
	{ "ESP proposal", "psk",
	  { "[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built" },
	  "no-proposal", "no CHILD_SA built" },
	{ "selectors", "pubkey",
	  { "[IKE] received TS_UNACCEPTABLE notify, no CHILD_SA built" },
	  "ts-unacceptable", "TS_UNACCEPTABLE" },
	{ "we reject the gateway's identity", "pubkey",
	  { "[IKE] received end entity cert \"CN=other\"",
	    "[CFG] constraint check failed: identity 'CN=vpngw.carrier.example' required ",
	    "[CFG] selected peer config 'oqlink' unacceptable: constraint checking failed" },
	  "remote-id", "constraint check failed" },
	{ "gateway certificate untrusted", "pubkey",
	  { "[CFG]   self-signed certificate \"CN=Other CA\" is not trusted",
	    "[IKE] no trusted RSA public key found for 'CN=vpngw.carrier.example'" },
	  "peer-cert-untrusted", "is not trusted" },
	{ "gateway certificate expired", "pubkey",
	  { "[CFG] subject certificate invalid (valid from Jan 01 00:00:00 2020 to Jan 02 00:00:00 2020)",
	    "[IKE] no trusted RSA public key found for 'CN=vpngw.carrier.example'" },
	  "peer-cert-expired", "valid from Jan 01" },
	{ "certificate not yet valid", "pubkey",
	  { "[CFG] subject certificate invalid (valid from Jan 01 00:00:00 2099 to Jan 02 00:00:00 2100)",
	    "[IKE] no trusted RSA public key found for 'CN=vpngw.carrier.example'" },
	  "clock", "2099" },
	{ "AUTHENTICATION_FAILED with a PSK", "psk",
	  { "[ENC] parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
	    "[IKE] received AUTHENTICATION_FAILED notify error" },
	  "psk-mismatch", "AUTHENTICATION_FAILED" },
	{ "AUTHENTICATION_FAILED with a certificate", "pubkey",
	  { "[IKE] received AUTHENTICATION_FAILED notify error" },
	  "our-cert-rejected", "AUTHENTICATION_FAILED" },
	{ "IKE_AUTH lost on port 500", "pubkey",
	  { "[ENC] parsed IKE_SA_INIT response 0 [ SA KE No ]",
	    "[NET] sending packet: from 198.51.100.2[500] to 203.0.113.1[500] (1236 bytes)",
	    "[IKE] retransmit 1 of request with message ID 1" },
	  "unknown", "parsed IKE_SA_INIT" },
	{ "nothing known", "pubkey", { "[IKE] something else" }, "unknown", "something else" },
};

static void test_classify(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(logs); i++) {
		struct ipsec_diagnosis d = { 0 };
		size_t n = 0;

		while (n < ARRAY_SIZE(logs[i].lines) && logs[i].lines[n])
			n++;
		ipsec_classify(logs[i].lines, n, logs[i].auth, &d);
		if (strcmp(d.id, logs[i].cause) != 0)
			fail_msg("%s: got %s", logs[i].what, d.id);
		assert_true(d.n_evidence > 0);
		if (strstr(d.evidence[0], logs[i].evidence) == NULL)
			fail_msg("%s: evidence '%s'", logs[i].what, d.evidence[0]);
		assert_non_null(d.title.ja);
		assert_non_null(d.next.en);
		ipsec_diagnosis_clear(&d);
	}
}

static void test_not_running(void **state)
{
	struct ipsec_sas sas;
	char *cause = NULL;

	i18n_set_lang(OQ_LANG_EN);
	assert_int_equal(ipsec_sas_get("/nonexistent/charon.vici", NULL, &sas, &cause), -ENOENT);
	assert_non_null(strstr(cause, "charon is not running at /nonexistent/charon.vici"));
	assert_int_equal(sas.n, 0);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_from_site),
		cmocka_unit_test(test_conn_diff),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_not_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

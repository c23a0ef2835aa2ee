/* core/: addresses, strings and display widths, proposals, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/i18n.h"
#include "core/proposal.h"
#include "core/util.h"

static void test_prefix_parse(void **state)
{
	static const struct {
		const char *in;
		bool ok;
		const char *out;
	} cases[] = {
		{ "192.0.2.1", true, "192.0.2.1" },
		{ "192.0.2.0/24", true, "192.0.2.0/24" },
		{ "192.0.2.1/32", true, "192.0.2.1" },
		{ "0.0.0.0/0", true, "0.0.0.0/0" },
		{ "2001:db8::/32", true, "2001:db8::/32" },
		{ "2001:db8::1", true, "2001:db8::1" },
		{ "192.0.2.0/33", false, NULL },
		{ "192.0.2.0/", false, NULL },
		{ "192.0.2.0/024", false, NULL },
		{ "192.0.2.0/-1", false, NULL },
		{ "192.0.2", false, NULL },
		{ "256.0.0.1", false, NULL },
		{ "2001:db8::/129", false, NULL },
		{ "", false, NULL },
		{ "/24", false, NULL },
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct oq_prefix p;
		bool ok = prefix_parse(cases[i].in, &p);
		if (ok != cases[i].ok)
			fail_msg("prefix_parse(%s) = %d", cases[i].in, ok);
		if (ok)
			assert_string_equal(prefix_str(&p, buf, true), cases[i].out);
	}
}

static void test_prefix_relations(void **state)
{
	static const struct {
		const char *a, *b;
		bool contains, overlaps;
	} cases[] = {
		{ "192.0.2.0/24", "192.0.2.5", true, true },
		{ "192.0.2.0/24", "192.0.3.5", false, false },
		{ "192.0.2.0/24", "192.0.2.128/25", true, true },
		{ "192.0.2.128/25", "192.0.2.0/24", false, true },
		{ "10.0.0.0/8", "10.255.255.255", true, true },
		{ "0.0.0.0/0", "203.0.113.9", true, true },
		{ "2001:db8::/32", "2001:db8:1::1", true, true },
		{ "2001:db8::/32", "192.0.2.1", false, false },
		{ "192.168.10.1/25", "192.168.10.200", false, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct oq_prefix a, b;
		assert_true(prefix_parse(cases[i].a, &a));
		assert_true(prefix_parse(cases[i].b, &b));
		if (prefix_contains(&a, &b) != cases[i].contains ||
		    prefix_overlaps(&a, &b) != cases[i].overlaps)
			fail_msg("%s vs %s", cases[i].a, cases[i].b);
	}
	struct oq_prefix p;
	assert_true(prefix_parse("198.51.100.0/24", &p));
	assert_true(prefix_is_network_or_broadcast(&p));
	assert_true(prefix_parse("198.51.100.255/24", &p));
	assert_true(prefix_is_network_or_broadcast(&p));
	assert_true(prefix_parse("198.51.100.2/24", &p));
	assert_false(prefix_is_network_or_broadcast(&p));
	assert_true(prefix_parse("198.51.100.0/31", &p));
	assert_false(prefix_is_network_or_broadcast(&p));
}

static void test_width_and_pad(void **state)
{
	static const struct {
		const char *in;
		size_t width;
		size_t pad;
		const char *padded;
	} cases[] = {
		{ "abc", 3, 5, "abc  " },
		{ "日本語", 6, 8, "日本語  " },
		{ "日本語", 6, 6, "日本語" },
		{ "日本語", 6, 5, "日本~" },	/* 日本 = 4 columns, then ~ */
		{ "日本語", 6, 4, "日~ " },	/* never half a wide character */
		{ "ｱｲｳ", 3, 3, "ｱｲｳ" },		/* half-width katakana */
		{ "a\tb", 2, 3, "a\tb " },	/* control characters take no column */
		{ "", 0, 2, "  " },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(str_width(cases[i].in), cases[i].width);
		char *p = str_pad(cases[i].in, cases[i].pad);
		assert_string_equal(p, cases[i].padded);
		if (strchr(cases[i].in, '\t') == NULL)
			assert_true(str_width(p) <= cases[i].pad);
		free(p);
	}
	/* invalid UTF-8 counts one column a byte and never crashes */
	assert_int_equal(str_width("\xff\xfe"), 2);
}

/* Untrusted text: every byte of invalid UTF-8 and of a control character
 * becomes '?'; str_text_ok says where the first one is. */
static void test_sanitize_text(void **state)
{
	static const struct {
		const char *in, *clean;
		bool ok;
		size_t at;
	} cases[] = {
		{ "さくら内科", "さくら内科", true, 0 },
		{ "a\x1b]0;t\x07", "a?]0;t?", false, 1 },	/* OSC title */
		{ "x\x9b" "31m", "x?31m", false, 1 },		/* raw 8-bit CSI */
		{ "x\xc2\x9b" "31m", "x??31m", false, 1 },	/* C1 CSI as UTF-8 */
		{ "\xc0\xaf", "??", false, 0 },			/* overlong '/' */
		{ "\xed\xa0\x80", "???", false, 0 },		/* surrogate */
		{ "\xf4\x90\x80\x80", "????", false, 0 },	/* above U+10FFFF */
		{ "ab\xe3\x81", "ab??", false, 2 },		/* cut short */
		{ "a\tb\x7f", "a?b?", false, 1 },
		{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", true, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t at = 99;
		char *s = str_sanitize(cases[i].in);
		assert_string_equal(s, cases[i].clean);
		assert_true(str_text_ok(s, NULL));	/* what it gives is always text */
		assert_int_equal(str_text_ok(cases[i].in, &at), cases[i].ok);
		if (!cases[i].ok)
			assert_int_equal(at, cases[i].at);
		free(s);
	}
	char *l = str_sanitize_lines("a\nb\x1b\n");
	assert_string_equal(l, "a\nb?\n");
	free(l);
}

static void test_sanitize_split_distance(void **state)
{
	char *s = str_sanitize("a\x1b[31mb\x7f\xc2\x9b");
	assert_string_equal(s, "a?[31mb???");
	free(s);
	size_t n;
	char **l = str_split_list(" a, b  c,,d ", &n);
	assert_int_equal(n, 4);
	assert_string_equal(l[3], "d");
	assert_null(l[4]);
	str_list_free(l);
	assert_int_equal(str_distance("peer", "pear"), 1);
	assert_int_equal(str_distance("", "abc"), 3);
	assert_int_equal(str_distance("kitten", "sitting"), 3);
}

static void test_proposals(void **state)
{
	static const struct {
		const char *list;
		bool ike, ok;
	} cases[] = {
		{ "aes256-sha256-modp2048", true, true },
		{ "aes128gcm16-prfsha256-ecp256", true, true },
		{ "aes256-sha384-x25519, aes128-sha256-modp3072", true, true },
		{ "aes256gcm16-modp2048", false, true },
		{ "aes256-sha256-modp2048-esn", false, true },
		{ "chacha20poly1305", false, true },
		{ "default", true, true },
		{ "aes256gcm16-modp2048", true, false },	/* AEAD IKE without PRF */
		{ "aes256-sha256", true, false },		/* no DH group */
		{ "aes256-modp2048", false, false },		/* no integrity */
		{ "aes256gcm16-sha256", false, false },		/* AEAD + integrity */
		{ "aes256-aes256gcm16-sha256", false, false },
		{ "aes256-sha256-modp2048-esn", true, false },
		{ "aes256-sha256-prfsha256", false, false },
		{ "aes257-sha256-modp2048", true, false },
		{ "", true, false },
		{ "-", true, false },
		{ "aes256--modp2048", true, false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *cause = NULL;
		bool ok = proposals_check(cases[i].list, cases[i].ike, &cause);
		if (ok != cases[i].ok)
			fail_msg("proposals_check(%s, %s) = %d", cases[i].list,
				 cases[i].ike ? "ike" : "esp", ok);
		if (!ok)
			assert_non_null(cause);
		free(cause);
	}
}

static void test_files(void **state)
{
	char dir[] = "/tmp/oqcoreXXXXXX";
	char *cause = NULL, *data = NULL;
	size_t len;

	assert_non_null(mkdtemp(dir));
	char *f = xasprintf("%s/a/b/c.txt", dir);
	char *d = xasprintf("%s/a/b", dir);
	assert_int_equal(mkdir_p(d, 0700, &cause), 0);
	assert_int_equal(file_write_atomic(f, "hello", 5, 0600, &cause), 0);
	assert_int_equal(file_read(f, 100, &data, &len, &cause), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(file_check_secret(f, &cause), 0);
	chmod(f, 0640);
	assert_true(file_check_secret(f, &cause) < 0);
	assert_non_null(strstr(cause, "0640"));
	assert_true(file_read(f, 3, &data, &len, &cause) < 0);	/* too large */
	assert_null(data);
	unlink(f);
	assert_true(file_read(f, 100, &data, &len, &cause) < 0);
	assert_true(file_check_secret(f, &cause) < 0);
	free(cause);
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_relations),
		cmocka_unit_test(test_width_and_pad),
		cmocka_unit_test(test_sanitize_text),
		cmocka_unit_test(test_sanitize_split_distance),
		cmocka_unit_test(test_proposals),
		cmocka_unit_test(test_files),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* core/: addresses, strings and display widths, files. */
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

#include "core/addr.h"
#include "core/clock.h"
#include "core/i18n.h"
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

/* Times in the site's zone: the default, another zone with its own
 * daylight saving, names refused before the tz database is opened. */
static void test_clock_zones(void **state)
{
	static const struct {
		const char *zone;
		enum clock_style style;
		const char *out;
	} cases[] = {
		/* 2026-04-01T02:00:00Z */
		{ "Asia/Tokyo", CLOCK_HUMAN, "2026-04-01 11:00:00 +09:00 (JST)" },
		{ "Asia/Tokyo", CLOCK_ISO, "2026-04-01T11:00:00+09:00" },
		{ "Asia/Tokyo", CLOCK_STAMP, "20260401-110000" },
		{ "Asia/Tokyo", CLOCK_HMS, "11:00:00" },
		{ "UTC", CLOCK_HUMAN, "2026-04-01 02:00:00 +00:00 (UTC)" },
		{ "America/New_York", CLOCK_ISO, "2026-03-31T22:00:00-04:00" },
		{ "Asia/Kolkata", CLOCK_ISO, "2026-04-01T07:30:00+05:30" },
	};
	static const char *const bad[] = {
		"", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Asia/Tokyo;rm",
		"Asia", "Asia/Tokyo/", "zone.tab",
	};
	char buf[CLOCK_BUF], *cause = NULL;

	(void)state;
	assert_string_equal(clock_zone(), CLOCK_DEFAULT_ZONE);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(clock_set_zone(cases[i].zone, NULL), 0);
		assert_string_equal(clock_str(1775008800000LL, cases[i].style, buf), cases[i].out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (clock_zone_valid(bad[i]))
			fail_msg("'%s' taken as a time zone", bad[i]);
		assert_int_equal(clock_set_zone(bad[i], &cause), -EINVAL);
		assert_non_null(strstr(cause, bad[i]));
		free(cause);
		cause = NULL;
	}
	assert_string_equal(clock_zone(), "Asia/Kolkata");	/* a refused name changes nothing */
	assert_int_equal(clock_set_zone(CLOCK_DEFAULT_ZONE, NULL), 0);
}

/* Units and errno sentences in the language asked for. */
static void test_words(void **state)
{
	static const struct {
		const char *unit, *ja, *en;
	} units[] = {
		{ "days", "日", "days" }, { "bytes", "バイト", "bytes" }, { "s", "秒", "s" },
		{ "packets", "パケット", "packets" }, { "ms", "ms", "ms" }, { "%", "%", "%" },
		{ "furlongs", "furlongs", "furlongs" }, { "", "", "" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		assert_string_equal(i18n_unit(units[i].unit, OQ_LANG_JA), units[i].ja);
		assert_string_equal(i18n_unit(units[i].unit, OQ_LANG_EN), units[i].en);
	}
	i18n_set_lang(OQ_LANG_JA);
	assert_string_equal(i18n_strerror(ENOENT), "ファイルまたはディレクトリがありません");
	assert_string_equal(i18n_strerror(EACCES), "アクセスが拒否されました (権限がありません)");
	assert_string_equal(i18n_strerror(EDOM), strerror(EDOM));	/* not in the table */
	i18n_set_lang(OQ_LANG_EN);
	assert_string_equal(i18n_strerror(ENOENT), "No such file or directory");
	assert_string_equal(i18n_strerror(ECONNREFUSED), "Connection refused");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_relations),
		cmocka_unit_test(test_width_and_pad),
		cmocka_unit_test(test_sanitize_split_distance),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_clock_zones),
		cmocka_unit_test(test_words),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

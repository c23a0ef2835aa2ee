/* core/: addresses, strings and display widths, files, ICMP echo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/net.h"
#include "core/util.h"
#include "tests/unit/slow.h"

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

/* Lengths of time: units, the bare number's unit, boundaries, overflow. */
static void test_parse_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t bare, min, max;
		int ret;
		int64_t ms;
	} cases[] = {
		{ "5s", 1000, 0, INT64_MAX, 0, 5000 },
		{ "300ms", 1000, 0, INT64_MAX, 0, 300 },
		{ "2m", 1, 0, INT64_MAX, 0, 120000 },
		{ "1h", 1, 0, INT64_MAX, 0, 3600000 },
		{ "7d", 1, 0, INT64_MAX, 0, 604800000 },
		{ "15", 1000, 0, INT64_MAX, 0, 15000 },		/* bare: the option's unit */
		{ "15", 1, 0, INT64_MAX, 0, 15 },
		{ "0", 1000, 0, 10, 0, 0 },			/* zero at the lower bound */
		{ "0s", 1000, 1, 10000, -ERANGE, 0 },		/* below min */
		{ "10s", 1000, 1, 10000, 0, 10000 },		/* exactly max */
		{ "10001ms", 1000, 1, 10000, -ERANGE, 0 },	/* one past max */
		{ "600", 1000, 1000, 600000, 0, 600000 },
		{ "601", 1000, 1000, 600000, -ERANGE, 0 },
		{ "9223372036854775807ms", 1, 0, INT64_MAX, 0, INT64_MAX },
		{ "9223372036854775808ms", 1, 0, INT64_MAX, -ERANGE, 0 },	/* overflows the digits */
		{ "9223372036854775807s", 1, 0, INT64_MAX, -ERANGE, 0 },	/* overflows the unit */
		{ "99999999999999999999999d", 1, 0, INT64_MAX, -ERANGE, 0 },
		{ "99999999999999999999999x", 1, 0, INT64_MAX, -EINVAL, 0 },
		{ "24", 0, 0, INT64_MAX, -EINVAL, 0 },		/* a unit is required */
		{ "5x", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "5sec", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "5S", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "5 s", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "-5s", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "+5s", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ " 5s", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "1.5s", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "s", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "", 1000, 0, INT64_MAX, -EINVAL, 0 },
		{ "abc", 1000, 0, INT64_MAX, -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t ms = -1;
		int r = parse_duration_ms(cases[i].in, cases[i].bare, cases[i].min, cases[i].max, &ms);
		if (r != cases[i].ret)
			fail_msg("parse_duration_ms(\"%s\") = %d, want %d", cases[i].in, r, cases[i].ret);
		if (r == 0 && ms != cases[i].ms)
			fail_msg("parse_duration_ms(\"%s\") = %lld ms, want %lld", cases[i].in,
				 (long long)ms, (long long)cases[i].ms);
		if (r != 0 && ms != -1)
			fail_msg("parse_duration_ms(\"%s\") wrote a result on failure", cases[i].in);
	}
}

/* The largest whole unit, and back through the parser. */
static void test_duration_str(void **state)
{
	static const struct {
		int64_t ms;
		const char *out;
	} cases[] = {
		{ 0, "0s" }, { 1, "1ms" }, { 1500, "1500ms" }, { 1000, "1s" }, { 600000, "10m" },
		{ 90000, "90s" }, { 3600000, "1h" }, { 86400000, "1d" }, { 90000000, "25h" },
	};
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t back = -1;
		assert_string_equal(duration_str(cases[i].ms, buf, sizeof(buf)), cases[i].out);
		assert_int_equal(parse_duration_ms(buf, 0, 0, INT64_MAX, &back), 0);
		assert_int_equal(back, cases[i].ms);
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

/* FNV-1a 64 against the published test vectors; the length counts, not a
 * NUL, since file contents are digested too. */
static void test_fnv1a64(void **state)
{
	(void)state;
	assert_true(fnv1a64("", 0) == 0xcbf29ce484222325ULL);
	assert_true(fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
	assert_true(fnv1a64("a\0b", 3) != fnv1a64("a", 1));
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

/* The names in dir, sorted, joined by spaces (new string). */
static char *dir_names(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	char *s = xstrdup("");

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 && strcmp(ents[i]->d_name, "..") != 0) {
			char *t = xasprintf("%s%s%s", s, *s ? " " : "", ents[i]->d_name);
			free(s);
			s = t;
		}
		free(ents[i]);
	}
	free(ents);
	return s;
}

static char *mkdir_tmp(void)
{
	char *dir = xstrdup("/tmp/oqfileXXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void rm_rf(char *dir)
{
	char *cmd = xasprintf("rm -rf %s", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* A symbolic link at the final name, or at any name a writer could once
 * predict, never gets written through. */
static void test_write_no_symlink(void **state)
{
	char *dir = mkdir_tmp(), *cause = NULL, *data = NULL;
	char *victim = xasprintf("%s/victim", dir), *out = xasprintf("%s/r.html", dir);
	char *old_tmp = xasprintf("%s/r.html.tmp.%ld", dir, (long)getpid());
	size_t len;

	assert_int_equal(file_write_atomic(victim, "keep", 4, 0600, &cause), 0);
	assert_int_equal(symlink(victim, old_tmp), 0);
	assert_int_equal(file_write_atomic(out, "report", 6, 0640, &cause), 0);
	assert_int_equal(file_read(victim, 100, &data, &len, &cause), 0);
	assert_string_equal(data, "keep");
	free(data);
	assert_int_equal(mode_of(victim), 0600);
	assert_int_equal(mode_of(out), 0640);

	unlink(out);
	assert_int_equal(symlink(victim, out), 0);
	assert_int_equal(file_write_atomic(out, "report", 6, 0640, &cause), -ELOOP);
	assert_non_null(strstr(cause, "symbolic link"));
	assert_non_null(strstr(cause, out));
	assert_int_equal(file_read(victim, 100, &data, &len, &cause), 0);
	assert_string_equal(data, "keep");
	free(data);
	unlink(out);
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(file_write_atomic(out, "report", 6, 0640, &cause), -EEXIST);
	free(cause);
	free(victim);
	free(out);
	free(old_tmp);
	rm_rf(dir);
}

/* The mode is the one asked for, whatever the umask and the old file's. */
static void test_write_mode(void **state)
{
	char *dir = mkdir_tmp(), *cause = NULL;
	char *f = xasprintf("%s/state.json", dir);
	mode_t old = umask(0);
	int fd;

	assert_int_equal(file_write_atomic(f, "{}", 2, 0600, &cause), 0);
	assert_int_equal(mode_of(f), 0600);
	chmod(f, 0666);
	assert_int_equal(file_write_atomic(f, "{}", 2, 0640, &cause), 0);
	assert_int_equal(mode_of(f), 0640);
	umask(0777);
	assert_int_equal(file_write_atomic(f, "{}", 2, 0600, &cause), 0);
	assert_int_equal(mode_of(f), 0600);
	umask(0);
	char *log = xasprintf("%s/journal.log", dir), *link = xasprintf("%s/l", dir);
	fd = file_open_private(log, O_WRONLY | O_CREAT | O_APPEND, 0600, &cause);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mode_of(log), 0600);
	assert_int_equal(symlink(log, link), 0);
	assert_int_equal(file_open_private(link, O_WRONLY | O_CREAT | O_APPEND, 0600, &cause), -ELOOP);
	assert_non_null(strstr(cause, "symbolic link"));
	umask(old);
	char *names = dir_names(dir);
	assert_string_equal(names, "journal.log l state.json");
	free(names);
	free(cause);
	free(f);
	free(log);
	free(link);
	rm_rf(dir);
}

/* Cut off half-way (the file size limit stands in for a kill or a full
 * disk): the old file stays whole and no temporary file is left. */
static void test_write_cut_off(void **state)
{
	char *dir = mkdir_tmp(), *cause = NULL, *data = NULL;
	char *f = xasprintf("%s/ipsec.keyid", dir);
	char big[65536];
	struct rlimit rl = { 4096, 4096 };
	size_t len;
	int status;
	pid_t pid;

	memset(big, 'x', sizeof(big));
	assert_int_equal(file_write_atomic(f, "old", 3, 0600, &cause), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setrlimit(RLIMIT_FSIZE, &rl);	/* SIGXFSZ kills it mid-write */
		file_write_atomic(f, big, sizeof(big), 0600, NULL);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	char *names = dir_names(dir);
	assert_string_equal(names, "ipsec.keyid");
	free(names);

	struct rlimit saved;
	getrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &rl);
	int r = file_write_atomic(f, big, sizeof(big), 0600, &cause);
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(r, -EFBIG);
	assert_non_null(strstr(cause, f));
	assert_int_equal(file_read(f, 100, &data, &len, &cause), 0);
	assert_string_equal(data, "old");
	names = dir_names(dir);
	assert_string_equal(names, "ipsec.keyid");
	free(names);
	free(data);

	/* What a writer killed between link and rename leaves is removed by
	 * the next write once it is old; a young one (a live writer's) stays. */
	char *stale = xasprintf("%s/.ipsec.keyid.0123456789abcdef.tmp", dir);
	char *young = xasprintf("%s/.ipsec.keyid.fedcba9876543210.tmp", dir);
	struct timespec old_times[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	assert_int_equal(file_write_atomic(stale, "x", 1, 0600, &cause), 0);
	assert_int_equal(file_write_atomic(young, "x", 1, 0600, &cause), 0);
	assert_int_equal(utimensat(AT_FDCWD, stale, old_times, 0), 0);
	assert_int_equal(file_write_atomic(f, "new", 3, 0600, &cause), 0);
	names = dir_names(dir);
	assert_string_equal(names, ".ipsec.keyid.fedcba9876543210.tmp ipsec.keyid");
	free(names);
	free(stale);
	free(young);
	free(cause);
	free(f);
	rm_rf(dir);
}

/* Without root (no CAP_DAC_READ_SEARCH for linkat AT_EMPTY_PATH) the
 * unnamed file is linked through /proc/self/fd: the same result. */
static void test_write_unprivileged(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char *dir, *f;
	int status;
	pid_t pid;

	if (geteuid() != 0 || pw == NULL) {
		print_message("# not run: needs root to become nobody\n");
		return;
	}
	dir = mkdir_tmp();
	f = xasprintf("%s/report.txt", dir);
	assert_int_equal(chown(dir, pw->pw_uid, pw->pw_gid), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(10);
		if (file_write_atomic(f, "one", 3, 0640, NULL) < 0 ||
		    file_write_atomic(f, "two", 3, 0640, NULL) < 0)
			_exit(11);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(mode_of(f), 0640);
	char *names = dir_names(dir);
	assert_string_equal(names, "report.txt");
	free(names);
	free(f);
	rm_rf(dir);
}

/* A source of the socket's family is bound, none or one of the other
 * family is left alone, and an address the host does not have is refused,
 * named, with the socket closed. */
static void test_bind_source(void **state)
{
	struct oq_prefix lo, lo6, absent;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char *cause = NULL;
	int fd;

	(void)state;
	assert_true(prefix_parse("127.0.0.1", &lo));
	assert_true(prefix_parse("::1", &lo6));
	assert_true(prefix_parse("192.0.2.77", &absent));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(net_bind_source(fd, NULL, AF_INET, &cause), fd);
	assert_int_equal(net_bind_source(fd, &lo6, AF_INET, &cause), fd);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	assert_int_equal(sin.sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(net_bind_source(fd, &lo, AF_INET, &cause), fd);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	assert_int_equal(sin.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_null(cause);
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(net_bind_source(fd, &absent, AF_INET, &cause), -EADDRNOTAVAIL);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "192.0.2.77"));
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	free(cause);
}

/* Echo series to the loopback of a network namespace of their own: as
 * root over a raw socket; then, as nobody, ping4 refuses (it needs a raw
 * socket) while ping4_any_user gets every reply through a ping socket. */
static void test_ping_any_user(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || pw == NULL)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct oq_prefix lo, none;
		struct ifreq ifr = { .ifr_name = "lo" };
		struct ping_stats st;
		double rtt[3];
		char *cause = NULL;
		int fd;

		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			_exit(10);
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			_exit(10);
		close(fd);
		if (!prefix_parse("127.0.0.1", &lo) || !prefix_parse("192.0.2.1", &none))
			_exit(10);
		if (ping4(NULL, &lo, 3, 10, 64, false, 1000, rtt, &st, &cause) < 0 || st.received != 3)
			_exit(11);
		/* ping sockets for every group, in this namespace only */
		fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0 2147483647", 12) != 12)
			_exit(12);
		close(fd);
		if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(12);
		if (ping4(NULL, &lo, 3, 10, 64, false, 1000, rtt, &st, &cause) >= 0)
			_exit(13);
		free(cause);
		cause = NULL;
		if (ping4_any_user(NULL, &lo, 3, 10, 64, true, 1000, rtt, &st, &cause) < 0 ||
		    st.received != 3 || st.sent != 3)
			_exit(14);
		/* nothing answers where there is no route */
		if (ping4_any_user(NULL, &none, 2, 10, 8, false, 100, rtt, &st, &cause) < 0 ||
		    st.received != 0)
			_exit(15);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Both families in one series, in a network namespace of their own: the
 * loopback answers over IPv4 and IPv6, a target without a route is lost,
 * an unresolved one is left alone, and the whole takes the time of one
 * series, not one per family. */
static void test_ping_dual(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		enum { N = 5, COUNT = 5, INTERVAL = 200 };
		static const char *const names[N] = { "127.0.0.1", "::1", "192.0.2.1",
						       "2001:db8::1", NULL };
		struct oq_prefix dst[N] = { 0 };
		struct ifreq ifr = { .ifr_name = "lo" };
		struct ping_stats st[N];
		double rtt[N * COUNT], ms;
		char *cause = NULL;
		int64_t t0;
		int fd;

		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			_exit(10);
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			_exit(10);
		close(fd);
		for (size_t t = 0; t < N; t++)
			if (names[t] != NULL && !prefix_parse(names[t], &dst[t]))
				_exit(10);
		memset(st, 0x55, sizeof(st));
		rtt[4 * COUNT] = 42;
		t0 = net_now_us();
		if (ping_dual(NULL, NULL, dst, N, COUNT, INTERVAL, 64, false, 300, rtt, st,
			      &cause) < 0)
			_exit(11);
		ms = net_elapsed_ms(t0);
		if (st[0].received != COUNT || st[1].received != COUNT)
			_exit(12);
		if (st[2].sent != COUNT || st[2].received != 0 || st[3].sent != COUNT ||
		    st[3].received != 0)
			_exit(13);
		if (rtt[4 * COUNT] != 42 || st[4].received != 0x55555555)
			_exit(14);
		/* one series: (COUNT - 1) intervals and the last RTT; two would
		 * take twice that */
		if (ms < (COUNT - 1) * INTERVAL || ms > 1.5 * (COUNT - 1) * INTERVAL * test_slow())
			_exit(15);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Each rule of a secret file, and the message naming the file and the rule. */
static void test_secret_rules(void **state)
{
	char *dir = mkdir_tmp(), *cause = NULL, *data = NULL;
	char *f = xasprintf("%s/psk", dir), *l = xasprintf("%s/link", dir);
	char *d = xasprintf("%s/dir", dir), *p = xasprintf("%s/fifo", dir);
	size_t len;

	assert_int_equal(file_write_atomic(f, "pw\n", 3, 0600, &cause), 0);
	assert_int_equal(file_check_secret(f, &cause), 0);
	assert_int_equal(file_read_secret(f, 100, &data, &len, &cause), 0);
	assert_string_equal(data, "pw\n");
	free(data);
	chmod(f, 0400);
	assert_int_equal(file_check_secret(f, &cause), 0);

	assert_int_equal(symlink(f, l), 0);		/* a link to a good file */
	assert_int_equal(file_check_secret(l, &cause), -ELOOP);
	assert_non_null(strstr(cause, l));
	assert_non_null(strstr(cause, "symbolic link"));
	assert_int_equal(file_read_secret(l, 100, &data, &len, &cause), -ELOOP);
	assert_null(data);

	chmod(f, 0644);
	assert_int_equal(file_check_secret(f, &cause), -EPERM);
	assert_non_null(strstr(cause, "0644"));
	assert_non_null(strstr(cause, f));
	chmod(f, 0700);
	assert_int_equal(file_check_secret(f, &cause), -EPERM);
	chmod(f, 0600);

	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(file_check_secret(d, &cause), -EINVAL);
	assert_non_null(strstr(cause, "not a regular file"));
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(file_check_secret(p, &cause), -EINVAL);
	assert_int_equal(file_read_secret(p, 100, &data, &len, &cause), -EINVAL);

	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");

		assert_non_null(pw);
		assert_int_equal(chown(f, pw->pw_uid, pw->pw_gid), 0);
		assert_int_equal(file_check_secret(f, &cause), -EPERM);
		assert_non_null(strstr(cause, "not owned by root"));
		assert_int_equal(file_read_secret(f, 100, &data, &len, &cause), -EPERM);
	} else {
		print_message("# other owner: not checked (needs root to chown)\n");
	}
	unlink(f);
	assert_int_equal(file_check_secret(f, &cause), -ENOENT);
	assert_non_null(strstr(cause, "missing"));
	free(cause);
	free(f);
	free(l);
	free(d);
	free(p);
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_relations),
		cmocka_unit_test(test_width_and_pad),
		cmocka_unit_test(test_sanitize_text),
		cmocka_unit_test(test_sanitize_split_distance),
		cmocka_unit_test(test_fnv1a64),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_clock_zones),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_write_no_symlink),
		cmocka_unit_test(test_write_mode),
		cmocka_unit_test(test_write_cut_off),
		cmocka_unit_test(test_write_unprivileged),
		cmocka_unit_test(test_secret_rules),
		cmocka_unit_test(test_bind_source),
		cmocka_unit_test(test_ping_any_user),
		cmocka_unit_test(test_ping_dual),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_duration_str),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

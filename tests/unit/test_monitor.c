/* monitor: the pure rules (back-off, certificate thresholds, which verdict
 * changes are events, the RFC 5424 line) and the history database (latest,
 * timeline, actions, announced verdicts, alarms, retention). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/i18n.h"
#include "core/util.h"
#include "monitor/child.h"
#include "monitor/monitor.h"

static void test_backoff(void **state)
{
	struct mon_backoff b = { 5000, 20000, 0 };
	static const int64_t want[] = { 5000, 10000, 20000, 20000, 20000 };

	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_int_equal(mon_backoff_next(&b, 0), want[i]);
	mon_backoff_reset(&b);
	/* jitter takes off at most a quarter, never more, and all of it for
	 * some draws */
	bool lowest = false, highest = false;
	for (uint32_t rnd = 0; rnd < 40000; rnd += 7) {
		struct mon_backoff c = { 5000, 20000, 3 };
		int64_t d = mon_backoff_next(&c, rnd);
		assert_true(d <= 20000 && d >= 15000);
		lowest |= d == 15000;
		highest |= d == 20000;
	}
	assert_true(lowest && highest);
	/* a cap between two doublings is where it stops */
	struct mon_backoff odd = { 3000, 10000, 0 };
	static const int64_t capped[] = { 3000, 6000, 10000, 10000 };
	for (size_t i = 0; i < ARRAY_SIZE(capped); i++)
		assert_int_equal(mon_backoff_next(&odd, 0), capped[i]);
	assert_int_equal(mon_backoff_next(&b, 0), 5000);
	assert_int_equal(b.attempt, 1);
}

static void test_cert_threshold(void **state)
{
	static const struct { int days, th; } cases[] = {
		{ 365, -1 }, { 91, -1 }, { 90, 90 }, { 61, 90 }, { 60, 60 }, { 31, 60 },
		{ 30, 30 }, { 20, 30 }, { 8, 30 }, { 7, 7 }, { 3, 3 }, { 1, 1 }, { 0, 0 },
		{ -40, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (mon_cert_threshold(cases[i].days) != cases[i].th)
			fail_msg("%d days: threshold %d, want %d", cases[i].days,
				 mon_cert_threshold(cases[i].days), cases[i].th);
	}
}

static void test_verdict_event(void **state)
{
	static const struct { const char *prev, *now; bool ev; } cases[] = {
		{ NULL, "PASS", false }, { NULL, "FAIL", true }, { NULL, "WARN", true },
		{ NULL, "SKIP", false }, { "PASS", "PASS", false }, { "PASS", "FAIL", true },
		{ "FAIL", "FAIL", false }, { "FAIL", "SKIP", false }, { "FAIL", "PASS", true },
		{ "WARN", "FAIL", true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (mon_verdict_event(cases[i].prev, cases[i].now) != cases[i].ev)
			fail_msg("%s -> %s", cases[i].prev ? cases[i].prev : "(none)", cases[i].now);
}

static void test_syslog_format(void **state)
{
	char buf[512];
	size_t n;

	/* 2026-01-02 03:04:05.678 UTC */
	n = mon_syslog_format(buf, sizeof(buf), 3, 1767323045678LL, "box", 42, "verdict", "dns",
			      "FAIL", "probe dns: PASS -> FAIL");
	assert_string_equal(buf, "<27>1 2026-01-02T03:04:05.678Z box oqlink 42 verdict "
			    "[oqlink@32473 probe=\"dns\" verdict=\"FAIL\"] \xEF\xBB\xBFprobe dns: PASS -> FAIL");
	assert_int_equal(n, strlen(buf));
	mon_syslog_format(buf, sizeof(buf), 5, 0, "", 1, NULL, "a\"]\\b", "", "x");
	assert_string_equal(buf, "<29>1 1970-01-01T00:00:00.000Z - oqlink 1 - "
			    "[oqlink@32473 probe=\"a\\\"\\]\\\\b\" verdict=\"\"] \xEF\xBB\xBFx");
	mon_syslog_format(buf, sizeof(buf), 4, 0, "h", 1, "start", NULL, NULL, "y");
	assert_string_equal(buf, "<28>1 1970-01-01T00:00:00.000Z h oqlink 1 start - \xEF\xBB\xBFy");
	/* truncated, never overrun */
	n = mon_syslog_format(buf, 20, 4, 0, "h", 1, "start", NULL, NULL, "y");
	assert_int_equal(n, 19);
	assert_int_equal(strlen(buf), 19);
}

/* A fresh database in a temporary directory. */
static char *tmp_db(char *dir)
{
	strcpy(dir, "/tmp/oqmonXXXXXX");
	assert_non_null(mkdtemp(dir));
	return xasprintf("%s/monitor.db", dir);
}

static void rm_db(const char *dir, char *path)
{
	char *p;

	unlink(path);
	p = xasprintf("%s-wal", path);
	unlink(p);
	free(p);
	p = xasprintf("%s-shm", path);
	unlink(p);
	free(p);
	rmdir(dir);
	free(path);
}

static void add(struct mon_db *db, int64_t t, const char *probe, const char *verdict)
{
	assert_int_equal(mon_db_add_result(db, t, probe, verdict, "要約", "summary", 10, NULL), 0);
}

static void test_history_query(void **state)
{
	char dir[32], *path = tmp_db(dir);
	struct mon_db *db;
	struct mon_probe_entry *v;
	struct mon_action a;
	size_t n;
	bool found;

	assert_int_equal(mon_db_open(path, &db, NULL), 0);
	assert_int_equal(mon_last_action(db, &a, &found, NULL), 0);
	assert_false(found);
	add(db, 1000, "dns", "PASS");
	add(db, 2000, "reach", "PASS");
	add(db, 3000, "dns", "FAIL");
	add(db, 4000, "reach", "WARN");
	add(db, 5000, "dns", "PASS");

	assert_int_equal(mon_latest(db, &v, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].probe, "dns");
	assert_string_equal(v[0].verdict, "PASS");
	assert_int_equal(v[0].t_ms, 5000);
	assert_string_equal(v[1].probe, "reach");
	assert_string_equal(v[1].verdict, "WARN");
	assert_string_equal(v[1].summary_ja, "要約");
	mon_probe_entries_free(v, n);

	assert_int_equal(mon_timeline(db, "dns", 2000, &v, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].t_ms, 3000);
	assert_string_equal(v[0].verdict, "FAIL");
	assert_int_equal(v[1].t_ms, 5000);
	mon_probe_entries_free(v, n);
	assert_int_equal(mon_timeline(db, NULL, 0, &v, &n, NULL), 0);
	assert_int_equal(n, 5);
	mon_probe_entries_free(v, n);
	assert_int_equal(mon_timeline(db, "tls", 0, &v, &n, NULL), 0);
	assert_int_equal(n, 0);

	assert_int_equal(mon_db_add_action(db, "reinitiate", "張り直し", "initiated again", NULL), 0);
	assert_int_equal(mon_db_add_action(db, "up", "張れた", "up", NULL), 0);
	assert_int_equal(mon_last_action(db, &a, &found, NULL), 0);
	assert_true(found);
	assert_string_equal(a.kind, "up");
	assert_string_equal(a.text_en, "up");
	assert_true(a.t_ms > 0);
	mon_action_clear(&a);
	mon_db_close(db);
	rm_db(dir, path);
}

/* A history left damaged (a power cut on a disk that lies about its
 * writes, say) is moved aside once and a new one starts; a sound one, or
 * none, is left alone. */
static void test_db_check(void **state)
{
	char dir[32], *path = tmp_db(dir), *moved = NULL, *cause = NULL;
	struct mon_db *db;
	struct stat st;
	FILE *f;

	assert_int_equal(mon_db_check(path, &moved, &cause), 0);	/* none */
	assert_null(moved);
	assert_int_equal(mon_db_open(path, &db, NULL), 0);
	for (int i = 0; i < 400; i++)
		add(db, 1000 + i, i % 2 ? "dns" : "reach", "PASS");
	mon_db_close(db);
	assert_int_equal(mon_db_check(path, &moved, &cause), 0);	/* sound */
	assert_null(moved);
	assert_int_equal(stat(path, &st), 0);

	/* pages in the middle overwritten: the header still says SQLite */
	assert_true(st.st_size > 3 * 4096);
	assert_non_null(f = fopen(path, "r+"));
	assert_int_equal(fseek(f, 4096, SEEK_SET), 0);
	for (int i = 0; i < 2 * 4096; i++)
		fputc(0xa5, f);
	fclose(f);
	assert_int_equal(mon_db_check(path, &moved, &cause), 1);
	assert_non_null(moved);
	assert_non_null(strstr(moved, "/monitor.db.broken-"));
	assert_int_equal(access(moved, F_OK), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	unlink(moved);
	free(moved);
	moved = NULL;

	/* not a database at all */
	assert_non_null(f = fopen(path, "w"));
	fputs("this is not a database, it is a note about one\n", f);
	for (int i = 0; i < 200; i++)
		fputs("0123456789abcdef", f);
	fclose(f);
	assert_int_equal(mon_db_check(path, &moved, &cause), 1);
	assert_int_not_equal(access(path, F_OK), 0);
	unlink(moved);
	free(moved);
	moved = NULL;
	assert_int_equal(mon_db_open(path, &db, NULL), 0);	/* a new one starts */
	add(db, 1, "dns", "PASS");
	mon_db_close(db);
	assert_int_equal(mon_db_check(path, &moved, &cause), 0);
	assert_null(cause);
	rm_db(dir, path);
}

/* The verdict stored across a restart decides what is an event: a run of
 * the same verdict, a SKIP in between, a restart: two events in all. */
static void test_event_dedup(void **state)
{
	static const char *const seq[] = { "PASS", "FAIL", "FAIL", "SKIP", "FAIL", "RESTART",
					   "FAIL", "FAIL", "PASS", "PASS" };
	char dir[32], *path = tmp_db(dir), *prev;
	struct mon_db *db;
	int events = 0;

	assert_int_equal(mon_db_open(path, &db, NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++) {
		if (strcmp(seq[i], "RESTART") == 0) {
			mon_db_close(db);
			assert_int_equal(mon_db_open(path, &db, NULL), 0);
			continue;
		}
		assert_int_equal(mon_db_get_verdict(db, "reach", &prev, NULL), 0);
		if (mon_verdict_event(prev, seq[i]))
			events++;
		if (strcmp(seq[i], "SKIP") != 0)
			assert_int_equal(mon_db_set_verdict(db, "reach", seq[i], NULL), 0);
		free(prev);
	}
	assert_int_equal(events, 2);
	mon_db_close(db);
	rm_db(dir, path);
}

static void test_alarms(void **state)
{
	char dir[32], *path = tmp_db(dir);
	struct mon_db *db;
	bool seen;

	assert_int_equal(mon_db_open(path, &db, NULL), 0);
	assert_int_equal(mon_db_alarm_seen(db, "/etc/oqlink/ike.crt", 1800000000, 30, &seen, NULL), 0);
	assert_false(seen);
	assert_int_equal(mon_db_alarm_mark(db, "/etc/oqlink/ike.crt", 1800000000, 30, NULL), 0);
	assert_int_equal(mon_db_alarm_mark(db, "/etc/oqlink/ike.crt", 1800000000, 30, NULL), 0);
	mon_db_close(db);
	/* remembered across a restart */
	assert_int_equal(mon_db_open(path, &db, NULL), 0);
	assert_int_equal(mon_db_alarm_seen(db, "/etc/oqlink/ike.crt", 1800000000, 30, &seen, NULL), 0);
	assert_true(seen);
	/* another threshold, or a renewed certificate, is another alarm */
	assert_int_equal(mon_db_alarm_seen(db, "/etc/oqlink/ike.crt", 1800000000, 7, &seen, NULL), 0);
	assert_false(seen);
	assert_int_equal(mon_db_alarm_seen(db, "/etc/oqlink/ike.crt", 1900000000, 30, &seen, NULL), 0);
	assert_false(seen);
	mon_db_close(db);
	rm_db(dir, path);
}

static size_t rows(struct mon_db *db)
{
	struct mon_probe_entry *v;
	size_t n;

	assert_int_equal(mon_timeline(db, NULL, 0, &v, &n, NULL), 0);
	mon_probe_entries_free(v, n);
	return n;
}

static void test_retention(void **state)
{
	char dir[32], *path = tmp_db(dir), big[2001];
	int64_t day = 86400000, now = 100 * day;
	struct mon_db *db;
	size_t gone;

	assert_int_equal(mon_db_open(path, &db, NULL), 0);
	add(db, now - 40 * day, "dns", "PASS");
	add(db, now - 31 * day, "dns", "PASS");
	add(db, now - 29 * day, "dns", "PASS");
	add(db, now - 1, "dns", "PASS");
	assert_int_equal(mon_db_prune(db, now, 30, 1u << 30, &gone, NULL), 0);
	assert_int_equal(gone, 2);
	assert_int_equal(rows(db), 2);

	/* by size: about 2 MB of results, kept under 256 KiB, the newest stay */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 1000; i++)
		assert_int_equal(mon_db_add_result(db, now + i, "tls", "PASS", big, big, 1, NULL), 0);
	assert_int_equal(mon_db_prune(db, now + 1000, 30, 256 * 1024, &gone, NULL), 0);
	assert_true(gone > 800);
	assert_true(rows(db) < 200 && rows(db) > 0);
	{
		struct mon_probe_entry *v;
		size_t n;
		assert_int_equal(mon_timeline(db, "dns", 0, &v, &n, NULL), 0);
		assert_int_equal(n, 0);	/* the old dns rows went first */
		mon_probe_entries_free(v, n);
		/* the newest result per probe stays known, whatever the retention */
		assert_int_equal(mon_latest(db, &v, &n, NULL), 0);
		assert_int_equal(n, 2);
		assert_string_equal(v[0].probe, "dns");
		assert_int_equal(v[0].t_ms, now - 1);
		assert_string_equal(v[1].probe, "tls");
		assert_int_equal(v[1].t_ms, now + 999);
		mon_probe_entries_free(v, n);
	}
	mon_db_close(db);
	rm_db(dir, path);
}

static void test_open_fails(void **state)
{
	struct mon_db *db;
	char *cause = NULL;

	assert_true(mon_db_open("/nonexistent/dir/monitor.db", &db, &cause) < 0);
	assert_null(db);
	assert_non_null(strstr(cause, "/nonexistent/dir/monitor.db"));
	free(cause);
}

/* Bucketing a timeline: each cell the worst verdict that finished in it. */
static void test_strip(void **state)
{
	(void)state;
	static const struct {
		int64_t t;
		const char *v;
	} in[] = {
		{ 500, "PASS" }, { 1500, "PASS" }, { 1600, "FAIL" }, { 1700, "PASS" },
		{ 2100, "SKIP" }, { 3999, "WARN" }, { 3000, "PASS" }, { 4200, "ERROR" },
		{ 4300, "FAIL" }, { 5000, "FAIL" }, { 5500, "bogus" }, { 999, "FAIL" },
	};
	/* from 1000, cells of 1000 ms: [1000,2000) [2000,3000) ... [6000,7000) */
	static const struct mon_cell want[] = {
		{ true, PROBE_FAIL }, { true, PROBE_SKIP }, { true, PROBE_WARN },
		{ true, PROBE_ERROR }, { true, PROBE_FAIL }, { false, PROBE_PASS },
	};
	struct mon_probe_entry v[ARRAY_SIZE(in)];
	struct mon_cell cell[6];

	for (size_t i = 0; i < ARRAY_SIZE(in); i++)
		v[i] = (struct mon_probe_entry){ .t_ms = in[i].t, .verdict = (char *)(uintptr_t)in[i].v };
	mon_strip(v, ARRAY_SIZE(v), 1000, 1000, cell, 6);
	for (size_t i = 0; i < 6; i++)
		if (cell[i].seen != want[i].seen || (want[i].seen && cell[i].worst != want[i].worst))
			fail_msg("cell %zu: %d %d, want %d %d", i, cell[i].seen, cell[i].worst,
				 want[i].seen, want[i].worst);
	mon_strip(v, ARRAY_SIZE(v), 1000, 0, cell, 6);
	assert_false(cell[0].seen);
	assert_int_equal(mon_strip_symbol(&(struct mon_cell){ false, PROBE_FAIL }), '.');
	assert_int_equal(mon_strip_symbol(&(struct mon_cell){ true, PROBE_PASS }), 'o');
	assert_int_equal(mon_strip_symbol(&(struct mon_cell){ true, PROBE_FAIL }), 'X');
	assert_int_equal(mon_strip_symbol(&(struct mon_cell){ true, PROBE_ERROR }), 'E');
	assert_int_equal(mon_strip_symbol(&(struct mon_cell){ true, (enum probe_verdict)9 }), '.');
}

/* The keeper's lock, held and let go, as another open file would see it. */
static void test_running(void **state)
{
	(void)state;
	char dir[] = "/tmp/oqlmonXXXXXX", *lock;
	int fd;

	assert_non_null(mkdtemp(dir));
	lock = xasprintf("%s/monitor.lock", dir);
	assert_int_equal(mon_running(dir), 0);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(mon_running(dir), 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(mon_running(dir), 1);
	close(fd);
	assert_int_equal(mon_running(dir), 0);
	unlink(lock);
	rmdir(dir);
	free(lock);
}

static void test_cert_level_age(void **state)
{
	(void)state;
	static const struct { int days, level; } cases[] = {
		{ 365, 0 }, { 31, 0 }, { 30, 1 }, { 20, 1 }, { 8, 1 }, { 7, 2 }, { 1, 2 }, { 0, 2 }, { -3, 2 },
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (mon_cert_level(cases[i].days) != cases[i].level)
			fail_msg("%d days: level %d, want %d", cases[i].days,
				 mon_cert_level(cases[i].days), cases[i].level);
	i18n_set_lang(OQ_LANG_EN);
	assert_string_equal(mon_age(100000, 95000, buf, sizeof(buf)), "5 s ago");
	assert_string_equal(mon_age(100000, 200000, buf, sizeof(buf)), "0 s ago");
	assert_string_equal(mon_age(10 * 60000, 0, buf, sizeof(buf)), "10 min ago");
	assert_string_equal(mon_age(3 * 3600000, 0, buf, sizeof(buf)), "3 h ago");
	assert_string_equal(mon_age(2 * 86400000LL, 0, buf, sizeof(buf)), "2 d ago");
	i18n_set_lang(OQ_LANG_JA);
	assert_string_equal(mon_age(10 * 60000, 0, buf, sizeof(buf)), "10 分前");
}

/* Run a child to its end through its poll entries, as the keeper does;
 * bounded by the child's own deadline plus a margin. */
static void child_run(struct mon_child *c)
{
	int64_t end = now_ms() + 10000;

	while (now_ms() < end) {
		struct pollfd p[2];
		int64_t left = mon_child_left(c, now_ms());

		mon_child_pollfds(c, p);
		poll(p, 2, left < 0 ? 1000 : (int)left);
		if (mon_child_step(c, now_ms()))
			return;
	}
	fail_msg("the child did not end");
}

static void test_child(void **state)
{
	struct mon_child c = { .pidfd = -1, .out = -1 };
	char *sh[] = { (char[]){ "/bin/sh" }, (char[]){ "-c" }, NULL, NULL };
	char *how;

	/* what it writes, more than a pipe holds, comes back whole */
	sh[2] = (char[]){ "head -c 200000 /dev/zero | tr '\\0' x; echo; exit 3" };
	assert_int_equal(mon_child_start(&c, sh, 5000, NULL), 0);
	assert_true(mon_child_busy(&c));
	child_run(&c);
	assert_false(mon_child_busy(&c));
	assert_int_equal(c.len, 200001);
	assert_true(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 3);
	assert_false(c.killed);
	i18n_set_lang(OQ_LANG_EN);
	how = mon_child_how(&c, c.started);
	assert_string_equal(how, "exit 3 after 0 s");
	free(how);
	mon_child_reset(&c);

	/* one that outlives its deadline is killed, with its group */
	sh[2] = (char[]){ "sleep 30 & sleep 30; echo never" };
	assert_int_equal(mon_child_start(&c, sh, 300, NULL), 0);
	child_run(&c);
	assert_true(c.killed);
	assert_int_equal(c.len, 0);
	assert_true(now_ms() - c.started < 5000);
	how = mon_child_how(&c, c.started);
	assert_non_null(strstr(how, "its time ran out"));
	free(how);
	mon_child_reset(&c);

	/* a program that is not there is said at once */
	sh[0] = (char[]){ "/nonexistent/oqlink" };
	how = NULL;
	assert_int_equal(mon_child_start(&c, sh, 300, &how), -ENOENT);
	assert_non_null(strstr(how, "/nonexistent/oqlink"));
	assert_false(mon_child_busy(&c));
	free(how);
	free(c.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_child),
		cmocka_unit_test(test_cert_threshold),
		cmocka_unit_test(test_verdict_event),
		cmocka_unit_test(test_syslog_format),
		cmocka_unit_test(test_history_query),
		cmocka_unit_test(test_event_dedup),
		cmocka_unit_test(test_alarms),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_open_fails),
		cmocka_unit_test(test_db_check),
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_cert_level_age),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The keeper's history in SQLite: probe results, what the keeper did, the
 * verdicts last announced and the certificate alarms already given. WAL,
 * so that readers (TUI, `oqlink history`) never wait for the keeper and a
 * killed keeper leaves a consistent file. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "monitor/monitor.h"

struct mon_db {
	sqlite3 *db;
	char *path;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS results ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, t_ms INTEGER NOT NULL, probe TEXT NOT NULL,"
	" verdict TEXT NOT NULL, summary_ja TEXT, summary_en TEXT, duration_ms INTEGER);"
	"CREATE INDEX IF NOT EXISTS results_probe ON results (probe, t_ms);"
	"CREATE INDEX IF NOT EXISTS results_time ON results (t_ms);"
	"CREATE TABLE IF NOT EXISTS latest ("
	" probe TEXT PRIMARY KEY, t_ms INTEGER NOT NULL, verdict TEXT NOT NULL,"
	" summary_ja TEXT, summary_en TEXT, duration_ms INTEGER);"
	"CREATE TABLE IF NOT EXISTS actions ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, t_ms INTEGER NOT NULL, kind TEXT NOT NULL,"
	" text_ja TEXT, text_en TEXT);"
	"CREATE TABLE IF NOT EXISTS verdicts ("
	" probe TEXT PRIMARY KEY, verdict TEXT NOT NULL, t_ms INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS alarms ("
	" cert TEXT NOT NULL, not_after INTEGER NOT NULL, threshold INTEGER NOT NULL,"
	" t_ms INTEGER NOT NULL, PRIMARY KEY (cert, not_after, threshold));";

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int db_fail(struct mon_db *db, char **cause)
{
	int code = sqlite3_errcode(db->db);

	return cause_set(cause, code == SQLITE_FULL ? ENOSPC : code == SQLITE_READONLY ? EROFS : EIO,
			 _("見張りの履歴 %s を書けません: %s", "cannot write the keeper's history %s: %s"),
			 db->path, sqlite3_errmsg(db->db));
}

char *mon_db_path(const struct site *s)
{
	return xasprintf("%s/monitor.db", s->state_dir ? s->state_dir : "/var/lib/oqlink");
}

int mon_db_open(const char *path, struct mon_db **out, char **cause)
{
	struct mon_db *db = xcalloc(1, sizeof(*db));

	*out = NULL;
	db->path = xstrdup(path);
	/* create it with our mode; SQLite would make it world-readable */
	if (strcmp(path, ":memory:") != 0) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd >= 0)
			close(fd);
	}
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db->db, 2000) != SQLITE_OK ||
	    /* a page cache of 256 KiB, not SQLite's 2 MB: the keeper runs for
	     * years with a history that grows to history_max_mb, and its whole
	     * memory goal is 8 MB. synchronous=FULL: each commit reaches the
	     * disk, so a power cut loses no result already written (a few
	     * commits a minute) */
	    sqlite3_exec(db->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			 "PRAGMA cache_size=-256;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		int r = cause_set(cause, EIO, _("見張りの履歴 %s を開けません: %s",
						"cannot open the keeper's history %s: %s"),
				  path, db->db ? sqlite3_errmsg(db->db) : "?");
		mon_db_close(db);
		return r;
	}
	*out = db;
	return 0;
}

/* Is the database at path sound? A file SQLite cannot read as a database
 * counts as damaged; one it cannot open at all (permissions) does not. */
static bool db_sound(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	bool ok;

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	else	/* only damage counts: a file it may not open is for the open to say */
		ok = rc != SQLITE_CORRUPT && rc != SQLITE_NOTADB;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

int mon_db_check(const char *path, char **moved, char **cause)
{
	static const char *const tails[] = { "", "-wal", "-shm" };
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	*moved = NULL;
	if (access(path, F_OK) != 0 || db_sound(path))
		return 0;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (size_t i = 0; i < ARRAY_SIZE(tails); i++) {
		char *from = xasprintf("%s%s", path, tails[i]);
		char *to = xasprintf("%s.broken-%s%s", path, stamp, tails[i]);
		int r = rename(from, to) == 0 || errno == ENOENT ? 0 : -errno;

		if (r < 0)
			cause_set(cause, -r, _("壊れた履歴 %s を %s に移せません: %s",
					       "cannot move the damaged history %s to %s: %s"),
				  from, to, strerror(-r));
		free(from);
		free(to);
		if (r < 0)
			return r;
	}
	*moved = xasprintf("%s.broken-%s", path, stamp);
	return 1;
}

void mon_db_close(struct mon_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->db);
	free(db->path);
	free(db);
}

/* Prepare sql or fail with the database's message. */
static int prep(struct mon_db *db, const char *sql, sqlite3_stmt **st, char **cause)
{
	if (sqlite3_prepare_v2(db->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_fail(db, cause);
	return 0;
}

/* Step a statement that returns no rows, then finalize it. */
static int run(struct mon_db *db, sqlite3_stmt *st, char **cause)
{
	int r = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(db, cause);

	sqlite3_finalize(st);
	return r;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

void mon_probe_entries_free(struct mon_probe_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].probe);
		free(v[i].verdict);
		free(v[i].summary_ja);
		free(v[i].summary_en);
	}
	free(v);
}

int mon_db_add_result(struct mon_db *db, int64_t t_ms, const char *probe, const char *verdict,
		      const char *summary_ja, const char *summary_en, int64_t duration_ms,
		      char **cause)
{
	/* the history, and the newest per probe kept aside for mon_latest */
	static const char *const sql[] = {
		"INSERT INTO results (t_ms, probe, verdict, summary_ja, summary_en, duration_ms) "
		"VALUES (?, ?, ?, ?, ?, ?)",
		"INSERT OR REPLACE INTO latest (t_ms, probe, verdict, summary_ja, summary_en, "
		"duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
	};
	sqlite3_stmt *st;
	int r = 0;

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(sql); i++) {
		if ((r = prep(db, sql[i], &st, cause)) < 0)
			return r;
		sqlite3_bind_int64(st, 1, t_ms);
		sqlite3_bind_text(st, 2, probe, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, verdict, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, summary_ja, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, summary_en, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, duration_ms);
		r = run(db, st, cause);
	}
	return r;
}

/* Read rows of (t_ms, probe, verdict, summary_ja, summary_en, duration_ms). */
static int read_entries(struct mon_db *db, sqlite3_stmt *st, struct mon_probe_entry **v,
			size_t *n, char **cause)
{
	int rc;

	*v = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		struct mon_probe_entry *e = &(*v)[(*n)++];
		e->t_ms = sqlite3_column_int64(st, 0);
		e->probe = col_dup(st, 1);
		e->verdict = col_dup(st, 2);
		e->summary_ja = col_dup(st, 3);
		e->summary_en = col_dup(st, 4);
		e->duration_ms = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		mon_probe_entries_free(*v, *n);
		*v = NULL;
		*n = 0;
		return db_fail(db, cause);
	}
	return 0;
}

int mon_latest(struct mon_db *db, struct mon_probe_entry **v, size_t *n, char **cause)
{
	sqlite3_stmt *st;
	int r = prep(db, "SELECT t_ms, probe, verdict, summary_ja, summary_en, duration_ms "
		     "FROM latest ORDER BY probe", &st, cause);

	*v = NULL;
	*n = 0;
	return r < 0 ? r : read_entries(db, st, v, n, cause);
}

int mon_timeline(struct mon_db *db, const char *probe, int64_t since_ms,
		 struct mon_probe_entry **v, size_t *n, char **cause)
{
	sqlite3_stmt *st;
	int r = prep(db, "SELECT t_ms, probe, verdict, summary_ja, summary_en, duration_ms "
		     "FROM results WHERE t_ms >= ? AND (? IS NULL OR probe = ?) ORDER BY t_ms, id",
		     &st, cause);

	*v = NULL;
	*n = 0;
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_text(st, 2, probe, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, probe, -1, SQLITE_STATIC);
	return read_entries(db, st, v, n, cause);
}

int mon_db_add_action(struct mon_db *db, const char *kind, const char *text_ja,
		      const char *text_en, char **cause)
{
	sqlite3_stmt *st;
	int r = prep(db, "INSERT INTO actions (t_ms, kind, text_ja, text_en) VALUES (?, ?, ?, ?)",
		     &st, cause);

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, wall_ms());
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, text_ja, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text_en, -1, SQLITE_STATIC);
	return run(db, st, cause);
}

void mon_action_clear(struct mon_action *a)
{
	free(a->kind);
	free(a->text_ja);
	free(a->text_en);
	memset(a, 0, sizeof(*a));
}

int mon_last_action(struct mon_db *db, struct mon_action *out, bool *found, char **cause)
{
	sqlite3_stmt *st;
	int rc, r = prep(db, "SELECT t_ms, kind, text_ja, text_en FROM actions ORDER BY id DESC LIMIT 1",
			 &st, cause);

	memset(out, 0, sizeof(*out));
	*found = false;
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = true;
		out->t_ms = sqlite3_column_int64(st, 0);
		out->kind = col_dup(st, 1);
		out->text_ja = col_dup(st, 2);
		out->text_en = col_dup(st, 3);
	} else if (rc != SQLITE_DONE) {
		r = db_fail(db, cause);
	}
	sqlite3_finalize(st);
	return r;
}

int mon_db_get_verdict(struct mon_db *db, const char *probe, char **verdict, char **cause)
{
	sqlite3_stmt *st;
	int rc, r = prep(db, "SELECT verdict FROM verdicts WHERE probe = ?", &st, cause);

	*verdict = NULL;
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, probe, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*verdict = col_dup(st, 0);
	else if (rc != SQLITE_DONE)
		r = db_fail(db, cause);
	sqlite3_finalize(st);
	return r;
}

int mon_db_set_verdict(struct mon_db *db, const char *probe, const char *verdict, char **cause)
{
	sqlite3_stmt *st;
	int r = prep(db, "INSERT OR REPLACE INTO verdicts (probe, verdict, t_ms) VALUES (?, ?, ?)",
		     &st, cause);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, probe, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, wall_ms());
	return run(db, st, cause);
}

int mon_db_alarm_seen(struct mon_db *db, const char *cert, int64_t not_after, int threshold,
		      bool *seen, char **cause)
{
	sqlite3_stmt *st;
	int rc, r = prep(db, "SELECT 1 FROM alarms WHERE cert = ? AND not_after = ? AND threshold = ?",
			 &st, cause);

	*seen = false;
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, cert, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, not_after);
	sqlite3_bind_int(st, 3, threshold);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*seen = true;
	else if (rc != SQLITE_DONE)
		r = db_fail(db, cause);
	sqlite3_finalize(st);
	return r;
}

int mon_db_alarm_mark(struct mon_db *db, const char *cert, int64_t not_after, int threshold,
		      char **cause)
{
	sqlite3_stmt *st;
	int r = prep(db, "INSERT OR IGNORE INTO alarms (cert, not_after, threshold, t_ms) "
		     "VALUES (?, ?, ?, ?)", &st, cause);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, cert, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, not_after);
	sqlite3_bind_int(st, 3, threshold);
	sqlite3_bind_int64(st, 4, wall_ms());
	return run(db, st, cause);
}

/* Bytes the database's live pages take. */
static int used_bytes(struct mon_db *db, uint64_t *out, char **cause)
{
	sqlite3_stmt *st;
	int r = prep(db, "SELECT (SELECT page_count FROM pragma_page_count()) - "
		     "(SELECT freelist_count FROM pragma_freelist_count()), "
		     "(SELECT page_size FROM pragma_page_size())", &st, cause);

	if (r < 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0) * (uint64_t)sqlite3_column_int64(st, 1);
	else
		r = db_fail(db, cause);
	sqlite3_finalize(st);
	return r;
}

int mon_db_prune(struct mon_db *db, int64_t now_ms, unsigned days, uint64_t max_bytes,
		 size_t *deleted, char **cause)
{
	sqlite3_stmt *st;
	uint64_t used = 0;
	int r;

	*deleted = 0;
	if ((r = prep(db, "DELETE FROM results WHERE t_ms < ?", &st, cause)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, now_ms - (int64_t)days * 86400000);
	if ((r = run(db, st, cause)) < 0)
		return r;
	*deleted += (size_t)sqlite3_changes(db->db);
	/* then the oldest tenth at a time until the live pages fit */
	while ((r = used_bytes(db, &used, cause)) == 0 && used > max_bytes) {
		if ((r = prep(db, "DELETE FROM results WHERE id IN (SELECT id FROM results ORDER BY id "
			      "LIMIT MAX(1, (SELECT COUNT(*) FROM results) / 10))", &st, cause)) < 0)
			return r;
		if ((r = run(db, st, cause)) < 0)
			return r;
		if (sqlite3_changes(db->db) == 0)
			break;
		*deleted += (size_t)sqlite3_changes(db->db);
	}
	return r;
}

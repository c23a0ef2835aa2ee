/* The history of applies, in SQLite: SITE->state_dir/history.db. Each row
 * keeps the config text applied, the snapshot taken before it (what rollback
 * restores) and the steps as a short summary. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "provision/state.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS applies ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" time INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" config_path TEXT,"
	" config TEXT,"
	" config_hash TEXT,"
	" n_changes INTEGER NOT NULL DEFAULT 0,"
	" summary_en TEXT,"
	" summary_ja TEXT,"
	" before TEXT)";

/* Open (and create) the history database. */
static int hist_open(const struct site *s, sqlite3 **db, char **cause)
{
	char *path;
	int r, fd;

	if ((r = mkdir_p(s->state_dir, 0750, cause)) < 0)
		return r;
	path = xasprintf("%s/history.db", s->state_dir);
	/* Created here, not by SQLite, so that its mode (which SQLite gives its
	 * journal too) is 0600 whatever the umask, and never through a link. */
	if ((fd = file_open_private(path, O_RDWR | O_CREAT, 0600, cause)) < 0) {
		free(path);
		return fd;
	}
	close(fd);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(*db, 5000) != SQLITE_OK ||
	    sqlite3_exec(*db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		r = cause_set(cause, EIO, _("履歴 %s を開けません: %s", "cannot open the history %s: %s"),
			      path, *db ? sqlite3_errmsg(*db) : "?");
		sqlite3_close(*db);
		*db = NULL;
	}
	free(path);
	return r;
}

static int db_fail(sqlite3 *db, char **cause)
{
	return cause_set(cause, EIO, _("履歴を書けません: %s", "cannot write the history: %s"),
			 sqlite3_errmsg(db));
}

/* The steps of a plan, one per line, in one language. */
static char *summary(const struct prov_plan *plan, enum oq_lang lang)
{
	enum oq_lang was = i18n_lang();
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		abort();
	i18n_set_lang(lang);
	for (size_t i = 0; plan && i < plan->n_steps; i++) {
		char *t = prov_step_text(&plan->steps[i]);
		fprintf(f, "%s\n", t);
		free(t);
	}
	i18n_set_lang(was);
	fclose(f);
	return out;
}

int hist_add(const struct site *s, const char *status, const char *config,
	     const struct prov_plan *plan, const char *before, long *id, char **cause)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	char hash[20];
	char *en = summary(plan, OQ_LANG_EN), *ja = summary(plan, OQ_LANG_JA);
	const char *text = config ? config : "";
	int r;

	snprintf(hash, sizeof(hash), "%012" PRIx64, fnv1a64(text, strlen(text)) >> 16);
	if ((r = hist_open(s, &db, cause)) < 0)
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO applies (time, status, config_path, config, "
				   "config_hash, n_changes, summary_en, summary_ja, before) "
				   "VALUES (?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
		r = db_fail(db, cause);
		goto out;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, config, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, plan ? (sqlite3_int64)plan->n_steps : 0);
	sqlite3_bind_text(st, 7, en, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, ja, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, before, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = db_fail(db, cause);
	else if (id)
		*id = (long)sqlite3_last_insert_rowid(db);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(en);
	free(ja);
	return r;
}

int hist_set_status(const struct site *s, long id, const char *status, char **cause)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = hist_open(s, &db, cause)) < 0)
		return r;
	if (sqlite3_prepare_v2(db, "UPDATE applies SET status = ? WHERE id = ?", -1, &st,
			       NULL) != SQLITE_OK) {
		r = db_fail(db, cause);
		goto out;
	}
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		r = db_fail(db, cause);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? xstrdup((const char *)t) : NULL;
}

int hist_find(const struct site *s, const char *statuses, struct prov_history_row *row,
	      bool *found, char **cause)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int r;

	memset(row, 0, sizeof(*row));
	*found = false;
	if ((r = hist_open(s, &db, cause)) < 0)
		return r;
	/* statuses is matched as ",a,b," so that "applied" does not match a prefix */
	if (sqlite3_prepare_v2(db, "SELECT id, status, config, config_path, before FROM applies "
				   "WHERE instr(',' || ? || ',', ',' || status || ',') > 0 "
				   "ORDER BY id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		r = db_fail(db, cause);
		goto out;
	}
	sqlite3_bind_text(st, 1, statuses, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*found = true;
		row->id = (long)sqlite3_column_int64(st, 0);
		row->status = col_dup(st, 1);
		row->config = col_dup(st, 2);
		row->config_path = col_dup(st, 3);
		row->before = col_dup(st, 4);
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

void hist_row_clear(struct prov_history_row *row)
{
	free(row->status);
	free(row->config);
	free(row->config_path);
	free(row->before);
	memset(row, 0, sizeof(*row));
}

int prov_history(const struct site *s, size_t limit, struct prov_history_entry **v, size_t *n,
		 char **cause)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	int r;

	*v = NULL;
	*n = 0;
	if ((r = hist_open(s, &db, cause)) < 0)
		return r;
	if (sqlite3_prepare_v2(db, "SELECT id, time, status, config_path, config_hash, n_changes, "
				   "summary_en, summary_ja FROM applies ORDER BY id DESC LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK) {
		r = db_fail(db, cause);
		goto out;
	}
	sqlite3_bind_int64(st, 1, limit ? (sqlite3_int64)limit : -1);
	while (sqlite3_step(st) == SQLITE_ROW) {
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		struct prov_history_entry *e = &(*v)[(*n)++];
		e->id = (long)sqlite3_column_int64(st, 0);
		e->time = sqlite3_column_int64(st, 1);
		e->status = col_dup(st, 2);
		e->config_path = col_dup(st, 3);
		e->config_hash = col_dup(st, 4);
		e->n_changes = (size_t)sqlite3_column_int64(st, 5);
		e->summary = col_dup(st, 6);
		e->summary_ja = col_dup(st, 7);
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

void prov_history_free(struct prov_history_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].status);
		free(v[i].config_path);
		free(v[i].config_hash);
		free(v[i].summary);
		free(v[i].summary_ja);
	}
	free(v);
}

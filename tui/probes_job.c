/* The probe run that the dashboard and the probes screen share. The
 * library's runner (probe_run_all) works in a thread of its own; its
 * progress callback copies what happened into rows that the main loop
 * reads under a lock, and answers the cancel request. The screen never
 * waits for a probe. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/probe.h"
#include "tui/screen.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t thread;
static bool thread_live;		/* started and not joined yet */
static volatile int cancel_flag;
static struct pj_row *rows;		/* under mu */
static size_t n_rows;
static bool changed;			/* under mu */
static bool finished;			/* under mu: the thread has ended */
static bool have_overall;		/* a whole run finished: */
static enum probe_verdict overall;	/* its verdict */
static char *failure;			/* why the last run could not be made */
static int64_t started_ms, ended_ms;
static time_t ended_wall;
static struct site *run_site;
static char *run_only;
static bool run_capture;

/* A deep copy of a result through its JSON form (library functions). */
static struct probe_result *result_copy(const struct probe_result *r)
{
	struct json_object *o = probe_result_to_json(r);
	struct probe_result *c = xcalloc(1, sizeof(*c));

	if (probe_result_from_json(o, c, NULL) < 0) {
		free(c);
		c = NULL;
	}
	json_object_put(o);
	return c;
}

static void row_clear(struct pj_row *r)
{
	free(r->id);
	free(r->title_ja);
	free(r->title_en);
	if (r->result) {
		probe_result_clear(r->result);
		free(r->result);
	}
	memset(r, 0, sizeof(*r));
}

/* The runner's progress, in its thread. */
static int progress(void *ctx, enum probe_event ev, size_t index, const struct probe_result *r)
{
	struct probe_run *run = ctx;

	if (ev == PROBE_EV_TICK)
		return cancel_flag;
	pthread_mutex_lock(&mu);
	if (rows == NULL || n_rows != run->n) {
		for (size_t i = 0; i < n_rows; i++)
			row_clear(&rows[i]);
		free(rows);
		n_rows = run->n;
		rows = xcalloc(n_rows, sizeof(*rows));
		for (size_t i = 0; i < n_rows; i++) {
			rows[i].id = xstrdup(run->results[i].id);
			rows[i].title_ja = xstrdup(run->results[i].title.ja ? run->results[i].title.ja : "");
			rows[i].title_en = xstrdup(run->results[i].title.en ? run->results[i].title.en : "");
			rows[i].state = PJ_WAIT;
		}
	}
	if (index < n_rows) {
		struct pj_row *row = &rows[index];
		if (ev == PROBE_EV_START) {
			row->state = PJ_RUNNING;
			row->started_ms = now_ms();
		} else if (ev == PROBE_EV_DONE && r) {
			row->state = PJ_DONE;
			row->result = result_copy(r);
		}
		changed = true;
	}
	pthread_mutex_unlock(&mu);
	return cancel_flag;
}

static void *worker(void *arg)
{
	struct probe_run run;
	struct probe_options opt = { .cancel = &cancel_flag, .no_capture = !run_capture };
	char *cause = NULL;
	const char *ids[1] = { run_only };
	int r = probe_run_all(run_site, ids, run_only ? 1 : 0, &opt, progress, &run, &run, &cause);

	pthread_mutex_lock(&mu);
	have_overall = r == 0;
	if (r == 0)
		overall = run.overall;
	free(failure);
	failure = cause;
	finished = true;
	changed = true;
	pthread_mutex_unlock(&mu);
	if (r == 0)
		probe_run_free(&run);
	return NULL;
}

bool pj_start(const char *only, bool capture)
{
	struct site_diags d = { 0 };

	if (thread_live)
		return false;
	site_free(run_site);
	bool denied = false;

	run_site = site_load(ui.config_path, true, &d);
	for (size_t i = 0; i < d.n; i++)
		denied |= d.v[i].err == EACCES;
	site_diags_free(&d);
	if (run_site == NULL && denied && geteuid() != 0) {
		ui_status(true, "%s", _("権限の問題です: 設定が名指すファイルを読めません。oqlink は root で実行してください",
					"a permission problem: a file the config names cannot be read; oqlink needs root"));
		return false;
	}
	if (run_site == NULL) {
		ui_status(true, "%s", _("設定に誤りがあるため疎通確認できません (s で設定)",
					"the config has errors, so nothing can be probed (s opens setup)"));
		return false;
	}
	free(run_only);
	run_only = only ? xstrdup(only) : NULL;
	run_capture = capture;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < n_rows; i++)
		row_clear(&rows[i]);
	free(rows);
	rows = NULL;
	n_rows = 0;
	finished = false;
	have_overall = false;
	free(failure);
	failure = NULL;
	pthread_mutex_unlock(&mu);
	cancel_flag = 0;
	started_ms = now_ms();
	if (pthread_create(&thread, NULL, worker, NULL) != 0) {
		ui_status(true, "%s", _("疎通確認を始められません", "could not start the probes"));
		return false;
	}
	thread_live = true;
	return true;
}

void pj_cancel(void)
{
	if (thread_live)
		cancel_flag = 1;
}

bool pj_running(void)
{
	return thread_live;
}

bool pj_poll(void)
{
	bool c, done;

	pthread_mutex_lock(&mu);
	c = changed;
	changed = false;
	done = finished;
	pthread_mutex_unlock(&mu);
	if (thread_live && done) {
		pthread_join(thread, NULL);
		thread_live = false;
		ended_ms = now_ms();
		ended_wall = time(NULL);
		c = true;
	}
	return c;
}

void pj_lock(void)
{
	pthread_mutex_lock(&mu);
}

void pj_unlock(void)
{
	pthread_mutex_unlock(&mu);
}

const struct pj_row *pj_rows(size_t *n)
{
	*n = n_rows;
	return rows;
}

const struct pj_row *pj_find(const char *id)
{
	for (size_t i = 0; i < n_rows; i++)
		if (strcmp(rows[i].id, id) == 0)
			return &rows[i];
	return NULL;
}

bool pj_overall(enum probe_verdict *v)
{
	if (thread_live || !have_overall)
		return false;
	*v = overall;
	return true;
}

const char *pj_failure(void)
{
	return failure;
}

long pj_elapsed_s(void)
{
	return (long)(((thread_live ? now_ms() : ended_ms) - started_ms) / 1000);
}

time_t pj_ended(void)
{
	return ended_wall;
}

bool pj_cancelled(void)
{
	return cancel_flag != 0;
}

char *pj_figure(const struct pj_row *r, const char *key)
{
	if (r->result == NULL || r->result->n_values == 0 || r->result->verdict == PROBE_SKIP)
		return xstrdup("");
	const struct probe_value *v = &r->result->values[0];
	for (size_t i = 0; key && i < r->result->n_values; i++)
		if (strcmp(r->result->values[i].key, key) == 0)
			v = &r->result->values[i];
	if (v->text)
		return xstrdup(v->text);
	return xasprintf("%.*f %s", v->value == (long long)v->value ? 0 : 1, v->value,
			 i18n_unit(v->unit ? v->unit : "", i18n_lang()));
}

const char *pj_verdict_word(const struct pj_row *r)
{
	if (r == NULL)
		return "----";
	if (r->state == PJ_WAIT)
		return _("待機", "wait");
	if (r->state == PJ_RUNNING)
		return _("実行中", "run");
	return r->result ? probe_verdict_name(r->result->verdict) : "ERROR";
}

enum ui_attr pj_verdict_attr(const struct pj_row *r)
{
	if (r == NULL || r->state == PJ_WAIT || r->state == PJ_RUNNING)
		return UA_NORMAL;
	return ui_verdict_attr(r->result ? r->result->verdict : PROBE_ERROR);
}

void pj_fini(void)
{
	if (thread_live) {
		cancel_flag = 1;
		pthread_join(thread, NULL);
		thread_live = false;
	}
	for (size_t i = 0; i < n_rows; i++)
		row_clear(&rows[i]);
	free(rows);
	rows = NULL;
	n_rows = 0;
	free(failure);
	failure = NULL;
	free(run_only);
	run_only = NULL;
	site_free(run_site);
	run_site = NULL;
}

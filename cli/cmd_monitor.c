/* oqlink monitor (the keeper, in the foreground) and oqlink history probes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "monitor/monitor.h"

/* Local time as "YYYY-MM-DD HH:MM:SS". */
static const char *when_ms(int64_t t_ms, char *buf, size_t size)
{
	time_t tt = (time_t)(t_ms / 1000);
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* One line of what the keeper does, with the time, at once. */
static void say_line(void *ctx, const char *line)
{
	struct timespec ts;
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%s %s\n", when_ms((int64_t)ts.tv_sec * 1000, buf, sizeof(buf)), line);
	fflush(stdout);
}

int cmd_monitor(struct cli_ctx *ctx, int argc, char **argv)
{
	struct mon_opts o = { .config_path = ctx->config_path, .say = say_line };
	char *cause = NULL;
	int r;

	if (argc > 1) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[1]);
		return OQ_EXIT_USAGE;
	}
	o.db_path = cli_args_get(ctx->args, "db");
	o.no_restore = cli_args_has(ctx->args, "no-restore");
	r = mon_run(ctx->site, &o, &cause);
	if (r < 0) {
		cli_error("%s", cause ? cause : strerror(-r));
		free(cause);
		return OQ_EXIT_CANT;
	}
	return OQ_EXIT_OK;
}

static struct json_object *entry_json(const struct mon_probe_entry *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "time_ms", json_object_new_int64(e->t_ms));
	json_object_object_add(o, "probe", json_object_new_string(e->probe));
	json_object_object_add(o, "verdict", json_object_new_string(e->verdict));
	json_object_object_add(o, "summary_ja", e->summary_ja ? json_object_new_string(e->summary_ja) : NULL);
	json_object_object_add(o, "summary_en", e->summary_en ? json_object_new_string(e->summary_en) : NULL);
	json_object_object_add(o, "duration_ms", json_object_new_int64(e->duration_ms));
	return o;
}

int cmd_history_probes(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *db_path = cli_args_get(ctx->args, "db"), *probe = cli_args_get(ctx->args, "probe");
	int64_t since = cli_args_num(ctx->args, "since", 24 * 3600000LL);
	struct mon_probe_entry *v = NULL;
	struct mon_db *db;
	struct timespec ts;
	char *path, *cause = NULL, buf[32];
	size_t n = 0;
	int r;

	if (argc > 1) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[1]);
		return OQ_EXIT_USAGE;
	}
	path = db_path ? xstrdup(db_path) : mon_db_path(ctx->site);
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		r = 0;	/* the keeper never ran here: nothing to show, nothing to create */
	} else if ((r = mon_db_open(path, &db, &cause)) == 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		r = mon_timeline(db, probe, (int64_t)ts.tv_sec * 1000 - since, &v, &n, &cause);
		mon_db_close(db);
	}
	free(path);
	if (r < 0) {
		cli_error("%s", cause);
		free(cause);
		return OQ_EXIT_CANT;
	}
	if (ctx->json) {
		struct json_object *a = json_object_new_array(), *o = json_object_new_object();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, entry_json(&v[i]));
		json_object_object_add(o, "results", a);
		r = cli_put_json(o) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
	} else {
		if (n == 0)
			printf("%s\n", _("この期間の検査結果はありません。", "no probe results in this period."));
		for (size_t i = 0; i < n; i++) {
			const char *sum = i18n_lang() == OQ_LANG_JA ? v[i].summary_ja : v[i].summary_en;
			printf("%s  %-8s %-5s %s\n", when_ms(v[i].t_ms, buf, sizeof(buf)), v[i].probe,
			       v[i].verdict, sum ? sum : "");
		}
		r = OQ_EXIT_OK;
	}
	mon_probe_entries_free(v, n);
	return r;
}

/* The keeper's part of `oqlink status` as JSON: whether it runs, its last
 * action and the newest verdict of each probe with its age. */
static struct json_object *monitor_json(int running, const struct mon_action *a, bool have_a,
					const struct mon_probe_entry *v, size_t n, int64_t now,
					const char *problem)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array(), *act = NULL;
	char t[CLOCK_BUF];

	json_object_object_add(o, "running", running < 0 ? NULL : json_object_new_boolean(running));
	if (have_a) {
		act = json_object_new_object();
		json_object_object_add(act, "time", json_object_new_string(clock_str(a->t_ms, CLOCK_ISO, t)));
		json_object_object_add(act, "kind", json_object_new_string(a->kind));
		json_object_object_add(act, "text_ja", a->text_ja ? json_object_new_string(a->text_ja) : NULL);
		json_object_object_add(act, "text_en", a->text_en ? json_object_new_string(a->text_en) : NULL);
	}
	json_object_object_add(o, "last_action", act);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = entry_json(&v[i]);
		json_object_object_add(e, "time", json_object_new_string(clock_str(v[i].t_ms, CLOCK_ISO, t)));
		json_object_object_add(e, "age_s", json_object_new_int64((now - v[i].t_ms) / 1000));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "latest", arr);
	json_object_object_add(o, "problem", problem ? json_object_new_string(problem) : NULL);
	return o;
}

/* The same in words. */
static void monitor_print(int running, const struct mon_action *a, bool have_a,
			  const struct mon_probe_entry *v, size_t n, int64_t now, const char *problem)
{
	char t[CLOCK_BUF], age[48];

	if (running < 0)
		printf(_("見張り: 動いているか分かりません (%s: root で実行してください)\n",
			 "monitor: cannot tell whether it runs (%s: run as root)\n"), strerror(-running));
	else
		printf("%s\n", running ? _("見張り: 動作中 (oqlink monitor)", "monitor: running (oqlink monitor)")
				       : _("見張り: 動いていません (履歴も警報もありません。状態は各コマンドで確認します)",
					   "monitor: not running (no history, no alarms; check with the commands)"));
	if (problem)
		printf(_("見張りの履歴を読めません: %s\n", "the monitor's history cannot be read: %s\n"), problem);
	if (have_a)
		printf(_("見張りの最後の動作: %s (%s) %s\n", "monitor's last action: %s (%s) %s\n"),
		       clock_str(a->t_ms, CLOCK_HUMAN, t), mon_age(now, a->t_ms, age, sizeof(age)),
		       _(a->text_ja ? a->text_ja : "", a->text_en ? a->text_en : ""));
	if (n > 0)
		printf("%s\n", _("見張りの最新の判定:", "monitor's latest verdicts:"));
	for (size_t i = 0; i < n; i++)
		printf("  %-8s %-5s %-12s %s\n", v[i].probe, v[i].verdict,
		       mon_age(now, v[i].t_ms, age, sizeof(age)),
		       _(v[i].summary_ja ? v[i].summary_ja : "", v[i].summary_en ? v[i].summary_en : ""));
}

struct json_object *monitor_status(const struct site *s, bool json)
{
	struct mon_probe_entry *v = NULL;
	struct mon_action a = { 0 };
	struct mon_db *db = NULL;
	struct json_object *o = NULL;
	int running = mon_running(s->state_dir);
	bool have_a = false;
	char *path = mon_db_path(s), *cause = NULL;
	int64_t now = clock_wall_ms();
	size_t n = 0;

	/* a keeper that never ran here left nothing to read, and nothing is made */
	if (access(path, F_OK) == 0 && mon_db_open(path, &db, &cause) == 0 &&
	    mon_latest(db, &v, &n, &cause) == 0)
		mon_last_action(db, &a, &have_a, &cause);
	mon_db_close(db);
	if (json)
		o = monitor_json(running, &a, have_a, v, n, now, cause);
	else
		monitor_print(running, &a, have_a, v, n, now, cause);
	mon_action_clear(&a);
	mon_probe_entries_free(v, n);
	free(cause);
	free(path);
	return o;
}

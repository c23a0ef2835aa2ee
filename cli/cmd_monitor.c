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
#include "probes/probe.h"
#include "provision/provision.h"

/* Local time as "YYYY-MM-DD HH:MM:SS". */
static const char *when_ms(int64_t t_ms, char *buf, size_t size)
{
	time_t tt = (time_t)(t_ms / 1000);
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

/* The lean keeper program: beside this oqlink (the build tree), else where
 * make install puts it. A new string. */
static char *keeper_path(void)
{
	char self[4096], *slash, *p;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			p = xasprintf("%s/oqlink-monitor", self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup(OQ_PKGLIBDIR "/oqlink-monitor");
}

/* ---- the children the keeper runs (oqlink monitor --child ...) ---- */

/* One certificate as the keeper reads it back (monitor/keeper.c). */
static struct json_object *cert_json(const struct mon_cert_source *src)
{
	struct json_object *o = json_object_new_object();
	struct probe_cert_info info = { 0 };
	char *cause = NULL;

	json_object_object_add(o, "path", json_object_new_string(src->path));
	if (probe_cert_inspect_file(src->path, src->pass_file, &info, &cause) < 0) {
		json_object_object_add(o, "problem", json_object_new_string(cause ? cause : "?"));
		free(cause);
		return o;
	}
	json_object_object_add(o, "not_before", json_object_new_int64(info.not_before));
	json_object_object_add(o, "not_after", json_object_new_int64(info.not_after));
	json_object_object_add(o, "days_left", json_object_new_int(info.days_left));
	json_object_object_add(o, "subject_cn", json_object_new_string(info.subject_cn ? info.subject_cn : ""));
	json_object_object_add(o, "issuer_cn", json_object_new_string(info.issuer_cn ? info.issuer_cn : ""));
	json_object_object_add(o, "serial_dec", json_object_new_string(info.serial_dec ? info.serial_dec : ""));
	probe_cert_info_clear(&info);
	return o;
}

/* probes ID...: run the ids that apply to the site; with certs also read
 * the certificates the keeper watches. */
static struct json_object *child_probes(const struct site *site, int argc, char **argv, bool certs)
{
	struct json_object *o = json_object_new_object(), *a;
	const char *ids[32];
	size_t n = 0;

	for (int i = 0; i < argc; i++) {
		const struct probe *p = probe_find(argv[i]);
		if (p && probe_applies(p, site) && n < ARRAY_SIZE(ids))
			ids[n++] = argv[i];
	}
	if (n > 0) {
		struct probe_options opt = { 0 };
		struct probe_run run = { 0 };
		char *cause = NULL;

		if (probe_run_all(site, ids, n, &opt, NULL, NULL, &run, &cause) < 0) {
			json_object_object_add(o, "error", json_object_new_string(cause ? cause : "?"));
			free(cause);
			return o;
		}
		a = json_object_new_array();
		for (size_t i = 0; i < run.n; i++)
			json_object_array_add(a, probe_result_to_json(&run.results[i]));
		json_object_object_add(o, "results", a);
		probe_run_free(&run);
	}
	if (certs) {
		struct mon_cert_source *src = xcalloc(1 + site->n_tls, sizeof(*src));
		size_t m = mon_cert_sources(site, src);

		a = json_object_new_array();
		for (size_t i = 0; i < m; i++)
			json_object_array_add(a, cert_json(&src[i]));
		json_object_object_add(o, "certs", a);
		free(src);
	}
	return o;
}

/* restore: put the last confirmed apply back (the firewall first). */
static struct json_object *child_restore(const struct site *site)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct prov_restore res;
	char *cause = NULL;

	json_object_object_add(o, "what", a);
	if (prov_restore(site, &res, &cause) < 0) {
		json_object_object_add(o, "error", json_object_new_string(cause ? cause : "?"));
		free(cause);
		return o;
	}
	for (char *line = res.what, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		json_object_array_add(a, json_object_new_string(line));
	}
	prov_restore_clear(&res);
	return o;
}

/* confirm: revert a pending apply whose deadline passed. */
static struct json_object *child_confirm(const struct site *site)
{
	struct json_object *o = json_object_new_object();
	char *cause = NULL;
	bool reverted;
	long id;

	if (prov_confirm_expire(site, &reverted, &id, &cause) < 0) {
		json_object_object_add(o, "error", json_object_new_string(cause ? cause : "?"));
		free(cause);
		return o;
	}
	json_object_object_add(o, "reverted", json_object_new_boolean(reverted));
	json_object_object_add(o, "id", json_object_new_int64(id));
	return o;
}

/* The work the keeper hands its children (--child WORK): one JSON object
 * on stdout, exit 0, or 3 with "error" in it. Not for people: the
 * keeper's own protocol (monitor/keeper.c reads it). */
static int monitor_child(struct cli_ctx *ctx, const char *work, int argc, char **argv)
{
	struct json_object *o, *e;
	bool failed;

	if (strcmp(work, "probes") == 0) {
		o = child_probes(ctx->site, argc, argv, cli_args_has(ctx->args, "certs"));
	} else if (argc > 0) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[0]);
		return OQ_EXIT_USAGE;
	} else {
		o = strcmp(work, "restore") == 0 ? child_restore(ctx->site) : child_confirm(ctx->site);
	}
	failed = json_object_object_get_ex(o, "error", &e);
	if (cli_put_json(o) < 0)
		return OQ_EXIT_CANT;
	return failed ? OQ_EXIT_CANT : OQ_EXIT_OK;
}

/* `oqlink monitor`: the options are checked here (the config by the
 * command table already), then this process becomes the lean keeper
 * program, which links only what it needs to run for good
 * (docs/monitor.md). */
int cmd_monitor(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *child = cli_args_get(ctx->args, "child"), *db = cli_args_get(ctx->args, "db");
	char *self = NULL, *keeper, *args[16];
	size_t n = 0;
	char buf[4096];
	ssize_t len;

	if (child)
		return monitor_child(ctx, child, argc - 1, argv + 1);
	if (argc > 1) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[1]);
		return OQ_EXIT_USAGE;
	}
	if ((len = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) > 0) {
		buf[len] = '\0';
		self = buf;
	}
	keeper = keeper_path();
	args[n++] = xstrdup(keeper);
	args[n++] = xstrdup("--lang");
	args[n++] = xstrdup(i18n_lang_name(i18n_lang()));
	args[n++] = xstrdup("--config");
	args[n++] = xstrdup(ctx->config_path);
	if (self) {
		args[n++] = xstrdup("--oqlink");
		args[n++] = xstrdup(self);
	}
	if (db) {
		args[n++] = xstrdup("--db");
		args[n++] = xstrdup(db);
	}
	if (cli_args_has(ctx->args, "no-restore"))
		args[n++] = xstrdup("--no-restore");
	args[n] = NULL;
	fflush(stdout);
	execv(keeper, args);
	cli_error(_("%s を起動できません: %s", "cannot start %s: %s"), keeper, i18n_strerror(errno));
	for (size_t i = 0; i < n; i++)
		free(args[i]);
	free(keeper);
	return OQ_EXIT_CANT;
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

/* oqlink plan | apply | confirm | rollback | history | status, and the
 * recovery every command with CLI_RECOVER runs first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "provision/provision.h"

/* Exit code for a library error: a failed change is 1, anything else 3. */
static int fail(char *cause, int code)
{
	cli_error("%s", cause ? cause : "?");
	free(cause);
	return code;
}

/* These commands take no operands; returns 0 or OQ_EXIT_USAGE. */
static int no_args(int argc, char **argv)
{
	if (argc > 1) {
		cli_error(_("'%s' は引数をとりません: '%s'", "'%s' takes no arguments: '%s'"),
			  argv[0], argv[1]);
		return OQ_EXIT_USAGE;
	}
	return 0;
}

int cli_recover(struct cli_ctx *ctx)
{
	struct prov_recovery rec;
	char *cause = NULL;

	if (ctx->site == NULL)
		return 0;
	if (prov_recover(ctx->site, &rec, &cause) < 0)
		return fail(cause, OQ_EXIT_CANT);
	if (rec.what)
		cli_error("%s (#%ld)", rec.what, rec.history_id);
	prov_recovery_clear(&rec);
	return 0;
}

int cmd_plan(struct cli_ctx *ctx, int argc, char **argv)
{
	struct prov_plan *p;
	char *cause = NULL;
	int r;

	if ((r = no_args(argc, argv)) != 0)
		return r;
	if (prov_plan(ctx->site, &p, &cause) < 0)
		return fail(cause, OQ_EXIT_CANT);
	if (ctx->json) {
		r = cli_put_json(prov_plan_to_json(p)) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
		prov_plan_free(p);
		return r;
	}
	if (p->n_steps == 0)
		printf("%s\n", _("変更はありません。ホストは設定どおりです。",
				 "nothing to change: the host matches the config."));
	else
		printf(_("適用すると次の %zu 件を変更します:\n",
			 "apply would make these %zu changes:\n"), p->n_steps);
	for (size_t i = 0; i < p->n_steps; i++) {
		char *t = prov_step_text(&p->steps[i]);
		printf("  %3zu. %s\n", i + 1, t);
		free(t);
	}
	if (p->n_notes)
		printf("\n%s\n", _("注記:", "notes:"));
	for (size_t i = 0; i < p->n_notes; i++)
		printf("  - %s\n", p->notes[i]);
	prov_plan_free(p);
	return OQ_EXIT_OK;
}

/* Print one step as apply starts it. */
static void progress(void *ctx, size_t i, size_t n, const struct prov_step *st)
{
	struct cli_ctx *c = ctx;
	char *t;

	if (c->json)
		return;
	t = prov_step_text(st);
	printf("[%zu/%zu] %s\n", i + 1, n, t);
	fflush(stdout);
	free(t);
}

int cmd_apply(struct cli_ctx *ctx, int argc, char **argv)
{
	struct prov_apply_opts o = { .progress = progress, .ctx = ctx };
	struct prov_result res;
	char *cause = NULL;
	int r;

	if ((r = no_args(argc, argv)) != 0)
		return r;
	o.confirm_s = (int)(cli_args_num(ctx->args, "confirm", 0) / 1000);
	r = prov_apply(ctx->site, &o, &res, &cause);
	if (ctx->json) {
		struct json_object *j = json_object_new_object();
		json_object_object_add(j, "ok", json_object_new_boolean(r == 0));
		json_object_object_add(j, "changes", json_object_new_int((int)res.n_steps));
		json_object_object_add(j, "done", json_object_new_int((int)res.n_done));
		json_object_object_add(j, "failed_step", json_object_new_int64(res.failed_step));
		json_object_object_add(j, "restored", json_object_new_boolean(res.restored));
		json_object_object_add(j, "history_id", json_object_new_int64(res.history_id));
		json_object_object_add(j, "confirm_deadline", json_object_new_int64(res.deadline));
		json_object_object_add(j, "error", cause ? json_object_new_string(cause) : NULL);
		if (cli_put_json(j) < 0) {
			free(cause);
			return OQ_EXIT_CANT;
		}
	}
	if (r < 0)
		return fail(cause, res.failed_step ? OQ_EXIT_FAIL : OQ_EXIT_CANT);
	if (ctx->json)
		return OQ_EXIT_OK;
	if (res.n_steps == 0) {
		printf("%s\n", _("変更はありません。ホストは設定どおりです。",
				 "nothing to change: the host matches the config."));
		return OQ_EXIT_OK;
	}
	printf(_("%zu 件を適用しました (履歴 #%ld)。\n", "applied %zu changes (history #%ld).\n"),
	       res.n_done, res.history_id);
	if (res.deadline)
		printf(_("%d 秒以内に 'oqlink confirm' を実行しないと、自動で元に戻します。\n",
			 "run 'oqlink confirm' within %d seconds, or the changes are undone by themselves.\n"),
		       o.confirm_s);
	return OQ_EXIT_OK;
}

int cmd_confirm(struct cli_ctx *ctx, int argc, char **argv)
{
	char *cause = NULL;
	long id = 0;
	int r;

	if ((r = no_args(argc, argv)) != 0)
		return r;
	r = prov_confirm(ctx->site, &id, &cause);
	if (r < 0)
		return fail(cause, r == -ENOENT ? OQ_EXIT_FAIL : OQ_EXIT_CANT);
	printf(_("適用 #%ld を確定しました。\n", "apply #%ld is confirmed.\n"), id);
	return OQ_EXIT_OK;
}

int cmd_rollback(struct cli_ctx *ctx, int argc, char **argv)
{
	char *cause = NULL;
	long id = 0;
	int r;

	if ((r = no_args(argc, argv)) != 0)
		return r;
	r = prov_rollback(ctx->site, &id, &cause);
	if (r < 0)
		return fail(cause, r == -ENOENT ? OQ_EXIT_FAIL : OQ_EXIT_CANT);
	printf(_("適用 #%ld の前の状態に戻しました。\n",
		 "the host is back as it was before apply #%ld.\n"), id);
	return OQ_EXIT_OK;
}

/* Seconds since the epoch in the site's time zone, into buf[CLOCK_BUF]. */
static const char *when(int64_t t, char *buf, size_t size)
{
	(void)size;
	return clock_str(t * 1000, CLOCK_HUMAN, buf);
}

static struct json_object *entry_json(const struct prov_history_entry *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(e->id));
	json_object_object_add(o, "time", json_object_new_int64(e->time));
	json_object_object_add(o, "status", json_object_new_string(e->status ? e->status : ""));
	json_object_object_add(o, "config", e->config_path ? json_object_new_string(e->config_path) : NULL);
	json_object_object_add(o, "config_hash", e->config_hash ? json_object_new_string(e->config_hash) : NULL);
	json_object_object_add(o, "changes", json_object_new_int((int)e->n_changes));
	json_object_object_add(o, "summary", json_object_new_string(e->summary ? e->summary : ""));
	json_object_object_add(o, "summary_ja", json_object_new_string(e->summary_ja ? e->summary_ja : ""));
	return o;
}

/* The first two lines of a summary, then how many more. */
static void print_summary(const char *sum, size_t n)
{
	const char *p = sum ? sum : "";

	for (int i = 0; i < 2 && *p; i++) {
		size_t len = strcspn(p, "\n");
		printf("      %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
	if (n > 2)
		printf(_("      ほか %zu 件\n", "      and %zu more\n"), n - 2);
}

int cmd_history(struct cli_ctx *ctx, int argc, char **argv)
{
	struct prov_history_entry *v;
	size_t n;
	char *cause = NULL, buf[CLOCK_BUF];
	int r;

	if ((r = no_args(argc, argv)) != 0)
		return r;
	if (prov_history(ctx->site, 0, &v, &n, &cause) < 0)
		return fail(cause, OQ_EXIT_CANT);
	if (ctx->json) {
		struct json_object *a = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, entry_json(&v[i]));
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "applies", a);
		r = cli_put_json(o) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
		prov_history_free(v, n);
		return r;
	}
	if (n == 0)
		printf("%s\n", _("履歴はまだありません。", "no history yet."));
	for (size_t i = 0; i < n; i++) {
		printf(_("#%-4ld %s  %-12s 変更 %zu 件  設定 %s (%s)\n",
			 "#%-4ld %s  %-12s %zu changes  config %s (%s)\n"),
		       v[i].id, when(v[i].time, buf, sizeof(buf)), v[i].status, v[i].n_changes,
		       v[i].config_path ? v[i].config_path : "-",
		       v[i].config_hash ? v[i].config_hash : "-");
		print_summary(i18n_lang() == OQ_LANG_JA ? v[i].summary_ja : v[i].summary,
			      v[i].n_changes);
	}
	prov_history_free(v, n);
	return OQ_EXIT_OK;
}

/* The SSH line of status: off, or running or not with the host key's
 * fingerprint. */
static void print_ssh(const struct site *s, const struct prov_status *st)
{
	const char *fp = st->ssh_fingerprint ? st->ssh_fingerprint : _("(まだありません)", "(none yet)");
	struct oq_prefix a = s->lan_addr;
	char buf[64];

	a.len = a.family == AF_INET ? 32 : 128;
	if (!s->ssh && !st->ssh_running)
		printf("%s\n", _("SSH: 使いません (off)", "SSH: off"));
	else if (st->ssh_running)
		printf(_("SSH: 動作中 (%s の tcp/22、鍵だけ)  ホスト鍵 %s\n",
			 "SSH: running (tcp/22 on %s, keys only)  host key %s\n"),
		       a.family ? prefix_str(&a, buf, true) : "?", fp);
	else
		printf(_("SSH: 止まっています (apply で起動します)  ホスト鍵 %s\n",
			 "SSH: not running (apply starts it)  host key %s\n"), fp);
}

int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct prov_status st;
	char *cause = NULL, buf[CLOCK_BUF];
	int r;

	if ((r = no_args(argc, argv)) != 0)
		return r;
	if (prov_status_get(ctx->site, &st, &cause) < 0)
		return fail(cause, OQ_EXIT_CANT);
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "last", st.have_last ? entry_json(&st.last) : NULL);
		struct json_object *c = NULL;
		if (st.pending) {
			c = json_object_new_object();
			json_object_object_add(c, "history_id", json_object_new_int64(st.pending_id));
			json_object_object_add(c, "deadline", json_object_new_int64(st.deadline));
			json_object_object_add(c, "remaining_s", json_object_new_int64(st.remaining_s));
			json_object_object_add(c, "watcher_alive", json_object_new_boolean(st.watcher_alive));
		}
		json_object_object_add(o, "confirm", c);
		json_object_object_add(o, "interrupted_apply", json_object_new_boolean(st.journal));
		c = json_object_new_object();
		json_object_object_add(c, "enabled", json_object_new_boolean(ctx->site->ssh != 0));
		json_object_object_add(c, "running", json_object_new_boolean(st.ssh_running));
		json_object_object_add(c, "fingerprint", st.ssh_fingerprint ?
				       json_object_new_string(st.ssh_fingerprint) : NULL);
		json_object_object_add(o, "ssh", c);
		json_object_object_add(o, "monitor", monitor_status(ctx->site, true));
		r = cli_put_json(o) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
		prov_status_clear(&st);
		return r;
	}
	if (st.have_last)
		printf(_("最後の適用: #%ld  %s  %s (変更 %zu 件)\n",
			 "last apply: #%ld  %s  %s (%zu changes)\n"),
		       st.last.id, when(st.last.time, buf, sizeof(buf)), st.last.status,
		       st.last.n_changes);
	else
		printf("%s\n", _("最後の適用: なし", "last apply: none"));
	if (st.pending)
		printf(_("確認待ち: 適用 #%ld、あと %ld 秒 (%s まで) に 'oqlink confirm' がなければ元に戻します%s\n",
			 "waiting for confirmation: apply #%ld is undone in %ld s (at %s) unless 'oqlink confirm' comes%s\n"),
		       st.pending_id, st.remaining_s, when(st.deadline, buf, sizeof(buf)),
		       st.watcher_alive ? "" : _(" (見張りなし: 次のコマンドが戻します)",
						 " (no watcher: the next command reverts)"));
	else
		printf("%s\n", _("確認待ち: なし", "waiting for confirmation: none"));
	if (st.journal)
		printf("%s\n", _("中断された適用があります。次のコマンドが元に戻します。",
				 "an interrupted apply waits; the next command undoes it."));
	print_ssh(ctx->site, &st);
	monitor_status(ctx->site, false);
	prov_status_clear(&st);
	return OQ_EXIT_OK;
}

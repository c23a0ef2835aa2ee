/* oqlink ipsec up | down | status | log | export-swanctl | diagnose */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/clock.h"
#include "core/proposal.h"
#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"

/* The control log level asked for: --level, or -1 for --quiet, whichever
 * came last; dflt when neither. */
static int log_level(const struct cli_args *a, int dflt)
{
	if (cli_args_order(a, "quiet") > cli_args_order(a, "level"))
		return -1;
	return (int)cli_args_num(a, "level", dflt);
}

/* The ipsec commands take no operands; returns 0 or OQ_EXIT_USAGE. */
static int no_operands(int argc, char **argv)
{
	if (argc > 1) {
		cli_error(_("余分な引数があります: '%s'", "unexpected argument: '%s'"), argv[1]);
		return OQ_EXIT_USAGE;
	}
	return 0;
}

/* Print one log line: "12:34:56.789 [IKE] message". */
static void print_log(void *ctx, const struct ipsec_log_line *l)
{
	FILE *out = ctx;
	int64_t now = clock_wall_ms();
	char t[CLOCK_BUF];

	fprintf(out, "%s.%03d [%s] %s\n", clock_str(now, CLOCK_HMS, t), (int)(now % 1000),
		l->group, l->msg);
	fflush(out);
}

/* With --json, an error is a JSON document too: {"error": "..."}. */
static void put_json_error(struct cli_ctx *ctx, const char *cause)
{
	struct json_object *o;

	if (!ctx->json)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(cause ? cause : ""));
	cli_put_json(o);
}

/* Exit code for a library error: charon not there or not answering is
 * "could not run", anything else a failed check. */
static int exit_for(int err)
{
	switch (err) {
	case -ENOENT: case -ECONNREFUSED: case -EACCES: case -ETIMEDOUT: case -EPIPE:
		return OQ_EXIT_CANT;
	default:
		return OQ_EXIT_FAIL;
	}
}

/* The control log of `up`: printed at the level asked for, and kept to
 * name a likely cause when charon refuses. */
struct up_log {
	int level;
	char **lines;
	size_t n;
};

static void on_up_log(void *ctx, const struct ipsec_log_line *l)
{
	struct up_log *u = ctx;

	if (l->level <= u->level)
		print_log(stderr, l);
	if (u->n < 2000) {
		u->lines = xrealloc(u->lines, (u->n + 1) * sizeof(*u->lines));
		u->lines[u->n++] = xasprintf("[%s] %s", l->group, l->msg);
	}
}

/* After a refused negotiation: the cause the log points to, if any. */
static void print_likely_cause(const struct site *s, struct up_log *u)
{
	struct ipsec_diagnosis d = { 0 };

	ipsec_classify((const char *const *)u->lines, u->n,
		       s->auth == SITE_AUTH_PSK ? "psk" : "pubkey", &d);
	if (d.cause != IPSEC_CAUSE_UNKNOWN)
		fprintf(stderr, _("見込まれる原因: %s\n", "likely cause: %s\n"),
			bitext_get(d.title, i18n_lang()));
	fprintf(stderr, "%s\n", _("確かめるには 'oqlink ipsec diagnose' を実行してください。",
				  "Run 'oqlink ipsec diagnose' to find out for sure."));
	ipsec_diagnosis_clear(&d);
}

int cmd_ipsec_up(struct cli_ctx *ctx, int argc, char **argv)
{
	int level = log_level(ctx->args, 1);
	int timeout_ms = (int)cli_args_num(ctx->args, "timeout", IPSEC_UP_TIMEOUT_MS);
	struct up_log u = { 0 };
	char *cause = NULL;
	int64_t t0 = now_ms();
	int r, ret;

	if ((ret = no_operands(argc, argv)) != 0)
		return ret;
	u.level = level;
	r = ipsec_load(ctx->site, &cause);
	if (r == 0)
		r = ipsec_up(ctx->site, level > 1 ? level : 1, timeout_ms, on_up_log, &u, &cause);
	if (r < 0) {
		cli_error("%s", cause);
		ret = r == -EPROTO ? OQ_EXIT_FAIL : exit_for(r);
		if (r == -EPROTO)
			print_likely_cause(ctx->site, &u);
	} else {
		printf(_("トンネル '%s' を確立しました (%.2f 秒)\n",
			 "tunnel '%s' established (%.2f s)\n"),
		       IPSEC_CONN_NAME, (double)(now_ms() - t0) / 1000.0);
	}
	for (size_t i = 0; i < u.n; i++)
		free(u.lines[i]);
	free(u.lines);
	free(cause);
	return ret;
}

int cmd_ipsec_down(struct cli_ctx *ctx, int argc, char **argv)
{
	int level = log_level(ctx->args, 1);
	bool unload = cli_args_has(ctx->args, "unload");
	char *cause = NULL;
	int r, ret;

	if ((ret = no_operands(argc, argv)) != 0)
		return ret;
	r = ipsec_down(ctx->site, level,
		       (int)cli_args_num(ctx->args, "timeout", IPSEC_TIMEOUT_MS * 2),
		       level >= 0 ? print_log : NULL, stderr, &cause);
	if (r == 0 && unload)
		r = ipsec_unload(ctx->site, &cause);
	if (r < 0) {
		cli_error("%s", cause);
		ret = exit_for(r);
	} else {
		printf(unload ? _("トンネル '%s' を閉じ、設定を charon から外しました\n",
				    "tunnel '%s' closed and unloaded from charon\n")
				: _("トンネル '%s' を閉じました\n", "tunnel '%s' closed\n"),
		       IPSEC_CONN_NAME);
	}
	free(cause);
	return ret;
}

/* "1 時間 02 分 03 秒" / "1h 02m 03s" for a number of seconds. */
static void print_duration(char *buf, size_t size, uint64_t s)
{
	unsigned long long h = s / 3600, m = s / 60 % 60, sec = s % 60;

	if (s >= 3600)
		snprintf(buf, size, _("%llu 時間 %02llu 分 %02llu 秒", "%lluh %02llum %02llus"), h, m, sec);
	else if (s >= 60)
		snprintf(buf, size, _("%llu 分 %02llu 秒", "%llum %02llus"), h * 60 + m, sec);
	else
		snprintf(buf, size, _("%llu 秒", "%llus"), sec);
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* One label and value, the label padded to a display width. */
static void row(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row(const char *label, const char *fmt, ...)
{
	va_list ap;
	char *pad = str_pad(label, 16);

	printf("  %s ", pad);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	free(pad);
}

static void print_child(const struct ipsec_child_sa *c)
{
	char d1[32], d2[32];

	printf("  CHILD_SA %s #%llu: %s\n", or_dash(c->name), (unsigned long long)c->uniqueid,
	       or_dash(c->state));
	row(_("方式", "mode"), "%s/%s%s", or_dash(c->protocol), or_dash(c->mode),
	    c->encap ? _(" (UDP カプセル化)", " (UDP encapsulated)") : "");
	row("SPI", "in %s  out %s", or_dash(c->spi_in), or_dash(c->spi_out));
	row(_("暗号", "algorithms"), "%s-%llu %s %s", or_dash(c->encr_alg),
	    (unsigned long long)c->encr_keysize, c->integ_alg ? c->integ_alg : "",
	    c->dh_group ? c->dh_group : "");
	for (size_t i = 0; i < c->n_local_ts; i++)
		row(_("自側セレクタ", "local TS"), "%s", c->local_ts[i]);
	for (size_t i = 0; i < c->n_remote_ts; i++)
		row(_("相手側セレクタ", "remote TS"), "%s", c->remote_ts[i]);
	row(_("受信", "in"), _("%llu バイト, %llu パケット", "%llu bytes, %llu packets"),
	    (unsigned long long)c->bytes_in, (unsigned long long)c->packets_in);
	row(_("送信", "out"), _("%llu バイト, %llu パケット", "%llu bytes, %llu packets"),
	    (unsigned long long)c->bytes_out, (unsigned long long)c->packets_out);
	print_duration(d1, sizeof(d1), c->install_time);
	print_duration(d2, sizeof(d2), c->rekey_time);
	row(_("確立から", "installed"), _("%s前 (鍵更新まで %s)", "%s ago (rekey in %s)"), d1, d2);
}

static void print_ike(const struct ipsec_ike_sa *s)
{
	char d1[32], d2[32];

	printf("IKE_SA %s #%llu: %s (IKEv%llu)\n", s->name, (unsigned long long)s->uniqueid,
	       or_dash(s->state), (unsigned long long)s->version);
	row(_("自側", "local"), "%s[%llu] %s", or_dash(s->local_host),
	    (unsigned long long)s->local_port, or_dash(s->local_id));
	row(_("相手側", "remote"), "%s[%llu] %s", or_dash(s->remote_host),
	    (unsigned long long)s->remote_port, or_dash(s->remote_id));
	row(_("暗号", "algorithms"), "%s-%llu %s %s %s", or_dash(s->encr_alg),
	    (unsigned long long)s->encr_keysize, s->integ_alg ? s->integ_alg : "",
	    or_dash(s->prf_alg), or_dash(s->dh_group));
	row("NAT", "%s", s->nat_any ? (s->nat_local ? _("自側が NAT の内側", "local side behind NAT")
				    : s->nat_remote ? _("相手側が NAT の内側", "remote side behind NAT")
				    : _("NAT を模擬 (UDP 4500 を強制)", "faked (UDP 4500 forced)"))
				  : _("なし", "none"));
	row("SPI", "%s_i %s_r", or_dash(s->initiator_spi), or_dash(s->responder_spi));
	print_duration(d1, sizeof(d1), s->established);
	print_duration(d2, sizeof(d2), s->rekey_time);
	row(_("確立から", "established"), _("%s前 (鍵更新まで %s)", "%s ago (rekey in %s)"), d1, d2);
	for (size_t i = 0; i < s->n_children; i++)
		print_child(&s->children[i]);
}

/* What oqlink has loaded into charon and whether the connection there is
 * the one the site config asks for. */
struct loaded_state {
	struct ipsec_loaded items;
	bool queried;
	char **differs;			/* NULL when it matches */
};

static void query_loaded(const struct site *s, struct loaded_state *st)
{
	struct ipsec_conn want, have;
	bool loaded = false;

	memset(st, 0, sizeof(*st));
	if (ipsec_loaded_query(s, &st->items, NULL) < 0)
		return;
	st->queried = true;
	if (ipsec_conn_from_site(s, &want, NULL) < 0)
		return;
	if (ipsec_conn_query(s->vici_socket, &have, &loaded, NULL) == 0 && loaded) {
		st->differs = ipsec_conn_diff(&want, &have);
		ipsec_conn_clear(&have);
	}
	ipsec_conn_clear(&want);
}

static struct json_object *loaded_json(const struct loaded_state *st)
{
	struct json_object *o = json_object_new_object(), *d = json_object_new_array();

	json_object_object_add(o, "connection", json_object_new_boolean(st->items.conn));
	json_object_object_add(o, "authority", json_object_new_boolean(st->items.authority));
	json_object_object_add(o, "key", json_object_new_boolean(st->items.key));
	json_object_object_add(o, "psk", json_object_new_boolean(st->items.psk));
	for (char **p = st->differs; p && *p; p++)
		json_object_array_add(d, json_object_new_string(*p));
	json_object_object_add(o, "differs_from_config", d);
	return o;
}

static void print_loaded(const struct loaded_state *st)
{
	char list[256] = "";

	if (!st->queried)
		return;
	if (!st->items.conn) {
		printf(_("接続 '%s': 読み込まれていません ('oqlink ipsec up' で読み込みます)\n",
			 "connection '%s': not loaded ('oqlink ipsec up' loads it)\n"), IPSEC_CONN_NAME);
		return;
	}
	if (st->differs == NULL) {
		printf(_("接続 '%s': 読み込み済み、設定ファイルと一致\n",
			 "connection '%s': loaded, matches the site config\n"), IPSEC_CONN_NAME);
		return;
	}
	for (char **p = st->differs; *p; p++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 p == st->differs ? "" : ", ", *p);
	printf(_("接続 '%s': 読み込み済み、設定ファイルと違う項目: %s ('oqlink ipsec up' で読み込み直します)\n",
		 "connection '%s': loaded, differs from the site config in: %s ('oqlink ipsec up' reloads it)\n"),
	       IPSEC_CONN_NAME, list);
}

int cmd_ipsec_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct loaded_state st;
	struct ipsec_sas sas;
	char *cause = NULL;
	int r, ret;

	if ((ret = no_operands(argc, argv)) != 0)
		return ret;
	r = ipsec_sas_get(ctx->site->vici_socket, NULL, &sas, &cause);
	if (r < 0) {
		cli_error("%s", cause);
		put_json_error(ctx, cause);
		free(cause);
		return exit_for(r);
	}
	query_loaded(ctx->site, &st);
	const struct ipsec_ike_sa *ours = ipsec_sas_ours(&sas);
	const struct ipsec_child_sa *child = ipsec_ike_child(ours);
	bool up = ours && ours->state && strcmp(ours->state, "ESTABLISHED") == 0 && child &&
		  child->state && strcmp(child->state, "INSTALLED") == 0;
	if (ctx->json) {
		struct json_object *j = ipsec_sas_to_json(&sas);
		json_object_object_add(j, "loaded", loaded_json(&st));
		if (cli_put_json(j) < 0)
			ret = OQ_EXIT_CANT;
	} else {
		print_loaded(&st);
		if (sas.n == 0)
			printf("%s\n", _("IKE_SA はありません (トンネルは確立していません)",
					 "no IKE_SA (the tunnel is not up)"));
		for (size_t i = 0; i < sas.n; i++)
			print_ike(&sas.v[i]);
	}
	str_list_free(st.differs);
	ipsec_sas_free(&sas);
	return ret ? ret : up ? OQ_EXIT_OK : OQ_EXIT_FAIL;
}

static volatile int log_stop;

static void on_signal(int sig)
{
	log_stop = 1;
}

int cmd_ipsec_log(struct cli_ctx *ctx, int argc, char **argv)
{
	long long timeout_ms = cli_args_num(ctx->args, "timeout", 0);
	struct sigaction sa = { .sa_handler = on_signal };
	char *cause = NULL;
	int r, ret;

	if ((ret = no_operands(argc, argv)) != 0)
		return ret;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (timeout_ms) {
		sigaction(SIGALRM, &sa, NULL);
		alarm((unsigned)((timeout_ms + 999) / 1000));	/* whole seconds, rounded up */
	}
	r = ipsec_log_follow(ctx->site->vici_socket, (int)cli_args_num(ctx->args, "level", 1),
			     cli_args_get(ctx->args, "group"), print_log, stdout, &log_stop, &cause);
	if (r < 0) {
		cli_error("%s", cause);
		ret = exit_for(r);
	}
	free(cause);
	return ret;
}

int cmd_ipsec_export(struct cli_ctx *ctx, int argc, char **argv)
{
	char *text;
	int ret;

	if ((ret = no_operands(argc, argv)) != 0)
		return ret;
	text = ipsec_export_swanctl(ctx->site);
	if (text == NULL) {
		cli_error(_("接続を組み立てられません。'oqlink config check' を見てください",
			    "cannot build the connection; see 'oqlink config check'"));
		return OQ_EXIT_USAGE;
	}
	fputs(text, stdout);
	free(text);
	return OQ_EXIT_OK;
}

/* The human view of a diagnosis. */
static void print_diagnosis(const struct ipsec_diagnosis *d, int verbose)
{
	enum oq_lang l = i18n_lang();
	char t0[CLOCK_BUF], t1[CLOCK_BUF];

	printf("%s %s\n", d->cause == IPSEC_CAUSE_OK ? "[OK]" : "[NG]", bitext_get(d->title, l));
	printf("  %s\n", bitext_get(d->explain, l));
	if (d->detail)
		printf("  %s\n", d->detail);
	if (ipsec_phase_name(d->phase))
		printf(_("  止まった段階: %s\n", "  stopped in: %s\n"), ipsec_phase_name(d->phase));
	printf(_("\n時刻: %s 〜 %s\n", "\nTime: %s to %s\n"), clock_str(d->started, CLOCK_HUMAN, t0),
	       clock_str(d->ended, CLOCK_HUMAN, t1));
	printf(_("アドレス: こちら %s → ゲートウェイ %s\n", "Addresses: ours %s → the gateway %s\n"),
	       d->local ? d->local : "-", d->remote ? d->remote : "-");
	if (d->n_evidence) {
		printf("\n%s\n", _("証拠:", "Evidence:"));
		for (size_t i = 0; i < d->n_evidence; i++)
			printf("  %s\n", d->evidence[i]);
	}
	printf("\n%s\n  %s\n", _("次の手順:", "Next step:"), bitext_get(d->next, l));
	printf("\n%s", _("所要時間:", "Timings:"));
	if (d->ike_ms >= 0)
		printf(" IKE_SA %lld ms", (long long)d->ike_ms);
	if (d->child_ms >= 0)
		printf(" CHILD_SA %lld ms", (long long)d->child_ms);
	printf(_(" 合計 %lld ms\n", " total %lld ms\n"), (long long)d->total_ms);
	if (verbose && d->n_log) {
		printf("\n%s\n", _("charon のログ:", "charon's log:"));
		for (size_t i = 0; i < d->n_log; i++)
			printf("  %s\n", d->log[i]);
	}
}

/* diagnose closes the tunnel to watch it come up: when it is up, ask on
 * the terminal first; with no terminal to ask, refuse. 0 to go on, else
 * the exit code. */
static int confirm_teardown(struct cli_ctx *ctx)
{
	char answer[16] = "";
	bool up = false;

	if (ipsec_is_up(ctx->site, &up, NULL) < 0 || !up)
		return 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		cli_error(_("トンネルは確立しています。diagnose はいったん閉じて張り直すため通信が途切れます。"
			    "確認する端末がないので中止しました (続けるには --yes を付けてください)",
			    "the tunnel is up; diagnose closes it and brings it up again, interrupting "
			    "traffic. There is no terminal to ask, so nothing was done (add --yes to go on)"));
		return OQ_EXIT_USAGE;
	}
	fprintf(stderr, "%s", _("トンネルは確立しています。diagnose はいったん閉じて張り直すため通信が途切れます。続けますか? [y/N] ",
				"The tunnel is up; diagnose closes it and brings it up again, interrupting traffic. Go on? [y/N] "));
	if (fgets(answer, sizeof(answer), stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) {
		cli_error(_("中止しました", "nothing was done"));
		return OQ_EXIT_USAGE;
	}
	return 0;
}

int cmd_ipsec_diagnose(struct cli_ctx *ctx, int argc, char **argv)
{
	int level = log_level(ctx->args, -1);
	struct ipsec_diagnosis d;
	char *cause = NULL;
	int r, ret;

	if ((ret = no_operands(argc, argv)) != 0)
		return ret;
	if (!cli_args_has(ctx->args, "yes") && (ret = confirm_teardown(ctx)) != 0)
		return ret;
	r = ipsec_diagnose(ctx->site, cli_args_get(ctx->args, "ping"),
			   (int)cli_args_num(ctx->args, "timeout", 20000),
			   level >= 0 ? print_log : NULL, stderr, &d, &cause);
	if (r < 0) {
		cli_error("%s", cause);
		put_json_error(ctx, cause);
		free(cause);
		return exit_for(r);
	}
	if (ctx->json) {
		if (cli_put_json(ipsec_diagnosis_to_json(&d)) < 0)
			ret = OQ_EXIT_CANT;
	} else {
		print_diagnosis(&d, ctx->verbose);
	}
	if (ret == 0)
		ret = d.cause == IPSEC_CAUSE_OK ? OQ_EXIT_OK :
		      d.cause == IPSEC_CAUSE_CHARON ? OQ_EXIT_CANT : OQ_EXIT_FAIL;
	ipsec_diagnosis_clear(&d);
	return ret;
}

/* The keyword table, as text or JSON. */
static int print_keywords(struct cli_ctx *ctx)
{
	struct json_object *a = ctx->json ? json_object_new_array() : NULL;

	if (!ctx->json)
		printf("%-24s %-5s %-26s %s\n", _("キーワード", "keyword"), _("種別", "type"),
		       _("アルゴリズム", "algorithm"), _("鍵長", "key size"));
	for (size_t i = 0; i < proposal_keyword_count(); i++) {
		const struct proposal_keyword *k = proposal_keyword_at(i);
		if (a) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "keyword", json_object_new_string(k->name));
			json_object_object_add(o, "type", json_object_new_string(proposal_type_name(k->type)));
			json_object_object_add(o, "algorithm", json_object_new_string(k->algorithm));
			json_object_object_add(o, "key_size", json_object_new_int((int)k->key_size));
			json_object_object_add(o, "aead", json_object_new_boolean(k->flags & PK_AEAD));
			json_object_object_add(o, "strongswan6_only",
					       json_object_new_boolean(k->flags & PK_V6));
			json_object_array_add(a, o);
			continue;
		}
		printf("%-24s %-5s %-26s %u%s\n", k->name, proposal_type_name(k->type), k->algorithm,
		       k->key_size, k->flags & PK_V6 ? _("  (strongSwan 6.0 以降)", "  (strongSwan 6.0 and later)") : "");
	}
	return a && cli_put_json(a) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
}

int cmd_ipsec_proposals(struct cli_ctx *ctx, int argc, char **argv)
{
	struct json_object *a;
	int ret = OQ_EXIT_OK;
	/* of --ike and --esp, the later one counts */
	int kind = cli_args_order(ctx->args, "ike") > cli_args_order(ctx->args, "esp") ? 'i' :
		   cli_args_has(ctx->args, "esp") ? 'e' : 0;

	if (kind == 0 && argc == 1)
		return print_keywords(ctx);
	if (kind == 0 || argc == 1) {
		cli_error(_("--ike か --esp と、提案をひとつ以上書いてください",
			    "give --ike or --esp and one or more proposals"));
		return OQ_EXIT_USAGE;
	}
	a = ctx->json ? json_object_new_array() : NULL;
	for (int i = 1; i < argc; i++) {
		char *cause = NULL, *why = NULL;
		bool ok = proposal_check(argv[i], kind == 'i', &cause);
		bool allowed = ok && proposal_allowed(argv[i], kind == 'i', &why);
		if (!allowed)
			ret = OQ_EXIT_FAIL;
		if (a) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "proposal", json_object_new_string(argv[i]));
			json_object_object_add(o, "valid", json_object_new_boolean(ok));
			json_object_object_add(o, "allowed", json_object_new_boolean(allowed));
			json_object_object_add(o, "problem", cause ? json_object_new_string(cause) :
							     why ? json_object_new_string(why) : NULL);
			json_object_array_add(a, o);
		} else {
			printf("%s: %s\n", argv[i], allowed ? "ok" : cause ? cause : why);
		}
		free(cause);
		free(why);
	}
	if (a && cli_put_json(a) < 0)
		ret = OQ_EXIT_CANT;
	return ret;
}

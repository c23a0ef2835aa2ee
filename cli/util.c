/* The command layer's shared helpers: the global options and those of
 * `oqlink monitor`, printing an error, loading the site config with its
 * diagnostics, JSON on stdout. Apart from the command table, so that
 * oqlink-monitor (cli/keeper_main.c) links them alone. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"

static const char *const lang_words[] = { "ja", "en", NULL };

const struct cli_option cli_global_options[] = {
	{ .name = "config", .letter = 'c', .arg = CLI_ARG_PATH, .meta = "FILE",
	  .flags = CLI_OPT_ANYWHERE,
	  .help = BT("設定ファイル (既定 " SITE_DEFAULT_PATH ")",
		     "the site config (default " SITE_DEFAULT_PATH ")") },
	{ .name = "json", .letter = 'j', .flags = CLI_OPT_ANYWHERE,
	  .help = BT("標準出力に JSON の文書をひとつ出す", "print one JSON document on stdout") },
	{ .name = "lang", .arg = CLI_ARG_ENUM, .words = lang_words, .flags = CLI_OPT_ANYWHERE,
	  .help = BT("表示の言語 (既定は環境変数から)", "the language shown (default: from the environment)") },
	{ .name = "verbose", .letter = 'v', .flags = CLI_OPT_ANYWHERE,
	  .help = BT("詳しく表示する (重ねられます)", "show more (may be repeated)") },
	{ .name = "version", .letter = 'V', .help = BT("版数を表示する", "show the version") },
	{ .name = "help", .letter = 'h', .help = BT("使い方を表示する", "show how to use oqlink") },
	{ .name = NULL },
};

static const char *const monitor_child_words[] = { "restore", "confirm", "probes", NULL };

const struct cli_option cli_monitor_options[] = {
	OPT_DB,
	{ .name = "no-restore",
	  .help = BT("起動時に最後に確定した適用を戻さない", "do not restore the last confirmed apply at start") },
	{ .name = "child", .arg = CLI_ARG_ENUM, .words = monitor_child_words, .flags = CLI_OPT_HIDDEN,
	  .help = BT("見張り自身が使う: 仕事をひとつこのプロセスで行い JSON で出す (restore、confirm、probes ID...)",
		     "for the keeper itself: do one piece of its work here and print it as JSON (restore, confirm, probes ID...)") },
	{ .name = "certs", .flags = CLI_OPT_HIDDEN,
	  .help = BT("見張り自身が使う: --child probes で証明書も読む",
		     "for the keeper itself: with --child probes, read the certificates too") },
	{ .name = NULL },
};

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("oqlink: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_config_failed(const char *path, const struct site_diags *d)
{
	bool missing = false, denied = false, other = false;

	site_diags_print(d, stderr);
	for (size_t i = 0; i < d->n; i++) {
		bool m = d->v[i].err == ENOENT && d->v[i].line == 0 && strcmp(d->v[i].file, path) == 0;
		bool a = d->v[i].err == EACCES;
		missing |= m;
		denied |= a;
		other |= !m && !a;
	}
	if (missing && strcmp(path, SITE_DEFAULT_PATH) == 0)
		cli_error(_("設定ファイル %s がまだありません。端末で引数なしの 'oqlink' を実行すると、"
			    "設定ファイルを作る設定画面 (ウィザード) が開きます",
			    "there is no config file %s yet; plain 'oqlink' on a terminal opens the "
			    "setup wizard that creates it"), path);
	else if (missing)
		cli_error(_("設定ファイル %1$s がまだありません。端末で 'oqlink --config %1$s' を実行すると、"
			    "設定ファイルを作る設定画面 (ウィザード) が開きます",
			    "there is no config file %1$s yet; 'oqlink --config %1$s' on a terminal opens the "
			    "setup wizard that creates it"), path);
	if (denied && geteuid() != 0)
		cli_error(_("権限の問題です: 設定が名指すファイルを読む権限がありません。"
			    "oqlink は root で実行してください (sudo oqlink ...)",
			    "a permission problem: oqlink may not read a file the config names; "
			    "oqlink needs root (sudo oqlink ...)"));
	else if (denied)
		cli_error(_("権限の問題です: 設定が名指すファイルを読めません。ファイルの所有者とモードを確認してください",
			    "a permission problem: a file the config names cannot be read; check its owner and mode"));
	if (other || (!missing && !denied))
		cli_error(_("設定に誤りがあります。'oqlink config check' で確認してください",
			    "the site config has errors; see 'oqlink config check'"));
	return denied && !missing && !other ? OQ_EXIT_CANT : OQ_EXIT_USAGE;
}

int cli_load_config(struct cli_ctx *ctx)
{
	struct site_diags diags = { 0 };

	ctx->site = site_load(ctx->config_path, true, &diags);
	if (ctx->site == NULL) {
		int ret = cli_config_failed(ctx->config_path, &diags);
		site_diags_free(&diags);
		return ret;
	}
	site_diags_free(&diags);
	return cli_set_zone(ctx->site);
}

int cli_set_zone(const struct site *site)
{
	char *cause = NULL;

	if (site == NULL || site->timezone == NULL)
		return 0;
	if (clock_set_zone(site->timezone, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return OQ_EXIT_USAGE;
	}
	return 0;
}

int cli_put_json(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	int r = 0;

	if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF)
		r = -EIO;
	json_object_put(o);
	return r;
}

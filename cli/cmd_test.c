/* oqlink test: the operational test. Runs the whole probe suite with a
 * capture and writes the report (HTML, JSON, text) and the pcap into the
 * report directory. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/probe.h"
#include "report/report.h"

static volatile int cancelled;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
}

/* One line per finished probe on stderr, so stdout stays the result. */
static int progress(void *ctx, enum probe_event ev, size_t index, const struct probe_result *r)
{
	const bool *show = ctx;

	if (!*show || ev != PROBE_EV_DONE || r == NULL)
		return 0;
	char *id = str_pad(r->id ? r->id : "", 10);
	char *v = str_pad(probe_verdict_name(r->verdict), 7);
	fprintf(stderr, "  %s %s %s\n", id, v, bitext_get(r->title, i18n_lang()));
	free(id);
	free(v);
	return 0;
}

/* The pcap the capture probe kept, or NULL. */
static const char *capture_file(const struct probe_run *run)
{
	for (size_t i = 0; i < run->n; i++) {
		const struct probe_result *r = &run->results[i];
		if (r->id == NULL || strcmp(r->id, "capture") != 0)
			continue;
		for (size_t k = 0; k < r->n_values; k++)
			if (strcmp(r->values[k].key, "pcap") == 0 && r->values[k].text &&
			    *r->values[k].text)
				return r->values[k].text;
	}
	return NULL;
}

/* The report could not be written whole (a full disk, most often): give
 * the engineer what there is, the text report on stdout and the files that
 * were written, and say which one is missing and why. */
static int report_cut_short(struct cli_ctx *ctx, const struct report *r, char **paths,
			    const char *cause)
{
	if (!ctx->json) {
		char *text = report_text(r);

		fputs(text, stdout);
		free(text);
		if (paths[0] != NULL)
			printf("%s\n", _("書けた報告書:", "Report files written:"));
	}
	cmd_report_announce(ctx, r, paths);
	cli_error("%s", cause);
	cli_error(_("報告書を全部は書けませんでした。上の結果を控え、出力先の空きを確認してください",
		    "the report could not be written whole: keep the results above and check the space left in the report directory"));
	return OQ_EXIT_CANT;
}

int cmd_test(struct cli_ctx *ctx, int argc, char **argv)
{
	struct probe_options opt = { .cancel = &cancelled };
	struct probe_run run = { 0 };
	struct report_meta meta, given;
	struct report *r = NULL;
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	const struct cli_args *a = ctx->args;
	const char *dir = cli_args_get(a, "report-dir");
	char *cause = NULL, **paths = NULL;
	bool show = !ctx->json;
	int ret;

	memset(&given, 0, sizeof(given));
	if ((ret = cmd_visit_options(a, &given)) != 0)
		return ret;
	ret = OQ_EXIT_CANT;
	opt.total_timeout_ms = (int)cli_args_num(a, "timeout", 0);
	if (argc > 1) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[1]);
		return OQ_EXIT_USAGE;
	}
	if (dir == NULL)
		dir = ctx->site->report_dir ? ctx->site->report_dir : "/var/lib/oqlink/reports";
	if (mkdir_p(dir, 0755, &cause) < 0) {
		cli_error("%s", cause);
		goto out;
	}
	opt.out_dir = dir;
	if (given.work_start_ms == 0)
		given.work_start_ms = clock_wall_ms();	/* the work is this run */
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (show)
		fprintf(stderr, "%s\n", _("運用テストを実行しています...", "Running the operational test..."));
	int rr = probe_run_all(ctx->site, NULL, 0, &opt, progress, &show, &run, &cause);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rr < 0) {
		cli_error("%s", cause);
		goto out;
	}
	report_meta_collect(&meta, ctx->site);
	meta.engineer = cli_args_get(a, "engineer");
	meta.witness = cli_args_get(a, "witness");
	meta.pcap_path = capture_file(&run);
	cmd_visit_copy(&meta, &given);
	if ((ret = cmd_report_number(ctx->site, &meta)) != 0)
		goto out;
	ret = OQ_EXIT_CANT;
	r = report_new(ctx->site, &run, &meta);
	if (report_write(r, dir, &paths, &cause) < 0) {
		ret = report_cut_short(ctx, r, paths, cause);
		goto out;
	}
	if (!ctx->json) {
		char *table = report_verdict_table(r);
		printf("\n%s\n", table);
		free(table);
		printf("%s\n", _("報告書:", "Report:"));
	}
	ret = cmd_report_announce(ctx, r, paths);
	if (ret == 0 && cancelled) {
		cli_error(_("中断されました。報告書は途中までの結果です",
			    "interrupted: the report holds the results so far"));
		ret = OQ_EXIT_FAIL;
	}
	if (ret == 0)
		ret = cmd_report_exit(report_overall(r));
out:
	str_list_free(paths);
	report_free(r);
	probe_run_free(&run);
	free(cause);
	return ret;
}

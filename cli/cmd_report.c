/* oqlink report render | compare | export: the operational-test report from
 * a recorded probe run, what changed between two visits, and the newest
 * report copied away (to a directory or a USB memory). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/probe.h"
#include "report/report.h"

/* Largest report or probe-run JSON we read. */
#define JSON_MAX (16u << 20)

/* Read all of stdin (at most JSON_MAX bytes) into a new string. */
static int read_stdin(char **data, char **cause)
{
	size_t n = 0, cap = 65536, got;
	char *buf = xmalloc(cap);

	while ((got = fread(buf + n, 1, cap - n - 1, stdin)) > 0) {
		n += got;
		if (n > JSON_MAX) {
			free(buf);
			return cause_set(cause, EFBIG, _("標準入力が大きすぎます", "stdin is too large"));
		}
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[n] = '\0';
	*data = buf;
	return 0;
}

/* Read and parse a JSON file ("-": stdin); prints why not. */
static struct json_object *read_json(const char *path)
{
	char *data = NULL, *cause = NULL;
	struct json_object *o = NULL;
	enum json_tokener_error err = json_tokener_success;
	int r = strcmp(path, "-") == 0 ? read_stdin(&data, &cause)
				       : file_read(path, JSON_MAX, &data, NULL, &cause);

	if (r < 0) {
		cli_error("%s", cause);
		free(cause);
		return NULL;
	}
	o = json_tokener_parse_verbose(data, &err);
	if (o == NULL)
		cli_error(_("%s: JSON として読めません: %s", "%s: not valid JSON: %s"), path,
			  json_tokener_error_desc(err));
	free(data);
	return o;
}

/* The exit code that a report's overall verdict means. */
int cmd_report_exit(enum probe_verdict overall)
{
	return overall == PROBE_PASS || overall == PROBE_SKIP ? OQ_EXIT_OK : OQ_EXIT_FAIL;
}

/* Print the paths written, or with --json one document naming them. */
int cmd_report_announce(struct cli_ctx *ctx, const struct report *r, char **paths)
{
	if (ctx->json) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		for (size_t i = 0; paths[i]; i++)
			json_object_array_add(a, json_object_new_string(paths[i]));
		json_object_object_add(o, "overall",
				       json_object_new_string(probe_verdict_name(report_overall(r))));
		json_object_object_add(o, "files", a);
		return cli_put_json(o) < 0 ? OQ_EXIT_CANT : 0;
	}
	for (size_t i = 0; paths[i]; i++)
		printf("%s\n", paths[i]);
	return 0;
}

int cmd_visit_options(const struct cli_args *a, struct report_meta *meta)
{
	const char *const *ids = report_task_ids();
	const char *start = cli_args_get(a, "start"), *checked = cli_args_get(a, "checked");
	int ret = 0;

	meta->note = cli_args_get(a, "note");
	meta->terminal = cli_args_get(a, "terminal");
	meta->followup = cli_args_get(a, "followup");
	if (start && !report_parse_time(start, &meta->work_start_ms)) {
		cli_error(_("--start の形式は 2026-04-01T10:30:00+09:00 か @秒数です: '%s'",
			    "--start takes 2026-04-01T10:30:00+09:00 or @SECONDS: '%s'"), start);
		return OQ_EXIT_USAGE;
	}
	if (checked == NULL)
		return 0;
	size_t n = 0;
	char **words = str_split_list(checked, &n);
	for (size_t i = 0; i < n && ret == 0; i++) {
		size_t k = 0;
		while (ids[k] && strcmp(ids[k], words[i]) != 0)
			k++;
		if (ids[k] == NULL) {
			char *all = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&all, &len);
			for (k = 0; ids[k]; k++)
				fprintf(m, "%s%s", k ? ", " : "", ids[k]);
			fclose(m);
			cli_error(_("--checked の作業 '%s' はありません (%s のいずれか)",
				    "--checked: no on-site task '%s' (one of %s)"), words[i], all);
			free(all);
			ret = OQ_EXIT_USAGE;
		}
	}
	str_list_free(words);
	meta->checked = checked;
	return ret;
}

void cmd_visit_copy(struct report_meta *to, const struct report_meta *from)
{
	to->note = from->note;
	to->terminal = from->terminal;
	to->followup = from->followup;
	to->checked = from->checked;
	to->work_start_ms = from->work_start_ms;
	to->number = from->number;
}

int cmd_report_number(const struct site *site, struct report_meta *meta)
{
	char *cause = NULL;

	if (meta->number)
		return 0;
	if (report_number_next(site->state_dir ? site->state_dir : "/var/lib/oqlink",
			       site->facility_code, &meta->number, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return OQ_EXIT_CANT;
	}
	return 0;
}

/* Print one form of the report to stdout: "html", "json" or "text". */
static int print_form(const struct report *r, const char *form)
{
	static const struct {
		const char *name;
		char *(*make)(const struct report *);
	} forms[] = { { "html", report_html }, { "json", report_json }, { "text", report_text } };

	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		if (strcmp(forms[i].name, form) != 0)
			continue;
		char *s = forms[i].make(r);
		int bad = fputs(s, stdout) == EOF;
		free(s);
		return bad ? OQ_EXIT_CANT : 0;
	}
	cli_error(_("--print は html、json、text のいずれかです: '%s'",
		    "--print takes html, json or text: '%s'"), form);
	return OQ_EXIT_USAGE;
}

int cmd_report_render(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_args *a = ctx->args;
	const char *dir = cli_args_get(a, "report-dir"), *print = cli_args_get(a, "print");
	const char *host = cli_args_get(a, "hostname");
	struct report_meta meta;
	struct site_diags diags = { 0 };
	struct probe_run run = { 0 };
	struct json_object *o = NULL;
	struct report *r = NULL;
	struct site *site = NULL;
	char *cause = NULL, **paths = NULL;
	int64_t t = 0;
	int ret;

	memset(&meta, 0, sizeof(meta));
	if ((ret = cmd_visit_options(a, &meta)) != 0)
		return ret;
	meta.number = (unsigned long)cli_args_num(a, "number", 0);
	meta.engineer = cli_args_get(a, "engineer");
	meta.witness = cli_args_get(a, "witness");
	meta.pcap_path = cli_args_get(a, "pcap");
	if (cli_args_get(a, "time") && !report_parse_time(cli_args_get(a, "time"), &t)) {
		cli_error(_("--time の形式は 2026-04-01T10:30:00+09:00 か @秒数です: '%s'",
			    "--time takes 2026-04-01T10:30:00+09:00 or @SECONDS: '%s'"),
			  cli_args_get(a, "time"));
		return OQ_EXIT_USAGE;
	}
	if (argc != 2) {
		cli_error(_("記録した検査結果の JSON をひとつ指定してください",
			    "name one recorded probe-run JSON file"));
		return OQ_EXIT_USAGE;
	}
	/* the report needs the config's facts, not its files: secrets stay unread */
	site = site_load(ctx->config_path, false, &diags);
	if (site == NULL) {
		ret = cli_config_failed(ctx->config_path, &diags);
		goto out;
	}
	if ((ret = cli_set_zone(site)) != 0)
		goto out;
	ret = OQ_EXIT_CANT;
	if ((o = read_json(argv[1])) == NULL)
		goto out;
	if (probe_run_from_json(o, &run, &cause) < 0) {
		cli_error("%s: %s", argv[1], cause);
		ret = OQ_EXIT_USAGE;
		goto out;
	}
	struct report_meta given = meta;
	report_meta_collect(&meta, site);
	meta.engineer = given.engineer;
	meta.witness = given.witness;
	meta.pcap_path = given.pcap_path;
	cmd_visit_copy(&meta, &given);
	/* a number is taken for a report written, not for one printed to look at */
	if (print == NULL && (ret = cmd_report_number(site, &meta)) != 0)
		goto out;
	ret = OQ_EXIT_CANT;
	if (cli_args_has(a, "time"))
		meta.time_ms = t;
	if (host)
		snprintf(meta.hostname, sizeof(meta.hostname), "%s", host);
	r = report_new(site, &run, &meta);
	if (print) {
		ret = print_form(r, print);
	} else if (report_write(r, dir ? dir : ".", &paths, &cause) < 0) {
		cli_error("%s", cause);
		goto out;
	} else {
		ret = cmd_report_announce(ctx, r, paths);
	}
	if (ret == 0)
		ret = cmd_report_exit(report_overall(r));
out:
	str_list_free(paths);
	report_free(r);
	probe_run_free(&run);
	json_object_put(o);
	site_diags_free(&diags);
	site_free(site);
	free(cause);
	return ret;
}

int cmd_report_compare(struct cli_ctx *ctx, int argc, char **argv)
{
	struct json_object *old_o = NULL, *new_o = NULL;
	struct report_diff *d = NULL;
	char *cause = NULL;
	int ret = OQ_EXIT_CANT;

	if (argc != 3) {
		cli_error(_("使い方: oqlink report compare OLD.json NEW.json",
			    "usage: oqlink report compare OLD.json NEW.json"));
		return OQ_EXIT_USAGE;
	}
	if ((old_o = read_json(argv[1])) == NULL || (new_o = read_json(argv[2])) == NULL)
		goto out;
	if (report_compare(old_o, new_o, &d, &cause) < 0) {
		cli_error("%s", cause);
		ret = OQ_EXIT_USAGE;
		goto out;
	}
	if (ctx->json) {
		ret = cli_put_json(report_diff_to_json(d)) < 0 ? OQ_EXIT_CANT : 0;
	} else {
		char *text = report_diff_text(d, i18n_lang());
		ret = fputs(text, stdout) == EOF ? OQ_EXIT_CANT : 0;
		free(text);
	}
	if (ret == 0 && report_diff_regressed(d))
		ret = OQ_EXIT_FAIL;
out:
	report_diff_free(d);
	json_object_put(old_o);
	json_object_put(new_o);
	free(cause);
	return ret;
}

int cmd_report_export(struct cli_ctx *ctx, int argc, char **argv)
{
	struct site_diags diags = { 0 };
	struct site *site = NULL;
	struct report_export_result res = { 0 };
	const char *dir = cli_args_get(ctx->args, "report-dir"), *dest = NULL;
	char **files = NULL, *cause = NULL;
	int r, ret = OQ_EXIT_USAGE;

	if (argc > 2) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[2]);
		return OQ_EXIT_USAGE;
	}
	if (argc == 2)
		dest = argv[1];
	/* the paths of the config, not its files: secrets stay unread */
	site = site_load(ctx->config_path, false, &diags);
	if (site == NULL) {
		ret = cli_config_failed(ctx->config_path, &diags);
		goto out;
	}
	if (dir == NULL)
		dir = site->report_dir ? site->report_dir : "/var/lib/oqlink/reports";
	ret = OQ_EXIT_CANT;
	if (report_latest_files(dir, &files, &cause) < 0) {
		cli_error("%s", cause);
		goto out;
	}
	r = report_export((const char *const *)files, dest, site->run_dir ? site->run_dir : "/run/oqlink",
			  &res, &cause);
	if (r < 0) {
		cli_error("%s", cause);
		goto out;
	}
	if (ctx->json) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		for (size_t i = 0; files[i]; i++)
			json_object_array_add(a, json_object_new_string(files[i]));
		json_object_object_add(o, "to", json_object_new_string(res.where));
		if (res.mounted_on) {
			struct json_object *m = json_object_new_object();
			json_object_object_add(m, "on", json_object_new_string(res.mounted_on));
			json_object_object_add(m, "options", json_object_new_string(res.mount_options));
			json_object_object_add(o, "mounted", m);
		}
		json_object_object_add(o, "files", a);
		ret = cli_put_json(o) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
		goto out;
	}
	for (size_t i = 0; files[i]; i++)
		printf("%s\n", files[i]);
	printf(_("%zu 個のファイルを %s に写しました%s\n", "copied %zu file(s) to %s%s\n"), res.copied, res.where,
	       dest ? "" : _("。取り外してかまいません", "; it may be pulled out now"));
	ret = fflush(stdout) == 0 && !ferror(stdout) ? OQ_EXIT_OK : OQ_EXIT_CANT;
out:
	report_export_result_clear(&res);
	str_list_free(files);
	site_diags_free(&diags);
	site_free(site);
	free(cause);
	return ret;
}

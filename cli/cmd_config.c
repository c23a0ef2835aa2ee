/* oqlink config check | show */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/site.h"
#include "core/util.h"

/* The file named on the command line, or --config, or the default. */
static const char *config_arg(struct cli_ctx *ctx, int argc, char **argv)
{
	return argc > 1 ? argv[1] : ctx->config_path;
}

/* JSON array of diagnostics. */
static struct json_object *diags_json(const struct site_diags *d)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < d->n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "file", json_object_new_string(d->v[i].file));
		json_object_object_add(o, "line", json_object_new_int((int)d->v[i].line));
		json_object_object_add(o, "column", json_object_new_int((int)d->v[i].col));
		json_object_object_add(o, "message", json_object_new_string(d->v[i].message));
		json_object_array_add(a, o);
	}
	return a;
}

int cmd_config_check(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *path = config_arg(ctx, argc, argv);
	struct site_diags diags = { 0 };
	struct site *s = site_load(path, true, &diags);
	int ret = s ? OQ_EXIT_OK : OQ_EXIT_USAGE;

	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		char *file = str_sanitize(path);
		json_object_object_add(o, "file", json_object_new_string(file));
		free(file);
		json_object_object_add(o, "valid", json_object_new_boolean(s != NULL));
		json_object_object_add(o, "problems", diags_json(&diags));
		if (cli_put_json(o) < 0)
			ret = OQ_EXIT_CANT;
	} else {
		char *file = str_sanitize(path);
		site_diags_print(&diags, stderr);
		if (s)
			printf(_("%s: 問題はありません\n", "%s: no problems found\n"), file);
		else
			fprintf(stderr, _("%s: %zu 件の問題があります\n", "%s: %zu problem(s)\n"),
				file, diags.n);
		free(file);
	}
	site_diags_free(&diags);
	site_free(s);
	return ret;
}

int cmd_config_show(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *path = config_arg(ctx, argc, argv);
	struct site_diags diags = { 0 };
	struct site *s = site_load(path, false, &diags);
	int ret = OQ_EXIT_OK;

	if (s == NULL) {
		site_diags_print(&diags, stderr);
		site_diags_free(&diags);
		return OQ_EXIT_USAGE;
	}
	if (ctx->json) {
		if (cli_put_json(site_to_json(s)) < 0)
			ret = OQ_EXIT_CANT;
	} else {
		char *text = site_format(s), *clean = str_sanitize_lines(text);
		fputs(clean, stdout);
		free(clean);
		free(text);
	}
	site_diags_free(&diags);
	site_free(s);
	return ret;
}

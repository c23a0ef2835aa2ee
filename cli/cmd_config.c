/* oqlink config check | show | template */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"

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

/* Add one problem at path:line. */
static void diag_add(struct site_diags *d, const char *path, unsigned line, char *message)
{
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	d->v[d->n++] = (struct site_diag){ .file = xstrdup(path), .line = line, .col = 1, .message = message };
}

/* charon's own word on the configured proposals, when it can be asked: a
 * refused one becomes a problem at its line. Returns "accepted",
 * "refused", "not-running" (with *note) or NULL when there was nothing to
 * ask. */
static const char *charon_proposals(const char *path, const struct site *s,
				    struct site_diags *d, char **note)
{
	const struct {
		const char *key, *value;
		unsigned line;
		bool ike;
	} props[] = {
		{ "ike_proposals", s->ike_proposals, s->ike_proposals_line, true },
		{ "esp_proposals", s->esp_proposals, s->esp_proposals_line, false },
	};
	const char *verdict = NULL;

	if (s->line != SITE_LINE_IPSEC || s->vici_socket == NULL)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
		char *refused = NULL, *cause = NULL;
		int r;

		if (props[i].value == NULL)
			continue;
		r = ipsec_proposals_try(s->vici_socket, props[i].value, props[i].ike, &refused,
					&cause);
		if (r == -EINVAL) {
			diag_add(d, path, props[i].line,
				 xasprintf(_("'%1$s' の提案 '%2$s' を charon が拒否しました: %3$s",
					     "charon refused the proposal '%2$s' of '%1$s': %3$s"),
					   props[i].key, refused, cause));
			verdict = "refused";
		} else if (r < 0) {
			*note = cause;
			cause = NULL;
			verdict = "not-running";
		} else if (verdict == NULL) {
			verdict = "accepted";
		}
		free(refused);
		free(cause);
		if (r < 0 && r != -EINVAL)
			break;
	}
	return verdict;
}

int cmd_config_check(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *path = config_arg(ctx, argc, argv);
	struct site_diags diags = { 0 };
	struct site *s = site_load(path, true, &diags);
	char *note = NULL;
	const char *charon = s ? charon_proposals(path, s, &diags, &note) : NULL;
	int ret;

	if (charon && strcmp(charon, "refused") == 0) {
		site_free(s);
		s = NULL;
	}
	ret = s ? OQ_EXIT_OK : OQ_EXIT_USAGE;
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		char *file = str_sanitize(path);
		json_object_object_add(o, "file", json_object_new_string(file));
		free(file);
		json_object_object_add(o, "valid", json_object_new_boolean(s != NULL));
		json_object_object_add(o, "charon_proposals",
				       charon ? json_object_new_string(charon) : NULL);
		json_object_object_add(o, "charon_note", note ? json_object_new_string(note) : NULL);
		json_object_object_add(o, "problems", diags_json(&diags));
		if (cli_put_json(o) < 0)
			ret = OQ_EXIT_CANT;
	} else {
		char *file = str_sanitize(path);
		site_diags_print(&diags, stderr);
		if (note)
			printf(_("%s: 提案は strongSwan 5.9 の表でだけ確認しました (%s)\n",
				 "%s: proposals checked against strongSwan 5.9's table only (%s)\n"),
			       path, note);
		else if (charon && strcmp(charon, "accepted") == 0)
			printf(_("%s: 提案は charon も受け付けました\n",
				 "%s: charon accepts the proposals too\n"), path);
		if (s)
			printf(_("%s: 問題はありません\n", "%s: no problems found\n"), file);
		else
			fprintf(stderr, _("%s: %zu 件の問題があります\n", "%s: %zu problem(s)\n"),
				file, diags.n);
		free(file);
	}
	free(note);
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

int cmd_config_template(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *mode = cli_args_get(ctx->args, "mode");
	char *text;
	int ret = OQ_EXIT_OK;

	if (argc > 1) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[1]);
		return OQ_EXIT_USAGE;
	}
	text = site_template(mode && strcmp(mode, "ipvpn") == 0 ? SITE_LINE_IPVPN : SITE_LINE_IPSEC);
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF)
		ret = OQ_EXIT_CANT;
	free(text);
	return ret;
}

int cmd_config_doc(struct cli_ctx *ctx, int argc, char **argv)
{
	char *text = NULL, *out = NULL, *cause = NULL;
	size_t len;
	int ret = OQ_EXIT_OK;

	(void)ctx;
	if (argc != 2) {
		cli_error(_("使い方: oqlink config doc docs/config.md", "usage: oqlink config doc docs/config.md"));
		return OQ_EXIT_USAGE;
	}
	if (file_read(argv[1], 1 << 20, &text, &len, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return OQ_EXIT_CANT;
	}
	if (site_doc_fill(text, &out, &cause) < 0) {
		cli_error("%s: %s", argv[1], cause);
		ret = OQ_EXIT_USAGE;
	} else if (fputs(out, stdout) == EOF || fflush(stdout) == EOF) {
		ret = OQ_EXIT_CANT;
	}
	free(cause);
	free(out);
	free(text);
	return ret;
}

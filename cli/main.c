/* oqlink: entry point. Global options, then one command from the table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"

static void print_version(void)
{
	printf("oqlink %s\n", OQ_VERSION);
}


/* Enforce a command's preconditions; returns 0 or the exit code. */
static int check_preconditions(const struct cli_command *c, struct cli_ctx *ctx)
{
	if ((c->flags & CLI_NEED_ROOT) && geteuid() != 0) {
		cli_error(_("'%s' には root 権限が必要です", "'%s' needs root"), c->name);
		return OQ_EXIT_CANT;
	}
	if (ctx->json && !(c->flags & CLI_JSON)) {
		cli_error(_("'%s' は --json に対応していません", "'%s' has no --json output"),
			  c->name);
		return OQ_EXIT_USAGE;
	}
	if (c->flags & CLI_NEED_CONFIG)
		return cli_load_config(ctx);
	return 0;
}

/* Parse the global options before the command; returns the index of the
 * command word, or -exit code. */
static int parse_globals(int argc, char **argv, struct cli_ctx *ctx)
{
	struct cli_args a;
	char *cause = NULL;
	enum oq_lang lang;
	int r = cli_parse(NULL, cli_global_options, true, argc, argv, &a, &cause);

	if (cli_args_get(&a, "lang") && i18n_parse_lang(cli_args_get(&a, "lang"), &lang)) {
		i18n_set_lang(lang);	/* before the message, which may follow --lang */
		if (r < 0) {
			free(cause);
			cause = NULL;
			r = cli_parse(NULL, cli_global_options, true, argc, argv, &a, &cause);
		}
	}
	if (r < 0) {
		cli_error("%s", cause);
		free(cause);
		return -OQ_EXIT_USAGE;
	}
	if (cli_args_get(&a, "config"))
		ctx->config_path = cli_args_get(&a, "config");
	ctx->json = cli_args_has(&a, "json");
	ctx->verbose = cli_args_count(&a, "verbose");
	if (cli_args_has(&a, "version")) {
		print_version();
		return -OQ_EXIT_OK - 100;
	}
	if (cli_args_has(&a, "help")) {
		cli_print_usage(NULL);
		return -OQ_EXIT_OK - 100;
	}
	return argc - a.argc + 1;
}

/* How many words from argv[i] on are a global option that may follow the
 * command words (oqlink probe --json): 0 when argv[i] is none. */
static int global_words(int argc, char **argv, int i)
{
	const char *a = argv[i];

	for (const struct cli_option *o = cli_global_options; o->name; o++) {
		size_t n = strlen(o->name);
		bool has_arg = o->arg != CLI_ARG_NONE;

		if (!(o->flags & CLI_OPT_ANYWHERE))
			continue;
		if (str_has_prefix(a, "--") && strncmp(a + 2, o->name, n) == 0) {
			if (a[2 + n] == '=' && has_arg)
				return 1;
			if (a[2 + n] == '\0')
				return !has_arg ? 1 : i + 1 < argc ? 2 : 0;
		}
		if (o->letter && a[0] == '-' && a[1] == o->letter && a[2] == '\0')
			return !has_arg ? 1 : i + 1 < argc ? 2 : 0;
	}
	return 0;
}

/* Move global options that follow the command words (oqlink probe --json)
 * in front of them, so both orders work. */
static void hoist_globals(int argc, char **argv)
{
	int w = 1;

	for (int i = 1; i < argc; i++) {
		int take;

		if (strcmp(argv[i], "--") == 0)
			break;
		if ((take = global_words(argc, argv, i)) == 0)
			continue;
		/* rotate argv[w..i+take-1] so that argv[i..] comes first */
		for (int k = 0; k < take; k++) {
			char *moved = argv[i + k];
			memmove(&argv[w + 1], &argv[w], (size_t)(i + k - w) * sizeof(*argv));
			argv[w++] = moved;
		}
		i += take - 1;
	}
}

/* Parse the command's options (argv[0] its name), check its preconditions
 * and run it; returns the exit code. */
static int run_command(const struct cli_command *c, struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_args args;
	char *cause = NULL;
	int ret;

	if (cli_parse(c->name, c->options, false, argc, argv, &args, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return OQ_EXIT_USAGE;
	} else if (args.help) {
		cli_print_usage(c);
		return OQ_EXIT_OK;
	}
	ctx->args = &args;
	ret = check_preconditions(c, ctx);
	if (ret == 0 && (c->flags & CLI_RECOVER))
		ret = cli_recover(ctx);	/* an interrupted apply comes first */
	if (ret == 0)
		ret = c->run(ctx, args.argc, args.argv);
	ctx->args = NULL;
	return ret;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .config_path = SITE_DEFAULT_PATH };
	const struct cli_command *c;
	int idx, used, ret;

	i18n_init();
	clock_set_zone(CLOCK_DEFAULT_ZONE, NULL);	/* the site's, once the config is read */
	hoist_globals(argc, argv);
	idx = parse_globals(argc, argv, &ctx);
	if (idx < 0)
		return idx == -OQ_EXIT_OK - 100 ? OQ_EXIT_OK : -idx;
	if (idx >= argc) {
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
			static char tui[] = "tui";
			char *targv[] = { tui, NULL };
			c = cli_find(1, targv, &used);
			if (c != NULL)
				return run_command(c, &ctx, 1, targv);
		}
		cli_print_usage(NULL);
		return OQ_EXIT_USAGE;
	}
	c = cli_find(argc - idx, argv + idx, &used);
	if (c == NULL)
		return OQ_EXIT_USAGE;
	ret = run_command(c, &ctx, argc - idx - used + 1, argv + idx + used - 1);
	site_free(ctx.site);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "oqlink: %s: %s\n",
			_("標準出力に書けませんでした", "could not write to stdout"), i18n_strerror(errno));
		return OQ_EXIT_CANT;
	}
	return ret;
}

/* oqlink: entry point. Global options, then one command from the table. */
#include <errno.h>
#include <getopt.h>
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

static const struct option global_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "lang", required_argument, NULL, 'L' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Parse the global options before the command; returns the index of the
 * command word, or -exit code. */
static int parse_globals(int argc, char **argv, struct cli_ctx *ctx)
{
	int ch;
	enum oq_lang lang;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:jvVh", global_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx->config_path = optarg;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'L':
			if (!i18n_parse_lang(optarg, &lang)) {
				cli_error(_("--lang は ja か en です: '%s'",
					    "--lang takes ja or en: '%s'"), optarg);
				return -OQ_EXIT_USAGE;
			}
			i18n_set_lang(lang);
			break;
		case 'v':
			ctx->verbose++;
			break;
		case 'V':
			print_version();
			return -OQ_EXIT_OK - 100;
		case 'h':
			cli_print_usage(NULL);
			return -OQ_EXIT_OK - 100;
		default:
			cli_error(_("不明なオプション '%s' です。'oqlink help' を見てください",
				    "unknown option '%s'; see 'oqlink help'"), argv[optind - 1]);
			return -OQ_EXIT_USAGE;
		}
	}
	return optind;
}

/* Move global options that follow the command words (oqlink probe --json)
 * in front of them, so both orders work. */
static void hoist_globals(int argc, char **argv)
{
	int w = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int take = 0;

		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "--json") == 0 || strcmp(a, "-v") == 0 ||
		    strcmp(a, "--verbose") == 0 || str_has_prefix(a, "--lang=") ||
		    str_has_prefix(a, "--config="))
			take = 1;
		else if ((strcmp(a, "--lang") == 0 || strcmp(a, "--config") == 0 ||
			  strcmp(a, "-c") == 0) && i + 1 < argc)
			take = 2;
		if (take == 0)
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
				return c->run(&ctx, 0, targv + 1);
		}
		cli_print_usage(NULL);
		return OQ_EXIT_USAGE;
	}
	c = cli_find(argc - idx, argv + idx, &used);
	if (c == NULL)
		return OQ_EXIT_USAGE;
	ret = check_preconditions(c, &ctx);
	if (ret == 0 && (c->flags & CLI_RECOVER))
		ret = cli_recover(&ctx);	/* an interrupted apply comes first */
	if (ret == 0) {
		optind = 0;	/* 0, not 1: re-initialises GNU getopt, dropping the "+" of the global options */
		ret = c->run(&ctx, argc - idx - used + 1, argv + idx + used - 1);
	}
	site_free(ctx.site);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "oqlink: %s: %s\n",
			_("標準出力に書けませんでした", "could not write to stdout"), i18n_strerror(errno));
		return OQ_EXIT_CANT;
	}
	return ret;
}

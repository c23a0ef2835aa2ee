/* oqlink-monitor: the keeper alone (`oqlink monitor` becomes this program).
 * It links only core, the VICI client, the monitor and the libraries they
 * use, so that what runs for good stays small; the work that needs the
 * rest runs in children of the full oqlink (docs/monitor.md). Its options
 * are those of `oqlink monitor` with the global --lang and --config, plus
 * --oqlink PATH, the full program (default: beside this one, else where
 * make install puts it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "core/clock.h"
#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "monitor/monitor.h"

/* One line of what the keeper does, with the local time, at once. */
static void say_line(void *ctx, const char *line)
{
	struct timespec ts;
	struct tm tm;
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s %s\n", buf, line);
	fflush(stdout);
}

/* The full oqlink beside this program, else where make install puts it. */
static char *oqlink_path(void)
{
	char self[4096], *slash, *p;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			p = xasprintf("%s/oqlink", self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup(OQ_SBINDIR "/oqlink");
}

/* Its options: --config and --lang of oqlink, those of `oqlink monitor`
 * that the keeper itself takes, and --oqlink PATH. Copied from the tables
 * that describe them (cli/util.c), so that they are said once. */
static void options_table(struct cli_option *t)
{
	static const char *const mine[] = { "config", "lang", "db", "no-restore", NULL };
	static const struct cli_option *const from[] = { cli_global_options, cli_monitor_options };
	size_t n = 0;

	for (size_t f = 0; f < ARRAY_SIZE(from); f++)
		for (const struct cli_option *o = from[f]; o->name; o++)
			for (size_t i = 0; mine[i]; i++)
				if (strcmp(o->name, mine[i]) == 0)
					t[n++] = *o;
	t[n++] = (struct cli_option){ .name = "oqlink", .arg = CLI_ARG_PATH,
				      .help = BT("子プロセスに使う oqlink", "the oqlink the children run") };
	t[n] = (struct cli_option){ .name = NULL };
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .config_path = SITE_DEFAULT_PATH };
	struct mon_opts o = { .say = say_line };
	struct cli_option table[8];
	struct cli_args args;
	char *oqlink = NULL, *cause = NULL;
	enum oq_lang lang;
	int ret, r;

	i18n_init();
	clock_set_zone(CLOCK_DEFAULT_ZONE, NULL);	/* the site's, once the config is read */
	options_table(table);
	r = cli_parse("monitor", table, false, argc, argv, &args, &cause);
	if (cli_args_get(&args, "lang") && i18n_parse_lang(cli_args_get(&args, "lang"), &lang)) {
		i18n_set_lang(lang);	/* before the message, which may follow --lang */
		if (r < 0) {
			free(cause);
			cause = NULL;
			r = cli_parse("monitor", table, false, argc, argv, &args, &cause);
		}
	}
	if (r < 0 || args.argc > 1) {
		if (r < 0)
			cli_error("%s", cause);
		else
			cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), args.argv[1]);
		free(cause);
		return OQ_EXIT_USAGE;
	}
	if (cli_args_get(&args, "config"))
		ctx.config_path = cli_args_get(&args, "config");
	o.db_path = cli_args_get(&args, "db");
	o.no_restore = cli_args_has(&args, "no-restore");
	if (geteuid() != 0) {
		cli_error(_("'%s' には root 権限が必要です", "'%s' needs root"), "monitor");
		return OQ_EXIT_CANT;
	}
	if ((ret = cli_load_config(&ctx)) != 0)
		goto out;
	o.config_path = ctx.config_path;
	o.oqlink_path = cli_args_get(&args, "oqlink") ? cli_args_get(&args, "oqlink")
						       : (oqlink = oqlink_path());
	r = mon_run(ctx.site, &o, &cause);
	if (r < 0) {
		cli_error("%s", cause ? cause : strerror(-r));
		ret = OQ_EXIT_CANT;
	} else {
		ret = OQ_EXIT_OK;
	}
out:
	free(cause);
	free(oqlink);
	site_free(ctx.site);
	return ret;
}

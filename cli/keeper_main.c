/* oqlink-monitor: the keeper alone (`oqlink monitor` becomes this program).
 * It links only core, the VICI client, the monitor and the libraries they
 * use, so that what runs for good stays small; the work that needs the
 * rest runs in children of the full oqlink (docs/monitor.md). Its options
 * are those of `oqlink monitor` with the global --lang and --config, plus
 * --oqlink PATH, the full program (default: beside this one, else where
 * make install puts it). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
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

static const struct option opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "lang", required_argument, NULL, 'L' },
	{ "db", required_argument, NULL, 'd' },
	{ "no-restore", no_argument, NULL, 'n' },
	{ "oqlink", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .config_path = SITE_DEFAULT_PATH };
	struct mon_opts o = { .say = say_line };
	char *oqlink = NULL, *cause = NULL;
	enum oq_lang lang;
	int ch, ret, r;

	i18n_init();
	clock_set_zone(CLOCK_DEFAULT_ZONE, NULL);	/* the site's, once the config is read */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': ctx.config_path = optarg; break;
		case 'd': o.db_path = optarg; break;
		case 'n': o.no_restore = true; break;
		case 'o': free(oqlink); oqlink = xstrdup(optarg); break;
		case 'L':
			if (!i18n_parse_lang(optarg, &lang)) {
				cli_error(_("--lang は ja か en です: '%s'",
					    "--lang takes ja or en: '%s'"), optarg);
				return OQ_EXIT_USAGE;
			}
			i18n_set_lang(lang);
			break;
		default:
			cli_error(_("'%s' は使えません。'oqlink help monitor' を見てください",
				    "'%s' is not an option here; see 'oqlink help monitor'"),
				  argv[optind - 1]);
			return OQ_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error(_("'%s' は使えません。'oqlink help monitor' を見てください",
			    "'%s' is not an option here; see 'oqlink help monitor'"), argv[optind]);
		return OQ_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		cli_error(_("'%s' には root 権限が必要です", "'%s' needs root"), "monitor");
		return OQ_EXIT_CANT;
	}
	if ((ret = cli_load_config(&ctx)) != 0)
		goto out;
	o.config_path = ctx.config_path;
	o.oqlink_path = oqlink ? oqlink : (oqlink = oqlink_path());
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

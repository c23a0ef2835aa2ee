/* oqlink tui */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "tui/tui.h"

static const struct option opts[] = {
	{ "screen", required_argument, NULL, 's' },
	{ "no-color", no_argument, NULL, 'n' },
	{ "refresh", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 },
};

/* The screens show times in the site's zone; a config that does not load
 * yet (the wizard is about to write it) leaves the default. */
static void site_zone_from(const char *path)
{
	struct site_diags d = { 0 };
	struct site *s = site_load(path, false, &d);

	if (s != NULL && s->timezone != NULL)
		clock_set_zone(s->timezone, NULL);
	site_free(s);
	site_diags_free(&d);
}

int cmd_tui(struct cli_ctx *ctx, int argc, char **argv)
{
	struct tui_options o = { .config_path = ctx->config_path, .refresh_s = 60 };
	char *end;
	char self[PATH_MAX], *cause = NULL;
	ssize_t n;
	int ch;

	while ((ch = getopt_long(argc, argv, "s:nr:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o.start = optarg;
			break;
		case 'n':
			o.no_color = true;
			break;
		case 'r':
			o.refresh_s = (int)strtol(optarg, &end, 10);
			if (*end || o.refresh_s < 0 || o.refresh_s > 86400) {
				cli_error(_("--refresh は 0〜86400 の秒数です: '%s'",
					    "--refresh takes seconds from 0 to 86400: '%s'"), optarg);
				return OQ_EXIT_USAGE;
			}
			break;
		default:
			cli_error(_("使い方: oqlink tui [--screen NAME] [--no-color] [--refresh SECONDS]",
				    "usage: oqlink tui [--screen NAME] [--no-color] [--refresh SECONDS]"));
			return OQ_EXIT_USAGE;
		}
	}
	site_zone_from(ctx->config_path);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	o.self = self;
	if (tui_run(&o, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return OQ_EXIT_CANT;
	}
	return OQ_EXIT_OK;
}

/* oqlink tui */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "core/util.h"
#include "tui/tui.h"

static const struct option opts[] = {
	{ "screen", required_argument, NULL, 's' },
	{ "no-color", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

int cmd_tui(struct cli_ctx *ctx, int argc, char **argv)
{
	struct tui_options o = { .config_path = ctx->config_path };
	char self[PATH_MAX], *cause = NULL;
	ssize_t n;
	int ch;

	while ((ch = getopt_long(argc, argv, "s:n", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o.start = optarg;
			break;
		case 'n':
			o.no_color = true;
			break;
		default:
			cli_error(_("使い方: oqlink tui [--screen NAME] [--no-color]",
				    "usage: oqlink tui [--screen NAME] [--no-color]"));
			return OQ_EXIT_USAGE;
		}
	}
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

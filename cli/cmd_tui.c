/* oqlink tui */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cmds.h"
#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "tui/tui.h"

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
	struct tui_options o = { .config_path = ctx->config_path };
	long long refresh_ms = cli_args_num(ctx->args, "refresh", 60000);
	char self[PATH_MAX], *cause = NULL;
	ssize_t n;

	if (argc > 1) {
		cli_error(_("余分な引数 '%s' があります", "unexpected argument '%s'"), argv[1]);
		return OQ_EXIT_USAGE;
	}
	o.start = cli_args_get(ctx->args, "screen");
	o.no_color = cli_args_has(ctx->args, "no-color");
	o.refresh_s = (int)((refresh_ms + 999) / 1000);	/* whole seconds, rounded up */
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

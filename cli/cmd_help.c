/* oqlink help, oqlink version */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/util.h"

int cmd_help(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command *c;
	int used;

	if (cli_args_has(ctx->args, "man")) {
		cli_print_man();
		return OQ_EXIT_OK;
	}
	if (argc <= 1) {
		cli_print_usage(NULL);
		return OQ_EXIT_OK;
	}
	c = cli_find(argc - 1, argv + 1, &used);
	if (c == NULL)
		return OQ_EXIT_USAGE;
	cli_print_usage(c);
	return OQ_EXIT_OK;
}

int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "version", json_object_new_string(OQ_VERSION));
		return cli_put_json(o) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
	}
	printf("oqlink %s\n", OQ_VERSION);
	return OQ_EXIT_OK;
}

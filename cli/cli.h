/* The command line: one table of commands (cli/commands.c) that dispatches,
 * prints help and the man page, and enforces preconditions in one place. */
#ifndef OQ_CLI_H
#define OQ_CLI_H

#include <stdbool.h>

#include "core/i18n.h"

/* Preconditions checked before a command runs. */
enum cli_flags {
	CLI_NEED_ROOT = 1 << 0,		/* exits 3 when not root */
	CLI_NEED_CONFIG = 1 << 1,	/* loads and validates the site config first */
	CLI_JSON = 1 << 2,		/* honours --json */
	CLI_RECOVER = 1 << 3,		/* finishes an interrupted apply first */
};

struct site;

/* Options common to every command, set before the command's own. */
struct cli_ctx {
	const char *config_path;	/* --config, or the default */
	bool json;			/* --json: stdout is one JSON document */
	int verbose;			/* -v, repeatable */
	struct site *site;		/* loaded when CLI_NEED_CONFIG, else NULL */
};

struct cli_command {
	const char *name;		/* may contain a space: "ipsec up" */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	unsigned flags;
	struct bitext summary;
	const char *usage;		/* arguments after the name */
	struct bitext details;		/* longer help, may be empty */
};

/* The table, sorted by name, and its length. */
extern const struct cli_command cli_commands[];
extern const unsigned cli_n_commands;

/* Print the help of one command or the list of all. */
void cli_print_usage(const struct cli_command *c);
/* Print the man page in roff, generated from the table. */
void cli_print_man(void);
/* Find a command by name or unique prefix; prints the candidates on
 * ambiguity. argv is consumed for sub-command words; *used gets how many
 * words named the command. */
const struct cli_command *cli_find(int argc, char **argv, int *used);

/* Load and validate the site config into ctx->site (freed by main): what
 * CLI_NEED_CONFIG does, for a command that needs the config only sometimes.
 * Returns 0, or the exit code after printing every problem. */
int cli_load_config(struct cli_ctx *ctx);
/* Make the site's [site] timezone the zone of every time shown (site may be
 * NULL: the default stays); returns 0 or an exit code after printing why. */
int cli_set_zone(const struct site *site);
/* After site_load of path failed: print every problem in d, then one
 * sentence on what to do (no config yet: the wizard; a file oqlink may not
 * read: run it as root; else: config check). Returns the exit code: 3 for
 * a file that could not be read for want of permission, else 2. */
struct site_diags;
int cli_config_failed(const char *path, const struct site_diags *d);

/* Print a message to stderr, prefixed with "oqlink: ". */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a JSON object to stdout (pretty) and release it; returns 0, or -EIO
 * if stdout could not be written. */
struct json_object;
int cli_put_json(struct json_object *o);

#endif

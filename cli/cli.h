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

/* The kind of value an option takes. */
enum cli_arg {
	CLI_ARG_NONE,		/* a switch */
	CLI_ARG_STRING,		/* any text */
	CLI_ARG_PATH,		/* a file or directory name (not empty) */
	CLI_ARG_INT,		/* a whole number in [min, max] */
	CLI_ARG_DURATION,	/* a length of time in [min, max] ms (core/util.h) */
	CLI_ARG_ENUM,		/* one of words */
};

enum cli_opt_flags {
	/* The value may be left out (then it is implied): --confirm,
	 * --confirm 60 and --confirm=60. A following word is taken as the
	 * value when it starts with a digit. */
	CLI_OPT_OPTIONAL = 1 << 0,
	/* A global option that may also follow the command words. */
	CLI_OPT_ANYWHERE = 1 << 1,
	/* For oqlink's own use (the keeper's children): parsed like any
	 * other, but left out of the usage line, help and the man page. */
	CLI_OPT_HIDDEN = 1 << 2,
};

/* One option of a command, as its table in cli/commands.c declares it: the
 * parser, the usage line, the help and the man page all read it. A table
 * ends with an entry whose name is NULL. */
struct cli_option {
	const char *name;		/* the long name, without "--" */
	char letter;			/* the short letter, or 0 */
	enum cli_arg arg;
	const char *meta;		/* the value in usage: "DIR"; NULL: from arg */
	long long min, max;		/* CLI_ARG_INT; CLI_ARG_DURATION in ms */
	long long unit_ms;		/* CLI_ARG_DURATION: a bare number's unit; 0: none */
	const char *const *words;	/* CLI_ARG_ENUM: NULL-terminated */
	const char *implied;		/* CLI_OPT_OPTIONAL: the value when left out */
	unsigned flags;			/* enum cli_opt_flags */
	struct bitext help;
};

#define CLI_MAX_OPTIONS 24

/* What the parser found. Strings point into argv or the table. */
struct cli_args {
	const struct cli_option *opts;	/* the table parsed by */
	struct {
		int count;		/* times given (-v -v); 0: not given */
		int order;		/* position of the last one among the options */
		const char *value;	/* the last value, or NULL */
		long long num;		/* CLI_ARG_INT, CLI_ARG_DURATION (ms) */
	} v[CLI_MAX_OPTIONS];
	bool help;			/* --help was given */
	int argc;			/* the operands, argv[0] the command's name */
	char **argv;
};

/* Options common to every command, set before the command's own. */
struct cli_ctx {
	const char *config_path;	/* --config, or the default */
	bool json;			/* --json: stdout is one JSON document */
	int verbose;			/* -v, repeatable */
	struct site *site;		/* loaded when CLI_NEED_CONFIG, else NULL */
	const struct cli_args *args;	/* the command's options */
};

struct cli_command {
	const char *name;		/* may contain a space: "ipsec up" */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv);
	unsigned flags;
	struct bitext summary;
	const char *operands;		/* the operands, as usage shows them */
	struct bitext details;		/* longer help, may be empty */
	const struct cli_option *options;	/* its options; NULL: none */
};

/* The global options (--config, --json, --lang, ...), before the command. */
extern const struct cli_option cli_global_options[];

/* Parse argv (argv[0] the command's name, argc >= 1) by opts (NULL: none)
 * with getopt_long into *out: options may follow operands unless in_order
 * (then parsing stops at the first operand, as for the global options).
 * Every command also takes --help unless in_order. The operands end up in
 * out->argv[1..argc-1] (argv is reordered). Returns 0, or -EINVAL with
 * *cause a sentence naming the option and the bad value (cmd names the
 * command in it; NULL for the global options). */
int cli_parse(const char *cmd, const struct cli_option *opts, bool in_order, int argc,
	      char **argv, struct cli_args *out, char **cause);
/* The option called name in a's table; a name the table does not have is
 * a mistake in the program and aborts. */
bool cli_args_has(const struct cli_args *a, const char *name);
int cli_args_count(const struct cli_args *a, const char *name);
/* The position of name's last occurrence among the options, 0 if absent:
 * of two options that undo each other, the later wins. */
int cli_args_order(const struct cli_args *a, const char *name);
/* The value given (or implied), or NULL when the option was not given. */
const char *cli_args_get(const struct cli_args *a, const char *name);
/* The number (CLI_ARG_INT; CLI_ARG_DURATION in ms), or dflt when the option
 * was not given. */
long long cli_args_num(const struct cli_args *a, const char *name, long long dflt);
/* How an option is written: "-t, --timeout DURATION"; a new string. */
char *cli_option_spec(const struct cli_option *o);
/* Its help in lang, with the range and unit of a number or a length of
 * time and the value implied when left out; a new string. */
char *cli_option_help(const struct cli_option *o, enum oq_lang lang);
/* Does a table (NULL: none) have an option that help shows (one not
 * CLI_OPT_HIDDEN)? */
bool cli_options_shown(const struct cli_option *opts);
/* Print the shown options of a table as help lines (spec, then help). */
void cli_print_options(const struct cli_option *opts);
/* The usage line's shown options: "[--level N] [--quiet]"; a new string. */
char *cli_usage_options(const struct cli_option *opts);

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

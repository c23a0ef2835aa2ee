/* The run functions of the commands in the table (one file per command
 * group: cli/cmd_<group>.c). Each returns an exit code (core/util.h). */
#ifndef OQ_CMDS_H
#define OQ_CMDS_H

#include "cli/cli.h"

/* The history database option, shared by `monitor` and `history probes`. */
#define OPT_DB \
	{ .name = "db", .arg = CLI_ARG_PATH, \
	  .help = BT("履歴のデータベース (既定 state_dir/monitor.db)", \
		     "the history database (default state_dir/monitor.db)") }

/* The options of `oqlink monitor` (cli/util.c), which oqlink-monitor
 * (cli/keeper_main.c) takes too: --db, --no-restore, and --child with
 * --certs, by which the keeper runs its short-lived children. */
extern const struct cli_option cli_monitor_options[];
#include "probes/probe.h"

int cmd_help(struct cli_ctx *ctx, int argc, char **argv);
int cmd_version(struct cli_ctx *ctx, int argc, char **argv);
int cmd_config_check(struct cli_ctx *ctx, int argc, char **argv);
int cmd_config_show(struct cli_ctx *ctx, int argc, char **argv);
int cmd_config_template(struct cli_ctx *ctx, int argc, char **argv);
int cmd_config_doc(struct cli_ctx *ctx, int argc, char **argv);
int cmd_tui(struct cli_ctx *ctx, int argc, char **argv);
int cmd_report_compare(struct cli_ctx *ctx, int argc, char **argv);
int cmd_report_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_report_render(struct cli_ctx *ctx, int argc, char **argv);
int cmd_test(struct cli_ctx *ctx, int argc, char **argv);
int cmd_monitor(struct cli_ctx *ctx, int argc, char **argv);
int cmd_history_probes(struct cli_ctx *ctx, int argc, char **argv);
/* The keeper's part of `oqlink status` (cli/cmd_monitor.c): whether it
 * runs, its last action, the newest verdicts and their ages. Printed, or
 * with json returned as a new object for the caller to add. */
struct site;
struct json_object;
struct json_object *monitor_status(const struct site *s, bool json);
int cmd_upgrade(struct cli_ctx *ctx, int argc, char **argv);
int cmd_factory_reset(struct cli_ctx *ctx, int argc, char **argv);
int cmd_nic_list(struct cli_ctx *ctx, int argc, char **argv);
int cmd_nic_identify(struct cli_ctx *ctx, int argc, char **argv);

/* Shared by the commands that write a report (cli/cmd_report.c). */
struct report;
/* The exit code of a report's overall verdict: 0 passed, 1 otherwise. */
int cmd_report_exit(enum probe_verdict overall);
/* Print the paths of the files written (or one JSON document with --json);
 * paths is NULL-terminated. Returns 0 or an exit code. */
int cmd_report_announce(struct cli_ctx *ctx, const struct report *r, char **paths);

/* The facts decided on the day, options of both `test` and `report
 * render` (--start, --terminal, --checked, --note, --followup): put them
 * (borrowed from a) into the visit's fields of meta and return 0, or print
 * why not and return an exit code. */
struct report_meta;
int cmd_visit_options(const struct cli_args *a, struct report_meta *meta);
/* Copy the visit's fields of from into to (after report_meta_collect). */
void cmd_visit_copy(struct report_meta *to, const struct report_meta *from);
/* Give meta the site's next report number (state_dir); returns 0 or an
 * exit code after printing why. */
int cmd_report_number(const struct site *site, struct report_meta *meta);
int cmd_probe(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ipsec_diagnose(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ipsec_down(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ipsec_export(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ipsec_log(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ipsec_proposals(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ipsec_status(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ipsec_up(struct cli_ctx *ctx, int argc, char **argv);

int cmd_plan(struct cli_ctx *ctx, int argc, char **argv);
int cmd_apply(struct cli_ctx *ctx, int argc, char **argv);
int cmd_confirm(struct cli_ctx *ctx, int argc, char **argv);
int cmd_rollback(struct cli_ctx *ctx, int argc, char **argv);
int cmd_history(struct cli_ctx *ctx, int argc, char **argv);
int cmd_status(struct cli_ctx *ctx, int argc, char **argv);
/* Finish an interrupted apply or an expired confirm (CLI_RECOVER); returns
 * 0 or an exit code. */
int cli_recover(struct cli_ctx *ctx);

#endif

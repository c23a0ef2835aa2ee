/* The operational-test report (運用テスト報告書): what the vendor leaves at
 * the clinic, built from the site config and one probe run.
 *
 * A report is written in one language (Japanese or English) in three forms
 * that carry the same facts: one self-contained HTML file for printing on
 * A4, a JSON twin (schema "oqlink.report/2", docs/report.md) and plain text
 * of 80 columns for a serial console. The JSON keeps both languages of every
 * probe sentence so that two reports can be compared whatever they were
 * written in.
 *
 * Nothing secret goes in: the site config holds only the paths of secret
 * files, and the report never opens them. */
#ifndef OQ_REPORT_H
#define OQ_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/i18n.h"
#include "probes/probe.h"

struct site;
struct probe_run;
struct json_object;

/* "oqlink.report/2" */
extern const char report_schema[];
/* Is schema one this version reads ("oqlink.report/1" or /2)? */
bool report_schema_known(const char *schema);

/* One interface of the appliance with its hardware address. */
struct report_iface {
	char role[16];		/* "wan", "lan", "terminal" */
	char name[16];		/* "wan0" */
	char mac[24];		/* "02:00:00:00:00:01", "" when unknown */
};

/* Facts about the visit that are not in the site config or the run. Every
 * field is a copy or a borrowed pointer as marked; the caller keeps the
 * borrowed ones alive as long as the report. */
struct report_meta {
	enum oq_lang lang;
	int64_t time_ms;		/* when the report was made, ms since the epoch */
	char version[32];		/* oqlink version */
	char hostname[256];		/* the appliance's host name */
	struct report_iface ifaces[3];
	size_t n_ifaces;
	const char *engineer;		/* borrowed; overrides the config's when set */
	const char *witness;		/* borrowed; overrides the config's when set */
	const char *pcap_path;		/* borrowed; capture to list with its SHA-256 */
	int64_t work_start_ms;		/* when the work began; 0: when the probes started */
	int64_t work_end_ms;		/* when it ended; 0: time_ms */
	unsigned long number;		/* report number of the facility; 0: none */
	char model[128];		/* the appliance: maker and model (DMI), "" unknown */
	char serial[64];		/* its serial number (DMI), "" when unreadable */
	const char *terminal;		/* borrowed; which qualification terminal was used */
	const char *note;		/* borrowed; 特記事項 */
	const char *followup;		/* borrowed; 対応予定 for what failed or warned */
	const char *checked;		/* borrowed; comma-separated ids of the on-site
					 * tasks whose check by hand was done */
};

/* Fill meta with the real facts of this host: the current time, this
 * version, the host name, the model and serial number from
 * /sys/class/dmi/id (empty where absent or unreadable) and the MAC addresses
 * of the interfaces the site names (left empty when an interface does not
 * exist here). Language from i18n_lang(); the borrowed pointers NULL, no
 * number, work times 0. */
void report_meta_collect(struct report_meta *meta, const struct site *site);

/* Parse a time for --time: "2026-04-01T10:30:00+09:00" (any offset, or Z)
 * or "@SECONDS" since the epoch. */
bool report_parse_time(const char *s, int64_t *ms);

/* Take the next report number of facility_code from
 * STATE_DIR/report-numbers/CODE (created when missing): 1, 2, 3... never
 * the same twice, even for two processes at once (the file is locked).
 * Returns 0 with *number set, or -errno with *cause set. */
int report_number_next(const char *state_dir, const char *facility_code,
		       unsigned long *number, char **cause);

/* The ids of the on-site tasks, for --checked (NULL-terminated, static). */
const char *const *report_task_ids(void);

struct report;

/* Build a report. site and run are borrowed and must outlive the report;
 * meta is copied (its borrowed pointers too). Reads the pcap named in meta
 * (if any) to hash it; a missing pcap is noted in the report, not an error.
 * Never fails; free with report_free(). */
struct report *report_new(const struct site *site, const struct probe_run *run,
			  const struct report_meta *meta);
void report_free(struct report *r);

/* The overall verdict: probe_run_overall of the run, or the run's own
 * overall when that is worse (one read from a file that says so). */
enum probe_verdict report_overall(const struct report *r);

/* The three forms, as new NUL-terminated strings the caller frees. */
char *report_html(const struct report *r);
char *report_text(const struct report *r);
char *report_json(const struct report *r);
/* The JSON form as a new object (the caller puts it). */
struct json_object *report_to_json(const struct report *r);

/* "oqlink-report-<facility code>-<YYYYmmdd-HHMMSS>" in the site's time zone
 * (new string). */
char *report_file_stem(const struct report *r);

/* The mode of every report file oqlink writes (the report directory is
 * root's; the group may read it). */
#define REPORT_MODE 0640

/* Write the three forms into dir (created if missing) as STEM.json,
 * STEM.txt and STEM.html, in that order, each atomically with REPORT_MODE.
 * A form that cannot be written (a full disk) does not stop the others.
 * *paths (if not NULL) gets a NULL-terminated array of the paths written,
 * which the caller frees with str_list_free(), also on error. Returns 0, or
 * the first -errno with *cause naming the file and the error. */
int report_write(const struct report *r, const char *dir, char ***paths, char **cause);

/* The files of the newest report in dir (by time): STEM.html, STEM.json,
 * STEM.txt, and the pcap its JSON names when that file is in dir. A new
 * NULL-terminated array (str_list_free). Returns 0, or -ENOENT (no report
 * there) or -errno with *cause. */
int report_latest_files(const char *dir, char ***files, char **cause);

/* The first USB memory with a vfat or exFAT file system: a removable block
 * device on the USB bus (/sys/block), its partitions first, then the whole
 * disk. *dev ("/dev/sdb1"), *type ("vfat", "exfat") and *label ("" when
 * none) are new strings. The environment variable OQLINK_TEST_USB_DEVICE
 * may name one loop device (/dev/loopN) to count as a USB memory, for
 * tests; nothing else. Returns 0, or -ENODEV with *cause "no USB memory
 * found". */
int report_usb_find(char **dev, char **type, char **label, char **cause);

struct report_export_result {
	size_t copied;			/* files copied */
	char *where;			/* the directory, or "/dev/sdb1 (LABEL, vfat)" */
	char *mounted_on;		/* the USB memory's mount point, NULL for DIR */
	char *mount_options;		/* its flags as the kernel had them */
};

/* Copy files (NULL-terminated paths) under their base names into dest
 * (created if missing), or, when dest is NULL, onto the USB memory of
 * report_usb_find: mounted nosuid,nodev,noexec on run_dir/usb (the only
 * directory it creates), written, synced and unmounted before it returns.
 * Fills res (report_export_result_clear). Returns 0 or -errno with *cause
 * (-ENODEV: no USB memory found). */
int report_export(const char *const *files, const char *dest, const char *run_dir,
		  struct report_export_result *res, char **cause);
void report_export_result_clear(struct report_export_result *res);

/* The probe verdict table alone, as text lines of at most 80 columns (for
 * the end of `oqlink test` and `make demo`). New string. */
char *report_verdict_table(const struct report *r);

/* What changed between two visits: two reports in their JSON form (schema
 * "oqlink.report/1"). */
struct report_diff;

/* Compare; returns 0 or -EINVAL with *cause set when either is not a
 * report. *out gets a new diff to free with report_diff_free(). */
int report_compare(struct json_object *old_report, struct json_object *new_report,
		   struct report_diff **out, char **cause);
void report_diff_free(struct report_diff *d);
/* True when some probe got a worse verdict in the new report. */
bool report_diff_regressed(const struct report_diff *d);
/* The diff as text in lang (new string) or as JSON (new object). */
char *report_diff_text(const struct report_diff *d, enum oq_lang lang);
struct json_object *report_diff_to_json(const struct report_diff *d);

#endif

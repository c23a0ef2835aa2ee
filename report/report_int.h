/* Private to report/: the built report and what its writers share. */
#ifndef OQ_REPORT_INT_H
#define OQ_REPORT_INT_H

#include <stdio.h>

#include "core/clock.h"
#include "probes/probe.h"
#include "report/report.h"

/* How far the probes prove one on-site task. */
enum rp_task_status {
	RP_TASK_PROVEN = 0,	/* every probe that proves it passed */
	RP_TASK_WARN = 1,	/* proven, with a warning */
	RP_TASK_FAILED = 2,	/* a probe that proves it failed */
	RP_TASK_MANUAL = 3,	/* its check by hand is not recorded yet */
	RP_TASK_UNCHECKED = 4,	/* a probe that proves it was skipped: another failed */
};

/* One on-site task of the source documents and the probes that prove it. */
struct rp_task {
	const char *id;
	struct bitext title;
	const char *const *probes;	/* NULL-terminated */
	struct bitext manual;		/* what only a person can check; may be empty */
};

/* One group of evidence and the probes whose values and lines it shows. */
struct rp_section {
	const char *id;
	struct bitext title;
	const char *const *probes;	/* NULL-terminated */
};

extern const struct rp_task rp_tasks[];
extern const size_t rp_n_tasks;
extern const struct rp_section rp_sections[];
extern const size_t rp_n_sections;

/* Longest text value shown in the probe table; longer ones (paths, hashes,
 * algorithm lists) are shown in the evidence only. */
#define RP_BRIEF_TEXT 28

/* One fact of the visit for page 1 (report number, place, line, times,
 * appliance, terminal, certificate expiry, notes). */
struct rp_fact {
	const char *key;		/* JSON key in "visit" */
	struct bitext label;
	char *value;			/* in the report's language, owned; "" when unknown */
};

/* One line of the config summary. */
struct rp_row {
	const char *key;		/* JSON key */
	struct bitext label;
	char *value;			/* language-neutral, owned */
	struct bitext shown;		/* display form when the value is a word to translate */
	bool secret;			/* value is the path of a secret file, never its content */
};

struct rp_capture {
	bool present;			/* a pcap was named */
	char *name;			/* base name */
	char *path;
	char sha256[65];		/* "" when it could not be read */
	long long bytes;
	char *error;			/* why it could not be read */
};

struct report {
	const struct site *site;
	const struct probe_run *run;
	struct report_meta meta;
	enum oq_lang lang;
	enum probe_verdict overall;
	size_t counts[5];		/* per verdict */
	const char *engineer;		/* "" when nobody was named */
	const char *witness;
	enum rp_task_status *task_status;	/* one per rp_tasks */
	bool *manual_done;		/* one per rp_tasks: its check by hand is recorded */
	struct rp_fact *facts;
	size_t n_facts;
	struct rp_row *rows;
	size_t n_rows;
	struct rp_capture capture;
};

/* The string of the report's language; both are format strings. */
const char *rp_tr(const struct report *r, const char *ja, const char *en)
	__attribute__((format_arg(2), format_arg(3)));
const char *rp_bt(const struct report *r, struct bitext t);

/* A config row's value as the report shows it (caller frees): a secret
 * only as the file that holds it, a word in the report's language. */
char *rp_row_text(const struct report *r, const struct rp_row *w);

/* The report number as printed, "1312345678-0007", into buf[48]; "" when
 * the report has none. */
char *rp_number_str(const struct report *r, char *buf);

/* "合格" / "PASS" ... in lang, and the language-neutral code. */
const char *rp_verdict_word(enum oq_lang lang, enum probe_verdict v);
const char *rp_task_word(enum oq_lang lang, enum rp_task_status s);
const char *rp_task_code(enum rp_task_status s);

/* Why a SKIP result was skipped, as a sentence in the report's language
 * (new string), or NULL when it was not skipped for a reason. */
char *rp_skip_text(const struct report *r, const struct probe_result *p);
/* The result with this id, or NULL. */
const struct probe_result *rp_find(const struct report *r, const char *id);
/* Is id listed in the NULL-terminated list? */
bool rp_listed(const char *const *list, const char *id);
/* Does result p belong in evidence section s of rp_sections? The last
 * section takes every result no other section lists. */
bool rp_in_section(size_t s, const struct probe_result *p);

/* A value as "3.21 ms" (the unit in the report's language) or its text (new string, control characters
 * replaced, secrets after keywords such as password= masked). */
char *rp_value_str(const struct report *r, const struct probe_value *v);
/* A number with as many decimals as its size deserves, into buf[32]. */
char *rp_number(double d, char *buf);
/* A line from a probe made safe to show: control characters replaced and
 * anything after a secret-looking keyword ("password=", "psk:") masked. */
char *rp_scrub(const char *s);
/* s or "" when NULL. */
const char *rp_s(const char *s);

/* Remove the spaces at the end of every line of s, in place; returns s. */
char *rp_rstrip_lines(char *s);

/* Escape s for HTML text and attributes (after rp_scrub). */
void rp_html_esc(FILE *f, const char *s);

#endif

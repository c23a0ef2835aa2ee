/* Probes: independent checks of one layer of the path each, and the runner
 * that schedules them as a dependency graph, in parallel, with timeouts.
 *
 * A probe fills a struct probe_result: a verdict, measured values with units,
 * evidence lines and, for anything but PASS, a remedy in Japanese and
 * English. Results are plain data: the report writers take them from a run or
 * from recorded JSON (probe_run_from_json) alike. */
#ifndef OQ_PROBE_H
#define OQ_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/i18n.h"

struct site;
struct json_object;

/* Ordered from best to worst: the overall verdict is the worst one, except
 * that SKIP never makes a run worse than PASS. */
enum probe_verdict {
	PROBE_PASS = 0,
	PROBE_SKIP = 1,
	PROBE_WARN = 2,
	PROBE_FAIL = 3,
	PROBE_ERROR = 4,
};

/* One measured value: "rtt_avg" = 3.2 "ms". */
struct probe_value {
	char *key;		/* stable machine name */
	struct bitext label;	/* owned strings */
	double value;
	char *unit;		/* "ms", "%", "days", "bytes", "" */
	char *text;		/* non-NULL for a textual value instead of a number */
};

/* The outcome of one probe. Every pointer is owned by the result. */
struct probe_result {
	char *id;			/* "tls" */
	struct bitext title;		/* owned */
	enum probe_verdict verdict;
	struct bitext summary;		/* one line, owned */
	struct bitext remedy;		/* what to do next; empty on PASS */
	char *skip_reason_id;		/* the dependency that failed, on SKIP */
	struct probe_value *values;
	size_t n_values;
	char **evidence;		/* lines, language-neutral (log lines, facts) */
	size_t n_evidence;
	int64_t started_ms;		/* wall clock, ms since the epoch */
	int64_t duration_ms;
};

/* A whole run. */
struct probe_run {
	struct probe_result *results;	/* in registry order */
	size_t n;
	int64_t started_ms;		/* wall clock, ms since the epoch */
	int64_t duration_ms;
	enum probe_verdict overall;
};

const char *probe_verdict_name(enum probe_verdict v);	/* "PASS" ... */
bool probe_verdict_parse(const char *s, enum probe_verdict *out);
/* The worse of two verdicts, by the ordering above. */
enum probe_verdict probe_verdict_worse(enum probe_verdict a, enum probe_verdict b);

/* Building results (used by probes, and by tests recording results). Every
 * function copies the strings it is given (the result owns its copies); a
 * bitext half may be NULL. probe_result_set replaces verdict, summary and
 * remedy. */
void probe_result_init(struct probe_result *r, const char *id, struct bitext title);
void probe_result_set(struct probe_result *r, enum probe_verdict v, struct bitext summary,
		      struct bitext remedy);
void probe_result_value(struct probe_result *r, const char *key, struct bitext label,
			double value, const char *unit);
void probe_result_text(struct probe_result *r, const char *key, struct bitext label,
		       const char *text);
void probe_result_evidence(struct probe_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void probe_result_clear(struct probe_result *r);
/* Frees every result and the array; the run itself is the caller's. Accepts
 * NULL. */
void probe_run_free(struct probe_run *run);
/* The worst verdict of the results, SKIP counting as PASS. */
enum probe_verdict probe_run_overall(const struct probe_run *run);

/* JSON form of a run (schema "oqlink.probes/1", see docs/probes.md). */
struct json_object *probe_run_to_json(const struct probe_run *run);
/* Read a run back; returns 0 or -EINVAL with *cause set. Missing optional
 * fields are tolerated; a result without an id or verdict is an error. */
int probe_run_from_json(struct json_object *o, struct probe_run *run, char **cause);

#endif

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

/* Skip reasons (skip_reason_id) that are not a probe id: the run itself
 * stopped before the probe could run. */
#define PROBE_STOP_CANCELLED "cancelled"
#define PROBE_STOP_TIMEOUT "timeout"
/* Whether r is a SKIP because the run stopped (PROBE_STOP_*), not because
 * a probe it depends on failed. */
bool probe_result_unrun(const struct probe_result *r);
/* The overall verdict of a run, the one rule every reader uses: the worst
 * of the results, where SKIP counts as PASS except a probe the run never got
 * to (probe_result_unrun), which proves nothing and counts as ERROR; a NULL
 * or empty run is ERROR. Never SKIP. */
enum probe_verdict probe_run_overall(const struct probe_run *run);

/* JSON form of a run (schema "oqlink.probes/1", see docs/probes.md). */
struct json_object *probe_run_to_json(const struct probe_run *run);
/* Read a run back; returns 0 or -EINVAL with *cause set. Missing optional
 * fields are tolerated; a result without an id or verdict is an error.
 * run->overall is probe_run_overall of the results, or the recorded
 * "overall" when that is worse (a file never reads better than it says). */
int probe_run_from_json(struct json_object *o, struct probe_run *run, char **cause);
/* One result alone, in the form of an element of "results" (a new object). */
struct json_object *probe_result_to_json(const struct probe_result *r);
/* Read one result into r (initialised here; cleared again on error). */
int probe_result_from_json(struct json_object *o, struct probe_result *r, char **cause);

/* ---- the registry ---- */

/* What a probe sees while it runs (opaque; see the probe_ctx_ functions). */
struct probe_ctx;

enum probe_flags {
	PROBE_IPSEC_ONLY = 1 << 0,	/* only on an IPsec+IKE line */
	PROBE_IPVPN_ONLY = 1 << 1,	/* only on an IP-VPN line */
	/* Started before the others and told to stop (probe_ctx_stop_fd becomes
	 * readable) when every other probe has finished: the capture. */
	PROBE_BACKGROUND = 1 << 2,
	/* Parses what the network sends: runs in the sandbox (see
	 * probe_sandbox_enter) after its setup. */
	PROBE_SANDBOX = 1 << 3,
	/* Runs beside its deps instead of after them: starts once they have
	 * started, and its result is held until they finish; when one fails
	 * it is a SKIP all the same, as if it had waited. For a probe that
	 * needs what a long one needs and means nothing when that one fails
	 * (pmtu beside reach). */
	PROBE_BESIDE = 1 << 4,
};

/* One probe. The run function gets a result already initialised with the
 * id and title and sets the verdict (PASS by default), values, evidence,
 * and on anything but PASS a remedy in both languages. It runs in a process
 * of its own (see probes/runner.c), so it may block, and must finish by
 * probe_ctx_remaining_ms or it is killed and reported as ERROR. */
struct probe {
	const char *id;
	struct bitext title;
	const char *const *deps;	/* NULL-terminated: SKIP when one fails */
	const char *const *after;	/* NULL-terminated: run after, never SKIP */
	void (*run)(struct probe_ctx *ctx, struct probe_result *r);
	int timeout_ms;			/* 0: the run's per-probe timeout */
	unsigned flags;
	/* PROBE_SANDBOX probes: what needs root or files (a capture handle,
	 * the output file, certificates), run as root before the sandbox is
	 * entered and run is called. Returns 0 to go on; anything else when r
	 * already holds the outcome (run is then not called). May be NULL. */
	int (*setup)(struct probe_ctx *ctx, struct probe_result *r);
	/* The value that sums the result up in a word where there is room for
	 * one (the dashboard's figure); NULL: the first value. */
	const char *figure;
};

/* The probes in their fixed order (static data); *n gets the count. */
const struct probe *probe_registry(size_t *n);
/* The probe named id, or NULL. */
const struct probe *probe_find(const char *id);
/* Whether a probe applies to the site's line type. */
bool probe_applies(const struct probe *p, const struct site *site);

/* For probes: the site (never NULL), the time left before the probe is
 * killed, a finished result of a probe this one depends on or runs after
 * (NULL when it did not run), the directory for files the probe keeps (the
 * capture), and the stop descriptor of a PROBE_BACKGROUND probe (-1 for the
 * others). probe_ctx_ready tells the runner a background probe is ready (the
 * others start only then, or after a short wait). */
const struct site *probe_ctx_site(const struct probe_ctx *ctx);
int probe_ctx_remaining_ms(const struct probe_ctx *ctx);
const struct probe_result *probe_ctx_result(const struct probe_ctx *ctx, const char *id);
const char *probe_ctx_out_dir(const struct probe_ctx *ctx);
int probe_ctx_stop_fd(const struct probe_ctx *ctx);
void probe_ctx_ready(struct probe_ctx *ctx);

/* Enter the sandbox of a probe that parses network input, for good: when
 * root, become an unprivileged user ("_oqlink" if it exists, else
 * "nobody"; supplementary groups dropped, no way back); then
 * PR_SET_NO_NEW_PRIVS and a seccomp filter under which opening or creating
 * files, renaming, linking and exec fail with EACCES. Descriptors already
 * open keep working. Returns 0 or -errno with *cause. */
int probe_sandbox_enter(char **cause);

/* ---- inspecting a certificate file ---- */

/* What a certificate file holds, as plain data (the TUI's certificate
 * screen shows it). Every string is owned; probe_cert_info_clear frees. */
struct probe_cert_info {
	char *subject;			/* "CN = ..., O = ..." one line */
	char *issuer;
	char *serial;			/* hex, upper case */
	char *serial_dec;		/* the same, decimal */
	char *subject_cn, *issuer_cn;	/* the commonName alone, "" when none */
	int64_t not_before, not_after;	/* Unix seconds */
	int days_left;			/* whole days to notAfter, negative when expired */
	bool key_present;		/* the file holds a private key too */
	bool key_matches;		/* and it belongs to the certificate */
	bool is_p12;			/* PKCS#12, else PEM (or DER) */
	enum probe_verdict verdict;	/* of the days left, by the cert probe's
					 * thresholds (WARN from 90 days, FAIL
					 * from 7 and when expired) */
	struct bitext remedy;		/* what to do about it; NULLs on PASS
					 * (static storage) */
};

/* Read a PKCS#12 (which needs its password) or a PEM file holding a
 * certificate and optionally its private key (password used only for an
 * encrypted key; NULL or "" for none). Fills out (cleared first). Returns 0,
 * or -errno with *cause: -ENOENT and others for an unreadable file, -EACCES
 * for a wrong or missing password, -EINVAL when the file holds no
 * certificate. The password is never part of a message. */
int probe_cert_inspect(const char *path, const char *password, struct probe_cert_info *out,
		       char **cause);
void probe_cert_info_clear(struct probe_cert_info *info);
/* probe_cert_inspect with the password read from password_file (the
 * config's password_file, a secret file of mode 0600; NULL for none). */
int probe_cert_inspect_file(const char *path, const char *password_file,
			    struct probe_cert_info *out, char **cause);

/* Whether the certificate file src may be imported (the copy itself is
 * prov_cert_install's): probe_cert_inspect into out, then a key that does
 * not belong to the certificate is refused with -EINVAL (out cleared).
 * Returns 0 or -errno with *cause. */
int probe_cert_check_import(const char *src, const char *password, struct probe_cert_info *out,
			    char **cause);

/* ---- the runner ---- */

struct probe_options {
	int timeout_ms;			/* per probe; 0: site timeout_ms, else 5000 */
	int total_timeout_ms;		/* whole run; 0: 60000 */
	unsigned max_parallel;		/* 0: no limit */
	const char *out_dir;		/* for pcaps; NULL: site run_dir */
	bool no_capture;		/* with no ids: leave out the background
					 * probes, i.e. the packet capture (a
					 * periodic run writes no pcap) */
	const volatile int *cancel;	/* non-zero cancels the run (signals) */
};

enum probe_event {
	PROBE_EV_START,			/* a probe was started */
	PROBE_EV_DONE,			/* a probe has its result (also SKIP) */
	PROBE_EV_TICK,			/* at least every 100 ms while it runs */
};

/* Progress, called in the caller's thread while probe_run_all blocks:
 * index into run->results (which holds every selected probe's id and title
 * from the first call, and its result on DONE); r is NULL on TICK. A screen
 * may redraw and read keys here. Return non-zero to cancel the run (the
 * TUI's hook): running probes are killed and every unfinished one is
 * reported as SKIP with reason "cancelled". */
typedef int probe_progress_fn(void *ctx, enum probe_event ev, size_t index,
			      const struct probe_result *r);

/* Run the probes named in ids (all that apply when n_ids is 0) and every
 * probe they depend on, as a dependency graph, in parallel. Fills run (the
 * caller frees it with probe_run_free) in registry order. Returns 0 when
 * the run was made (whatever the verdicts; a cancelled run included), or
 * -EINVAL with *cause for an unknown id or one that does not apply to the
 * site's line type. Each probe runs in a child process (fork): the caller
 * must not hold locks other threads need; the runner waits for its own
 * children by pid, so a SIGCHLD handler that reaps everything breaks it. */
int probe_run_all(const struct site *site, const char *const *ids, size_t n_ids,
		  const struct probe_options *opt, probe_progress_fn *fn, void *fn_ctx,
		  struct probe_run *run, char **cause);

#endif

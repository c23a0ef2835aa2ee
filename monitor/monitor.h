/* monitor: the long-running keeper of one site.
 *
 * mon_run() is `oqlink monitor`: at start it restores the last apply in
 * effect (prov_restore: the firewall first), then keeps the tunnel (the
 * connection loaded so that charon retries by itself, plus a watchdog that
 * initiates again with capped, jittered exponential back-off when no
 * CHILD_SA has been installed for a while, and reloads everything when
 * charon comes back after a restart), runs the probes on two timers, keeps
 * their results in SQLite (SITE->state_dir/monitor.db, WAL, retention by
 * age and size) and tells people about changes: one event per verdict
 * change and certificate alarms at 90/60/30 days and daily from 7, to the
 * journal (stderr without one) and to a remote syslog. One poll() loop:
 * VICI events, timers, signalfd (SIGTERM ends it, SIGHUP reloads the site
 * config), the pipes and pidfds of its children. sd_notify READY, WATCHDOG
 * and STATUS. The restore, the probes, the confirm countdown and the
 * reading of certificates run in short-lived children of the full oqlink,
 * each with a deadline, so that the keeper links only core, ipsec, SQLite,
 * libmicrohttpd and libsystemd (it is the lean program oqlink-monitor).
 *
 * The TUI and `oqlink history` read the database through mon_db_* below.
 *
 * Errors: 0 or -errno with a sentence in *cause (the caller frees it). */
#ifndef OQ_MONITOR_H
#define OQ_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes/probe.h"

struct site;

/* ---- the keeper ---- */

struct mon_opts {
	const char *config_path;	/* reloaded on SIGHUP; the children read it too */
	/* The full oqlink, which the keeper runs for the work that needs the
	 * heavy libraries: `oqlink monitor --child ...` (see monitor/child.h). */
	const char *oqlink_path;
	const char *db_path;		/* NULL: SITE->state_dir/monitor.db */
	bool no_restore;		/* skip restoring the last apply */
	/* Said in words as the keeper acts (one line, current language); the
	 * command layer prints it. May be NULL. */
	void (*say)(void *ctx, const char *line);
	void *ctx;
};

/* Run until SIGTERM or SIGINT (returns 0) or until it cannot go on
 * (-errno). site is the loaded config (the caller keeps it; a SIGHUP
 * reload replaces the keeper's own copy). -EBUSY when another keeper holds
 * the state dir. */
int mon_run(const struct site *site, const struct mon_opts *o, char **cause);

/* ---- pure parts (unit-tested) ---- */

/* Exponential back-off with jitter: delays base, 2*base, 4*base ... capped
 * at cap, each reduced by up to a quarter at random (rnd is a random
 * number). */
struct mon_backoff {
	unsigned base_ms, cap_ms;
	unsigned attempt;
};
int64_t mon_backoff_next(struct mon_backoff *b, uint32_t rnd);
void mon_backoff_reset(struct mon_backoff *b);

/* The alarm threshold a certificate with days_left whole days has reached:
 * 90, 60, 30, then 7, 6, ... 1 each day, 0 on expiry (and after); -1 when
 * none (more than 90 days left). A certificate alarms once per threshold. */
int mon_cert_threshold(int days_left);

/* Whether a new verdict is an event after the previous one (prev NULL: the
 * first known result, which is an event only when it is not PASS). SKIP
 * never makes an event. */
bool mon_verdict_event(const char *prev, const char *now);

/* Format one RFC 5424 message into buf (no trailing newline): PRI from
 * facility daemon and severity, a UTC timestamp in ms, host, "oqlink",
 * pid, msgid, structured data [oqlink@32473 probe=".." verdict=".."] when
 * probe is not NULL, then a BOM and the UTF-8 message. Returns its length
 * (truncated to size - 1). */
size_t mon_syslog_format(char *buf, size_t size, int severity, int64_t t_ms, const char *host,
			 int pid, const char *msgid, const char *probe, const char *verdict,
			 const char *msg);

/* ---- the database (also read by the TUI and `oqlink history`) ---- */

struct mon_db;

/* Open or create the database (WAL). -errno with *cause when it cannot. */
int mon_db_open(const char *path, struct mon_db **out, char **cause);
void mon_db_close(struct mon_db *db);
/* Before the keeper opens its history: when the file at path is there but
 * SQLite finds it damaged (PRAGMA quick_check), move it and its WAL aside
 * to path.broken-YYYYmmdd-HHMMSS and return 1 with that name in *moved, so
 * that a fresh history starts; 0 when it is sound or absent; -errno with
 * *cause when it cannot be moved. */
int mon_db_check(const char *path, char **moved, char **cause);
/* The path of a site's database; the caller frees it. */
char *mon_db_path(const struct site *s);

/* One stored probe result. Strings are owned by the entry. */
struct mon_probe_entry {
	int64_t t_ms;		/* when it finished, ms since the epoch */
	char *probe;		/* "dns" */
	char *verdict;		/* "PASS" ... */
	char *summary_ja, *summary_en;
	int64_t duration_ms;
};
void mon_probe_entries_free(struct mon_probe_entry *v, size_t n);

/* Record a result (t_ms: when it finished). */
int mon_db_add_result(struct mon_db *db, int64_t t_ms, const char *probe, const char *verdict,
		      const char *summary_ja, const char *summary_en, int64_t duration_ms,
		      char **cause);
/* The newest result per probe, sorted by probe name (kept aside, so it is
 * cheap however long the history, and known even after retention). */
int mon_latest(struct mon_db *db, struct mon_probe_entry **v, size_t *n, char **cause);
/* The results of probe (NULL: all) since since_ms, oldest first. */
int mon_timeline(struct mon_db *db, const char *probe, int64_t since_ms,
		 struct mon_probe_entry **v, size_t *n, char **cause);

/* What the keeper did last ("reinitiate", "reload", "restore", ...). */
struct mon_action {
	int64_t t_ms;
	char *kind;
	char *text_ja, *text_en;
};
int mon_db_add_action(struct mon_db *db, const char *kind, const char *text_ja,
		      const char *text_en, char **cause);
/* *found false when the keeper never acted. */
int mon_last_action(struct mon_db *db, struct mon_action *out, bool *found, char **cause);
void mon_action_clear(struct mon_action *a);

/* The verdict last announced for probe (NULL when none); the caller frees. */
int mon_db_get_verdict(struct mon_db *db, const char *probe, char **verdict, char **cause);
int mon_db_set_verdict(struct mon_db *db, const char *probe, const char *verdict, char **cause);

/* Certificate alarms: whether (cert, not_after, threshold) was announced,
 * and remember that it was. */
int mon_db_alarm_seen(struct mon_db *db, const char *cert, int64_t not_after, int threshold,
		      bool *seen, char **cause);
int mon_db_alarm_mark(struct mon_db *db, const char *cert, int64_t not_after, int threshold,
		      char **cause);

/* Retention: delete results older than days, then the oldest until the
 * results take at most max_bytes; *deleted gets how many went. */
int mon_db_prune(struct mon_db *db, int64_t now_ms, unsigned days, uint64_t max_bytes,
		 size_t *deleted, char **cause);

/* ---- what the screens show (monitor/view.c) ---- */

/* Whether a keeper runs on state_dir: 1 when its lock
 * (state_dir/monitor.lock) is held, 0 when it is not (or there is no lock
 * file), -errno when this process cannot tell (-EACCES: not root). */
int mon_running(const char *state_dir);
/* The keeper's lock file in state_dir (NULL: the default); owned by the
 * caller. */
char *mon_lock_path(const char *state_dir);

/* One cell of the strip: whether an entry finished in it, and the worst
 * verdict of those that did. */
struct mon_cell {
	bool seen;
	enum probe_verdict worst;
};
/* A 24-hour strip: cells of cell_ms each, the first starting at from_ms;
 * cell[i] gets the worst verdict (SKIP counting as better than WARN) of
 * the entries that finished in it. Entries with an unknown verdict are
 * left out. */
void mon_strip(const struct mon_probe_entry *v, size_t n, int64_t from_ms, int64_t cell_ms,
	       struct mon_cell *cell, size_t cells);
/* The symbol of a strip cell, readable without colour: '.' none,
 * 'o' PASS, '-' SKIP, 'w' WARN, 'X' FAIL, 'E' ERROR. */
char mon_strip_symbol(const struct mon_cell *c);

/* How long ago then_ms was, in the current language ("3 分前", "3 min
 * ago"), into buf; returns buf. */
char *mon_age(int64_t now_ms, int64_t then_ms, char *buf, size_t size);

/* The certificates the keeper counts down: the IKE certificate and each
 * terminal client certificate the config names. */
struct mon_cert {
	const char *what_ja, *what_en;	/* static */
	char *path;			/* owned */
	int days_left;			/* negative when expired */
	int64_t not_after;		/* Unix seconds; 0 when it could not be read */
	char *problem;			/* owned, why it could not be read; else NULL */
};
/* Where one watched certificate is: what to call it and its files. */
struct mon_cert_source {
	const char *what_ja, *what_en;	/* static */
	const char *path, *pass_file;	/* point into the site */
};
/* The certificates the keeper watches, in out (room for 1 + s->n_tls);
 * returns how many. */
size_t mon_cert_sources(const struct site *s, struct mon_cert_source *out);
/* The countdown of site's certificates; *v owned by the caller
 * (mon_certs_free). */
void mon_certs(const struct site *s, struct mon_cert **v, size_t *n);
void mon_certs_free(struct mon_cert *v, size_t n);
/* How loud the countdown should be: 0 quiet (more than 30 days), 1 a
 * banner (30 days or fewer), 2 a strong banner (7 days or fewer, and
 * expired). */
int mon_cert_level(int days_left);

#endif

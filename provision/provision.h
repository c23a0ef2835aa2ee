/* provision: make the host match the site config, safely.
 *
 * plan reads the host as it is (links, addresses and routes through netlink,
 * our nftables table `inet oqlink`, a few sysctls, the connection loaded in
 * charon) and lists the steps that would make it match the config. apply
 * takes a snapshot of everything those steps may touch, writes it to a
 * journal, runs the steps in a safe order, verifies, and records the result
 * in the history (SQLite). Any failing step restores the snapshot and names
 * the step. With a confirm timer a watcher process restores the snapshot by
 * itself unless `confirm` comes in time. A journal left by a killed apply is
 * found by prov_recover(), which restores the snapshot it holds.
 *
 * Files: SITE->state_dir/journal.json, SITE->state_dir/history.db,
 * SITE->run_dir/confirm.json, SITE->run_dir/lock.
 *
 * Test hooks (read from the environment by prov_apply, documented in
 * docs/provision.md): OQLINK_FAIL_STEP=N makes step N (1-based) fail before
 * it runs; OQLINK_STEP_DELAY_MS=M waits M ms before each step, so that a
 * test can kill an apply in the middle.
 *
 * Errors: 0 or -errno with a sentence in *cause (the caller frees it). */
#ifndef OQ_PROVISION_H
#define OQ_PROVISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct site;
struct json_object;

/* What one step does. */
enum prov_kind {
	PROV_FIREWALL,		/* load our nftables table (one transaction) */
	PROV_FIREWALL_DEL,	/* delete our nftables table */
	PROV_LINK,		/* set a link up/down and its MTU */
	PROV_ADDR_ADD,
	PROV_ADDR_DEL,
	PROV_ROUTE_ADD,
	PROV_ROUTE_DEL,
	PROV_SYSCTL,
	PROV_CHARON_LOAD,	/* load our connection and credentials into charon */
	PROV_CHARON_UNLOAD,
	PROV_DAEMON_START,	/* write a daemon's config and (re)start it */
	PROV_DAEMON_STOP,
};

/* One step. Every string is owned by the step. */
struct prov_step {
	enum prov_kind kind;
	char *object;		/* "192.0.2.0/24 via 198.51.100.1 dev wan0", "wan0", ... */
	char *from;		/* the value now, or NULL */
	char *to;		/* the value after, or NULL */
	void *priv;		/* internal data to run the step (owned) */
};

/* A plan: the steps in the order apply runs them, and notes for the reader
 * (what oqlink leaves to others: DHCP, charon's own routes). */
struct prov_plan {
	struct prov_step *steps;
	size_t n_steps;
	char **notes;		/* sentences in the current language */
	size_t n_notes;
};

/* Stable name of a kind ("route-add", ...). */
const char *prov_kind_name(enum prov_kind k);
/* The step as a sentence in the current language; the caller frees it. */
char *prov_step_text(const struct prov_step *st);

/* Read the host and compare it with the site. *out gets a new plan (maybe
 * with no steps) the caller frees with prov_plan_free. */
int prov_plan(const struct site *s, struct prov_plan **out, char **cause);
void prov_plan_free(struct prov_plan *p);
/* {"steps": [{"step", "kind", "object", "from", "to", "text"}], "notes": []};
 * a new object. */
struct json_object *prov_plan_to_json(const struct prov_plan *p);

/* Called before each step runs (index 0-based). */
typedef void prov_progress_fn(void *ctx, size_t index, size_t n, const struct prov_step *st);

struct prov_apply_opts {
	int confirm_s;		/* > 0: revert unless confirmed within this many seconds */
	prov_progress_fn *progress;	/* may be NULL */
	void *ctx;
};

/* What apply did. */
struct prov_result {
	size_t n_steps;		/* steps planned */
	size_t n_done;		/* steps that ran to the end */
	long failed_step;	/* 1-based number of the failed step, 0 if none */
	long history_id;	/* the history row, 0 when nothing was recorded */
	bool restored;		/* the snapshot was restored after a failure */
	int64_t deadline;	/* confirm deadline (epoch seconds), 0 without */
};

/* Apply the site: plan, snapshot, journal, steps, verify, history. An empty
 * plan changes nothing and records nothing. On failure the host is put back
 * as it was and *cause names the step. */
int prov_apply(const struct site *s, const struct prov_apply_opts *o, struct prov_result *res,
	       char **cause);
/* Keep what a pending `apply --confirm` did. -ENOENT when nothing waits. */
int prov_confirm(const struct site *s, long *history_id, char **cause);
/* Put the host back as it was before the latest apply still in effect and
 * mark that apply rolled back. -ENOENT when there is none. */
int prov_rollback(const struct site *s, long *history_id, char **cause);

/* What prov_recover found and did. */
struct prov_recovery {
	bool journal;		/* an interrupted apply was undone */
	bool confirm_expired;	/* a confirm deadline had passed unnoticed; reverted */
	long history_id;
	char *what;		/* a sentence in the current language, or NULL */
};
/* Finish what an earlier run left: an interrupted apply (journal) or a
 * confirm deadline that passed without its watcher. Cheap when there is
 * nothing to do. */
int prov_recover(const struct site *s, struct prov_recovery *out, char **cause);
void prov_recovery_clear(struct prov_recovery *r);

/* What prov_restore found and did. */
struct prov_restore {
	long history_id;	/* the apply now in effect, 0 when there is none */
	size_t n_steps;		/* steps it took to put it back (0: nothing was missing) */
	bool reverted;		/* a pending apply whose confirm window was lost is reverted */
	long reverted_id;
	bool pending;		/* a confirm countdown still runs */
	int64_t deadline;	/* its deadline (epoch seconds) */
	char *what;		/* what happened, sentences in the current language */
};
/* Bring the host back to the last apply in effect after a restart (power
 * cut): first finish what prov_recover finishes; a pending apply whose
 * confirm file is gone (its window was lost with the box) or expired is
 * reverted; then the config of the newest applied or confirmed row (or of
 * the pending one whose countdown still runs) is planned against the host
 * and the missing steps are run, the firewall first, with the journal as
 * for apply but without a new history row. Nothing applied yet is not an
 * error (history_id 0). */
int prov_restore(const struct site *s, struct prov_restore *out, char **cause);
void prov_restore_clear(struct prov_restore *r);
/* Revert a pending apply whose deadline has passed and whose watcher is
 * gone (the keeper owns the countdown when it runs); *reverted tells
 * whether it did. */
int prov_confirm_expire(const struct site *s, bool *reverted, long *history_id, char **cause);
/* Whether prov_recover has something to finish at now (epoch seconds): an
 * interrupted apply's journal, or a pending confirm whose deadline has
 * passed. It reads two small files and needs no library but json-c, so
 * the lean keeper asks it at every check and runs the full oqlink only
 * when it says yes. */
bool prov_recovery_due(const struct site *s, int64_t now);

/* One row of the history. Strings owned by the entry. */
struct prov_history_entry {
	long id;
	int64_t time;		/* epoch seconds */
	char *status;		/* "applied", "pending", "confirmed", "rolled-back",
				 * "reverted", "failed", "interrupted" */
	char *config_path;
	char *config_hash;	/* first 12 hex digits of the config's FNV-1a 64 */
	size_t n_changes;
	char *summary;		/* the steps, one per line, in English */
	char *summary_ja;	/* the same in Japanese */
};

/* The history, newest first, at most limit rows (0: all). */
int prov_history(const struct site *s, size_t limit, struct prov_history_entry **v, size_t *n,
		 char **cause);
void prov_history_free(struct prov_history_entry *v, size_t n);

/* The state for `status`. */
struct prov_status {
	bool have_last;
	struct prov_history_entry last;	/* the newest history row (owned) */
	bool pending;			/* a confirm countdown runs */
	long pending_id;
	int64_t deadline;		/* epoch seconds */
	long remaining_s;
	bool watcher_alive;
	bool journal;			/* an interrupted apply waits for recovery */
	bool ssh_running;		/* oqlink's sshd ([lan] ssh) runs */
	char *ssh_fingerprint;		/* its host key's SHA256 fingerprint, NULL
					 * when none was made yet (owned) */
};
int prov_status_get(const struct site *s, struct prov_status *out, char **cause);
void prov_status_clear(struct prov_status *st);

/* Put a credential file where the config will name it: copy src into dir
 * (created with mode 0700 when missing) under its own base name,
 * atomically and with mode 0600; with a password (a PKCS#12's), also write
 * it to "<name>.pass" beside it (mode 0600). The file is not parsed here:
 * check it first (probe_cert_check_import). *cert_path gets the new file,
 * *pass_path the password file (NULL without a password); the caller
 * frees both. Returns 0 or -errno with *cause. */
int prov_cert_install(const char *src, const char *password, const char *dir,
		      char **cert_path, char **pass_path, char **cause);

/* A network port of this box, to tell which socket is which. */
struct prov_nic {
	char name[16];			/* "enp1s0" */
	char mac[24];			/* "52:54:00:12:34:56" */
	char driver[32];		/* "igb", "veth"; "" when unknown */
	bool carrier;			/* a cable with a live peer is in */
	bool up;			/* not administratively down */
	int speed_mbps;			/* -1 when unknown or no link */
};

/* The Ethernet ports of this host (not lo), sorted by name, from
 * /sys/class/net and ETHTOOL_GDRVINFO. *out is a new array (free()) of
 * *n entries. Returns 0 or -errno with *cause. */
int prov_nic_list(struct prov_nic **out, size_t *n, char **cause);
/* Blink the port's light for seconds (ETHTOOL_PHYS_ID; blocks that long).
 * Returns 0, -EOPNOTSUPP with *cause when the driver cannot (veth, most
 * virtual NICs), or -errno with *cause. Needs root. */
int prov_nic_identify(const char *name, unsigned seconds, char **cause);

#endif

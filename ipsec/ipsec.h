/* ipsec: everything oqlink does with strongSwan's charon, over VICI.
 *
 * From the site config it loads one connection named "oqlink" (IKEv2, the
 * configured proposals and IDs, DPD, NAT-T, start action, traffic selectors
 * from the terminal side to the central prefixes) with its credentials, and
 * unloads exactly what it loaded. It brings the tunnel up and down, reads
 * the state of the SAs, follows charon's log, writes the equivalent
 * swanctl.conf, and explains failures in Japanese and English.
 *
 * Every function that talks to charon connects to the socket path it is
 * given (site->vici_socket), does its work with a deadline, and closes the
 * connection. Errors: 0 or -errno with a sentence in *cause (the caller
 * frees it); a missing socket reads "charon is not running at PATH". */
#ifndef OQ_IPSEC_H
#define OQ_IPSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/i18n.h"

struct site;
struct json_object;

/* Names of what oqlink loads into charon. */
#define IPSEC_CONN_NAME "oqlink"	/* the IKE connection and its CHILD */
#define IPSEC_CA_NAME "oqlink-ca"	/* the certification authority */
#define IPSEC_PSK_ID "oqlink-psk"	/* the shared key's unique id */
#define IPSEC_CHECK_NAME "oqlink-proposal-check"	/* loaded and unloaded at once */

/* Default wait for one command, and for bringing the tunnel up. */
#define IPSEC_TIMEOUT_MS 5000
#define IPSEC_UP_TIMEOUT_MS 30000

/* ---- connection ---- */

/* The connection as oqlink wants it (from the site) or as charon has it
 * (from list-conns). Every string and array is owned; ipsec_conn_clear
 * frees them. Fields charon does not report stay NULL/0 in a queried one. */
struct ipsec_conn {
	char *name;
	char *remote_addrs;		/* the peer */
	char *local_id, *remote_id;
	char *auth;			/* "pubkey" or "psk" */
	char *ike_proposals, *esp_proposals;
	unsigned dpd_delay;		/* seconds, 0 = off */
	bool encap;			/* UDP encapsulation forced */
	bool mobike;
	char *start_action;		/* "start", "trap" or "none" */
	bool keep;			/* kept for good: charon retries without end
					 * (queried: close_action is start) */
	char **local_ts;		/* the terminal side */
	size_t n_local_ts;
	char **remote_ts;		/* the central prefixes */
	size_t n_remote_ts;
};

/* The connection the site asks for. Returns 0, or -EINVAL with *cause. */
int ipsec_conn_from_site(const struct site *s, struct ipsec_conn *out, char **cause);
/* The connection named IPSEC_CONN_NAME as loaded in charon; *loaded false
 * (and out empty) when there is none. */
int ipsec_conn_query(const char *socket, struct ipsec_conn *out, bool *loaded, char **cause);
void ipsec_conn_clear(struct ipsec_conn *c);
/* The names of the fields that differ ("remote_ts", ...), comparing only
 * what a queried connection reports; a NULL-terminated array the caller
 * frees with str_list_free, NULL when they agree. For `plan`. */
char **ipsec_conn_diff(const struct ipsec_conn *want, const struct ipsec_conn *have);

/* Load the site's credentials (CA as authority IPSEC_CA_NAME, our
 * certificate with the connection, the private key, or the PSK with its
 * owners) and the connection. Reads the secret files itself. */
int ipsec_load(const struct site *s, char **cause);
/* ipsec_load for keeping the tunnel for good (the monitor): charon itself
 * retries without end (keyingtries 0), re-initiates on dead-peer detection
 * (dpd_action restart) and when the peer closes the CHILD_SA (close_action
 * start). ipsec_load (apply, `ipsec up`, diagnose) keeps one try, so that a
 * failure is reported at once. */
int ipsec_load_keep(const struct site *s, char **cause);
/* Unload what ipsec_load loaded (connection, authority, key, shared key)
 * and nothing else; what is already gone is not an error. The connection's
 * SAs are closed first and gone when it returns (a peer that does not answer
 * the delete within IPSEC_UNLOAD_CLOSE_MS is not waited for). */
#define IPSEC_UNLOAD_CLOSE_MS 3000
int ipsec_unload(const struct site *s, char **cause);
/* The record of what loading the site sends charon: one digest per config
 * key it comes from ("ike_proposals", "local_id", ..., credentials by
 * content, secret files by identity - path, inode, size, time - never by
 * content), "connection" for the whole load-conn message, and a digest of
 * it all: {"digest": "...", "keys": {...}} (a new object), or NULL with
 * *cause. ipsec_load keeps the record of its last success in
 * SITE->state_dir/ipsec-loaded.json; ipsec_unload removes it. */
struct json_object *ipsec_load_record(const struct site *s, char **cause);
/* The kept record (a new object), or NULL when there is none. */
struct json_object *ipsec_load_record_read(const struct site *s);
/* The keys whose digests differ between two records, "connection" alone
 * when only the message differs; NULL when the records are equal. A
 * NULL-terminated array the caller frees with str_list_free. */
char **ipsec_load_record_diff(struct json_object *want, struct json_object *have);

/* Which of our items charon holds now. */
struct ipsec_loaded {
	bool conn, authority, key, psk;
};
int ipsec_loaded_query(const struct site *s, struct ipsec_loaded *out, char **cause);

/* Ask charon whether it takes each proposal of the comma separated list
 * (IKE when ike, else ESP) by loading it into a throwaway connection
 * IPSEC_CHECK_NAME and unloading that at once. Returns 0 when charon took
 * them all; -EINVAL when it refused one, with *refused that proposal
 * (caller frees) and *cause charon's reason; other -errno when charon
 * could not be asked (-ENOENT, -ECONNREFUSED: not running). */
int ipsec_proposals_try(const char *socket, const char *list, bool ike, char **refused,
			char **cause);

/* The equivalent swanctl.conf, secrets as file references; the caller frees
 * it. `swanctl --load-all --file` of it loads the same connection. Every
 * value is written in double quotes; NULL when the site does not make a
 * connection or holds a value that cannot be quoted (", \, a control
 * character or invalid UTF-8). */
char *ipsec_export_swanctl(const struct site *s);

/* ---- SA state ---- */

/* One CHILD_SA as charon reports it (list-sas). Strings are owned, NULL
 * when charon did not report them; numbers 0 when absent. */
struct ipsec_child_sa {
	char *name;
	uint64_t uniqueid, reqid;
	char *state;			/* "INSTALLED", "REKEYING", ... */
	char *mode, *protocol;
	bool encap;
	char *spi_in, *spi_out;
	char *encr_alg, *integ_alg, *prf_alg, *dh_group;
	uint64_t encr_keysize, integ_keysize;
	uint64_t bytes_in, packets_in, bytes_out, packets_out;
	uint64_t use_in, use_out;	/* seconds since the last packet */
	uint64_t rekey_time, life_time, install_time;
	char **local_ts, **remote_ts;
	size_t n_local_ts, n_remote_ts;
};

/* One IKE_SA with its CHILD_SAs. */
struct ipsec_ike_sa {
	char *name;
	uint64_t uniqueid, version;
	char *state;			/* "ESTABLISHED", "CONNECTING", ... */
	char *local_host, *local_id, *remote_host, *remote_id;
	uint64_t local_port, remote_port;
	bool initiator;
	char *initiator_spi, *responder_spi;
	bool nat_local, nat_remote, nat_fake, nat_any;
	char *encr_alg, *integ_alg, *prf_alg, *dh_group;
	uint64_t encr_keysize, integ_keysize;
	uint64_t established, rekey_time, reauth_time;
	struct ipsec_child_sa *children;
	size_t n_children;
};

struct ipsec_sas {
	struct ipsec_ike_sa *v;
	size_t n;
};

/* The IKE_SAs named ike (all when NULL), with their CHILD_SAs. */
int ipsec_sas_get(const char *socket, const char *ike, struct ipsec_sas *out, char **cause);
void ipsec_sas_free(struct ipsec_sas *s);
/* As JSON: {"ike-sas": [{..., "child-sas": [...]}]} with charon's key
 * names and types (numbers, booleans); a new object. */
struct json_object *ipsec_sas_to_json(const struct ipsec_sas *s);
/* The IKE_SA of our connection, or NULL; its first CHILD_SA, or NULL. */
const struct ipsec_ike_sa *ipsec_sas_ours(const struct ipsec_sas *s);
const struct ipsec_child_sa *ipsec_ike_child(const struct ipsec_ike_sa *ike);

/* ---- control ---- */

/* One line of charon's log. */
struct ipsec_log_line {
	int level;			/* 0 (basic) .. 4 (private) */
	char group[8];			/* "IKE", "CFG", "NET", ... */
	const char *msg;		/* valid during the callback only */
	int64_t t_ms;			/* monotonic time it arrived */
};
typedef void ipsec_log_fn(void *ctx, const struct ipsec_log_line *line);

/* Initiate (up) or terminate (down) our connection and wait for the result
 * at most timeout_ms, handing charon's control log at level and below to
 * fn (may be NULL). A failure to establish is -EPROTO with charon's
 * message in *cause. */
int ipsec_up(const struct site *s, int level, int timeout_ms, ipsec_log_fn *fn, void *ctx,
	     char **cause);
int ipsec_down(const struct site *s, int level, int timeout_ms, ipsec_log_fn *fn, void *ctx,
	       char **cause);
/* Follow charon's log (level and below, groups a comma separated list or
 * NULL for all) until *stop becomes true or charon goes away. */
int ipsec_log_follow(const char *socket, int level, const char *groups, ipsec_log_fn *fn,
		     void *ctx, const volatile int *stop, char **cause);

/* The same log as a source for a caller's own poll() loop (the TUI): open
 * it, add ipsec_logwatch_fd() to the poll set, and call ipsec_logwatch_pump()
 * when it is readable; pump hands the lines that have arrived to fn without
 * waiting and returns how many, or -errno (-EPIPE when charon went away). */
struct ipsec_logwatch;
int ipsec_logwatch_open(const char *socket, int level, const char *groups, ipsec_log_fn *fn,
			void *ctx, struct ipsec_logwatch **out, char **cause);
int ipsec_logwatch_fd(const struct ipsec_logwatch *w);
int ipsec_logwatch_pump(struct ipsec_logwatch *w, char **cause);
void ipsec_logwatch_close(struct ipsec_logwatch *w);

/* Whether our CHILD_SA is installed now (*up), as list-sas tells. */
int ipsec_child_up(const char *socket, bool *up, char **cause);
/* Ask charon to initiate our connection and return without waiting for
 * the outcome (the keeper learns it from the events). */
int ipsec_initiate_nowait(const struct site *s, char **cause);
/* Close our IKE_SAs at once (whatever state they are stuck in, without
 * waiting for the peer) and initiate again without waiting: the watchdog's
 * action, which also starts charon's retransmissions afresh. */
int ipsec_restart_nowait(const struct site *s, char **cause);

/* ---- events: the keeper's view of charon ---- */

enum ipsec_event_kind {
	IPSEC_EV_IKE_UP,
	IPSEC_EV_IKE_DOWN,
	IPSEC_EV_CHILD_UP,
	IPSEC_EV_CHILD_DOWN,
	IPSEC_EV_IKE_REKEY,
	IPSEC_EV_LOG,
};

/* One event. Pointers are valid during the callback only. */
struct ipsec_event {
	enum ipsec_event_kind kind;
	const char *ike;		/* the IKE_SA's connection name, or NULL */
	const char *child;		/* the CHILD_SA's name (child events), or NULL */
	const char *state;		/* the IKE_SA's state as charon names it, or NULL */
	int level;			/* log only */
	char group[8];			/* log only */
	const char *msg;		/* log only */
};
typedef void ipsec_event_fn(void *ctx, const struct ipsec_event *ev);

/* A subscription to ike-updown, child-updown, ike-rekey and (level and
 * below, -1: none) log, for a caller's own poll() loop: add
 * ipsec_events_fd() to the poll set and call ipsec_events_pump() when it is
 * readable; pump hands what has arrived to fn without waiting and returns
 * how many events, or -errno (-EPIPE when charon went away: close and open
 * again once the socket is back). */
struct ipsec_events;
int ipsec_events_open(const char *socket, int log_level, ipsec_event_fn *fn, void *ctx,
		      struct ipsec_events **out, char **cause);
int ipsec_events_fd(const struct ipsec_events *e);
int ipsec_events_pump(struct ipsec_events *e, char **cause);
void ipsec_events_close(struct ipsec_events *e);
/* The event kind's stable name ("child-up", ...). */
const char *ipsec_event_name(enum ipsec_event_kind k);

/* ---- diagnosis ---- */

/* Why a tunnel does not work, as far as charon's log tells. */
enum ipsec_cause {
	IPSEC_CAUSE_OK = 0,		/* up and passing traffic */
	IPSEC_CAUSE_UNREACHABLE,	/* no answer to IKE_SA_INIT */
	IPSEC_CAUSE_NATT_BLOCKED,	/* IKE_SA_INIT answered, nothing on UDP 4500 */
	IPSEC_CAUSE_NO_PROPOSAL,	/* NO_PROPOSAL_CHOSEN for the IKE_SA */
	IPSEC_CAUSE_NO_ESP_PROPOSAL,	/* NO_PROPOSAL_CHOSEN for the CHILD_SA (ESP) */
	IPSEC_CAUSE_REMOTE_ID,		/* the peer is not who we expect */
	IPSEC_CAUSE_OUR_CERT,		/* the peer rejected our certificate */
	IPSEC_CAUSE_PEER_CERT,		/* we do not trust the peer's certificate */
	IPSEC_CAUSE_PEER_CERT_EXPIRED,	/* the peer's certificate has expired */
	IPSEC_CAUSE_CLOCK,		/* a certificate not yet valid: clock */
	IPSEC_CAUSE_PSK,		/* pre-shared key mismatch */
	IPSEC_CAUSE_AUTH,		/* AUTHENTICATION_FAILED, no finer cause */
	IPSEC_CAUSE_TS,			/* TS_UNACCEPTABLE */
	IPSEC_CAUSE_NO_TRAFFIC,		/* up, bytes out, none in: ESP blocked */
	IPSEC_CAUSE_NOT_ROUTED,		/* up, but nothing enters the tunnel */
	IPSEC_CAUSE_MTU,		/* small packets pass, full-size ones vanish */
	IPSEC_CAUSE_KERNEL,		/* negotiated, but not installable here */
	IPSEC_CAUSE_CHARON,		/* charon not running or refusing */
	IPSEC_CAUSE_UNKNOWN,
};

/* The exchange where establishing stopped. */
enum ipsec_phase {
	IPSEC_PHASE_NONE = 0,		/* nothing failed, or charon was not asked */
	IPSEC_PHASE_IKE_SA_INIT,	/* the first exchange: IKE proposals, DH */
	IPSEC_PHASE_IKE_AUTH,		/* identities, certificates, keys */
	IPSEC_PHASE_CHILD_SA,		/* the IKE_SA stands: ESP proposals, selectors */
};

/* "IKE_SA_INIT", "IKE_AUTH", "CHILD_SA", or NULL for none. */
const char *ipsec_phase_name(enum ipsec_phase p);

/* What diagnose found. Strings are owned by the struct. */
struct ipsec_diagnosis {
	enum ipsec_cause cause;
	const char *id;			/* stable name: "no-proposal" (static); both
					 * proposal causes share it, see proposal */
	enum ipsec_phase phase;		/* where it stopped (for a failure) */
	const char *proposal;		/* "ike" or "esp" on a proposal mismatch (static) */
	char *peer_proposals;		/* the gateway's, when the log shows them */
	struct bitext title;		/* static */
	struct bitext explain;		/* static */
	struct bitext next;		/* what to do next (static) */
	char *detail;			/* our proposals / selectors shown, or NULL */
	char **evidence;		/* the log lines that prove it */
	size_t n_evidence;
	char **log;			/* everything captured */
	size_t n_log;
	int64_t ike_ms, child_ms, total_ms;	/* -1 when not reached */
	int64_t started, ended;		/* wall clock, ms since the epoch */
	char *local, *remote;		/* addresses and ports used ("198.51.100.2:4500"),
					 * NULL when no packet was sent */
	uint64_t bytes_out, bytes_in;	/* after the traffic check */
};

/* Classify a captured log (pure; used by ipsec_diagnose and tests). auth is
 * the site's ("pubkey"/"psk"). Fills cause, id, texts, phase, proposal,
 * peer_proposals, local, remote and evidence. */
void ipsec_classify(const char *const *lines, size_t n, const char *auth,
		    struct ipsec_diagnosis *d);
/* Is our IKE_SA established now? (diagnose closes it: ask first.) */
int ipsec_is_up(const struct site *s, bool *up, char **cause);
/* Reload our connection, close its SAs, flush charon's certificate cache
 * and bring the tunnel up with the control log captured (fn sees it at
 * level 1); on AUTHENTICATION_FAILED try once more without insisting on the
 * gateway's identity (connection "oqlink-probe", removed afterwards); once
 * up, check that traffic passes from the terminal-side address to
 * ping_target (NULL: the first [probe] ping address in the central
 * prefixes; no check when there is none), small packets and then packets
 * of tunnel_mtu with DF. The tunnel is left up when it works. Returns 0
 * when a diagnosis was made (even of a failure), -errno when it could not
 * run; *out is then the caller's to clear. */
int ipsec_diagnose(const struct site *s, const char *ping_target, int timeout_ms,
		   ipsec_log_fn *fn, void *ctx, struct ipsec_diagnosis *out, char **cause);
void ipsec_diagnosis_clear(struct ipsec_diagnosis *d);
struct json_object *ipsec_diagnosis_to_json(const struct ipsec_diagnosis *d);

#endif

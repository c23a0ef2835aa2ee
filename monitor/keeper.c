/* The keeper's loop: restore, keep the tunnel, probe on timers, record and
 * tell. One process, one poll(): signalfd, the VICI event stream, the
 * children's pipes and pidfds, timers computed from the next due time.
 * What needs the heavy libraries runs in children of the full oqlink
 * (monitor/child.h): this file links only core, ipsec, the results of
 * probes and the recovery check of provision. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "monitor/child.h"
#include "monitor/metrics.h"
#include "monitor/monitor.h"
#include "probes/probe.h"
#include "provision/provision.h"

/* The tunnel's state is read on charon's events and, as a safety net (a
 * CHILD_SA stuck on its way sends none), at these intervals. */
#define CHECK_UP_MS 5000	/* the tunnel is up */
#define CHECK_DOWN_MS 1000	/* it is not: the watchdog counts */
#define CHARON_RETRY_MS 500	/* looking for charon's socket while it is away */
#define BACKOFF_BASE_MS 5000
#define BACKOFF_CAP_MS 20000
#define PRUNE_MS (3600 * 1000)
/* A CHILD_SA is stale when reach (or child) fails while it is installed and nothing
 * has come in over it for this long; it is then closed and initiated
 * again, with its own back-off (a central host that is down makes reach
 * fail too, so the attempts thin out). */
#define STALE_MS (20 * 1000)
#define STALE_BACKOFF_BASE_MS (30 * 1000)
#define STALE_BACKOFF_CAP_MS (15 * 60 * 1000)
/* How long each child may take before it is killed: a round of probes
 * (each probe has its own timeout, the whole run 60 s at most), putting the
 * last apply back at start, reverting an expired confirm. */
#define LIGHT_LIMIT_MS (90 * 1000)
#define HEAVY_LIMIT_MS (150 * 1000)
#define RESTORE_LIMIT_MS (120 * 1000)
#define CONFIRM_LIMIT_MS (60 * 1000)

/* What the round child does: light or heavy probes, or only read the
 * certificates (after a reload). */
enum round_kind { ROUND_LIGHT, ROUND_HEAVY, ROUND_CERTS };

static const char *const light_probes[] = { "link", "gateway", "ike", "child", "dns", "reach" };
static const char *const heavy_probes[] = { "tls", "cert", "pmtu", "proxy", "clock" };

struct keeper {
	const struct site *site;	/* the config in use */
	struct site *own;		/* a reloaded one (owned), or NULL */
	const struct mon_opts *o;
	struct mon_db *db;
	bool db_said;			/* the database failure has been said */
	bool db_memory;			/* the file could not be opened: kept in memory */
	struct ipsec_events *ev;
	bool charon_seen;		/* charon was reachable before */
	int sfd;
	bool stop;
	bool reload;			/* SIGHUP came */
	int64_t down_since;		/* monotonic ms without a CHILD_SA, -1: installed */
	char last_log[240];		/* charon's last word about our IKE_SA */
	struct mon_backoff bo;
	/* the stale CHILD_SA: the one installed (uniqueid) and its packets in,
	 * when they last grew (or it was new), when reach or child last failed
	 * (0: reach passes), and the back-off of the restarts */
	uint64_t child_id, in_packets;
	int64_t in_grew, reach_failed;
	struct mon_backoff stale_bo;
	int64_t next_stale;
	int64_t next_initiate, next_check, next_light, next_heavy, next_prune;
	int syslog_fd;
	bool syslog_tcp;
	int status_sent;		/* the STATUS last sent: 1 up, 0 down, 2 no tunnel, -1 none */
	bool journal;			/* the journal's socket is there */
	bool journal_stdout;		/* our output already goes to the journal */
	/* metrics ([monitor] metrics_listen): the server, or NULL */
	struct metrics *metrics;
	bool metrics_said;		/* the failure to listen has been said */
	bool metrics_dirty;		/* something they show has changed */
	/* children: a round of probes (or certificates), and a chore
	 * (restore, confirm) beside it */
	struct mon_child round, chore;
	enum round_kind round_kind;
	const char *chore_what;		/* "restore", "confirm" */
	bool certs_due;			/* read the certificates again when idle */
	struct probe_result latest[16];	/* the latest result of each probe (owned) */
	size_t n_latest;
	/* the verdict last announced per probe, also when the database could
	 * not keep it (a full disk must not make every round an event) */
	struct { char id[16]; char verdict[8]; } told[16];
	size_t n_told;
	struct metrics_cert *certs;	/* the certificates as last read (owned) */
	struct probe_cert_info *cert_info;
	char **cert_path;
	size_t n_certs;
};

/* Say a line in the current language through the caller. */
static void say(struct keeper *k, const char *line)
{
	if (k->o->say)
		k->o->say(k->o->ctx, line);
}

/* After a database write: when it failed keep going, and say it once
 * until a write works again. *cause is read after the call that set it
 * (as an argument beside that call it would be read in no set order), then
 * freed. */
static void db_result(struct keeper *k, int r, char **cause)
{
	if (r < 0 && !k->db_said) {
		char *t = xasprintf(_("履歴に書けません (トンネルの維持は続けます): %s",
				      "cannot write the history (the tunnel is still kept): %s"),
				    *cause ? *cause : "?");
		say(k, t);
		free(t);
		k->db_said = true;
	} else if (r == 0 && k->db_said && !k->db_memory) {
		say(k, _("履歴にまた書けるようになりました", "the history can be written again"));
		k->db_said = false;
	}
	free(*cause);
	*cause = NULL;
}

/* After a database read: a failure is said as a write's is; a success
 * says nothing (reading works on a full disk). */
static void db_read(struct keeper *k, int r, char **cause)
{
	if (r < 0) {
		db_result(k, r, cause);
		return;
	}
	free(*cause);
	*cause = NULL;
}

/* What the keeper did: said in words and recorded. */
static void act(struct keeper *k, const char *kind, const char *ja, const char *en, ...)
	__attribute__((format(printf, 3, 5), format(printf, 4, 5)));
static void act(struct keeper *k, const char *kind, const char *ja, const char *en, ...)
{
	char *tja = NULL, *ten = NULL, *cause = NULL;
	va_list ap, ap2;

	va_start(ap, en);
	va_copy(ap2, ap);
	if (vasprintf(&tja, ja, ap) < 0)
		tja = NULL;
	if (vasprintf(&ten, en, ap2) < 0)
		ten = NULL;
	va_end(ap2);
	va_end(ap);
	say(k, i18n_lang() == OQ_LANG_JA ? (tja ? tja : "?") : (ten ? ten : "?"));
	if (k->db)
		db_result(k, mon_db_add_action(k->db, kind, tja, ten, &cause), &cause);
	free(tja);
	free(ten);
}

/* ---- telling people ---- */

/* Open the remote syslog socket (UDP connected, or TCP); -1 when off. */
static void syslog_open(struct keeper *k)
{
	struct site_hostport hp = { 0 };
	struct addrinfo hints = { .ai_family = AF_UNSPEC }, *res = NULL;
	char port[8];

	if (k->syslog_fd >= 0 || k->site->syslog == NULL ||
	    !site_syslog_parse(k->site->syslog, &k->syslog_tcp, &hp))
		goto out;
	hints.ai_socktype = k->syslog_tcp ? SOCK_STREAM : SOCK_DGRAM;
	snprintf(port, sizeof(port), "%u", hp.port);
	if (getaddrinfo(hp.host, port, &hints, &res) != 0 || res == NULL)
		goto out;
	k->syslog_fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, 0);
	if (k->syslog_fd >= 0) {
		struct timeval tv = { 2, 0 };
		setsockopt(k->syslog_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(k->syslog_fd, res->ai_addr, res->ai_addrlen) < 0) {
			close(k->syslog_fd);
			k->syslog_fd = -1;
		}
	}
out:
	if (res)
		freeaddrinfo(res);
	free(hp.host);
}

static void syslog_close(struct keeper *k)
{
	if (k->syslog_fd >= 0)
		close(k->syslog_fd);
	k->syslog_fd = -1;
}

/* Send one RFC 5424 message (TCP with octet counting, RFC 6587). */
static void syslog_send(struct keeper *k, int severity, const char *msgid, const char *probe,
			const char *verdict, const char *msg)
{
	char buf[2048], host[256] = "-", out[2100];
	struct timespec ts;
	size_t len;
	ssize_t n;

	syslog_open(k);
	if (k->syslog_fd < 0)
		return;
	gethostname(host, sizeof(host) - 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	len = mon_syslog_format(buf, sizeof(buf), severity,
				(int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, host, (int)getpid(),
				msgid, probe, verdict, msg);
	if (k->syslog_tcp) {
		int m = snprintf(out, sizeof(out), "%zu %s", len, buf);
		n = send(k->syslog_fd, out, (size_t)m, MSG_NOSIGNAL);
	} else {
		n = send(k->syslog_fd, buf, len, MSG_NOSIGNAL);
	}
	if (n < 0)
		syslog_close(k);	/* open again next time */
}

/* An event: the journal with fields (or the caller's output), and syslog. */
static void tell(struct keeper *k, int severity, const char *msgid, const char *probe,
		 const char *verdict, const char *msg)
{
	if (k->journal)
		k->journal = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", severity, "OQLINK_EVENT=%s", msgid,
				"OQLINK_PROBE=%s", probe ? probe : "", "OQLINK_VERDICT=%s",
				verdict ? verdict : "", "SYSLOG_IDENTIFIER=oqlink", NULL) == 0;
	if (!k->journal || !k->journal_stdout)
		say(k, msg);
	syslog_send(k, severity, msgid, probe, verdict, msg);
}

/* ---- keeping the tunnel ---- */

/* Whether charon holds our connection as the site wants it, kept for good
 * (loading it again would replace its SAs). */
static bool tunnel_loaded(struct keeper *k)
{
	struct ipsec_conn want, have;
	char **diff = NULL;
	bool loaded = false, same;

	if (ipsec_conn_from_site(k->site, &want, NULL) < 0)
		return false;
	if (ipsec_conn_query(k->site->vici_socket, &have, &loaded, NULL) == 0 && loaded)
		diff = ipsec_conn_diff(&want, &have);
	same = loaded && have.keep && diff == NULL;
	str_list_free(diff);
	ipsec_conn_clear(&want);
	ipsec_conn_clear(&have);
	return same;
}

/* Load the credentials and the connection kept for good; force: even when
 * charon seems to hold it already (a new config, charon restarted). */
static void tunnel_load(struct keeper *k, bool force)
{
	char *cause = NULL;

	if (k->site->line != SITE_LINE_IPSEC || (!force && tunnel_loaded(k)))
		return;
	if (ipsec_load_keep(k->site, &cause) < 0)
		act(k, "load", "接続を charon に読み込めません: %s",
		    "cannot load the connection into charon: %s", cause);
	free(cause);
}

/* Ask charon to close our SAs and initiate again, without waiting; what
 * names the action when charon does not take the request. */
static bool restart_asked(struct keeper *k, const char *what)
{
	char *cause = NULL;
	bool ok = ipsec_restart_nowait(k->site, &cause) >= 0;

	if (!ok)
		act(k, what, "張り直しを charon に頼めませんでした: %s",
		    "charon did not take the request to initiate again: %s", cause);
	free(cause);
	return ok;
}

/* Close what is stuck and initiate again, without waiting. */
static void tunnel_restart(struct keeper *k, int64_t now)
{
	int64_t delay = mon_backoff_next(&k->bo, (uint32_t)random());

	tunnel_load(k, false);
	if (restart_asked(k, "reinitiate"))
		act(k, "reinitiate",
		    "CHILD_SA が %lld 秒ありません。トンネルを張り直します (%u 回目、次は %lld 秒後)。charon の最後の記録: %s",
		    "no CHILD_SA for %lld s: initiating the tunnel again (attempt %u, next in %lld s); charon last said: %s",
		    (long long)((now - k->down_since) / 1000), k->bo.attempt,
		    (long long)(delay / 1000), k->last_log[0] ? k->last_log : "-");
	k->next_initiate = now + delay;
}

static void on_event(void *ctx, const struct ipsec_event *ev)
{
	struct keeper *k = ctx;

	if (ev->ike == NULL || strcmp(ev->ike, IPSEC_CONN_NAME) != 0)
		return;
	if (ev->kind == IPSEC_EV_LOG) {
		/* kept to say why when the watchdog acts */
		snprintf(k->last_log, sizeof(k->last_log), "%s", ev->msg);
		return;
	}
	/* the next check reads the state; an event only makes it come sooner */
	k->next_check = now_ms();
	k->metrics_dirty = true;
}

/* charon is (back): follow its events, load everything, initiate. */
static void charon_attach(struct keeper *k, int64_t now)
{
	char *cause = NULL;

	if (ipsec_events_open(k->site->vici_socket, 1, on_event, k, &k->ev, &cause) < 0) {
		free(cause);
		return;
	}
	if (k->charon_seen)
		act(k, "charon", "charon が戻りました。証明書と接続を読み込み直して張ります",
		    "charon is back: loading the credentials and the connection again and initiating");
	else
		act(k, "charon", "charon に接続しました。接続は張り続ける設定で読み込みます (charon 自身も再試行します)",
		    "connected to charon: the connection is loaded to be kept for good (charon retries by itself too)");
	tunnel_load(k, k->charon_seen);
	/* start_action = start initiates on loading; trap and none do not */
	if (k->charon_seen && k->site->line == SITE_LINE_IPSEC &&
	    k->site->start_action != SITE_START_START && ipsec_initiate_nowait(k->site, &cause) < 0)
		act(k, "reinitiate", "張り直しを charon に頼めませんでした: %s",
		    "charon did not take the request to initiate again: %s", cause);
	free(cause);
	k->charon_seen = true;
	k->metrics_dirty = true;
	mon_backoff_reset(&k->bo);
	k->next_initiate = now;
}

static void charon_detach(struct keeper *k)
{
	ipsec_events_close(k->ev);
	k->ev = NULL;
	k->next_check = now_ms() + CHARON_RETRY_MS;	/* look for it again soon */
	k->metrics_dirty = true;
	act(k, "charon", "charon との接続が切れました。戻るのを待ちます",
	    "charon went away: waiting for it to come back");
}

/* The stale CHILD_SA: installed, but reach or child fails and its packets-in
 * counter has not grown for STALE_MS since before the failure (a peer that
 * lost its SAs, a path that came back changed). Close it and initiate
 * again, with back-off. */
static void stale_check(struct keeper *k, int64_t now)
{
	struct ipsec_sas sas = { 0 };
	const struct ipsec_child_sa *c;
	char *cause = NULL;
	int64_t delay;

	if (ipsec_sas_get(k->site->vici_socket, IPSEC_CONN_NAME, &sas, &cause) < 0) {
		free(cause);
		return;
	}
	c = ipsec_sas_ours(&sas) ? ipsec_ike_child(ipsec_sas_ours(&sas)) : NULL;
	if (c && (c->uniqueid != k->child_id || c->packets_in > k->in_packets)) {
		k->in_grew = now;
		if (c->uniqueid != k->child_id && c->packets_in > 0)
			mon_backoff_reset(&k->stale_bo);
	}
	if (c) {
		k->child_id = c->uniqueid;
		k->in_packets = c->packets_in;
	}
	ipsec_sas_free(&sas);
	if (c == NULL || k->reach_failed <= k->in_grew || now - k->in_grew < STALE_MS ||
	    now < k->next_stale)
		return;
	delay = mon_backoff_next(&k->stale_bo, (uint32_t)random());
	if (restart_asked(k, "stale"))
		act(k, "stale",
		    "CHILD_SA は張られていますが、%lld 秒の間なにも届かず、トンネルを通る検査が失敗しています。SA を閉じて張り直します (%u 回目、次は早くても %lld 秒後)",
		    "the CHILD_SA is installed but nothing has come in for %lld s and the probes through the tunnel fail: closing the SAs and initiating again (attempt %u, next no sooner than in %lld s)",
		    (long long)((now - k->in_grew) / 1000), k->stale_bo.attempt,
		    (long long)(delay / 1000));
	k->next_stale = now + delay;
	k->in_grew = now;	/* the new CHILD_SA gets its time */
}

/* The watchdog: is a CHILD_SA installed; if not for long, initiate. */
static void tunnel_check(struct keeper *k, int64_t now)
{
	char *cause = NULL;
	bool up = false;

	if (k->site->line != SITE_LINE_IPSEC)
		return;
	if (k->ev == NULL) {
		charon_attach(k, now);
		if (k->ev == NULL)
			return;
	}
	if (ipsec_child_up(k->site->vici_socket, &up, &cause) < 0) {
		free(cause);
		charon_detach(k);
		return;
	}
	if (up) {
		if (k->down_since >= 0) {
			k->metrics_dirty = true;
			act(k, "up", "トンネルが張られています (CHILD_SA あり、%lld 秒ぶり)",
			    "the tunnel is up (CHILD_SA installed, after %lld s)",
			    (long long)((now - k->down_since) / 1000));
		}
		k->down_since = -1;
		mon_backoff_reset(&k->bo);
		stale_check(k, now);
		return;
	}
	if (k->down_since < 0) {
		k->metrics_dirty = true;
		k->down_since = now;
		k->next_initiate = now + (int64_t)k->site->mon_reinitiate_s * 1000;
		act(k, "down", "CHILD_SA がありません。%u 秒待って張り直します",
		    "no CHILD_SA installed: initiating again after %u s", k->site->mon_reinitiate_s);
	}
	if (now >= k->next_initiate)
		tunnel_restart(k, now);
}

/* ---- children ---- */

/* Start a child of the full oqlink: `oqlink --lang L --config PATH monitor
 * --child ARGS...` (args NULL-terminated). */
static int child_start(struct keeper *k, struct mon_child *c, int64_t limit_ms,
		       const char *const *args, char **cause)
{
	char *argv[40];
	size_t n = 0;
	int r;

	argv[n++] = xstrdup(k->o->oqlink_path);
	argv[n++] = xstrdup("--lang");
	argv[n++] = xstrdup(i18n_lang_name(i18n_lang()));
	argv[n++] = xstrdup("--config");
	argv[n++] = xstrdup(k->o->config_path);
	argv[n++] = xstrdup("monitor");
	argv[n++] = xstrdup("--child");
	while (*args && n < ARRAY_SIZE(argv) - 1)
		argv[n++] = xstrdup(*args++);
	argv[n] = NULL;
	r = mon_child_start(c, argv, limit_ms, cause);
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	return r;
}

/* The JSON object an ended child wrote; NULL, said in words, when it
 * failed (its exit, a signal, its time ran out) or wrote none. */
static struct json_object *child_result(struct keeper *k, struct mon_child *c, const char *what)
{
	struct json_object *o = c->len ? json_tokener_parse(c->buf) : NULL, *e;
	bool ok = !c->killed && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
	const char *err = NULL;
	char *how;

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	if (ok && o)
		return o;
	if (o && json_object_object_get_ex(o, "error", &e))
		err = json_object_get_string(e);
	how = mon_child_how(c, now_ms());
	act(k, what, "oqlink monitor --child %s がうまく終わりませんでした (%s): %s",
	    "oqlink monitor --child %s did not end well (%s): %s", what, how,
	    err ? err : _("結果がありません", "no result"));
	free(how);
	json_object_put(o);
	return NULL;
}

/* Start the chore child what ("restore", "confirm"). */
static void chore_start(struct keeper *k, const char *what, int64_t limit_ms)
{
	const char *args[] = { what, NULL };
	char *cause = NULL;

	if (child_start(k, &k->chore, limit_ms, args, &cause) < 0)
		act(k, what, "%s", "%s", cause);
	free(cause);
}

/* The chore child ended: say what it did. */
static void chore_done(struct keeper *k)
{
	const char *what = k->chore_what;
	struct json_object *o = child_result(k, &k->chore, what), *v;

	if (o && strcmp(what, "restore") == 0 && json_object_object_get_ex(o, "what", &v) &&
	    json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			act(k, "restore", "%s", "%s",
			    json_object_get_string(json_object_array_get_idx(v, i)));
	} else if (o && strcmp(what, "confirm") == 0 && json_object_object_get_ex(o, "reverted", &v) &&
		   json_object_get_boolean(v)) {
		long id = json_object_object_get_ex(o, "id", &v) ? (long)json_object_get_int64(v) : 0;
		act(k, "confirm", "適用 #%ld は期限までに確認されなかったので元に戻しました",
		    "apply #%ld was not confirmed in time and has been reverted", id);
	}
	json_object_put(o);
	mon_child_reset(&k->chore);
}

/* The keeper owns the confirm countdown while it runs: a cheap look at the
 * files each check, the full oqlink only when there is something to do. */
static void confirm_check(struct keeper *k)
{
	if (mon_child_busy(&k->chore) || !prov_recovery_due(k->site, (int64_t)time(NULL)))
		return;
	k->chore_what = "confirm";
	chore_start(k, "confirm", CONFIRM_LIMIT_MS);
}

/* ---- metrics ---- */

/* Serve the metrics when [monitor] metrics_listen is set. A failure to
 * listen is said once; the tunnel is kept all the same and the next try
 * comes with the next light probes. */
static void metrics_open(struct keeper *k)
{
	const struct site_hostport *hp = &k->site->metrics_listen;
	char *cause = NULL;

	if (hp->host == NULL || k->metrics != NULL)
		return;
	if (metrics_start(hp->host, hp->port, &k->metrics, &cause) < 0) {
		if (!k->metrics_said)
			act(k, "metrics", "メトリクスを %s のポート %u で出せません (トンネルの維持は続けます): %s",
			    "cannot serve the metrics on %s port %u (the tunnel is still kept): %s",
			    hp->host, hp->port, cause ? cause : "?");
		k->metrics_said = true;
		k->metrics = NULL;
	} else {
		act(k, "metrics", "メトリクスを %s のポート %u の /metrics で出しています",
		    "serving the metrics on %s port %u at /metrics", hp->host, hp->port);
		k->metrics_said = false;
		k->metrics_dirty = true;
	}
	free(cause);
}

/* Whether two host:port values are the same (both off counts as the same). */
static bool hostport_same(const struct site_hostport *a, const struct site_hostport *b)
{
	if (a->host == NULL || b->host == NULL)
		return a->host == b->host;
	return strcmp(a->host, b->host) == 0 && a->port == b->port;
}

static void metrics_close(struct keeper *k)
{
	metrics_stop(k->metrics);
	k->metrics = NULL;
	k->metrics_said = false;
}

/* Hand the server what the keeper knows now, when something changed: the
 * SAs read from charon at this moment, the certificates and the latest
 * results. */
static void metrics_publish(struct keeper *k)
{
	struct ipsec_sas sas = { 0 };
	struct metrics_snapshot snap = { 0 };
	struct timespec ts;
	bool have_sas = false;
	char *cause = NULL;

	if (k->metrics == NULL || !k->metrics_dirty)
		return;
	k->metrics_dirty = false;
	if (k->site->line == SITE_LINE_IPSEC && k->ev != NULL)
		have_sas = ipsec_sas_get(k->site->vici_socket, IPSEC_CONN_NAME, &sas, &cause) == 0;
	free(cause);
	clock_gettime(CLOCK_REALTIME, &ts);
	snap.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	snap.sas = have_sas ? &sas : NULL;
	snap.certs = k->certs;
	snap.n_certs = k->n_certs;
	snap.probes = k->latest;
	snap.n_probes = k->n_latest;
	metrics_update(k->metrics, &snap);
	if (have_sas)
		ipsec_sas_free(&sas);
}

/* ---- signals and the loop's small steps ---- */

static void reload(struct keeper *k)
{
	struct site_diags d = { 0 };
	struct site *s = site_load(k->o->config_path, true, &d);
	bool moved;

	if (s == NULL) {
		act(k, "reload", "新しい設定には %zu 件の問題があります。前の設定のまま続けます",
		    "the new config has %zu problem(s): keeping the old one", d.n);
		for (size_t i = 0; i < d.n; i++) {
			char *t = xasprintf("%s:%u:%u: %s", d.v[i].file, d.v[i].line, d.v[i].col,
					    d.v[i].message);
			say(k, t);
			free(t);
		}
		site_diags_free(&d);
		return;
	}
	site_diags_free(&d);
	moved = !hostport_same(&k->site->metrics_listen, &s->metrics_listen);
	site_free(k->own);
	k->own = s;
	k->site = s;
	syslog_close(k);
	act(k, "reload", "設定を読み込み直しました (%s)", "the config has been reloaded (%s)",
	    k->o->config_path);
	tunnel_load(k, true);
	k->certs_due = true;	/* the certificates may be new */
	if (moved)
		metrics_close(k);
	metrics_open(k);
}

static void read_signals(struct keeper *k)
{
	struct signalfd_siginfo si;

	while (read(k->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			k->reload = true;	/* the probes may be using the site now */
		else
			k->stop = true;
	}
}

/* Everything that is due except the children's work. */
static void tick(struct keeper *k)
{
	int64_t now;

	if (k->reload) {
		k->reload = false;
		reload(k);
	}
	now = now_ms();
	if (now >= k->next_check) {
		tunnel_check(k, now);
		confirm_check(k);
		sd_notify(0, "WATCHDOG=1");
		k->next_check = now + (k->site->line != SITE_LINE_IPSEC ? CHECK_UP_MS :
				       k->ev == NULL ? CHARON_RETRY_MS :
				       k->down_since < 0 ? CHECK_UP_MS : CHECK_DOWN_MS);
	}
	metrics_publish(k);
}

/* ---- probes ---- */

/* The slot of probe id in k->told, or NULL when there is no room. */
static char *told_slot(struct keeper *k, const char *id)
{
	size_t i = 0;

	while (i < k->n_told && strcmp(k->told[i].id, id) != 0)
		i++;
	if (i == ARRAY_SIZE(k->told) || strlen(id) >= sizeof(k->told[i].id))
		return NULL;
	if (i == k->n_told) {
		snprintf(k->told[i].id, sizeof(k->told[i].id), "%s", id);
		k->told[i].verdict[0] = '\0';
		k->n_told++;
	}
	return k->told[i].verdict;
}

/* Record a result and announce a verdict change. The verdict announced
 * before comes from memory, or at first from the database (it survives a
 * restart). */
static void record(struct keeper *k, const struct probe_result *r)
{
	const char *verdict = probe_verdict_name(r->verdict);
	char *prev = NULL, *cause = NULL, *told = told_slot(k, r->id);
	int rc;

	db_result(k, mon_db_add_result(k->db, r->started_ms + r->duration_ms, r->id, verdict,
				       r->summary.ja, r->summary.en, r->duration_ms, &cause),
		  &cause);
	if (told && told[0]) {
		prev = xstrdup(told);
	} else {
		rc = mon_db_get_verdict(k->db, r->id, &prev, &cause);
		db_read(k, rc, &cause);
		if (rc < 0)
			return;
	}
	if (mon_verdict_event(prev, verdict)) {
		const char *sum = bitext_get(r->summary, i18n_lang());
		char *msg = prev ? xasprintf(_("検査 %s: %s → %s: %s", "probe %s: %s -> %s: %s"), r->id,
					     prev, verdict, sum ? sum : "")
				 : xasprintf(_("検査 %s: %s: %s", "probe %s: %s: %s"), r->id, verdict,
					     sum ? sum : "");
		tell(k, r->verdict >= PROBE_FAIL ? 3 : r->verdict == PROBE_WARN ? 4 : 5,
		     "verdict", r->id, verdict, msg);
		free(msg);
	}
	if (r->verdict != PROBE_SKIP && (prev == NULL || strcmp(prev, verdict) != 0))
		db_result(k, mon_db_set_verdict(k->db, r->id, verdict, &cause), &cause);
	if (r->verdict != PROBE_SKIP && told)
		snprintf(told, sizeof(k->told[0].verdict), "%s", verdict);
	else if (told && prev)
		snprintf(told, sizeof(k->told[0].verdict), "%s", prev);
	free(prev);
}

/* Keep r as the latest result of its probe, for the metrics; takes what r
 * owns and leaves it empty. */
static void latest_keep(struct keeper *k, struct probe_result *r)
{
	size_t i = 0;

	while (i < k->n_latest && strcmp(k->latest[i].id, r->id) != 0)
		i++;
	if (i == ARRAY_SIZE(k->latest))
		return;
	if (i == k->n_latest)
		k->n_latest++;
	else
		probe_result_clear(&k->latest[i]);
	k->latest[i] = *r;
	memset(r, 0, sizeof(*r));
	k->metrics_dirty = true;
}

static void certs_from_json(struct keeper *k, struct json_object *a);

/* What a round says of the path through the tunnel, for the stale
 * CHILD_SA: child or reach failing (reach is SKIP when child fails) marks
 * it failed, reach passing clears it. */
static void path_result(struct keeper *k, const struct probe_result *r)
{
	if (strcmp(r->id, "reach") != 0 && strcmp(r->id, "child") != 0)
		return;
	if (r->verdict >= PROBE_FAIL)
		k->reach_failed = now_ms();
	else if (strcmp(r->id, "reach") == 0 && r->verdict != PROBE_SKIP)
		k->reach_failed = 0;
}

/* Start a round of probes in a child: the light ones, the heavy ones with
 * the certificates, or the certificates alone. The child leaves out the
 * probes that do not apply to the site. */
static void round_start(struct keeper *k, enum round_kind kind)
{
	const char *args[24];
	size_t n = 0;
	char *cause = NULL;

	args[n++] = "probes";
	if (kind != ROUND_LIGHT)
		args[n++] = "--certs";
	if (kind == ROUND_LIGHT)
		for (size_t i = 0; i < ARRAY_SIZE(light_probes); i++)
			args[n++] = light_probes[i];
	else if (kind == ROUND_HEAVY)
		for (size_t i = 0; i < ARRAY_SIZE(heavy_probes); i++)
			args[n++] = heavy_probes[i];
	args[n] = NULL;
	if (child_start(k, &k->round, kind == ROUND_LIGHT ? LIGHT_LIMIT_MS : HEAVY_LIMIT_MS, args,
			&cause) < 0) {
		act(k, "probes", "%s", "%s", cause);
	} else {
		k->round_kind = kind;
		if (kind != ROUND_LIGHT)
			k->certs_due = false;
	}
	free(cause);
}

/* The round child ended: record its results and read its certificates. */
static void round_done(struct keeper *k)
{
	struct json_object *o = child_result(k, &k->round, "probes"), *a;

	if (o && json_object_object_get_ex(o, "results", &a) && json_object_is_type(a, json_type_array))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct probe_result r;
			char *cause = NULL;

			if (probe_result_from_json(json_object_array_get_idx(a, i), &r, &cause) == 0 &&
			    r.id && strcmp(r.id, "capture") != 0) {
				record(k, &r);
				path_result(k, &r);
				latest_keep(k, &r);
			}
			probe_result_clear(&r);
			free(cause);
		}
	if (o && json_object_object_get_ex(o, "certs", &a) && json_object_is_type(a, json_type_array))
		certs_from_json(k, a);
	json_object_put(o);
	mon_child_reset(&k->round);
}

/* ---- certificates ---- */

/* Free what certs_from_json put into a probe_cert_info. */
static void cert_info_free(struct probe_cert_info *c)
{
	free(c->subject_cn);
	free(c->issuer_cn);
	free(c->serial_dec);
	memset(c, 0, sizeof(*c));
}

/* A string member of o, copied; "" when it has none. */
static char *json_strdup(struct json_object *o, const char *key)
{
	struct json_object *v;

	return xstrdup(json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "");
}

/* What the child read of the certificate path, into *info; false when it
 * could not read it. */
static bool cert_parse(struct json_object *a, const char *path, struct probe_cert_info *info)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *e = json_object_array_get_idx(a, i), *v;

		if (!json_object_object_get_ex(e, "path", &v) ||
		    strcmp(json_object_get_string(v), path) != 0 ||
		    !json_object_object_get_ex(e, "not_after", &v))
			continue;
		info->not_after = json_object_get_int64(v);
		if (json_object_object_get_ex(e, "not_before", &v))
			info->not_before = json_object_get_int64(v);
		if (json_object_object_get_ex(e, "days_left", &v))
			info->days_left = json_object_get_int(v);
		info->subject_cn = json_strdup(e, "subject_cn");
		info->issuer_cn = json_strdup(e, "issuer_cn");
		info->serial_dec = json_strdup(e, "serial_dec");
		return true;
	}
	return false;
}

/* Raise a certificate's expiry alarm once per threshold. */
static void cert_alarm(struct keeper *k, const struct mon_cert_source *src,
		       const struct probe_cert_info *info)
{
	char *cause = NULL, *msg, date[32];
	bool seen = false;
	int th = mon_cert_threshold(info->days_left), r;
	struct tm tm;
	time_t na;

	if (th < 0)
		return;
	r = mon_db_alarm_seen(k->db, src->path, info->not_after, th, &seen, &cause);
	db_read(k, r, &cause);
	if (r == 0 && !seen) {
		na = (time_t)info->not_after;
		localtime_r(&na, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		if (th == 0)
			msg = xasprintf(_("%s (%s) の有効期限が切れています (%s)",
					  "the %s (%s) has expired (%s)"),
					_(src->what_ja, src->what_en), src->path, date);
		else
			msg = xasprintf(_("%s (%s) の有効期限まであと %d 日です (%s)",
					  "the %s (%s) expires in %d days (%s)"),
					_(src->what_ja, src->what_en), src->path, info->days_left, date);
		tell(k, th <= 7 ? 3 : 4, "cert", "cert", th == 0 ? "FAIL" : "WARN", msg);
		free(msg);
		db_result(k, mon_db_alarm_mark(k->db, src->path, info->not_after, th, &cause), &cause);
	}
}

/* Forget the certificates read last. */
static void certs_clear(struct keeper *k)
{
	for (size_t i = 0; i < k->n_certs; i++) {
		cert_info_free(&k->cert_info[i]);
		free(k->cert_path[i]);
	}
	free(k->certs);
	free(k->cert_info);
	free(k->cert_path);
	k->certs = NULL;
	k->cert_info = NULL;
	k->cert_path = NULL;
	k->n_certs = 0;
}

/* The IKE certificate and the terminal's client certificates as the child
 * read them (a: its "certs"): their alarms, and what the metrics show. */
static void certs_from_json(struct keeper *k, struct json_object *a)
{
	const struct site *s = k->site;
	size_t max = 1 + s->n_tls;
	struct mon_cert_source *src = xcalloc(max, sizeof(*src));
	size_t n = mon_cert_sources(s, src);

	certs_clear(k);
	k->certs = xcalloc(max, sizeof(*k->certs));
	k->cert_info = xcalloc(max, sizeof(*k->cert_info));
	k->cert_path = xcalloc(max, sizeof(*k->cert_path));
	for (size_t i = 0; i < n; i++, k->n_certs++) {
		k->cert_path[i] = xstrdup(src[i].path);
		k->certs[i].path = k->cert_path[i];
		if (!cert_parse(a, src[i].path, &k->cert_info[i]))
			continue;
		k->certs[i].info = &k->cert_info[i];
		cert_alarm(k, &src[i], &k->cert_info[i]);
	}
	free(src);
	k->metrics_dirty = true;
}

/* ---- start and loop ---- */

/* One keeper per state dir: an flock on SITE->state_dir/monitor.lock. */
static int lock_take(const struct site *s, int *fd, char **cause)
{
	char *path;
	int r;

	if ((r = mkdir_p(s->state_dir, 0750, cause)) < 0)
		return r;
	path = mon_lock_path(s->state_dir);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		r = cause_set(cause, errno, _("%s を開けません: %s", "cannot open %s: %s"), path,
			      strerror(errno));
	else if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
		r = cause_set(cause, EBUSY, _("別の oqlink monitor が %s で動いています",
					      "another oqlink monitor runs on %s"), s->state_dir);
	free(path);
	return r;
}

/* Put the last confirmed apply back (the firewall first) in a child, and
 * wait for it before anything else: the tunnel comes after the firewall. */
static void restore_at_start(struct keeper *k)
{
	k->chore_what = "restore";
	chore_start(k, "restore", RESTORE_LIMIT_MS);
	while (mon_child_busy(&k->chore)) {
		struct pollfd p[3] = { { k->sfd, POLLIN, 0 } };
		int64_t left = mon_child_left(&k->chore, now_ms());

		mon_child_pollfds(&k->chore, &p[1]);
		poll(p, 3, left < 0 ? -1 : (int)left);
		if (p[0].revents)
			read_signals(k);
		if (k->stop)
			mon_child_kill(&k->chore);
		if (mon_child_step(&k->chore, now_ms()))
			chore_done(k);
	}
}

/* Tell systemd the tunnel's state when it changes. */
static void status(struct keeper *k)
{
	int up = k->site->line != SITE_LINE_IPSEC ? 2 : k->ev && k->down_since < 0;

	if (up == k->status_sent)
		return;
	k->status_sent = up;
	sd_notify(0, up == 2 ? "STATUS=watching the path (IP-VPN)" :
		  up ? "STATUS=tunnel up" : "STATUS=tunnel down");
}

/* Milliseconds until the earliest due time: the checks, a child's
 * deadline, and the probe timers while no round runs. */
static int next_timeout(const struct keeper *k, int64_t now)
{
	int64_t t = k->next_check, left;

	if (!mon_child_busy(&k->round)) {
		if (k->next_light < t)
			t = k->next_light;
		if (k->next_heavy < t)
			t = k->next_heavy;
		if (k->certs_due)
			t = now;
	}
	if (k->next_prune < t)
		t = k->next_prune;
	if ((left = mon_child_left(&k->round, now)) >= 0 && now + left < t)
		t = now + left;
	if ((left = mon_child_left(&k->chore, now)) >= 0 && now + left < t)
		t = now + left;
	t -= now;
	return t < 0 ? 0 : t > 60000 ? 60000 : (int)t;
}

/* Start the next round when none runs: light probes first, then heavy. */
static void round_next(struct keeper *k, int64_t now)
{
	if (mon_child_busy(&k->round))
		return;
	if (now >= k->next_light) {
		k->next_light = now + (int64_t)k->site->mon_light_s * 1000;
		metrics_open(k);	/* when it could not listen before */
		round_start(k, ROUND_LIGHT);
	} else if (now >= k->next_heavy) {
		k->next_heavy = now + (int64_t)k->site->mon_heavy_s * 1000;
		round_start(k, ROUND_HEAVY);
	} else if (k->certs_due) {
		round_start(k, ROUND_CERTS);
	}
}

static void loop(struct keeper *k)
{
	while (!k->stop) {
		struct pollfd p[6] = { { k->sfd, POLLIN, 0 },
				       { k->ev ? ipsec_events_fd(k->ev) : -1, POLLIN, 0 } };
		int64_t now = now_ms();

		mon_child_pollfds(&k->round, &p[2]);
		mon_child_pollfds(&k->chore, &p[4]);
		poll(p, 6, next_timeout(k, now));
		if (p[0].revents)
			read_signals(k);
		if (k->ev && p[1].revents) {
			char *cause = NULL;
			if (ipsec_events_pump(k->ev, &cause) < 0)
				charon_detach(k);
			free(cause);
		}
		if (k->stop)
			break;
		now = now_ms();
		if (mon_child_step(&k->round, now))
			round_done(k);
		if (mon_child_step(&k->chore, now))
			chore_done(k);
		tick(k);
		round_next(k, now_ms());
		if (now >= k->next_prune) {
			size_t gone = 0;
			char *cause = NULL;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			db_result(k, mon_db_prune(k->db, (int64_t)ts.tv_sec * 1000,
						  k->site->history_days,
						  (uint64_t)k->site->history_max_mb << 20, &gone, &cause),
				  &cause);
			k->next_prune = now + PRUNE_MS;
		}
		metrics_publish(k);
		status(k);
	}
}

int mon_run(const struct site *site, const struct mon_opts *o, char **cause)
{
	struct keeper k = { .site = site, .o = o, .sfd = -1, .down_since = -1, .syslog_fd = -1,
			    .status_sent = -1,
			    .round = { .pidfd = -1, .out = -1 }, .chore = { .pidfd = -1, .out = -1 },
			    .bo = { BACKOFF_BASE_MS, BACKOFF_CAP_MS, 0 },
			    .stale_bo = { STALE_BACKOFF_BASE_MS, STALE_BACKOFF_CAP_MS, 0 } };
	char *path = o->db_path ? xstrdup(o->db_path) : mon_db_path(site);
	int lock_fd = -1, r;
	sigset_t set;

	if ((r = lock_take(site, &lock_fd, cause)) < 0)
		goto out;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	k.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (k.sfd < 0) {
		r = cause_set(cause, errno, "signalfd: %s", strerror(errno));
		goto out;
	}
	k.journal = access("/run/systemd/journal/socket", W_OK) == 0;
	k.journal_stdout = k.journal && getenv("JOURNAL_STREAM") != NULL;
	srandom((unsigned)getpid() ^ (unsigned)now_ms());
	{
		char *why = NULL, *moved = NULL;
		/* after a power cut: a damaged history is set aside, not kept */
		if (mon_db_check(path, &moved, &why) < 0)
			say(&k, why);
		free(why);
		why = NULL;
		if ((r = mon_db_open(path, &k.db, &why)) < 0) {
			/* the tunnel is kept all the same; results live in memory */
			char *t = xasprintf(_("%s。結果はメモリーにだけ残します (トンネルの維持は続けます)",
					      "%s; results are kept in memory only (the tunnel is still kept)"),
					    why);
			say(&k, t);
			free(t);
			k.db_said = k.db_memory = true;
			free(why);
			r = mon_db_open(":memory:", &k.db, cause);
			if (r < 0) {
				free(moved);
				goto out;
			}
		}
		if (moved)
			act(&k, "history", "履歴 %s が壊れていたので %s に移し、新しい履歴を始めました",
			    "the history %s was damaged: moved to %s, a new history has started", path,
			    moved);
		free(moved);
	}
	if (!o->no_restore)
		restore_at_start(&k);
	metrics_open(&k);
	k.next_check = k.next_light = k.next_heavy = k.next_prune = now_ms();
	tick(&k);
	sd_notify(0, "READY=1");
	status(&k);
	act(&k, "start", "見張りを始めました (軽い検査 %u 秒ごと、重い検査 %u 秒ごと)",
	    "the keeper has started (light probes every %u s, heavy every %u s)",
	    site->mon_light_s, site->mon_heavy_s);
	loop(&k);
	act(&k, "stop", "見張りを終えます (トンネルはそのままです)",
	    "the keeper stops (the tunnel stays up)");
	sd_notify(0, "STOPPING=1");
	r = 0;
out:
	mon_child_reset(&k.round);
	mon_child_reset(&k.chore);
	free(k.round.buf);
	free(k.chore.buf);
	metrics_close(&k);
	for (size_t i = 0; i < k.n_latest; i++)
		probe_result_clear(&k.latest[i]);
	certs_clear(&k);
	ipsec_events_close(k.ev);
	mon_db_close(k.db);
	syslog_close(&k);
	site_free(k.own);
	if (k.sfd >= 0)
		close(k.sfd);
	if (lock_fd >= 0)
		close(lock_fd);
	free(path);
	return r;
}

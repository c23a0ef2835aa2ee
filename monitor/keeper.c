/* The keeper's loop: restore, keep the tunnel, probe on timers, record and
 * tell. One process, one poll(): signalfd, the VICI event stream, timers
 * computed from the next due time. */
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
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
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
	bool stop, in_probes;
	bool reload;			/* SIGHUP came: reload when no probe runs */
	int64_t down_since;		/* monotonic ms without a CHILD_SA, -1: installed */
	char last_log[240];		/* charon's last word about our IKE_SA */
	struct mon_backoff bo;
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
	struct probe_result latest[16];	/* the latest result of each probe (owned) */
	size_t n_latest;
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

/* A database write failed: keep going, say it once until it works again. */
static void db_result(struct keeper *k, int r, char *cause)
{
	if (r < 0 && !k->db_said) {
		char *t = xasprintf(_("履歴に書けません (トンネルの維持は続けます): %s",
				      "cannot write the history (the tunnel is still kept): %s"),
				    cause ? cause : "?");
		say(k, t);
		free(t);
		k->db_said = true;
	} else if (r == 0 && k->db_said && !k->db_memory) {
		say(k, _("履歴にまた書けるようになりました", "the history can be written again"));
		k->db_said = false;
	}
	free(cause);
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
		db_result(k, mon_db_add_action(k->db, kind, tja, ten, &cause), cause);
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

/* Close what is stuck and initiate again, without waiting. */
static void tunnel_restart(struct keeper *k, int64_t now)
{
	char *cause = NULL;
	int64_t delay = mon_backoff_next(&k->bo, (uint32_t)random());

	tunnel_load(k, false);
	if (ipsec_restart_nowait(k->site, &cause) < 0)
		act(k, "reinitiate", "張り直しを charon に頼めませんでした: %s",
		    "charon did not take the request to initiate again: %s", cause);
	else
		act(k, "reinitiate",
		    "CHILD_SA が %lld 秒ありません。トンネルを張り直します (%u 回目、次は %lld 秒後)。charon の最後の記録: %s",
		    "no CHILD_SA for %lld s: initiating the tunnel again (attempt %u, next in %lld s); charon last said: %s",
		    (long long)((now - k->down_since) / 1000), k->bo.attempt,
		    (long long)(delay / 1000), k->last_log[0] ? k->last_log : "-");
	free(cause);
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

/* The keeper owns the confirm countdown while it runs. */
static void confirm_check(struct keeper *k)
{
	char *cause = NULL;
	bool reverted;
	long id;

	if (prov_confirm_expire(k->site, &reverted, &id, &cause) < 0)
		act(k, "confirm", "確認期限の切れた適用を元に戻せません: %s",
		    "cannot revert the apply whose confirm deadline passed: %s", cause);
	else if (reverted)
		act(k, "confirm", "適用 #%ld は期限までに確認されなかったので元に戻しました",
		    "apply #%ld was not confirmed in time and has been reverted", id);
	free(cause);
}

static void cert_check(struct keeper *k);

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
	cert_check(k);	/* the certificates may be new */
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

/* Everything that is due except the probes; also called while they run. */
static void tick(struct keeper *k)
{
	struct pollfd p[2] = { { k->sfd, POLLIN, 0 }, { k->ev ? ipsec_events_fd(k->ev) : -1, POLLIN, 0 } };
	int64_t now;

	if (poll(p, 2, 0) > 0) {
		if (p[0].revents)
			read_signals(k);
		if (k->ev && p[1].revents) {
			char *cause = NULL;
			if (ipsec_events_pump(k->ev, &cause) < 0)
				charon_detach(k);
			free(cause);
		}
	}
	if (k->reload && !k->in_probes) {
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

static int on_progress(void *ctx, enum probe_event ev, size_t index, const struct probe_result *r)
{
	struct keeper *k = ctx;

	if (ev == PROBE_EV_TICK)
		tick(k);
	return k->stop;
}

/* Record a result and announce a verdict change. */
static void record(struct keeper *k, const struct probe_result *r)
{
	const char *verdict = probe_verdict_name(r->verdict);
	char *prev = NULL, *cause = NULL;
	int rc;

	db_result(k, mon_db_add_result(k->db, r->started_ms + r->duration_ms, r->id, verdict,
				       r->summary.ja, r->summary.en, r->duration_ms, &cause),
		  cause);
	cause = NULL;
	rc = mon_db_get_verdict(k->db, r->id, &prev, &cause);
	db_result(k, rc, cause);
	if (rc < 0)
		return;
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
	if (r->verdict != PROBE_SKIP && (prev == NULL || strcmp(prev, verdict) != 0)) {
		cause = NULL;
		db_result(k, mon_db_set_verdict(k->db, r->id, verdict, &cause), cause);
	}
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

static void run_probes(struct keeper *k, const char *const *want, size_t n_want)
{
	const char *ids[16];
	size_t n = 0;
	struct probe_options opt = { 0 };
	struct probe_run run = { 0 };
	char *cause = NULL;

	for (size_t i = 0; i < n_want && n < ARRAY_SIZE(ids); i++) {
		const struct probe *p = probe_find(want[i]);
		if (p && probe_applies(p, k->site))
			ids[n++] = want[i];
	}
	if (n == 0)
		return;
	k->in_probes = true;
	if (probe_run_all(k->site, ids, n, &opt, on_progress, k, &run, &cause) == 0) {
		for (size_t i = 0; i < run.n; i++)
			if (strcmp(run.results[i].id, "capture") != 0) {
				record(k, &run.results[i]);
				latest_keep(k, &run.results[i]);
			}
	} else {
		act(k, "probes", "検査を実行できません: %s", "cannot run the probes: %s", cause);
	}
	k->in_probes = false;
	free(cause);
	probe_run_free(&run);
}

/* ---- certificates ---- */

/* Read a one-line secret file (the PKCS#12 password); NULL when absent. */
static char *secret_read(const char *path)
{
	char *data = NULL;
	size_t len;

	if (path == NULL || file_read(path, 4096, &data, &len, NULL) < 0)
		return NULL;
	data[strcspn(data, "\r\n")] = '\0';
	return data;
}

/* Read a certificate into *info (kept for the metrics; cleared when it
 * cannot be read) and raise its expiry alarm once per threshold. */
static bool cert_alarm(struct keeper *k, const char *what_ja, const char *what_en, const char *path,
		       const char *pass_file, struct probe_cert_info *infop)
{
	struct probe_cert_info info = { 0 };
	char *pass = secret_read(pass_file), *cause = NULL, *msg, date[32];
	bool seen = false;
	int th, r;
	struct tm tm;
	time_t na;

	r = probe_cert_inspect(path, pass, &info, &cause);
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	free(cause);
	cause = NULL;
	if (r < 0)
		return false;
	th = mon_cert_threshold(info.days_left);
	if (th >= 0 && (r = mon_db_alarm_seen(k->db, path, info.not_after, th, &seen, &cause)) == 0 &&
	    !seen) {
		na = (time_t)info.not_after;
		localtime_r(&na, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		if (th == 0)
			msg = xasprintf(_("%s (%s) の有効期限が切れています (%s)",
					  "the %s (%s) has expired (%s)"),
					_(what_ja, what_en), path, date);
		else
			msg = xasprintf(_("%s (%s) の有効期限まであと %d 日です (%s)",
					  "the %s (%s) expires in %d days (%s)"),
					_(what_ja, what_en), path, info.days_left, date);
		tell(k, th <= 7 ? 3 : 4, "cert", "cert", th == 0 ? "FAIL" : "WARN", msg);
		free(msg);
		r = mon_db_alarm_mark(k->db, path, info.not_after, th, &cause);
	}
	db_result(k, r, cause);
	*infop = info;
	return true;
}

/* Forget the certificates read last. */
static void certs_clear(struct keeper *k)
{
	for (size_t i = 0; i < k->n_certs; i++) {
		probe_cert_info_clear(&k->cert_info[i]);
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

/* Add one certificate: its alarm, and what the metrics show of it. */
static void cert_add(struct keeper *k, const char *what_ja, const char *what_en, const char *path,
		     const char *pass_file)
{
	size_t i = k->n_certs++;

	k->cert_path[i] = xstrdup(path);
	k->certs[i].path = k->cert_path[i];
	k->certs[i].info = cert_alarm(k, what_ja, what_en, path, pass_file, &k->cert_info[i]) ?
				   &k->cert_info[i] : NULL;
}

/* The IKE certificate and the terminal's client certificates, read again. */
static void cert_check(struct keeper *k)
{
	const struct site *s = k->site;
	size_t max = 1 + s->n_tls;
	struct mon_cert_source *src = xcalloc(max, sizeof(*src));
	size_t n = mon_cert_sources(s, src);

	certs_clear(k);
	k->certs = xcalloc(max, sizeof(*k->certs));
	k->cert_info = xcalloc(max, sizeof(*k->cert_info));
	k->cert_path = xcalloc(max, sizeof(*k->cert_path));
	for (size_t i = 0; i < n; i++)
		cert_add(k, src[i].what_ja, src[i].what_en, src[i].path, src[i].pass_file);
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

static void restore_at_start(struct keeper *k)
{
	struct prov_restore res;
	char *cause = NULL;

	if (prov_restore(k->site, &res, &cause) < 0) {
		act(k, "restore", "前回の状態を戻せませんでした: %s",
		    "could not restore the previous state: %s", cause);
		free(cause);
		return;
	}
	for (char *line = res.what, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		act(k, "restore", "%s", "%s", line);
	}
	prov_restore_clear(&res);
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

/* Milliseconds until the earliest due time. */
static int next_timeout(const struct keeper *k, int64_t now)
{
	int64_t t = k->next_check;

	if (k->next_light < t)
		t = k->next_light;
	if (k->next_heavy < t)
		t = k->next_heavy;
	if (k->next_prune < t)
		t = k->next_prune;
	t -= now;
	return t < 0 ? 0 : t > 60000 ? 60000 : (int)t;
}

static void loop(struct keeper *k)
{
	while (!k->stop) {
		struct pollfd p[2] = { { k->sfd, POLLIN, 0 },
				       { k->ev ? ipsec_events_fd(k->ev) : -1, POLLIN, 0 } };
		int64_t now = now_ms();

		poll(p, 2, next_timeout(k, now));
		tick(k);
		if (k->stop)
			break;
		now = now_ms();
		if (now >= k->next_light) {
			k->next_light = now + (int64_t)k->site->mon_light_s * 1000;
			metrics_open(k);	/* when it could not listen before */
			run_probes(k, light_probes, ARRAY_SIZE(light_probes));
		}
		if (!k->stop && now >= k->next_heavy) {
			k->next_heavy = now + (int64_t)k->site->mon_heavy_s * 1000;
			cert_check(k);
			run_probes(k, heavy_probes, ARRAY_SIZE(heavy_probes));
		}
		if (now >= k->next_prune) {
			size_t gone = 0;
			char *cause = NULL;
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			db_result(k, mon_db_prune(k->db, (int64_t)ts.tv_sec * 1000,
						  k->site->history_days,
						  (uint64_t)k->site->history_max_mb << 20, &gone, &cause),
				  cause);
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
			    .bo = { BACKOFF_BASE_MS, BACKOFF_CAP_MS, 0 } };
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
		char *why = NULL;
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
			if (r < 0)
				goto out;
		}
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

/* The Prometheus exposition of the monitor's snapshot, and the small HTTP
 * server (libmicrohttpd) that serves it on the management LAN. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "core/i18n.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "monitor/metrics.h"
#include "probes/probe.h"

/* ---------------------------------------------------------------- states */

/* strongSwan's ike_sa_state_t and child_sa_state_t, in their order. */
static const char *const ike_states[] = {
	"CREATED", "CONNECTING", "ESTABLISHED", "PASSIVE",
	"REKEYING", "REKEYED", "DELETING", "DESTROYING",
};
static const char *const child_states[] = {
	"CREATED", "ROUTED", "INSTALLING", "INSTALLED", "UPDATING", "REKEYING",
	"REKEYED", "RETRYING", "DELETING", "DELETED", "DESTROYING",
};

/* The index of state in names, -1 when it is not there. */
static int state_code(const char *const *names, size_t n, const char *state)
{
	for (size_t i = 0; state && i < n; i++)
		if (strcmp(names[i], state) == 0)
			return (int)i;
	return -1;
}

int metrics_ike_state_code(const char *state)
{
	return state_code(ike_states, ARRAY_SIZE(ike_states), state);
}

int metrics_child_state_code(const char *state)
{
	return state_code(child_states, ARRAY_SIZE(child_states), state);
}

/* ---------------------------------------------------------------- writing */

struct label {
	const char *name;
	const char *value;	/* NULL is written as "" */
};

/* The HELP and TYPE lines that open a family (every metric here is a gauge). */
static void family(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Length of the valid UTF-8 sequence at s, 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 :
		   s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* A label value as the format wants it: backslash, double quote and line
 * feed escaped; bytes that are not UTF-8 replaced by U+FFFD. */
static void label_value(FILE *f, const char *v)
{
	const unsigned char *s = (const unsigned char *)(v ? v : "");

	while (*s) {
		size_t n = utf8_len(s);

		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (n == 0)
			fputs("\xef\xbf\xbd", f);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
	}
}

/* A sample value: integers as such, NaN and infinities as the format spells
 * them, other numbers with as many digits as they need. */
static void number(FILE *f, double v)
{
	char buf[40];

	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else {
		snprintf(buf, sizeof(buf), "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof(buf), "%.17g", v);
		fputs(buf, f);
	}
}

/* One sample line: name{labels} value. */
static void sample(FILE *f, const char *name, const struct label *l, size_t n, double v)
{
	fputs(name, f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "{", l[i].name);
		label_value(f, l[i].value);
		fputc('"', f);
	}
	fputs(n ? "} " : " ", f);
	number(f, v);
	fputc('\n', f);
}

/* ---------------------------------------------------------------- ipsec */

#define IKE_LABELS 9
#define CHILD_LABELS 8

/* The IKE_SA's labels as ipsec_exporter names them; numbers go to buf. */
static void ike_labels(const struct ipsec_ike_sa *ike, char buf[2][24], struct label *l)
{
	snprintf(buf[0], sizeof(buf[0]), "%llu", (unsigned long long)ike->uniqueid);
	snprintf(buf[1], sizeof(buf[1]), "%llu", (unsigned long long)ike->version);
	l[0] = (struct label){ "name", ike->name };
	l[1] = (struct label){ "uid", buf[0] };
	l[2] = (struct label){ "version", buf[1] };
	l[3] = (struct label){ "local_host", ike->local_host };
	l[4] = (struct label){ "local_id", ike->local_id };
	l[5] = (struct label){ "remote_host", ike->remote_host };
	l[6] = (struct label){ "remote_id", ike->remote_id };
	l[7] = (struct label){ "remote_identity", NULL };	/* EAP/XAuth: not used */
	l[8] = (struct label){ "vips", NULL };		/* virtual IPs: not used */
}

/* Traffic selectors joined by ", " as ipsec_exporter does; a new string. */
static char *ts_join(char *const *ts, size_t n)
{
	char *s = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%s", s, i ? ", " : "", ts[i]);

		free(s);
		s = t;
	}
	return s;
}

/* The CHILD_SA's labels; strings made here go to own[] (freed by the
 * caller). */
static void child_labels(const struct ipsec_ike_sa *ike, const struct ipsec_child_sa *c,
			 char buf[2][24], char *own[2], struct label *l)
{
	snprintf(buf[0], sizeof(buf[0]), "%llu", (unsigned long long)ike->uniqueid);
	snprintf(buf[1], sizeof(buf[1]), "%llu", (unsigned long long)c->uniqueid);
	own[0] = ts_join(c->local_ts, c->n_local_ts);
	own[1] = ts_join(c->remote_ts, c->n_remote_ts);
	l[0] = (struct label){ "ike_sa_name", ike->name };
	l[1] = (struct label){ "ike_sa_uid", buf[0] };
	l[2] = (struct label){ "name", c->name };
	l[3] = (struct label){ "uid", buf[1] };
	l[4] = (struct label){ "mode", c->mode };
	l[5] = (struct label){ "protocol", c->protocol };
	l[6] = (struct label){ "local_ts", own[0] };
	l[7] = (struct label){ "remote_ts", own[1] };
}

enum ike_metric { IKE_STATE, IKE_ESTABLISHED };
enum child_metric {
	CHILD_STATE, CHILD_BYTES_IN, CHILD_BYTES_OUT, CHILD_PACKETS_IN, CHILD_PACKETS_OUT,
	CHILD_INSTALLED,
};

static const struct {
	enum ike_metric m;
	const char *name, *help;
} ike_families[] = {
	{ IKE_STATE, "ipsec_ike_sa_state",
	  "IKE SA state. Created: 0, connecting: 1, established: 2, passive: 3, rekeying: 4, "
	  "rekeyed: 5, deleting: 6, destroying: 7." },
	{ IKE_ESTABLISHED, "ipsec_ike_sa_established_seconds",
	  "Number of seconds since the IKE SA has been established." },
};

static const struct {
	enum child_metric m;
	const char *name, *help;
} child_families[] = {
	{ CHILD_STATE, "ipsec_child_sa_state",
	  "Child SA state. Created: 0, routed: 1, installing: 2, installed: 3, updating: 4, "
	  "rekeying: 5, rekeyed: 6, retrying: 7, deleting: 8, deleted: 9, destroying: 10." },
	{ CHILD_BYTES_IN, "ipsec_child_sa_bytes_in", "Number of input bytes processed." },
	{ CHILD_BYTES_OUT, "ipsec_child_sa_bytes_out", "Number of output bytes processed." },
	{ CHILD_PACKETS_IN, "ipsec_child_sa_packets_in", "Number of input packets processed." },
	{ CHILD_PACKETS_OUT, "ipsec_child_sa_packets_out", "Number of output packets processed." },
	{ CHILD_INSTALLED, "ipsec_child_sa_installed_seconds",
	  "Number of seconds since the child SA has been installed." },
};

/* One IKE metric of an IKE_SA; false when the SA has no such value
 * (established seconds of an SA that is not established). */
static bool ike_value(const struct ipsec_ike_sa *ike, enum ike_metric m, double *v)
{
	int code = metrics_ike_state_code(ike->state);

	switch (m) {
	case IKE_STATE:
		*v = code;
		return true;
	case IKE_ESTABLISHED:
		*v = (double)ike->established;
		return code == 2;
	}
	return false;
}

/* One CHILD metric of a CHILD_SA; false when it has no such value
 * (installed seconds of one that is not installed). */
static bool child_value(const struct ipsec_child_sa *c, enum child_metric m, double *v)
{
	int code = metrics_child_state_code(c->state);

	switch (m) {
	case CHILD_STATE: *v = code; return true;
	case CHILD_BYTES_IN: *v = (double)c->bytes_in; return true;
	case CHILD_BYTES_OUT: *v = (double)c->bytes_out; return true;
	case CHILD_PACKETS_IN: *v = (double)c->packets_in; return true;
	case CHILD_PACKETS_OUT: *v = (double)c->packets_out; return true;
	case CHILD_INSTALLED:
		*v = (double)c->install_time;
		return code == 3 || c->install_time > 0;
	}
	return false;
}

/* ipsec_up, then each IKE and CHILD family over every SA. */
static void render_ipsec(FILE *f, const struct ipsec_sas *sas)
{
	family(f, "ipsec_up", "Was the last scrape successful.");
	sample(f, "ipsec_up", NULL, 0, sas != NULL);
	if (sas == NULL)
		return;
	for (size_t k = 0; k < ARRAY_SIZE(ike_families); k++) {
		family(f, ike_families[k].name, ike_families[k].help);
		for (size_t i = 0; i < sas->n; i++) {
			struct label l[IKE_LABELS];
			char buf[2][24];
			double v;

			if (!ike_value(&sas->v[i], ike_families[k].m, &v))
				continue;
			ike_labels(&sas->v[i], buf, l);
			sample(f, ike_families[k].name, l, IKE_LABELS, v);
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(child_families); k++) {
		family(f, child_families[k].name, child_families[k].help);
		for (size_t i = 0; i < sas->n; i++)
			for (size_t j = 0; j < sas->v[i].n_children; j++) {
				const struct ipsec_child_sa *c = &sas->v[i].children[j];
				struct label l[CHILD_LABELS];
				char buf[2][24], *own[2];
				double v;

				if (!child_value(c, child_families[k].m, &v))
					continue;
				child_labels(&sas->v[i], c, buf, own, l);
				sample(f, child_families[k].name, l, CHILD_LABELS, v);
				free(own[0]);
				free(own[1]);
			}
	}
}

/* ---------------------------------------------------------------- certificates */

enum cert_metric { CERT_NOT_AFTER, CERT_NOT_BEFORE, CERT_EXPIRED };

static const struct {
	enum cert_metric m;
	const char *name, *help;
} cert_families[] = {
	{ CERT_NOT_AFTER, "x509_cert_not_after",
	  "Certificate expiration date, in seconds since the Unix epoch." },
	{ CERT_NOT_BEFORE, "x509_cert_not_before",
	  "Certificate validity start date, in seconds since the Unix epoch." },
	{ CERT_EXPIRED, "x509_cert_expired", "Whether the certificate has expired (1) or not (0)." },
};

/* The x509_cert_* families over the certificates that could be read. */
static void render_certs(FILE *f, const struct metrics_snapshot *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_certs; i++)
		n += s->certs[i].info != NULL;
	if (n == 0)
		return;
	for (size_t k = 0; k < ARRAY_SIZE(cert_families); k++) {
		family(f, cert_families[k].name, cert_families[k].help);
		for (size_t i = 0; i < s->n_certs; i++) {
			const struct probe_cert_info *c = s->certs[i].info;
			const char *path = s->certs[i].path ? s->certs[i].path : "";
			const char *base = strrchr(path, '/');
			struct label l[5];
			double v = 0;

			if (c == NULL)
				continue;
			l[0] = (struct label){ "filename", base ? base + 1 : path };
			l[1] = (struct label){ "filepath", path };
			l[2] = (struct label){ "issuer_CN", c->issuer_cn };
			l[3] = (struct label){ "serial_number", c->serial_dec };
			l[4] = (struct label){ "subject_CN", c->subject_cn };
			switch (cert_families[k].m) {
			case CERT_NOT_AFTER: v = (double)c->not_after; break;
			case CERT_NOT_BEFORE: v = (double)c->not_before; break;
			case CERT_EXPIRED: v = c->not_after * 1000 < s->now_ms; break;
			}
			sample(f, cert_families[k].name, l, ARRAY_SIZE(l), v);
		}
	}
}

/* ---------------------------------------------------------------- probes */

enum probe_metric { PROBE_VERDICT, PROBE_DURATION, PROBE_AGE };

static const struct {
	enum probe_metric m;
	const char *name, *help;
} probe_families[] = {
	{ PROBE_VERDICT, "oqlink_probe_verdict",
	  "Verdict of the latest run of the probe. PASS: 0, SKIP: 1, WARN: 2, FAIL: 3, ERROR: 4." },
	{ PROBE_DURATION, "oqlink_probe_duration_seconds",
	  "How long the latest run of the probe took." },
	{ PROBE_AGE, "oqlink_probe_age_seconds", "Seconds since the latest run of the probe ended." },
};

/* The measured value key of a result in base units (ms to seconds, % to a
 * ratio); false when the result does not have it. */
static bool probe_measure(const struct probe_result *r, const char *key, double *v)
{
	for (size_t i = 0; i < r->n_values; i++) {
		const struct probe_value *pv = &r->values[i];

		if (pv->text || strcmp(pv->key, key) != 0)
			continue;
		*v = pv->value;
		if (pv->unit && strcmp(pv->unit, "ms") == 0)
			*v /= 1000.0;
		else if (pv->unit && strcmp(pv->unit, "%") == 0)
			*v /= 100.0;
		return true;
	}
	return false;
}

/* oqlink's metrics taken from a probe's values. */
static const struct {
	const char *probe, *key, *name, *help;
} probe_measures[] = {
	{ "reach", "loss", "oqlink_reach_loss_ratio",
	  "Share of echo requests to the central system lost in the latest reach probe (0 to 1)." },
	{ "reach", "rtt_avg", "oqlink_reach_rtt_seconds",
	  "Average round-trip time to the central system in the latest reach probe." },
};

/* The oqlink_probe_* families over every result, then the measured values
 * of probe_measures that the results hold. */
static void render_probes(FILE *f, const struct metrics_snapshot *s)
{
	if (s->n_probes == 0)
		return;
	for (size_t k = 0; k < ARRAY_SIZE(probe_families); k++) {
		family(f, probe_families[k].name, probe_families[k].help);
		for (size_t i = 0; i < s->n_probes; i++) {
			const struct probe_result *r = &s->probes[i];
			struct label l = { "probe", r->id };
			double v = 0;

			switch (probe_families[k].m) {
			case PROBE_VERDICT: v = r->verdict; break;
			case PROBE_DURATION: v = (double)r->duration_ms / 1000.0; break;
			case PROBE_AGE:
				v = (double)(s->now_ms - r->started_ms - r->duration_ms) / 1000.0;
				break;
			}
			sample(f, probe_families[k].name, &l, 1, v);
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(probe_measures); k++)
		for (size_t i = 0; i < s->n_probes; i++) {
			double v;

			if (!s->probes[i].id || strcmp(s->probes[i].id, probe_measures[k].probe) != 0 ||
			    !probe_measure(&s->probes[i], probe_measures[k].key, &v))
				continue;
			family(f, probe_measures[k].name, probe_measures[k].help);
			sample(f, probe_measures[k].name, NULL, 0, v);
			break;
		}
}

char *metrics_render(const struct metrics_snapshot *s)
{
	struct label version = { "version", OQ_VERSION };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL) {
		fputs("oqlink: out of memory\n", stderr);
		exit(OQ_EXIT_CANT);
	}
	family(f, "oqlink_up", "Whether the oqlink monitor is running (always 1 when scraped).");
	sample(f, "oqlink_up", NULL, 0, 1);
	family(f, "oqlink_build_info", "The version of oqlink, as a label; the value is 1.");
	sample(f, "oqlink_build_info", &version, 1, 1);
	render_ipsec(f, s->sas);
	render_certs(f, s);
	render_probes(f, s);
	if (fclose(f) != 0 || text == NULL) {
		fputs("oqlink: out of memory\n", stderr);
		exit(OQ_EXIT_CANT);
	}
	return text;
}

/* ---------------------------------------------------------------- HTTP */

/* Connections at once, per client, and seconds a connection may idle. */
#define METRICS_MAX_CONN 8
#define METRICS_MAX_CONN_PER_IP 4
#define METRICS_TIMEOUT_S 5

struct metrics {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char *text;		/* what GET /metrics returns, under lock */
	size_t len;
	unsigned port;
};

/* Queue a response of body (len bytes) with status and Content-Type. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
			     size_t len, enum MHD_ResponseMemoryMode mode, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
								  mode);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* One request: GET (or HEAD) /metrics gets the latest rendering. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	static const char not_found[] = "not found\n", not_allowed[] = "method not allowed\n";
	struct metrics *m = cls;
	char *copy;
	size_t len;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, not_allowed, sizeof(not_allowed) - 1,
			     MHD_RESPMEM_PERSISTENT, "text/plain; charset=utf-8");
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, not_found, sizeof(not_found) - 1,
			     MHD_RESPMEM_PERSISTENT, "text/plain; charset=utf-8");
	pthread_mutex_lock(&m->lock);
	len = m->len;
	copy = xmalloc(len + 1);
	memcpy(copy, m->text, len + 1);
	pthread_mutex_unlock(&m->lock);
	return reply(c, MHD_HTTP_OK, copy, len, MHD_RESPMEM_MUST_FREE, METRICS_CONTENT_TYPE);
}

/* addr as a socket address with port; false when it is not an address. */
static bool parse_addr(const char *addr, unsigned port, struct sockaddr_storage *ss,
		       bool *v6, bool *unspecified)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(addr);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*v6 = false;
		*unspecified = a4->sin_addr.s_addr == htonl(INADDR_ANY);
		return true;
	}
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, addr + 1, n - 2);
		buf[n - 2] = '\0';
		addr = buf;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*v6 = true;
		*unspecified = IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) ||
			       (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) &&
				a6->sin6_addr.s6_addr32[3] == htonl(INADDR_ANY));
		return true;
	}
	return false;
}

int metrics_start(const char *addr, unsigned port, struct metrics **out, char **cause)
{
	struct metrics_snapshot empty = { 0 };
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct metrics *m;
	bool v6, unspecified;
	int err;

	*out = NULL;
	if (addr == NULL || !parse_addr(addr, port, &ss, &v6, &unspecified))
		return cause_set(cause, EINVAL, _("メトリクスの待ち受けアドレス '%s' は IP アドレスではありません",
						  "metrics listen address '%s' is not an IP address"),
				 addr ? addr : "");
	if (unspecified)
		return cause_set(cause, EINVAL, _("メトリクスは管理用 LAN のアドレスだけで待ち受けます ('%s' は全アドレスです)",
						  "metrics listen only on a management LAN address ('%s' is every address)"),
				 addr);
	if (port > 65535)
		return cause_set(cause, EINVAL, _("メトリクスのポート %u は範囲外です (1〜65535)",
						  "metrics port %u is out of range (1-65535)"),
				 port);
	m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->text = metrics_render(&empty);
	m->len = strlen(m->text);
	errno = 0;
	m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
				(v6 ? MHD_USE_IPv6 : 0),
				(uint16_t)port, NULL, NULL, handle, m,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONN,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONN_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
				MHD_OPTION_END);
	if (m->d == NULL) {
		err = errno ? errno : EADDRNOTAVAIL;
		cause_set(cause, err, _("メトリクスを %s ポート %u で待ち受けられません: %s",
					"cannot serve metrics on %s port %u: %s"),
			  addr, port, i18n_strerror(err));
		metrics_stop(m);
		return -err;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
	m->port = info ? info->port : port;
	*out = m;
	return 0;
}

unsigned metrics_port(const struct metrics *m)
{
	return m->port;
}

void metrics_update(struct metrics *m, const struct metrics_snapshot *s)
{
	char *text = metrics_render(s), *old;

	pthread_mutex_lock(&m->lock);
	old = m->text;
	m->text = text;
	m->len = strlen(text);
	pthread_mutex_unlock(&m->lock);
	free(old);
}

void metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->d)
		MHD_stop_daemon(m->d);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}

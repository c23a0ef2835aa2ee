/* The metrics: the exposition of table-driven snapshots checked line by
 * line, hostile label values, the state codes, and an HTTP round trip
 * against metrics_start on 127.0.0.1.
 *
 * Run with arguments it is also the fixed snapshot's server and printer
 * that tests/cli/test_metrics.sh (promtool) and tests/lab/test_metrics.sh
 * (a real Prometheus) use:
 *   test_metrics --render [NAME]     print the snapshot NAME (default "up")
 *   test_metrics --serve ADDR PORT   serve "up", print "port N", stop on
 *                                    SIGTERM or SIGINT */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "tests/unit/slow.h"
#include "core/i18n.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "monitor/metrics.h"
#include "probes/probe.h"

/* ---------------------------------------------------------------- fixtures */

#define NOW_MS 1700000000000LL

/* A snapshot with everything it points to, owned here. */
struct fixture {
	struct metrics_snapshot s;
	struct ipsec_sas sas;
	struct probe_cert_info info[2];
	struct metrics_cert certs[2];
	struct probe_result probes[3];
};

static char **list(const char *a, const char *b, size_t *n)
{
	char **l = xcalloc(3, sizeof(*l));

	*n = 0;
	if (a)
		l[(*n)++] = xstrdup(a);
	if (b)
		l[(*n)++] = xstrdup(b);
	return l;
}

static void ike(struct ipsec_ike_sa *i, const char *state, uint64_t uid, uint64_t established)
{
	i->name = xstrdup("oqlink");
	i->uniqueid = uid;
	i->version = 2;
	i->state = xstrdup(state);
	i->local_host = xstrdup("198.51.100.2");
	i->local_id = xstrdup("CN=clinic-1312345678.example");
	i->remote_host = xstrdup("203.0.113.1");
	i->remote_id = xstrdup("CN=vpngw.carrier.example");
	i->established = established;
}

static void child(struct ipsec_child_sa *c, const char *state, uint64_t uid)
{
	c->name = xstrdup("oqlink");
	c->uniqueid = uid;
	c->state = xstrdup(state);
	c->mode = xstrdup("TUNNEL");
	c->protocol = xstrdup("ESP");
	c->bytes_in = 1000;
	c->packets_in = 10;
	c->bytes_out = 2000;
	c->packets_out = 20;
	c->install_time = 100;
	c->local_ts = list("192.168.20.0/24", NULL, &c->n_local_ts);
	c->remote_ts = list("192.0.2.0/24", "198.18.0.0/16", &c->n_remote_ts);
}

static void cert(struct fixture *f, size_t k, const char *path, const char *cn,
		 int64_t not_after)
{
	struct probe_cert_info *i = &f->info[k];

	i->subject = xasprintf("CN = %s", cn);
	i->issuer = xstrdup("CN = Example CA");
	i->serial = xstrdup("1A2B");
	i->serial_dec = xstrdup("6699");
	i->subject_cn = xstrdup(cn);
	i->issuer_cn = xstrdup("Example CA");
	i->not_before = 1690000000;
	i->not_after = not_after;
	f->certs[k] = (struct metrics_cert){ path, i };
	f->s.n_certs = k + 1;
}

static struct probe_result *probe(struct fixture *f, const char *id, enum probe_verdict v,
				  int64_t started_ms, int64_t duration_ms)
{
	struct probe_result *r = &f->probes[f->s.n_probes++];

	probe_result_init(r, id, BT("試験", "test"));
	probe_result_set(r, v, BT("要約", "summary"), BT(NULL, NULL));
	r->started_ms = started_ms;
	r->duration_ms = duration_ms;
	return r;
}

/* The tunnel up, a certificate, reach passed and tls failed. */
static void fix_up(struct fixture *f)
{
	struct probe_result *r;

	f->sas.n = 1;
	f->sas.v = xcalloc(1, sizeof(*f->sas.v));
	ike(&f->sas.v[0], "ESTABLISHED", 3, 120);
	f->sas.v[0].n_children = 1;
	f->sas.v[0].children = xcalloc(1, sizeof(struct ipsec_child_sa));
	child(&f->sas.v[0].children[0], "INSTALLED", 5);
	f->s.sas = &f->sas;
	cert(f, 0, "/etc/oqlink/clinic.p12", "clinic-1312345678.example", 1800000000);
	r = probe(f, "reach", PROBE_PASS, NOW_MS - 10000, 1500);
	probe_result_value(r, "loss", BT("損失率", "loss"), 10, "%");
	probe_result_value(r, "rtt_avg", BT("平均往復時間", "avg RTT"), 12.5, "ms");
	probe(f, "tls", PROBE_FAIL, NOW_MS - 1000000, 250);
}

/* charon not answering, nothing else known. */
static void fix_down(struct fixture *f)
{
	(void)f;
}

/* Connecting (no CHILD_SA yet), a state not in the list, an expired
 * certificate, a skipped reach without values. */
static void fix_connecting(struct fixture *f)
{
	f->sas.n = 2;
	f->sas.v = xcalloc(2, sizeof(*f->sas.v));
	ike(&f->sas.v[0], "CONNECTING", 7, 0);
	ike(&f->sas.v[1], "WONDERING", 8, 0);
	f->sas.v[1].n_children = 1;
	f->sas.v[1].children = xcalloc(1, sizeof(struct ipsec_child_sa));
	child(&f->sas.v[1].children[0], "ROUTED", 9);
	f->sas.v[1].children[0].install_time = 0;
	f->s.sas = &f->sas;
	cert(f, 0, "/etc/oqlink/old.pem", "old", NOW_MS / 1000 - 1);
	probe(f, "reach", PROBE_SKIP, NOW_MS - 60000, 0);
}

/* Label values that try to break out of their quotes and lines. */
static void fix_hostile(struct fixture *f)
{
	cert(f, 0, "/etc/oqlink/a\"b\\c\nd\xff.pem", "x\"} 1\n# TYPE evil gauge", 1800000000);
	probe(f, "p\"\\\n", PROBE_ERROR, NOW_MS - 2000, 1000);
}

static const struct {
	const char *name;
	void (*make)(struct fixture *f);
	const char *const *want;	/* exact lines, NULL-terminated */
	const char *const *never;	/* prefixes no line may have */
} fixtures[] = {
	{ "up", fix_up, (const char *const[]){
		"# HELP oqlink_up Whether the oqlink monitor is running (always 1 when scraped).",
		"# TYPE oqlink_up gauge",
		"oqlink_up 1",
		"oqlink_build_info{version=\"" OQ_VERSION "\"} 1",
		"ipsec_up 1",
		"# TYPE ipsec_ike_sa_state gauge",
		"ipsec_ike_sa_state{name=\"oqlink\",uid=\"3\",version=\"2\",local_host=\"198.51.100.2\","
		"local_id=\"CN=clinic-1312345678.example\",remote_host=\"203.0.113.1\","
		"remote_id=\"CN=vpngw.carrier.example\",remote_identity=\"\",vips=\"\"} 2",
		"ipsec_ike_sa_established_seconds{name=\"oqlink\",uid=\"3\",version=\"2\","
		"local_host=\"198.51.100.2\",local_id=\"CN=clinic-1312345678.example\","
		"remote_host=\"203.0.113.1\",remote_id=\"CN=vpngw.carrier.example\","
		"remote_identity=\"\",vips=\"\"} 120",
		"ipsec_child_sa_state{ike_sa_name=\"oqlink\",ike_sa_uid=\"3\",name=\"oqlink\",uid=\"5\","
		"mode=\"TUNNEL\",protocol=\"ESP\",local_ts=\"192.168.20.0/24\","
		"remote_ts=\"192.0.2.0/24, 198.18.0.0/16\"} 3",
		"ipsec_child_sa_bytes_in{ike_sa_name=\"oqlink\",ike_sa_uid=\"3\",name=\"oqlink\",uid=\"5\","
		"mode=\"TUNNEL\",protocol=\"ESP\",local_ts=\"192.168.20.0/24\","
		"remote_ts=\"192.0.2.0/24, 198.18.0.0/16\"} 1000",
		"ipsec_child_sa_bytes_out{ike_sa_name=\"oqlink\",ike_sa_uid=\"3\",name=\"oqlink\",uid=\"5\","
		"mode=\"TUNNEL\",protocol=\"ESP\",local_ts=\"192.168.20.0/24\","
		"remote_ts=\"192.0.2.0/24, 198.18.0.0/16\"} 2000",
		"ipsec_child_sa_packets_in{ike_sa_name=\"oqlink\",ike_sa_uid=\"3\",name=\"oqlink\",uid=\"5\","
		"mode=\"TUNNEL\",protocol=\"ESP\",local_ts=\"192.168.20.0/24\","
		"remote_ts=\"192.0.2.0/24, 198.18.0.0/16\"} 10",
		"ipsec_child_sa_packets_out{ike_sa_name=\"oqlink\",ike_sa_uid=\"3\",name=\"oqlink\",uid=\"5\","
		"mode=\"TUNNEL\",protocol=\"ESP\",local_ts=\"192.168.20.0/24\","
		"remote_ts=\"192.0.2.0/24, 198.18.0.0/16\"} 20",
		"ipsec_child_sa_installed_seconds{ike_sa_name=\"oqlink\",ike_sa_uid=\"3\",name=\"oqlink\","
		"uid=\"5\",mode=\"TUNNEL\",protocol=\"ESP\",local_ts=\"192.168.20.0/24\","
		"remote_ts=\"192.0.2.0/24, 198.18.0.0/16\"} 100",
		"x509_cert_not_after{filename=\"clinic.p12\",filepath=\"/etc/oqlink/clinic.p12\","
		"issuer_CN=\"Example CA\",serial_number=\"6699\",subject_CN=\"clinic-1312345678.example\"}"
		" 1800000000",
		"x509_cert_not_before{filename=\"clinic.p12\",filepath=\"/etc/oqlink/clinic.p12\","
		"issuer_CN=\"Example CA\",serial_number=\"6699\",subject_CN=\"clinic-1312345678.example\"}"
		" 1690000000",
		"x509_cert_expired{filename=\"clinic.p12\",filepath=\"/etc/oqlink/clinic.p12\","
		"issuer_CN=\"Example CA\",serial_number=\"6699\",subject_CN=\"clinic-1312345678.example\"} 0",
		"oqlink_probe_verdict{probe=\"reach\"} 0",
		"oqlink_probe_verdict{probe=\"tls\"} 3",
		"oqlink_probe_duration_seconds{probe=\"reach\"} 1.5",
		"oqlink_probe_duration_seconds{probe=\"tls\"} 0.25",
		"oqlink_probe_age_seconds{probe=\"reach\"} 8.5",
		"oqlink_probe_age_seconds{probe=\"tls\"} 999.75",
		"# TYPE oqlink_reach_loss_ratio gauge",
		"oqlink_reach_loss_ratio 0.1",
		"oqlink_reach_rtt_seconds 0.0125",
		NULL }, (const char *const[]){ NULL } },
	{ "down", fix_down, (const char *const[]){
		"oqlink_up 1",
		"# TYPE ipsec_up gauge",
		"ipsec_up 0",
		NULL }, (const char *const[]){ "ipsec_ike", "ipsec_child", "# HELP ipsec_ike",
					       "x509_", "# TYPE x509", "oqlink_probe",
					       "oqlink_reach", NULL } },
	{ "connecting", fix_connecting, (const char *const[]){
		"ipsec_up 1",
		"ipsec_ike_sa_state{name=\"oqlink\",uid=\"7\",version=\"2\",local_host=\"198.51.100.2\","
		"local_id=\"CN=clinic-1312345678.example\",remote_host=\"203.0.113.1\","
		"remote_id=\"CN=vpngw.carrier.example\",remote_identity=\"\",vips=\"\"} 1",
		"ipsec_ike_sa_state{name=\"oqlink\",uid=\"8\",version=\"2\",local_host=\"198.51.100.2\","
		"local_id=\"CN=clinic-1312345678.example\",remote_host=\"203.0.113.1\","
		"remote_id=\"CN=vpngw.carrier.example\",remote_identity=\"\",vips=\"\"} -1",
		"# TYPE ipsec_ike_sa_established_seconds gauge",
		"ipsec_child_sa_state{ike_sa_name=\"oqlink\",ike_sa_uid=\"8\",name=\"oqlink\",uid=\"9\","
		"mode=\"TUNNEL\",protocol=\"ESP\",local_ts=\"192.168.20.0/24\","
		"remote_ts=\"192.0.2.0/24, 198.18.0.0/16\"} 1",
		"x509_cert_expired{filename=\"old.pem\",filepath=\"/etc/oqlink/old.pem\","
		"issuer_CN=\"Example CA\",serial_number=\"6699\",subject_CN=\"old\"} 1",
		"oqlink_probe_verdict{probe=\"reach\"} 1",
		"oqlink_probe_age_seconds{probe=\"reach\"} 60",
		NULL }, (const char *const[]){ "ipsec_ike_sa_established_seconds{",
					       "ipsec_child_sa_installed_seconds{", "oqlink_reach_",
					       "# TYPE oqlink_reach", NULL } },
	{ "hostile", fix_hostile, (const char *const[]){
		"x509_cert_not_after{filename=\"a\\\"b\\\\c\\nd\xef\xbf\xbd.pem\","
		"filepath=\"/etc/oqlink/a\\\"b\\\\c\\nd\xef\xbf\xbd.pem\",issuer_CN=\"Example CA\","
		"serial_number=\"6699\",subject_CN=\"x\\\"} 1\\n# TYPE evil gauge\"} 1800000000",
		"oqlink_probe_verdict{probe=\"p\\\"\\\\\\n\"} 4",
		NULL }, (const char *const[]){ "# TYPE evil", "d\xff", NULL } },
};

static void fixture_make(struct fixture *f, size_t k)
{
	memset(f, 0, sizeof(*f));
	f->s.now_ms = NOW_MS;
	f->s.certs = f->certs;
	f->s.probes = f->probes;
	fixtures[k].make(f);
}

static void fixture_clear(struct fixture *f)
{
	ipsec_sas_free(&f->sas);
	for (size_t i = 0; i < ARRAY_SIZE(f->info); i++)
		probe_cert_info_clear(&f->info[i]);
	for (size_t i = 0; i < f->s.n_probes; i++)
		probe_result_clear(&f->probes[i]);
}

static size_t fixture_find(const char *name)
{
	for (size_t k = 0; k < ARRAY_SIZE(fixtures); k++)
		if (strcmp(fixtures[k].name, name) == 0)
			return k;
	return SIZE_MAX;
}

/* ---------------------------------------------------------------- checks */

/* Whether line is a whole line of text. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* The grammar of the exposition, line by line: HELP then TYPE gauge once
 * per family, the samples of a family right after its TYPE, a name
 * followed by labels and a number, and a final line feed. */
static void check_grammar(const char *text)
{
	char *family = xstrdup(""), *seen = xstrdup(" ");
	const char *p = text;

	assert_true(*text && text[strlen(text) - 1] == '\n');
	while (*p) {
		const char *end = strchr(p, '\n');
		char *line = xstrndup(p, (size_t)(end - p));

		if (strncmp(line, "# HELP ", 7) == 0) {
			char *name = xstrndup(line + 7, strcspn(line + 7, " "));
			char *key = xasprintf(" %s ", name), *type = xasprintf("# TYPE %s gauge\n", name);
			char *t;

			assert_null(strstr(seen, key));	/* one HELP per family */
			t = xasprintf("%s%s ", seen, name);
			free(seen);
			seen = t;
			free(family);
			family = name;
			p = end + 1;
			end = strchr(p, '\n');
			assert_non_null(end);
			assert_memory_equal(p, type, strlen(type));
			free(key);
			free(type);
		} else {
			size_t k = strcspn(line, "{ ");
			char *num = strrchr(line, ' '), *e;

			assert_true(k == strlen(family) && strncmp(line, family, k) == 0);
			assert_non_null(num);
			if (strcmp(num + 1, "NaN") != 0 && strcmp(num + 1, "+Inf") != 0) {
				strtod(num + 1, &e);
				assert_true(*e == '\0' && e != num + 1);
			}
		}
		free(line);
		p = end + 1;
	}
	free(family);
	free(seen);
}

static void test_render(void **state)
{
	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(fixtures); k++) {
		struct fixture f;
		char *text;

		fixture_make(&f, k);
		text = metrics_render(&f.s);
		print_message("fixture %s\n", fixtures[k].name);
		check_grammar(text);
		for (const char *const *w = fixtures[k].want; *w; w++) {
			if (!has_line(text, *w))
				print_message("missing line: %s\nin:\n%s", *w, text);
			assert_true(has_line(text, *w));
		}
		for (const char *const *w = fixtures[k].never; *w; w++) {
			char *needle = xasprintf("\n%s", *w);
			if (strstr(text, needle))
				print_message("unwanted line: %s\nin:\n%s", *w, text);
			assert_null(strstr(text, needle));
			free(needle);
		}
		free(text);
		fixture_clear(&f);
	}
}

/* Rendering is pure: the same snapshot, the same text. */
static void test_render_pure(void **state)
{
	struct fixture f;
	char *a, *b;

	(void)state;
	fixture_make(&f, fixture_find("up"));
	a = metrics_render(&f.s);
	b = metrics_render(&f.s);
	assert_string_equal(a, b);
	f.s.now_ms += 5000;
	free(b);
	b = metrics_render(&f.s);
	assert_true(has_line(b, "oqlink_probe_age_seconds{probe=\"reach\"} 13.5"));
	free(a);
	free(b);
	fixture_clear(&f);
}

static void test_state_codes(void **state)
{
	static const struct {
		int (*fn)(const char *);
		const char *state;
		int code;
	} rows[] = {
		{ metrics_ike_state_code, "CREATED", 0 },
		{ metrics_ike_state_code, "CONNECTING", 1 },
		{ metrics_ike_state_code, "ESTABLISHED", 2 },
		{ metrics_ike_state_code, "PASSIVE", 3 },
		{ metrics_ike_state_code, "REKEYING", 4 },
		{ metrics_ike_state_code, "REKEYED", 5 },
		{ metrics_ike_state_code, "DELETING", 6 },
		{ metrics_ike_state_code, "DESTROYING", 7 },
		{ metrics_ike_state_code, "INSTALLED", -1 },
		{ metrics_ike_state_code, "established", -1 },
		{ metrics_ike_state_code, NULL, -1 },
		{ metrics_child_state_code, "CREATED", 0 },
		{ metrics_child_state_code, "ROUTED", 1 },
		{ metrics_child_state_code, "INSTALLING", 2 },
		{ metrics_child_state_code, "INSTALLED", 3 },
		{ metrics_child_state_code, "UPDATING", 4 },
		{ metrics_child_state_code, "REKEYING", 5 },
		{ metrics_child_state_code, "REKEYED", 6 },
		{ metrics_child_state_code, "RETRYING", 7 },
		{ metrics_child_state_code, "DELETING", 8 },
		{ metrics_child_state_code, "DELETED", 9 },
		{ metrics_child_state_code, "DESTROYING", 10 },
		{ metrics_child_state_code, "ESTABLISHED", -1 },
		{ metrics_child_state_code, "", -1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		assert_int_equal(rows[i].fn(rows[i].state), rows[i].code);
}

/* ---------------------------------------------------------------- HTTP */

struct http_reply {
	int status;
	char type[128];
	char *body;
};

/* One HTTP/1.0 request to addr (IPv4 or IPv6) and port; the reply is read
 * until the server closes the connection (bounded by a 5 s poll per read). */
static void http_at(const char *addr, unsigned port, const char *method, const char *path,
		    struct http_reply *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	bool v6 = strchr(addr, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char *req = xasprintf("%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method, path);
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap), *hdr_end, *t;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	memset(r, 0, sizeof(*r));
	assert_true(fd >= 0);
	if (v6) {
		assert_int_equal(inet_pton(AF_INET6, addr, &a6.sin6_addr), 1);
		assert_int_equal(connect(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	} else {
		assert_int_equal(inet_pton(AF_INET, addr, &a.sin_addr), 1);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		assert_int_equal(poll(&pfd, 1, 5000 * test_slow()), 1);
		if (len + 1024 > cap)
			buf = xrealloc(buf, cap *= 2);
		n = read(fd, buf + len, cap - len - 1);
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	free(req);
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1);
	hdr_end = strstr(buf, "\r\n\r\n");
	assert_non_null(hdr_end);
	*hdr_end = '\0';
	t = strcasestr(buf, "\r\nContent-Type: ");
	if (t)
		sscanf(t + 16, "%127[^\r]", r->type);
	r->body = xstrdup(hdr_end + 4);
	free(buf);
}

static void http(unsigned port, const char *method, const char *path, struct http_reply *r)
{
	http_at("127.0.0.1", port, method, path, r);
}

static void test_http(void **state)
{
	struct metrics *m = NULL;
	struct http_reply r;
	struct fixture f;
	char *cause = NULL, *want;
	unsigned port;

	(void)state;
	assert_int_equal(metrics_start("127.0.0.1", 0, &m, &cause), 0);
	assert_null(cause);
	port = metrics_port(m);
	assert_true(port > 0 && port < 65536);

	/* Before the first update: the empty snapshot. */
	http(port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_true(has_line(r.body, "ipsec_up 0"));
	free(r.body);

	fixture_make(&f, fixture_find("up"));
	metrics_update(m, &f.s);
	want = metrics_render(&f.s);
	fixture_clear(&f);	/* the server keeps its own rendering */
	http(port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(r.body, want);
	free(r.body);
	free(want);

	static const struct {
		const char *method, *path;
		int status;
	} rows[] = {
		{ "GET", "/", 404 },
		{ "GET", "/metrics/", 404 },
		{ "GET", "/metricsx", 404 },
		{ "GET", "/../metrics", 404 },
		{ "POST", "/metrics", 405 },
		{ "PUT", "/metrics", 405 },
		{ "DELETE", "/metrics", 405 },
		{ "HEAD", "/metrics", 200 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		http(port, rows[i].method, rows[i].path, &r);
		print_message("%s %s -> %d\n", rows[i].method, rows[i].path, r.status);
		assert_int_equal(r.status, rows[i].status);
		if (strcmp(rows[i].method, "HEAD") == 0)
			assert_string_equal(r.body, "");
		else
			assert_null(strstr(r.body, "oqlink_up"));
		free(r.body);
	}
	metrics_stop(m);
}

/* IPv6: the loopback, bracketed or not; skipped where the host has no ::1. */
static void test_http_ipv6(void **state)
{
	static const char *const addrs[] = { "::1", "[::1]" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct metrics *m = NULL;
		struct http_reply r;
		char *cause = NULL;
		int ret = metrics_start(addrs[i], 0, &m, &cause);

		if (ret == -EADDRNOTAVAIL || ret == -EAFNOSUPPORT) {
			free(cause);
			skip();
		}
		assert_int_equal(ret, 0);
		http_at("::1", metrics_port(m), "GET", "/metrics", &r);
		assert_int_equal(r.status, 200);
		assert_true(has_line(r.body, "oqlink_up 1"));
		free(r.body);
		metrics_stop(m);
	}
}

/* A TCP connection to 127.0.0.1:port. */
static int tcp_connect(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Milliseconds until the server closes fd (-1 after limit_ms), reading and
 * dropping what it sends; *got counts the bytes. */
static int64_t until_closed(int fd, int limit_ms, size_t *got)
{
	int64_t start = now_ms();
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];

	*got = 0;
	while (now_ms() - start < limit_ms) {
		ssize_t n;

		if (poll(&pfd, 1, 100) != 1)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return now_ms() - start;
		*got += (size_t)n;
	}
	return -1;
}

/* Whether a GET /metrics gets a "200" status line within limit_ms, asking
 * again while the server refuses the connection. */
static bool served_within(unsigned port, int limit_ms)
{
	static const char get[] = "GET /metrics HTTP/1.0\r\n\r\n";
	int64_t start = now_ms();

	while (now_ms() - start < limit_ms) {
		struct pollfd pfd;
		char buf[64] = "";
		ssize_t n = -1;
		int fd = tcp_connect(port);

		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (write(fd, get, sizeof(get) - 1) == (ssize_t)sizeof(get) - 1 && poll(&pfd, 1, 1000) == 1)
			n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && strncmp(buf, "HTTP/1.", 7) == 0 && strstr(buf, " 200 ") != NULL)
			return true;
		poll(NULL, 0, 20);
	}
	return false;
}

/* Bounded connections: a client holding METRICS' per-client limit (4) idle
 * connections gets no answer on a fifth; an idle connection is closed after
 * the 5 s timeout. */
static void test_http_limits(void **state)
{
	static const char get[] = "GET /metrics HTTP/1.0\r\n\r\n";
	struct metrics *m = NULL;
	struct http_reply r;
	char *cause = NULL;
	int idle[4], fd;
	size_t got;
	int64_t ms;
	unsigned port;

	(void)state;
	assert_int_equal(metrics_start("127.0.0.1", 0, &m, &cause), 0);
	port = metrics_port(m);
	for (size_t i = 0; i < ARRAY_SIZE(idle); i++)
		idle[i] = tcp_connect(port);
	fd = tcp_connect(port);
	assert_int_equal(write(fd, get, sizeof(get) - 1), (ssize_t)sizeof(get) - 1);
	ms = until_closed(fd, 3000 * test_slow(), &got);
	print_message("fifth connection closed after %lld ms with %zu bytes\n", (long long)ms, got);
	assert_true(ms >= 0);
	assert_int_equal(got, 0);
	close(fd);

	/* The idle ones time out (5 s, one timer tick of slack). */
	ms = until_closed(idle[0], 9000 * test_slow(), &got);
	print_message("idle connection closed after %lld ms\n", (long long)ms);
	assert_true(ms >= 3000 && ms <= 8000 * test_slow());
	/* every idle one is let go by the server before a new one is asked
	 * for: until then they still count against the client's limit */
	for (size_t i = 1; i < ARRAY_SIZE(idle); i++)
		assert_true(until_closed(idle[i], 9000 * test_slow(), &got) >= 0);
	for (size_t i = 0; i < ARRAY_SIZE(idle); i++)
		close(idle[i]);
	/* The server drops a closed connection from the client's count just
	 * after closing it, in its own thread: a new client is served again
	 * within a bounded time. */
	assert_true(served_within(port, 2000 * test_slow()));
	http(port, "GET", "/metrics", &r);
	assert_int_equal(r.status, 200);
	free(r.body);
	metrics_stop(m);
}

/* Updates while a client reads: every reply is one whole rendering. */
struct reader {
	unsigned port;
	const char *a, *b;
	int n, whole;
	_Atomic int done;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;

	for (int i = 0; i < r->n; i++) {
		struct http_reply h;

		http(r->port, "GET", "/metrics", &h);
		r->whole += h.status == 200 && (strcmp(h.body, r->a) == 0 || strcmp(h.body, r->b) == 0);
		free(h.body);
	}
	r->done = 1;
	return NULL;
}

static void test_http_concurrent(void **state)
{
	struct fixture f[2];
	struct metrics *m = NULL;
	char *cause = NULL, *text[2];
	struct reader r = { .n = 50 };
	pthread_t t;

	(void)state;
	fixture_make(&f[0], fixture_find("up"));
	fixture_make(&f[1], fixture_find("connecting"));
	text[0] = metrics_render(&f[0].s);
	text[1] = metrics_render(&f[1].s);
	assert_int_equal(metrics_start("127.0.0.1", 0, &m, &cause), 0);
	metrics_update(m, &f[0].s);
	r.port = metrics_port(m);
	r.a = text[0];
	r.b = text[1];
	assert_int_equal(pthread_create(&t, NULL, read_loop, &r), 0);
	/* about a thousand updates a second: a race with every reply, and
	 * room for the server's and the reader's threads where threads take
	 * turns (valgrind) */
	for (int i = 0; !r.done; i++) {
		metrics_update(m, &f[i % 2].s);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.whole, r.n);
	metrics_stop(m);
	for (int i = 0; i < 2; i++) {
		free(text[i]);
		fixture_clear(&f[i]);
	}
}

static void test_start_refuses(void **state)
{
	static const struct {
		const char *addr;
		unsigned port;
		int ret;
		const char *says;
	} rows[] = {
		{ "0.0.0.0", 0, -EINVAL, "every address" },
		{ "::", 0, -EINVAL, "every address" },
		{ "[::]", 0, -EINVAL, "every address" },
		{ "::ffff:0.0.0.0", 0, -EINVAL, "every address" },
		{ "localhost", 0, -EINVAL, "not an IP address" },
		{ "127.0.0.1:9100", 0, -EINVAL, "not an IP address" },
		{ "", 0, -EINVAL, "not an IP address" },
		{ "127.0.0.1", 70000, -EINVAL, "out of range" },
		{ "192.0.2.77", 0, -EADDRNOTAVAIL, "192.0.2.77" },	/* not ours */
	};
	struct metrics *a = NULL, *b = NULL;
	char *cause = NULL;

	(void)state;
	i18n_set_lang(OQ_LANG_EN);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct metrics *m = (struct metrics *)1;

		assert_int_equal(metrics_start(rows[i].addr, rows[i].port, &m, &cause), rows[i].ret);
		assert_null(m);
		assert_non_null(cause);
		print_message("%s: %s\n", rows[i].addr, cause);
		assert_non_null(strstr(cause, rows[i].says));
		free(cause);
		cause = NULL;
	}
	/* A port that is taken. */
	assert_int_equal(metrics_start("127.0.0.1", 0, &a, &cause), 0);
	assert_int_equal(metrics_start("127.0.0.1", metrics_port(a), &b, &cause), -EADDRINUSE);
	assert_null(b);
	assert_non_null(strstr(cause, "127.0.0.1"));
	free(cause);
	metrics_stop(a);
	metrics_stop(NULL);
}

/* ---------------------------------------------------------------- tools */

static int render_main(const char *name)
{
	size_t k = fixture_find(name);
	struct fixture f;
	char *text;

	if (k == SIZE_MAX) {
		fprintf(stderr, "test_metrics: no snapshot '%s'\n", name);
		return 2;
	}
	fixture_make(&f, k);
	text = metrics_render(&f.s);
	fputs(text, stdout);
	free(text);
	fixture_clear(&f);
	return fflush(stdout) == 0 ? 0 : 3;
}

static volatile sig_atomic_t stopping;
static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int serve_main(const char *addr, const char *port)
{
	struct metrics *m = NULL;
	struct fixture f;
	char *cause = NULL;
	struct sigaction sa = { .sa_handler = on_term };
	sigset_t block, wait;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &wait);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (metrics_start(addr, (unsigned)strtoul(port, NULL, 10), &m, &cause) != 0) {
		fprintf(stderr, "test_metrics: %s\n", cause);
		free(cause);
		return 3;
	}
	fixture_make(&f, fixture_find("up"));
	metrics_update(m, &f.s);
	fixture_clear(&f);
	printf("port %u\n", metrics_port(m));
	fflush(stdout);
	while (!stopping)
		sigsuspend(&wait);
	metrics_stop(m);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_pure),
		cmocka_unit_test(test_state_codes),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_http_ipv6),
		cmocka_unit_test(test_http_limits),
		cmocka_unit_test(test_http_concurrent),
		cmocka_unit_test(test_start_refuses),
	};

	if (argc >= 2 && strcmp(argv[1], "--render") == 0)
		return render_main(argc >= 3 ? argv[2] : "up");
	if (argc == 4 && strcmp(argv[1], "--serve") == 0)
		return serve_main(argv[2], argv[3]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

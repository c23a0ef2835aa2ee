/* The report model: the checklist and evidence tables, the config summary
 * with every secret redacted, the facts of the visit, and the file names. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/site.h"
#include "core/util.h"
#include "report/report_int.h"

const char report_schema[] = "oqlink.report/2";

bool report_schema_known(const char *schema)
{
	return schema && (strcmp(schema, report_schema) == 0 ||
			  strcmp(schema, "oqlink.report/1") == 0);
}

#define IDS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The on-site tasks of the source documents, each with the probes that
 * prove it. A probe absent from the run (not configured, not applicable)
 * neither proves nor disproves. */
const struct rp_task rp_tasks[] = {
	{ "install", BT("機器の導入・設定", "Equipment installation and set-up"),
	  IDS("link", "address", "address6"),
	  BT("機器の設置場所、配線、電源、ラベルを目視で確認する",
	     "check placement, cabling, power and labels by eye") },
	{ "routing", BT("ルーティングの設定", "Routing"),
	  IDS("gateway", "gateway6", "ike", "child", "pmtu"),
	  BT("受付 PC から資格確認端末へ、許可したポートでつながることを確認する",
	     "check that the reception PC reaches the qualification terminal on the allowed ports") },
	{ "connectivity", BT("ネットワークの疎通確認", "Network connectivity check"),
	  IDS("dns", "reach", "tcp", "proxy", "lineauth"),
	  BT("", "") },
	{ "certificate", BT("電子証明書の導入", "Client certificate installation"),
	  IDS("cert", "tls"),
	  BT("資格確認端末に電子証明書が導入されていることを端末上で確認する",
	     "check on the qualification terminal that its client certificate is installed") },
	{ "operation", BT("運用テスト", "Operational test"),
	  IDS("clock", "tls", "capture"),
	  BT("資格確認端末でマイナンバーカードによる資格確認を 1 件行い、結果が表示されることを立会者と確認する",
	     "confirm one patient's eligibility with a My Number card on the terminal and see the result, with the witness") },
};
const size_t rp_n_tasks = ARRAY_SIZE(rp_tasks);

/* The evidence, grouped as an engineer or a carrier looks for it. Probes
 * not listed here appear under the last, catch-all group. */
const struct rp_section rp_sections[] = {
	{ "ipsec", BT("IKE SA と CHILD SA", "IKE SA and CHILD SA"), IDS("ike", "child") },
	{ "certificates", BT("電子証明書", "Certificates"), IDS("cert") },
	{ "latency", BT("遅延、到達性、経路 MTU", "Latency, reachability and path MTU"),
	  IDS("gateway", "gateway6", "reach", "pmtu", "tcp") },
	{ "dns", BT("DNS の応答", "DNS answers"), IDS("dns") },
	{ "tls", BT("TLS とプロキシ", "TLS and proxy"), IDS("tls", "proxy", "lineauth") },
	{ "clock", BT("時刻", "Clock"), IDS("clock") },
	{ "capture", BT("パケットキャプチャ", "Packet capture"), IDS("capture") },
	{ "link", BT("インターフェースとアドレス", "Interfaces and addresses"),
	  IDS("link", "address", "address6") },
	{ "other", BT("その他", "Other"), IDS("") },
};
const size_t rp_n_sections = ARRAY_SIZE(rp_sections);

static const struct {
	struct bitext word;
} verdict_words[] = {
	[PROBE_PASS] = { BT("合格", "PASS") },
	[PROBE_SKIP] = { BT("省略", "SKIP") },
	[PROBE_WARN] = { BT("注意", "WARN") },
	[PROBE_FAIL] = { BT("不合格", "FAIL") },
	[PROBE_ERROR] = { BT("実行不能", "ERROR") },
};

static const struct {
	const char *code;
	struct bitext word;
} task_words[] = {
	[RP_TASK_PROVEN] = { "proven", BT("確認済み", "proven") },
	[RP_TASK_WARN] = { "warn", BT("確認済み (注意あり)", "proven, with warnings") },
	[RP_TASK_FAILED] = { "failed", BT("不合格", "failed") },
	[RP_TASK_MANUAL] = { "manual", BT("要手動確認", "check by hand") },
	[RP_TASK_UNCHECKED] = { "unchecked", BT("未確認", "not checked") },
};

/* Skip reasons that are not a probe id: the run itself stopped. */
static const struct {
	const char *reason;
	struct bitext text;
} run_stops[] = {
	{ PROBE_STOP_CANCELLED, BT("検査が中止されたため実行していません", "not run: the run was cancelled") },
	{ PROBE_STOP_TIMEOUT, BT("全体の制限時間を過ぎたため実行していません",
			"not run: the whole run ran out of time") },
};

/* The entry of run_stops for a result skipped because the run stopped. */
static int run_stop(const struct probe_result *p)
{
	if (!probe_result_unrun(p))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(run_stops); i++)
		if (strcmp(p->skip_reason_id, run_stops[i].reason) == 0)
			return (int)i;
	return -1;
}

char *rp_skip_text(const struct report *r, const struct probe_result *p)
{
	int stop = run_stop(p);

	if (p->verdict != PROBE_SKIP || p->skip_reason_id == NULL || *p->skip_reason_id == '\0')
		return NULL;
	if (stop >= 0)
		return xstrdup(rp_bt(r, run_stops[stop].text));
	const struct probe_result *dep = rp_find(r, p->skip_reason_id);
	return xasprintf(rp_tr(r, "「%s」が不合格のため省略", "skipped because “%s” failed"),
			 dep ? rp_bt(r, dep->title) : p->skip_reason_id);
}

const char *rp_tr(const struct report *r, const char *ja, const char *en)
{
	return r->lang == OQ_LANG_JA ? ja : en;
}

const char *rp_bt(const struct report *r, struct bitext t)
{
	return bitext_get(t, r->lang);
}

char *rp_row_text(const struct report *r, const struct rp_row *w)
{
	if (w->secret)
		return xasprintf(rp_tr(r, "(伏せ字) ファイル %s", "(redacted) file %s"), w->value);
	return xstrdup(w->shown.ja ? rp_bt(r, w->shown) : w->value);
}

const char *rp_s(const char *s)
{
	return s ? s : "";
}

const char *rp_verdict_word(enum oq_lang lang, enum probe_verdict v)
{
	if ((unsigned)v >= ARRAY_SIZE(verdict_words))
		v = PROBE_ERROR;
	return bitext_get(verdict_words[v].word, lang);
}

const char *rp_task_word(enum oq_lang lang, enum rp_task_status s)
{
	return bitext_get(task_words[s].word, lang);
}

const char *rp_task_code(enum rp_task_status s)
{
	return task_words[s].code;
}

bool rp_listed(const char *const *list, const char *id)
{
	for (; *list; list++)
		if (strcmp(*list, id) == 0)
			return true;
	return false;
}

bool rp_in_section(size_t s, const struct probe_result *p)
{
	bool listed = false;

	if (s + 1 < rp_n_sections)
		return p->id && rp_listed(rp_sections[s].probes, p->id);
	for (size_t k = 0; k + 1 < rp_n_sections && p->id; k++)
		listed |= rp_listed(rp_sections[k].probes, p->id);
	return !listed;
}

const struct probe_result *rp_find(const struct report *r, const char *id)
{
	if (r->run == NULL)
		return NULL;
	for (size_t i = 0; i < r->run->n; i++)
		if (r->run->results[i].id && strcmp(r->run->results[i].id, id) == 0)
			return &r->run->results[i];
	return NULL;
}

bool report_parse_time(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	int off = 0, n = 0;
	char *end;

	if (s[0] == '@') {
		long long v = strtoll(s + 1, &end, 10);
		if (end == s + 1 || *end)
			return false;
		*ms = v * 1000;
		return true;
	}
	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return false;
	s += n;
	if (strcmp(s, "Z") == 0) {
		off = 0;
	} else if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 && s[3] == ':' &&
		   isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
		   isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5])) {
		off = ((s[1] - '0') * 10 + (s[2] - '0')) * 3600 + ((s[4] - '0') * 10 + (s[5] - '0')) * 60;
		if (s[0] == '-')
			off = -off;
	} else {
		return false;
	}
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = ((int64_t)timegm(&tm) - off) * 1000;
	return true;
}

char *rp_number(double d, char *buf)
{
	double a = fabs(d);
	int dec = a >= 100 || a == floor(a) ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;

	if (!isfinite(d)) {
		snprintf(buf, 32, "-");
		return buf;
	}
	if (a >= 1e9) {
		snprintf(buf, 32, "%.4g", d);
		return buf;
	}
	snprintf(buf, 32, "%.*f", dec, d);
	if (dec > 0) {
		char *e = buf + strlen(buf) - 1;
		while (*e == '0')
			*e-- = '\0';
		if (*e == '.')
			*e = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, 32, "0");
	return buf;
}

/* Keywords after which a probe line might carry a secret. */
static const char *const secret_words[] = {
	"password", "passphrase", "passwd", "psk", "secret", "private_key", "private-key",
	"privkey",
};

/* Length of the keyword of secret_words at s (case-insensitive), or 0. */
static size_t secret_word_at(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(secret_words); i++) {
		size_t n = strlen(secret_words[i]);
		if (strncasecmp(s, secret_words[i], n) == 0)
			return n;
	}
	return 0;
}

char *rp_scrub(const char *s)
{
	char *clean = str_sanitize(rp_s(s)), *out = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&out, &len);
	const char *p = clean;

	while (*p) {
		size_t kw = secret_word_at(p);
		bool word_start = p == clean || !isalnum((unsigned char)p[-1]);
		if (kw && word_start) {
			const char *sep = p + kw;
			while (*sep == ' ')
				sep++;
			if (*sep == '=' || *sep == ':') {
				sep++;
				while (*sep == ' ')
					sep++;
				const char *v = sep;
				while (*v && *v != ' ' && *v != ',' && *v != ';')
					v++;
				if (v > sep) {
					fprintf(o, "%.*s********", (int)(sep - p), p);
					p = v;
					continue;
				}
			}
		}
		fputc(*p++, o);
	}
	fclose(o);
	free(clean);
	return out;
}

char *rp_value_str(const struct report *r, const struct probe_value *v)
{
	char num[32];

	if (v->text)
		return rp_scrub(v->text);
	if (v->unit && *v->unit) {
		char *s = xasprintf("%s %s", rp_number(v->value, num), i18n_unit(v->unit, r->lang));
		char *out = rp_scrub(s);
		free(s);
		return out;
	}
	return xstrdup(rp_number(v->value, num));
}

char *rp_rstrip_lines(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		if (*r == '\n')
			while (w > s && w[-1] == ' ')
				w--;
		*w++ = *r;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

void rp_html_esc(FILE *f, const char *s)
{
	char *clean = rp_scrub(s);

	for (const char *p = clean; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*p, f);
		}
	}
	free(clean);
}

/* The hardware address of interface name, into mac[24]; "" when unknown. */
static void iface_mac(const char *name, char *mac)
{
	struct ifreq ifr;
	int fd;

	mac[0] = '\0';
	if (name == NULL || strlen(name) >= IFNAMSIZ)
		return;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
		const unsigned char *a = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
		snprintf(mac, 24, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4],
			 a[5]);
	}
	close(fd);
}

static void meta_iface(struct report_meta *m, const char *role, const char *name)
{
	struct report_iface *i;

	if (name == NULL || *name == '\0' || m->n_ifaces >= ARRAY_SIZE(m->ifaces))
		return;
	i = &m->ifaces[m->n_ifaces++];
	snprintf(i->role, sizeof(i->role), "%s", role);
	snprintf(i->name, sizeof(i->name), "%s", name);
	iface_mac(name, i->mac);
}

/* One line of /sys/class/dmi/id/NAME into buf (size bytes); "" when absent,
 * unreadable (the serial is root's) or a placeholder of the maker. */
static void dmi_read(const char *name, char *buf, size_t size)
{
	static const char *const placeholders[] = {
		"To be filled by O.E.M.", "Default string", "System Serial Number", "Not Specified",
		"0123456789", "None",
	};
	char path[96], *data = NULL, *clean;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/dmi/id/%s", name);
	if (file_read(path, 4096, &data, NULL, NULL) < 0)
		return;
	data[strcspn(data, "\n")] = '\0';
	clean = str_sanitize(data);
	for (size_t i = 0; i < ARRAY_SIZE(placeholders); i++)
		if (strcasecmp(clean, placeholders[i]) == 0)
			*clean = '\0';
	snprintf(buf, size, "%s", clean);
	free(clean);
	free(data);
}

/* "maker model" of this machine from DMI, into meta->model; and the serial. */
static void meta_appliance(struct report_meta *m)
{
	char vendor[64], product[64];

	dmi_read("sys_vendor", vendor, sizeof(vendor));
	dmi_read("product_name", product, sizeof(product));
	snprintf(m->model, sizeof(m->model), "%s%s%s", vendor, *vendor && *product ? " " : "",
		 product);
	dmi_read("product_serial", m->serial, sizeof(m->serial));
}

void report_meta_collect(struct report_meta *meta, const struct site *site)
{
	memset(meta, 0, sizeof(*meta));
	meta->lang = i18n_lang();
	meta->time_ms = clock_wall_ms();
	snprintf(meta->version, sizeof(meta->version), "%s", OQ_VERSION);
	if (gethostname(meta->hostname, sizeof(meta->hostname) - 1) != 0)
		meta->hostname[0] = '\0';
	meta_appliance(meta);
	if (site) {
		meta_iface(meta, "wan", site->wan_if);
		meta_iface(meta, "lan", site->lan_if);
		if (site->segment == SITE_SEGMENT_SEPARATE)
			meta_iface(meta, "terminal", site->term_if);
	}
}

/* SHA-256 and size of the capture file named in meta. */
static void capture_hash(struct rp_capture *c, const char *path)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	FILE *f;
	size_t n;

	c->present = true;
	c->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	c->name = xstrdup(slash ? slash + 1 : path);
	f = fopen(path, "rb");
	if (f == NULL) {
		c->error = xstrdup(i18n_strerror(errno));
		return;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		c->bytes += (long long)n;
	}
	if (ferror(f)) {
		c->error = xstrdup(i18n_strerror(EIO));
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen))
		for (unsigned i = 0; i < mdlen && i < 32; i++)
			snprintf(c->sha256 + 2 * i, 3, "%02x", md[i]);
out:
	EVP_MD_CTX_free(ctx);
	fclose(f);
}

/* Is id one of the comma-separated words of csv? */
static bool csv_has(const char *csv, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = csv; p && *p; p += strcspn(p, ","), p += *p == ',') {
		while (*p == ' ')
			p++;
		if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == ' ' || p[n] == '\0'))
			return true;
	}
	return false;
}

const char *const *report_task_ids(void)
{
	static const char *ids[ARRAY_SIZE(rp_tasks) + 1];

	for (size_t i = 0; i < rp_n_tasks; i++)
		ids[i] = rp_tasks[i].id;
	return ids;
}

/* Status of task i from the verdicts of the probes that prove it and from
 * its check by hand: proven only when both are done. */
static enum rp_task_status task_status(const struct report *r, size_t i)
{
	const struct rp_task *t = &rp_tasks[i];
	bool any = false, warn = false, failed = false, unchecked = false;
	bool manual = *rp_s(t->manual.ja) != '\0';

	for (const char *const *id = t->probes; *id; id++) {
		const struct probe_result *p = rp_find(r, *id);
		if (p == NULL)
			continue;
		switch (p->verdict) {
		case PROBE_PASS:
			any = true;
			break;
		case PROBE_WARN:
			any = warn = true;
			break;
		case PROBE_SKIP:
			/* skipped because another probe failed (or the run
			 * stopped): neither proven nor failed */
			if (p->skip_reason_id && *p->skip_reason_id)
				unchecked = true;
			break;
		default:
			failed = true;
		}
	}
	if (failed)
		return RP_TASK_FAILED;
	if (unchecked)
		return RP_TASK_UNCHECKED;
	if (manual ? !r->manual_done[i] : !any)
		return RP_TASK_MANUAL;
	return warn ? RP_TASK_WARN : RP_TASK_PROVEN;
}

char *rp_number_str(const struct report *r, char *buf)
{
	const char *code = r->site ? rp_s(r->site->facility_code) : "";

	if (r->meta.number == 0)
		buf[0] = '\0';
	else
		snprintf(buf, 48, "%.20s%s%04lu", code, *code ? "-" : "", r->meta.number);
	return buf;
}

/* Append a fact of the visit; value is taken (NULL: ""). */
static void add_fact(struct report *r, const char *key, struct bitext label, char *value)
{
	r->facts = xrealloc(r->facts, (r->n_facts + 1) * sizeof(*r->facts));
	r->facts[r->n_facts++] = (struct rp_fact){ key, label, value ? value : xstrdup("") };
}

/* "2026-04-01 10:30:00 +09:00 (JST) 〜 11:05:00": the work from start to end. */
static char *work_span(const struct report *r)
{
	int64_t start = r->meta.work_start_ms, end = r->meta.work_end_ms;
	char a[CLOCK_BUF], b[CLOCK_BUF], da[CLOCK_BUF], db[CLOCK_BUF];

	if (start <= 0)
		start = r->run && r->run->started_ms > 0 ? r->run->started_ms : r->meta.time_ms;
	if (end <= 0)
		end = r->meta.time_ms;
	clock_str(start, CLOCK_DATE, da);
	clock_str(end, CLOCK_DATE, db);
	return xasprintf(rp_tr(r, "%s 〜 %s", "%s to %s"), clock_str(start, CLOCK_HUMAN, a),
			 strcmp(da, db) == 0 ? clock_str(end, CLOCK_HMS, b) : clock_str(end, CLOCK_HUMAN, b));
}

/* The certificates' expiry dates from the cert probe's days left, counted
 * from when the probe ran: "terminal 2029-06-19 (1176 days left), ...". */
static char *cert_expiry(const struct report *r)
{
	const struct probe_result *p = rp_find(r, "cert");
	int64_t at = p && p->started_ms > 0 ? p->started_ms : r->run ? r->run->started_ms : 0;
	char *out = NULL, d[CLOCK_BUF], num[32];
	size_t len = 0;
	FILE *m;

	if (p == NULL || at <= 0)
		return NULL;
	m = open_memstream(&out, &len);
	for (size_t i = 0; i < p->n_values; i++) {
		const struct probe_value *v = &p->values[i];
		const char *which = v->key ? v->key : "";
		/* a recorded run is input: a day count no certificate has is left out */
		if (v->text || !str_has_prefix(which, "days_") || !isfinite(v->value) ||
		    fabs(v->value) > 1e6)
			continue;
		which += str_has_prefix(which, "days_left_") ? 10 : 5;
		clock_str(at + (int64_t)(v->value * 86400000.0), CLOCK_DATE, d);
		/* "ike", "terminal" or "tls_NAME": the terminal's certificate for endpoint NAME */
		char *name = strcmp(which, "ike") == 0 ? xstrdup("IKE")
			   : strcmp(which, "terminal") == 0 ? xstrdup(rp_tr(r, "端末", "terminal"))
			   : str_has_prefix(which, "tls_")
			   ? xasprintf(rp_tr(r, "端末 (%s)", "terminal (%s)"), which + 4)
			   : xstrdup(which);
		fprintf(m, rp_tr(r, "%s%s %s まで (残り %s 日)", "%s%s until %s (%s days left)"),
			ftell(m) ? rp_tr(r, "、", ", ") : "", name, d, rp_number(floor(v->value), num));
		free(name);
	}
	fclose(m);
	return out;
}

/* The facts of the visit for page 1, in the order they are printed. */
static void build_facts(struct report *r)
{
	const struct site *s = r->site;
	char num[48];
	const char *term = r->meta.terminal ? r->meta.terminal : "";

	add_fact(r, "number", BT("報告書番号", "Report number"), xstrdup(rp_number_str(r, num)));
	add_fact(r, "address", site_key_label("site", "address"), xstrdup(s ? rp_s(s->address) : ""));
	add_fact(r, "work", BT("作業日時", "Work done"), work_span(r));
	add_fact(r, "carrier", site_key_label("uplink", "carrier"), xstrdup(s ? rp_s(s->carrier) : ""));
	add_fact(r, "line_id", site_key_label("uplink", "line_id"), xstrdup(s ? rp_s(s->line_id) : ""));
	if (s && s->line == SITE_LINE_IPVPN)
		add_fact(r, "customer_id", site_key_label("ipvpn", "customer_id"), xstrdup(rp_s(s->customer_id)));
	add_fact(r, "model", BT("機器の型番", "Appliance model"), xstrdup(r->meta.model));
	add_fact(r, "serial", BT("機器の製造番号", "Appliance serial"), xstrdup(r->meta.serial));
	char a[64];
	add_fact(r, "terminal", BT("使用した端末", "Terminal used"),
		 !(s && s->terminal.family) ? xstrdup(term)
		 : xasprintf(*term ? "%s (%s)" : "%.0s%s", term, prefix_str(&s->terminal, a, true)));
	add_fact(r, "certificates", BT("証明書の有効期限", "Certificate expiry"), cert_expiry(r));
	add_fact(r, "note", BT("特記事項・備考", "Remarks"), xstrdup(rp_s(r->meta.note)));
	if (r->overall != PROBE_PASS || r->meta.followup)
		add_fact(r, "followup", BT("対応予定", "Follow-up planned"),
			 xstrdup(rp_s(r->meta.followup)));
}

/* Append a config summary row; value is taken (may be NULL: row skipped). */
static void row(struct report *r, const char *key, struct bitext label, char *value,
		struct bitext shown, bool secret)
{
	if (value == NULL)
		return;
	r->rows = xrealloc(r->rows, (r->n_rows + 1) * sizeof(*r->rows));
	r->rows[r->n_rows++] = (struct rp_row){ key, label, value, shown, secret };
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static char *prefix_or_null(const struct oq_prefix *p)
{
	char buf[64];

	return p->family ? xstrdup(prefix_str(p, buf, true)) : NULL;
}

static char *prefix_list(const struct oq_prefix *v, size_t n)
{
	char *out = NULL, buf[64];
	size_t len = 0;
	FILE *m;

	if (n == 0)
		return NULL;
	m = open_memstream(&out, &len);
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s%s", i ? ", " : "", prefix_str(&v[i], buf, true));
	fclose(m);
	return out;
}

static char *string_list(char *const *v, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	if (n == 0)
		return NULL;
	m = open_memstream(&out, &len);
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s%s", i ? ", " : "", v[i]);
	fclose(m);
	return out;
}

#define NOSHOW BT(NULL, NULL)

/* The uplink half of the config summary. */
static void rows_uplink(struct report *r, const struct site *s)
{
	row(r, "line", site_key_label("uplink", "type"), xstrdup(site_line_name(s->line)),
	    site_choice_label("uplink", "type", site_line_name(s->line)), false);
	row(r, "wan_interface", site_key_label("uplink", "interface"), dup_or_null(s->wan_if),
	    NOSHOW, false);
	row(r, "wan_address", site_key_label("uplink", "address"),
	    s->wan_mode == SITE_ADDR_DHCP ? xstrdup("dhcp") : prefix_or_null(&s->wan_addr),
	    NOSHOW, false);
	row(r, "wan_gateway", site_key_label("uplink", "gateway"),
	    prefix_or_null(&s->wan_gateway), NOSHOW, false);
	row(r, "wan_address6", site_key_label("uplink", "address6"),
	    s->wan6_mode == SITE_ADDR6_RA ? xstrdup("ra") : prefix_or_null(&s->wan6_addr),
	    NOSHOW, false);
	row(r, "wan_mtu", site_key_label("uplink", "mtu"),
	    s->wan_mtu ? xasprintf("%u", s->wan_mtu) : NULL, NOSHOW, false);
	if (s->line == SITE_LINE_IPSEC) {
		row(r, "peer", site_key_label("ipsec", "peer"), dup_or_null(s->peer), NOSHOW,
		    false);
		row(r, "local_id", site_key_label("ipsec", "local_id"), dup_or_null(s->local_id),
		    NOSHOW, false);
		row(r, "remote_id", site_key_label("ipsec", "remote_id"), dup_or_null(s->remote_id),
		    NOSHOW, false);
		const char *auth = s->auth == SITE_AUTH_PSK ? "psk" : "pubkey";
		row(r, "auth", site_key_label("ipsec", "auth"), xstrdup(auth),
		    site_choice_label("ipsec", "auth", auth), false);
		row(r, "certificate", site_key_label("ipsec", "certificate"),
		    dup_or_null(s->certificate), NOSHOW, false);
		row(r, "private_key", site_key_label("ipsec", "private_key"), dup_or_null(s->private_key),
		    NOSHOW, true);
		row(r, "ca", site_key_label("ipsec", "ca"), dup_or_null(s->ca), NOSHOW, false);
		row(r, "psk", site_key_label("ipsec", "psk_file"), dup_or_null(s->psk_file), NOSHOW,
		    true);
		row(r, "ike_proposals", site_key_label("ipsec", "ike_proposals"),
		    dup_or_null(s->ike_proposals), NOSHOW, false);
		row(r, "esp_proposals", site_key_label("ipsec", "esp_proposals"),
		    dup_or_null(s->esp_proposals), NOSHOW, false);
		row(r, "tunnel_mtu", site_key_label("ipsec", "tunnel_mtu"),
		    s->tunnel_mtu ? xasprintf("%u", s->tunnel_mtu) : NULL, NOSHOW, false);
	} else {
		row(r, "ce_router", site_key_label("ipvpn", "ce_router"), prefix_or_null(&s->ce_router),
		    NOSHOW, false);
		row(r, "customer_id", site_key_label("ipvpn", "customer_id"), dup_or_null(s->customer_id),
		    NOSHOW, false);
	}
}

/* The clinic side and the central side of the config summary. */
static void rows_clinic(struct report *r, const struct site *s)
{
	char buf[64];

	row(r, "lan_interface", site_key_label("lan", "interface"), dup_or_null(s->lan_if),
	    NOSHOW, false);
	row(r, "lan_address", site_key_label("lan", "address"), prefix_or_null(&s->lan_addr),
	    NOSHOW, false);
	row(r, "management", site_key_label("lan", "management"),
	    prefix_list(s->management, s->n_management), NOSHOW, false);
	const char *seg = s->segment == SITE_SEGMENT_SEPARATE ? "separate" : "lan";
	row(r, "terminal_segment", site_key_label("terminal", "segment"), xstrdup(seg),
	    site_choice_label("terminal", "segment", seg), false);
	if (s->segment == SITE_SEGMENT_SEPARATE) {
		row(r, "terminal_interface", site_key_label("terminal", "interface"),
		    dup_or_null(s->term_if), NOSHOW, false);
		row(r, "terminal_address", site_key_label("terminal", "address"),
		    prefix_or_null(&s->term_addr), NOSHOW, false);
	}
	row(r, "terminal", site_key_label("terminal", "host"),
	    prefix_or_null(&s->terminal), NOSHOW, false);
	if (s->n_lan_ports) {
		char *out = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&out, &len);
		for (size_t i = 0; i < s->n_lan_ports; i++)
			fprintf(m, "%s%.3s/%u", i ? ", " : "", s->lan_ports[i].proto,
				s->lan_ports[i].port);
		fclose(m);
		row(r, "lan_ports", site_key_label("terminal", "lan_ports"), out,
		    NOSHOW, false);
	}
	row(r, "central", site_key_label("central", "prefixes"),
	    prefix_list(s->central, s->n_central), NOSHOW, false);
	row(r, "dns", site_key_label("central", "dns"), prefix_list(s->dns, s->n_dns), NOSHOW,
	    false);
	row(r, "ntp", site_key_label("central", "ntp"), string_list(s->ntp, s->n_ntp), NOSHOW, false);
	if (s->proxy.host) {
		snprintf(buf, sizeof(buf), ":%u", s->proxy.port);
		row(r, "proxy", site_key_label("central", "proxy"), xasprintf("%s%s", s->proxy.host, buf),
		    NOSHOW, false);
	}
	for (size_t i = 0; i < s->n_tls; i++) {
		const struct site_tls *t = &s->tls[i];
		row(r, "tls_endpoint", site_key_label("probe.tls", "host"),
		    xasprintf("%s: %s:%u", rp_s(t->name), rp_s(t->host), t->port), NOSHOW, false);
		row(r, "tls_client_p12", site_key_label("probe.tls", "client_p12"),
		    dup_or_null(t->client_p12), NOSHOW, false);
		row(r, "tls_password", site_key_label("probe.tls", "password_file"),
		    dup_or_null(t->password_file), NOSHOW, true);
	}
}

struct report *report_new(const struct site *site, const struct probe_run *run,
			  const struct report_meta *meta)
{
	struct report *r = xcalloc(1, sizeof(*r));

	r->site = site;
	r->run = run;
	r->meta = *meta;
	r->lang = meta->lang;
	r->overall = probe_run_overall(run);
	/* a run read from a file may carry a worse verdict (probe_run_from_json) */
	if (run != NULL && (unsigned)run->overall <= PROBE_ERROR && run->overall != PROBE_SKIP)
		r->overall = probe_verdict_worse(r->overall, run->overall);
	for (size_t i = 0; run && i < run->n; i++) {
		enum probe_verdict v = run->results[i].verdict;
		r->counts[(unsigned)v <= PROBE_ERROR ? v : PROBE_ERROR]++;
	}
	r->engineer = meta->engineer ? meta->engineer : site ? rp_s(site->engineer) : "";
	r->witness = meta->witness ? meta->witness : site ? rp_s(site->witness) : "";
	r->task_status = xcalloc(rp_n_tasks, sizeof(*r->task_status));
	r->manual_done = xcalloc(rp_n_tasks, sizeof(*r->manual_done));
	for (size_t i = 0; i < rp_n_tasks; i++) {
		r->manual_done[i] = csv_has(meta->checked, rp_tasks[i].id);
		r->task_status[i] = task_status(r, i);
	}
	if (site) {
		rows_uplink(r, site);
		rows_clinic(r, site);
	}
	if (meta->pcap_path)
		capture_hash(&r->capture, meta->pcap_path);
	r->meta.pcap_path = NULL;
	build_facts(r);
	return r;
}

void report_free(struct report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_rows; i++)
		free(r->rows[i].value);
	free(r->rows);
	for (size_t i = 0; i < r->n_facts; i++)
		free(r->facts[i].value);
	free(r->facts);
	free(r->task_status);
	free(r->manual_done);
	free(r->capture.name);
	free(r->capture.path);
	free(r->capture.error);
	free(r);
}

enum probe_verdict report_overall(const struct report *r)
{
	return r->overall;
}

char *report_file_stem(const struct report *r)
{
	const char *code = r->site ? rp_s(r->site->facility_code) : "";
	char safe[32], t[48];
	size_t n = 0;

	for (const char *c = code; *c && n < sizeof(safe) - 1; c++)
		if (isalnum((unsigned char)*c) || *c == '-' || *c == '_')
			safe[n++] = *c;
	safe[n] = '\0';
	return xasprintf("oqlink-report-%s-%s", n ? safe : "unknown",
			 clock_str(r->meta.time_ms, CLOCK_STAMP, t));
}

int report_write(const struct report *r, const char *dir, char ***paths, char **cause)
{
	/* The JSON first (compare and re-rendering need it), the text next, the
	 * HTML, the largest, last: on a full disk the small ones still fit. */
	static const char *const ext[] = { "json", "txt", "html" };
	char *(*const make[])(const struct report *) = { report_json, report_text, report_html };
	char *stem = report_file_stem(r);
	char **out = xcalloc(ARRAY_SIZE(ext) + 1, sizeof(*out));
	size_t n = 0;
	int ret = mkdir_p(dir, 0755, cause), made = ret;

	for (size_t i = 0; made == 0 && i < ARRAY_SIZE(ext); i++) {
		char *body = make[i](r), *path = xasprintf("%s/%s.%s", dir, stem, ext[i]);
		/* The first failure is the one told; the other forms go on. */
		int err = file_write_atomic(path, body, strlen(body), REPORT_MODE,
					    ret == 0 ? cause : NULL);

		if (err == 0)
			out[n++] = path;
		else
			free(path);
		if (ret == 0)
			ret = err;
		free(body);
	}
	free(stem);
	if (paths)
		*paths = out;
	else
		str_list_free(out);
	return ret;
}

/* Open the counter file at path, creating it (O_EXCL) when missing. */
static int counter_open(const char *path)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int report_number_next(const char *state_dir, const char *facility_code,
		       unsigned long *number, char **cause)
{
	char *dir = xasprintf("%s/report-numbers", state_dir), *path = NULL, buf[32];
	unsigned long n = 0;
	ssize_t got;
	int fd = -1, ret;

	for (const char *c = facility_code; c && *c; c++)
		if (!isdigit((unsigned char)*c))
			facility_code = NULL;
	if (facility_code == NULL || *facility_code == '\0') {
		ret = cause_set(cause, EINVAL, _("医療機関コードがないため報告書番号を付けられません",
						 "no facility code to number the report by"));
		goto out;
	}
	if ((ret = mkdir_p(dir, 0755, cause)) < 0)
		goto out;
	path = xasprintf("%s/%s", dir, facility_code);
	fd = counter_open(path);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		ret = cause_set(cause, errno, _("報告書番号のファイル %s を開けません: %s",
						"cannot open the report number file %s: %s"),
				path, i18n_strerror(errno));
		goto out;
	}
	got = pread(fd, buf, sizeof(buf) - 1, 0);
	if (got < 0) {
		ret = cause_set(cause, errno, _("%s を読めません: %s", "cannot read %s: %s"), path,
				i18n_strerror(errno));
		goto out;
	}
	buf[got] = '\0';
	if (got > 0) {
		char *end;
		errno = 0;
		n = strtoul(buf, &end, 10);
		if (errno || end == buf || (*end && *end != '\n') || n >= 999999) {
			ret = cause_set(cause, EINVAL, _("報告書番号のファイル %s が壊れています",
							 "the report number file %s is damaged"), path);
			goto out;
		}
	}
	n++;
	snprintf(buf, sizeof(buf), "%lu\n", n);
	if (pwrite(fd, buf, strlen(buf), 0) != (ssize_t)strlen(buf) ||
	    ftruncate(fd, (off_t)strlen(buf)) < 0 || fsync(fd) < 0) {
		ret = cause_set(cause, errno ? errno : EIO, _("%s に書けません: %s", "cannot write %s: %s"),
				path, i18n_strerror(errno ? errno : EIO));
		goto out;
	}
	*number = n;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);	/* releases the lock */
	free(path);
	free(dir);
	return ret;
}

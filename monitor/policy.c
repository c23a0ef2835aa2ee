/* The keeper's pure rules: back-off, certificate thresholds, which verdict
 * changes are events, and the RFC 5424 line. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/site.h"
#include "monitor/monitor.h"

int64_t mon_backoff_next(struct mon_backoff *b, uint32_t rnd)
{
	uint64_t d = b->base_ms ? b->base_ms : 1;

	for (unsigned i = 0; i < b->attempt && d < b->cap_ms; i++)
		d *= 2;
	if (b->cap_ms && d > b->cap_ms)
		d = b->cap_ms;
	b->attempt++;
	/* jitter: take off up to a quarter, so that many boxes do not retry together */
	return (int64_t)(d - (d / 4 ? rnd % (d / 4 + 1) : 0));
}

void mon_backoff_reset(struct mon_backoff *b)
{
	b->attempt = 0;
}

int mon_cert_threshold(int days_left)
{
	if (days_left <= 0)
		return 0;
	if (days_left <= 7)
		return days_left;
	if (days_left <= 30)
		return 30;
	if (days_left <= 60)
		return 60;
	if (days_left <= 90)
		return 90;
	return -1;
}

bool mon_verdict_event(const char *prev, const char *now)
{
	if (now == NULL || strcmp(now, "SKIP") == 0)
		return false;
	if (prev == NULL)
		return strcmp(now, "PASS") != 0;
	return strcmp(prev, now) != 0;
}

/* Copy s into a PARAM-VALUE of structured data: '"', '\\' and ']' escaped. */
static void sd_escape(char *out, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s && o + 2 < size; s++) {
		if (*s == '"' || *s == '\\' || *s == ']')
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

size_t mon_syslog_format(char *buf, size_t size, int severity, int64_t t_ms, const char *host,
			 int pid, const char *msgid, const char *probe, const char *verdict,
			 const char *msg)
{
	char ts[96], sd[256], p[96], v[32];
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(t_ms % 1000));
	if (probe) {
		sd_escape(p, sizeof(p), probe);
		sd_escape(v, sizeof(v), verdict ? verdict : "");
		snprintf(sd, sizeof(sd), "[oqlink@32473 probe=\"%s\" verdict=\"%s\"]", p, v);
	} else {
		snprintf(sd, sizeof(sd), "-");
	}
	/* facility 3 (daemon); a BOM marks the message as UTF-8 */
	n = snprintf(buf, size, "<%d>1 %s %s oqlink %d %s %s \xEF\xBB\xBF%s", 3 * 8 + severity, ts,
		     host && *host ? host : "-", pid, msgid && *msgid ? msgid : "-", sd, msg);
	if (n < 0)
		return 0;
	return (size_t)n >= size ? size - 1 : (size_t)n;
}

size_t mon_cert_sources(const struct site *s, struct mon_cert_source *out)
{
	size_t n = 0;

	if (s->line == SITE_LINE_IPSEC && s->auth == SITE_AUTH_PUBKEY && s->certificate)
		out[n++] = (struct mon_cert_source){ "IKE 証明書", "IKE certificate",
						     s->certificate, NULL };
	for (size_t i = 0; i < s->n_tls; i++)
		if (s->tls[i].client_p12)
			out[n++] = (struct mon_cert_source){ "端末のクライアント証明書",
							     "terminal's client certificate",
							     s->tls[i].client_p12,
							     s->tls[i].password_file };
	return n;
}

/* Probe "clock": our own SNTP query (RFC 4330) to the configured NTP
 * server, from the terminal-side address so that it goes where the
 * terminal's would; the offset decides. */
#include "probes/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

#define NTP_EPOCH_OFFSET 2208988800.0	/* 1900-01-01 to 1970-01-01 */
#define NTP_TRIES 3

enum probe_verdict clock_verdict(double offset_s)
{
	double a = fabs(offset_s);

	if (a > CLOCK_FAIL_S)
		return PROBE_FAIL;
	if (a > CLOCK_WARN_S)
		return PROBE_WARN;
	return PROBE_PASS;
}

static void put_ts(uint8_t *p, double t)
{
	double n = t + NTP_EPOCH_OFFSET;
	uint32_t sec = (uint32_t)n, frac = (uint32_t)((n - floor(n)) * 4294967296.0);

	sec = htonl(sec);
	frac = htonl(frac);
	memcpy(p, &sec, 4);
	memcpy(p + 4, &frac, 4);
}

static double get_ts(const uint8_t *p)
{
	uint32_t sec, frac;

	memcpy(&sec, p, 4);
	memcpy(&frac, p + 4, 4);
	if (sec == 0 && frac == 0)
		return 0;
	return (double)ntohl(sec) - NTP_EPOCH_OFFSET + (double)ntohl(frac) / 4294967296.0;
}

void sntp_build(uint8_t pkt[NTP_PACKET], double t1)
{
	memset(pkt, 0, NTP_PACKET);
	pkt[0] = (0 << 6) | (4 << 3) | 3;
	put_ts(pkt + 40, t1);
}

bool sntp_parse(const uint8_t *pkt, size_t len, double t1, struct sntp_reply *out,
		const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	if (len < NTP_PACKET) {
		*why = "short packet";
		return false;
	}
	out->leap = pkt[0] >> 6;
	out->version = (pkt[0] >> 3) & 7;
	out->mode = pkt[0] & 7;
	out->stratum = pkt[1];
	for (int i = 0; i < 4; i++)
		out->refid[i] = pkt[12 + i] >= 0x20 && pkt[12 + i] < 0x7f ? (char)pkt[12 + i] : '.';
	out->t1 = get_ts(pkt + 24);
	out->t2 = get_ts(pkt + 32);
	out->t3 = get_ts(pkt + 40);
	if (out->mode != 4)
		*why = "not a server reply (mode)";
	else if (out->stratum == 0)
		*why = "kiss-of-death";
	else if (out->leap == 3)
		*why = "server not synchronised";
	else if (fabs(out->t1 - t1) > 1e-6)
		*why = "reply to another request";
	else if (out->t3 == 0)
		*why = "no transmit time";
	return *why == NULL;
}

void sntp_offset(const struct sntp_reply *r, double t4, double *offset, double *delay)
{
	*offset = ((r->t2 - r->t1) + (r->t3 - t4)) / 2;
	*delay = (t4 - r->t1) - (r->t3 - r->t2);
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One exchange with server; 0 with reply, or -errno with *cause. */
static int sntp_query(const struct oq_prefix *src, const struct oq_prefix *server, int wait_ms,
		      struct sntp_reply *rep, double *t4, char **cause)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t pkt[NTP_PACKET], in[128];
	int fd = socket(server->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = -ETIMEDOUT;
	const char *why = "no answer";

	if (fd < 0)
		return cause_set(cause, errno, "socket: %s", i18n_strerror(errno));
	if (src->family == server->family) {
		sl = net_sockaddr(src, 0, &ss);
		bind(fd, (struct sockaddr *)&ss, sl);
	}
	sl = net_sockaddr(server, 123, &ss);
	connect(fd, (struct sockaddr *)&ss, sl);
	for (int tries = 0; tries < NTP_TRIES && ret < 0; tries++) {
		double t1 = wall_s();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t end = now_ms() + wait_ms / NTP_TRIES;

		sntp_build(pkt, t1);
		if (send(fd, pkt, sizeof(pkt), 0) < 0) {
			why = i18n_strerror(errno);
			continue;
		}
		while (ret < 0 && now_ms() < end && poll(&p, 1, (int)(end - now_ms())) > 0) {
			ssize_t n = recv(fd, in, sizeof(in), 0);

			*t4 = wall_s();
			if (n < 0) {
				why = i18n_strerror(errno);
				break;
			}
			if (sntp_parse(in, (size_t)n, t1, rep, &why))
				ret = 0;
		}
	}
	close(fd);
	if (ret < 0)
		return cause_set(cause, ETIMEDOUT, "%s", why);
	return 0;
}

/* Ask one configured server; 0 with the reply, else -errno with the
 * evidence written. */
static int ask_server(const struct site *s, const char *name, int wait, struct sntp_reply *rep,
		      double *t4, char addr[64], struct probe_result *r)
{
	struct oq_prefix server, src = net_terminal_source(s);
	char *cause = NULL;
	int ret;

	ret = net_resolve(s, name, wait / 2, &server, &cause);
	if (ret == 0) {
		net_str(&server, addr);
		ret = sntp_query(&src, &server, wait, rep, t4, &cause);
	}
	if (ret < 0) {
		probe_result_evidence(r, "sntp %s: %s", name, cause);
		free(cause);
	}
	return ret;
}

/* The verdict for a measured offset. */
static void judge_offset(struct probe_result *r, double offset, size_t silent)
{
	enum probe_verdict v = clock_verdict(offset);

	if (v == PROBE_FAIL)
		pr_set(r, PROBE_FAIL,
		       BT("時刻を NTP サーバに合わせてください (chrony/systemd-timesyncd の設定)。このずれでは証明書の検証と IKE が失敗します。",
			  "Set the clock from the NTP server (chrony/systemd-timesyncd). With this offset certificate checks and IKE fail."),
		       "時刻が %+.1f 秒ずれています (許容 %.0f 秒)", "the clock is off by %+.1f s (limit %.0f s)",
		       offset, CLOCK_FAIL_S);
	else if (v == PROBE_WARN)
		pr_set(r, PROBE_WARN,
		       BT("時刻同期 (chrony/systemd-timesyncd) がこの NTP サーバを使っているか確認してください。",
			  "Check that time synchronisation (chrony/systemd-timesyncd) uses this NTP server."),
		       "時刻が %+.1f 秒ずれています", "the clock is off by %+.1f s", offset);
	else if (silent > 0)
		pr_set(r, PROBE_WARN,
		       BT("応答しない NTP サーバがあります。その経路とアドレスを確認してください。",
			  "An NTP server does not answer: check its address and the path to it."),
		       "時刻のずれ %+.3f 秒、%zu 台の NTP サーバが応答しません",
		       "clock offset %+.3f s, %zu NTP servers do not answer", offset, silent);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "時刻のずれ %+.3f 秒", "clock offset %+.3f s", offset);
}

PROBE_FN(clock)
{
	const struct site *s = probe_ctx_site(ctx);
	struct sntp_reply rep;
	double t4 = 0, offset = 0, delay;
	char addr[64] = "";
	size_t silent = 0;
	bool measured = false;
	int wait;

	if (s->n_ntp == 0) {
		probe_result_set(r, PROBE_SKIP, BT("NTP サーバが設定されていません", "no NTP server configured"),
				 BT("[central] ntp に NTP サーバを設定してください。",
				    "Set the NTP server in [central] ntp."));
		return;
	}
	/* The first server that answers gives the offset; the others are
	 * asked too, so a silent one shows. */
	for (size_t i = 0; i < s->n_ntp; i++) {
		wait = (probe_ctx_remaining_ms(ctx) - 300) / (int)(s->n_ntp - i);
		if (wait > 1500)
			wait = 1500;
		if (ask_server(s, s->ntp[i], wait, &rep, &t4, addr, r) < 0) {
			silent++;
			continue;
		}
		sntp_offset(&rep, t4, &offset, &delay);
		probe_result_evidence(r, "sntp %s (%s): stratum %d refid %s offset %+.3f s delay %.1f ms",
				      s->ntp[i], addr, rep.stratum, rep.refid, offset, delay * 1000);
		if (measured)
			continue;
		measured = true;
		probe_result_text(r, "server", BT("NTP サーバ", "NTP server"), addr);
		probe_result_value(r, "offset", BT("時刻のずれ", "offset"), offset, "s");
		probe_result_value(r, "delay", BT("往復遅延", "round-trip delay"), delay * 1000, "ms");
		probe_result_value(r, "stratum", BT("階層", "stratum"), rep.stratum, "");
	}
	if (!measured) {
		pr_set(r, PROBE_FAIL,
		       BT("NTP サーバ (UDP 123) への経路とトンネルを確認してください (reach と child プローブ)。",
			  "Check the path and the tunnel to the NTP server, UDP 123 (the reach and child probes)."),
		       "NTP サーバ %s が応答しません", "the NTP server %s does not answer", s->ntp[0]);
		return;
	}
	judge_offset(r, offset, silent);
}

/* Network helpers of the probes: ICMP echo over a raw socket, DNS through
 * c-ares, TCP connect with a deadline. */
#include "probes/net.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <math.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/ipv6.h"
#include "probes/probe.h"

int64_t net_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double net_elapsed_ms(int64_t start_us)
{
	return (double)(net_now_us() - start_us) / 1000.0;
}

const char *net_str(const struct oq_prefix *a, char buf[64])
{
	if (a->family == 0)
		return strcpy(buf, "-");
	return prefix_str(a, buf, true);
}

socklen_t net_sockaddr(const struct oq_prefix *a, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	memcpy(&s4->sin_addr, a->addr, 4);
	return sizeof(*s4);
}

struct oq_prefix net_terminal_source(const struct site *site)
{
	struct oq_prefix p = site->segment == SITE_SEGMENT_SEPARATE && site->term_addr.family
				     ? site->term_addr : site->lan_addr;

	p.len = p.family == AF_INET6 ? 128 : 32;
	return p;
}

/* A global, usable (not tentative, not deprecated) IPv6 address on ifname,
 * one set by hand first (the terminal side's own); false when none. Read
 * over netlink, which works in the sandbox too. */
static bool if_global6(const char *ifname, struct oq_prefix *out)
{
	struct k6_addr a[16];
	size_t n = 0;
	const struct k6_addr *pick = NULL;

	if (ifname == NULL || k6_addrs(ifname, a, ARRAY_SIZE(a), &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (a[i].link_local ||
		    (a[i].flags & (V6_F_TENTATIVE | V6_F_DADFAILED | V6_F_DEPRECATED)))
			continue;
		if (pick == NULL || ((a[i].flags & K6_F_PERMANENT) && !(pick->flags & K6_F_PERMANENT)))
			pick = &a[i];
	}
	if (pick == NULL)
		return false;
	*out = pick->addr;
	out->len = 128;
	return true;
}

struct oq_prefix net_source_for(const struct site *site, int family)
{
	struct oq_prefix p = net_terminal_source(site);
	const char *ifname = site->segment == SITE_SEGMENT_SEPARATE && site->term_if
				     ? site->term_if : site->lan_if;

	if (p.family == family || family == 0)
		return p;
	memset(&p, 0, sizeof(p));
	if (family == AF_INET6)
		if_global6(ifname, &p);
	return p;
}

/* ---- ICMP ---- */

uint16_t inet_cksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

size_t icmp4_build_echo(uint8_t *buf, size_t len, uint16_t id, uint16_t seq)
{
	if (len < 8)
		len = 8;
	memset(buf, 0, len);
	buf[0] = ICMP_ECHO;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)('a' + i % 26);
	uint16_t c = inet_cksum(buf, len);
	memcpy(buf + 2, &c, 2);
	return len;
}

bool icmp4_parse(const uint8_t *pkt, size_t len, struct icmp_parsed *out)
{
	size_t ihl;
	const uint8_t *icmp;

	memset(out, 0, sizeof(*out));
	if (len < 20 || (pkt[0] >> 4) != 4)
		return false;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < 20 || len < ihl + 8 || pkt[9] != IPPROTO_ICMP)
		return false;
	memcpy(&out->from, pkt + 12, 4);
	icmp = pkt + ihl;
	len -= ihl;
	out->type = icmp[0];
	out->code = icmp[1];
	if (icmp[0] == ICMP_ECHOREPLY) {
		out->kind = ICMP_K_REPLY;
		out->id = (uint16_t)(icmp[4] << 8 | icmp[5]);
		out->seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
		return true;
	}
	if (icmp[0] == ICMP_DEST_UNREACH || icmp[0] == ICMP_TIME_EXCEEDED) {
		const uint8_t *in = icmp + 8;
		size_t inlen = len - 8, iihl;

		if (inlen < 20 || (in[0] >> 4) != 4)
			return false;
		iihl = (size_t)(in[0] & 0x0f) * 4;
		if (iihl < 20 || inlen < iihl + 8 || in[9] != IPPROTO_ICMP || in[iihl] != ICMP_ECHO)
			return false;
		out->kind = ICMP_K_ERROR;
		out->id = (uint16_t)(in[iihl + 4] << 8 | in[iihl + 5]);
		out->seq = (uint16_t)(in[iihl + 6] << 8 | in[iihl + 7]);
		if (icmp[0] == ICMP_DEST_UNREACH && icmp[1] == ICMP_FRAG_NEEDED)
			out->next_mtu = (uint16_t)(icmp[6] << 8 | icmp[7]);
		return true;
	}
	out->kind = ICMP_K_OTHER;
	return true;
}

size_t icmp6_build_echo(uint8_t *buf, size_t len, uint16_t id, uint16_t seq)
{
	if (len < 8)
		len = 8;
	memset(buf, 0, len);
	buf[0] = ICMP6_ECHO_REQUEST;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)('a' + i % 26);
	return len;	/* the kernel fills in the checksum of ICMPv6 */
}

bool icmp6_parse(const uint8_t *msg, size_t len, struct icmp_parsed *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	if (len < 8)
		return false;
	out->type = msg[0];
	out->code = msg[1];
	if (msg[0] == ICMP6_ECHO_REPLY) {
		out->kind = ICMP_K_REPLY;
		out->id = (uint16_t)(msg[4] << 8 | msg[5]);
		out->seq = (uint16_t)(msg[6] << 8 | msg[7]);
		return true;
	}
	if (msg[0] == ICMP6_DST_UNREACH || msg[0] == ICMP6_PACKET_TOO_BIG ||
	    msg[0] == ICMP6_TIME_EXCEEDED) {
		const uint8_t *in = msg + 8;	/* the quoted packet: IPv6 header first */
		uint32_t mtu = (uint32_t)msg[4] << 24 | (uint32_t)msg[5] << 16 |
			       (uint32_t)msg[6] << 8 | msg[7];

		/* Only a quote of our echo with no extension header counts. */
		if (len < 8 + 40 + 8 || (in[0] >> 4) != 6 || in[6] != IPPROTO_ICMPV6 ||
		    in[40] != ICMP6_ECHO_REQUEST)
			return false;
		out->kind = ICMP_K_ERROR;
		out->id = (uint16_t)(in[44] << 8 | in[45]);
		out->seq = (uint16_t)(in[46] << 8 | in[47]);
		if (msg[0] == ICMP6_PACKET_TOO_BIG)
			out->next_mtu = mtu > 0xffff ? 0xffff : (uint16_t)mtu;
		return true;
	}
	out->kind = ICMP_K_OTHER;
	return true;
}

void ping_stats_compute(const double *rtt, size_t n, struct ping_stats *st)
{
	double sum = 0, jsum = 0, prev = -1;
	unsigned jn = 0;

	st->sent = (unsigned)n;
	st->received = 0;
	st->min_ms = st->max_ms = st->avg_ms = st->jitter_ms = 0;
	for (size_t i = 0; i < n; i++) {
		if (rtt[i] < 0)
			continue;
		if (st->received == 0 || rtt[i] < st->min_ms)
			st->min_ms = rtt[i];
		if (rtt[i] > st->max_ms)
			st->max_ms = rtt[i];
		sum += rtt[i];
		if (prev >= 0) {
			jsum += fabs(rtt[i] - prev);
			jn++;
		}
		prev = rtt[i];
		st->received++;
	}
	st->loss_pct = n ? 100.0 * (double)(n - st->received) / (double)n : 0;
	if (st->received)
		st->avg_ms = sum / st->received;
	if (jn)
		st->jitter_ms = jsum / jn;
}

/* Open a raw ICMP socket bound to src (may be NULL), DF as asked. */
int icmp4_open(const struct oq_prefix *src, bool df, char **cause)
{
	struct sockaddr_storage ss;
	int fd, pmtu = df ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DONT, e;
	char b[64];

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return cause_set(cause, errno, _("ICMP ソケットを開けません: %s (root が必要です)",
						 "cannot open an ICMP socket: %s (needs root)"),
				 i18n_strerror(errno));
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	if (src != NULL && src->family == AF_INET) {
		socklen_t sl = net_sockaddr(src, 0, &ss);

		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			e = errno;
			close(fd);
			return cause_set(cause, e, _("送信元 %s を使えません: %s",
						     "cannot use source %s: %s"),
					 net_str(src, b), i18n_strerror(e));
		}
	}
	return fd;
}

/* Open a raw ICMPv6 socket bound to src (may be NULL) that sees echo
 * replies and errors only; with df, packets are never fragmented here and
 * larger ones than the interface takes fail with EMSGSIZE. */
static int icmp6_open(const struct oq_prefix *src, bool df, char **cause)
{
	struct icmp6_filter f;
	struct sockaddr_storage ss;
	int fd, pmtu = df ? IPV6_PMTUDISC_PROBE : IPV6_PMTUDISC_DONT, one = 1, e;
	char b[64];

	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return cause_set(cause, errno, _("ICMPv6 ソケットを開けません: %s (root が必要です)",
						 "cannot open an ICMPv6 socket: %s (needs root)"),
				 i18n_strerror(errno));
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
	ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
	ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
	setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	if (df)
		setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one));
	if (src != NULL && src->family == AF_INET6) {
		socklen_t sl = net_sockaddr(src, 0, &ss);

		if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
			e = errno;
			close(fd);
			return cause_set(cause, e, _("送信元 %s を使えません: %s",
						     "cannot use source %s: %s"),
					 net_str(src, b), i18n_strerror(e));
		}
	}
	return fd;
}

int icmp_open(int family, const struct oq_prefix *src, bool df, char **cause)
{
	return family == AF_INET6 ? icmp6_open(src, df, cause) : icmp4_open(src, df, cause);
}

void icmp_drain(int fd, int family, uint16_t id,
		void (*fn)(void *arg, const struct icmp_parsed *ip), void *arg)
{
	uint8_t buf[2048];
	struct icmp_parsed ip;
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	if (family != AF_INET6) {
		icmp4_drain(fd, id, fn, arg);
		return;
	}
	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) > 0) {
		fl = sizeof(from);
		if (!icmp6_parse(buf, (size_t)n, &ip) || ip.id != id || ip.kind == ICMP_K_OTHER)
			continue;
		memcpy(ip.from6, &from.sin6_addr, 16);
		fn(arg, &ip);
	}
}

/* Read every pending ICMP packet; fn gets each one of ours. */
void icmp4_drain(int fd, uint16_t id, void (*fn)(void *arg, const struct icmp_parsed *ip),
		 void *arg)
{
	uint8_t buf[2048];
	struct icmp_parsed ip;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		if (icmp4_parse(buf, (size_t)n, &ip) && ip.id == id && ip.kind != ICMP_K_OTHER) {
			ip.family = AF_INET;
			fn(arg, &ip);
		}
}

struct ping_state {
	size_t ndst;
	unsigned count;
	int64_t *sent_us;	/* [seq] */
	double *rtt;		/* [t * count + i] */
	struct ping_stats *st;	/* [t] */
};

static void ping_got(void *arg, const struct icmp_parsed *ip)
{
	struct ping_state *ps = arg;
	size_t t = ip->seq % ps->ndst, i = ip->seq / ps->ndst;

	if (i >= ps->count)
		return;
	if (ip->kind == ICMP_K_REPLY && ps->rtt[t * ps->count + i] < 0 && ps->sent_us[ip->seq] > 0) {
		ps->rtt[t * ps->count + i] = (double)(net_now_us() - ps->sent_us[ip->seq]) / 1000.0;
	} else if (ip->kind == ICMP_K_ERROR) {
		struct ping_stats *st = &ps->st[t];
		char from[INET6_ADDRSTRLEN];

		if (ip->family == AF_INET6)
			inet_ntop(AF_INET6, ip->from6, from, sizeof(from));
		else
			inet_ntop(AF_INET, &ip->from, from, sizeof(from));
		if (st->errors++ == 0)
			snprintf(st->error, sizeof(st->error), "%s type %u code %u from %s%s",
				 ip->family == AF_INET6 ? "ICMPv6" : "ICMP", ip->type, ip->code, from,
				 !ip->next_mtu ? "" : ip->family == AF_INET6 ? " (packet too big)"
				 : " (frag needed)");
	}
}

/* Are all echoes sent so far answered (or not sent)? */
static bool ping_all_back(const struct ping_state *ps, size_t upto)
{
	for (size_t seq = 0; seq < upto; seq++) {
		size_t t = seq % ps->ndst, i = seq / ps->ndst;

		if (ps->sent_us[seq] > 0 && ps->rtt[t * ps->count + i] < 0)
			return false;
	}
	return true;
}

int ping_many(int family, const struct oq_prefix *src, const struct oq_prefix *dsts, size_t ndst,
	      unsigned count, unsigned interval_ms, unsigned size, bool df, int wait_ms,
	      double *rtt, struct ping_stats *st, char **cause)
{
	struct sockaddr_storage *ss = xcalloc(ndst ? ndst : 1, sizeof(*ss));
	socklen_t *sl = xcalloc(ndst ? ndst : 1, sizeof(*sl));
	uint16_t id = (uint16_t)(getpid() ^ (net_now_us() & 0xffff));
	struct ping_state ps = { ndst, count, NULL, rtt, st };
	uint8_t *pkt;
	int fd;

	for (size_t t = 0; t < ndst; t++) {
		if (dsts[t].family != family)
			continue;
		memset(&st[t], 0, sizeof(st[t]));
		for (size_t k = 0; k < count; k++)
			rtt[t * count + k] = -1;
	}
	fd = icmp_open(family, src, df, cause);
	if (fd < 0) {
		free(ss);
		free(sl);
		return fd;
	}
	for (size_t t = 0; t < ndst; t++)
		sl[t] = net_sockaddr(&dsts[t], 0, &ss[t]);
	ps.sent_us = xcalloc(ndst * count + 1, sizeof(*ps.sent_us));
	pkt = xmalloc(size < 8 ? 8 : size);
	for (unsigned i = 0; i < count; i++) {
		int64_t next = net_now_us() / 1000 + (i + 1 < count ? (int64_t)interval_ms : wait_ms);

		for (size_t t = 0; t < ndst; t++) {
			uint16_t seq = (uint16_t)(i * ndst + t);
			size_t len = family == AF_INET6 ? icmp6_build_echo(pkt, size, id, seq)
							 : icmp4_build_echo(pkt, size, id, seq);

			if (dsts[t].family != family)
				continue;
			ps.sent_us[seq] = net_now_us();
			if (sendto(fd, pkt, len, 0, (struct sockaddr *)&ss[t], sl[t]) < 0) {
				ps.sent_us[seq] = 0;
				if (st[t].errors++ == 0)
					snprintf(st[t].error, sizeof(st[t].error), "send: %s",
						 i18n_strerror(errno));
			}
		}
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int64_t left = next - net_now_us() / 1000;

			icmp_drain(fd, family, id, ping_got, &ps);
			if (left <= 0 || (i + 1 == count && ping_all_back(&ps, (i + 1) * ndst)))
				break;
			poll(&p, 1, (int)left);
		}
	}
	for (size_t t = 0; t < ndst; t++) {
		unsigned e = st[t].errors;
		char err[sizeof(st[t].error)];

		if (dsts[t].family != family)
			continue;
		memcpy(err, st[t].error, sizeof(err));
		ping_stats_compute(rtt + t * count, count, &st[t]);
		st[t].errors = e;
		memcpy(st[t].error, err, sizeof(err));
	}
	free(ps.sent_us);
	free(pkt);
	free(ss);
	free(sl);
	close(fd);
	return 0;
}

int ping4_many(const struct oq_prefix *src, const struct oq_prefix *dsts, size_t ndst,
	       unsigned count, unsigned interval_ms, unsigned size, bool df, int wait_ms,
	       double *rtt, struct ping_stats *st, char **cause)
{
	return ping_many(AF_INET, src, dsts, ndst, count, interval_ms, size, df, wait_ms, rtt, st,
			 cause);
}

int ping4(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned count,
	  unsigned interval_ms, unsigned size, bool df, int wait_ms, double *rtt,
	  struct ping_stats *st, char **cause)
{
	return ping_many(dst->family ? dst->family : AF_INET, src, dst, 1, count, interval_ms, size,
			 df, wait_ms, rtt, st, cause);
}

/* ---- DNS ---- */

static const struct {
	int status;
	const char *rcode;
} rcodes[] = {
	{ ARES_SUCCESS, "NOERROR" },	   { ARES_ENODATA, "NODATA" },
	{ ARES_ENOTFOUND, "NXDOMAIN" },	   { ARES_ESERVFAIL, "SERVFAIL" },
	{ ARES_EREFUSED, "REFUSED" },	   { ARES_EFORMERR, "FORMERR" },
	{ ARES_ENOTIMP, "NOTIMP" },	   { ARES_ETIMEOUT, "TIMEOUT" },
	{ ARES_ECONNREFUSED, "CONNREFUSED" }, { ARES_EBADRESP, "BADRESP" },
};

const char *dns_status_rcode(int status)
{
	for (size_t i = 0; i < ARRAY_SIZE(rcodes); i++)
		if (rcodes[i].status == status)
			return rcodes[i].rcode;
	return "ERROR";
}

struct dns_cb {
	bool done;
	int type;
	int64_t t0;
	struct dns_answer *out;
};

/* Append one address to an answer's list (the first also as first). */
static void dns_add(struct dns_answer *out, int family, const void *addr)
{
	char a[INET6_ADDRSTRLEN];
	size_t l = strlen(out->addrs);

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(out->addrs + l, sizeof(out->addrs) - l, "%s%s", l ? " " : "", a);
	if (out->first.family == 0) {
		out->first.family = family;
		out->first.len = family == AF_INET ? 32 : 128;
		memcpy(out->first.addr, addr, family == AF_INET ? 4 : 16);
	}
}

/* The addresses of an A or AAAA answer; a c-ares status. */
static int dns_parse_addrs(int type, const unsigned char *abuf, int alen, struct dns_answer *out)
{
	int n, st;

	if (type == DNS_T_AAAA) {
		struct ares_addr6ttl t6[8];

		n = (int)ARRAY_SIZE(t6);
		st = ares_parse_aaaa_reply(abuf, alen, NULL, t6, &n);
		for (int i = 0; st == ARES_SUCCESS && i < n; i++)
			dns_add(out, AF_INET6, &t6[i].ip6addr);
	} else {
		struct ares_addrttl t4[8];

		n = (int)ARRAY_SIZE(t4);
		st = ares_parse_a_reply(abuf, alen, NULL, t4, &n);
		for (int i = 0; st == ARES_SUCCESS && i < n; i++)
			dns_add(out, AF_INET, &t4[i].ipaddr);
	}
	return st == ARES_SUCCESS && n == 0 ? ARES_ENODATA : st;
}

static void dns_callback(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_cb *cb = arg;

	(void)timeouts;
	if (cb->done)
		return;
	cb->done = true;
	cb->out->ms = net_elapsed_ms(cb->t0);
	if (abuf != NULL && alen >= 12) {
		cb->out->size = (size_t)alen;
		cb->out->truncated = (abuf[2] & 0x02) != 0;
	}
	if (status == ARES_SUCCESS)
		status = dns_parse_addrs(cb->type, abuf, alen, cb->out);
	cb->out->status = status;
}

/* A channel for one job: its server, source and transport. */
static int dns_channel(const struct dns_job *job, int timeout_ms, ares_channel *ch, char **cause)
{
	static bool inited;
	struct ares_options o = { 0 };
	int st, mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;

	if (!inited) {
		ares_library_init(ARES_LIB_INIT_ALL);
		inited = true;
	}
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
	if (job->via == DNS_VIA_UDP || job->via == DNS_VIA_EDNS)
		o.flags |= ARES_FLAG_IGNTC;	/* a truncated answer is the result */
	if (job->via == DNS_VIA_EDNS) {
		o.flags |= ARES_FLAG_EDNS;
		o.ednspsz = DNS_EDNS_SIZE;
		mask |= ARES_OPT_EDNSPSZ;
	}
	if (job->via == DNS_VIA_TCP)
		o.flags |= ARES_FLAG_USEVC;
	o.timeout = timeout_ms / 2 > 0 ? timeout_ms / 2 : 1;
	o.tries = 2;
	st = ares_init_options(ch, &o, mask);
	if (st != ARES_SUCCESS)
		return cause_set(cause, ENOMEM, "c-ares: %s", ares_strerror(st));
	if (ares_set_servers_csv(*ch, job->server) != ARES_SUCCESS) {
		ares_destroy(*ch);
		return cause_set(cause, EINVAL, _("DNS サーバ '%s' が不正です", "bad DNS server '%s'"),
				 job->server);
	}
	if (job->src != NULL && job->src->family == AF_INET) {
		uint32_t a;

		memcpy(&a, job->src->addr, 4);
		ares_set_local_ip4(*ch, ntohl(a));
	} else if (job->src != NULL && job->src->family == AF_INET6) {
		ares_set_local_ip6(*ch, job->src->addr);
	}
	return 0;
}

int dns_run(const struct dns_job *jobs, size_t n_jobs, int timeout_ms, char **cause)
{
	ares_channel *ch = xcalloc(n_jobs ? n_jobs : 1, sizeof(*ch));
	size_t total = 0, pending, k, made = 0;
	struct dns_cb **cb = xcalloc(n_jobs ? n_jobs : 1, sizeof(*cb));
	int64_t t0 = net_now_us(), deadline = t0 / 1000 + timeout_ms;
	int ret = 0;

	for (k = 0; k < n_jobs; k++) {
		memset(jobs[k].out, 0, jobs[k].n * sizeof(*jobs[k].out));
		for (size_t i = 0; i < jobs[k].n; i++) {
			jobs[k].out[i].status = ARES_ETIMEOUT;
			jobs[k].out[i].rcode = dns_status_rcode(ARES_ETIMEOUT);
			jobs[k].out[i].type = jobs[k].q[i].type;
			jobs[k].out[i].via = jobs[k].via;
		}
	}
	for (k = 0; k < n_jobs; k++, made++) {
		ret = dns_channel(&jobs[k], timeout_ms, &ch[k], cause);
		if (ret < 0)
			goto out;
		cb[k] = xcalloc(jobs[k].n ? jobs[k].n : 1, sizeof(**cb));
		for (size_t i = 0; i < jobs[k].n; i++) {
			cb[k][i] = (struct dns_cb){ .t0 = t0, .type = jobs[k].q[i].type,
						    .out = &jobs[k].out[i] };
			ares_query(ch[k], jobs[k].q[i].name, 1 /* C_IN */, jobs[k].q[i].type,
				   dns_callback, &cb[k][i]);
		}
		total += jobs[k].n;
	}
	pending = total;
	while (pending > 0) {
		fd_set r, w;
		struct timeval tv, *tvp, max;
		int64_t left = deadline - net_now_us() / 1000;
		int nfds = 0;

		if (left <= 0)
			break;
		FD_ZERO(&r);
		FD_ZERO(&w);
		max.tv_sec = left / 1000;
		max.tv_usec = (left % 1000) * 1000;
		for (k = 0; k < n_jobs; k++) {
			int f = ares_fds(ch[k], &r, &w);

			if (f > nfds)
				nfds = f;
			tvp = ares_timeout(ch[k], &max, &tv);
			max = *tvp;
		}
		select(nfds, &r, &w, NULL, &max);
		pending = 0;
		for (k = 0; k < n_jobs; k++) {
			ares_process(ch[k], &r, &w);
			for (size_t i = 0; i < jobs[k].n; i++)
				pending += !cb[k][i].done;
		}
	}
out:
	for (k = 0; k < made; k++) {
		for (size_t i = 0; i < jobs[k].n; i++) {
			if (!cb[k][i].done)
				jobs[k].out[i].ms = net_elapsed_ms(t0);
			cb[k][i].done = true;	/* ignore the destruction callbacks */
		}
		ares_destroy(ch[k]);
		for (size_t i = 0; i < jobs[k].n; i++)
			jobs[k].out[i].rcode = dns_status_rcode(jobs[k].out[i].status);
		free(cb[k]);
	}
	free(cb);
	free(ch);
	return ret;
}

int dns_query_many(const char *server, const struct oq_prefix *src, const char *const *names,
		   size_t n, int timeout_ms, struct dns_answer *out, char **cause)
{
	struct dns_question *q = xcalloc(n ? n : 1, sizeof(*q));
	struct dns_job job = { server, src, DNS_VIA_AUTO, q, n, out };
	int ret;

	for (size_t i = 0; i < n; i++)
		q[i] = (struct dns_question){ names[i], DNS_T_A };
	ret = dns_run(&job, 1, timeout_ms, cause);
	free(q);
	return ret;
}

bool dns_complete(const struct dns_answer *a)
{
	return a != NULL && a->size > 0 && !a->truncated;
}

enum dns_need dns_classify(const struct dns_answer *edns, const struct dns_answer *tcp,
			   const struct dns_answer *udp)
{
	if (dns_complete(edns))
		return edns->size > DNS_PLAIN_SIZE ? DNS_NEED_EDNS : DNS_NEED_UDP;
	if (dns_complete(tcp))
		return DNS_NEED_TCP;
	if ((edns != NULL && edns->truncated) || (udp != NULL && udp->truncated))
		return DNS_NEED_LOST;
	return DNS_NEED_NONE;
}

int dns_query(const char *server, const struct oq_prefix *src, const char *name, int timeout_ms,
	      struct dns_answer *out, char **cause)
{
	return dns_query_many(server, src, &name, 1, timeout_ms, out, cause);
}

int net_resolve(const struct site *site, const char *host, int timeout_ms, struct oq_prefix *out,
		char **cause)
{
	const struct dns_question q[2] = { { host, DNS_T_A }, { host, DNS_T_AAAA } };
	struct dns_answer a[2];
	char server[64];

	if (addr_parse(host, out))
		return 0;
	for (size_t i = 0; i < site->n_dns; i++) {
		struct oq_prefix src = net_source_for(site, site->dns[i].family);
		struct dns_job job = { server, &src, DNS_VIA_AUTO, q, 2, a };

		net_str(&site->dns[i], server);
		if (dns_run(&job, 1, timeout_ms, NULL) < 0)
			continue;
		/* IPv4 first, as before; a name with AAAA only is reached over IPv6. */
		for (size_t k = 0; k < 2; k++)
			if (a[k].first.family) {
				*out = a[k].first;
				return 0;
			}
	}
	return cause_set(cause, ENOENT, _("%s の名前解決に失敗しました", "could not resolve %s"),
			 host);
}

/* ---- TCP ---- */

int tcp_connect(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned port,
		int timeout_ms, int *fd, double *ms, char **cause)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int s, err = 0, fl;
	int64_t t0;
	char b[64];
	struct pollfd p;

	*fd = -1;
	*ms = 0;
	s = socket(dst->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return cause_set(cause, errno, "socket: %s", i18n_strerror(errno));
	if (src != NULL && src->family == dst->family) {
		sl = net_sockaddr(src, 0, &ss);
		if (bind(s, (struct sockaddr *)&ss, sl) < 0) {
			err = errno;
			close(s);
			return cause_set(cause, err, _("送信元 %s を使えません: %s",
						       "cannot use source %s: %s"),
					 net_str(src, b), i18n_strerror(err));
		}
	}
	sl = net_sockaddr(dst, port, &ss);
	t0 = net_now_us();
	if (connect(s, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		err = errno;
	} else {
		p = (struct pollfd){ .fd = s, .events = POLLOUT };
		if (poll(&p, 1, timeout_ms) <= 0) {
			err = ETIMEDOUT;
		} else {
			socklen_t el = sizeof(err);

			getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
		}
	}
	*ms = net_elapsed_ms(t0);
	if (err) {
		close(s);
		return cause_set(cause, err, _("%s:%u に接続できません: %s", "cannot connect to %s:%u: %s"),
				 net_str(dst, b), port, i18n_strerror(err));
	}
	fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
	*fd = s;
	return 0;
}

int net_connect(const struct site *site, const struct oq_prefix *dst, unsigned port,
		int timeout_ms, int *fd, double *ms, char **cause)
{
	struct oq_prefix src = net_source_for(site, dst->family);

	return tcp_connect(src.family ? &src : NULL, dst, port, timeout_ms, fd, ms, cause);
}

/* ---- result helpers ---- */

void pr_set(struct probe_result *r, int verdict, struct bitext remedy, const char *ja,
	    const char *en, ...)
{
	va_list ap, ap2;
	char *sja, *sen;

	va_start(ap, en);
	va_copy(ap2, ap);
	if (vasprintf(&sja, ja, ap) < 0)
		sja = NULL;
	if (vasprintf(&sen, en, ap2) < 0)
		sen = NULL;
	va_end(ap2);
	va_end(ap);
	probe_result_set(r, (enum probe_verdict)verdict, BT(sja, sen), remedy);
	free(sja);
	free(sen);
}

/* ---- ARP ---- */

const char *mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

bool arp_parse_reply(const uint8_t *pkt, size_t len, uint32_t target, const uint8_t own[6],
		     uint8_t mac[6])
{
	/* htype 1, ptype 0x0800, hlen 6, plen 4, op 2: sha[6] spa[4] tha[6] tpa[4] */
	if (len < 28 || pkt[0] != 0 || pkt[1] != 1 || pkt[2] != 0x08 || pkt[3] != 0 ||
	    pkt[4] != 6 || pkt[5] != 4 || pkt[6] != 0 || pkt[7] != 2)
		return false;
	if (memcmp(pkt + 14, &target, 4) != 0 || memcmp(pkt + 8, own, 6) == 0)
		return false;
	memcpy(mac, pkt + 8, 6);
	return true;
}

int arp_probe(const char *ifname, uint32_t sender, uint32_t target, int timeout_ms,
	      uint8_t (*macs)[6], int max, char **cause)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_ll sll = { 0 };
	uint8_t own[6], req[28], buf[256];
	int fd, n = 0, ifindex;
	int64_t deadline = net_now_us() / 1000 + timeout_ms;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return cause_set(cause, errno, "ARP: %s", i18n_strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		int e = errno;

		close(fd);
		return cause_set(cause, e, "%s: %s", ifname, i18n_strerror(e));
	}
	ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		int e = errno;

		close(fd);
		return cause_set(cause, e, "%s: %s", ifname, i18n_strerror(e));
	}
	memcpy(own, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = errno;

		close(fd);
		return cause_set(cause, e, "ARP bind %s: %s", ifname, i18n_strerror(e));
	}
	memcpy(req, (const uint8_t[]){ 0, 1, 8, 0, 6, 4, 0, 1 }, 8);
	memcpy(req + 8, own, 6);
	memcpy(req + 14, &sender, 4);
	memset(req + 18, 0, 6);
	memcpy(req + 24, &target, 4);
	for (int tries = 0; tries < 2; tries++)
		sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&sll, sizeof(sll));
	for (;;) {
		int64_t left = deadline - net_now_us() / 1000;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint8_t mac[6];
		ssize_t len;
		bool dup = false;

		if (left <= 0 || n >= max || poll(&p, 1, (int)left) <= 0)
			break;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0 || !arp_parse_reply(buf, (size_t)len, target, own, mac))
			continue;
		for (int k = 0; k < n; k++)
			dup = dup || memcmp(macs[k], mac, 6) == 0;
		if (!dup)
			memcpy(macs[n++], mac, 6);
		if (sender != 0)
			break;	/* a neighbour lookup needs one answer */
	}
	close(fd);
	return n;
}

/* ---- HTTP ---- */

bool http_status_parse(const char *buf, int *code)
{
	int c = 0;

	if (strncmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return false;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return false;
		c = c * 10 + (buf[i] - '0');
	}
	if (buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n' && buf[12] != '\0')
		return false;
	*code = c;
	return c >= 100;
}

bool http_url_parse(const char *url, char **host, unsigned *port, char **path)
{
	const char *h, *slash, *colon;
	size_t hl;

	*host = *path = NULL;
	*port = 80;
	if (strncmp(url, "http://", 7) != 0)
		return false;
	h = url + 7;
	slash = strchr(h, '/');
	hl = slash ? (size_t)(slash - h) : strlen(h);
	if (*h == '[') {	/* "[2001:db8::1]:8080": the address without brackets */
		const char *close = memchr(h, ']', hl);

		if (close == NULL || close == h + 1 || (close[1] != ':' && close + 1 != h + hl))
			return false;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (colon != NULL) {
			char *end;
			unsigned long p = strtoul(colon + 1, &end, 10);

			if (end != h + hl || p == 0 || p > 65535)
				return false;
			*port = (unsigned)p;
		}
		*host = xstrndup(h + 1, (size_t)(close - h - 1));
		*path = xstrdup(slash ? slash : "/");
		return true;
	}
	colon = memchr(h, ':', hl);
	if (colon != NULL) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (end != h + hl || p == 0 || p > 65535)
			return false;
		*port = (unsigned)p;
		hl = (size_t)(colon - h);
	}
	if (hl == 0)
		return false;
	*host = xstrndup(h, hl);
	*path = xstrdup(slash ? slash : "/");
	return true;
}

int http_exchange(int fd, const char *req, int timeout_ms, size_t max, char **reply, size_t *len)
{
	size_t off = 0, rl = strlen(req);
	int64_t end = now_ms() + timeout_ms;
	char *buf = xmalloc(max + 1);

	*reply = NULL;
	*len = 0;
	while (off < rl) {
		ssize_t w = send(fd, req + off, rl - off, MSG_NOSIGNAL);

		if (w <= 0) {
			free(buf);
			return -errno;
		}
		off += (size_t)w;
	}
	off = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - now_ms();
		ssize_t n;

		if (left <= 0 || off >= max || poll(&p, 1, (int)left) <= 0)
			break;
		n = recv(fd, buf + off, max - off, 0);
		if (n <= 0)
			break;
		off += (size_t)n;
		buf[off] = '\0';
		/* A CONNECT answer ends with its headers. */
		if (str_has_prefix(req, "CONNECT ") && strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[off] = '\0';
	*reply = buf;
	*len = off;
	return off > 0 ? 0 : -ETIMEDOUT;
}

bool net_addr_present(const char *ifname, const struct oq_prefix *a)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, ifname) != 0 ||
		    i->ifa_addr->sa_family != a->family)
			continue;
		if (a->family == AF_INET)
			found = memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, a->addr, 4) == 0;
		else
			found = memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a->addr, 16) == 0;
	}
	freeifaddrs(ifa);
	return found;
}

/* Network helpers below the modules that send packets: addresses, the
 * Internet checksum, and ICMPv4 and ICMPv6 echo series over a raw or a ping
 * socket. */
#include "core/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"

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

/* An echo request of type (ICMP or ICMPv6, the same layout) with its
 * checksum left 0, at least 8 bytes; returns its length. */
static size_t build_echo(uint8_t *buf, size_t len, uint8_t type, uint16_t id, uint16_t seq)
{
	if (len < 8)
		len = 8;
	memset(buf, 0, len);
	buf[0] = type;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)('a' + i % 26);
	return len;
}

size_t icmp4_build_echo(uint8_t *buf, size_t len, uint16_t id, uint16_t seq)
{
	uint16_t c;

	len = build_echo(buf, len, ICMP_ECHO, id, seq);
	c = inet_cksum(buf, len);
	memcpy(buf + 2, &c, 2);
	return len;
}

bool icmp4_parse(const uint8_t *pkt, size_t len, struct icmp_parsed *out)
{
	size_t ihl;
	const uint8_t *icmp;

	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
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
	/* the kernel fills in the checksum of ICMPv6 */
	return build_echo(buf, len, ICMP6_ECHO_REQUEST, id, seq);
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

int net_bind_source(int fd, const struct oq_prefix *src, int family, char **cause)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char b[64];
	int e;

	if (src == NULL || src->family != family)
		return fd;
	sl = net_sockaddr(src, 0, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		e = errno;
		close(fd);
		return cause_set(cause, e, _("送信元 %s を使えません: %s",
					     "cannot use source %s: %s"),
				 net_str(src, b), i18n_strerror(e));
	}
	return fd;
}

/* Open an ICMP socket bound to src (may be NULL), DF as asked: a raw one,
 * or when any_user and that is not allowed, a ping socket (*raw false). */
static int echo_open(const struct oq_prefix *src, bool df, bool any_user, bool *raw,
		     char **cause)
{
	int fd, pmtu = df ? IP_PMTUDISC_PROBE : IP_PMTUDISC_DONT;

	*raw = true;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0 && any_user && (errno == EPERM || errno == EACCES)) {
		*raw = false;
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	}
	if (fd < 0)
		return cause_set(cause, errno, _("ICMP ソケットを開けません: %s (root が必要です)",
						 "cannot open an ICMP socket: %s (needs root)"),
				 i18n_strerror(errno));
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	return net_bind_source(fd, src, AF_INET, cause);
}

int icmp4_open(const struct oq_prefix *src, bool df, char **cause)
{
	bool raw;

	return echo_open(src, df, false, &raw, cause);
}

/* An echo reply as a ping socket gives it: the ICMP message alone, whose
 * id the kernel has matched already; pure. */
static bool icmp4_parse_ping(const uint8_t *pkt, size_t len, struct icmp_parsed *out)
{
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	if (len < 8)
		return false;
	out->type = pkt[0];
	out->code = pkt[1];
	out->kind = pkt[0] == ICMP_ECHOREPLY ? ICMP_K_REPLY : ICMP_K_OTHER;
	out->seq = (uint16_t)(pkt[6] << 8 | pkt[7]);
	return true;
}

/* Read every pending ICMP packet; fn gets each one of ours. */
static void echo_drain(int fd, bool raw, uint16_t id,
		       void (*fn)(void *arg, const struct icmp_parsed *ip), void *arg)
{
	uint8_t buf[2048];
	struct icmp_parsed ip;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (!raw) {
			if (icmp4_parse_ping(buf, (size_t)n, &ip) && ip.kind == ICMP_K_REPLY)
				fn(arg, &ip);
		} else if (icmp4_parse(buf, (size_t)n, &ip) && ip.id == id && ip.kind != ICMP_K_OTHER) {
			fn(arg, &ip);
		}
	}
}

void icmp4_drain(int fd, uint16_t id, void (*fn)(void *arg, const struct icmp_parsed *ip),
		 void *arg)
{
	echo_drain(fd, true, id, fn, arg);
}

/* Open a raw ICMPv6 socket bound to src (may be NULL) that sees echo
 * replies and errors only; with df, packets are never fragmented here and
 * larger ones than the interface takes fail with EMSGSIZE. */
static int icmp6_open(const struct oq_prefix *src, bool df, char **cause)
{
	struct icmp6_filter f;
	int fd, pmtu = df ? IPV6_PMTUDISC_PROBE : IPV6_PMTUDISC_DONT, one = 1;

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
	return net_bind_source(fd, src, AF_INET6, cause);
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
		echo_drain(fd, true, id, fn, arg);
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

/* The socket slot of an address family in a series: 0 IPv4, 1 IPv6, -1
 * neither; pure. */
static int echo_slot(int family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

/* Open the sockets of a series into fd[2] (by echo_slot): the one of
 * family, or with AF_UNSPEC one per family that has a target. */
static int echo_open_series(int family, const struct oq_prefix *src4,
			    const struct oq_prefix *src6, const struct oq_prefix *dsts,
			    size_t ndst, bool df, bool any_user, int fd[2], bool *raw,
			    char **cause)
{
	fd[0] = fd[1] = -1;
	*raw = true;
	for (int k = 0; k < 2; k++) {
		int f = k == 0 ? AF_INET : AF_INET6;
		bool want = family == f;

		for (size_t t = 0; family == AF_UNSPEC && t < ndst && !want; t++)
			want = dsts[t].family == f;
		if (!want)
			continue;
		fd[k] = f == AF_INET6 ? icmp6_open(src6, df, cause)
				      : echo_open(src4, df, any_user, raw, cause);
		if (fd[k] < 0) {
			int e = fd[k];

			if (k == 1 && fd[0] >= 0)
				close(fd[0]);
			fd[0] = fd[1] = -1;
			return e;
		}
	}
	return 0;
}

/* The echo series of ping4 and ping_dual: to the targets of family (AF_UNSPEC:
 * both, a socket per family in one loop, IPv4 from src4 and IPv6 from
 * src6), through a ping socket when any_user and not root (IPv4). */
static int echo_series(int family, const struct oq_prefix *src4, const struct oq_prefix *src6,
		       const struct oq_prefix *dsts, size_t ndst, unsigned count,
		       unsigned interval_ms, unsigned size, bool df, int wait_ms, bool any_user,
		       double *rtt, struct ping_stats *st, char **cause)
{
	struct sockaddr_storage *ss = xcalloc(ndst ? ndst : 1, sizeof(*ss));
	socklen_t *sl = xcalloc(ndst ? ndst : 1, sizeof(*sl));
	uint16_t id = (uint16_t)(getpid() ^ (net_now_us() & 0xffff));
	struct ping_state ps = { ndst, count, NULL, rtt, st };
	struct pollfd p[2];
	uint8_t *pkt;
	bool raw;
	int fd[2], ret;

	ret = echo_open_series(family, src4, src6, dsts, ndst, df, any_user, fd, &raw, cause);
	if (ret < 0) {
		free(ss);
		free(sl);
		return ret;
	}
	for (size_t t = 0; t < ndst; t++) {
		int k = echo_slot(dsts[t].family);

		if (k < 0 || fd[k] < 0)
			continue;
		memset(&st[t], 0, sizeof(st[t]));
		for (size_t i = 0; i < count; i++)
			rtt[t * count + i] = -1;
		sl[t] = net_sockaddr(&dsts[t], 0, &ss[t]);
	}
	for (int k = 0; k < 2; k++)
		p[k] = (struct pollfd){ .fd = fd[k], .events = POLLIN };
	ps.sent_us = xcalloc(ndst * count + 1, sizeof(*ps.sent_us));
	pkt = xmalloc(size < 8 ? 8 : size);
	for (unsigned i = 0; i < count; i++) {
		int64_t next = net_now_us() / 1000 + (i + 1 < count ? (int64_t)interval_ms : wait_ms);

		for (size_t t = 0; t < ndst; t++) {
			uint16_t seq = (uint16_t)(i * ndst + t);
			int k = echo_slot(dsts[t].family);
			size_t len;

			if (k < 0 || fd[k] < 0)
				continue;
			len = k == 1 ? icmp6_build_echo(pkt, size, id, seq)
				     : icmp4_build_echo(pkt, size, id, seq);
			ps.sent_us[seq] = net_now_us();
			if (sendto(fd[k], pkt, len, 0, (struct sockaddr *)&ss[t], sl[t]) < 0) {
				ps.sent_us[seq] = 0;
				if (st[t].errors++ == 0)
					snprintf(st[t].error, sizeof(st[t].error), "send: %s",
						 i18n_strerror(errno));
			}
		}
		for (;;) {
			int64_t left = next - net_now_us() / 1000;

			if (fd[0] >= 0)
				echo_drain(fd[0], raw, id, ping_got, &ps);
			if (fd[1] >= 0)
				icmp_drain(fd[1], AF_INET6, id, ping_got, &ps);
			if (left <= 0 || (i + 1 == count && ping_all_back(&ps, (i + 1) * ndst)))
				break;
			poll(p, 2, (int)left);
		}
	}
	for (size_t t = 0; t < ndst; t++) {
		int k = echo_slot(dsts[t].family);
		unsigned e = st[t].errors;
		char err[sizeof(st[t].error)];

		if (k < 0 || fd[k] < 0)
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
	for (int k = 0; k < 2; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	return 0;
}

int ping_dual(const struct oq_prefix *src4, const struct oq_prefix *src6,
	      const struct oq_prefix *dsts, size_t ndst, unsigned count, unsigned interval_ms,
	      unsigned size, bool df, int wait_ms, double *rtt, struct ping_stats *st,
	      char **cause)
{
	return echo_series(AF_UNSPEC, src4, src6, dsts, ndst, count, interval_ms, size, df,
			   wait_ms, false, rtt, st, cause);
}

int ping4(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned count,
	  unsigned interval_ms, unsigned size, bool df, int wait_ms, double *rtt,
	  struct ping_stats *st, char **cause)
{
	return echo_series(dst->family ? dst->family : AF_INET, src, src, dst, 1, count,
			   interval_ms, size, df, wait_ms, false, rtt, st, cause);
}

int ping4_any_user(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned count,
		   unsigned interval_ms, unsigned size, bool df, int wait_ms, double *rtt,
		   struct ping_stats *st, char **cause)
{
	return echo_series(AF_INET, src, src, dst, 1, count, interval_ms, size, df, wait_ms, true,
			   rtt, st, cause);
}

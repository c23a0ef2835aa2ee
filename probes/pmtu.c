/* Probe "pmtu": the largest packet that passes with DF set (IPv4) or
 * unfragmented (IPv6; routers there say ICMPv6 Packet Too Big) from the
 * terminal side to the first central target, against the MTU the config
 * expects. Instead of a sequential binary search (a timeout per lost size),
 * every candidate size is sent at once and the largest echoed wins; a
 * second round refines between it and the next step. Two waits in all. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <poll.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"
#include "probes/pmtu.h"

#define PMTU_MIN 576
#define PMTU6_MIN 1280		/* every IPv6 link carries this (RFC 8200) */
#define PMTU_STEP 16

enum probe_verdict pmtu_verdict(unsigned found, unsigned expected, bool frag_needed_seen)
{
	if (found == 0)
		return PROBE_FAIL;
	if (found >= expected)
		return PROBE_PASS;
	return frag_needed_seen ? PROBE_WARN : PROBE_FAIL;
}

unsigned pmtu_expected(const struct site *s)
{
	if (s->line == SITE_LINE_IPSEC && s->tunnel_mtu)
		return s->tunnel_mtu;
	return s->wan_mtu ? s->wan_mtu : 1500;
}

struct sweep {
	const unsigned *sizes;
	size_t n;
	bool *ok;
	unsigned next_mtu;
	unsigned errors;
};

static void sweep_got(void *arg, const struct icmp_parsed *ip)
{
	struct sweep *sw = arg;

	if (ip->seq >= sw->n)
		return;
	if (ip->kind == ICMP_K_REPLY)
		sw->ok[ip->seq] = true;
	else {
		sw->errors++;
		if (ip->next_mtu)
			sw->next_mtu = ip->next_mtu;
	}
}

/* Send one echo of each total size (DF) and wait; ok[i] for those answered. */
static int sweep(int fd, const struct oq_prefix *dst, struct sweep *sw, int wait_ms,
		 unsigned *local_limit)
{
	bool v6 = dst->family == AF_INET6;
	struct sockaddr_storage ss;
	socklen_t sl = net_sockaddr(dst, 0, &ss);
	uint16_t id = (uint16_t)(getpid() ^ (net_now_us() & 0xffff));
	uint8_t pkt[9000];
	int64_t end;

	for (size_t i = 0; i < sw->n; i++) {
		size_t len = v6 ? icmp6_build_echo(pkt, sw->sizes[i] - 40, id, (uint16_t)i)
				: icmp4_build_echo(pkt, sw->sizes[i] - 20, id, (uint16_t)i);

		sw->ok[i] = false;
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sl) < 0 && errno == EMSGSIZE &&
		    (*local_limit == 0 || sw->sizes[i] < *local_limit))
			*local_limit = sw->sizes[i];
		usleep(500);	/* do not overrun a queue with a burst */
	}
	end = net_now_us() / 1000 + wait_ms;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - net_now_us() / 1000;
		bool all = true;

		icmp_drain(fd, dst->family, id, sweep_got, sw);
		for (size_t i = 0; i < sw->n; i++)
			all = all && sw->ok[i];
		if (left <= 0 || all)
			break;
		poll(&p, 1, (int)left);
	}
	return 0;
}

/* The largest answered size of a sweep, 0 when none. */
static unsigned sweep_best(const struct sweep *sw)
{
	unsigned best = 0;

	for (size_t i = 0; i < sw->n; i++)
		if (sw->ok[i] && sw->sizes[i] > best)
			best = sw->sizes[i];
	return best;
}

/* The two rounds: every size in steps, then every byte above the largest
 * answered. Returns the largest size echoed (0 when none). */
static unsigned pmtu_search(int fd, const struct oq_prefix *dst, unsigned expected, int wait,
			    struct probe_result *r, bool *frag_seen, unsigned *local_limit,
			    unsigned *next_mtu)
{
	unsigned sizes[256], found, min = dst->family == AF_INET6 ? PMTU6_MIN : PMTU_MIN;
	bool ok[256];
	struct sweep sw = { sizes, 0, ok, 0, 0 };

	for (unsigned sz = min; sz < expected && sw.n < 250; sz += PMTU_STEP)
		sizes[sw.n++] = sz;
	sizes[sw.n++] = expected;
	sweep(fd, dst, &sw, wait, local_limit);
	*frag_seen = *frag_seen || (sw.errors && sw.next_mtu);
	found = sweep_best(&sw);
	probe_result_evidence(r, "round 1: %zu sizes %u..%u, largest echoed %u%s", sw.n, min,
			      expected, found,
			      !sw.next_mtu ? "" : dst->family == AF_INET6 ? " (packet-too-big seen)"
			      : " (frag-needed seen)");
	if (found > 0 && found < expected) {
		unsigned base = found;

		sw.n = 0;
		for (unsigned sz = base + 1; sz < base + PMTU_STEP && sz < expected; sz++)
			sizes[sw.n++] = sz;
		sweep(fd, dst, &sw, wait, local_limit);
		*frag_seen = *frag_seen || (sw.errors && sw.next_mtu);
		if (sweep_best(&sw) > found)
			found = sweep_best(&sw);
		probe_result_evidence(r, "round 2: %u..%u, largest echoed %u", base + 1,
				      base + PMTU_STEP - 1, found);
	}
	*next_mtu = sw.next_mtu;
	return found;
}

/* The verdict with its summary and remedy. */
static void pmtu_judge(struct probe_result *r, unsigned found, unsigned expected, bool frag_seen,
		       bool v6)
{
	enum probe_verdict v = pmtu_verdict(found, expected, frag_seen);

	if (found == 0)
		pr_set(r, PROBE_FAIL,
		       BT("DF 付きの ping が最小サイズでも通りません。経路とトンネルを確認してください。",
			  "Not even the smallest ping with DF passes; check the path and the tunnel."),
		       "%u バイトの DF パケットも通りません", "not even %u-byte DF packets pass",
		       v6 ? PMTU6_MIN : PMTU_MIN);
	else if (v == PROBE_FAIL && v6)
		pr_set(r, PROBE_FAIL,
		       BT("経路の途中で大きなパケットが ICMPv6 Packet Too Big なしに捨てられています (ブラックホール)。経路上のファイアウォールで ICMPv6 Packet Too Big を通すか、根拠の最大値に合わせて mtu を下げ、TCP MSS をその値から 60 引いた値にしてください。",
			  "Large packets are dropped on the way without ICMPv6 Packet Too Big (a black hole). Let Packet Too Big pass the firewalls on the path, or lower mtu to the size found and set the TCP MSS to that minus 60."),
		       "経路 MTU %u バイト (設定 %u) で Packet Too Big がありません: MTU %u、MSS %u に設定してください",
		       "path MTU %u bytes (configured %u) with no Packet Too Big: set MTU %u and MSS %u",
		       found, expected, found, found - 60);
	else if (v == PROBE_FAIL)
		pr_set(r, PROBE_FAIL,
		       BT("経路の途中で大きなパケットが ICMP なしに捨てられています (ブラックホール)。根拠の最大値に合わせて tunnel_mtu/mtu を下げ、TCP MSS をその値から 40 引いた値にしてください。",
			  "Large packets are dropped on the way without ICMP (a black hole). Lower tunnel_mtu/mtu to the size found and set the TCP MSS to that minus 40."),
		       "経路 MTU %u バイト (設定 %u) で ICMP がありません: MTU %u、MSS %u に設定してください",
		       "path MTU %u bytes (configured %u) with no ICMP: set MTU %u and MSS %u", found,
		       expected, found, found - 40);
	else if (v == PROBE_WARN)
		pr_set(r, PROBE_WARN,
		       BT("経路 MTU 探索は働いていますが、設定の MTU より小さいので tunnel_mtu/mtu を合わせてください。",
			  "Path MTU discovery works, but the path is smaller than configured: match tunnel_mtu/mtu to it."),
		       "経路 MTU %u バイト (設定 %u)", "path MTU %u bytes (configured %u)", found, expected);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL),
		       v6 ? "%u バイトのパケットが断片化なしで通ります" : "%u バイトの DF パケットが通ります",
		       v6 ? "%u-byte packets pass unfragmented" : "%u-byte DF packets pass", found);
}

/* How long a sweep waits for its echoes: three times the worst RTT of a
 * few small echoes, and 200 ms; 400 ms when none comes back. (pmtu runs
 * beside reach, so it measures for itself.) */
static int sweep_wait(const struct oq_prefix *src, const struct oq_prefix *dst)
{
	double rtt[3];
	struct ping_stats st;
	int wait = 400;

	if (ping4(src, dst, 3, 10, 64, false, 1000, rtt, &st, NULL) == 0 && st.received > 0)
		wait = (int)(st.max_ms * 3) + 200;
	return wait > 1000 ? 1000 : wait;
}

PROBE_FN(pmtu)
{
	const struct site *s = probe_ctx_site(ctx);
	struct oq_prefix src = net_terminal_source(s), dst;
	unsigned expected = pmtu_expected(s), found, local_limit = 0, next_mtu = 0;
	bool frag_seen = false;
	char *cause = NULL, b[64], b2[64];
	int fd, wait;

	if (s->n_ping_targets == 0) {
		probe_result_set(r, PROBE_SKIP, BT("ping の宛先が設定されていません", "no ping target configured"),
				 BT("[probe] ping に中央側の宛先を設定してください。",
				    "Set central targets in [probe] ping."));
		return;
	}
	if (net_resolve(s, s->ping_targets[0], 1000, &dst, &cause) < 0) {
		pr_set(r, PROBE_ERROR, BT("dns プローブを確認してください。", "See the dns probe."),
		       "%s", "%s", cause);
		free(cause);
		return;
	}
	if (dst.family == AF_INET6)
		src = net_source_for(s, AF_INET6);
	wait = sweep_wait(src.family ? &src : NULL, &dst);
	fd = icmp_open(dst.family, src.family ? &src : NULL, true, &cause);
	if (fd < 0) {
		pr_set(r, PROBE_ERROR, BT("root で実行してください。", "Run as root."), "%s", "%s", cause);
		free(cause);
		return;
	}
	found = pmtu_search(fd, &dst, expected, wait, r, &frag_seen, &local_limit, &next_mtu);
	close(fd);
	if (local_limit)
		probe_result_evidence(r, "local interface refused %u bytes (EMSGSIZE)", local_limit);
	if (next_mtu && dst.family == AF_INET6)
		probe_result_evidence(r, "ICMPv6 packet too big: MTU %u", next_mtu);
	else if (next_mtu)
		probe_result_evidence(r, "ICMP frag-needed: next-hop MTU %u", next_mtu);
	probe_result_evidence(r, "to %s from %s, %s", net_str(&dst, b), net_str(&src, b2),
			      dst.family == AF_INET6 ? "not fragmented" : "DF set");
	probe_result_value(r, "pmtu", BT("通過した最大パケット", "largest packet passed"), found, "bytes");
	probe_result_value(r, "expected", BT("設定の MTU", "configured MTU"), expected, "bytes");
	pmtu_judge(r, found, expected, frag_seen, dst.family == AF_INET6);
}

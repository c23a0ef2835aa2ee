/* Probe "gateway6": the IPv6 router on the uplink. Its router
 * advertisement (asked for with a router solicitation) says whether it is
 * a default router and for how long (router lifetime 0: it is not); the
 * kernel's default route says which router is used and how it was learnt;
 * ICMPv6 echo to the router's link-local address (through neighbour
 * discovery) and the kernel's neighbour entry say it answers. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/ipv6.h"
#include "probes/list.h"
#include "probes/net.h"

#define GW6_PINGS 3
#define GW6_RA_MAX_MS 4000	/* a router may wait 3 s between advertisements */

struct gw6_echo {
	double rtt[GW6_PINGS];
	int64_t sent[GW6_PINGS];
};

static void gw6_got(void *arg, const struct icmp_parsed *ip)
{
	struct gw6_echo *e = arg;

	if (ip->kind == ICMP_K_REPLY && ip->seq < GW6_PINGS && e->rtt[ip->seq] < 0)
		e->rtt[ip->seq] = (double)(net_now_us() - e->sent[ip->seq]) / 1000.0;
}

/* Ping the router's link-local address on ifname; the RTTs (-1 lost). */
static int gw6_ping(const char *ifname, const uint8_t router[16], struct ping_stats *st,
		    char **cause)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	struct gw6_echo e;
	uint16_t id = (uint16_t)(getpid() ^ (net_now_us() & 0xffff));
	uint8_t pkt[64];
	int fd = icmp_open(AF_INET6, NULL, false, cause);

	if (fd < 0)
		return fd;
	memcpy(&to.sin6_addr, router, 16);
	to.sin6_scope_id = if_nametoindex(ifname);
	for (int i = 0; i < GW6_PINGS; i++) {
		int64_t end = net_now_us() / 1000 + (i + 1 < GW6_PINGS ? 20 : 500);
		size_t len = icmp6_build_echo(pkt, sizeof(pkt), id, (uint16_t)i);

		e.rtt[i] = -1;
		e.sent[i] = net_now_us();
		sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to));
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int64_t left = end - net_now_us() / 1000;

			icmp_drain(fd, AF_INET6, id, gw6_got, &e);
			if (left <= 0 || (i + 1 == GW6_PINGS && e.rtt[i] >= 0))
				break;
			poll(&p, 1, (int)left);
		}
	}
	close(fd);
	ping_stats_compute(e.rtt, GW6_PINGS, st);
	return 0;
}

/* The kernel's IPv6 default route on ifname: *found, with its gateway. */
static void gw6_default(struct probe_result *r, const char *ifname, bool *found,
			struct k6_route *def)
{
	struct k6_route rt[256];
	size_t n = 0;
	int ifindex = (int)if_nametoindex(ifname);
	char b[64];

	*found = false;
	if (k6_routes(rt, ARRAY_SIZE(rt), &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n && !*found; i++)
		if (rt[i].dst.len == 0 && rt[i].ifindex == ifindex && rt[i].gw.family) {
			*def = rt[i];
			*found = true;
			probe_result_evidence(r, "default route via %s dev %s proto %s",
					      net_str(&rt[i].gw, b), ifname, k6_proto_name(rt[i].protocol));
		}
	if (!*found)
		probe_result_evidence(r, "no IPv6 default route on %s", ifname);
}

PROBE_FN(gateway6)
{
	const struct site *s = probe_ctx_site(ctx);
	struct ra_info ra;
	struct k6_route def;
	struct ping_stats st;
	struct k6_neigh nd = { .usable = false };
	uint8_t router[16];
	bool have_route, have_ra;
	char *cause = NULL, b[64];
	int wait = probe_ctx_remaining_ms(ctx) - 1000, ret;

	if (!site_uses_ipv6(s)) {
		probe_result_set(r, PROBE_SKIP, BT("IPv6 は設定されていません", "IPv6 is not configured"),
				 BT("IPv6 IPoE の回線なら [ipvpn] ipv6 か [uplink] address6 を設定してください。",
				    "On an IPv6 IPoE line, set [ipvpn] ipv6 or [uplink] address6."));
		return;
	}
	if (wait > GW6_RA_MAX_MS)
		wait = GW6_RA_MAX_MS;
	ret = ra_solicit(s->wan_if, wait, &ra, &cause);
	have_ra = ret == 0;
	if (ret < 0 && ret != -ETIMEDOUT) {
		pr_set(r, PROBE_ERROR, BT("root で実行してください。", "Run as root."), "%s", "%s", cause);
		free(cause);
		return;
	}
	if (have_ra) {
		inet_ntop(AF_INET6, ra.from, b, sizeof(b));
		probe_result_evidence(r, "RA from %s on %s: router lifetime %u s, M=%d O=%d, mtu %u, "
				      "%zu prefixes", b, s->wan_if, ra.lifetime_s, ra.managed, ra.other,
				      ra.mtu, ra.n_prefix);
		for (size_t i = 0; i < ra.n_prefix; i++) {
			char p[64];

			probe_result_evidence(r, "RA prefix %s%s, valid %u s, preferred %u s",
					      prefix_str(&ra.prefix[i].prefix, p, false),
					      ra.prefix[i].autonomous ? " (autonomous)" : "",
					      ra.prefix[i].valid_s, ra.prefix[i].preferred_s);
		}
		probe_result_value(r, "router_lifetime", BT("ルーターの有効期間", "router lifetime"),
				   ra.lifetime_s, "s");
	} else {
		probe_result_evidence(r, "no RA on %s within %d ms", s->wan_if, wait);
	}
	gw6_default(r, s->wan_if, &have_route, &def);
	if (have_ra && ra.lifetime_s == 0) {
		pr_set(r, PROBE_FAIL,
		       BT("回線のルーターが既定ルーターをやめています (ルーターの有効期間 0)。ONU/ホームゲートウェイの状態と IPv6 IPoE のサービス状況を確認し、続くなら通信事業者に連絡してください。",
			  "The line's router no longer acts as default router (router lifetime 0). Check the ONU/home gateway and the IPv6 IPoE service; if it persists, call the carrier."),
		       "%s のルーター %s がルーターの有効期間 0 を広告しています",
		       "the router %s on %s advertises router lifetime 0", b, s->wan_if);
		return;
	}
	if (!have_route && !have_ra) {
		pr_set(r, PROBE_FAIL,
		       BT("回線から RA (ルーター広告) が届かず、IPv6 の既定経路がありません。ONU/ルーターとの接続、IPv6 IPoE の契約と開通を確認し、oqlink apply をやり直してください。",
			  "No router advertisement comes from the line and there is no IPv6 default route: check the connection to the ONU/router and the IPv6 IPoE contract and activation, then run oqlink apply again."),
		       "%s に IPv6 ルーターが見つかりません", "no IPv6 router on %s", s->wan_if);
		return;
	}
	if (have_route)
		memcpy(router, def.gw.addr, 16);
	else
		memcpy(router, ra.from, 16);
	inet_ntop(AF_INET6, router, b, sizeof(b));
	probe_result_text(r, "router", BT("ルーター", "router"), b);
	if (gw6_ping(s->wan_if, router, &st, &cause) < 0) {
		pr_set(r, PROBE_ERROR, BT("root で実行してください。", "Run as root."), "%s", "%s", cause);
		free(cause);
		return;
	}
	probe_result_evidence(r, "ping %s%%%s: %u/%u answered, avg %.2f ms", b, s->wan_if,
			      st.received, st.sent, st.avg_ms);
	if (k6_neigh(s->wan_if, router, &nd, NULL) == 0) {
		probe_result_evidence(r, "neighbour %s%%%s: %s, lladdr %s%s", b, s->wan_if, nd.state,
				      nd.lladdr[0] ? nd.lladdr : "-", nd.router ? ", router" : "");
		if (nd.lladdr[0])
			probe_result_text(r, "mac", BT("MAC アドレス", "MAC address"), nd.lladdr);
	}
	if (st.received == 0 && nd.usable) {
		pr_set(r, PROBE_WARN,
		       BT("近隣探索 (ND) には応答しているので経路はあります。ルーターが ping に応答しない設定かどうか確認してください。",
			  "It answers neighbour discovery, so the link works; check whether the router is set not to answer ping."),
		       "IPv6 ルーター %s は ND に応答しますが ping に応答しません",
		       "the IPv6 router %s answers neighbour discovery but not ping", b);
		return;
	}
	if (st.received == 0) {
		pr_set(r, PROBE_FAIL,
		       BT("ルーターが近隣探索 (ND) と ping に応答しません。WAN のケーブル、ONU/ルーターの電源と状態を確認してください。",
			  "The router answers neither neighbour discovery nor ping: check the WAN cable and that the ONU/router is powered and up."),
		       "IPv6 ルーター %s が応答しません", "the IPv6 router %s does not answer", b);
		return;
	}
	probe_result_value(r, "rtt_avg", BT("平均往復時間", "average RTT"), st.avg_ms, "ms");
	if (!have_route)
		pr_set(r, PROBE_WARN,
		       BT("RA は届いていますが既定経路がありません。WAN で RA を受け入れる設定 (転送時は accept_ra=2) を oqlink plan で確認し、oqlink apply してください。",
			  "Router advertisements arrive but there is no default route: check with oqlink plan that the WAN accepts RA (accept_ra=2 when forwarding) and run oqlink apply."),
		       "IPv6 ルーター %s は応答しますが既定経路がありません",
		       "the IPv6 router %s answers but there is no default route", b);
	else if (have_ra)
		pr_set(r, PROBE_PASS, BT(NULL, NULL),
		       "IPv6 ルーター %s が応答します (%.1f ms、有効期間 %u 秒)",
		       "the IPv6 router %s answers (%.1f ms, router lifetime %u s)", b, st.avg_ms,
		       ra.lifetime_s);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "IPv6 ルーター %s が応答します (%.1f ms)",
		       "the IPv6 router %s answers (%.1f ms)", b, st.avg_ms);
}

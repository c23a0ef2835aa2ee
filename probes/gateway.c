/* Probe "gateway": the next hop on the uplink answers ARP and ICMP echo. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

#define GW_ARP_MS 500
#define GW_PINGS 3
#define GW_INTERVAL_MS 5	/* three echoes to a neighbour: no need to space them */

/* The default gateway of ifname from /proc/net/route (DHCP uplinks). */
static bool route_gateway(const char *ifname, struct oq_prefix *out)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[256], name[32];
	unsigned dst, gw, flags;
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %x %x %x", name, &dst, &gw, &flags) == 4 && dst == 0 &&
		    gw != 0 && strcmp(name, ifname) == 0) {
			memset(out, 0, sizeof(*out));
			out->family = AF_INET;
			out->len = 32;
			memcpy(out->addr, &gw, 4);
			found = true;
		}
	fclose(f);
	return found;
}

PROBE_FN(gateway)
{
	const struct site *s = probe_ctx_site(ctx);
	struct oq_prefix gw = s->wan_gateway, src = s->wan_addr;
	struct ping_stats st;
	double rtt[GW_PINGS];
	uint8_t mac[1][6];
	char b[64], m[18], *cause = NULL;
	uint32_t ga, sa = 0;
	int got;

	if (gw.family == 0 && s->line == SITE_LINE_IPVPN)
		gw = s->ce_router;
	if (gw.family == 0 && !route_gateway(s->wan_if, &gw)) {
		pr_set(r, PROBE_FAIL,
		       BT("DHCP で既定経路が得られているか確認するか、設定に gateway を書いてください。",
			  "Check that DHCP gave a default route, or set gateway in the config."),
		       "%s に既定ゲートウェイがありません", "no default gateway on %s", s->wan_if);
		return;
	}
	gw.len = 32;
	src.len = 32;
	net_str(&gw, b);
	probe_result_text(r, "gateway", BT("ゲートウェイ", "gateway"), b);
	if (gw.family != AF_INET) {
		probe_result_set(r, PROBE_WARN, BT("IPv6 のゲートウェイは確認していません",
						   "an IPv6 next hop is not checked"),
				 BT("IPv4 のゲートウェイを設定してください。", "Configure an IPv4 next hop."));
		return;
	}
	if (s->wan_mode == SITE_ADDR_STATIC && src.family == AF_INET &&
	    !net_addr_present(s->wan_if, &s->wan_addr)) {
		char a[64];
		pr_set(r, PROBE_FAIL,
		       BT("設定がまだ適用されていません。oqlink apply (設定画面の最後のページで a) で適用してください。",
			  "The config is not applied yet: apply it with oqlink apply (a on the last page of setup)."),
		       "WAN のアドレス %s が %s にまだありません (未適用)",
		       "the WAN address %s is not on %s yet (not applied)", net_str(&src, a), s->wan_if);
		return;
	}
	memcpy(&ga, gw.addr, 4);
	if (src.family == AF_INET)
		memcpy(&sa, src.addr, 4);
	got = arp_probe(s->wan_if, sa, ga, GW_ARP_MS, mac, 1, &cause);
	if (got <= 0) {
		probe_result_evidence(r, "arp %s on %s: %s", b, s->wan_if, got < 0 ? cause : "no answer");
		free(cause);
		pr_set(r, PROBE_FAIL,
		       BT("WAN のケーブル、ONU/ルーターの電源、ゲートウェイのアドレス設定を確認してください。",
			  "Check the WAN cable, that the ONU/router is powered, and the gateway address in the config."),
		       "ゲートウェイ %s が ARP に応答しません", "the gateway %s does not answer ARP", b);
		return;
	}
	probe_result_evidence(r, "arp %s on %s: %s", b, s->wan_if, mac_str(mac[0], m));
	probe_result_text(r, "mac", BT("MAC アドレス", "MAC address"), m);
	if (ping4(src.family ? &src : NULL, &gw, GW_PINGS, GW_INTERVAL_MS, 64, false, 500, rtt, &st,
		  &cause) < 0) {
		probe_result_evidence(r, "ping %s: %s", b, cause);
		free(cause);
	}
	probe_result_evidence(r, "ping %s: %u/%u answered, avg %.2f ms", b, st.received, st.sent,
			      st.avg_ms);
	if (st.received == 0) {
		pr_set(r, PROBE_WARN,
		       BT("ARP には応答しているので経路はあります。ルーターが ping に応答しない設定かどうか確認してください。",
			  "It answers ARP, so the link works; check whether the router is set not to answer ping."),
		       "ゲートウェイ %s は ARP に応答しますが ping に応答しません",
		       "the gateway %s answers ARP but not ping", b);
		return;
	}
	probe_result_value(r, "rtt_avg", BT("平均往復時間", "average RTT"), st.avg_ms, "ms");
	pr_set(r, PROBE_PASS, BT(NULL, NULL), "ゲートウェイ %s が応答します (%.1f ms)",
	       "the gateway %s answers (%.1f ms)", b, st.avg_ms);
}

/* The probe registry: every probe, its titles, what it depends on. Order
 * is the order of results and reports: from the wire up.
 *
 * Dependencies (deps) SKIP a probe when one of them gives FAIL, ERROR or
 * SKIP; a dependency that does not apply to the line type (child on an
 * IP-VPN line) counts as met. "after" only orders: cert runs after clock
 * so that its evidence can quote the measured offset, but a clock that
 * cannot be read (often because the tunnel it is reached through is down)
 * must not hide what is wrong with the certificates. child runs beside
 * ike (PROBE_BESIDE), as both only ask charon. pmtu waits for reach: its
 * bursts of full-size packets through the tunnel would be measured by
 * reach as delay and jitter (seen in the lab: reach's worst round trip
 * went from 15 ms to 57 ms and its verdict to WARN). */
#include "probes/list.h"

#include "core/util.h"

#define DEPS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct probe registry[] = {
	{ "capture", { "パケット取得", "packet capture" }, NULL, NULL, probe_capture, 0,
	  PROBE_BACKGROUND | PROBE_SANDBOX, probe_capture_setup, NULL },
	{ "link", { "リンク", "links" }, NULL, NULL, probe_link, 0, 0, NULL, "wan_mtu" },
	{ "address", { "アドレス", "addresses" }, DEPS("link"), NULL, probe_address, 0, 0, NULL,
	  "expected" },
	{ "address6", { "IPv6 アドレス", "IPv6 addresses" }, DEPS("link"), NULL, probe_address6, 0, 0,
	  NULL, NULL },
	{ "gateway", { "ゲートウェイ", "next hop" }, DEPS("link"), NULL, probe_gateway, 0, 0, NULL,
	  "rtt_avg" },
	{ "gateway6", { "IPv6 ルーター", "IPv6 router" }, DEPS("link"), NULL, probe_gateway6, 6000, 0,
	  NULL, NULL },
	{ "cert", { "証明書", "certificates" }, NULL, DEPS("clock"), probe_cert, 0, 0, NULL, NULL },
	{ "clock", { "時刻", "clock" }, DEPS("gateway"), NULL, probe_clock, 3000, 0, NULL, "offset" },
	{ "ike", { "IKE SA", "IKE SA" }, DEPS("gateway"), NULL, probe_ike, 0, PROBE_IPSEC_ONLY,
	  NULL, "peer" },
	{ "child", { "CHILD SA", "CHILD SA" }, DEPS("ike"), NULL, probe_child, 0,
	  PROBE_IPSEC_ONLY | PROBE_BESIDE, NULL, NULL },
	{ "dns", { "名前解決", "DNS" }, DEPS("gateway", "child"), NULL, probe_dns, 0,
	  PROBE_SANDBOX, NULL, "slowest" },
	{ "reach", { "到達性", "reachability" }, DEPS("gateway", "child"), NULL, probe_reach, 0, 0, NULL,
	  "rtt_avg" },
	{ "pmtu", { "経路 MTU", "path MTU" }, DEPS("reach"), NULL, probe_pmtu, 0, 0, NULL, NULL },
	{ "tcp", { "TCP 接続", "TCP connect" }, DEPS("dns"), NULL, probe_tcp, 0, 0, NULL, NULL },
	{ "tls", { "TLS 相互認証", "mutual TLS" }, DEPS("dns"), NULL, probe_tls, 0,
	  PROBE_SANDBOX, probe_tls_setup, "protocol" },
	{ "proxy", { "プロキシ", "proxy" }, DEPS("dns"), NULL, probe_proxy, 0,
	  PROBE_SANDBOX, NULL, NULL },
	{ "lineauth", { "回線認証", "line authentication" }, DEPS("dns"), NULL, probe_lineauth, 0,
	  PROBE_IPVPN_ONLY | PROBE_SANDBOX, probe_lineauth_setup, NULL },
};

const struct probe *probe_registry(size_t *n)
{
	*n = ARRAY_SIZE(registry);
	return registry;
}

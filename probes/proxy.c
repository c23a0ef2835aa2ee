/* Probe "proxy": the closed-network HTTP proxy accepts a connection and a
 * CONNECT to the first TLS endpoint (or TCP target), by name as a terminal
 * asks. When that gets no success, the same CONNECT by address tells a
 * proxy that cannot resolve the closed-network names (WARN) from one that
 * refuses or cannot reach the service (FAIL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

/* One CONNECT through the proxy; the status code, 0 when no HTTP answer.
 * line gets the status line. */
static int proxy_connect(const struct site *s, const struct oq_prefix *pa, const char *target,
			 unsigned port, int wait, char line[128], struct probe_result *r)
{
	char *cause = NULL, *req, *reply = NULL;
	size_t len;
	double ms;
	int fd, code = 0;

	line[0] = '\0';
	if (net_connect(s, pa, s->proxy.port, wait / 2, &fd, &ms, &cause) < 0) {
		probe_result_evidence(r, "%s", cause);
		free(cause);
		return -1;
	}
	req = xasprintf("CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: oqlink/" OQ_VERSION
			"\r\n\r\n", target, port, target, port);
	if (http_exchange(fd, req, wait, 4096, &reply, &len) == 0 && http_status_parse(reply, &code))
		snprintf(line, 128, "%.*s", (int)strcspn(reply, "\r\n"), reply);
	probe_result_evidence(r, "CONNECT %s:%u via %s:%u (connected in %.1f ms): %s", target, port,
			      s->proxy.host, s->proxy.port, ms, line[0] ? line : "no HTTP answer");
	free(reply);
	free(req);
	close(fd);
	return code;
}

PROBE_FN(proxy)
{
	const struct site *s = probe_ctx_site(ctx);
	struct oq_prefix pa, ta;
	const char *host = "hweb.oqs-st.onshikaku.org";
	unsigned port = 443;
	char *cause = NULL, line[128], b[64];
	int code, code2, wait = (probe_ctx_remaining_ms(ctx) - 400) / 2;

	if (s->proxy.host == NULL) {
		probe_result_set(r, PROBE_SKIP, BT("プロキシは設定されていません", "no proxy configured"),
				 BT("プロキシを使う場合は [central] proxy を設定してください。",
				    "Set [central] proxy if the site uses one."));
		return;
	}
	if (s->n_tls > 0) {
		host = s->tls[0].host;
		port = s->tls[0].port;
	} else if (s->n_tcp_targets > 0) {
		host = s->tcp_targets[0].host;
		port = s->tcp_targets[0].port;
	}
	/* A proxy answers CONNECT in one round trip to the service; one second
	 * without an answer is already a finding. */
	if (wait > 1000)
		wait = 1000;
	if (net_resolve(s, s->proxy.host, wait, &pa, &cause) < 0) {
		probe_result_evidence(r, "%s", cause);
		free(cause);
		pr_set(r, PROBE_FAIL, BT("dns プローブを確認してください。", "See the dns probe."),
		       "プロキシ %s のアドレスが分かりません", "cannot resolve the proxy %s", s->proxy.host);
		return;
	}
	code = proxy_connect(s, &pa, host, port, wait, line, r);
	if (code < 0) {
		pr_set(r, PROBE_FAIL,
		       BT("プロキシのアドレスとポート、プロキシへの経路を確認してください。",
			  "Check the proxy's address and port, and the path to it."),
		       "プロキシ %s:%u に接続できません", "cannot connect to the proxy %s:%u",
		       s->proxy.host, s->proxy.port);
		return;
	}
	if (code > 0)
		probe_result_value(r, "status", BT("応答コード", "status"), code, "");
	if (code / 100 == 2) {
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "CONNECT %s:%u を受け付けました (%d)",
		       "CONNECT %s:%u accepted (%d)", host, port, code);
		return;
	}
	/* By address: does the proxy fail on the name or on the service? */
	if (net_resolve(s, host, wait, &ta, NULL) == 0 &&
	    (code2 = proxy_connect(s, &pa, net_str(&ta, b), port, wait, line, r)) / 100 == 2) {
		pr_set(r, PROBE_WARN,
		       BT("プロキシはアドレス指定の CONNECT は通しますが、名前を解決できません。プロキシの DNS を閉域網の DNS サーバに向けてください。",
			  "The proxy passes CONNECT by address but cannot resolve the name: point the proxy's DNS at the closed network's DNS servers."),
		       "プロキシが %s を解決できません (アドレスなら %d)",
		       "the proxy cannot resolve %s (by address: %d)", host, code2);
		return;
	}
	if (code == 0)
		pr_set(r, PROBE_FAIL,
		       BT("プロキシが CONNECT に応答しません。プロキシの設定 (CONNECT の許可) と上流への経路を確認してください。",
			  "The proxy does not answer CONNECT: check that it allows CONNECT and can reach the service."),
		       "プロキシ %s:%u が CONNECT に答えません", "the proxy %s:%u does not answer CONNECT",
		       s->proxy.host, s->proxy.port);
	else
		pr_set(r, PROBE_FAIL,
		       BT("プロキシが CONNECT を拒否しました。許可する宛先とポート (443) をプロキシに設定してください。",
			  "The proxy refused CONNECT: allow the destination and port 443 on the proxy."),
		       "CONNECT %s:%u が拒否されました (%d)", "CONNECT %s:%u refused (%d)", host, port,
		       code);
}

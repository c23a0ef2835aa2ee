/* Probe "proxy": the closed-network HTTP proxy accepts a connection and a
 * CONNECT to the first TLS endpoint (or TCP target). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

PROBE_FN(proxy)
{
	const struct site *s = probe_ctx_site(ctx);
	struct oq_prefix src = net_terminal_source(s), pa;
	const char *host = NULL;
	unsigned port = 443;
	char *cause = NULL, *req, *reply = NULL, line[128];
	size_t len;
	double ms;
	int fd, code = 0, wait = probe_ctx_remaining_ms(ctx) - 200;

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
	} else {
		host = "hweb.oqs-st.onshikaku.org";
	}
	if (wait > 3000)
		wait = 3000;
	if (net_resolve(s, s->proxy.host, wait / 2, &pa, &cause) < 0 ||
	    tcp_connect(&src, &pa, s->proxy.port, wait / 2, &fd, &ms, &cause) < 0) {
		probe_result_evidence(r, "%s", cause);
		pr_set(r, PROBE_FAIL,
		       BT("プロキシのアドレスとポート、プロキシへの経路を確認してください。",
			  "Check the proxy's address and port, and the path to it."),
		       "プロキシ %s:%u に接続できません", "cannot connect to the proxy %s:%u",
		       s->proxy.host, s->proxy.port);
		free(cause);
		return;
	}
	probe_result_value(r, "connect", BT("接続時間", "connect time"), ms, "ms");
	req = xasprintf("CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: oqlink/" OQ_VERSION
			"\r\n\r\n", host, port, host, port);
	if (http_exchange(fd, req, wait / 2, 4096, &reply, &len) < 0 ||
	    !http_status_parse(reply, &code)) {
		probe_result_evidence(r, "CONNECT %s:%u: %s", host, port,
				      reply && *reply ? "not an HTTP answer" : "no answer");
		pr_set(r, PROBE_FAIL,
		       BT("プロキシが CONNECT に応答しません。プロキシの設定 (CONNECT の許可) を確認してください。",
			  "The proxy does not answer CONNECT; check that it allows CONNECT."),
		       "プロキシ %s:%u が CONNECT に答えません", "the proxy %s:%u does not answer CONNECT",
		       s->proxy.host, s->proxy.port);
		goto out;
	}
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(reply, "\r\n"), reply);
	probe_result_evidence(r, "CONNECT %s:%u via %s:%u: %s", host, port, s->proxy.host,
			      s->proxy.port, line);
	probe_result_value(r, "status", BT("応答コード", "status"), code, "");
	if (code / 100 != 2)
		pr_set(r, PROBE_FAIL,
		       BT("プロキシが CONNECT を拒否しました。許可する宛先とポート (443) をプロキシに設定してください。",
			  "The proxy refused CONNECT; allow the destination and port 443 on the proxy."),
		       "CONNECT %s:%u が拒否されました (%d)", "CONNECT %s:%u refused (%d)", host, port,
		       code);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "CONNECT %s:%u を受け付けました (%d)",
		       "CONNECT %s:%u accepted (%d)", host, port, code);
out:
	free(reply);
	free(req);
	close(fd);
}

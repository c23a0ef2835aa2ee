/* Probe "tcp": connect time from the terminal side to each service port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

#define TCP_SLOW_MS 1000.0

PROBE_FN(tcp)
{
	const struct site *s = probe_ctx_site(ctx);
	size_t n = s->n_tcp_targets, failed = 0;
	const char *first_bad = NULL;
	unsigned first_port = 0;
	double worst = 0;

	if (n == 0) {
		probe_result_set(r, PROBE_SKIP, BT("TCP の宛先が設定されていません", "no TCP target configured"),
				 BT("[probe] tcp に host:port を設定してください。",
				    "Set host:port targets in [probe] tcp."));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct site_hostport *t = &s->tcp_targets[i];
		struct oq_prefix dst;
		char *cause = NULL, b[64];
		double ms = 0;
		int fd, each = (probe_ctx_remaining_ms(ctx) - 200) / (int)(n - i);

		if (each > 2000)
			each = 2000;
		if (net_resolve(s, t->host, each, &dst, &cause) < 0 ||
		    net_connect(s, &dst, t->port, each, &fd, &ms, &cause) < 0) {
			probe_result_evidence(r, "%s:%u: %s", t->host, t->port, cause);
			free(cause);
			if (failed++ == 0) {
				first_bad = t->host;
				first_port = t->port;
			}
			continue;
		}
		close(fd);
		probe_result_evidence(r, "%s:%u (%s): connected in %.1f ms", t->host, t->port,
				      net_str(&dst, b), ms);
		if (ms > worst)
			worst = ms;
	}
	probe_result_value(r, "connect_max", BT("最長の接続時間", "slowest connect"), worst, "ms");
	probe_result_value(r, "failed", BT("接続できない宛先", "targets failed"), (double)failed, "");
	if (failed)
		pr_set(r, PROBE_FAIL,
		       BT("宛先ポートへの経路、トンネルのセレクタ、ファイアウォールを確認してください。拒否 (refused) ならサーバ側、時間切れなら経路の問題です。",
			  "Check the path to the port, the tunnel's selectors and firewalls. Refused points at the server, a timeout at the path."),
		       "%zu 件の接続に失敗 (最初: %s:%u)", "%zu connections failed (first: %s:%u)", failed,
		       first_bad, first_port);
	else if (worst > TCP_SLOW_MS)
		pr_set(r, PROBE_WARN,
		       BT("接続が遅いです。回線の遅延と損失を確認してください (reach プローブ)。",
			  "Connecting is slow; check the line's delay and loss (reach probe)."),
		       "接続に最大 %.0f ms かかりました", "connecting took up to %.0f ms", worst);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "%zu 件すべて接続 (最大 %.1f ms)",
		       "all %zu connected (up to %.1f ms)", n, worst);
}

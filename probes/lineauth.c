/* Probe "lineauth" (IP-VPN lines): the carrier's line-authentication page,
 * fetched from the terminal side, says the line is authenticated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

PROBE_FN(lineauth)
{
	const struct site *s = probe_ctx_site(ctx);
	struct oq_prefix dst;
	const char *expect = s->lineauth_expect ? s->lineauth_expect : "認証済みです";
	char *host = NULL, *path = NULL, *req = NULL, *reply = NULL, *cause = NULL;
	unsigned port;
	size_t len;
	double ms;
	int fd = -1, code = 0, wait = probe_ctx_remaining_ms(ctx) - 200;

	if (s->lineauth_url == NULL) {
		probe_result_set(r, PROBE_SKIP, BT("回線認証ページが設定されていません",
						   "no line-authentication page configured"),
				 BT("[probe] lineauth_url を設定してください。", "Set [probe] lineauth_url."));
		return;
	}
	if (!http_url_parse(s->lineauth_url, &host, &port, &path)) {
		pr_set(r, PROBE_ERROR, BT("http:// の URL を設定してください。", "Use an http:// URL."),
		       "URL %s は扱えません", "cannot use the URL %s", s->lineauth_url);
		goto out;
	}
	if (wait > 3000)
		wait = 3000;
	if (net_resolve(s, host, wait / 2, &dst, &cause) < 0 ||
	    net_connect(s, &dst, port, wait / 2, &fd, &ms, &cause) < 0) {
		probe_result_evidence(r, "%s", cause);
		pr_set(r, PROBE_FAIL,
		       BT("回線認証ページへの経路 (CE ルーター経由) を確認してください。",
			  "Check the path to the line-authentication page (through the CE router)."),
		       "%s に接続できません", "cannot connect to %s", s->lineauth_url);
		goto out;
	}
	req = xasprintf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: oqlink/" OQ_VERSION
			"\r\nConnection: close\r\n\r\n", path, host);
	if (http_exchange(fd, req, wait / 2, 65536, &reply, &len) < 0 ||
	    !http_status_parse(reply, &code)) {
		pr_set(r, PROBE_FAIL, BT("ページのサーバが応答しません。時間をおいて再試行してください。",
					 "The page's server does not answer; try again later."),
		       "%s が応答しません", "%s does not answer", s->lineauth_url);
		goto out;
	}
	probe_result_evidence(r, "GET %s: HTTP %d, %zu bytes, %s", s->lineauth_url, code, len,
			      strstr(reply, expect) ? "authenticated text found" : "text not found");
	if (s->customer_id)
		probe_result_text(r, "customer_id", BT("お客さまID", "customer ID"), s->customer_id);
	if (code == 200 && strstr(reply, expect) != NULL)
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "回線認証ページ: %s", "line authentication page: %s",
		       expect);
	else
		pr_set(r, PROBE_FAIL,
		       BT("回線が認証されていません。お客さまID と回線の開通状況を通信事業者に確認してください。",
			  "The line is not authenticated; check the customer ID and the line's activation with the carrier."),
		       "回線認証ページに「%s」がありません (HTTP %d)",
		       "the line-authentication page does not say \"%s\" (HTTP %d)", expect, code);
out:
	if (fd >= 0)
		close(fd);
	free(host);
	free(path);
	free(req);
	free(reply);
	free(cause);
}

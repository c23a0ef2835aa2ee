/* Probe "dns": every configured name through every configured closed-network
 * DNS server (c-ares, queries in parallel), from the terminal-side address;
 * one evidence line per name and server with RCODE, answer and time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

#define DNS_SLOW_MS 1000.0

PROBE_FN(dns)
{
	const struct site *s = probe_ctx_site(ctx);
	struct oq_prefix src = net_terminal_source(s);
	size_t n = s->n_dns_names, bad_names = 0, bad_servers = 0;
	struct dns_answer *ans;
	bool *name_ok;
	const char *first_bad = NULL, *first_rcode = NULL;
	int wait = probe_ctx_remaining_ms(ctx) - 300;
	double worst = 0;

	if (s->n_dns == 0 || n == 0) {
		probe_result_set(r, PROBE_SKIP,
				 BT("DNS サーバか確認する名前が設定されていません",
				    "no DNS server or no name to check configured"),
				 BT("[central] dns と [probe] dns_names を設定してください。",
				    "Set [central] dns and [probe] dns_names."));
		return;
	}
	if (wait > 2000)
		wait = 2000;
	ans = xcalloc(n, sizeof(*ans));
	name_ok = xcalloc(n, sizeof(*name_ok));
	for (size_t k = 0; k < s->n_dns; k++) {
		char server[64], *cause = NULL;
		size_t ok = 0;

		net_str(&s->dns[k], server);
		if (dns_query_many(server, &src, (const char *const *)s->dns_names, n, wait, ans,
				   &cause) < 0) {
			probe_result_evidence(r, "%s: %s", server, cause);
			free(cause);
			bad_servers++;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			probe_result_evidence(r, "@%s %s A: %s %s %.1f ms", server, s->dns_names[i],
					      ans[i].rcode, ans[i].addrs[0] ? ans[i].addrs : "-",
					      ans[i].ms);
			if (ans[i].first.family) {
				name_ok[i] = true;
				ok++;
				if (ans[i].ms > worst)
					worst = ans[i].ms;
			} else if (first_rcode == NULL) {
				first_rcode = ans[i].rcode;
			}
		}
		if (ok < n)
			bad_servers++;
	}
	for (size_t i = 0; i < n; i++)
		if (!name_ok[i] && bad_names++ == 0)
			first_bad = s->dns_names[i];
	probe_result_value(r, "names", BT("名前の数", "names"), (double)n, "");
	probe_result_value(r, "servers", BT("サーバの数", "servers"), (double)s->n_dns, "");
	probe_result_value(r, "failed_names", BT("解決できない名前", "names not resolved"),
			   (double)bad_names, "");
	probe_result_value(r, "slowest", BT("最も遅い応答", "slowest answer"), worst, "ms");
	if (bad_names > 0)
		pr_set(r, PROBE_FAIL,
		       BT("DNS サーバへの経路 (UDP/TCP 53)、サーバの稼働、名前の綴りを確認してください。TIMEOUT はサーバに届いていない、NXDOMAIN は名前がないことを示します。",
			  "Check the path to the DNS server (UDP/TCP 53), that it runs, and the spelling of the name. TIMEOUT means the server is not reached, NXDOMAIN that the name does not exist."),
		       "%zu 個の名前が解決できません (最初: %s, %s)",
		       "%zu names not resolved (first: %s, %s)", bad_names, first_bad,
		       first_rcode ? first_rcode : "?");
	else if (bad_servers > 0)
		pr_set(r, PROBE_WARN,
		       BT("応答しない DNS サーバがあります。冗長性がないため、そのサーバへの経路と設定を確認してください。",
			  "A DNS server does not answer every name: there is no redundancy left; check the path to it and the config."),
		       "%zu 台の DNS サーバが一部の名前に答えません", "%zu DNS servers fail some names",
		       bad_servers);
	else if (worst > DNS_SLOW_MS)
		pr_set(r, PROBE_WARN,
		       BT("DNS の応答が遅いです。回線の遅延と DNS サーバの負荷を確認してください。",
			  "DNS answers are slow; check the line's delay and the DNS server's load."),
		       "DNS の応答が遅い (最大 %.0f ms)", "slow DNS answers (up to %.0f ms)", worst);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "%zu 個の名前をすべてのサーバで解決 (最大 %.0f ms)",
		       "%zu names resolved by every server (up to %.0f ms)", n, worst);
	free(ans);
	free(name_ok);
}

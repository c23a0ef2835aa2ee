/* Probe "address6": the line's IPv6 prefix on the WAN and the terminal
 * side, how it came (RA, DHCPv6-PD, static), and the kernel's DAD state of
 * every global address (tentative and dadfailed are FAIL). */
#include <linux/if_addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/ipv6.h"
#include "probes/list.h"
#include "probes/net.h"

/* The DAD state of an address as a word. */
static const char *dad_word(unsigned flags)
{
	return flags & IFA_F_DADFAILED ? "dadfailed" : flags & IFA_F_TENTATIVE ? "tentative" : "ok";
}

/* Evidence for the global addresses of one interface; the first whose DAD
 * failed (*failed) or has not finished (*tentative). */
static size_t addr6_list(struct probe_result *r, const char *ifname, const struct k6_addr *a,
			 size_t n, const char **failed, const char **tentative)
{
	size_t globals = 0;
	char b[64];

	for (size_t i = 0; i < n; i++) {
		if (a[i].link_local)
			continue;
		globals++;
		prefix_str(&a[i].addr, b, false);
		if (a[i].valid_s == K6_FOREVER)
			probe_result_evidence(r, "%s: %s %s, dad %s, lifetime forever", ifname, b,
					      a[i].flags & IFA_F_PERMANENT ? "permanent" : "learnt",
					      dad_word(a[i].flags));
		else
			probe_result_evidence(r, "%s: %s %s, dad %s, valid %u s, preferred %u s",
					      ifname, b,
					      a[i].flags & IFA_F_PERMANENT ? "permanent" : "learnt",
					      dad_word(a[i].flags), a[i].valid_s, a[i].preferred_s);
		if ((a[i].flags & IFA_F_DADFAILED) && *failed == NULL)
			*failed = ifname;
		else if ((a[i].flags & IFA_F_TENTATIVE) && *tentative == NULL)
			*tentative = ifname;
	}
	return globals;
}

PROBE_FN(address6)
{
	const struct site *s = probe_ctx_site(ctx);
	const char *tif = s->segment == SITE_SEGMENT_SEPARATE && s->term_if ? s->term_if : s->lan_if;
	const char *failed = NULL, *tentative = NULL;
	struct k6_addr wan[16], term[16];
	struct k6_route rt[256];
	size_t n_wan = 0, n_term = 0, n_rt = 0, g_wan, g_term;
	struct line6 line;
	char *cause = NULL, b[64];

	if (!site_uses_ipv6(s)) {
		probe_result_set(r, PROBE_SKIP, BT("IPv6 は設定されていません", "IPv6 is not configured"),
				 BT("IPv6 IPoE の回線なら [ipvpn] ipv6 か [uplink] address6 を設定してください。",
				    "On an IPv6 IPoE line, set [ipvpn] ipv6 or [uplink] address6."));
		return;
	}
	if (k6_addrs(s->wan_if, wan, ARRAY_SIZE(wan), &n_wan, &cause) < 0 ||
	    (tif != NULL && k6_addrs(tif, term, ARRAY_SIZE(term), &n_term, &cause) < 0) ||
	    k6_routes(rt, ARRAY_SIZE(rt), &n_rt, &cause) < 0) {
		pr_set(r, PROBE_ERROR, BT("root で実行し、link プローブを確認してください。",
					  "Run as root and see the link probe."),
		       "IPv6 アドレスを読めません: %s", "cannot read the IPv6 addresses: %s", cause);
		free(cause);
		return;
	}
	g_wan = addr6_list(r, s->wan_if, wan, n_wan, &failed, &tentative);
	g_term = tif != NULL ? addr6_list(r, tif, term, n_term, &failed, &tentative) : 0;
	line6_derive(wan, n_wan, term, n_term, rt, n_rt, &line);
	probe_result_text(r, "origin", BT("取得方法", "obtained by"), line6_origin_name(line.origin));
	if (line.origin != LINE6_NONE) {
		probe_result_text(r, "prefix", BT("回線のプレフィックス", "line prefix"),
				  prefix_str(&line.prefix, b, false));
		probe_result_evidence(r, "line prefix %s by %s", b, line6_origin_name(line.origin));
	}
	probe_result_value(r, "global_wan", BT("WAN のグローバルアドレス", "global addresses on the WAN"),
			   (double)g_wan, "");
	probe_result_value(r, "global_term", BT("端末側のグローバルアドレス",
						"global addresses on the terminal side"),
			   (double)g_term, "");
	if (failed != NULL)
		pr_set(r, PROBE_FAIL,
		       BT("同じ IPv6 アドレスを使っている機器が同じセグメントにあります (DAD 失敗)。その機器を探して外すか設定を変え、インターフェースを down/up して oqlink apply をやり直してください。",
			  "Another device on the segment uses the same IPv6 address (DAD failed). Find it and remove or reconfigure it, then take the interface down and up and run oqlink apply again."),
		       "%s の IPv6 アドレスが重複しています (DAD 失敗)",
		       "an IPv6 address on %s is a duplicate (DAD failed)", failed);
	else if (tentative != NULL)
		pr_set(r, PROBE_FAIL,
		       BT("IPv6 アドレスの重複確認 (DAD) が終わっておらず、まだ使えません。数秒待って再実行し、続くならケーブルとリンク (link プローブ) を確認してください。",
			  "Duplicate address detection has not finished: the IPv6 address cannot be used yet. Run the probe again in a few seconds; if it stays, check the cable and the link (link probe)."),
		       "%s の IPv6 アドレスが仮状態 (tentative) のままです",
		       "an IPv6 address on %s is still tentative", tentative);
	else if (line.origin == LINE6_NONE)
		pr_set(r, PROBE_FAIL,
		       BT("回線から IPv6 のプレフィックスが得られていません。ONU/ルーターとの接続、IPv6 IPoE (v6 オプション) の契約と開通、RA と DHCPv6-PD を確認し、oqlink apply をやり直してください。",
			  "The line gives no IPv6 prefix: check the connection to the ONU/router, the IPv6 IPoE contract and activation, RA and DHCPv6-PD, then run oqlink apply again."),
		       "%s に IPv6 のグローバルアドレスがありません", "no global IPv6 address on %s",
		       s->wan_if);
	else
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "回線のプレフィックス %s (%s)",
		       "line prefix %s (by %s)", prefix_str(&line.prefix, b, false),
		       line6_origin_name(line.origin));
}

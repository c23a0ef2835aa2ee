/* Probe "address": the configured addresses are on their interfaces, and no
 * other host on the segment answers for them (duplicate-address detection:
 * an ARP probe per RFC 5227 for IPv4, the kernel's DAD state for IPv6). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

#define DAD_WAIT_MS 300

/* IFA_F_* of /proc/net/if_inet6 */
#define V6_DADFAILED IFA_F_DADFAILED
#define V6_TENTATIVE IFA_F_TENTATIVE

/* The DAD flags of an IPv6 address from /proc/net/if_inet6, -1 if absent. */
static int v6_flags(const struct oq_prefix *a)
{
	FILE *f = fopen("/proc/net/if_inet6", "re");
	char hex[33], want[33], name[IFNAMSIZ + 1];
	unsigned idx, plen, scope, flags;
	int ret = -1;

	if (f == NULL)
		return -1;
	for (int k = 0; k < 16; k++)
		snprintf(want + 2 * k, 3, "%02x", a->addr[k]);
	while (fscanf(f, "%32s %x %x %x %x %16s", hex, &idx, &plen, &scope, &flags, name) == 6)
		if (strcmp(hex, want) == 0)
			ret = (int)flags;
	fclose(f);
	return ret;
}

struct expect {
	const char *ifname;
	const struct oq_prefix *addr;
};

PROBE_FN(address)
{
	const struct site *s = probe_ctx_site(ctx);
	struct expect ex[4];
	size_t n = 0;
	const char *missing = NULL, *dup_if = NULL;
	char dup_mac[18] = "", b[64];

	if (s->wan_mode == SITE_ADDR_STATIC && s->wan_addr.family)
		ex[n++] = (struct expect){ s->wan_if, &s->wan_addr };
	if (s->wan6_mode == SITE_ADDR6_STATIC && s->wan6_addr.family)
		ex[n++] = (struct expect){ s->wan_if, &s->wan6_addr };
	if (s->lan_addr.family)
		ex[n++] = (struct expect){ s->lan_if, &s->lan_addr };
	if (s->segment == SITE_SEGMENT_SEPARATE && s->term_addr.family && s->term_if)
		ex[n++] = (struct expect){ s->term_if, &s->term_addr };

	for (size_t k = 0; k < n; k++) {
		net_str(ex[k].addr, b);
		if (!net_addr_present(ex[k].ifname, ex[k].addr)) {
			probe_result_evidence(r, "%s: %s/%u missing", ex[k].ifname, b, ex[k].addr->len);
			if (missing == NULL)
				missing = ex[k].ifname;
			continue;
		}
		if (ex[k].addr->family == AF_INET6) {
			int fl = v6_flags(ex[k].addr);

			probe_result_evidence(r, "%s: %s/%u present, dad %s", ex[k].ifname, b,
					      ex[k].addr->len,
					      fl < 0 ? "?" : fl & V6_DADFAILED ? "failed"
					      : fl & V6_TENTATIVE ? "tentative" : "ok");
			if (fl >= 0 && (fl & V6_DADFAILED) && dup_if == NULL)
				dup_if = ex[k].ifname;
			continue;
		}
		uint8_t macs[4][6];
		uint32_t a;
		char *cause = NULL;
		int got;

		memcpy(&a, ex[k].addr->addr, 4);
		got = arp_probe(ex[k].ifname, 0, a, DAD_WAIT_MS, macs, 4, &cause);
		if (got < 0)
			probe_result_evidence(r, "%s: %s/%u present, dad not checked: %s", ex[k].ifname,
					      b, ex[k].addr->len, cause);
		else if (got == 0)
			probe_result_evidence(r, "%s: %s/%u present, dad ok (no ARP answer in %d ms)",
					      ex[k].ifname, b, ex[k].addr->len, DAD_WAIT_MS);
		for (int m = 0; m < got; m++) {
			probe_result_evidence(r, "%s: %s is also used by %s", ex[k].ifname, b,
					      mac_str(macs[m], dup_mac));
			if (dup_if == NULL)
				dup_if = ex[k].ifname;
		}
		free(cause);
	}
	probe_result_value(r, "expected", BT("確認したアドレス数", "addresses checked"), (double)n, "");
	if (dup_if != NULL)
		pr_set(r, PROBE_FAIL,
		       BT("同じアドレスを使っている機器 (根拠の MAC アドレス) を探して設定を変えるか、設定ファイルのアドレスを変えてください。",
			  "Find the device using the same address (the MAC address in the evidence) and change it, or change the address in the config."),
		       "%s のアドレスが他の機器と重複しています", "an address on %s is used by another host too",
		       dup_if);
	else if (missing != NULL)
		pr_set(r, PROBE_FAIL,
		       BT("oqlink plan で差分を確認し、oqlink apply で設定してください。",
			  "Run oqlink plan to see the difference and oqlink apply to set it."),
		       "%s に設定したアドレスがありません", "the configured address is missing on %s",
		       missing);
	else
		probe_result_set(r, PROBE_PASS, BT("設定したアドレスがすべてあり、重複はありません",
						   "every configured address is present, no duplicates"),
				 BT(NULL, NULL));
}

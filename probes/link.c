/* Probe "link": every configured interface exists, is up, has carrier, and
 * the uplink has the configured MTU. */
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"

/* Flags (with IFF_LOWER_UP) of ifname; false when it does not exist. */
static bool if_flags(const char *ifname, unsigned *flags)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (strcmp(i->ifa_name, ifname) == 0) {
			*flags = i->ifa_flags;
			found = true;
			break;
		}
	}
	freeifaddrs(ifa);
	return found;
}

static int if_mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = -1;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

PROBE_FN(link)
{
	const struct site *s = probe_ctx_site(ctx);
	const char *ifs[3] = { s->wan_if, s->lan_if,
			       s->segment == SITE_SEGMENT_SEPARATE ? s->term_if : NULL };
	enum probe_verdict verdict = PROBE_PASS;
	const char *bad = NULL;
	int bad_mtu = 0;

	for (size_t k = 0; k < ARRAY_SIZE(ifs); k++) {
		unsigned fl = 0;
		int mtu;

		if (ifs[k] == NULL || (k == 1 && s->wan_if && strcmp(ifs[k], s->wan_if) == 0))
			continue;
		if (!if_flags(ifs[k], &fl)) {
			probe_result_evidence(r, "%s: missing", ifs[k]);
			if (verdict < PROBE_FAIL)
				bad = ifs[k];
			verdict = PROBE_FAIL;
			continue;
		}
		mtu = if_mtu(ifs[k]);
		probe_result_evidence(r, "%s: %s, %s, mtu %d", ifs[k], fl & IFF_UP ? "up" : "down",
				      fl & IFF_LOWER_UP ? "carrier" : "no-carrier", mtu);
		if (!(fl & IFF_UP) || !(fl & IFF_LOWER_UP)) {
			if (verdict < PROBE_FAIL)
				bad = ifs[k];
			verdict = PROBE_FAIL;
		}
		if (k == 0) {
			probe_result_value(r, "wan_mtu", BT("WAN の MTU", "WAN MTU"), mtu, "bytes");
			if (s->wan_mtu && mtu != (int)s->wan_mtu && verdict == PROBE_PASS) {
				verdict = PROBE_WARN;
				bad_mtu = mtu;
			}
		}
	}
	if (verdict == PROBE_FAIL)
		pr_set(r, verdict,
		       BT("インターフェースの存在・ケーブル接続・リンクランプを確認し、oqlink apply で設定を反映してください。",
			  "Check that the interface exists, the cable is plugged in and the link lamp is on; run oqlink apply to configure it."),
		       "インターフェース %s が存在しないか、リンクが上がっていません",
		       "interface %s is missing, down or without carrier", bad);
	else if (verdict == PROBE_WARN)
		pr_set(r, verdict,
		       BT("oqlink apply で MTU を設定どおりにするか、設定の mtu を回線に合わせてください。",
			  "Run oqlink apply to set the MTU, or correct mtu in the config to match the line."),
		       "WAN の MTU が %d で、設定 (%u) と違います", "WAN MTU is %d, not the configured %u",
		       bad_mtu, s->wan_mtu);
	else
		probe_result_set(r, PROBE_PASS, BT("すべてのインターフェースが up でキャリアあり",
						   "every interface is up with carrier"), BT(NULL, NULL));
}

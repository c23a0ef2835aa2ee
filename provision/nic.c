/* The network ports of this box as a field engineer needs to tell them
 * apart: name, MAC, driver, link (carrier) and speed, from /sys/class/net
 * and the ethtool ioctls; and the port's LED blinking on request
 * (ETHTOOL_PHYS_ID) where the driver can. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "core/i18n.h"
#include "core/util.h"
#include "provision/provision.h"

/* A one-line attribute of /sys/class/net/NAME into buf ("" when absent). */
static void sys_attr(const char *name, const char *attr, char *buf, size_t size)
{
	char *path = xasprintf("/sys/class/net/%s/%s", name, attr);
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f != NULL) {
		if (fgets(buf, (int)size, f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	free(path);
}

/* One ethtool ioctl on name; 0 or -errno. */
static int ethtool(int fd, const char *name, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

/* Ethernet-like ports only: not the loopback, not a tunnel without a MAC. */
static bool wanted(const char *name)
{
	char type[16];

	if (name[0] == '.' || strcmp(name, "lo") == 0)
		return false;
	sys_attr(name, "type", type, sizeof(type));
	return strcmp(type, "1") == 0;	/* ARPHRD_ETHER */
}

static void nic_fill(int fd, const char *name, struct prov_nic *n)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	char buf[64];

	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	sys_attr(name, "address", n->mac, sizeof(n->mac));
	sys_attr(name, "carrier", buf, sizeof(buf));
	n->carrier = strcmp(buf, "1") == 0;
	sys_attr(name, "operstate", buf, sizeof(buf));
	n->up = strcmp(buf, "down") != 0;
	sys_attr(name, "speed", buf, sizeof(buf));
	n->speed_mbps = n->carrier && buf[0] && atoi(buf) > 0 ? atoi(buf) : -1;
	if (fd >= 0 && ethtool(fd, name, &di) == 0)
		snprintf(n->driver, sizeof(n->driver), "%s", di.driver);
}

int prov_nic_list(struct prov_nic **out, size_t *count, char **cause)
{
	struct dirent **ents = NULL;
	int m = scandir("/sys/class/net", &ents, NULL, alphasort);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	size_t n = 0;

	*out = NULL;
	*count = 0;
	if (m < 0) {
		if (fd >= 0)
			close(fd);
		return cause_set(cause, errno, _("/sys/class/net を読めません: %s", "cannot read /sys/class/net: %s"),
				 strerror(errno));
	}
	*out = xcalloc((size_t)m + 1, sizeof(**out));
	for (int i = 0; i < m; i++) {
		if (wanted(ents[i]->d_name))
			nic_fill(fd, ents[i]->d_name, &(*out)[n++]);
		free(ents[i]);
	}
	free(ents);
	if (fd >= 0)
		close(fd);
	*count = n;
	return 0;
}

int prov_nic_identify(const char *name, unsigned seconds, char **cause)
{
	struct ethtool_value id = { .cmd = ETHTOOL_PHYS_ID, .data = seconds };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return cause_set(cause, errno, "socket: %s", strerror(errno));
	if (if_nametoindex(name) == 0) {
		close(fd);
		return cause_set(cause, ENODEV, _("インターフェース %s はありません", "there is no interface %s"), name);
	}
	r = ethtool(fd, name, &id);
	close(fd);
	if (r == -EOPNOTSUPP)
		return cause_set(cause, EOPNOTSUPP,
				 _("%s のドライバはランプの点滅 (ポートの識別) に対応していません。ケーブルを挿し抜きして確かめてください",
				   "the driver of %s cannot blink the port's light; plug and unplug the cable to tell the port instead"),
				 name);
	if (r < 0)
		return cause_set(cause, -r, _("%s のランプを点滅できません: %s", "cannot blink the light of %s: %s"),
				 name, strerror(-r));
	return 0;
}

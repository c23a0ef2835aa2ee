/* Network helpers of the probes: ICMP echo over a raw socket, DNS through
 * c-ares, TCP connect with a deadline. */
#include "probes/net.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <math.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/probe.h"

/* ---- DNS ---- */

static const struct {
	int status;
	const char *rcode;
} rcodes[] = {
	{ ARES_SUCCESS, "NOERROR" },	   { ARES_ENODATA, "NODATA" },
	{ ARES_ENOTFOUND, "NXDOMAIN" },	   { ARES_ESERVFAIL, "SERVFAIL" },
	{ ARES_EREFUSED, "REFUSED" },	   { ARES_EFORMERR, "FORMERR" },
	{ ARES_ENOTIMP, "NOTIMP" },	   { ARES_ETIMEOUT, "TIMEOUT" },
	{ ARES_ECONNREFUSED, "CONNREFUSED" }, { ARES_EBADRESP, "BADRESP" },
};

const char *dns_status_rcode(int status)
{
	for (size_t i = 0; i < ARRAY_SIZE(rcodes); i++)
		if (rcodes[i].status == status)
			return rcodes[i].rcode;
	return "ERROR";
}

struct dns_cb {
	bool done;
	int64_t t0;
	struct dns_answer *out;
};

static void dns_callback(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_cb *cb = arg;
	struct ares_addrttl ttls[8];
	int n = (int)ARRAY_SIZE(ttls);

	if (cb->done)
		return;
	cb->done = true;
	cb->out->ms = net_elapsed_ms(cb->t0);
	if (status == ARES_SUCCESS &&
	    (status = ares_parse_a_reply(abuf, alen, NULL, ttls, &n)) == ARES_SUCCESS) {
		for (int i = 0; i < n; i++) {
			char a[INET_ADDRSTRLEN];
			size_t l = strlen(cb->out->addrs);

			inet_ntop(AF_INET, &ttls[i].ipaddr, a, sizeof(a));
			snprintf(cb->out->addrs + l, sizeof(cb->out->addrs) - l, "%s%s", l ? " " : "", a);
			if (i == 0) {
				cb->out->first.family = AF_INET;
				cb->out->first.len = 32;
				memcpy(cb->out->first.addr, &ttls[i].ipaddr, 4);
			}
		}
		if (n == 0)
			status = ARES_ENODATA;
	}
	cb->out->status = status;
}

int dns_query_many(const char *server, const struct oq_prefix *src, const char *const *names,
		   size_t n, int timeout_ms, struct dns_answer *out, char **cause)
{
	static bool inited;
	struct ares_options o = { 0 };
	ares_channel ch;
	struct dns_cb *cb = xcalloc(n ? n : 1, sizeof(*cb));
	int64_t t0 = net_now_us(), deadline = t0 / 1000 + timeout_ms;
	size_t pending = n;
	int st;

	memset(out, 0, n * sizeof(*out));
	if (!inited) {
		ares_library_init(ARES_LIB_INIT_ALL);
		inited = true;
	}
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
	o.timeout = timeout_ms / 2 > 0 ? timeout_ms / 2 : 1;
	o.tries = 2;
	st = ares_init_options(&ch, &o, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (st != ARES_SUCCESS) {
		free(cb);
		return cause_set(cause, ENOMEM, "c-ares: %s", ares_strerror(st));
	}
	st = ares_set_servers_csv(ch, server);
	if (st != ARES_SUCCESS) {
		ares_destroy(ch);
		free(cb);
		return cause_set(cause, EINVAL, _("DNS サーバ '%s' が不正です", "bad DNS server '%s'"),
				 server);
	}
	if (src != NULL && src->family == AF_INET) {
		uint32_t a;

		memcpy(&a, src->addr, 4);
		ares_set_local_ip4(ch, ntohl(a));
	}
	for (size_t i = 0; i < n; i++) {
		cb[i] = (struct dns_cb){ .t0 = t0, .out = &out[i] };
		out[i].status = ARES_ETIMEOUT;
		ares_query(ch, names[i], 1 /* C_IN */, 1 /* T_A */, dns_callback, &cb[i]);
	}
	while (pending > 0) {
		fd_set r, w;
		struct timeval tv, *tvp, max;
		int64_t left = deadline - net_now_us() / 1000;
		int nfds;

		if (left <= 0)
			break;
		FD_ZERO(&r);
		FD_ZERO(&w);
		nfds = ares_fds(ch, &r, &w);
		max.tv_sec = left / 1000;
		max.tv_usec = (left % 1000) * 1000;
		tvp = ares_timeout(ch, &max, &tv);
		select(nfds, &r, &w, NULL, tvp);
		ares_process(ch, &r, &w);
		pending = 0;
		for (size_t i = 0; i < n; i++)
			pending += !cb[i].done;
	}
	for (size_t i = 0; i < n; i++) {
		if (!cb[i].done)
			out[i].ms = net_elapsed_ms(t0);
		cb[i].done = true;	/* ignore the destruction callbacks */
	}
	ares_destroy(ch);
	for (size_t i = 0; i < n; i++)
		out[i].rcode = dns_status_rcode(out[i].status);
	free(cb);
	return 0;
}

int dns_query(const char *server, const struct oq_prefix *src, const char *name, int timeout_ms,
	      struct dns_answer *out, char **cause)
{
	return dns_query_many(server, src, &name, 1, timeout_ms, out, cause);
}

int net_resolve(const struct site *site, const char *host, int timeout_ms, struct oq_prefix *out,
		char **cause)
{
	struct oq_prefix src = net_terminal_source(site);
	struct dns_answer a;
	char server[64];

	if (addr_parse(host, out))
		return 0;
	for (size_t i = 0; i < site->n_dns; i++) {
		net_str(&site->dns[i], server);
		if (dns_query(server, &src, host, timeout_ms, &a, NULL) == 0 && a.first.family) {
			*out = a.first;
			return 0;
		}
	}
	return cause_set(cause, ENOENT, _("%s の名前解決に失敗しました", "could not resolve %s"),
			 host);
}

/* ---- TCP ---- */

int tcp_connect(const struct oq_prefix *src, const struct oq_prefix *dst, unsigned port,
		int timeout_ms, int *fd, double *ms, char **cause)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int s, err = 0, fl;
	int64_t t0;
	char b[64];
	struct pollfd p;

	*fd = -1;
	*ms = 0;
	s = socket(dst->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return cause_set(cause, errno, "socket: %s", i18n_strerror(errno));
	if (src != NULL && src->family == dst->family) {
		sl = net_sockaddr(src, 0, &ss);
		if (bind(s, (struct sockaddr *)&ss, sl) < 0) {
			err = errno;
			close(s);
			return cause_set(cause, err, _("送信元 %s を使えません: %s",
						       "cannot use source %s: %s"),
					 net_str(src, b), i18n_strerror(err));
		}
	}
	sl = net_sockaddr(dst, port, &ss);
	t0 = net_now_us();
	if (connect(s, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		err = errno;
	} else {
		p = (struct pollfd){ .fd = s, .events = POLLOUT };
		if (poll(&p, 1, timeout_ms) <= 0) {
			err = ETIMEDOUT;
		} else {
			socklen_t el = sizeof(err);

			getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
		}
	}
	*ms = net_elapsed_ms(t0);
	if (err) {
		close(s);
		return cause_set(cause, err, _("%s:%u に接続できません: %s", "cannot connect to %s:%u: %s"),
				 net_str(dst, b), port, i18n_strerror(err));
	}
	fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
	*fd = s;
	return 0;
}

/* ---- result helpers ---- */

void pr_set(struct probe_result *r, enum probe_verdict verdict, struct bitext remedy, const char *ja,
	    const char *en, ...)
{
	va_list ap, ap2;
	char *sja, *sen;

	va_start(ap, en);
	va_copy(ap2, ap);
	if (vasprintf(&sja, ja, ap) < 0)
		sja = NULL;
	if (vasprintf(&sen, en, ap2) < 0)
		sen = NULL;
	va_end(ap2);
	va_end(ap);
	probe_result_set(r, (enum probe_verdict)verdict, BT(sja, sen), remedy);
	free(sja);
	free(sen);
}

/* ---- ARP ---- */

const char *mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

bool arp_parse_reply(const uint8_t *pkt, size_t len, uint32_t target, const uint8_t own[6],
		     uint8_t mac[6])
{
	/* htype 1, ptype 0x0800, hlen 6, plen 4, op 2: sha[6] spa[4] tha[6] tpa[4] */
	if (len < 28 || pkt[0] != 0 || pkt[1] != 1 || pkt[2] != 0x08 || pkt[3] != 0 ||
	    pkt[4] != 6 || pkt[5] != 4 || pkt[6] != 0 || pkt[7] != 2)
		return false;
	if (memcmp(pkt + 14, &target, 4) != 0 || memcmp(pkt + 8, own, 6) == 0)
		return false;
	memcpy(mac, pkt + 8, 6);
	return true;
}

int arp_probe(const char *ifname, uint32_t sender, uint32_t target, int timeout_ms,
	      uint8_t (*macs)[6], int max, char **cause)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_ll sll = { 0 };
	uint8_t own[6], req[28], buf[256];
	int fd, n = 0, ifindex;
	int64_t deadline = net_now_us() / 1000 + timeout_ms;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return cause_set(cause, errno, "ARP: %s", i18n_strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		int e = errno;

		close(fd);
		return cause_set(cause, e, "%s: %s", ifname, i18n_strerror(e));
	}
	ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		int e = errno;

		close(fd);
		return cause_set(cause, e, "%s: %s", ifname, i18n_strerror(e));
	}
	memcpy(own, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = errno;

		close(fd);
		return cause_set(cause, e, "ARP bind %s: %s", ifname, i18n_strerror(e));
	}
	memcpy(req, (const uint8_t[]){ 0, 1, 8, 0, 6, 4, 0, 1 }, 8);
	memcpy(req + 8, own, 6);
	memcpy(req + 14, &sender, 4);
	memset(req + 18, 0, 6);
	memcpy(req + 24, &target, 4);
	for (int tries = 0; tries < 2; tries++)
		sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&sll, sizeof(sll));
	for (;;) {
		int64_t left = deadline - net_now_us() / 1000;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint8_t mac[6];
		ssize_t len;
		bool dup = false;

		if (left <= 0 || n >= max || poll(&p, 1, (int)left) <= 0)
			break;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0 || !arp_parse_reply(buf, (size_t)len, target, own, mac))
			continue;
		for (int k = 0; k < n; k++)
			dup = dup || memcmp(macs[k], mac, 6) == 0;
		if (!dup)
			memcpy(macs[n++], mac, 6);
		if (sender != 0)
			break;	/* a neighbour lookup needs one answer */
	}
	close(fd);
	return n;
}

/* ---- HTTP ---- */

bool http_status_parse(const char *buf, int *code)
{
	int c = 0;

	if (strncmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return false;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return false;
		c = c * 10 + (buf[i] - '0');
	}
	if (buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n' && buf[12] != '\0')
		return false;
	*code = c;
	return c >= 100;
}

bool http_url_parse(const char *url, char **host, unsigned *port, char **path)
{
	const char *h, *slash, *colon;
	size_t hl;

	*host = *path = NULL;
	*port = 80;
	if (strncmp(url, "http://", 7) != 0)
		return false;
	h = url + 7;
	slash = strchr(h, '/');
	hl = slash ? (size_t)(slash - h) : strlen(h);
	colon = memchr(h, ':', hl);
	if (colon != NULL) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (end != h + hl || p == 0 || p > 65535)
			return false;
		*port = (unsigned)p;
		hl = (size_t)(colon - h);
	}
	if (hl == 0)
		return false;
	*host = xstrndup(h, hl);
	*path = xstrdup(slash ? slash : "/");
	return true;
}

int http_exchange(int fd, const char *req, int timeout_ms, size_t max, char **reply, size_t *len)
{
	size_t off = 0, rl = strlen(req);
	int64_t end = now_ms() + timeout_ms;
	char *buf = xmalloc(max + 1);

	*reply = NULL;
	*len = 0;
	while (off < rl) {
		ssize_t w = send(fd, req + off, rl - off, MSG_NOSIGNAL);

		if (w <= 0) {
			free(buf);
			return -errno;
		}
		off += (size_t)w;
	}
	off = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = end - now_ms();
		ssize_t n;

		if (left <= 0 || off >= max || poll(&p, 1, (int)left) <= 0)
			break;
		n = recv(fd, buf + off, max - off, 0);
		if (n <= 0)
			break;
		off += (size_t)n;
		buf[off] = '\0';
		/* A CONNECT answer ends with its headers. */
		if (str_has_prefix(req, "CONNECT ") && strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[off] = '\0';
	*reply = buf;
	*len = off;
	return off > 0 ? 0 : -ETIMEDOUT;
}

bool net_addr_present(const char *ifname, const struct oq_prefix *a)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, ifname) != 0 ||
		    i->ifa_addr->sa_family != a->family)
			continue;
		if (a->family == AF_INET)
			found = memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, a->addr, 4) == 0;
		else
			found = memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a->addr, 16) == 0;
	}
	freeifaddrs(ifa);
	return found;
}

/* Network helpers of the probes: ICMP echo over a raw socket, DNS through
 * c-ares, TCP connect with a deadline. */
#include "probes/net.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
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
#include "probes/ipv6.h"
#include "probes/probe.h"

/* A global, usable (not tentative, not deprecated) IPv6 address on ifname,
 * one set by hand first (the terminal side's own); false when none. Read
 * over netlink, which works in the sandbox too. */
static bool if_global6(const char *ifname, struct oq_prefix *out)
{
	struct k6_addr a[16];
	size_t n = 0;
	const struct k6_addr *pick = NULL;

	if (ifname == NULL || k6_addrs(ifname, a, ARRAY_SIZE(a), &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (a[i].link_local ||
		    (a[i].flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED)))
			continue;
		if (pick == NULL || ((a[i].flags & IFA_F_PERMANENT) && !(pick->flags & IFA_F_PERMANENT)))
			pick = &a[i];
	}
	if (pick == NULL)
		return false;
	*out = pick->addr;
	out->len = 128;
	return true;
}

struct oq_prefix net_source_for(const struct site *site, int family)
{
	struct oq_prefix p = net_terminal_source(site);
	const char *ifname = site->segment == SITE_SEGMENT_SEPARATE && site->term_if
				     ? site->term_if : site->lan_if;

	if (p.family == family || family == 0)
		return p;
	memset(&p, 0, sizeof(p));
	if (family == AF_INET6)
		if_global6(ifname, &p);
	return p;
}


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
	int type;
	int64_t t0;
	struct dns_answer *out;
};

/* Append one address to an answer's list (the first also as first). */
static void dns_add(struct dns_answer *out, int family, const void *addr)
{
	char a[INET6_ADDRSTRLEN];
	size_t l = strlen(out->addrs);

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(out->addrs + l, sizeof(out->addrs) - l, "%s%s", l ? " " : "", a);
	if (out->first.family == 0) {
		out->first.family = family;
		out->first.len = family == AF_INET ? 32 : 128;
		memcpy(out->first.addr, addr, family == AF_INET ? 4 : 16);
	}
}

/* The addresses of an A or AAAA answer; a c-ares status. */
static int dns_parse_addrs(int type, const unsigned char *abuf, int alen, struct dns_answer *out)
{
	int n, st;

	if (type == DNS_T_AAAA) {
		struct ares_addr6ttl t6[8];

		n = (int)ARRAY_SIZE(t6);
		st = ares_parse_aaaa_reply(abuf, alen, NULL, t6, &n);
		for (int i = 0; st == ARES_SUCCESS && i < n; i++)
			dns_add(out, AF_INET6, &t6[i].ip6addr);
	} else {
		struct ares_addrttl t4[8];

		n = (int)ARRAY_SIZE(t4);
		st = ares_parse_a_reply(abuf, alen, NULL, t4, &n);
		for (int i = 0; st == ARES_SUCCESS && i < n; i++)
			dns_add(out, AF_INET, &t4[i].ipaddr);
	}
	return st == ARES_SUCCESS && n == 0 ? ARES_ENODATA : st;
}

static void dns_callback(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_cb *cb = arg;

	(void)timeouts;
	if (cb->done)
		return;
	cb->done = true;
	cb->out->ms = net_elapsed_ms(cb->t0);
	if (abuf != NULL && alen >= 12) {
		cb->out->size = (size_t)alen;
		cb->out->truncated = (abuf[2] & 0x02) != 0;
	}
	if (status == ARES_SUCCESS)
		status = dns_parse_addrs(cb->type, abuf, alen, cb->out);
	cb->out->status = status;
}

/* A channel for one job: its server, source and transport. */
static int dns_channel(const struct dns_job *job, int timeout_ms, ares_channel *ch, char **cause)
{
	static bool inited;
	struct ares_options o = { 0 };
	int st, mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;

	if (!inited) {
		ares_library_init(ARES_LIB_INIT_ALL);
		inited = true;
	}
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP;
	if (job->via == DNS_VIA_UDP || job->via == DNS_VIA_EDNS)
		o.flags |= ARES_FLAG_IGNTC;	/* a truncated answer is the result */
	if (job->via == DNS_VIA_EDNS) {
		o.flags |= ARES_FLAG_EDNS;
		o.ednspsz = DNS_EDNS_SIZE;
		mask |= ARES_OPT_EDNSPSZ;
	}
	if (job->via == DNS_VIA_TCP)
		o.flags |= ARES_FLAG_USEVC;
	o.timeout = timeout_ms / 2 > 0 ? timeout_ms / 2 : 1;
	o.tries = 2;
	st = ares_init_options(ch, &o, mask);
	if (st != ARES_SUCCESS)
		return cause_set(cause, ENOMEM, "c-ares: %s", ares_strerror(st));
	if (ares_set_servers_csv(*ch, job->server) != ARES_SUCCESS) {
		ares_destroy(*ch);
		return cause_set(cause, EINVAL, _("DNS サーバ '%s' が不正です", "bad DNS server '%s'"),
				 job->server);
	}
	if (job->src != NULL && job->src->family == AF_INET) {
		uint32_t a;

		memcpy(&a, job->src->addr, 4);
		ares_set_local_ip4(*ch, ntohl(a));
	} else if (job->src != NULL && job->src->family == AF_INET6) {
		ares_set_local_ip6(*ch, job->src->addr);
	}
	return 0;
}

int dns_run(const struct dns_job *jobs, size_t n_jobs, int timeout_ms, char **cause)
{
	ares_channel *ch = xcalloc(n_jobs ? n_jobs : 1, sizeof(*ch));
	size_t total = 0, pending, k, made = 0;
	struct dns_cb **cb = xcalloc(n_jobs ? n_jobs : 1, sizeof(*cb));
	int64_t t0 = net_now_us(), deadline = t0 / 1000 + timeout_ms;
	int ret = 0;

	for (k = 0; k < n_jobs; k++) {
		memset(jobs[k].out, 0, jobs[k].n * sizeof(*jobs[k].out));
		for (size_t i = 0; i < jobs[k].n; i++) {
			jobs[k].out[i].status = ARES_ETIMEOUT;
			jobs[k].out[i].rcode = dns_status_rcode(ARES_ETIMEOUT);
			jobs[k].out[i].type = jobs[k].q[i].type;
			jobs[k].out[i].via = jobs[k].via;
		}
	}
	for (k = 0; k < n_jobs; k++, made++) {
		ret = dns_channel(&jobs[k], timeout_ms, &ch[k], cause);
		if (ret < 0)
			goto out;
		cb[k] = xcalloc(jobs[k].n ? jobs[k].n : 1, sizeof(**cb));
		for (size_t i = 0; i < jobs[k].n; i++) {
			cb[k][i] = (struct dns_cb){ .t0 = t0, .type = jobs[k].q[i].type,
						    .out = &jobs[k].out[i] };
			ares_query(ch[k], jobs[k].q[i].name, 1 /* C_IN */, jobs[k].q[i].type,
				   dns_callback, &cb[k][i]);
		}
		total += jobs[k].n;
	}
	pending = total;
	while (pending > 0) {
		fd_set r, w;
		struct timeval tv, *tvp, max;
		int64_t left = deadline - net_now_us() / 1000;
		int nfds = 0;

		if (left <= 0)
			break;
		FD_ZERO(&r);
		FD_ZERO(&w);
		max.tv_sec = left / 1000;
		max.tv_usec = (left % 1000) * 1000;
		for (k = 0; k < n_jobs; k++) {
			int f = ares_fds(ch[k], &r, &w);

			if (f > nfds)
				nfds = f;
			tvp = ares_timeout(ch[k], &max, &tv);
			max = *tvp;
		}
		select(nfds, &r, &w, NULL, &max);
		pending = 0;
		for (k = 0; k < n_jobs; k++) {
			ares_process(ch[k], &r, &w);
			for (size_t i = 0; i < jobs[k].n; i++)
				pending += !cb[k][i].done;
		}
	}
out:
	for (k = 0; k < made; k++) {
		for (size_t i = 0; i < jobs[k].n; i++) {
			if (!cb[k][i].done)
				jobs[k].out[i].ms = net_elapsed_ms(t0);
			cb[k][i].done = true;	/* ignore the destruction callbacks */
		}
		ares_destroy(ch[k]);
		for (size_t i = 0; i < jobs[k].n; i++)
			jobs[k].out[i].rcode = dns_status_rcode(jobs[k].out[i].status);
		free(cb[k]);
	}
	free(cb);
	free(ch);
	return ret;
}

int dns_query_many(const char *server, const struct oq_prefix *src, const char *const *names,
		   size_t n, int timeout_ms, struct dns_answer *out, char **cause)
{
	struct dns_question *q = xcalloc(n ? n : 1, sizeof(*q));
	struct dns_job job = { server, src, DNS_VIA_AUTO, q, n, out };
	int ret;

	for (size_t i = 0; i < n; i++)
		q[i] = (struct dns_question){ names[i], DNS_T_A };
	ret = dns_run(&job, 1, timeout_ms, cause);
	free(q);
	return ret;
}

bool dns_complete(const struct dns_answer *a)
{
	return a != NULL && a->size > 0 && !a->truncated;
}

enum dns_need dns_classify(const struct dns_answer *edns, const struct dns_answer *tcp,
			   const struct dns_answer *udp)
{
	if (dns_complete(edns))
		return edns->size > DNS_PLAIN_SIZE ? DNS_NEED_EDNS : DNS_NEED_UDP;
	if (dns_complete(tcp))
		return DNS_NEED_TCP;
	if ((edns != NULL && edns->truncated) || (udp != NULL && udp->truncated))
		return DNS_NEED_LOST;
	return DNS_NEED_NONE;
}

int dns_query(const char *server, const struct oq_prefix *src, const char *name, int timeout_ms,
	      struct dns_answer *out, char **cause)
{
	return dns_query_many(server, src, &name, 1, timeout_ms, out, cause);
}

int net_resolve(const struct site *site, const char *host, int timeout_ms, struct oq_prefix *out,
		char **cause)
{
	const struct dns_question q[2] = { { host, DNS_T_A }, { host, DNS_T_AAAA } };
	struct dns_answer a[2];
	char server[64];

	if (addr_parse(host, out))
		return 0;
	for (size_t i = 0; i < site->n_dns; i++) {
		struct oq_prefix src = net_source_for(site, site->dns[i].family);
		struct dns_job job = { server, &src, DNS_VIA_AUTO, q, 2, a };

		net_str(&site->dns[i], server);
		if (dns_run(&job, 1, timeout_ms, NULL) < 0)
			continue;
		/* The family of the line first: IPv6 on an IPv6 line. */
		for (size_t k = 0; k < 2; k++) {
			const struct dns_answer *pick = &a[site_uses_ipv6(site) ? 1 - k : k];

			if (pick->first.family) {
				*out = pick->first;
				return 0;
			}
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
	if ((s = net_bind_source(s, src, dst->family, cause)) < 0)
		return s;
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

int net_connect(const struct site *site, const struct oq_prefix *dst, unsigned port,
		int timeout_ms, int *fd, double *ms, char **cause)
{
	struct oq_prefix src = net_source_for(site, dst->family);

	return tcp_connect(src.family ? &src : NULL, dst, port, timeout_ms, fd, ms, cause);
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
	if (*h == '[') {	/* "[2001:db8::1]:8080": the address without brackets */
		const char *close = memchr(h, ']', hl);

		if (close == NULL || close == h + 1 || (close[1] != ':' && close + 1 != h + hl))
			return false;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (colon != NULL) {
			char *end;
			unsigned long p = strtoul(colon + 1, &end, 10);

			if (end != h + hl || p == 0 || p > 65535)
				return false;
			*port = (unsigned)p;
		}
		*host = xstrndup(h + 1, (size_t)(close - h - 1));
		*path = xstrdup(slash ? slash : "/");
		return true;
	}
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

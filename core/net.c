/* Network helpers below the modules that send packets: addresses, the
 * Internet checksum, and ICMPv4 echo series over a raw or a ping socket. */
#include "core/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"

int64_t net_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double net_elapsed_ms(int64_t start_us)
{
	return (double)(net_now_us() - start_us) / 1000.0;
}

const char *net_str(const struct oq_prefix *a, char buf[64])
{
	if (a->family == 0)
		return strcpy(buf, "-");
	return prefix_str(a, buf, true);
}

socklen_t net_sockaddr(const struct oq_prefix *a, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	memcpy(&s4->sin_addr, a->addr, 4);
	return sizeof(*s4);
}

struct oq_prefix net_terminal_source(const struct site *site)
{
	struct oq_prefix p = site->segment == SITE_SEGMENT_SEPARATE && site->term_addr.family
				     ? site->term_addr : site->lan_addr;

	p.len = p.family == AF_INET6 ? 128 : 32;
	return p;
}

/* ---- ICMP ---- */

uint16_t inet_cksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

size_t icmp4_build_echo(uint8_t *buf, size_t len, uint16_t id, uint16_t seq)
{
	if (len < 8)
		len = 8;
	memset(buf, 0, len);
	buf[0] = ICMP_ECHO;
	buf[4] = (uint8_t)(id >> 8);
	buf[5] = (uint8_t)id;
	buf[6] = (uint8_t)(seq >> 8);
	buf[7] = (uint8_t)seq;
	for (size_t i = 8; i < len; i++)
		buf[i] = (uint8_t)('a' + i % 26);
	uint16_t c = inet_cksum(buf, len);
	memcpy(buf + 2, &c, 2);
	return len;
}

bool icmp4_parse(const uint8_t *pkt, size_t len, struct icmp_parsed *out)
{
	size_t ihl;
	const uint8_t *icmp;

	memset(out, 0, sizeof(*out));
	if (len < 20 || (pkt[0] >> 4) != 4)
		return false;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < 20 || len < ihl + 8 || pkt[9] != IPPROTO_ICMP)
		return false;
	memcpy(&out->from, pkt + 12, 4);
	icmp = pkt + ihl;
	len -= ihl;
	out->type = icmp[0];
	out->code = icmp[1];
	if (icmp[0] == ICMP_ECHOREPLY) {
		out->kind = ICMP_K_REPLY;
		out->id = (uint16_t)(icmp[4] << 8 | icmp[5]);
		out->seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
		return true;
	}
	if (icmp[0] == ICMP_DEST_UNREACH || icmp[0] == ICMP_TIME_EXCEEDED) {
		const uint8_t *in = icmp + 8;
		size_t inlen = len - 8, iihl;

		if (inlen < 20 || (in[0] >> 4) != 4)
			return false;
		iihl = (size_t)(in[0] & 0x0f) * 4;
		if (iihl < 20 || inlen < iihl + 8 || in[9] != IPPROTO_ICMP || in[iihl] != ICMP_ECHO)
			return false;
		out->kind = ICMP_K_ERROR;
		out->id = (uint16_t)(in[iihl + 4] << 8 | in[iihl + 5]);
		out->seq = (uint16_t)(in[iihl + 6] << 8 | in[iihl + 7]);
		if (icmp[0] == ICMP_DEST_UNREACH && icmp[1] == ICMP_FRAG_NEEDED)
			out->next_mtu = (uint16_t)(icmp[6] << 8 | icmp[7]);
		return true;
	}
	out->kind = ICMP_K_OTHER;
	return true;
}

void ping_stats_compute(const double *rtt, size_t n, struct ping_stats *st)
{
	double sum = 0, jsum = 0, prev = -1;
	unsigned jn = 0;

	st->sent = (unsigned)n;
	st->received = 0;
	st->min_ms = st->max_ms = st->avg_ms = st->jitter_ms = 0;
	for (size_t i = 0; i < n; i++) {
		if (rtt[i] < 0)
			continue;
		if (st->received == 0 || rtt[i] < st->min_ms)
			st->min_ms = rtt[i];
		if (rtt[i] > st->max_ms)
			st->max_ms = rtt[i];
		sum += rtt[i];
		if (prev >= 0) {
			jsum += fabs(rtt[i] - prev);
			jn++;
		}
		prev = rtt[i];
		st->received++;
	}
	st->loss_pct = n ? 100.0 * (double)(n - st->received) / (double)n : 0;
	if (st->received)
		st->avg_ms = sum / st->received;
	if (jn)
		st->jitter_ms = jsum / jn;
}

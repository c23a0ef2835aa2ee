#include "core/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int addr_bytes(int family) { return family == AF_INET ? 4 : 16; }

bool addr_parse(const char *s, struct oq_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->family = AF_INET;
		out->len = 32;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->addr) == 1) {
		out->family = AF_INET6;
		out->len = 128;
		return true;
	}
	memset(out, 0, sizeof(*out));
	return false;
}

bool prefix_parse(const char *s, struct oq_prefix *out)
{
	const char *slash = strchr(s, '/');
	char host[64];
	char *end;
	long len;

	if (slash == NULL)
		return addr_parse(s, out);
	if ((size_t)(slash - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	if (!addr_parse(host, out))
		return false;
	if (slash[1] < '0' || slash[1] > '9')
		return false;
	len = strtol(slash + 1, &end, 10);
	if (*end != '\0' || len < 0 || len > addr_bytes(out->family) * 8 ||
	    (slash[1] == '0' && slash[2] != '\0')) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	out->len = (uint8_t)len;
	return true;
}

char *prefix_str(const struct oq_prefix *p, char *buf, bool full_if_host)
{
	char a[INET6_ADDRSTRLEN];

	if (p->family == 0) {
		strcpy(buf, "-");
		return buf;
	}
	inet_ntop(p->family, p->addr, a, sizeof(a));
	if (full_if_host && p->len == addr_bytes(p->family) * 8)
		snprintf(buf, 64, "%s", a);
	else
		snprintf(buf, 64, "%s/%u", a, p->len);
	return buf;
}

struct oq_prefix prefix_network(const struct oq_prefix *p)
{
	struct oq_prefix n = *p;
	int bytes = addr_bytes(p->family);

	for (int i = 0; i < bytes; i++) {
		int bits = p->len - i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		n.addr[i] &= mask;
	}
	return n;
}

/* Compare the first len bits of two addresses. */
static bool same_bits(const uint8_t *a, const uint8_t *b, int len)
{
	int full = len / 8, rest = len % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

bool prefix_contains(const struct oq_prefix *net, const struct oq_prefix *a)
{
	if (net->family != a->family || a->len < net->len)
		return false;
	return same_bits(net->addr, a->addr, net->len);
}

bool prefix_overlaps(const struct oq_prefix *a, const struct oq_prefix *b)
{
	if (a->family != b->family)
		return false;
	return same_bits(a->addr, b->addr, a->len < b->len ? a->len : b->len);
}

bool prefix_is_network_or_broadcast(const struct oq_prefix *p)
{
	if (p->family != AF_INET || p->len >= 31)
		return false;
	uint32_t v = ((uint32_t)p->addr[0] << 24) | ((uint32_t)p->addr[1] << 16) |
		     ((uint32_t)p->addr[2] << 8) | p->addr[3];
	uint32_t host = p->len == 0 ? 0xffffffffu : (0xffffffffu >> p->len);
	return (v & host) == 0 || (v & host) == host;
}

bool prefix_equal(const struct oq_prefix *a, const struct oq_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, (size_t)addr_bytes(a->family ? a->family : AF_INET)) == 0;
}

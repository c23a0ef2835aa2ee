/* The pure parts of the probes over IPv6: how a DNS answer came back,
 * ICMPv6 echo and errors, router advertisements, the line's prefix and its
 * comparison with the recorded one. */
#include <linux/if_addr.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/addr.h"
#include "probes/ipv6.h"
#include "probes/net.h"

/* An answer of size bytes (0: none came), with TC as given. */
static struct dns_answer ans(size_t size, bool tc)
{
	struct dns_answer a;

	memset(&a, 0, sizeof(a));
	a.size = size;
	a.truncated = tc;
	return a;
}

static void test_dns_classify(void **state)
{
	static const struct {
		size_t edns;
		bool edns_tc;
		int tcp;		/* -1: not asked, else size */
		int udp;		/* -1: not asked, else size (truncated when > 0) */
		enum dns_need want;
	} t[] = {
		{ 100, false, -1, -1, DNS_NEED_UDP },
		{ 512, false, -1, -1, DNS_NEED_UDP },
		{ 513, false, -1, -1, DNS_NEED_EDNS },
		{ 1170, false, -1, -1, DNS_NEED_EDNS },
		{ 0, false, 1170, 487, DNS_NEED_TCP },		/* large UDP dropped */
		{ 1232, true, 3000, 500, DNS_NEED_TCP },	/* larger than EDNS offers */
		{ 0, false, 0, 487, DNS_NEED_LOST },		/* and TCP 53 dropped */
		{ 1232, true, 0, -1, DNS_NEED_LOST },		/* truncated with EDNS too */
		{ 0, false, 0, 0, DNS_NEED_NONE },		/* nothing at all */
		{ 0, false, -1, -1, DNS_NEED_NONE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct dns_answer e = ans(t[i].edns, t[i].edns_tc);
		struct dns_answer tcp = ans(t[i].tcp > 0 ? (size_t)t[i].tcp : 0, false);
		struct dns_answer udp = ans(t[i].udp > 0 ? (size_t)t[i].udp : 0, t[i].udp > 0);

		if (dns_classify(&e, t[i].tcp < 0 ? NULL : &tcp, t[i].udp < 0 ? NULL : &udp) !=
		    t[i].want)
			fail_msg("case %zu: got %d, want %d", i,
				 dns_classify(&e, t[i].tcp < 0 ? NULL : &tcp,
					      t[i].udp < 0 ? NULL : &udp), t[i].want);
	}
	assert_false(dns_complete(NULL));
}

/* An ICMPv6 error of type and code quoting an echo request (id, seq) in an
 * IPv6 header whose next header is nh; returns the length. */
static size_t icmp6_error(uint8_t *m, uint8_t type, uint8_t code, uint32_t mtu, uint8_t nh,
			  uint16_t id, uint16_t seq)
{
	memset(m, 0, 8 + 40 + 16);
	m[0] = type;
	m[1] = code;
	m[4] = (uint8_t)(mtu >> 24);
	m[5] = (uint8_t)(mtu >> 16);
	m[6] = (uint8_t)(mtu >> 8);
	m[7] = (uint8_t)mtu;
	m[8] = 0x60;		/* version 6 */
	m[8 + 6] = nh;
	icmp6_build_echo(m + 8 + 40, 16, id, seq);
	return 8 + 40 + 16;
}

static void test_icmp6(void **state)
{
	uint8_t m[128];
	struct icmp_parsed ip;
	size_t len;

	(void)state;
	/* An echo request built here and read back as the reply it becomes. */
	len = icmp6_build_echo(m, 64, 0x1234, 7);
	assert_int_equal(len, 64);
	assert_int_equal(m[0], 128);
	m[0] = 129;
	assert_true(icmp6_parse(m, len, &ip));
	assert_int_equal(ip.kind, ICMP_K_REPLY);
	assert_int_equal(ip.id, 0x1234);
	assert_int_equal(ip.seq, 7);
	assert_int_equal(ip.family, AF_INET6);
	assert_int_equal(icmp6_build_echo(m, 3, 1, 1), 8);	/* never shorter than the header */

	/* Packet Too Big: the MTU and the quoted echo. */
	len = icmp6_error(m, 2, 0, 1400, 58, 0x4321, 300);
	assert_true(icmp6_parse(m, len, &ip));
	assert_int_equal(ip.kind, ICMP_K_ERROR);
	assert_int_equal(ip.next_mtu, 1400);
	assert_int_equal(ip.id, 0x4321);
	assert_int_equal(ip.seq, 300);
	/* Unreachable and time exceeded carry no MTU. */
	len = icmp6_error(m, 1, 3, 0, 58, 1, 2);
	assert_true(icmp6_parse(m, len, &ip));
	assert_int_equal(ip.kind, ICMP_K_ERROR);
	assert_int_equal(ip.next_mtu, 0);
	assert_int_equal(ip.type, 1);
	assert_int_equal(ip.code, 3);
	len = icmp6_error(m, 3, 0, 0, 58, 1, 2);
	assert_true(icmp6_parse(m, len, &ip));
	assert_int_equal(ip.kind, ICMP_K_ERROR);
	/* An MTU beyond 16 bits is capped, not wrapped. */
	len = icmp6_error(m, 2, 0, 70000, 58, 1, 2);
	assert_true(icmp6_parse(m, len, &ip));
	assert_int_equal(ip.next_mtu, 0xffff);

	/* Not ours: a quote of UDP, of an echo reply, cut short, not IPv6. */
	len = icmp6_error(m, 2, 0, 1400, 17, 1, 2);
	assert_false(icmp6_parse(m, len, &ip));
	len = icmp6_error(m, 2, 0, 1400, 58, 1, 2);
	m[8 + 40] = 129;
	assert_false(icmp6_parse(m, len, &ip));
	len = icmp6_error(m, 2, 0, 1400, 58, 1, 2);
	assert_false(icmp6_parse(m, len - 9, &ip));
	m[8] = 0x40;
	assert_false(icmp6_parse(m, len, &ip));
	assert_false(icmp6_parse(m, 7, &ip));
	/* Anything else is read but is no reply or error (a router advert). */
	m[0] = 134;
	assert_true(icmp6_parse(m, 16, &ip));
	assert_int_equal(ip.kind, ICMP_K_OTHER);
}

/* A router advertisement with router lifetime lt, an MTU option and one
 * prefix option; returns the length. */
static size_t ra_build(uint8_t *m, unsigned lt)
{
	static const uint8_t prefix[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x0a };

	memset(m, 0, 16 + 8 + 32);
	m[0] = 134;
	m[5] = 0x80;			/* M */
	m[6] = (uint8_t)(lt >> 8);
	m[7] = (uint8_t)lt;
	m[16] = 5;			/* MTU */
	m[17] = 1;
	m[22] = 0x05;
	m[23] = 0xdc;			/* 1500 */
	m[24] = 3;			/* prefix information */
	m[25] = 4;
	m[26] = 64;
	m[27] = 0xc0;			/* L and A */
	m[28 + 1] = 0x01;		/* valid 0x00015180 = 86400 */
	m[28 + 2] = 0x51;
	m[28 + 3] = 0x80;
	m[32 + 3] = 100;		/* preferred 100 */
	memcpy(m + 24 + 16, prefix, 16);
	return 16 + 8 + 32;
}

static void test_ra_parse(void **state)
{
	uint8_t m[128];
	struct ra_info ra;
	size_t len = ra_build(m, 1800);
	char b[64];

	(void)state;
	assert_true(ra_parse(m, len, &ra));
	assert_int_equal(ra.lifetime_s, 1800);
	assert_true(ra.managed);
	assert_false(ra.other);
	assert_int_equal(ra.mtu, 1500);
	assert_int_equal(ra.n_prefix, 1);
	assert_string_equal(prefix_str(&ra.prefix[0].prefix, b, false), "2001:db8:a::/64");
	assert_true(ra.prefix[0].autonomous);
	assert_int_equal(ra.prefix[0].valid_s, 86400);
	assert_int_equal(ra.prefix[0].preferred_s, 100);
	/* The RA lost: lifetime 0 is read as such. */
	len = ra_build(m, 0);
	assert_true(ra_parse(m, len, &ra));
	assert_int_equal(ra.lifetime_s, 0);
	/* Malformed: an option of length 0, one running past the end, too
	 * short, not an RA. */
	len = ra_build(m, 1800);
	m[17] = 0;
	assert_false(ra_parse(m, len, &ra));
	len = ra_build(m, 1800);
	assert_false(ra_parse(m, len - 8, &ra));
	assert_false(ra_parse(m, 15, &ra));
	m[0] = 133;
	assert_false(ra_parse(m, len, &ra));
}

/* An address "a/len" with flags and valid lifetime. */
static struct k6_addr ka(const char *a, unsigned flags, uint32_t valid)
{
	struct k6_addr k;

	memset(&k, 0, sizeof(k));
	assert_true(prefix_parse(a, &k.addr));
	k.flags = flags;
	k.link_local = strncmp(a, "fe80:", 5) == 0;
	k.valid_s = k.preferred_s = valid;
	return k;
}

static void test_line6_derive(void **state)
{
	struct k6_addr ll = ka("fe80::1/64", IFA_F_PERMANENT, K6_FOREVER);
	struct k6_addr slaac = ka("2001:db8:a::5054:ff:fe00:1/64", 0, 86400);
	struct k6_addr fixed = ka("2001:db8:1::2/64", IFA_F_PERMANENT, K6_FOREVER);
	struct k6_addr dup = ka("2001:db8:b::2/64", IFA_F_DADFAILED, 86400);
	struct k6_addr pd_term = ka("2001:db8:c:1::1/64", 0, 7200);
	struct k6_addr proxy_term = ka("2001:db8:a::1/64", 0, 86400);
	struct k6_addr fixed_term = ka("2001:db8:20::1/64", IFA_F_PERMANENT, K6_FOREVER);
	struct k6_route unreach = { .type = 7 };
	struct k6_addr wan[3], term[1];
	struct line6 l;
	char b[64];

	(void)state;
	assert_true(prefix_parse("2001:db8:c::/56", &unreach.dst));
	/* RA only: the WAN's learnt /64, before one set by hand. */
	wan[0] = ll, wan[1] = fixed, wan[2] = slaac;
	line6_derive(wan, 3, NULL, 0, NULL, 0, &l);
	assert_int_equal(l.origin, LINE6_RA);
	assert_string_equal(prefix_str(&l.prefix, b, false), "2001:db8:a::/64");
	/* RA with the same /64 on the terminal side (ND proxy): still RA. */
	term[0] = proxy_term;
	line6_derive(wan, 3, term, 1, NULL, 0, &l);
	assert_int_equal(l.origin, LINE6_RA);
	/* DHCPv6-PD: the delegated /56 the client routes away. */
	term[0] = pd_term;
	line6_derive(wan, 3, term, 1, &unreach, 1, &l);
	assert_int_equal(l.origin, LINE6_PD);
	assert_string_equal(prefix_str(&l.prefix, b, false), "2001:db8:c::/56");
	/* without that route: the terminal side's learnt /64 */
	line6_derive(wan, 3, term, 1, NULL, 0, &l);
	assert_int_equal(l.origin, LINE6_PD);
	assert_string_equal(prefix_str(&l.prefix, b, false), "2001:db8:c:1::/64");
	/* Static: only addresses set by hand. */
	wan[1] = fixed;
	term[0] = fixed_term;
	line6_derive(&wan[1], 1, term, 1, NULL, 0, &l);
	assert_int_equal(l.origin, LINE6_STATIC);
	assert_string_equal(prefix_str(&l.prefix, b, false), "2001:db8:1::/64");
	/* A new prefix by RA with the old one deprecated: the new one. */
	wan[0] = ka("2001:db8:a::5054:ff:fe00:1/64", IFA_F_DEPRECATED, 86400);
	wan[1] = ka("2001:db8:b::5054:ff:fe00:1/64", 0, 86400);
	line6_derive(wan, 2, NULL, 0, NULL, 0, &l);
	assert_string_equal(prefix_str(&l.prefix, b, false), "2001:db8:b::/64");
	line6_derive(wan, 1, NULL, 0, NULL, 0, &l);	/* only the old one left */
	assert_string_equal(prefix_str(&l.prefix, b, false), "2001:db8:a::/64");
	/* A failed DAD and link-local only: no prefix. */
	wan[0] = ll, wan[1] = dup;
	line6_derive(wan, 2, NULL, 0, NULL, 0, &l);
	assert_int_equal(l.origin, LINE6_NONE);
	assert_int_equal(l.prefix.family, 0);
	assert_string_equal(line6_origin_name(LINE6_PD), "DHCPv6-PD");
}

static void test_line6_prefix_compare(void **state)
{
	struct oq_prefix now, old;
	char b[64];

	(void)state;
	assert_true(prefix_parse("2001:db8:a::/64", &now));
	assert_int_equal(line6_prefix_compare("2001:db8:a::/64\n", &now, &old), 0);
	assert_int_equal(line6_prefix_compare("2001:db8:b::/64\n", &now, &old), 1);
	assert_string_equal(prefix_str(&old, b, false), "2001:db8:b::/64");
	/* the same network, another length: changed (RA /64 to a PD /56) */
	assert_int_equal(line6_prefix_compare("2001:db8:a::/56", &now, &old), 1);
	/* nothing to compare with */
	assert_int_equal(line6_prefix_compare(NULL, &now, &old), -1);
	assert_int_equal(line6_prefix_compare("", &now, &old), -1);
	assert_int_equal(line6_prefix_compare("garbage\n", &now, &old), -1);
	assert_int_equal(line6_prefix_compare("192.0.2.0/24\n", &now, &old), -1);
	assert_int_equal(old.family, 0);
}

static void test_http_url6(void **state)
{
	static const struct {
		const char *url;
		bool ok;
		const char *host;
		unsigned port;
		const char *path;
	} t[] = {
		{ "http://[2001:db8::20]/", true, "2001:db8::20", 80, "/" },
		{ "http://[2001:db8::20]:8080/auth?x=1", true, "2001:db8::20", 8080, "/auth?x=1" },
		{ "http://[2001:db8::20]", true, "2001:db8::20", 80, "/" },
		{ "http://[2001:db8::20/", false, NULL, 0, NULL },
		{ "http://[]/", false, NULL, 0, NULL },
		{ "http://[2001:db8::20]x/", false, NULL, 0, NULL },
		{ "http://[2001:db8::20]:0/", false, NULL, 0, NULL },
		{ "http://[2001:db8::20]:99999/", false, NULL, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *host = NULL, *path = NULL;
		unsigned port = 0;

		if (http_url_parse(t[i].url, &host, &port, &path) != t[i].ok)
			fail_msg("%s: want %s", t[i].url, t[i].ok ? "ok" : "refused");
		if (t[i].ok) {
			assert_string_equal(host, t[i].host);
			assert_int_equal(port, t[i].port);
			assert_string_equal(path, t[i].path);
		}
		free(host);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_classify),
		cmocka_unit_test(test_icmp6),
		cmocka_unit_test(test_ra_parse),
		cmocka_unit_test(test_line6_derive),
		cmocka_unit_test(test_line6_prefix_compare),
		cmocka_unit_test(test_http_url6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The pure parts of the probes over IPv6: how a DNS answer came back,
 * ICMPv6 echo and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_classify),
		cmocka_unit_test(test_icmp6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

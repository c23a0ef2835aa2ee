/* The pure parts of the probes over IPv6: how a DNS answer came back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

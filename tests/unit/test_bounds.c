/* The edges of the site config: every numeric range, length and port at
 * its limits and one step beyond (at, just inside, just outside), and the
 * address checks with the nearest case that passes next to each one that
 * must fail, so that a check that is off by one or gone shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/site.h"
#include "core/util.h"

/* A valid IPsec site with a separate terminal segment, one line a key. */
static const char *const base[][3] = {
	{ "site", "facility_code", "1312345678" },
	{ "site", "facility_name", "x" },
	{ "uplink", "type", "ipsec" },
	{ "uplink", "interface", "wan0" },
	{ "uplink", "address", "198.51.100.2/24" },
	{ "uplink", "gateway", "198.51.100.1" },
	{ "uplink", "mtu", "9000" },
	{ "ipsec", "peer", "203.0.113.1" },
	{ "ipsec", "auth", "psk" },
	{ "ipsec", "psk_file", "/etc/oqlink/psk" },
	{ "ipsec", "local_id", "clinic@example" },
	{ "ipsec", "remote_id", "gw.example" },
	{ "ipsec", "tunnel_mtu", "1280" },
	{ "lan", "interface", "lan0" },
	{ "lan", "address", "192.168.10.1/24" },
	{ "terminal", "segment", "separate" },
	{ "terminal", "interface", "term0" },
	{ "terminal", "address", "192.168.20.1/24" },
	{ "terminal", "host", "192.168.20.10" },
	{ "central", "prefixes", "192.0.2.0/24" },
};

/* The base site with section.key set to value (replaced or added); value
 * NULL leaves the base as it is. With ipvpn, an IP-VPN line instead: no
 * [ipsec] and no tunnel MTU to bound the line's MTU from below. */
static char *site_with(bool ipvpn, const char *section, const char *key, const char *value)
{
	static const char *const sections[] = { "site", "uplink", "ipsec", "ipvpn", "lan", "terminal",
						"central", "probe", "monitor", "paths" };
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		bool done = false;
		if (ipvpn && strcmp(sections[s], "ipsec") == 0)
			continue;
		fprintf(f, "[%s]\n", sections[s]);
		if (ipvpn && strcmp(sections[s], "ipvpn") == 0)
			fputs("ce_router = 198.51.100.1\n", f);
		for (size_t i = 0; i < ARRAY_SIZE(base); i++) {
			if (strcmp(base[i][0], sections[s]) != 0)
				continue;
			bool here = value && strcmp(section, sections[s]) == 0 && strcmp(key, base[i][1]) == 0;
			const char *v = here ? value : base[i][2];
			if (ipvpn && strcmp(base[i][1], "type") == 0)
				v = "ipvpn";
			fprintf(f, "%s = %s\n", base[i][1], v);
			done |= here;
		}
		if (value && !done && strcmp(section, sections[s]) == 0)
			fprintf(f, "%s = %s\n", key, value);
	}
	fclose(f);
	return out;
}

/* Does the site load with section.key = value? Its diagnostics are printed
 * when that is not what the caller expects (want). */
static bool loads_in(bool ipvpn, const char *section, const char *key, const char *value, bool want)
{
	char *text = site_with(ipvpn, section, key, value);
	struct site_diags d = { 0 };
	struct site *s = site_load_string("t.conf", text, false, &d);
	bool ok = s != NULL;

	if (ok != want)
		for (size_t i = 0; i < d.n; i++)
			print_message("# %u:%u: %s\n", d.v[i].line, d.v[i].col, d.v[i].message);
	site_free(s);
	site_diags_free(&d);
	free(text);
	return ok;
}

#define loads_want(section, key, value, want) loads_in(false, section, key, value, want)
#define loads(section, key, value) loads_want(section, key, value, true)
#define refused(section, key, value) (!loads_want(section, key, value, false))

static void test_base_loads(void **state)
{
	(void)state;
	assert_true(loads(NULL, NULL, NULL));
	assert_true(loads_in(true, NULL, NULL, NULL, true));
}

/* section, key, and the values just inside and just outside each end. */
static const struct {
	bool ipvpn;		/* on an IP-VPN line: no tunnel MTU bounds the line's */
	const char *section, *key;
	const char *good[4], *bad[4];
} ranges[] = {
	{ false, "uplink", "mtu", { "1280", "9000" }, { "1279", "9001" } },
	{ false, "ipsec", "tunnel_mtu", { "1280", "9000" }, { "1279", "9001" } },
	{ true, "uplink", "mtu", { "1280", "9000" }, { "1279", "9001" } },
	{ false, "ipsec", "dpd_delay", { "0", "3600" }, { "3601", "-1" } },
	{ false, "probe", "ping_count", { "1", "1000" }, { "0", "1001" } },
	{ false, "probe", "ping_interval_ms", { "10", "10000" }, { "9", "10001" } },
	{ false, "probe", "timeout_ms", { "100", "600000" }, { "99", "600001" } },
	{ false, "monitor", "light_interval", { "10", "86400" }, { "9", "86401" } },
	{ false, "monitor", "heavy_interval", { "60", "86400" }, { "59", "86401" } },
	{ false, "monitor", "reinitiate_after", { "1", "3600" }, { "0", "3601" } },
	{ false, "monitor", "history_days", { "1", "3650" }, { "0", "3651" } },
	{ false, "monitor", "history_max_mb", { "1", "65536" }, { "0", "65537" } },
	{ false, "terminal", "lan_ports", { "tcp/1", "udp/65535" }, { "tcp/0", "udp/65536" } },
	{ false, "probe", "tcp", { "192.0.2.10:1", "192.0.2.10:65535" }, { "192.0.2.10:0", "192.0.2.10:65536" } },
	{ false, "central", "proxy", { "192.0.2.10:1", "192.0.2.10:65535" }, { "192.0.2.10:0", "192.0.2.10:65536" } },
	{ false, "lan", "interface", { "l", "lan456789012345" }, { "lan4567890123456", "lan*" } },
	{ false, "paths", "state_dir", { "/a/.b", "/a/..b" }, { "/a/../b", "/a/./b" } },
};

static void test_ranges(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++) {
		bool ipvpn = ranges[i].ipvpn;
		for (size_t j = 0; j < 4 && ranges[i].good[j]; j++)
			if (!loads_in(ipvpn, ranges[i].section, ranges[i].key, ranges[i].good[j], true))
				fail_msg("%s: [%s] %s = %s refused", ipvpn ? "ipvpn" : "ipsec",
					 ranges[i].section, ranges[i].key, ranges[i].good[j]);
		for (size_t j = 0; j < 4 && ranges[i].bad[j]; j++)
			if (loads_in(ipvpn, ranges[i].section, ranges[i].key, ranges[i].bad[j], false))
				fail_msg("%s: [%s] %s = %s taken", ipvpn ? "ipvpn" : "ipsec",
					 ranges[i].section, ranges[i].key, ranges[i].bad[j]);
	}
}

/* Strings: the longest allowed and one byte more (a scalar must fit on
 * one line of the file, so the longer limits are checked on the function
 * the parser and the writers share). */
static void test_lengths(void **state)
{
	static const struct {
		const char *section, *key;
		size_t max;
	} lengths[] = {
		{ "uplink", "line_id", 64 },
	};
	char buf[512];

	(void)state;
	memset(buf, 'a', 256);
	buf[255] = '\0';
	assert_true(site_id_ok(buf));
	buf[255] = 'a';
	buf[256] = '\0';
	assert_false(site_id_ok(buf));
	assert_false(site_id_ok(""));
	for (size_t i = 0; i < ARRAY_SIZE(lengths); i++) {
		memset(buf, 'a', lengths[i].max + 1);
		buf[lengths[i].max] = '\0';
		if (!loads(lengths[i].section, lengths[i].key, buf))
			fail_msg("[%s] %s of %zu bytes refused", lengths[i].section, lengths[i].key,
				 lengths[i].max);
		buf[lengths[i].max] = 'a';
		buf[lengths[i].max + 1] = '\0';
		if (!refused(lengths[i].section, lengths[i].key, buf))
			fail_msg("[%s] %s of %zu bytes taken", lengths[i].section, lengths[i].key,
				 lengths[i].max + 1);
	}
}

/* Each address check, with its nearest passing neighbour. */
static void test_overlaps(void **state)
{
	static const struct {
		const char *section, *key, *value;
		bool ok;
		const char *what;
	} cases[] = {
		{ "central", "prefixes", "198.51.100.128/25", false, "central inside the WAN" },
		{ "central", "prefixes", "198.51.0.0/16", false, "central around the WAN" },
		{ "central", "prefixes", "198.51.101.0/24", true, "central next to the WAN" },
		{ "central", "prefixes", "192.168.10.0/25", false, "central inside the LAN" },
		{ "central", "prefixes", "192.168.0.0/16", false, "central around the LAN" },
		{ "central", "prefixes", "192.168.11.0/24", true, "central next to the LAN" },
		{ "central", "prefixes", "192.168.20.128/25", false, "central inside the terminal segment" },
		{ "central", "prefixes", "192.168.21.0/24", true, "central next to the terminal segment" },
		{ "central", "prefixes", "0.0.0.0/0", false, "the default route as central" },
		{ "central", "prefixes", "192.0.2.0/24, ::/0", false, "the IPv6 default route as central" },
		{ "central", "prefixes", "192.0.2.0/24, 2001:db8::/32", true, "an IPv6 central prefix" },
		{ "central", "prefixes", "128.0.0.0/1", false, "half the internet, over the LAN" },
		{ "central", "prefixes", "192.0.2.0/24, 192.0.2.128/25", false, "central prefixes overlapping" },
		{ "central", "prefixes", "192.0.2.0/25, 192.0.2.128/25", true, "central prefixes side by side" },
		{ "lan", "address", "198.51.100.129/25", false, "the LAN inside the WAN" },
		{ "lan", "address", "198.51.101.1/24", true, "the LAN next to the WAN" },
		{ "terminal", "host", "192.168.21.10", false, "the terminal outside its segment" },
		{ "terminal", "host", "192.168.20.254", true, "the terminal at the segment's end" },
		{ "terminal", "address", "192.168.10.129/25", false, "the terminal segment inside the LAN" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (loads_want(cases[i].section, cases[i].key, cases[i].value, cases[i].ok) != cases[i].ok)
			fail_msg("%s ([%s] %s = %s): %s", cases[i].what, cases[i].section, cases[i].key,
				 cases[i].value, cases[i].ok ? "refused" : "taken");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_loads),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

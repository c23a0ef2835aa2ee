/* The nftables ruleset writer: it refuses an interface name outside the
 * grammar even when the site did not come through the parser, it writes
 * exactly the intended rules for names that are odd but valid, and nft
 * itself (in a private network namespace) accepts what it writes. The
 * plan's step sentences. The IPv6 IPoE and PPPoE rules, and the daemons an
 * IPv6 IPoE site wants and their way through a snapshot. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "provision/provision.h"
#include "provision/state.h"
#include "tests/fuzz/nft_shape.h"
#include "tests/unit/site_fixture.h"

/* A valid site, IPsec or IP-VPN, with a separate terminal segment and the
 * three interface names given. */
static char *site_text(bool ipsec, const char *wan, const char *lan, const char *term)
{
	return xasprintf("[site]\nfacility_code = 1312345678\nfacility_name = x\n"
			 "[uplink]\ntype = %s\ninterface = %s\naddress = %s\n%s"
			 "%s"
			 "[lan]\ninterface = %s\naddress = 192.168.10.1/24\nmanagement = 192.168.10.0/24, 2001:db8:1::/64\n"
			 "[terminal]\nsegment = separate\ninterface = %s\naddress = 192.168.20.1/24\n"
			 "host = 192.168.20.10\nlan_ports = tcp/443, udp/3389\n"
			 "[central]\nprefixes = 192.0.2.0/24, 2001:db8:2::/48\n",
			 ipsec ? "ipsec" : "ipvpn", wan, ipsec ? "198.51.100.2/24" : "dhcp",
			 ipsec ? "gateway = 198.51.100.1\n" : "",
			 ipsec ? "[ipsec]\npeer = 203.0.113.1\nauth = psk\npsk_file = /etc/oqlink/psk\n"
				 "local_id = clinic@example\nremote_id = gw.example\n"
			       : "[ipvpn]\nce_router = 198.51.100.1\n",
			 lan, term);
}

static struct site *load(bool ipsec, const char *wan, const char *lan, const char *term)
{
	char *text = site_text(ipsec, wan, lan, term);
	struct site *s = site_from_text(text);

	free(text);
	return s;
}

/* A name the parser refuses is refused by the writer too, when someone puts
 * it into a struct site by hand. */
static void test_nft_refuses_bad_names(void **state)
{
	static const char *const bad[] = {
		"t\";accept;#", "lan*", "a b", "", "x\\y", "..", ".", "a'b", "a:b", "a/b",
		"sixteen-chars-xx", "t\x1b", "\xe7\xab\xaf",
	};
	char **fields[3];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		for (size_t f = 0; f < 3; f++) {
			struct site *s = load(false, "wan0", "lan0", "term0");
			char sentinel[] = "x", *text = sentinel, *hash = sentinel, *cause = NULL;
			assert_non_null(s);
			fields[0] = &s->wan_if;
			fields[1] = &s->lan_if;
			fields[2] = &s->term_if;
			free(*fields[f]);
			*fields[f] = xstrdup(bad[i]);
			assert_false(site_ifname_ok(bad[i]));
			assert_int_equal(nft_ruleset(s, &text, &hash, &cause), -EINVAL);
			assert_null(text);
			assert_null(hash);
			assert_non_null(cause);
			free(cause);
			site_free(s);
		}
}

/* Odd but valid names: what the kernel takes and the grammar allows. */
static const char *const odd[][3] = {
	{ "wan0", "lan0", "term0" },
	{ "w;n{0}", "l#a$n", "t@x!%" },
	{ "accept", "drop", "counter" },
	{ "a&b|c", "i.p-v_6~", "[x]<y>" },
	{ "eth0.100", "br-lan", "vlan=20" },
};

/* The rules are exactly the intended ones, names only in quotes. */
static void test_nft_shape(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++)
		for (int ipsec = 0; ipsec < 2; ipsec++) {
			struct site *s = load(ipsec, odd[i][0], odd[i][1], odd[i][2]);
			char *text, *hash, *cause = NULL;
			struct nft_shape got, want;
			assert_non_null(s);
			assert_int_equal(nft_ruleset(s, &text, &hash, &cause), 0);
			const char *why = nft_shape_read(text, s, &got);
			if (why)
				fail_msg("%s\n%s", why, text);
			nft_shape_expect(s, &want);
			for (int c = 0; c < 2; c++) {
				assert_int_equal(got.rules[c], want.rules[c]);
				assert_int_equal(got.accepts[c], want.accepts[c]);
				assert_int_equal(got.drops[c], want.drops[c]);
			}
			/* from the uplink: no echo request, ND only with hop limit 255 */
			assert_null(strstr(text, "meta l4proto ipv6-icmp accept"));
			char *wan_echo = xasprintf("iifname \"%s\" icmpv6 type echo-request", s->wan_if);
			assert_null(strstr(text, wan_echo));
			free(wan_echo);
			assert_non_null(strstr(text, "nd-neighbor-advert } ip6 hoplimit 255 accept"));
			free(text);
			free(hash);
			site_free(s);
		}
}

/* Run argv with text on its standard input; its exit status, or -1. */
static int run_with_input(char *const argv[], const char *text)
{
	int fd[2], status;
	pid_t pid;

	if (pipe(fd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd[0], 0);
		close(fd[0]);
		close(fd[1]);
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[0]);
	if (write(fd[1], text, strlen(text)) < 0)
		status = -1;
	close(fd[1]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* nft, in a network namespace of its own, accepts every ruleset above. */
static void test_nft_check_accepts(void **state)
{
	char unshare[] = "unshare", n[] = "-n", t[] = "true", nft[] = "nft", c[] = "-c",
	     f[] = "-f", in[] = "-";
	char *const probe[] = { unshare, n, t, NULL };
	char *const check[] = { unshare, n, nft, c, f, in, NULL };

	if (geteuid() != 0 || run_with_input(probe, "") != 0)
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++)
		for (int ipsec = 0; ipsec < 2; ipsec++) {
			struct site *s = load(ipsec, odd[i][0], odd[i][1], odd[i][2]);
			char *text, *hash, *cause = NULL;
			assert_int_equal(nft_ruleset(s, &text, &hash, &cause), 0);
			if (run_with_input(check, text) != 0)
				fail_msg("nft -c refused:\n%s", text);
			free(text);
			free(hash);
			site_free(s);
		}
}

/* With [monitor] metrics_listen, the metrics port opens from the LAN side
 * to that address only, in one rule, from the sources that may scrape:
 * [lan] management of the address's family by default, else
 * [monitor] metrics_allow; without it, nothing is open for it. */
static void test_nft_metrics(void **state)
{
	char unshare[] = "unshare", n[] = "-n", t[] = "true", nft[] = "nft", c[] = "-c",
	     f[] = "-f", in[] = "-";
	char *const probe[] = { unshare, n, t, NULL };
	char *const check[] = { unshare, n, nft, c, f, in, NULL };
	bool can_check = geteuid() == 0 && run_with_input(probe, "") == 0;

	(void)state;
	static const char *const monitor[] = {
		"",
		"[monitor]\nmetrics_listen = 192.168.10.1:9101\n",
		"[monitor]\nmetrics_listen = 192.168.10.1:9101\n"
		"metrics_allow = 192.168.10.20/32, 192.168.30.0/24\n",
	};
	static const char *const rules[] = {
		NULL,
		"\t\tiifname \"lan0\" ip saddr { 192.168.10.0/24 } ip daddr 192.168.10.1 tcp dport 9101 accept comment \"metrics\"\n",
		"\t\tiifname \"lan0\" ip saddr { 192.168.10.20/32, 192.168.30.0/24 } ip daddr 192.168.10.1 tcp dport 9101 accept comment \"metrics\"\n",
	};

	for (int on = 0; on < 3; on++)
		for (int ipsec = 0; ipsec < 2; ipsec++) {
			char *base = site_text(ipsec, "wan0", "lan0", "term0");
			char *conf = xasprintf("%s%s", base, monitor[on]);
			struct site *s = site_from_text(conf);
			char *text, *hash, *cause = NULL;
			struct nft_shape got, want;
			const char *rule = rules[on];

			assert_non_null(s);
			assert_int_equal(nft_ruleset(s, &text, &hash, &cause), 0);
			const char *why = nft_shape_read(text, s, &got);
			if (why)
				fail_msg("%s\n%s", why, text);
			nft_shape_expect(s, &want);
			assert_memory_equal(&got, &want, sizeof(got));
			if (on) {
				const char *at = strstr(text, rule);
				if (at == NULL)
					fprintf(stderr, "no rule\n%s\nin\n%s", rule, text), fail();
				assert_null(strstr(at + strlen(rule), "9101"));
			} else {
				assert_null(strstr(text, "\"metrics\""));
			}
			if (can_check && run_with_input(check, text) != 0)
				fail_msg("nft -c refused:\n%s", text);
			free(text);
			free(hash);
			site_free(s);
			free(conf);
			free(base);
		}
}

/* The plan's step sentences in both languages, with the language-neutral
 * states of a step written in the sentence's language. */
static void test_step_text(void **state)
{
	static const struct {
		enum prov_kind kind;
		const char *object, *from, *to;
		enum oq_lang lang;
		const char *want;
	} cases[] = {
		{ PROV_CHARON_LOAD, "oqlink", "not loaded", "loaded", OQ_LANG_JA,
		  "charon に接続 oqlink を読み込む (未読み込み → 読み込み済み)" },
		{ PROV_CHARON_LOAD, "oqlink", "not loaded", "loaded", OQ_LANG_EN,
		  "load connection oqlink into charon (not loaded → loaded)" },
		{ PROV_CHARON_LOAD, "oqlink", "differs: esp_proposals", "loaded", OQ_LANG_JA,
		  "charon に接続 oqlink を読み込む (相違: esp_proposals → 読み込み済み)" },
		{ PROV_CHARON_LOAD, "oqlink", "?", "loaded", OQ_LANG_EN,
		  "load connection oqlink into charon (? → loaded)" },
		{ PROV_LINK, "wan0", "down", "up, mtu 1500", OQ_LANG_JA,
		  "インターフェース wan0 を設定する (down → up, mtu 1500)" },
		{ PROV_DAEMON_START, "dhcpcd-wan0", "stopped", "running", OQ_LANG_EN,
		  "start dhcpcd-wan0" },
		{ PROV_DAEMON_START, "radvd-term0", "running, other config", "running", OQ_LANG_JA,
		  "radvd-term0 を新しい設定で起動し直す" },
		{ PROV_DAEMON_STOP, "ndppd-wan0", "running", "stopped", OQ_LANG_EN, "stop ndppd-wan0" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct prov_step st = { cases[i].kind, xstrdup(cases[i].object), xstrdup(cases[i].from),
					xstrdup(cases[i].to), NULL };
		i18n_set_lang(cases[i].lang);
		char *s = prov_step_text(&st);
		assert_string_equal(s, cases[i].want);
		free(s);
		free(st.object);
		free(st.from);
		free(st.to);
	}
	i18n_set_lang(OQ_LANG_EN);
}

/* ---- every layout and mode ---- */

/* One layout of the box: line type, terminal segment, uplink addressing. */
struct layout {
	bool ipsec;
	bool separate;		/* [terminal] segment = separate */
	bool dhcp;		/* [uplink] address = dhcp */
	enum site_addr6_mode v6;	/* [uplink] address6 */
};

/* The site of a layout, parsed (NULL with the diagnostics printed when the
 * text is refused, which fails the caller's assertion). */
static struct site *layout_site(const struct layout *ly)
{
	static const char *const v6[] = {
		[SITE_ADDR6_NONE] = "",
		[SITE_ADDR6_RA] = "address6 = ra\n",
		[SITE_ADDR6_STATIC] = "address6 = 2001:db8:ff::2/64\ngateway6 = 2001:db8:ff::1\n",
	};
	char *text = xasprintf(
		"[site]\nfacility_code = 1312345678\nfacility_name = x\n"
		"[uplink]\ntype = %s\ninterface = wan0\naddress = %s\n%s%smtu = 1454\n"
		"%s"
		"[lan]\ninterface = lan0\naddress = 192.168.10.1/24\nmanagement = 192.168.10.0/24, 2001:db8:1::/64\n"
		"%s"
		"[central]\nprefixes = 192.0.2.0/24, 2001:db8:2::/48\n",
		ly->ipsec ? "ipsec" : "ipvpn", ly->dhcp ? "dhcp" : "198.51.100.2/24",
		ly->ipsec && !ly->dhcp ? "gateway = 198.51.100.1\n" : "", v6[ly->v6],
		ly->ipsec ? "[ipsec]\npeer = 203.0.113.1\nauth = psk\npsk_file = /etc/oqlink/psk\n"
			    "local_id = clinic@example\nremote_id = gw.example\ntunnel_mtu = 1400\n"
			  : "[ipvpn]\nce_router = 198.51.100.1\n",
		ly->separate ? "[terminal]\nsegment = separate\ninterface = term0\n"
			       "address = 192.168.20.1/24\nhost = 192.168.20.10\n"
			       "lan_ports = tcp/443, udp/3389\n"
			     : "[terminal]\nhost = 192.168.10.10\n");
	struct site *s = site_from_text(text);

	free(text);
	return s;
}

/* Every layout, 2 x 2 x 2 x 3. */
static size_t layouts(struct layout *v)
{
	size_t n = 0;

	for (int ipsec = 0; ipsec < 2; ipsec++)
		for (int sep = 0; sep < 2; sep++)
			for (int dhcp = 0; dhcp < 2; dhcp++)
				for (int v6 = SITE_ADDR6_NONE; v6 <= SITE_ADDR6_STATIC; v6++)
					v[n++] = (struct layout){ ipsec, sep, dhcp,
								  (enum site_addr6_mode)v6 };
	return n;
}

#define N_LAYOUTS 24

static const char *layout_name(const struct layout *ly)
{
	static char buf[64];
	static const char *const v6[] = { "none", "ra", "static" };

	snprintf(buf, sizeof(buf), "%s/%s/%s/v6 %s", ly->ipsec ? "ipsec" : "ipvpn",
		 ly->separate ? "separate" : "lan", ly->dhcp ? "dhcp" : "static", v6[ly->v6]);
	return buf;
}

/* How many times needle occurs in text. */
static size_t count_of(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The ruleset of every layout: the intended shape, the rules that depend on
 * the layout present exactly when they should be, one hash per distinct
 * ruleset, and, when root, nft -c accepts it. */
static void test_nft_layouts(void **state)
{
	char unshare[] = "unshare", n[] = "-n", t[] = "true", nft[] = "nft", c[] = "-c",
	     f[] = "-f", in[] = "-";
	char *const probe[] = { unshare, n, t, NULL };
	char *const check[] = { unshare, n, nft, c, f, in, NULL };
	bool can_check = geteuid() == 0 && run_with_input(probe, "") == 0;
	struct layout ly[N_LAYOUTS];
	char *hashes[N_LAYOUTS];
	size_t nl = layouts(ly);

	(void)state;
	assert_int_equal(nl, N_LAYOUTS);
	for (size_t i = 0; i < nl; i++) {
		struct site *s = layout_site(&ly[i]);
		char *text, *hash, *text2, *hash2, *cause = NULL;
		struct nft_shape got, want;

		assert_non_null(s);
		assert_int_equal(nft_ruleset(s, &text, &hash, &cause), 0);
		const char *why = nft_shape_read(text, s, &got);
		if (why)
			fail_msg("%s: %s\n%s", layout_name(&ly[i]), why, text);
		nft_shape_expect(s, &want);
		assert_memory_equal(&got, &want, sizeof(got));
		/* the same site, the same text and hash */
		assert_int_equal(nft_ruleset(s, &text2, &hash2, &cause), 0);
		assert_string_equal(text, text2);
		assert_string_equal(hash, hash2);
		assert_non_null(strstr(text, hash));
		assert_int_equal(count_of(text, "comment \"DHCP replies\""), ly[i].dhcp);
		assert_int_equal(count_of(text, "comment \"IKE and NAT-T from the peer\""), ly[i].ipsec);
		assert_int_equal(count_of(text, "comment \"ESP from the peer\""), ly[i].ipsec);
		assert_int_equal(count_of(text, "comment \"internet traffic never enters the tunnel\""),
				 ly[i].ipsec ? 2 : 0);
		/* tunnel_mtu 1400: MSS 1360 over IPv4, 1340 over IPv6, both ways */
		assert_int_equal(count_of(text, "tcp option maxseg size set 1360"), ly[i].ipsec ? 2 : 0);
		assert_int_equal(count_of(text, "tcp option maxseg size set 1340"), ly[i].ipsec ? 2 : 0);
		assert_int_equal(count_of(text, "comment \"LAN to the terminal\""),
				 ly[i].separate ? 2 : 0);
		assert_int_equal(count_of(text, "iifname \"term0\""), ly[i].separate ? 4 : 0);
		char *term = xasprintf("iifname \"%s\" ip saddr 192.168.%s.10 ip daddr @central4 %s\"wan0\" accept",
				       ly[i].separate ? "term0" : "lan0", ly[i].separate ? "20" : "10",
				       ly[i].ipsec ? "oifname != " : "oifname ");
		if (strstr(text, term) == NULL)
			fail_msg("%s: no '%s' in\n%s", layout_name(&ly[i]), term, text);
		free(term);
		for (size_t k = 0; k < i; k++)
			if (strcmp(hashes[k], hash) == 0 &&
			    (ly[k].ipsec != ly[i].ipsec || ly[k].separate != ly[i].separate ||
			     ly[k].dhcp != ly[i].dhcp))
				fail_msg("%s and %s: one hash for different rulesets",
					 layout_name(&ly[k]), layout_name(&ly[i]));
		if (can_check && run_with_input(check, text) != 0)
			fail_msg("%s: nft -c refused:\n%s", layout_name(&ly[i]), text);
		hashes[i] = hash;
		free(text);
		free(text2);
		free(hash2);
		site_free(s);
	}
	for (size_t i = 0; i < nl; i++)
		free(hashes[i]);
}

/* The link named name in st (a state of the test's own), or NULL. */
static struct ps_link *state_link(const struct ps_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_links; i++)
		if (strcmp(st->links[i].name, name) == 0)
			return &st->links[i];
	return NULL;
}

/* The value of a sysctl key in st, "(absent)" when it has none. */
static const char *state_sysctl(const struct ps_state *st, const char *key)
{
	for (size_t i = 0; i < st->n_sysctls; i++)
		if (strcmp(st->sysctls[i].key, key) == 0)
			return st->sysctls[i].value ? st->sysctls[i].value : "(null)";
	return "(absent)";
}

/* Whether st has the address (prefix text) on dev. */
static bool state_has_addr(const struct ps_state *st, const char *dev, const char *local)
{
	char buf[64];

	for (size_t i = 0; i < st->n_addrs; i++)
		if (strcmp(st->addrs[i].ifname, dev) == 0 &&
		    strcmp(prefix_str(&st->addrs[i].local, buf, false), local) == 0)
			return true;
	return false;
}

/* The routes of st as ps_route_str text, one per line (new string). */
static char *state_routes(const struct ps_state *st)
{
	char *all = xstrdup("");

	for (size_t i = 0; i < st->n_routes; i++) {
		char *r = ps_route_str(&st->routes[i]), *next = xasprintf("%s%s\n", all, r);
		free(r);
		free(all);
		all = next;
	}
	return all;
}

/* What each layout asks of the host: the links with what of them is ours,
 * the static addresses, the routes and the sysctls. */
static void test_desired_layouts(void **state)
{
	struct layout ly[N_LAYOUTS];
	size_t nl = layouts(ly);

	(void)state;
	for (size_t i = 0; i < nl; i++) {
		const struct layout *l = &ly[i];
		struct site *s = layout_site(l);
		struct ps_state st;
		char *cause = NULL, *text, *hash, *routes, *want;
		const struct ps_link *wan, *lan, *term;

		assert_non_null(s);
		assert_int_equal(ps_desired(s, &st, &cause), 0);
		/* links */
		assert_int_equal(st.n_links, l->separate ? 3 : 2);
		wan = state_link(&st, "wan0");
		lan = state_link(&st, "lan0");
		term = state_link(&st, "term0");
		assert_non_null(wan);
		assert_non_null(lan);
		assert_true(wan->exists && wan->up && lan->exists && lan->up);
		assert_int_equal(wan->mtu, 1454);
		assert_int_equal(lan->mtu, 0);
		assert_int_equal(wan->manage_addr4, !l->dhcp);
		assert_int_equal(wan->manage_addr6, l->v6 == SITE_ADDR6_STATIC);
		assert_true(lan->manage_addr4);
		assert_false(lan->manage_addr6);
		assert_int_equal(term != NULL, l->separate);
		/* addresses */
		assert_int_equal(st.n_addrs, (size_t)(1 + !l->dhcp + (l->v6 == SITE_ADDR6_STATIC) +
						      l->separate));
		assert_true(state_has_addr(&st, "lan0", "192.168.10.1/24"));
		assert_int_equal(state_has_addr(&st, "wan0", "198.51.100.2/24"), !l->dhcp);
		assert_int_equal(state_has_addr(&st, "wan0", "2001:db8:ff::2/64"),
				 l->v6 == SITE_ADDR6_STATIC);
		assert_int_equal(state_has_addr(&st, "term0", "192.168.20.1/24"), l->separate);
		for (size_t k = 0; k < st.n_addrs; k++) {
			char b[64];
			const struct ps_addr *a = &st.addrs[k];
			if (a->local.family == AF_INET6)
				assert_int_equal(a->brd.family, 0);
			else
				assert_string_equal(prefix_str(&a->brd, b, true),
						    strcmp(a->ifname, "wan0") == 0 ? "198.51.100.255"
						    : strcmp(a->ifname, "lan0") == 0 ? "192.168.10.255"
						    : "192.168.20.255");
		}
		/* routes: an IPsec line falls back to unreachable for the
		 * central prefixes and has its default route(s); an IP-VPN line
		 * sends the central prefixes of the CE router's family to it */
		routes = state_routes(&st);
		if (l->ipsec)
			want = xasprintf("%s%sunreachable 192.0.2.0/24 metric 0\n"
					 "unreachable 2001:db8:2::/48 metric 1024\n",
					 l->dhcp ? "" : "default via 198.51.100.1 dev wan0 metric 0\n",
					 l->v6 == SITE_ADDR6_STATIC
						 ? "default (IPv6) via 2001:db8:ff::1 dev wan0 metric 1024\n" : "");
		else
			want = xstrdup("192.0.2.0/24 via 198.51.100.1 dev wan0 metric 0\n");
		assert_string_equal(routes, want);
		free(routes);
		free(want);
		for (size_t k = 0; k < st.n_routes; k++)
			assert_int_equal(st.routes[k].proto, 4);
		/* sysctls */
		assert_int_equal(st.n_sysctls, (size_t)(3 + l->separate + 2 * (l->v6 == SITE_ADDR6_RA)));
		assert_string_equal(state_sysctl(&st, "net/ipv4/ip_forward"), "1");
		assert_string_equal(state_sysctl(&st, "net/ipv6/conf/all/forwarding"), "1");
		assert_string_equal(state_sysctl(&st, "net/ipv4/conf/lan0/rp_filter"), "1");
		assert_string_equal(state_sysctl(&st, "net/ipv4/conf/term0/rp_filter"),
				    l->separate ? "1" : "(absent)");
		assert_string_equal(state_sysctl(&st, "net/ipv6/conf/wan0/accept_ra"),
				    l->v6 == SITE_ADDR6_RA ? "2" : "(absent)");
		assert_string_equal(state_sysctl(&st, "net/ipv6/conf/wan0/autoconf"),
				    l->v6 == SITE_ADDR6_RA ? "1" : "(absent)");
		/* the firewall is the writer's */
		assert_int_equal(nft_ruleset(s, &text, &hash, &cause), 0);
		assert_true(st.nft_present);
		assert_string_equal(st.nft_text, text);
		assert_string_equal(st.nft_hash, hash);
		assert_false(st.charon_checked);
		free(text);
		free(hash);
		ps_state_clear(&st);
		site_free(s);
	}
}

/* A site the ruleset writer refuses gives no desired state at all. */
static void test_desired_refuses(void **state)
{
	struct layout ly = { true, true, false, SITE_ADDR6_NONE };
	struct site *s = layout_site(&ly);
	struct ps_state st;
	char *cause = NULL;

	(void)state;
	assert_non_null(s);
	free(s->term_if);
	s->term_if = xstrdup("t\";accept;#");
	assert_int_equal(ps_desired(s, &st, &cause), -EINVAL);
	assert_non_null(cause);
	assert_int_equal(st.n_links + st.n_addrs + st.n_routes + st.n_sysctls, 0);
	assert_null(st.nft_text);
	free(cause);
	free(s->lan_if);
	s->lan_if = NULL;
	cause = NULL;
	assert_int_equal(ps_desired(s, &st, &cause), -EINVAL);
	assert_non_null(cause);
	free(cause);
	site_free(s);
}

/* ---- ps_diff ---- */

/* A copy of st through its JSON form. */
static void state_copy(const struct ps_state *st, struct ps_state *out)
{
	struct json_object *o = ps_state_to_json(st);
	char *cause = NULL;

	assert_int_equal(ps_state_from_json(o, out, &cause), 0);
	json_object_put(o);
}

static void plan_clear(struct prov_plan *p)
{
	for (size_t i = 0; i < p->n_steps; i++) {
		free(p->steps[i].object);
		free(p->steps[i].from);
		free(p->steps[i].to);
		ps_step_priv_free(p->steps[i].priv);
	}
	free(p->steps);
	memset(p, 0, sizeof(*p));
}

/* The plan as "kind object (from -> to)" lines (new string). */
static char *plan_text(const struct prov_plan *p)
{
	char *all = xstrdup("");

	for (size_t i = 0; i < p->n_steps; i++) {
		const struct prov_step *st = &p->steps[i];
		char *next = xasprintf("%s%s %s (%s -> %s)\n", all, prov_kind_name(st->kind), st->object,
				       st->from ? st->from : "-", st->to ? st->to : "-");
		free(all);
		all = next;
	}
	return all;
}

/* Diff cur to want both ways round and compare with the plans expected. */
static void expect_diff(const struct ps_state *cur, const struct ps_state *want,
			const char *apply, const char *restore)
{
	struct prov_plan p = { 0 };
	char *got;

	ps_diff(cur, want, false, &p);
	got = plan_text(&p);
	if (strcmp(got, apply) != 0)
		fail_msg("apply plan:\n%swant:\n%s", got, apply);
	free(got);
	plan_clear(&p);
	ps_diff(cur, want, true, &p);
	got = plan_text(&p);
	if (strcmp(got, restore) != 0)
		fail_msg("restore plan:\n%swant:\n%s", got, restore);
	free(got);
	plan_clear(&p);
}

/* A host that matches needs nothing, in every layout. */
static void test_diff_nothing(void **state)
{
	struct layout ly[N_LAYOUTS];
	size_t nl = layouts(ly);

	(void)state;
	for (size_t i = 0; i < nl; i++) {
		struct site *s = layout_site(&ly[i]);
		struct ps_state want, cur;
		char *cause = NULL;

		assert_int_equal(ps_desired(s, &want, &cause), 0);
		state_copy(&want, &cur);
		expect_diff(&cur, &want, "", "");
		ps_state_clear(&cur);
		ps_state_clear(&want);
		site_free(s);
	}
}

/* The steps from a bare host, and their order: applying loads the firewall
 * first and turns on forwarding last; restoring does the opposite, so the
 * box is never forwarding without its rules. Deletions come before the
 * links change and additions after. */
static void test_diff_order(void **state)
{
	struct layout ly = { true, false, false, SITE_ADDR6_NONE };
	struct site *s = layout_site(&ly);
	struct ps_state want, cur;
	char *cause = NULL, *apply, *restore;
	struct oq_prefix stale;

	(void)state;
	assert_non_null(s);
	assert_int_equal(ps_desired(s, &want, &cause), 0);
	state_copy(&want, &cur);
	/* the host: links down at another MTU, no addresses, one stale
	 * address and route, forwarding off, no table of ours */
	for (size_t i = 0; i < cur.n_links; i++) {
		cur.links[i].up = false;
		cur.links[i].mtu = 1500;
	}
	assert_true(prefix_parse("10.9.9.1/24", &stale));
	cur.addrs[0].local = stale;
	cur.addrs[0].brd.family = 0;
	cur.n_addrs = 1;
	cur.routes[0].dst = stale;
	cur.routes[0].dst.addr[3] = 0;
	cur.n_routes = 1;
	for (size_t i = 0; i < cur.n_sysctls; i++) {
		free(cur.sysctls[i].value);
		cur.sysctls[i].value = xstrdup("0");
	}
	cur.nft_present = false;
	free(cur.nft_hash);
	cur.nft_hash = NULL;
	apply = xasprintf("firewall table inet oqlink (- -> %s)\n"
			  "route-delete 10.9.9.0/24 via 198.51.100.1 dev wan0 metric 0 (- -> -)\n"
			  "address-delete 10.9.9.1/24 dev wan0 (- -> -)\n"
			  "link wan0 (down, mtu 1500 -> up, mtu 1454)\n"
			  "link lan0 (down, mtu 1500 -> up, mtu 1500)\n"
			  "address-add 198.51.100.2/24 dev wan0 (- -> -)\n"
			  "address-add 192.168.10.1/24 dev lan0 (- -> -)\n"
			  "route-add default via 198.51.100.1 dev wan0 metric 0 (- -> -)\n"
			  "route-add unreachable 192.0.2.0/24 metric 0 (- -> -)\n"
			  "route-add unreachable 2001:db8:2::/48 metric 1024 (- -> -)\n"
			  "sysctl net/ipv4/ip_forward (0 -> 1)\n"
			  "sysctl net/ipv6/conf/all/forwarding (0 -> 1)\n"
			  "sysctl net/ipv4/conf/lan0/rp_filter (0 -> 1)\n",
			  want.nft_hash);
	restore = xasprintf("sysctl net/ipv4/ip_forward (0 -> 1)\n"
			    "sysctl net/ipv6/conf/all/forwarding (0 -> 1)\n"
			    "sysctl net/ipv4/conf/lan0/rp_filter (0 -> 1)\n"
			    "route-delete 10.9.9.0/24 via 198.51.100.1 dev wan0 metric 0 (- -> -)\n"
			    "address-delete 10.9.9.1/24 dev wan0 (- -> -)\n"
			    "link wan0 (down, mtu 1500 -> up, mtu 1454)\n"
			    "link lan0 (down, mtu 1500 -> up, mtu 1500)\n"
			    "address-add 198.51.100.2/24 dev wan0 (- -> -)\n"
			    "address-add 192.168.10.1/24 dev lan0 (- -> -)\n"
			    "route-add default via 198.51.100.1 dev wan0 metric 0 (- -> -)\n"
			    "route-add unreachable 192.0.2.0/24 metric 0 (- -> -)\n"
			    "route-add unreachable 2001:db8:2::/48 metric 1024 (- -> -)\n"
			    "firewall table inet oqlink (- -> %s)\n",
			    want.nft_hash);
	expect_diff(&cur, &want, apply, restore);
	free(apply);
	free(restore);
	ps_state_clear(&cur);
	ps_state_clear(&want);
	site_free(s);
}

/* What the diff leaves alone: an MTU the site does not set, a link that
 * does not exist, a sysctl key the host lacks, a table with the same hash;
 * and what it changes: a table with another hash, a table that should go. */
static void test_diff_cases(void **state)
{
	struct layout ly = { false, true, true, SITE_ADDR6_RA };
	struct site *s = layout_site(&ly);
	struct ps_state want, cur;
	char *cause = NULL, *plan;

	(void)state;
	assert_non_null(s);
	assert_int_equal(ps_desired(s, &want, &cause), 0);
	state_copy(&want, &cur);
	/* lan0 has no MTU in the site: any MTU is fine */
	state_link(&cur, "lan0")->mtu = 9000;
	/* term0 is missing: nothing can be done to it (plan says so elsewhere) */
	state_link(&cur, "term0")->exists = false;
	state_link(&cur, "term0")->up = false;
	/* the host has no accept_ra for wan0 (no IPv6): no step */
	for (size_t i = 0; i < cur.n_sysctls; i++)
		if (strstr(cur.sysctls[i].key, "accept_ra")) {
			free(cur.sysctls[i].value);
			cur.sysctls[i].value = NULL;
		}
	expect_diff(&cur, &want, "", "");
	/* another table of ours, by its hash */
	free(cur.nft_hash);
	cur.nft_hash = xstrdup("0123456789abcdef");
	plan = xasprintf("firewall table inet oqlink (0123456789abcdef -> %s)\n", want.nft_hash);
	expect_diff(&cur, &want, plan, plan);
	free(plan);
	/* a table that carries no hash is not ours as it should be: reload */
	free(cur.nft_hash);
	cur.nft_hash = NULL;
	plan = xasprintf("firewall table inet oqlink (- -> %s)\n", want.nft_hash);
	expect_diff(&cur, &want, plan, plan);
	free(plan);
	/* a snapshot without our table: restoring it deletes the table */
	want.nft_present = false;
	cur.nft_hash = xstrdup("0123456789abcdef");
	expect_diff(&cur, &want, "firewall-delete table inet oqlink (0123456789abcdef -> -)\n",
		    "firewall-delete table inet oqlink (0123456789abcdef -> -)\n");
	cur.nft_present = false;
	expect_diff(&cur, &want, "", "");
	ps_state_clear(&cur);
	ps_state_clear(&want);
	site_free(s);
}

/* ---- snapshots as JSON ---- */

static bool prefix_same(const struct oq_prefix *a, const struct oq_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       (a->family == 0 || prefix_equal(a, b));
}

static bool str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Every field of two states; the first difference, or NULL. */
static const char *state_diff(const struct ps_state *a, const struct ps_state *b)
{
	if (a->n_links != b->n_links)
		return "number of links";
	for (size_t i = 0; i < a->n_links; i++) {
		const struct ps_link *x = &a->links[i], *y = &b->links[i];
		if (strcmp(x->name, y->name) || x->exists != y->exists || x->up != y->up ||
		    x->mtu != y->mtu || x->manage_addr4 != y->manage_addr4 ||
		    x->manage_addr6 != y->manage_addr6)
			return "a link";
	}
	if (a->n_addrs != b->n_addrs)
		return "number of addresses";
	for (size_t i = 0; i < a->n_addrs; i++)
		if (strcmp(a->addrs[i].ifname, b->addrs[i].ifname) ||
		    !prefix_same(&a->addrs[i].local, &b->addrs[i].local) ||
		    !prefix_same(&a->addrs[i].brd, &b->addrs[i].brd))
			return "an address";
	if (a->n_routes != b->n_routes)
		return "number of routes";
	for (size_t i = 0; i < a->n_routes; i++) {
		const struct ps_route *x = &a->routes[i], *y = &b->routes[i];
		if (!prefix_same(&x->dst, &y->dst) || !prefix_same(&x->gw, &y->gw) ||
		    strcmp(x->ifname, y->ifname) || x->type != y->type || x->metric != y->metric ||
		    x->proto != y->proto)
			return "a route";
	}
	if (a->n_sysctls != b->n_sysctls)
		return "number of sysctls";
	for (size_t i = 0; i < a->n_sysctls; i++)
		if (!str_same(a->sysctls[i].key, b->sysctls[i].key) ||
		    !str_same(a->sysctls[i].value, b->sysctls[i].value))
			return "a sysctl";
	if (a->nft_present != b->nft_present || !str_same(a->nft_text, b->nft_text) ||
	    !str_same(a->nft_hash, b->nft_hash))
		return "the table";
	if (a->charon_checked != b->charon_checked || a->charon_loaded != b->charon_loaded ||
	    !str_same(a->charon_config, b->charon_config))
		return "the charon part";
	return NULL;
}

/* Write, serialise, parse, read: the same state, and the same text again. */
static void round_trip(const struct ps_state *st, const char *what)
{
	struct json_object *o = ps_state_to_json(st), *back;
	char *text = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	struct ps_state got;
	char *cause = NULL;
	const char *why;

	json_object_put(o);
	back = json_tokener_parse(text);
	assert_non_null(back);
	if (ps_state_from_json(back, &got, &cause) != 0)
		fail_msg("%s: %s", what, cause);
	json_object_put(back);
	if ((why = state_diff(st, &got)) != NULL)
		fail_msg("%s: %s differs after the round trip\n%s", what, why, text);
	o = ps_state_to_json(&got);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), text);
	json_object_put(o);
	ps_state_clear(&got);
	free(text);
}

/* Every layout's desired state, and one full of hostile values, come back
 * as they went. */
static void test_state_round_trip(void **state)
{
	struct layout ly[N_LAYOUTS];
	size_t nl = layouts(ly);
	struct ps_state st;
	char *cause = NULL;

	(void)state;
	for (size_t i = 0; i < nl; i++) {
		struct site *s = layout_site(&ly[i]);
		assert_int_equal(ps_desired(s, &st, &cause), 0);
		round_trip(&st, layout_name(&ly[i]));
		st.charon_checked = true;
		st.charon_loaded = true;
		st.charon_config = xstrdup("[ipsec]\npsk_file = /etc/oqlink/psk\n");
		round_trip(&st, layout_name(&ly[i]));
		ps_state_clear(&st);
		site_free(s);
	}

	/* hostile: names at the longest, quotes, backslashes, control
	 * characters and Japanese in the texts, a sysctl without value,
	 * the largest metric, no table but a hash, routes of every type */
	struct ps_link links[] = {
		{ "fifteen-chars-x", true, false, 0, false, false },
		{ "a\"b\\c", false, true, 9000, true, true },
	};
	struct ps_addr addrs[2] = { { .ifname = "a\"b\\c" }, { .ifname = "fifteen-chars-x" } };
	struct ps_route routes[4] = { { .type = PS_RT_UNICAST, .metric = 4294967295u, .proto = 3 },
				      { .type = PS_RT_BLACKHOLE },
				      { .type = PS_RT_UNREACHABLE, .metric = 1024 },
				      { .type = PS_RT_PROHIBIT, .proto = 4 } };
	char key0[] = "net/ipv4/conf/a\"b/rp_filter", key1[] = "k", val1[] = "\x01\t\"\\\n端末";
	char hash[] = "\"}{", config[] = "a = \"b\" # \xe7\xab\xaf\xe6\x9c\xab\n\\";
	char table[] = "table inet oqlink {\n\tcomment \"\\\" } \"\n}\n";
	struct ps_sysctl sysctls[] = { { key0, NULL }, { key1, val1 } };

	assert_true(prefix_parse("2001:db8::1/128", &addrs[0].local));
	assert_true(prefix_parse("192.0.2.1/32", &addrs[1].local));
	assert_true(prefix_parse("192.0.2.255", &addrs[1].brd));
	assert_true(prefix_parse("0.0.0.0/0", &routes[0].dst));
	assert_true(prefix_parse("192.0.2.254", &routes[0].gw));
	snprintf(routes[0].ifname, sizeof(routes[0].ifname), "a\"b\\c");
	assert_true(prefix_parse("::/0", &routes[1].dst));
	assert_true(prefix_parse("2001:db8::/32", &routes[2].dst));
	assert_true(prefix_parse("10.0.0.0/8", &routes[3].dst));
	st = (struct ps_state){
		.links = links, .n_links = ARRAY_SIZE(links),
		.addrs = addrs, .n_addrs = ARRAY_SIZE(addrs),
		.routes = routes, .n_routes = ARRAY_SIZE(routes),
		.sysctls = sysctls, .n_sysctls = ARRAY_SIZE(sysctls),
		.nft_present = false, .nft_hash = hash,
		.charon_loaded = true, .charon_config = config,
	};
	round_trip(&st, "hostile values");
	st.nft_present = true;
	st.nft_text = table;
	round_trip(&st, "hostile table text");
}

/* Snapshots that ps_state_to_json would never write are damaged: refused,
 * with nothing half-read. */
static void test_state_damaged(void **state)
{
	static const char *const docs[] = {
		"[]",
		"\"links\"",
		"42",
		"{\"links\":[{\"up\":true}]}",
		"{\"links\":[{\"name\":\"\"}]}",
		"{\"links\":[{\"name\":\"sixteen-chars-xx\"}]}",
		"{\"links\":[{\"name\":\"wan0\"},{\"name\":\"lan0\"},{\"name\":\"wan0\",\"up\":true}]}",
		"{\"addresses\":[{\"dev\":\"wan0\"}]}",
		"{\"addresses\":[{\"dev\":\"wan0\",\"local\":\"192.0.2.300/24\"}]}",
		"{\"addresses\":[{\"local\":\"192.0.2.1/24\"}]}",
		"{\"addresses\":[{\"dev\":\"sixteen-chars-xx\",\"local\":\"192.0.2.1/24\"}]}",
		"{\"addresses\":[{\"dev\":\"wan0\",\"local\":\"192.0.2.1/24\",\"broadcast\":\"x\"}]}",
		"{\"routes\":[{\"gateway\":\"192.0.2.1\"}]}",
		"{\"routes\":[{\"dst\":\"192.0.2.0/24\",\"gateway\":\"pear\"}]}",
		"{\"routes\":[{\"dst\":\"192.0.2.0/24\",\"dev\":\"sixteen-chars-xx\"}]}",
		"{\"nft_present\":true}",
		"{\"nft_present\":true,\"nft_text\":7}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		struct json_object *o = json_tokener_parse(docs[i]);
		struct ps_state st;
		char *cause = NULL;

		assert_non_null(o);
		if (ps_state_from_json(o, &st, &cause) != -EINVAL)
			fail_msg("accepted: %s", docs[i]);
		assert_non_null(cause);
		assert_int_equal(st.n_links + st.n_addrs + st.n_routes + st.n_sysctls, 0);
		assert_null(st.links);
		assert_null(st.nft_text);
		free(cause);
		json_object_put(o);
	}
}

/* s with its first "from" replaced by "to" (which must be there). */
static char *str_replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* A valid IP-VPN site with IPv6 IPoE by PD and, when asked, PPPoE
 * pass-through; its WAN named wan. */
static struct site *load_ipoe_named(bool pppoe, const char *wan)
{
	char *base = site_text(false, wan, "lan0", "term0"), *a, *b, *c;
	struct site *s;

	a = str_replace(base, "address = dhcp\n", "address = dhcp\naddress6 = ra\n");
	b = str_replace(a, "ce_router = 198.51.100.1\n",
			"ce_router = 198.51.100.1\nipv6 = ipoe\nipv6_prefix = pd\n");
	c = str_replace(b, "[lan]\n", pppoe ? "[lan]\npppoe_passthrough = yes\n" : "[lan]\n");
	s = site_from_text(c);
	free(base);
	free(a);
	free(b);
	free(c);
	return s;
}

static struct site *load_ipoe(bool pppoe)
{
	return load_ipoe_named(pppoe, "wan0");
}

/* IPv6 IPoE: the terminal segment reaches central over IPv6 and DHCPv6
 * replies come in; PPPoE pass-through is one netdev table that forwards
 * the two ethertypes each way, and nothing of it without the key. nft
 * accepts both. */
static void test_nft_ipoe_pppoe(void **state)
{
	char unshare[] = "unshare", n[] = "-n", t[] = "true", sh[] = "sh", c[] = "-c",
	     script[] = "ip link add lan0 type veth peer name lan1 && "
			       "ip link add wan0 type veth peer name wan1 && nft -c -f -";
	char *const probe[] = { unshare, n, t, NULL };
	/* the netdev table's hooks need the devices to be there */
	char *const check[] = { unshare, n, sh, c, script, NULL };
	bool can_check = geteuid() == 0 && run_with_input(probe, "") == 0;

	(void)state;
	for (int on = 0; on < 2; on++) {
		struct site *s = load_ipoe(on);
		char *text, *hash, *cause = NULL;
		struct nft_shape got, want;

		assert_non_null(s);
		assert_true(site_ipoe6(s));
		assert_int_equal(nft_ruleset(s, &text, &hash, &cause), 0);
		const char *why = nft_shape_read(text, s, &got);
		if (why)
			fail_msg("%s\n%s", why, text);
		nft_shape_expect(s, &want);
		assert_memory_equal(&got, &want, sizeof(got));
		assert_non_null(strstr(text, "iifname \"term0\" oifname \"wan0\" ip6 saddr != fe80::/10 ip6 daddr @central6 accept"));
		assert_non_null(strstr(text, "udp sport 547 udp dport 546 accept"));
		if (on) {
			assert_non_null(strstr(text, "table netdev oqlink {"));
			assert_non_null(strstr(text, "device \"lan0\" priority filter; policy accept;\n"
						     "\t\tether type { 34915, 34916 } counter fwd to \"wan0\""));
			assert_non_null(strstr(text, "device \"wan0\" priority filter; policy accept;\n"
						     "\t\tether type { 34915, 34916 } counter fwd to \"lan0\""));
		} else {
			assert_null(strstr(text, "netdev"));
		}
		if (can_check && run_with_input(check, text) != 0)
			fail_msg("nft -c refused:\n%s", text);
		free(text);
		free(hash);
		site_free(s);
	}
}

/* The daemons a PD site wants, and their way through a snapshot. */
static void test_daemons_desired(void **state)
{
	struct site *s = load_ipoe(false);
	struct ps_state want, back;
	struct json_object *o;
	char *cause = NULL;

	(void)state;
	assert_non_null(s);
	assert_int_equal(ps_desired(s, &want, &cause), 0);
	assert_int_equal(want.n_daemons, 4);
	assert_string_equal(want.daemons[0].name, "dhcpcd-wan0");
	assert_true(want.daemons[0].running);
	assert_non_null(strstr(want.daemons[0].config, "interface wan0\n\tia_pd 1 term0/1/64\n"));
	assert_non_null(strstr(want.daemons[0].config, "noipv6rs\n"));
	assert_string_equal(want.daemons[0].wait_if, "term0");
	assert_string_equal(want.daemons[1].name, "ndppd-wan0");
	assert_false(want.daemons[1].running);
	assert_null(want.daemons[1].config);
	assert_string_equal(want.daemons[2].name, "radvd-term0");
	assert_true(want.daemons[2].running);
	assert_non_null(strstr(want.daemons[2].config, "interface term0 {"));
	assert_non_null(strstr(want.daemons[2].config, "prefix ::/64 {"));
	assert_string_equal(want.daemons[2].conf_dir, "/var/lib/oqlink/daemons");
	/* ssh is off: its slot is there, so that a running sshd is stopped */
	assert_string_equal(want.daemons[3].name, "sshd");
	assert_false(want.daemons[3].running);
	assert_null(want.daemons[3].config);

	o = ps_state_to_json(&want);
	assert_int_equal(ps_state_from_json(o, &back, &cause), 0);
	assert_int_equal(back.n_daemons, want.n_daemons);
	for (size_t i = 0; i < want.n_daemons; i++) {
		assert_string_equal(back.daemons[i].name, want.daemons[i].name);
		assert_int_equal(back.daemons[i].running, want.daemons[i].running);
		assert_string_equal(back.daemons[i].wait_if, want.daemons[i].wait_if);
		assert_string_equal(back.daemons[i].run_dir, want.daemons[i].run_dir);
		if (want.daemons[i].config)
			assert_string_equal(back.daemons[i].config, want.daemons[i].config);
		else
			assert_null(back.daemons[i].config);
	}
	json_object_put(o);
	ps_state_clear(&back);

	/* a running daemon without its config is a damaged snapshot */
	free(want.daemons[2].config);
	want.daemons[2].config = NULL;
	o = ps_state_to_json(&want);
	assert_int_equal(ps_state_from_json(o, &back, &cause), -EINVAL);
	free(cause);
	json_object_put(o);
	ps_state_clear(&want);
	site_free(s);
}

/* [lan] ssh = on: sshd on the LAN address with the site's keys only (a
 * copy without comments), keys only, root only, no forwarding; the keys go
 * through a snapshot; a changed key file changes the config (so apply
 * restarts sshd); a bad line or a path sshd would expand is refused. */
static void test_daemons_sshd(void **state)
{
	static const char ed[] = "%s"
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNjjLrh9iOOVr engineer@laptop\n"
		"# the vendor's second key\n\n"
		"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEp4jMwS"
		"bXap4M0L+5m/Osw+bFeyTY8xiKkB2ocV477wwIBltucU074T/uRaToTbOWlmSwAwFvK+3UJFuN+SJjk=\n";
	static const char *const lines[] = {
		"ListenAddress 192.168.10.1\n", "Port 22\n", "PasswordAuthentication no\n",
		"KbdInteractiveAuthentication no\n", "AuthenticationMethods publickey\n",
		"PermitRootLogin prohibit-password\n", "AllowUsers root\n",
		"AllowTcpForwarding no\n", "PermitTunnel no\n",
	};
	char dir[PATH_MAX];
	struct ps_state want, back, again;
	struct json_object *o;
	char *cause = NULL, *text, *keys, *body, *base, *a, *b;
	struct site *s;

	(void)state;
	/* sshd takes keys only below directories that are root's and that only
	 * root may write: not /tmp, nor a clone of the tree below it, but /run */
	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "/run/oq sshXXXXXX");
	assert_non_null(mkdtemp(dir));
	keys = xasprintf("%s/keys.pub", dir);
	body = xasprintf(ed, "");
	assert_int_equal(file_write_atomic(keys, body, strlen(body), 0644, NULL), 0);
	base = site_text(false, "wan0", "lan0", "term0");
	a = str_replace(base, "[lan]\n", "[lan]\nssh = on\nssh_keys = KEYS\n");
	b = str_replace(a, "KEYS", keys);
	text = xasprintf("%s[paths]\nstate_dir = %s\nrun_dir = %s/run\n", b, dir, dir);
	s = site_from_text(text);
	assert_non_null(s);
	if (ps_desired(s, &want, &cause) != 0)
		fail_msg("%s", cause);
	struct ps_daemon *d = &want.daemons[want.n_daemons - 1];
	assert_string_equal(d->name, "sshd");
	assert_true(d->running);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		if (strstr(d->config, lines[i]) == NULL)
			fail_msg("no '%s' in\n%s", lines[i], d->config);
	char *hk = xasprintf("HostKey \"%s/daemons/sshd.host_ed25519_key\"\n"
			     "PidFile \"%s/run/daemons/sshd.sshd.pid\"\n"
			     "AuthorizedKeysFile \"%s/daemons/sshd.keys\"\n", dir, dir, dir);
	if (strstr(d->config, hk) == NULL)
		fail_msg("no '%s' in\n%s", hk, d->config);
	free(hk);
	assert_null(strstr(d->config, "yes\nPasswordAuthentication"));
	char *k = xasprintf("ssh-ed25519 %s\necdsa-sha2-nistp256 %s\n", "AAAAC3NzaC1lZDI1NTE5AAAAIIovoHtvAu/BWXj2vplwqGAUZ/lqFBdMNjjLrh9iOOVr",
			    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEp4jMwSbXap4M0L+5m/Osw+bFeyTY8xiKkB2ocV477wwIBltucU074T/uRaToTbOWlmSwAwFvK+3UJFuN+SJjk=");
	assert_string_equal(d->keys, k);
	free(k);

	o = ps_state_to_json(&want);
	assert_int_equal(ps_state_from_json(o, &back, &cause), 0);
	assert_string_equal(back.daemons[back.n_daemons - 1].keys, d->keys);
	assert_string_equal(back.daemons[back.n_daemons - 1].config, d->config);
	json_object_put(o);
	ps_state_clear(&back);
	/* a running sshd without its keys is a damaged snapshot */
	free(d->keys);
	d->keys = NULL;
	o = ps_state_to_json(&want);
	assert_int_equal(ps_state_from_json(o, &back, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	json_object_put(o);

	/* one key less: another config */
	assert_int_equal(file_write_atomic(keys, body, strstr(body, "#") - body, 0644, NULL), 0);
	assert_int_equal(ps_desired(s, &again, &cause), 0);
	assert_string_not_equal(again.daemons[again.n_daemons - 1].config, d->config);
	ps_state_clear(&again);

	/* an options line slipped in after config check */
	free(body);
	body = xasprintf(ed, "no-pty ");
	assert_int_equal(file_write_atomic(keys, body, strlen(body), 0644, NULL), 0);
	assert_int_equal(ps_desired(s, &again, &cause), -EINVAL);
	char *at = xasprintf("%s:1: ", keys);
	assert_non_null(strstr(cause, at));
	free(at);
	free(cause);
	cause = NULL;
	site_free(s);

	/* a state_dir below a directory others may write */
	free(text);
	text = xasprintf("%s[paths]\nstate_dir = /tmp/oq-ssh\n", b);
	s = site_from_text(text);
	assert_non_null(s);
	assert_int_equal(ps_desired(s, &again, &cause), -EPERM);
	assert_non_null(strstr(cause, "below /tmp,"));
	free(cause);
	cause = NULL;

	/* sshd would expand a % in a path */
	site_free(s);
	free(text);
	text = xasprintf("%s[paths]\nstate_dir = %s/100%%\n", b, dir);
	s = site_from_text(text);
	assert_non_null(s);
	assert_int_equal(ps_desired(s, &again, &cause), -EINVAL);
	assert_non_null(strstr(cause, "%"));
	free(cause);

	ps_state_clear(&want);
	site_free(s);
	unlink(keys);
	rmdir(dir);
	free(keys);
	free(body);
	free(base);
	free(a);
	free(b);
	free(text);
}

/* A name the nft writer quotes but the daemons' configs could not carry
 * (they have no quoting) is refused before anything is written. */
static void test_daemons_refuse_names(void **state)
{
	struct site *s = load_ipoe_named(false, "w;n{0}");
	struct ps_state want;
	char *cause = NULL;

	(void)state;
	assert_non_null(s);
	assert_int_equal(ps_desired(s, &want, &cause), -EINVAL);
	assert_non_null(strstr(cause, "'w;n{0}'"));
	free(cause);
	site_free(s);
	s = load_ipoe_named(false, "wan-0.1_x");
	cause = NULL;
	assert_int_equal(ps_desired(s, &want, &cause), 0);
	ps_state_clear(&want);
	site_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_refuses_bad_names),
		cmocka_unit_test(test_daemons_sshd),
		cmocka_unit_test(test_nft_shape),
		cmocka_unit_test(test_nft_check_accepts),
		cmocka_unit_test(test_nft_metrics),
		cmocka_unit_test(test_step_text),
		cmocka_unit_test(test_nft_layouts),
		cmocka_unit_test(test_desired_layouts),
		cmocka_unit_test(test_desired_refuses),
		cmocka_unit_test(test_diff_nothing),
		cmocka_unit_test(test_diff_order),
		cmocka_unit_test(test_diff_cases),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_damaged),
		cmocka_unit_test(test_nft_ipoe_pppoe),
		cmocka_unit_test(test_daemons_desired),
		cmocka_unit_test(test_daemons_refuse_names),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

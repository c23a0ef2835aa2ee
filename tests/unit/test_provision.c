/* The nftables ruleset writer: it refuses an interface name outside the
 * grammar even when the site did not come through the parser, it writes
 * exactly the intended rules for names that are odd but valid, and nft
 * itself (in a private network namespace) accepts what it writes. The
 * plan's step sentences. The IPv6 IPoE and PPPoE rules, and the daemons an
 * IPv6 IPoE site wants and their way through a snapshot. */
#include <errno.h>
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

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "provision/provision.h"
#include "provision/state.h"
#include "tests/fuzz/nft_shape.h"

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
	struct site_diags d = { 0 };
	struct site *s = site_load_string("t.conf", text, false, &d);

	if (s == NULL)
		for (size_t i = 0; i < d.n; i++)
			print_message("# %u:%u: %s\n", d.v[i].line, d.v[i].col, d.v[i].message);
	site_diags_free(&d);
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
 * to that address only, in one rule; without it, nothing is open for it. */
static void test_nft_metrics(void **state)
{
	char unshare[] = "unshare", n[] = "-n", t[] = "true", nft[] = "nft", c[] = "-c",
	     f[] = "-f", in[] = "-";
	char *const probe[] = { unshare, n, t, NULL };
	char *const check[] = { unshare, n, nft, c, f, in, NULL };
	bool can_check = geteuid() == 0 && run_with_input(probe, "") == 0;

	(void)state;
	for (int on = 0; on < 2; on++)
		for (int ipsec = 0; ipsec < 2; ipsec++) {
			char *base = site_text(ipsec, "wan0", "lan0", "term0");
			char *conf = xasprintf("%s%s", base,
					       on ? "[monitor]\nmetrics_listen = 192.168.10.1:9101\n" : "");
			struct site_diags d = { 0 };
			struct site *s = site_load_string("t.conf", conf, false, &d);
			char *text, *hash, *cause = NULL;
			struct nft_shape got, want;
			const char *rule = "\t\tiifname \"lan0\" ip daddr 192.168.10.1 tcp dport 9101 accept comment \"metrics\"\n";

			assert_non_null(s);
			assert_int_equal(nft_ruleset(s, &text, &hash, &cause), 0);
			const char *why = nft_shape_read(text, s, &got);
			if (why)
				fail_msg("%s\n%s", why, text);
			nft_shape_expect(s, &want);
			assert_memory_equal(&got, &want, sizeof(got));
			if (on) {
				const char *at = strstr(text, rule);
				assert_non_null(at);
				assert_null(strstr(at + strlen(rule), "9101"));
			} else {
				assert_null(strstr(text, "\"metrics\""));
			}
			if (can_check && run_with_input(check, text) != 0)
				fail_msg("nft -c refused:\n%s", text);
			free(text);
			free(hash);
			site_free(s);
			site_diags_free(&d);
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

/* s with its first "from" replaced by "to" (which must be there). */
static char *str_replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* A valid IP-VPN site with IPv6 IPoE by PD and, when asked, PPPoE
 * pass-through. */
static struct site *load_ipoe(bool pppoe)
{
	char *base = site_text(false, "wan0", "lan0", "term0"), *a, *b, *c;
	struct site_diags d = { 0 };
	struct site *s;

	a = str_replace(base, "address = dhcp\n", "address = dhcp\naddress6 = ra\n");
	b = str_replace(a, "ce_router = 198.51.100.1\n",
			"ce_router = 198.51.100.1\nipv6 = ipoe\nipv6_prefix = pd\n");
	c = str_replace(b, "[lan]\n", pppoe ? "[lan]\npppoe_passthrough = yes\n" : "[lan]\n");
	s = site_load_string("t.conf", c, false, &d);
	for (size_t i = 0; s == NULL && i < d.n; i++)
		print_message("# %u:%u: %s\n", d.v[i].line, d.v[i].col, d.v[i].message);
	site_diags_free(&d);
	free(base);
	free(a);
	free(b);
	free(c);
	return s;
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
	assert_int_equal(want.n_daemons, 3);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_refuses_bad_names),
		cmocka_unit_test(test_nft_shape),
		cmocka_unit_test(test_nft_check_accepts),
		cmocka_unit_test(test_nft_metrics),
		cmocka_unit_test(test_step_text),
		cmocka_unit_test(test_nft_ipoe_pppoe),
		cmocka_unit_test(test_daemons_desired),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

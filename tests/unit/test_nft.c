/* The firewall by meaning: each layout's ruleset is loaded into nft in a
 * network namespace of its own, listed back as JSON (nft -j list ruleset),
 * and a small evaluator walks the listed rules for packets described by
 * (chain, iif, oif, saddr, daddr, protocol, port): which are accepted and
 * which dropped. It reads what the kernel holds, not the text we wrote, so
 * a rule that reads well but means something else is caught. */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/site.h"
#include "core/util.h"
#include "provision/state.h"
#include "tests/unit/site_fixture.h"

/* ---- sites ---- */

enum { L_IPSEC = 1, L_SEPARATE = 2, L_DHCP = 4, L_METRICS = 8, L_SSH = 16 };

/* A valid site of the layout given by the L_ flags. */
static struct site *load_site(unsigned l)
{
	bool sep = l & L_SEPARATE;
	char *text = xasprintf(
		"[site]\nfacility_code = 1312345678\nfacility_name = x\n"
		"[uplink]\ntype = %s\ninterface = wan0\naddress = %s\n%s"
		"%s"
		"[lan]\ninterface = lan0\naddress = 192.168.10.1/24\n"
		"management = 192.168.10.0/25, 2001:db8:1::/64\n%s"
		"[terminal]\nsegment = %s\n%s"
		"host = %s\nlan_ports = tcp/443, udp/3389\n"
		"[central]\nprefixes = 192.0.2.0/24, 2001:db8:2::/48\n"
		"%s",
		l & L_IPSEC ? "ipsec" : "ipvpn", l & L_DHCP ? "dhcp" : "198.51.100.2/24",
		l & L_IPSEC && !(l & L_DHCP) ? "gateway = 198.51.100.1\n" : "",
		l & L_IPSEC ? "[ipsec]\npeer = 203.0.113.1\nauth = psk\npsk_file = /etc/oqlink/psk\n"
			      "local_id = clinic@example\nremote_id = gw.example\ntunnel_mtu = 1400\n"
			    : "[ipvpn]\nce_router = 198.51.100.1\n",
		l & L_SSH ? "ssh = on\nssh_keys = /etc/oqlink/ssh-keys.pub\n" : "",
		sep ? "separate" : "lan",
		sep ? "interface = term0\naddress = 192.168.20.1/24\n" : "",
		sep ? "192.168.20.10" : "192.168.10.10",
		l & L_METRICS ? "[monitor]\nmetrics_listen = 192.168.10.1:9100\n" : "");
	struct site *s = site_from_text(text);

	free(text);
	return s;
}

/* ---- nft in a namespace of its own ---- */

/* Run argv with text on its standard input; its standard output (owned by
 * the caller) when it exits 0, else NULL. */
static char *run_io(char *const argv[], const char *text)
{
	int in[2], out[2], status;
	char *buf = NULL;
	size_t len = 0;
	pid_t pid;

	if (pipe(in) < 0 || pipe(out) < 0)
		return NULL;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid > 0 && write(in[1], text, strlen(text)) < 0)
		status = -1;
	close(in[1]);
	FILE *f = open_memstream(&buf, &len);
	char chunk[4096];
	ssize_t n;
	while ((n = read(out[0], chunk, sizeof(chunk))) > 0)
		fwrite(chunk, 1, (size_t)n, f);
	fclose(f);
	close(out[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool can_unshare(void)
{
	char unshare[] = "unshare", n[] = "-n", t[] = "true";
	char *const argv[] = { unshare, n, t, NULL };
	char *out;

	if (geteuid() != 0 || (out = run_io(argv, "")) == NULL)
		return false;
	free(out);
	return true;
}

/* The ruleset of s as the kernel lists it, or a failed test. */
static struct json_object *loaded(const struct site *s, char **text)
{
	char unshare[] = "unshare", n[] = "-n", sh[] = "sh", c[] = "-c",
	     cmd[] = "nft -f - && nft -j list ruleset";
	char *const argv[] = { unshare, n, sh, c, cmd, NULL };
	char *hash, *cause = NULL, *out;
	struct json_object *o;

	assert_int_equal(nft_ruleset(s, text, &hash, &cause), 0);
	free(hash);
	out = run_io(argv, *text);
	if (out == NULL)
		fail_msg("nft refused the ruleset:\n%s", *text);
	o = json_tokener_parse(out);
	free(out);
	assert_non_null(o);
	return o;
}

/* ---- the evaluator ---- */

struct pkt {
	const char *chain;	/* "input" or "forward" */
	const char *iif, *oif;	/* oif NULL on input */
	const char *src, *dst;
	const char *proto;	/* tcp, udp, esp, icmp, icmpv6 */
	unsigned sport, dport;	/* or, for icmp, dport 8 = echo request */
};

static int family_of(const char *a)
{
	return strchr(a, ':') ? 6 : 4;
}

/* Is address a inside addr/len? */
static bool in_prefix(const char *a, const char *net, int len)
{
	unsigned char x[16], y[16];
	int af = family_of(a) == 6 ? AF_INET6 : AF_INET;

	if (family_of(a) != family_of(net) || inet_pton(af, a, x) != 1 || inet_pton(af, net, y) != 1)
		return false;
	for (int i = 0; i < len; i++)
		if (((x[i / 8] ^ y[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static bool addr_eq(const char *a, const char *b)
{
	return in_prefix(a, b, family_of(a) == 6 ? 128 : 32);
}

/* The elements of set name (a JSON array), or NULL. */
static struct json_object *set_elems(struct json_object *rs, const char *name)
{
	struct json_object *a = json_object_object_get(rs, "nftables");

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *set = json_object_object_get(json_object_array_get_idx(a, i), "set");
		if (set && strcmp(json_object_get_string(json_object_object_get(set, "name")), name) == 0)
			return json_object_object_get(set, "elem");
	}
	return NULL;
}

struct val {
	const char *s;		/* a string value (address, name, word) */
	long n;			/* or a number, when s is NULL */
	bool addr;		/* s is an address */
};

/* Does v equal one value r of the listing (string, number, prefix, range)? */
static bool val_is(struct json_object *rs, const struct val *v, struct json_object *r)
{
	struct json_object *x;

	if (json_object_is_type(r, json_type_int))
		return v->s == NULL && v->n == json_object_get_int64(r);
	if (json_object_is_type(r, json_type_string)) {
		const char *w = json_object_get_string(r);
		if (v->s == NULL)
			return false;
		if (w[0] == '@') {
			struct json_object *e = set_elems(rs, w + 1);
			for (size_t i = 0; e && i < json_object_array_length(e); i++)
				if (val_is(rs, v, json_object_array_get_idx(e, i)))
					return true;
			return false;
		}
		if (v->addr)
			return addr_eq(v->s, w);
		return fnmatch(w, v->s, 0) == 0;	/* "ipsec*" matches ipsec0 */
	}
	if (json_object_object_get_ex(r, "prefix", &x))
		return v->addr &&
		       in_prefix(v->s, json_object_get_string(json_object_object_get(x, "addr")),
				 json_object_get_int(json_object_object_get(x, "len")));
	if (json_object_object_get_ex(r, "set", &x) || json_object_is_type(r, json_type_array)) {
		struct json_object *a = x && !json_object_is_type(r, json_type_array) ? x : r;
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (val_is(rs, v, json_object_array_get_idx(a, i)))
				return true;
		return false;
	}
	fail_msg("a value the evaluator does not know: %s", json_object_to_json_string(r));
	return false;
}

/* The packet's value for the left side of a match; false when the packet
 * has no such field (another protocol or family: nft's implicit
 * dependency makes the whole match false, whatever the operator). */
static bool field(const struct pkt *p, struct json_object *left, struct val *v)
{
	struct json_object *m;

	memset(v, 0, sizeof(*v));
	if (json_object_object_get_ex(left, "meta", &m)) {
		const char *k = json_object_get_string(json_object_object_get(m, "key"));
		if (strcmp(k, "iif") == 0 || strcmp(k, "iifname") == 0)
			v->s = p->iif;
		else if (strcmp(k, "oifname") == 0)
			v->s = p->oif;
		else if (strcmp(k, "l4proto") == 0)
			v->s = p->proto;
		else if (strcmp(k, "nfproto") == 0)
			v->s = family_of(p->src) == 6 ? "ipv6" : "ipv4";
		else
			fail_msg("meta %s", k);
		return v->s != NULL;
	}
	if (json_object_object_get_ex(left, "ct", &m)) {
		v->s = "new";	/* every packet here opens a connection */
		return true;
	}
	if (json_object_object_get_ex(left, "payload", &m)) {
		const char *proto = json_object_get_string(json_object_object_get(m, "protocol"));
		const char *f = json_object_get_string(json_object_object_get(m, "field"));
		if (strcmp(proto, "ip") == 0 || strcmp(proto, "ip6") == 0) {
			if (family_of(p->src) != (proto[2] ? 6 : 4))
				return false;
			if (strcmp(f, "hoplimit") == 0) {
				v->n = 64;
				return true;
			}
			v->s = strcmp(f, "saddr") == 0 ? p->src : strcmp(f, "daddr") == 0 ? p->dst : NULL;
			if (v->s == NULL)
				fail_msg("payload %s %s", proto, f);
			v->addr = true;
			return true;
		}
		if (strcmp(proto, p->proto) != 0)
			return false;
		if (strcmp(f, "type") == 0) {
			v->s = p->dport == 8 ? "echo-request" : "echo-reply";
			return true;
		}
		if (strcmp(f, "sport") == 0 || strcmp(f, "dport") == 0) {
			v->n = f[0] == 's' ? p->sport : p->dport;
			return true;
		}
		fail_msg("payload %s %s", proto, f);
	}
	fail_msg("a match the evaluator does not know: %s", json_object_to_json_string(left));
	return false;
}

/* Does one match expression hold for p? */
static bool match(struct json_object *rs, const struct pkt *p, struct json_object *m)
{
	const char *op = json_object_get_string(json_object_object_get(m, "op"));
	struct val v;

	if (!field(p, json_object_object_get(m, "left"), &v))
		return false;
	bool eq = val_is(rs, &v, json_object_object_get(m, "right"));
	if (strcmp(op, "==") == 0 || strcmp(op, "in") == 0)
		return eq;
	if (strcmp(op, "!=") == 0)
		return !eq;
	fail_msg("operator %s", op);
	return false;
}

/* "accept" or "drop" for p, from the rules of its chain and the policy. */
static const char *verdict(struct json_object *rs, const struct pkt *p)
{
	struct json_object *a = json_object_object_get(rs, "nftables"), *x;
	const char *policy = NULL;

	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		if (json_object_object_get_ex(o, "chain", &x) &&
		    strcmp(json_object_get_string(json_object_object_get(x, "name")), p->chain) == 0)
			policy = json_object_get_string(json_object_object_get(x, "policy"));
		if (!json_object_object_get_ex(o, "rule", &x) ||
		    strcmp(json_object_get_string(json_object_object_get(x, "chain")), p->chain) != 0)
			continue;
		struct json_object *e = json_object_object_get(x, "expr");
		const char *v = NULL;
		for (size_t j = 0; j < json_object_array_length(e); j++) {
			struct json_object *ex = json_object_array_get_idx(e, j);
			if (json_object_object_get_ex(ex, "accept", NULL))
				v = "accept";
			else if (json_object_object_get_ex(ex, "drop", NULL))
				v = "drop";
		}
		if (v == NULL)		/* counters and MSS clamping decide nothing */
			continue;
		bool all = true;
		for (size_t j = 0; all && j < json_object_array_length(e); j++) {
			struct json_object *m;
			if (json_object_object_get_ex(json_object_array_get_idx(e, j), "match", &m))
				all = match(rs, p, m);
		}
		if (all)
			return v;
	}
	assert_non_null(policy);
	return policy;
}

/* ---- the expectations ---- */

#define ACC "accept"
#define DROP "drop"

struct want {
	unsigned layouts;	/* the L_ bits the case needs set ... */
	unsigned unless;	/* ... and these unset */
	struct pkt p;
	const char *v;
	const char *what;
};

/* The terminal, in either layout: its own segment or the LAN. */
#define TERM_IF(l) ((l) & L_SEPARATE ? "term0" : "lan0")

static const struct want wants[] = {
	/* the terminal to the central prefixes: by the tunnel (ipsec) or the
	 * CE router on the uplink (IP-VPN), from its own address only */
	{ L_IPSEC, 0, { "forward", "T", "ipsec0", "T", "192.0.2.5", "tcp", 40000, 443 }, ACC,
	  "terminal to central through the tunnel" },
	{ L_IPSEC, 0, { "forward", "T", "wan0", "T", "192.0.2.5", "tcp", 40000, 443 }, DROP,
	  "terminal to central in clear on the uplink" },
	{ 0, L_IPSEC, { "forward", "T", "wan0", "T", "192.0.2.5", "tcp", 40000, 443 }, ACC,
	  "terminal to central by the CE router" },
	{ L_IPSEC, 0, { "forward", "T", "ipsec0", "T+1", "192.0.2.5", "tcp", 40000, 443 }, DROP,
	  "another host of the terminal's segment to central (tunnel)" },
	{ 0, L_IPSEC, { "forward", "T", "wan0", "T+1", "192.0.2.5", "tcp", 40000, 443 }, DROP,
	  "another host of the terminal's segment to central (IP-VPN)" },
	{ L_SEPARATE | L_IPSEC, 0, { "forward", "lan0", "ipsec0", "192.168.10.5", "192.0.2.5", "tcp", 40000, 443 },
	  DROP, "LAN to central (tunnel)" },
	{ L_SEPARATE, L_IPSEC, { "forward", "lan0", "wan0", "192.168.10.5", "192.0.2.5", "tcp", 40000, 443 },
	  DROP, "LAN to central (IP-VPN)" },
	{ 0, 0, { "forward", "lan0", "wan0", "192.168.10.5", "2001:db8:2::5", "tcp", 40000, 443 }, DROP,
	  "LAN to an IPv6 central prefix" },
	{ L_SEPARATE, 0, { "forward", "lan0", "wan0", "2001:db8:1::5", "2001:db8:2::5", "tcp", 40000, 443 },
	  DROP, "LAN (IPv6) to an IPv6 central prefix" },
	{ L_IPSEC, 0, { "forward", "lan0", "ipsec0", "192.168.10.5", "8.8.8.8", "udp", 40000, 53 }, DROP,
	  "internet traffic into the tunnel" },
	{ L_IPSEC, 0, { "forward", "lan0", "ipsec0", "2001:db8:1::5", "2001:db8:9::1", "udp", 40000, 53 },
	  DROP, "internet traffic (IPv6) into the tunnel" },
	{ 0, 0, { "forward", "wan0", "lan0", "203.0.113.9", "192.168.10.5", "tcp", 40000, 22 }, DROP,
	  "the uplink opening a connection to the LAN" },
	{ L_SEPARATE, 0, { "forward", "wan0", "term0", "192.0.2.5", "192.168.20.10", "tcp", 40000, 443 },
	  DROP, "the uplink opening a connection to the terminal" },
	{ L_IPSEC, 0, { "forward", "ipsec0", "T", "192.0.2.5", "T", "tcp", 40000, 443 }, DROP,
	  "central opening a connection to the terminal" },
	/* the LAN to the terminal's own segment: only the listed ports */
	{ L_SEPARATE, 0, { "forward", "lan0", "term0", "192.168.10.5", "192.168.20.10", "tcp", 40000, 443 },
	  ACC, "LAN to the terminal, tcp/443" },
	{ L_SEPARATE, 0, { "forward", "lan0", "term0", "192.168.10.5", "192.168.20.10", "udp", 40000, 3389 },
	  ACC, "LAN to the terminal, udp/3389" },
	{ L_SEPARATE, 0, { "forward", "lan0", "term0", "192.168.10.5", "192.168.20.10", "tcp", 40000, 3389 },
	  DROP, "LAN to the terminal, tcp/3389" },
	{ L_SEPARATE, 0, { "forward", "lan0", "term0", "192.168.10.5", "192.168.20.10", "tcp", 443, 444 },
	  DROP, "LAN to the terminal, tcp/444 from port 443" },
	{ L_SEPARATE, 0, { "forward", "lan0", "term0", "192.168.10.5", "192.168.20.11", "tcp", 40000, 443 },
	  DROP, "LAN to another host of the terminal's segment" },
	{ L_SEPARATE, 0, { "forward", "term0", "lan0", "192.168.20.10", "192.168.10.5", "tcp", 40000, 443 },
	  DROP, "the terminal opening a connection to the LAN" },
	/* the appliance itself */
	{ L_IPSEC, 0, { "input", "wan0", NULL, "203.0.113.1", "198.51.100.2", "udp", 500, 500 }, ACC,
	  "IKE from the peer" },
	{ L_IPSEC, 0, { "input", "wan0", NULL, "203.0.113.1", "198.51.100.2", "udp", 4500, 4500 }, ACC,
	  "NAT-T from the peer" },
	{ L_IPSEC, 0, { "input", "wan0", NULL, "203.0.113.1", "198.51.100.2", "udp", 4501, 4501 }, DROP,
	  "udp/4501 from the peer" },
	{ L_IPSEC, 0, { "input", "wan0", NULL, "203.0.113.1", "198.51.100.2", "esp", 0, 0 }, ACC,
	  "ESP from the peer" },
	{ L_IPSEC, 0, { "input", "wan0", NULL, "203.0.113.9", "198.51.100.2", "udp", 500, 500 }, DROP,
	  "IKE from another host" },
	{ L_IPSEC, 0, { "input", "wan0", NULL, "203.0.113.9", "198.51.100.2", "udp", 4500, 4500 }, DROP,
	  "NAT-T from another host" },
	{ L_IPSEC, 0, { "input", "wan0", NULL, "203.0.113.9", "198.51.100.2", "esp", 0, 0 }, DROP,
	  "ESP from another host" },
	{ L_IPSEC, 0, { "input", "lan0", NULL, "203.0.113.1", "192.168.10.1", "udp", 500, 500 }, DROP,
	  "IKE on the LAN side" },
	{ 0, L_IPSEC, { "input", "wan0", NULL, "198.51.100.1", "198.51.100.2", "udp", 500, 500 }, DROP,
	  "IKE on an IP-VPN line" },
	{ L_DHCP, 0, { "input", "wan0", NULL, "198.51.100.1", "198.51.100.2", "udp", 67, 68 }, ACC,
	  "DHCP reply on a DHCP uplink" },
	{ 0, L_DHCP, { "input", "wan0", NULL, "198.51.100.1", "198.51.100.2", "udp", 67, 68 }, DROP,
	  "DHCP reply on a static uplink" },
	{ L_SSH, 0, { "input", "lan0", NULL, "192.168.10.5", "192.168.10.1", "tcp", 40000, 22 }, ACC,
	  "ssh from the management prefix" },
	{ L_SSH, 0, { "input", "lan0", NULL, "2001:db8:1::5", "2001:db8:1::1", "tcp", 40000, 22 }, ACC,
	  "ssh from the IPv6 management prefix" },
	{ 0, L_SSH, { "input", "lan0", NULL, "192.168.10.5", "192.168.10.1", "tcp", 40000, 22 }, DROP,
	  "ssh from the management prefix with ssh = off" },
	{ 0, L_SSH, { "input", "lan0", NULL, "2001:db8:1::5", "2001:db8:1::1", "tcp", 40000, 22 }, DROP,
	  "ssh from the IPv6 management prefix with ssh = off" },
	{ 0, 0, { "input", "lan0", NULL, "192.168.10.200", "192.168.10.1", "tcp", 40000, 22 }, DROP,
	  "ssh from the LAN outside the management prefix" },
	{ 0, 0, { "input", "lan0", NULL, "192.168.10.5", "192.168.10.1", "tcp", 40000, 23 }, DROP,
	  "telnet from the management prefix" },
	{ 0, 0, { "input", "wan0", NULL, "192.168.10.5", "198.51.100.2", "tcp", 40000, 22 }, DROP,
	  "ssh from the uplink" },
	{ L_SEPARATE, 0, { "input", "term0", NULL, "192.168.10.5", "192.168.20.1", "tcp", 40000, 22 }, DROP,
	  "ssh from the terminal's segment" },
	{ 0, 0, { "input", "lan0", NULL, "192.168.10.5", "192.168.10.1", "icmp", 0, 8 }, ACC,
	  "echo request from the LAN" },
	{ L_SEPARATE, 0, { "input", "term0", NULL, "192.168.20.10", "192.168.20.1", "icmp", 0, 8 }, ACC,
	  "echo request from the terminal's segment" },
	{ 0, 0, { "input", "wan0", NULL, "203.0.113.9", "198.51.100.2", "icmp", 0, 8 }, DROP,
	  "echo request from the uplink" },
	{ 0, 0, { "input", "wan0", NULL, "2001:db8:9::1", "2001:db8:3::2", "icmpv6", 0, 8 }, DROP,
	  "IPv6 echo request from the uplink" },
	{ L_METRICS, 0, { "input", "lan0", NULL, "192.168.10.5", "192.168.10.1", "tcp", 40000, 9100 }, ACC,
	  "metrics from the LAN" },
	{ L_METRICS, 0, { "input", "wan0", NULL, "203.0.113.9", "192.168.10.1", "tcp", 40000, 9100 }, DROP,
	  "metrics from the uplink" },
	{ 0, L_METRICS, { "input", "lan0", NULL, "192.168.10.5", "192.168.10.1", "tcp", 40000, 9100 }, DROP,
	  "metrics port without metrics_listen" },
};

/* "T" is the terminal's interface or address in layout l, "T+1" its neighbour. */
static const char *subst(const char *x, unsigned l, bool iface)
{
	if (x == NULL || strncmp(x, "T", 1) != 0)
		return x;
	if (iface)
		return TERM_IF(l);
	if (strcmp(x, "T+1") == 0)
		return l & L_SEPARATE ? "192.168.20.11" : "192.168.10.11";
	return l & L_SEPARATE ? "192.168.20.10" : "192.168.10.10";
}

static const char *layout_name(unsigned l, char *buf, size_t size)
{
	snprintf(buf, size, "%s, %s segment, %s uplink%s%s", l & L_IPSEC ? "ipsec" : "ipvpn",
		 l & L_SEPARATE ? "separate" : "lan", l & L_DHCP ? "dhcp" : "static",
		 l & L_METRICS ? ", metrics" : "", l & L_SSH ? ", ssh" : "");
	return buf;
}

/* Every case of wants[] in every layout it applies to. */
static void test_nft_meaning(void **state)
{
	unsigned checked = 0;

	(void)state;
	if (!can_unshare())
		skip();
	for (unsigned l = 0; l < 32; l++) {
		struct site *s = load_site(l);
		char *text, name[96];
		assert_non_null(s);
		struct json_object *rs = loaded(s, &text);
		for (size_t i = 0; i < ARRAY_SIZE(wants); i++) {
			const struct want *w = &wants[i];
			if ((l & w->layouts) != w->layouts || (l & w->unless))
				continue;
			struct pkt p = w->p;
			p.iif = subst(p.iif, l, true);
			p.oif = subst(p.oif, l, true);
			p.src = subst(p.src, l, false);
			p.dst = subst(p.dst, l, false);
			const char *got = verdict(rs, &p);
			if (strcmp(got, w->v) != 0)
				fail_msg("%s: %s: %s, want %s\n%s", layout_name(l, name, sizeof(name)),
					 w->what, got, w->v, text);
			checked++;
		}
		json_object_put(rs);
		free(text);
		site_free(s);
	}
	print_message("# %u packets judged\n", checked);
}

/* The MSS clamp fits the tunnel: 1400 less 40 bytes of headers for IPv4,
 * 60 for IPv6, both directions; none on an IP-VPN line. */
static void test_nft_clamp(void **state)
{
	static const char *const want[] = {
		"ip daddr @central4 tcp flags syn / syn,rst tcp option maxseg size > 1360 tcp option maxseg size set 1360",
		"ip saddr @central4 tcp flags syn / syn,rst tcp option maxseg size > 1360 tcp option maxseg size set 1360",
		"ip6 daddr @central6 tcp flags syn / syn,rst tcp option maxseg size > 1340 tcp option maxseg size set 1340",
		"ip6 saddr @central6 tcp flags syn / syn,rst tcp option maxseg size > 1340 tcp option maxseg size set 1340",
	};

	(void)state;
	for (unsigned l = 0; l < 2; l++) {
		struct site *s = load_site(l ? L_IPSEC | L_SEPARATE : L_SEPARATE);
		char *text, *hash, *cause = NULL;
		assert_non_null(s);
		assert_int_equal(nft_ruleset(s, &text, &hash, &cause), 0);
		for (size_t i = 0; i < ARRAY_SIZE(want); i++)
			if ((strstr(text, want[i]) != NULL) != (l == 1))
				fail_msg("%s '%s' in\n%s", l ? "no" : "unexpected", want[i], text);
		assert_int_equal(strstr(text, "maxseg") != NULL, l == 1);
		free(text);
		free(hash);
		site_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_meaning),
		cmocka_unit_test(test_nft_clamp),
	};

	signal(SIGPIPE, SIG_IGN);	/* nft that dies early is a failed test, not a dead one */
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The firewall and segmentation ruleset: generated from the site as nft
 * source for one table, `inet oqlink`, and loaded through libnftables in one
 * transaction. No other table is read or touched. The table's comment holds
 * a hash of the source, which is how plan knows the loaded table is ours and
 * current without comparing nft's normalised listing. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nftables/libnftables.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "provision/state.h"

#define HASH_TAG "oqlink:"

/* A set of prefixes of one family, empty when there is none. */
static void put_set(FILE *f, const char *name, int family, const struct oq_prefix *v, size_t n)
{
	char buf[64];
	bool first = true;

	fprintf(f, "\tset %s {\n\t\ttype %s\n\t\tflags interval\n", name,
		family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	for (size_t i = 0; i < n; i++) {
		if (v[i].family != family)
			continue;
		struct oq_prefix net = prefix_network(&v[i]);
		fprintf(f, "%s%s", first ? "\t\telements = { " : ", ", prefix_str(&net, buf, false));
		first = false;
	}
	if (!first)
		fputs(" }\n", f);
	fputs("\t}\n", f);
}

/* "ip" or "ip6" for an address family. */
static const char *ipk(int family)
{
	return family == AF_INET6 ? "ip6" : "ip";
}

/* One rule for each interface on the clinic's side (LAN, and the terminal
 * segment when it is separate). */
static void put_inside(FILE *f, const struct site *s, const char *rule)
{
	fprintf(f, "\t\tiifname \"%s\" %s\n", s->lan_if, rule);
	if (s->segment == SITE_SEGMENT_SEPARATE && s->term_if)
		fprintf(f, "\t\tiifname \"%s\" %s\n", s->term_if, rule);
}

/* The monitor's metrics ([monitor] metrics_listen): only from the LAN side,
 * only from the sources that may scrape (site_metrics_allow) and only to
 * the management address they listen on. */
static void put_metrics(FILE *f, const struct site *s)
{
	struct oq_prefix a, allow[64];
	char buf[64];
	size_t n;

	if (s->metrics_listen.host == NULL || !addr_parse(s->metrics_listen.host, &a))
		return;
	n = site_metrics_allow(s, a.family, allow, ARRAY_SIZE(allow));
	if (n == 0)
		return;
	fprintf(f, "\t\tiifname \"%s\" %s saddr { ", s->lan_if, ipk(a.family));
	for (size_t i = 0; i < n; i++) {
		struct oq_prefix net = prefix_network(&allow[i]);
		fprintf(f, "%s%s", i ? ", " : "", prefix_str(&net, buf, false));
	}
	fprintf(f, " } %s daddr %s tcp dport %u accept comment \"metrics\"\n", ipk(a.family),
		prefix_str(&a, buf, true), s->metrics_listen.port);
}

/* The input chain: what may reach the appliance itself. */
static void put_input(FILE *f, const struct site *s)
{
	struct oq_prefix peer;
	char buf[64];

	/* ICMPv6 from any interface, the uplink included: the errors a path
	 * needs (packet-too-big for path MTU) and neighbour discovery, which
	 * only ever comes from the link itself (hop limit 255, RFC 4861).
	 * Echo requests and multicast listener discovery only from the
	 * clinic's side. */
	fputs("\tchain input {\n"
	      "\t\ttype filter hook input priority filter; policy drop;\n"
	      "\t\tiif \"lo\" accept\n"
	      "\t\tct state invalid drop\n"
	      "\t\tct state established,related accept\n"
	      "\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept comment \"errors a path needs, path MTU\"\n"
	      "\t\ticmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept comment \"neighbour discovery\"\n"
	      "\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept\n", f);
	put_inside(f, s, "icmp type echo-request accept");
	put_inside(f, s, "icmpv6 type echo-request accept");
	put_inside(f, s, "ip6 saddr fe80::/10 icmpv6 type { mld-listener-query, mld-listener-report, mld2-listener-report, mld-listener-done } accept comment \"multicast listener discovery\"");
	if (s->line == SITE_LINE_IPSEC) {
		char from[96] = "";
		if (s->peer && addr_parse(s->peer, &peer))
			snprintf(from, sizeof(from), "%s saddr %s ", ipk(peer.family),
				 prefix_str(&peer, buf, true));
		fprintf(f, "\t\tiifname \"%s\" %sudp dport { 500, 4500 } accept comment \"IKE and NAT-T from the peer\"\n",
			s->wan_if, from);
		fprintf(f, "\t\tiifname \"%s\" %smeta l4proto esp accept comment \"ESP from the peer\"\n",
			s->wan_if, from);
	}
	if (s->wan_mode == SITE_ADDR_DHCP)
		fprintf(f, "\t\tiifname \"%s\" udp sport 67 udp dport 68 accept comment \"DHCP replies\"\n",
			s->wan_if);
	if (site_ipoe6(s) && s->prefix6 == SITE_PREFIX6_PD)
		fprintf(f, "\t\tiifname \"%s\" ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept comment \"DHCPv6 replies (prefix delegation)\"\n",
			s->wan_if);
	/* SSH only when it is on ([lan] ssh): from the LAN's management sources */
	if (s->ssh) {
		fprintf(f, "\t\tiifname \"%s\" ip saddr @mgmt4 tcp dport 22 accept comment \"management (ssh)\"\n",
			s->lan_if);
		fprintf(f, "\t\tiifname \"%s\" ip6 saddr @mgmt6 tcp dport 22 accept comment \"management (ssh)\"\n",
			s->lan_if);
	}
	put_metrics(f, s);
	fputs("\t\tcounter comment \"input: dropped\"\n\t}\n", f);
}

/* MSS clamping for TCP to and from the central prefixes, so that segments
 * fit the tunnel's MTU (IPv4 40 bytes of headers, IPv6 60). */
static void put_clamp(FILE *f, const struct site *s)
{
	if (s->line != SITE_LINE_IPSEC || s->tunnel_mtu == 0)
		return;
	static const struct { const char *k, *set; unsigned hdr; } fam[] = {
		{ "ip", "central4", 40 }, { "ip6", "central6", 60 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fam); i++) {
		unsigned mss = s->tunnel_mtu - fam[i].hdr;
		for (int dir = 0; dir < 2; dir++)
			fprintf(f, "\t\t%s %s @%s tcp flags syn / syn,rst tcp option maxseg size > %u "
				   "tcp option maxseg size set %u\n",
				fam[i].k, dir ? "saddr" : "daddr", fam[i].set, mss, mss);
	}
}

/* The forward chain: the segmentation policy (docs/provision.md). */
static void put_forward(FILE *f, const struct site *s)
{
	bool sep = s->segment == SITE_SEGMENT_SEPARATE && s->term_if;
	const char *term_if = sep ? s->term_if : s->lan_if;
	char term[64], via[64];

	fputs("\tchain forward {\n"
	      "\t\ttype filter hook forward priority filter; policy drop;\n"
	      "\t\tct state invalid drop\n", f);
	put_clamp(f, s);
	if (s->line == SITE_LINE_IPSEC) {
		/* kernel-libipsec hands the tunnel's traffic to a TUN device
		 * "ipsecN"; only central prefixes may go there */
		fputs("\t\toifname \"ipsec*\" meta nfproto ipv4 ip daddr != @central4 counter drop comment \"internet traffic never enters the tunnel\"\n"
		      "\t\toifname \"ipsec*\" meta nfproto ipv6 ip6 daddr != @central6 counter drop comment \"internet traffic never enters the tunnel\"\n", f);
	}
	fputs("\t\tct state established,related accept\n", f);
	fprintf(f, "\t\tiifname \"%s\" counter drop comment \"nothing from the uplink opens a connection inward\"\n",
		s->wan_if);
	prefix_str(&s->terminal, term, true);
	const char *k = ipk(s->terminal.family);
	const char *cset = s->terminal.family == AF_INET6 ? "central6" : "central4";
	if (s->line == SITE_LINE_IPSEC)	/* through the tunnel, never in clear on the uplink */
		snprintf(via, sizeof(via), "oifname != \"%s\"", s->wan_if);
	else				/* to the CE router on the uplink */
		snprintf(via, sizeof(via), "oifname \"%s\"", s->wan_if);
	if (s->terminal.family)
		fprintf(f, "\t\tiifname \"%s\" %s saddr %s %s daddr @%s %s accept comment \"terminal to the central prefixes\"\n",
			term_if, k, term, k, cset, via);
	/* IPv6 IPoE: the terminal's addresses come from the line's prefix,
	 * which changes now and then; the segment is the terminal's alone */
	if (site_ipoe6(s))
		fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" ip6 saddr != fe80::/10 ip6 daddr @central6 accept comment \"terminal to the central prefixes (IPv6)\"\n",
			s->term_if, s->wan_if);
	fprintf(f, "\t\tiifname \"%s\" ip daddr @central4 counter drop comment \"LAN never reaches the central prefixes\"\n"
		   "\t\tiifname \"%s\" ip6 daddr @central6 counter drop comment \"LAN never reaches the central prefixes\"\n",
		s->lan_if, s->lan_if);
	if (sep && s->terminal.family) {
		for (size_t i = 0; i < s->n_lan_ports; i++)
			fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" %s daddr %s %s dport %u accept comment \"LAN to the terminal\"\n",
				s->lan_if, s->term_if, k, term, s->lan_ports[i].proto,
				s->lan_ports[i].port);
	}
	fputs("\t\tcounter comment \"forward: dropped\"\n\t}\n", f);
}

/* PPPoE pass-through ([lan] pppoe_passthrough): a table of the netdev
 * family whose ingress hooks on the LAN and WAN ports send PPPoE discovery
 * and session frames (ethertypes 0x8863 and 0x8864, written in decimal)
 * out of the other port as they are. Nothing else is touched: every other
 * frame goes on to the routed stack and its addresses, and to the inet
 * table's policy, as before. A bridge of the two ports would take their
 * frames away from their own addresses; the bridge family could hand them
 * back (meta broute), but Debian 12's nft cannot write that. */
static void put_pppoe(FILE *f, const struct site *s)
{
	static const char *const chain[2] = { "lan_pppoe", "wan_pppoe" };
	const char *from[2] = { s->lan_if, s->wan_if }, *to[2] = { s->wan_if, s->lan_if };

	if (!s->pppoe_passthrough)
		return;
	fprintf(f, "table netdev %s {\n", PS_NFT_TABLE);
	for (int i = 0; i < 2; i++)
		fprintf(f, "\tchain %s {\n"
			   "\t\ttype filter hook ingress device \"%s\" priority filter; policy accept;\n"
			   "\t\tether type { 34915, 34916 } counter fwd to \"%s\" comment \"PPPoE pass-through\"\n"
			   "\t}\n", chain[i], from[i], to[i]);
	fputs("}\n", f);
}

/* Every interface name the ruleset writes must fit the grammar, so that a
 * quoted name can neither close its quotes nor be a wildcard, even for a
 * site that did not come through site_load(). */
static int check_names(const struct site *s, char **cause)
{
	const char *names[] = { s->wan_if, s->lan_if,
				s->segment == SITE_SEGMENT_SEPARATE ? s->term_if : NULL };

	if (s->wan_if == NULL || s->lan_if == NULL)
		return cause_set(cause, EINVAL, "%s", _("[uplink] と [lan] の interface が必要です",
						       "[uplink] and [lan] need an interface"));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i] && !site_ifname_ok(names[i])) {
			char *clean = str_sanitize(names[i]);
			cause_set(cause, EINVAL, _("インターフェース名 '%s' は使えません",
						   "refusing the interface name '%s'"), clean);
			free(clean);
			return -EINVAL;
		}
	return 0;
}

int nft_ruleset(const struct site *s, char **text, char **hash, char **cause)
{
	char *body = NULL, *netdev = NULL, *all;
	size_t len = 0, nlen = 0;
	FILE *f;
	int r;

	*text = NULL;
	*hash = NULL;
	if ((r = check_names(s, cause)) < 0)
		return r;
	if ((f = open_memstream(&body, &len)) == NULL)
		abort();
	put_set(f, "central4", AF_INET, s->central, s->n_central);
	put_set(f, "central6", AF_INET6, s->central, s->n_central);
	put_set(f, "mgmt4", AF_INET, s->management, s->n_management);
	put_set(f, "mgmt6", AF_INET6, s->management, s->n_management);
	put_input(f, s);
	put_forward(f, s);
	fclose(f);
	if ((f = open_memstream(&netdev, &nlen)) == NULL)
		abort();
	put_pppoe(f, s);
	fclose(f);
	all = xasprintf("%s%s", body, netdev);
	*hash = xasprintf("%016" PRIx64, fnv1a64(all, strlen(all)));
	*text = xasprintf("table inet %s {\n\tcomment \"%s%s\"\n%s}\n%s", PS_NFT_TABLE, HASH_TAG,
			  *hash, body, netdev);
	free(all);
	free(body);
	free(netdev);
	return 0;
}

/* A libnftables context writing output and errors to buffers. */
static struct nft_ctx *nft_open(void)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

	if (nft == NULL)
		abort();
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	return nft;
}

/* The first line of nft's error buffer, trimmed, for a cause. */
static char *nft_error(struct nft_ctx *nft)
{
	const char *e = nft_ctx_get_error_buffer(nft);
	char *s = xstrdup(e ? e : "");
	s[strcspn(s, "\n")] = '\0';
	return s;
}

int nft_read(char **text, char **hash, char **cause)
{
	struct nft_ctx *nft = nft_open();
	char cmd[64];
	int r = 0;

	*text = NULL;
	*hash = NULL;
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_STATELESS);
	snprintf(cmd, sizeof(cmd), "list table inet %s", PS_NFT_TABLE);
	if (nft_run_cmd_from_buffer(nft, cmd) != 0) {
		char *e = nft_error(nft);
		if (strstr(e, "No such file") == NULL)
			r = cause_set(cause, EIO, _("nftables を読めません: %s",
						    "cannot read nftables: %s"), e);
		free(e);
		goto out;
	}
	*text = xstrdup(nft_ctx_get_output_buffer(nft));
	const char *h = strstr(*text, "comment \"" HASH_TAG);
	if (h) {
		h += strlen("comment \"" HASH_TAG);
		*hash = xstrndup(h, strcspn(h, "\""));
	}
out:
	nft_ctx_free(nft);
	return r;
}

int nft_load(const char *text, char **cause)
{
	struct nft_ctx *nft = nft_open();
	/* "add" first so that "delete" never fails: the whole buffer is one
	 * transaction, so the old tables stay until the new ones are in */
	char *buf = xasprintf("add table inet %s\ndelete table inet %s\n"
			      "add table netdev %s\ndelete table netdev %s\n%s", PS_NFT_TABLE,
			      PS_NFT_TABLE, PS_NFT_TABLE, PS_NFT_TABLE, text ? text : "");
	int r = 0;

	if (nft_run_cmd_from_buffer(nft, buf) != 0) {
		char *e = nft_error(nft);
		r = cause_set(cause, EIO, _("nftables に読み込めません: %s",
					    "nftables refused the ruleset: %s"), e);
		free(e);
	}
	free(buf);
	nft_ctx_free(nft);
	return r;
}

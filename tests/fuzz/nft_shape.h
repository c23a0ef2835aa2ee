/* The shape of a ruleset as provision/nft.c writes it, read back without
 * nft: rules and verdicts per chain, every interface name in quotes and one
 * of the site's, every word outside quotes one nft keyword or a number,
 * address or set reference. Shared by the ruleset fuzzer and the unit test
 * of the writer. */
#ifndef OQ_TEST_NFT_SHAPE_H
#define OQ_TEST_NFT_SHAPE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/site.h"

enum { SHAPE_INPUT = 0, SHAPE_FORWARD = 1 };

struct nft_shape {
	unsigned rules[2], accepts[2], drops[2];
};

/* Words nft_ruleset may write outside quotes. */
static const char *const shape_words[] = {
	"table", "inet", "oqlink", "comment", "set", "type", "ipv4_addr", "ipv6_addr", "flags",
	"interval", "elements", "=", "{", "}", "chain", "filter", "hook", "input", "forward",
	"priority", "policy", "drop", "accept", "iif", "iifname", "oifname", "!=", "ct", "state",
	"invalid", "established,related", "meta", "l4proto", "esp", "nfproto", "ipv4", "ipv6",
	"icmp", "icmpv6", "destination-unreachable", "packet-too-big", "time-exceeded",
	"parameter-problem", "nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit",
	"nd-neighbor-advert", "echo-request", "mld-listener-query", "mld-listener-report",
	"mld2-listener-report", "mld-listener-done", "ip", "ip6", "hoplimit", "saddr", "daddr",
	"udp", "tcp", "sport", "dport", "counter", "option", "maxseg", "size", ">", "/", "syn",
	"syn,rst", "central4", "central6", "mgmt4", "mgmt6",
	"netdev", "ingress", "device", "ether", "fwd", "to", "lan_pppoe", "wan_pppoe",
};

static bool shape_word_ok(const char *w)
{
	for (size_t i = 0; i < sizeof(shape_words) / sizeof(shape_words[0]); i++)
		if (strcmp(shape_words[i], w) == 0)
			return true;
	if (w[0] == '@')	/* a set of ours */
		return strcmp(w, "@central4") == 0 || strcmp(w, "@central6") == 0 ||
		       strcmp(w, "@mgmt4") == 0 || strcmp(w, "@mgmt6") == 0;
	/* a number, an address or a prefix: digits, hex, '.', ':' and '/' */
	if (strspn(w, "0123456789abcdef.:/") != strlen(w))
		return false;
	return strpbrk(w, "0123456789:") != NULL;
}

/* Is q (a quoted string's contents) a name the site may put after
 * iifname/oifname/iif? */
static bool shape_ifname_ok(const struct site *s, const char *q)
{
	return strcmp(q, s->wan_if) == 0 || strcmp(q, s->lan_if) == 0 ||
	       (s->segment == SITE_SEGMENT_SEPARATE && s->term_if && strcmp(q, s->term_if) == 0) ||
	       strcmp(q, "lo") == 0 || strcmp(q, "ipsec*") == 0;
}

/* Read text into *out. Returns NULL when it has the shape, else what is
 * wrong (in a static buffer). */
static const char *nft_shape_read(const char *text, const struct site *s, struct nft_shape *out)
{
	static char why[256];
	int chain = -1;
	unsigned lineno = 0;

	memset(out, 0, sizeof(*out));
	for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0')) {
		size_t len = strcspn(l, "\n");
		const char *c = l, *end = l + len;
		char word[256], prev[32] = "", prev2[32] = "";
		bool rule = false, header = false;
		unsigned verdicts = 0;

		lineno++;
		while (c < end) {
			size_t n;
			while (c < end && (*c == ' ' || *c == '\t'))
				c++;
			if (c >= end)
				break;
			if (*c == '"') {
				const char *close = memchr(c + 1, '"', (size_t)(end - c - 1));
				if (close == NULL) {
					snprintf(why, sizeof(why), "line %u: unterminated quote", lineno);
					return why;
				}
				n = (size_t)(close - c - 1);
				if (n >= sizeof(word))
					n = sizeof(word) - 1;
				memcpy(word, c + 1, n);
				word[n] = '\0';
				c = close + 1;
				if (c < end && *c != ' ' && *c != '\n' && *c != ',' && *c != ';') {
					snprintf(why, sizeof(why), "line %u: a quoted string runs into '%c'",
						 lineno, *c);
					return why;
				}
				bool after_if = strcmp(prev, "iifname") == 0 || strcmp(prev, "oifname") == 0 ||
						strcmp(prev, "iif") == 0 || strcmp(prev, "device") == 0 ||
						strcmp(prev, "to") == 0 ||
						(strcmp(prev, "!=") == 0 && strcmp(prev2, "oifname") == 0);
				if (after_if && !shape_ifname_ok(s, word)) {
					snprintf(why, sizeof(why), "line %u: interface \"%.64s\" is not the site's",
						 lineno, word);
					return why;
				}
				if (!after_if && strcmp(prev, "comment") != 0) {
					snprintf(why, sizeof(why), "line %u: a quoted string after '%.32s'",
						 lineno, prev);
					return why;
				}
				memcpy(prev2, prev, sizeof(prev2));
				snprintf(prev, sizeof(prev), "\"");
				rule = true;
				continue;
			}
			n = strcspn(c, " \t\n\"");
			if (c + n > end)
				n = (size_t)(end - c);
			if (n >= sizeof(word))
				n = sizeof(word) - 1;
			memcpy(word, c, n);
			word[n] = '\0';
			c += n;
			while (n > 1 && (word[n - 1] == ',' || word[n - 1] == ';'))
				word[--n] = '\0';
			if (!shape_word_ok(word)) {
				snprintf(why, sizeof(why), "line %u: '%.64s' outside quotes", lineno, word);
				return why;
			}
			if (prev[0] == '\0' && strcmp(word, "chain") == 0) {
				header = true;
				chain = -2;
			} else if (chain == -2 && strcmp(word, "input") == 0 && strcmp(prev, "chain") == 0) {
				chain = SHAPE_INPUT;
			} else if (chain == -2 && strcmp(word, "forward") == 0 && strcmp(prev, "chain") == 0) {
				chain = SHAPE_FORWARD;
			} else if (prev[0] == '\0' && strcmp(word, "type") == 0) {
				header = true;
			} else if (prev[0] == '\0' && strcmp(word, "}") == 0) {
				header = true;
				if (chain >= 0)
					chain = -1;
			}
			if (!header && (strcmp(word, "accept") == 0 || strcmp(word, "drop") == 0)) {
				verdicts++;
				if (chain >= 0)
					(word[0] == 'a' ? out->accepts : out->drops)[chain]++;
			}
			memcpy(prev2, prev, sizeof(prev2));
			snprintf(prev, sizeof(prev), "%.31s", word);
			rule = true;
		}
		if (chain >= 0 && rule && !header)
			out->rules[chain]++;
		if (verdicts > 1) {
			snprintf(why, sizeof(why), "line %u: %u verdicts in one rule", lineno, verdicts);
			return why;
		}
	}
	return NULL;
}

/* The rules, accepts and drops the ruleset of s should have, per chain. */
static void nft_shape_expect(const struct site *s, struct nft_shape *e)
{
	bool sep = s->segment == SITE_SEGMENT_SEPARATE && s->term_if;
	unsigned inside = sep ? 2 : 1;
	bool ipsec = s->line == SITE_LINE_IPSEC;
	bool ipoe6 = site_ipoe6(s);

	memset(e, 0, sizeof(*e));
	/* input: lo, ct invalid, ct established, ICMPv6 errors, ND, ICMP
	 * errors; ping, ping6 and MLD per inside interface; IKE and ESP;
	 * DHCP; management (ssh) v4 and v6 when ssh is on; the metrics; the
	 * counter */
	e->rules[SHAPE_INPUT] = 6 + 3 * inside + (ipsec ? 2 : 0) +
				(s->wan_mode == SITE_ADDR_DHCP) + (ipoe6 && s->prefix6 == SITE_PREFIX6_PD) +
				(s->ssh ? 2 : 0) +
				(s->metrics_listen.host != NULL) + 1;
	e->drops[SHAPE_INPUT] = 1;
	e->accepts[SHAPE_INPUT] = e->rules[SHAPE_INPUT] - 2;
	/* forward: ct invalid, MSS clamping, the tunnel's guard, ct
	 * established, nothing inward, terminal to central, LAN not to
	 * central (v4, v6), LAN to terminal ports, the counter; with IPv6
	 * IPoE the terminal segment to central over IPv6 */
	unsigned clamp = ipsec && s->tunnel_mtu ? 4 : 0;
	unsigned ports = sep && s->terminal.family ? (unsigned)s->n_lan_ports : 0;
	unsigned term = s->terminal.family ? 1 : 0;
	e->rules[SHAPE_FORWARD] = 1 + clamp + (ipsec ? 2 : 0) + 1 + 1 + term + ipoe6 + 2 + ports + 1;
	e->drops[SHAPE_FORWARD] = 1 + (ipsec ? 2 : 0) + 1 + 2;
	e->accepts[SHAPE_FORWARD] = 1 + term + ipoe6 + ports;
}

#endif

/* The site config: one file that describes the whole site.
 *
 * site_load() parses an INI file (inih) into a struct site and validates it,
 * reporting every problem as "FILE:LINE:COL: message". The struct owns every
 * string and array in it; site_free() releases them. Secrets are never held:
 * only the paths of the files that hold them. */
#ifndef OQ_SITE_H
#define OQ_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/addr.h"
#include "core/i18n.h"

struct json_object;

enum site_line { SITE_LINE_IPSEC = 0, SITE_LINE_IPVPN = 1 };
enum site_addr_mode { SITE_ADDR_STATIC = 0, SITE_ADDR_DHCP = 1 };
enum site_addr6_mode { SITE_ADDR6_NONE = 0, SITE_ADDR6_RA = 1, SITE_ADDR6_STATIC = 2 };
enum site_auth { SITE_AUTH_PUBKEY = 0, SITE_AUTH_PSK = 1 };
enum site_natt { SITE_NATT_AUTO = 0, SITE_NATT_FORCE = 1, SITE_NATT_OFF = 2 };
enum site_start { SITE_START_START = 0, SITE_START_TRAP = 1, SITE_START_NONE = 2 };
enum site_segment { SITE_SEGMENT_LAN = 0, SITE_SEGMENT_SEPARATE = 1 };
enum site_ipv6vpn { SITE_IPVPN6_NONE = 0, SITE_IPVPN6_IPOE = 1 };
enum site_prefix6 { SITE_PREFIX6_RA = 0, SITE_PREFIX6_PD = 1 };

/* "tcp/443" or "udp/123". */
struct site_port {
	char proto[4];		/* "tcp" or "udp" */
	unsigned port;
};

/* "host:port". */
struct site_hostport {
	char *host;
	unsigned port;
};

/* One TLS endpoint to probe: [probe.tls.NAME]. */
struct site_tls {
	char *name;		/* the NAME of the section */
	char *host;		/* host name to connect to and verify */
	unsigned port;
	char *ca;		/* CA file to verify the server chain */
	char *client_p12;	/* the terminal's PKCS#12 */
	char *client_ca;	/* CA that issued that certificate (the common CA) */
	char *password_file;	/* secret file holding the PKCS#12 password */
};

struct site {
	char *path;		/* the file it came from */

	/* [site] */
	char *facility_code;	/* 医療機関コード, 10 digits */
	char *facility_name;
	char *vendor;
	char *engineer;
	char *witness;
	char *address;		/* 作業場所: the facility's address, for the report */
	char *timezone;		/* every time shown or written is in this zone */

	/* [uplink] */
	enum site_line line;
	char *wan_if;
	enum site_addr_mode wan_mode;
	struct oq_prefix wan_addr;	/* static address with its prefix length */
	struct oq_prefix wan_gateway;	/* next hop (family 0 with dhcp) */
	enum site_addr6_mode wan6_mode;
	struct oq_prefix wan6_addr;
	struct oq_prefix wan6_gateway;
	unsigned wan_mtu;
	char **wan_dns;			/* resolvers for the internet side (peer name) */
	size_t n_wan_dns;
	char *carrier;			/* 回線事業者, for the report */
	char *line_id;			/* 回線ID as the carrier's sheet gives it */

	/* [ipsec] */
	char *peer;			/* address or DNS name of the carrier's gateway */
	char *local_id;
	char *remote_id;
	enum site_auth auth;
	char *certificate;		/* PEM or DER */
	char *private_key;		/* secret file */
	char *ca;
	char *psk_file;			/* secret file */
	char *ike_proposals;		/* strongSwan syntax, comma separated */
	char *esp_proposals;
	unsigned ike_proposals_line;	/* where each was set, 0 when not */
	unsigned esp_proposals_line;
	unsigned dpd_delay;		/* seconds, 0 = off */
	enum site_natt natt;
	enum site_start start_action;
	unsigned tunnel_mtu;		/* for MSS clamping */
	char *vici_socket;		/* path of charon's VICI socket */

	/* [ipvpn] */
	struct oq_prefix ce_router;
	char *customer_id;		/* お客さまID: CAF/COP + digits, may be NULL */
	enum site_ipv6vpn ipvpn6;
	enum site_prefix6 prefix6;	/* /64 by RA (ND proxy) or /56 by DHCPv6-PD */
	unsigned pd_subnet;		/* which /64 of the delegation the terminal gets */

	/* [lan] */
	char *lan_if;
	struct oq_prefix lan_addr;	/* appliance address with prefix length */
	struct oq_prefix *management;	/* where management is allowed from */
	size_t n_management;
	int pppoe_passthrough;		/* pass PPPoE frames between LAN and WAN */
	int ssh;			/* sshd on the LAN address for management */
	char *ssh_keys;			/* OpenSSH public keys that may log in */

	/* [terminal] */
	enum site_segment segment;
	char *term_if;			/* separate segment only */
	struct oq_prefix term_addr;	/* appliance address on that segment */
	struct oq_prefix terminal;	/* the qualification terminal's address */
	struct site_port *lan_ports;	/* LAN hosts may reach the terminal here */
	size_t n_lan_ports;

	/* [central] */
	struct oq_prefix *central;	/* prefixes reached through the uplink */
	size_t n_central;
	struct oq_prefix *dns;		/* closed-network DNS servers */
	size_t n_dns;
	char **ntp;			/* NTP servers (address or name) */
	size_t n_ntp;
	struct site_hostport proxy;	/* host NULL when there is none */

	/* [probe] */
	char **dns_names;		/* names to resolve */
	size_t n_dns_names;
	char **ping_targets;		/* addresses or names to ping */
	size_t n_ping_targets;
	struct site_hostport *tcp_targets;
	size_t n_tcp_targets;
	char *lineauth_url;		/* ipvpn line authentication page */
	char *lineauth_expect;		/* the text that means authenticated */
	unsigned ping_count;
	unsigned ping_interval_ms;
	unsigned timeout_ms;		/* per probe */

	/* [probe.tls.NAME] */
	struct site_tls *tls;
	size_t n_tls;

	/* [monitor] */
	unsigned mon_light_s;		/* light probes every this many seconds */
	unsigned mon_heavy_s;		/* heavy probes */
	unsigned mon_reinitiate_s;	/* no CHILD_SA this long: initiate again */
	struct site_hostport metrics_listen;	/* host NULL: off */
	struct oq_prefix *metrics_allow;	/* who may scrape; none: see site_metrics_allow */
	size_t n_metrics_allow;
	char *syslog;			/* "udp://host:port" or "tcp://host:port", NULL: off */
	unsigned history_days;
	unsigned history_max_mb;

	/* [paths] */
	char *state_dir;		/* /var/lib/oqlink */
	char *run_dir;			/* /run/oqlink */
	char *report_dir;		/* /var/lib/oqlink/reports */
};

/* One diagnostic from loading or checking a config. */
struct site_diag {
	char *file;
	unsigned line;		/* 0 when the problem is not on one line */
	unsigned col;
	char *message;		/* in the current language */
	int err;		/* a file could not be read: its errno (ENOENT,
				 * EACCES, ...); 0 for any other problem */
};

struct site_diags {
	struct site_diag *v;
	size_t n;
};

void site_diags_free(struct site_diags *d);
/* Print each as "FILE:LINE:COL: message" (or "FILE: message"). */
void site_diags_print(const struct site_diags *d, FILE *out);

/* Default path when no --config is given. */
#define SITE_DEFAULT_PATH "/etc/oqlink/site.conf"

/* Parse and validate path. Returns a new site on success (no errors; there
 * may be none) or NULL with every problem in diags. check_files: also check
 * that the named files exist and that secret files are mode 0600. The caller
 * owns the result and frees it with site_free(), and frees diags. */
struct site *site_load(const char *path, bool check_files, struct site_diags *diags);
/* Parse from memory; name is used in diagnostics. */
struct site *site_load_string(const char *name, const char *text, bool check_files,
			      struct site_diags *diags);
void site_free(struct site *s);

/* One "key = value" of a file as written, for an editor that must open a
 * broken file too (the setup screen). */
struct site_entry {
	char *section;		/* as written: "site", "probe.tls.hweb", ... */
	char *key;
	char *value;		/* continuation lines joined by a space */
	unsigned line;		/* where it starts; 0 when not from a file */
};

struct site_entries {
	struct site_entry *v;
	size_t n;
};

/* site_load_string() that also gives every key = value of text as written,
 * whether or not it is valid (unknown keys and bad values too), in file
 * order. The caller frees entries with site_entries_free(). */
struct site *site_load_entries(const char *name, const char *text, bool check_files,
			       struct site_entries *entries, struct site_diags *diags);
/* Append a copy of section/key/value. */
void site_entries_add(struct site_entries *e, const char *section, const char *key,
		      const char *value);
void site_entries_free(struct site_entries *e);
/* Entries as site.conf text, in the order given: the header lines first
 * (may be NULL), then a [section] line wherever the section changes, a long
 * list folded onto indented lines. lines (may be NULL) gets, for each line
 * of the text, the index of its entry, -1 for a header or blank line, or
 * -2 - k for the [section] line of entry k. The caller frees the text and
 * *lines. */
char *site_entries_format(const struct site_entries *e, const char *header, int **lines,
			  size_t *n_lines);

/* The normalised config as INI text, secrets as file references only. The
 * caller frees the result. Loading the output gives an equal site. */
char *site_format(const struct site *s);
/* A commented site.conf for line type line, from the key table, in the
 * current language: each key with its label and hint, the keys needed left
 * to fill in (or offering an example), the others commented out with their
 * default; the other line type's keys left out. The caller frees it. */
char *site_template(enum site_line line);
/* docs/config.md with its key tables made again from the key table: each
 * "<!-- keys [SECTION] -->" line is followed by the table of that section's
 * keys, up to the next "<!-- end keys -->" line; every other line is kept.
 * Returns 0 with *out (the caller frees it), or -EINVAL with *cause when a
 * marker names no section, has no end, or a section has no marker. */
int site_doc_fill(const char *text, char **out, char **cause);
/* The normalised config as JSON (new object, caller puts it). */
struct json_object *site_to_json(const struct site *s);

/* ---- the schema: one row per key (core/site.c keys[]) ----
 *
 * Everything that describes a key lives in that one table: its label and
 * hint, the words of an enum and what they mean, its default, its range,
 * the setup screen's page that asks for it and when it applies. The setup
 * screen, the report's config summary, `oqlink config template` and the
 * documentation read it from here. */

/* When a key applies. */
enum site_when {
	SITE_WHEN_ALWAYS = 0,
	SITE_WHEN_IPSEC,	/* [uplink] type = ipsec */
	SITE_WHEN_IPVPN,	/* [uplink] type = ipvpn */
	SITE_WHEN_PUBKEY,	/* type = ipsec and [ipsec] auth = pubkey */
	SITE_WHEN_PSK,		/* type = ipsec and [ipsec] auth = psk */
	SITE_WHEN_SEPARATE,	/* [terminal] segment = separate */
	SITE_WHEN_TLS,		/* a [probe.tls.NAME] section is there (its host set) */
	SITE_WHEN_IPOE6,	/* type = ipvpn and [ipvpn] ipv6 = ipoe */
	SITE_WHEN_SSH,		/* [lan] ssh = on */
};

/* The setup screen's pages that ask for keys, in order. */
enum site_page {
	SITE_PAGE_NONE = 0,	/* not asked for: set in the file */
	SITE_PAGE_FACILITY,
	SITE_PAGE_LINE,
	SITE_PAGE_CARRIER,
	SITE_PAGE_CLINIC,
	SITE_PAGE_CENTRAL,
	SITE_PAGE_PROBES,
	SITE_PAGE_COUNT,
};

/* One word of an enum key. */
struct site_choice {
	const char *word;	/* as written in site.conf; NULL ends a list */
	int value;		/* its enum value in struct site */
	struct bitext label;	/* what it means, for screens and the report */
};

/* What the table says about one key (a copy; every pointer in it is static
 * data). */
struct site_key {
	const char *section;	/* "probe.tls" for every [probe.tls.NAME] */
	const char *key;
	struct bitext label;
	struct bitext hint;	/* one line: the format, an example */
	const struct site_choice *choices;	/* enum keys, else NULL */
	const char *def;	/* the default as written, or NULL */
	const char *example;	/* a value to offer when there is no default,
				 * or NULL; "@NAME" is the file NAME beside the
				 * config */
	unsigned min, max;	/* a number's range; text: its length in bytes;
				 * both 0 when there is none */
	bool number;		/* a whole number */
	bool list;		/* comma separated */
	bool secret;		/* names a secret file (mode 0600) */
	bool required;		/* needed whenever `when` holds */
	enum site_when when;
	enum site_page page;
};

/* The known keys, in file order (as site_format() writes them). */
size_t site_key_count(void);
/* Row i (< site_key_count()). */
void site_key_get(size_t i, struct site_key *out);
/* The hint of a key as it is shown, in language l: its hint and, for a
 * number, its range made from min and max ("1280〜9000"). Newly allocated. */
char *site_key_hint(const struct site_key *k, enum oq_lang l);
/* The index of section/key, or -1. */
int site_key_find(const char *section, const char *key);
void site_key_at(size_t i, const char **section, const char **key);
/* The ja/en label of a key (static strings), both NULL for no such key. */
struct bitext site_key_label(const char *section, const char *key);
/* The label of one word of an enum key, both NULL for no such word. */
struct bitext site_choice_label(const char *section, const char *key, const char *word);
/* The title and the one-line introduction of a page of the setup screen. */
struct bitext site_page_title(enum site_page p);
struct bitext site_page_intro(enum site_page p);
/* Whether a key's condition holds for a loaded site. */
bool site_when_holds(const struct site *s, enum site_when w);

/* The grammars of the names the config hands to the kernel, nftables,
 * charon and the file system (docs/config.md says them to the user). Every
 * writer that puts one of these into another language checks it again with
 * the same function, so that a site that was not loaded through site_load()
 * cannot smuggle anything in. */
/* Interface name: 1..15 bytes of printable ASCII without space, / : " ' \ or
 * *, and not "." or "..". */
bool site_ifname_ok(const char *s);
/* Is IPv6 IPoE in effect: an ipvpn line with ipv6 = ipoe, address6 = ra and
 * a separate terminal segment (where the line's prefix goes)? */
bool site_ipoe6(const struct site *s);
/* Host name: dot-separated labels of ASCII letters, digits, - and _, each
 * 1..63 bytes and not starting with -, 253 bytes in all, optional final dot. */
bool site_hostname_ok(const char *s);
/* IKE identity: 1..255 bytes of UTF-8 text without control characters, "
 * or \. */
bool site_id_ok(const char *s);
/* Path: absolute, at most 4095 bytes of UTF-8 text without control
 * characters, " or \, and no "." or ".." component. */
bool site_path_ok(const char *s);
/* NAME of a named section such as [probe.tls.NAME]: 1..32 ASCII letters,
 * digits, - and _. */
bool site_section_name_ok(const char *s);

/* Parse a remote syslog target "udp://host:port" or "tcp://host:port";
 * false when it is neither. hp->host is new (the caller frees it). */
bool site_syslog_parse(const char *url, bool *tcp, struct site_hostport *hp);
/* The sources that may scrape the metrics, of the listen address's family:
 * [monitor] metrics_allow; when unset, [lan] management; when that names
 * none of the family, the LAN prefix itself. Returns how many were put in
 * out (room for max); family is AF_INET or AF_INET6. */
size_t site_metrics_allow(const struct site *s, int family, struct oq_prefix *out, size_t max);

/* Names of enum values as written in the file. */
const char *site_line_name(enum site_line l);

#endif

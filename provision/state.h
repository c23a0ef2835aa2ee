/* Inside provision/: the model of the host state oqlink manages, and the
 * pieces that read and change it. Not a public header: other modules use
 * provision/provision.h. Netlink and nftables types stay in the .c files. */
#ifndef OQ_PROV_STATE_H
#define OQ_PROV_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/addr.h"
#include "provision/provision.h"

#define PS_IFNAMSIZ 16
#define PS_NFT_TABLE "oqlink"		/* our table, family inet */

struct site;
struct json_object;

/* A link we manage. mtu 0: do not care. */
struct ps_link {
	char name[PS_IFNAMSIZ];
	bool exists;
	bool up;
	unsigned mtu;
	bool manage_addr4;		/* IPv4 addresses are ours (not DHCP) */
	bool manage_addr6;		/* static IPv6 addresses are ours */
};

struct ps_addr {
	char ifname[PS_IFNAMSIZ];
	struct oq_prefix local;		/* with its prefix length */
	struct oq_prefix brd;		/* IPv4 broadcast, family 0 when none */
};

enum ps_rtype { PS_RT_UNICAST = 1, PS_RT_BLACKHOLE = 6, PS_RT_UNREACHABLE = 7,
		PS_RT_PROHIBIT = 8 };

struct ps_route {
	struct oq_prefix dst;
	struct oq_prefix gw;		/* family 0: none */
	char ifname[PS_IFNAMSIZ];	/* "" for unreachable and the like */
	int type;			/* enum ps_rtype */
	unsigned metric;
	int proto;			/* RTPROT_*; ours are static (4) */
};

/* A daemon oqlink runs (provision/daemon.c). Its files: conf_dir/NAME.conf,
 * run_dir/NAME.pid, run_dir/NAME.log. */
enum ps_daemon_kind { PS_DHCPCD = 0, PS_RADVD = 1, PS_NDPPD = 2, PS_SSHD = 3 };
#define PS_DAEMON_LAST PS_SSHD

struct ps_daemon {
	char name[PS_IFNAMSIZ + 16];	/* "radvd-term0" */
	enum ps_daemon_kind kind;
	char ifname[PS_IFNAMSIZ];	/* the interface it serves */
	char wait_if[PS_IFNAMSIZ];	/* dhcpcd: where the delegated /64 appears */
	char *conf_dir;
	char *run_dir;
	bool running;
	char *config;			/* its config (NULL when it does not run) */
	char *keys;			/* sshd: the public keys that may log in,
					 * written to conf_dir/NAME.keys */
};

struct ps_sysctl {
	char *key;			/* "net/ipv4/ip_forward" */
	char *value;			/* NULL when the key does not exist */
};

/* The state of everything in scope. All arrays and strings are owned. */
struct ps_state {
	struct ps_link *links;
	size_t n_links;
	struct ps_addr *addrs;
	size_t n_addrs;
	struct ps_route *routes;
	size_t n_routes;
	struct ps_sysctl *sysctls;
	size_t n_sysctls;
	struct ps_daemon *daemons;
	size_t n_daemons;
	bool no_prefix6;		/* desired: the WAN has no /64 from RA yet */
	bool nft_present;
	char *nft_text;			/* desired: what to load; read: the listing */
	char *nft_hash;			/* from our table's comment, or NULL */
	bool charon_checked;		/* the charon part is in scope */
	bool charon_loaded;		/* our connection is loaded */
	char *charon_config;		/* site config text that loaded it, or NULL */
};

void ps_state_clear(struct ps_state *st);
struct json_object *ps_state_to_json(const struct ps_state *st);
/* Read a snapshot back. -EINVAL ("damaged") for anything ps_state_to_json
 * would not have written: not an object, a link twice, an interface name
 * that is empty or too long for one, a bad prefix, nft_present without its
 * text; st is then left empty. */
int ps_state_from_json(struct json_object *o, struct ps_state *st, char **cause);

/* The state the site asks for (no charon part). */
int ps_desired(const struct site *s, struct ps_state *out, char **cause);
/* Read the host in the scope of tmpl: its links (with their manage flags),
 * the routes on them and its sysctl keys; our nftables table. */
int ps_read(const struct ps_state *tmpl, struct ps_state *out, char **cause);

/* Append to plan the steps that turn cur into want (both in the same
 * scope). restore: order for putting a snapshot back (charon and sysctls
 * first, the firewall last) instead of applying (firewall first). */
void ps_diff(const struct ps_state *cur, const struct ps_state *want, bool restore,
	     struct prov_plan *plan);
/* Append a new step (object, from, to are taken over). */
struct prov_step *ps_push(struct prov_plan *p, enum prov_kind k, char *object, char *from,
			  char *to);
/* The text a step carries (nft source, a config for charon), copied. */
void ps_step_set_text(struct prov_step *st, const char *text);
const char *ps_step_get_text(const struct prov_step *st);
/* Free the internal data of a step. */
void ps_step_priv_free(void *priv);
/* Run one step (not the charon ones). */
int ps_step_run(const struct prov_step *st, char **cause);

/* netlink.c */
int nl_read(const struct ps_state *tmpl, struct ps_state *out, char **cause);
int nl_link_set(const char *ifname, bool up, unsigned mtu, char **cause);
int nl_addr_change(const struct ps_addr *a, bool add, char **cause);
int nl_route_change(const struct ps_route *r, bool add, char **cause);

/* nft.c */
/* Our ruleset for the site, as nft source in *text, with its hash in the
 * table's comment and in *hash. The caller frees both. Refuses (-EINVAL,
 * nothing written) an interface name that site_ifname_ok() does not take. */
int nft_ruleset(const struct site *s, char **text, char **hash, char **cause);
/* Our table as listed now (stateless), NULL when absent. */
int nft_read(char **text, char **hash, char **cause);
/* Replace our table by text (NULL: remove it) in one transaction. */
int nft_load(const char *text, char **cause);

/* pending.c: the confirm countdown of a pending apply (run_dir/confirm.json). */
struct pending {
	long id;
	int64_t deadline;
	pid_t pid;
};
/* The pending confirm, false when there is none. */
bool pending_read(const struct site *s, struct pending *p);
/* Read a JSON file; NULL when it does not exist (or is unreadable). */
struct json_object *json_file(const char *path);

/* Small helpers shared by the files. */
char *ps_route_str(const struct ps_route *r);
char *ps_addr_str(const struct ps_addr *a);
int sysctl_read(const char *key, char **value);
int sysctl_write(const char *key, const char *value, char **cause);

/* daemon.c */
const char *ps_daemon_prog(const struct ps_daemon *d);
void ps_daemon_clear(struct ps_daemon *d);
void ps_daemon_copy(struct ps_daemon *dst, const struct ps_daemon *src);
struct ps_daemon *ps_add_daemon(struct ps_state *st, enum ps_daemon_kind kind, const char *ifname,
				const char *conf_dir, const char *run_dir);
/* The /64 of the first global, preferred IPv6 address of ifname. */
bool ps_if_prefix6(const char *ifname, struct oq_prefix *out);
/* Add the daemon slots of the site (each, wanted or not, so that one no
 * longer wanted is stopped); *no_prefix when an RA-only line has no /64 on
 * the WAN yet. -EINVAL (nothing added) for an interface name that the
 * daemons' config files could not carry as a plain word. */
int ps_desired_daemons(const struct site *s, struct ps_state *st, bool *no_prefix, char **cause);
/* Read the daemons of tmpl's slots: running, and then with their config. */
void ps_read_daemons(const struct ps_state *tmpl, struct ps_state *out);
/* Start (stopping a running one first) or stop a daemon. */
int ps_daemon_run(const struct ps_daemon *d, bool start, char **cause);
/* The SHA256 fingerprint of sshd's host key ("SHA256:..."; the caller
 * frees it), or NULL in *fp when none was made yet. */
int ps_ssh_fingerprint(const struct site *s, char **fp, char **cause);
/* Does oqlink's sshd run? */
bool ps_sshd_running(const struct site *s);

/* history.c */
struct prov_history_row {
	long id;
	char *status;
	char *config;			/* the config text applied */
	char *config_path;
	char *before;			/* the snapshot JSON */
};
int hist_add(const struct site *s, const char *status, const char *config,
	     const struct prov_plan *plan, const char *before, long *id, char **cause);
int hist_set_status(const struct site *s, long id, const char *status, char **cause);
/* The newest row whose status is one of statuses (comma separated). */
int hist_find(const struct site *s, const char *statuses, struct prov_history_row *row,
	      bool *found, char **cause);
void hist_row_clear(struct prov_history_row *row);

#endif

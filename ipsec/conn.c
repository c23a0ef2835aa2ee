/* The connection oqlink loads into charon: derived from the site config,
 * loaded with its credentials, queried, compared and unloaded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "ipsec/ipsec_int.h"
#include "ipsec/vici.h"

#define MAX_CRED_FILE (256 * 1024)

static void list_add(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* Equal strings, NULL equal only to NULL. */
static bool str_eq_null(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static void list_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ipsec_conn_clear(struct ipsec_conn *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->remote_addrs);
	free(c->local_id);
	free(c->remote_id);
	free(c->auth);
	free(c->ike_proposals);
	free(c->esp_proposals);
	free(c->start_action);
	list_free(c->local_ts, c->n_local_ts);
	list_free(c->remote_ts, c->n_remote_ts);
	memset(c, 0, sizeof(*c));
}

static const char *start_action_name(enum site_start a)
{
	switch (a) {
	case SITE_START_TRAP: return "trap";
	case SITE_START_NONE: return "none";
	default: return "start";
	}
}

/* The terminal side: the terminal segment when it is separate, else the
 * terminal's own address and the appliance's LAN address, each alone, so
 * that no other host of the clinic LAN reaches the central network.
 * (kernel-libipsec cannot install a route for a selector that holds no
 * local address, such as the terminal's /32; the kernel's XFRM needs none.) */
static void local_selectors(const struct site *s, struct ipsec_conn *c)
{
	const struct oq_prefix *hosts[] = { &s->terminal, &s->lan_addr };
	char buf[64];
	struct oq_prefix p;

	if (s->segment == SITE_SEGMENT_SEPARATE && s->term_addr.family) {
		p = prefix_network(&s->term_addr);
		list_add(&c->local_ts, &c->n_local_ts, prefix_str(&p, buf, false));
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
		p = *hosts[i];
		if (p.family == 0)
			continue;
		p.len = p.family == AF_INET ? 32 : 128;
		list_add(&c->local_ts, &c->n_local_ts, prefix_str(&p, buf, false));
	}
}

int ipsec_conn_from_site(const struct site *s, struct ipsec_conn *c, char **cause)
{
	char buf[64];

	struct oq_prefix a;

	memset(c, 0, sizeof(*c));
	if (s->peer == NULL || *s->peer == '\0')
		return cause_set(cause, EINVAL, _("[ipsec] peer がありません",
						  "[ipsec] has no peer"));
	/* what goes to charon (over VICI or in the export) fits the config's
	 * grammars even when the site was not loaded by site_load() */
	if ((!addr_parse(s->peer, &a) && !site_hostname_ok(s->peer)) ||
	    (s->local_id && !site_id_ok(s->local_id)) || (s->remote_id && !site_id_ok(s->remote_id)))
		return cause_set(cause, EINVAL, "%s", _("[ipsec] の peer か ID が書式に合いません",
							"[ipsec] peer or an identity does not fit its grammar"));
	c->name = xstrdup(IPSEC_CONN_NAME);
	c->remote_addrs = xstrdup(s->peer);
	c->local_id = s->local_id ? xstrdup(s->local_id) : NULL;
	c->remote_id = s->remote_id ? xstrdup(s->remote_id) : NULL;
	c->auth = xstrdup(s->auth == SITE_AUTH_PSK ? "psk" : "pubkey");
	c->ike_proposals = xstrdup(s->ike_proposals ? s->ike_proposals : "default");
	c->esp_proposals = xstrdup(s->esp_proposals ? s->esp_proposals : "default");
	c->dpd_delay = s->dpd_delay;
	c->encap = s->natt == SITE_NATT_FORCE;
	c->mobike = false;
	c->start_action = xstrdup(start_action_name(s->start_action));
	local_selectors(s, c);
	for (size_t i = 0; i < s->n_central; i++)
		list_add(&c->remote_ts, &c->n_remote_ts, prefix_str(&s->central[i], buf, false));
	if (c->n_local_ts == 0 || c->n_remote_ts == 0) {
		ipsec_conn_clear(c);
		return cause_set(cause, EINVAL,
				 _("トラフィックセレクタを決められません ([terminal] と [central] prefixes を確認してください)",
				   "cannot derive the traffic selectors (check [terminal] and [central] prefixes)"));
	}
	return 0;
}

/* Add a comma separated config value as a VICI list. */
static void add_split_list(struct vici_builder *b, const char *name, const char *value)
{
	size_t n;
	char **v = str_split_list(value, &n);

	vici_add_list(b, name);
	for (size_t i = 0; i < n; i++)
		vici_add_item(b, v[i]);
	vici_end_list(b);
	str_list_free(v);
}

static void add_list(struct vici_builder *b, const char *name, char **v, size_t n)
{
	vici_add_list(b, name);
	for (size_t i = 0; i < n; i++)
		vici_add_item(b, v[i]);
	vici_end_list(b);
}

/* The load-conn message for c; cert is our certificate (PEM or DER) or
 * NULL with a PSK. */
static void build_conn(struct vici_builder *b, const struct ipsec_conn *c, const char *cert,
		       size_t cert_len)
{
	vici_add_section(b, c->name);
	vici_add_kv(b, "version", "2");
	add_split_list(b, "remote_addrs", c->remote_addrs);
	add_split_list(b, "proposals", c->ike_proposals);
	vici_add_kv(b, "encap", c->encap ? "yes" : "no");
	vici_add_kv(b, "mobike", c->mobike ? "yes" : "no");
	vici_add_kv(b, "keyingtries", c->keep ? "0" : "1");
	if (c->dpd_delay)
		vici_add_kvf(b, "dpd_delay", "%us", c->dpd_delay);

	vici_add_section(b, "local");
	vici_add_kv(b, "auth", c->auth);
	if (c->local_id)
		vici_add_kv(b, "id", c->local_id);
	if (cert) {
		vici_add_list(b, "certs");
		vici_add_itemb(b, cert, cert_len);
		vici_end_list(b);
	}
	vici_end_section(b);

	vici_add_section(b, "remote");
	vici_add_kv(b, "auth", c->auth);
	if (c->remote_id)
		vici_add_kv(b, "id", c->remote_id);
	vici_end_section(b);

	vici_add_section(b, "children");
	vici_add_section(b, c->name);
	add_list(b, "local_ts", c->local_ts, c->n_local_ts);
	add_list(b, "remote_ts", c->remote_ts, c->n_remote_ts);
	add_split_list(b, "esp_proposals", c->esp_proposals);
	vici_add_kv(b, "start_action", c->start_action);
	if (c->dpd_delay || c->keep)
		vici_add_kv(b, "dpd_action", "restart");
	vici_add_kv(b, "close_action", c->keep ? "start" : "none");
	vici_end_section(b);
	vici_end_section(b);

	vici_end_section(b);
}

/* The key type load-key wants, from the PEM header ("any" for PKCS#8 and
 * DER, which charon works out itself). */
static const char *key_type(const char *data)
{
	if (strstr(data, "BEGIN RSA PRIVATE KEY"))
		return "rsa";
	if (strstr(data, "BEGIN EC PRIVATE KEY"))
		return "ecdsa";
	return "any";
}

static char *keyid_path(const struct site *s)
{
	return xasprintf("%s/ipsec.keyid", s->run_dir ? s->run_dir : "/run/oqlink");
}

/* Remember the id charon gave our key, to unload exactly that one; a
 * failure (a full disk) fails the load, since down could not unload it. */
static int keyid_save(const struct site *s, const char *id, char **cause)
{
	char *path = keyid_path(s);
	int r = mkdir_p(s->run_dir ? s->run_dir : "/run/oqlink", 0750, cause);

	if (r == 0)
		r = file_write_atomic(path, id, strlen(id), 0600, cause);
	free(path);
	return r;
}

static char *keyid_load(const struct site *s)
{
	char *path = keyid_path(s), *data = NULL;
	size_t len;

	if (file_read(path, 256, &data, &len, NULL) == 0)
		str_trim(data);
	free(path);
	return data;
}

static int load_key(struct vici_conn *vc, const struct site *s, char **cause)
{
	struct vici_builder b;
	struct vici_node *reply = NULL;
	char *data = NULL;
	size_t len;
	int r;

	r = file_read_secret(s->private_key, MAX_CRED_FILE, &data, &len, cause);
	if (r < 0)
		return r;
	vici_builder_init(&b);
	vici_add_kv(&b, "type", key_type(data));
	vici_add_kvb(&b, "data", data, len);
	r = vici_call(vc, "load-key", &b, IPSEC_TIMEOUT_MS, &reply, cause);
	if (r == 0 && !vici_yes(reply, "success"))
		r = cause_set(cause, EIO, _("charon が秘密鍵 %s を読み込めませんでした: %s",
					    "charon could not load the private key %s: %s"),
			      s->private_key, vici_str(reply, "errmsg") ?: "?");
	if (r == 0 && vici_str(reply, "id"))
		r = keyid_save(s, vici_str(reply, "id"), cause);
	vici_node_free(reply);
	vici_builder_clear(&b);
	explicit_bzero(data, len);
	free(data);
	return r;
}

/* The PSK file holds the key itself; a trailing newline is not part of it. */
static int load_psk(struct vici_conn *vc, const struct site *s, char **cause)
{
	struct vici_builder b;
	char *data = NULL;
	size_t len;
	int r;

	r = file_read_secret(s->psk_file, 4096, &data, &len, cause);
	if (r < 0)
		return r;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	if (len == 0) {
		free(data);
		return cause_set(cause, EINVAL, _("PSK ファイル %s が空です",
						  "the PSK file %s is empty"), s->psk_file);
	}
	vici_builder_init(&b);
	vici_add_kv(&b, "id", IPSEC_PSK_ID);
	vici_add_kv(&b, "type", "IKE");
	vici_add_kvb(&b, "data", data, len);
	vici_add_list(&b, "owners");
	if (s->local_id)
		vici_add_item(&b, s->local_id);
	if (s->remote_id)
		vici_add_item(&b, s->remote_id);
	vici_end_list(&b);
	r = vici_call_ok(vc, "load-shared", &b, IPSEC_TIMEOUT_MS, cause);
	vici_builder_clear(&b);
	explicit_bzero(data, len);
	free(data);
	return r;
}

static int load_authority(struct vici_conn *vc, const struct site *s, char **cause)
{
	struct vici_builder b;
	char *data = NULL;
	size_t len;
	int r;

	r = file_read(s->ca, MAX_CRED_FILE, &data, &len, cause);
	if (r < 0)
		return r;
	vici_builder_init(&b);
	vici_add_section(&b, IPSEC_CA_NAME);
	vici_add_kvb(&b, "cacert", data, len);
	vici_end_section(&b);
	r = vici_call_ok(vc, "load-authority", &b, IPSEC_TIMEOUT_MS, cause);
	vici_builder_clear(&b);
	free(data);
	return r;
}

static int unload_one(struct vici_conn *vc, const char *cmd, const char *key,
		      const char *value, char **cause);

/* The load-conn message for c with our certificate (read from its file). */
static int conn_message(const struct site *s, const struct ipsec_conn *c, struct vici_builder *b,
			char **cause)
{
	char *cert = NULL;
	size_t cert_len = 0;
	int r = 0;

	if (s->auth == SITE_AUTH_PUBKEY && s->certificate)
		r = file_read(s->certificate, MAX_CRED_FILE, &cert, &cert_len, cause);
	if (r == 0)
		build_conn(b, c, cert, cert_len);
	free(cert);
	return r;
}

/* Load the connection c (named c->name) with our certificate over vc. */
static int load_conn(struct vici_conn *vc, const struct site *s, const struct ipsec_conn *c,
		     char **cause)
{
	struct vici_builder b;
	int r;

	vici_builder_init(&b);
	r = conn_message(s, c, &b, cause);
	if (r == 0)
		r = vici_call_ok(vc, "load-conn", &b, IPSEC_TIMEOUT_MS, cause);
	vici_builder_clear(&b);
	return r;
}

/* ---- the record of what was loaded ---- */

static char *hexdigest(const void *data, size_t len)
{
	return xasprintf("%016llx", (unsigned long long)fnv1a64(data, len));
}

/* A credential file's digest: by content for a certificate, by identity
 * (path, inode, size, modification time) for a secret, whose content must
 * leave no trace. NULL path: "-". */
static char *file_digest(const char *path, bool secret)
{
	char *data = NULL, *d;
	size_t len = 0;
	struct stat st;

	if (path == NULL)
		return xstrdup("-");
	if (secret) {
		if (stat(path, &st) < 0)
			return xstrdup("missing");
		data = xasprintf("%s %llu %llu %lld.%09ld", path, (unsigned long long)st.st_ino,
				 (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec,
				 st.st_mtim.tv_nsec);
		len = strlen(data);
	} else if (file_read(path, MAX_CRED_FILE, &data, &len, NULL) < 0) {
		return xstrdup("missing");
	}
	d = hexdigest(data, len);
	free(data);
	return d;
}

static char *joined(char **v, size_t n)
{
	char *s = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%s", s, i ? "," : "", v[i]);
		free(s);
		s = t;
	}
	return s;
}

static void put_key(struct json_object *keys, const char *name, char *value)
{
	char *d = hexdigest(value ? value : "", value ? strlen(value) : 0);

	json_object_object_add(keys, name, json_object_new_string(d));
	free(d);
	free(value);
}

static void put_file(struct json_object *keys, const char *name, const char *path, bool secret)
{
	char *d = file_digest(path, secret);

	json_object_object_add(keys, name, json_object_new_string(d));
	free(d);
}

struct json_object *ipsec_load_record(const struct site *s, char **cause)
{
	struct ipsec_conn c;
	struct vici_builder b;
	struct json_object *o, *keys;
	char *d;
	int r;

	if (ipsec_conn_from_site(s, &c, cause) < 0)
		return NULL;
	vici_builder_init(&b);
	r = conn_message(s, &c, &b, cause);
	if (r < 0) {
		vici_builder_clear(&b);
		ipsec_conn_clear(&c);
		return NULL;
	}
	keys = json_object_new_object();
	put_key(keys, "peer", xstrdup(c.remote_addrs));
	put_key(keys, "local_id", c.local_id ? xstrdup(c.local_id) : NULL);
	put_key(keys, "remote_id", c.remote_id ? xstrdup(c.remote_id) : NULL);
	put_key(keys, "auth", xstrdup(c.auth));
	put_key(keys, "ike_proposals", xstrdup(c.ike_proposals));
	put_key(keys, "esp_proposals", xstrdup(c.esp_proposals));
	put_key(keys, "dpd_delay", xasprintf("%u", c.dpd_delay));
	put_key(keys, "nat_traversal", xstrdup(c.encap ? "force" : "auto"));
	put_key(keys, "start_action", xstrdup(c.start_action));
	put_key(keys, "local_ts", joined(c.local_ts, c.n_local_ts));
	put_key(keys, "remote_ts", joined(c.remote_ts, c.n_remote_ts));
	put_file(keys, "certificate", s->auth == SITE_AUTH_PUBKEY ? s->certificate : NULL, false);
	put_file(keys, "ca", s->ca, false);
	put_file(keys, "private_key", s->auth == SITE_AUTH_PUBKEY ? s->private_key : NULL, true);
	put_file(keys, "psk_file", s->auth == SITE_AUTH_PSK ? s->psk_file : NULL, true);
	d = hexdigest(b.buf, b.len);
	json_object_object_add(keys, "connection", json_object_new_string(d));
	free(d);
	/* the whole: every part, in their fixed order */
	{
		const char *text = json_object_to_json_string_ext(keys, JSON_C_TO_STRING_PLAIN);
		d = hexdigest(text, strlen(text));
	}
	o = json_object_new_object();
	json_object_object_add(o, "digest", json_object_new_string(d));
	json_object_object_add(o, "keys", keys);
	free(d);
	vici_builder_clear(&b);
	ipsec_conn_clear(&c);
	return o;
}

static char *record_path(const struct site *s)
{
	return xasprintf("%s/ipsec-loaded.json", s->state_dir ? s->state_dir : "/var/lib/oqlink");
}

/* Keep the record of what was just loaded for s (best effort: without it
 * the next plan reloads). */
static void record_save(const struct site *s)
{
	struct json_object *o = ipsec_load_record(s, NULL);
	char *path = record_path(s);

	if (o) {
		const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
		mkdir_p(s->state_dir ? s->state_dir : "/var/lib/oqlink", 0750, NULL);
		file_write_atomic(path, text, strlen(text), 0640, NULL);
		json_object_put(o);
	}
	free(path);
}

struct json_object *ipsec_load_record_read(const struct site *s)
{
	char *path = record_path(s), *data = NULL;
	size_t len;
	struct json_object *o = NULL;

	if (file_read(path, 64 * 1024, &data, &len, NULL) == 0)
		o = json_tokener_parse(data);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	free(data);
	free(path);
	return o;
}

static const char *record_str(struct json_object *o, const char *sec, const char *key)
{
	struct json_object *v;

	if (sec && !json_object_object_get_ex(o, sec, &o))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

char **ipsec_load_record_diff(struct json_object *want, struct json_object *have)
{
	struct json_object *keys;
	char **v = NULL;
	size_t n = 0;

	if (str_eq_null(record_str(want, NULL, "digest"), record_str(have, NULL, "digest")))
		return NULL;
	if (json_object_object_get_ex(want, "keys", &keys)) {
		json_object_object_foreach(keys, name, val) {
			if (strcmp(name, "connection") == 0)
				continue;
			if (!str_eq_null(json_object_get_string(val), record_str(have, "keys", name)))
				list_add(&v, &n, name);
		}
	}
	if (n == 0)
		list_add(&v, &n, "connection");
	return v;
}

/* Credentials and the connection, kept for good or not. */
static int load_site(const struct site *s, bool keep, char **cause)
{
	struct ipsec_conn c;
	struct vici_conn *vc = NULL;
	int r;

	r = ipsec_conn_from_site(s, &c, cause);
	if (r < 0)
		return r;
	c.keep = keep;
	if ((r = vici_connect(s->vici_socket, &vc, cause)) < 0)
		goto out;
	if (s->ca && (r = load_authority(vc, s, cause)) < 0)
		goto out;
	if (s->auth == SITE_AUTH_PUBKEY)
		r = s->private_key ? load_key(vc, s, cause) : 0;
	else
		r = s->psk_file ? load_psk(vc, s, cause) : 0;
	if (r == 0)
		r = load_conn(vc, s, &c, cause);
	if (r == 0)
		record_save(s);
out:
	vici_close(vc);
	ipsec_conn_clear(&c);
	return r;
}

int ipsec_load(const struct site *s, char **cause)
{
	return load_site(s, false, cause);
}

int ipsec_load_keep(const struct site *s, char **cause)
{
	return load_site(s, true, cause);
}

int ipsec_probe_load(const struct site *s, char **cause)
{
	struct ipsec_conn c;
	struct vici_conn *vc = NULL;
	int r;

	r = ipsec_conn_from_site(s, &c, cause);
	if (r < 0)
		return r;
	free(c.name);
	c.name = xstrdup(IPSEC_PROBE_NAME);
	free(c.remote_id);
	c.remote_id = NULL;
	free(c.start_action);
	c.start_action = xstrdup("none");
	c.dpd_delay = 0;
	r = vici_connect(s->vici_socket, &vc, cause);
	if (r == 0)
		r = load_conn(vc, s, &c, cause);
	vici_close(vc);
	ipsec_conn_clear(&c);
	return r;
}

int ipsec_probe_unload(const struct site *s, char **cause)
{
	struct vici_conn *vc = NULL;
	int r = vici_connect(s->vici_socket, &vc, cause);

	if (r == 0)
		r = unload_one(vc, "unload-conn", "name", IPSEC_PROBE_NAME, cause);
	vici_close(vc);
	return r;
}

/* Call a command that takes one key; "not found" answers are fine. */
static int unload_one(struct vici_conn *vc, const char *cmd, const char *key,
		      const char *value, char **cause)
{
	struct vici_builder b;
	struct vici_node *reply = NULL;
	int r;

	vici_builder_init(&b);
	vici_add_kv(&b, key, value);
	r = vici_call(vc, cmd, &b, IPSEC_TIMEOUT_MS, &reply, cause);
	vici_builder_clear(&b);
	if (r == 0 && !vici_yes(reply, "success")) {
		const char *e = vici_str(reply, "errmsg");
		if (e == NULL || (strstr(e, "not found") == NULL && strstr(e, "unknown") == NULL))
			r = cause_set(cause, EIO, _("charon が '%s' (%s) を拒否しました: %s",
						    "charon refused '%s' (%s): %s"),
				      cmd, value, e ? e : "?");
	}
	vici_node_free(reply);
	return r;
}

/* Is value an item of the list key of a reply to cmd? */
static int in_list(struct vici_conn *vc, const char *cmd, const char *key, const char *value,
		   bool *found, char **cause)
{
	struct vici_node *reply;
	const struct vici_node *l;
	int r = vici_call(vc, cmd, NULL, IPSEC_TIMEOUT_MS, &reply, cause);

	*found = false;
	if (r < 0)
		return r;
	l = vici_get(reply, key);
	for (const struct vici_node *i = l ? l->child : NULL; i; i = i->next)
		*found |= l->type == VICI_NODE_LIST && strcmp(i->value, value) == 0;
	vici_node_free(reply);
	return 0;
}

int ipsec_loaded_query(const struct site *s, struct ipsec_loaded *out, char **cause)
{
	struct vici_conn *vc;
	char *keyid = keyid_load(s);
	int r;

	memset(out, 0, sizeof(*out));
	r = vici_connect(s->vici_socket, &vc, cause);
	if (r == 0)
		r = in_list(vc, "get-conns", "conns", IPSEC_CONN_NAME, &out->conn, cause);
	if (r == 0)
		r = in_list(vc, "get-authorities", "authorities", IPSEC_CA_NAME, &out->authority,
			    cause);
	if (r == 0)
		r = in_list(vc, "get-shared", "keys", IPSEC_PSK_ID, &out->psk, cause);
	if (r == 0 && keyid)
		r = in_list(vc, "get-keys", "keys", keyid, &out->key, cause);
	vici_close(vc);
	free(keyid);
	return r;
}

int ipsec_unload(const struct site *s, char **cause)
{
	struct vici_conn *vc;
	char *keyid = keyid_load(s);
	int r;

	/* Close the SAs and wait for it: charon deletes them on its own after
	 * unload-conn, but later, so the routes and SAs would outlive the
	 * unload. A peer that does not answer the delete is not waited for. */
	if (ipsec_terminate_named(s, IPSEC_CONN_NAME, IPSEC_UNLOAD_CLOSE_MS, NULL) < 0)
		(void)ipsec_terminate_forced(s, IPSEC_CONN_NAME, NULL);
	r = vici_connect(s->vici_socket, &vc, cause);
	if (r == 0)
		r = unload_one(vc, "unload-conn", "name", IPSEC_CONN_NAME, cause);
	if (r == 0) {
		char *path = record_path(s);
		unlink(path);
		free(path);
	}
	if (r == 0)
		r = unload_one(vc, "unload-authority", "name", IPSEC_CA_NAME, cause);
	if (r == 0)
		r = unload_one(vc, "unload-shared", "id", IPSEC_PSK_ID, cause);
	if (r == 0 && keyid) {
		r = unload_one(vc, "unload-key", "id", keyid, cause);
		if (r == 0) {
			char *path = keyid_path(s);
			unlink(path);
			free(path);
		}
	}
	vici_close(vc);
	free(keyid);
	return r;
}

/* ---- query ---- */

struct conn_query {
	struct ipsec_conn *c;
	bool found;
};

/* Take the auth section ("local", "local-1", ...) facts we compare. */
static void query_auth(const struct vici_node *sec, char **id, char **auth)
{
	const char *class = vici_str(sec, "class");

	if (*id == NULL && vici_str(sec, "id"))
		*id = xstrdup(vici_str(sec, "id"));
	if (*auth == NULL && class)
		*auth = xstrdup(strstr(class, "pre-shared") ? "psk" : "pubkey");
}

static void query_list(const struct vici_node *sec, const char *key, char ***v, size_t *n)
{
	const struct vici_node *l = vici_get(sec, key);

	for (const struct vici_node *i = l && l->type == VICI_NODE_LIST ? l->child : NULL; i;
	     i = i->next)
		list_add(v, n, i->value);
}

static void on_list_conn(void *ctx, const char *event, const struct vici_node *msg)
{
	struct conn_query *q = ctx;
	const struct vici_node *conn = vici_get(msg, IPSEC_CONN_NAME), *children, *child;
	struct ipsec_conn *c = q->c;
	char **addrs = NULL;
	size_t n_addrs = 0;
	uint64_t x;

	if (conn == NULL || q->found)
		return;
	q->found = true;
	c->name = xstrdup(IPSEC_CONN_NAME);
	query_list(conn, "remote_addrs", &addrs, &n_addrs);
	if (n_addrs)
		c->remote_addrs = xstrdup(addrs[0]);
	list_free(addrs, n_addrs);
	if (vici_u64(conn, "dpd_delay", &x))
		c->dpd_delay = (unsigned)x;
	c->encap = vici_yes(conn, "encap");
	c->mobike = vici_yes(conn, "mobike");
	for (const struct vici_node *i = conn->child; i; i = i->next) {
		if (i->type != VICI_NODE_SECTION)
			continue;
		if (str_has_prefix(i->name, "local"))
			query_auth(i, &c->local_id, &c->auth);
		else if (str_has_prefix(i->name, "remote"))
			query_auth(i, &c->remote_id, &c->auth);
	}
	children = vici_get(conn, "children");
	child = vici_get(children, IPSEC_CONN_NAME);
	if (child) {
		query_list(child, "local-ts", &c->local_ts, &c->n_local_ts);
		query_list(child, "remote-ts", &c->remote_ts, &c->n_remote_ts);
		if (vici_str(child, "start_action"))
			c->start_action = xstrdup(vici_str(child, "start_action"));
		c->keep = vici_str(child, "close_action") &&
			  strcmp(vici_str(child, "close_action"), "start") == 0;
	}
}

int ipsec_conn_query(const char *socket, struct ipsec_conn *out, bool *loaded, char **cause)
{
	struct conn_query q = { out, false };
	struct vici_conn *vc;
	struct vici_builder b;
	int r;

	memset(out, 0, sizeof(*out));
	*loaded = false;
	r = vici_connect(socket, &vc, cause);
	if (r < 0)
		return r;
	vici_builder_init(&b);
	vici_add_kv(&b, "ike", IPSEC_CONN_NAME);
	r = vici_register(vc, "list-conn", on_list_conn, &q, IPSEC_TIMEOUT_MS, cause);
	if (r == 0)
		r = vici_call_void(vc, "list-conns", &b, IPSEC_TIMEOUT_MS, cause);
	vici_builder_clear(&b);
	vici_close(vc);
	*loaded = q.found;
	if (r < 0 || !q.found)
		ipsec_conn_clear(out);
	return r;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool lists_eq(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

char **ipsec_conn_diff(const struct ipsec_conn *want, const struct ipsec_conn *have)
{
	char **v = NULL;
	size_t n = 0;

	if (have->remote_addrs && !str_eq(want->remote_addrs, have->remote_addrs))
		list_add(&v, &n, "remote_addrs");
	if (have->local_id && !str_eq(want->local_id, have->local_id))
		list_add(&v, &n, "local_id");
	if (have->remote_id && !str_eq(want->remote_id, have->remote_id))
		list_add(&v, &n, "remote_id");
	if (have->auth && !str_eq(want->auth, have->auth))
		list_add(&v, &n, "auth");
	if (have->ike_proposals && !str_eq(want->ike_proposals, have->ike_proposals))
		list_add(&v, &n, "ike_proposals");
	if (have->esp_proposals && !str_eq(want->esp_proposals, have->esp_proposals))
		list_add(&v, &n, "esp_proposals");
	if (have->dpd_delay && want->dpd_delay != have->dpd_delay)
		list_add(&v, &n, "dpd_delay");
	if (have->start_action && !str_eq(want->start_action, have->start_action))
		list_add(&v, &n, "start_action");
	if (!lists_eq(want->local_ts, want->n_local_ts, have->local_ts, have->n_local_ts))
		list_add(&v, &n, "local_ts");
	if (!lists_eq(want->remote_ts, want->n_remote_ts, have->remote_ts, have->n_remote_ts))
		list_add(&v, &n, "remote_ts");
	return v;
}

int ipsec_flush_certs(const struct site *s, char **cause)
{
	struct vici_conn *vc = NULL;
	int r = vici_connect(s->vici_socket, &vc, cause);

	if (r == 0)
		r = vici_call_void(vc, "flush-certs", NULL, IPSEC_TIMEOUT_MS, cause);
	vici_close(vc);
	return r;
}

/* The state of the SAs (list-sas) as plain structs and as JSON. One table
 * per struct maps charon's keys to fields, both ways. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/util.h"
#include "ipsec/ipsec.h"
#include "ipsec/vici.h"

enum field_kind { F_STR, F_U64, F_BOOL, F_LIST };

/* One key of a list-sa entry: its name in charon's message (and in our
 * JSON), its kind, where it goes, and for lists where the count goes. */
struct field {
	const char *key;
	enum field_kind kind;
	size_t off;
	size_t n_off;
};

#define IKE(k, kind, m) { k, kind, offsetof(struct ipsec_ike_sa, m), 0 }
#define CHILD(k, kind, m) { k, kind, offsetof(struct ipsec_child_sa, m), 0 }
#define CHILD_LIST(k, m) \
	{ k, F_LIST, offsetof(struct ipsec_child_sa, m), offsetof(struct ipsec_child_sa, n_##m) }

static const struct field ike_fields[] = {
	IKE("uniqueid", F_U64, uniqueid),
	IKE("version", F_U64, version),
	IKE("state", F_STR, state),
	IKE("local-host", F_STR, local_host),
	IKE("local-port", F_U64, local_port),
	IKE("local-id", F_STR, local_id),
	IKE("remote-host", F_STR, remote_host),
	IKE("remote-port", F_U64, remote_port),
	IKE("remote-id", F_STR, remote_id),
	IKE("initiator", F_BOOL, initiator),
	IKE("initiator-spi", F_STR, initiator_spi),
	IKE("responder-spi", F_STR, responder_spi),
	IKE("nat-local", F_BOOL, nat_local),
	IKE("nat-remote", F_BOOL, nat_remote),
	IKE("nat-fake", F_BOOL, nat_fake),
	IKE("nat-any", F_BOOL, nat_any),
	IKE("encr-alg", F_STR, encr_alg),
	IKE("encr-keysize", F_U64, encr_keysize),
	IKE("integ-alg", F_STR, integ_alg),
	IKE("integ-keysize", F_U64, integ_keysize),
	IKE("prf-alg", F_STR, prf_alg),
	IKE("dh-group", F_STR, dh_group),
	IKE("established", F_U64, established),
	IKE("rekey-time", F_U64, rekey_time),
	IKE("reauth-time", F_U64, reauth_time),
};

static const struct field child_fields[] = {
	CHILD("name", F_STR, name),
	CHILD("uniqueid", F_U64, uniqueid),
	CHILD("reqid", F_U64, reqid),
	CHILD("state", F_STR, state),
	CHILD("mode", F_STR, mode),
	CHILD("protocol", F_STR, protocol),
	CHILD("encap", F_BOOL, encap),
	CHILD("spi-in", F_STR, spi_in),
	CHILD("spi-out", F_STR, spi_out),
	CHILD("encr-alg", F_STR, encr_alg),
	CHILD("encr-keysize", F_U64, encr_keysize),
	CHILD("integ-alg", F_STR, integ_alg),
	CHILD("integ-keysize", F_U64, integ_keysize),
	CHILD("prf-alg", F_STR, prf_alg),
	CHILD("dh-group", F_STR, dh_group),
	CHILD("bytes-in", F_U64, bytes_in),
	CHILD("packets-in", F_U64, packets_in),
	CHILD("use-in", F_U64, use_in),
	CHILD("bytes-out", F_U64, bytes_out),
	CHILD("packets-out", F_U64, packets_out),
	CHILD("use-out", F_U64, use_out),
	CHILD("rekey-time", F_U64, rekey_time),
	CHILD("life-time", F_U64, life_time),
	CHILD("install-time", F_U64, install_time),
	CHILD_LIST("local-ts", local_ts),
	CHILD_LIST("remote-ts", remote_ts),
};

/* Fill the fields of obj from the keys of sec. */
static void fill(void *obj, const struct field *f, size_t n, const struct vici_node *sec)
{
	char *base = obj;

	for (size_t i = 0; i < n; i++) {
		const struct vici_node *v = vici_get(sec, f[i].key);
		if (v == NULL)
			continue;
		switch (f[i].kind) {
		case F_STR:
			if (v->type == VICI_NODE_VALUE)
				*(char **)(base + f[i].off) = xstrdup(v->value);
			break;
		case F_U64:
			vici_u64(sec, f[i].key, (uint64_t *)(void *)(base + f[i].off));
			break;
		case F_BOOL:
			*(bool *)(base + f[i].off) = vici_yes(sec, f[i].key);
			break;
		case F_LIST: {
			char ***list = (char ***)(void *)(base + f[i].off);
			size_t *count = (size_t *)(void *)(base + f[i].n_off);
			if (v->type != VICI_NODE_LIST)
				break;
			*list = xcalloc(v->n + 1, sizeof(char *));
			for (const struct vici_node *it = v->child; it; it = it->next)
				(*list)[(*count)++] = xstrdup(it->value);
			break;
		}
		}
	}
}

static void unfill(void *obj, const struct field *f, size_t n)
{
	char *base = obj;

	for (size_t i = 0; i < n; i++) {
		if (f[i].kind == F_STR) {
			free(*(char **)(base + f[i].off));
		} else if (f[i].kind == F_LIST) {
			char **list = *(char ***)(void *)(base + f[i].off);
			size_t count = *(size_t *)(void *)(base + f[i].n_off);
			for (size_t k = 0; k < count; k++)
				free(list[k]);
			free(list);
		}
	}
}

static struct json_object *to_json(const void *obj, const struct field *f, size_t n)
{
	const char *base = obj;
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		struct json_object *v = NULL;
		switch (f[i].kind) {
		case F_STR: {
			const char *s = *(char *const *)(base + f[i].off);
			if (s)
				v = json_object_new_string(s);
			break;
		}
		case F_U64:
			v = json_object_new_uint64(
				*(const uint64_t *)(const void *)(base + f[i].off));
			break;
		case F_BOOL:
			v = json_object_new_boolean(*(const bool *)(base + f[i].off));
			break;
		case F_LIST: {
			char *const *list = *(char *const *const *)(const void *)(base + f[i].off);
			size_t count = *(const size_t *)(const void *)(base + f[i].n_off);
			v = json_object_new_array();
			for (size_t k = 0; k < count; k++)
				json_object_array_add(v, json_object_new_string(list[k]));
			break;
		}
		}
		if (v)
			json_object_object_add(o, f[i].key, v);
	}
	return o;
}

/* One IKE_SA from a list-sa event: {NAME = {..., child-sas = {...}}}. */
static void on_list_sa(void *ctx, const char *event, const struct vici_node *msg)
{
	struct ipsec_sas *sas = ctx;

	for (const struct vici_node *sec = msg->child; sec; sec = sec->next) {
		struct ipsec_ike_sa *ike;
		const struct vici_node *children;

		if (sec->type != VICI_NODE_SECTION)
			continue;
		sas->v = xrealloc(sas->v, (sas->n + 1) * sizeof(*sas->v));
		ike = &sas->v[sas->n++];
		memset(ike, 0, sizeof(*ike));
		ike->name = xstrdup(sec->name);
		fill(ike, ike_fields, ARRAY_SIZE(ike_fields), sec);
		children = vici_get(sec, "child-sas");
		for (const struct vici_node *c = children ? children->child : NULL; c; c = c->next) {
			struct ipsec_child_sa *ch;
			if (c->type != VICI_NODE_SECTION)
				continue;
			ike->children = xrealloc(ike->children,
						 (ike->n_children + 1) * sizeof(*ike->children));
			ch = &ike->children[ike->n_children++];
			memset(ch, 0, sizeof(*ch));
			fill(ch, child_fields, ARRAY_SIZE(child_fields), c);
			if (ch->name == NULL)
				ch->name = xstrdup(c->name);
		}
	}
}

int ipsec_sas_get(const char *socket, const char *ike, struct ipsec_sas *out, char **cause)
{
	struct vici_conn *vc;
	struct vici_builder b;
	int r;

	memset(out, 0, sizeof(*out));
	r = vici_connect(socket, &vc, cause);
	if (r < 0)
		return r;
	vici_builder_init(&b);
	if (ike)
		vici_add_kv(&b, "ike", ike);
	r = vici_register(vc, "list-sa", on_list_sa, out, IPSEC_TIMEOUT_MS, cause);
	if (r == 0)
		r = vici_call_void(vc, "list-sas", &b, IPSEC_TIMEOUT_MS, cause);
	vici_builder_clear(&b);
	vici_close(vc);
	if (r < 0)
		ipsec_sas_free(out);
	return r;
}

void ipsec_sas_free(struct ipsec_sas *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct ipsec_ike_sa *ike = &s->v[i];
		for (size_t k = 0; k < ike->n_children; k++) {
			unfill(&ike->children[k], child_fields, ARRAY_SIZE(child_fields));
		}
		free(ike->children);
		free(ike->name);
		unfill(ike, ike_fields, ARRAY_SIZE(ike_fields));
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

struct json_object *ipsec_sas_to_json(const struct ipsec_sas *s)
{
	struct json_object *root = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < s->n; i++) {
		const struct ipsec_ike_sa *ike = &s->v[i];
		struct json_object *o = to_json(ike, ike_fields, ARRAY_SIZE(ike_fields));
		struct json_object *children = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(ike->name));
		for (size_t k = 0; k < ike->n_children; k++)
			json_object_array_add(children, to_json(&ike->children[k], child_fields,
								ARRAY_SIZE(child_fields)));
		json_object_object_add(o, "child-sas", children);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "ike-sas", arr);
	return root;
}

const struct ipsec_ike_sa *ipsec_sas_ours(const struct ipsec_sas *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, IPSEC_CONN_NAME) == 0)
			return &s->v[i];
	return NULL;
}

const struct ipsec_child_sa *ipsec_ike_child(const struct ipsec_ike_sa *ike)
{
	return ike && ike->n_children ? &ike->children[0] : NULL;
}

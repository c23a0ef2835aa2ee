/* Asking charon itself whether it takes a proposal: load it into a
 * throwaway connection and unload that again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "ipsec/ipsec.h"
#include "ipsec/vici.h"

/* The load-conn message of the throwaway connection: proposal where it
 * goes (IKE or ESP), "default" in the other place. */
static void build_check(struct vici_builder *b, const char *proposal, bool ike)
{
	vici_add_section(b, IPSEC_CHECK_NAME);
	vici_add_kv(b, "version", "2");
	vici_add_list(b, "proposals");
	vici_add_item(b, ike ? proposal : "default");
	vici_end_list(b);
	vici_add_section(b, "local");
	vici_add_kv(b, "auth", "psk");
	vici_end_section(b);
	vici_add_section(b, "remote");
	vici_add_kv(b, "auth", "psk");
	vici_end_section(b);
	vici_add_section(b, "children");
	vici_add_section(b, IPSEC_CHECK_NAME);
	vici_add_list(b, "esp_proposals");
	vici_add_item(b, ike ? "default" : proposal);
	vici_end_list(b);
	vici_add_kv(b, "start_action", "none");
	vici_end_section(b);
	vici_end_section(b);
	vici_end_section(b);
}

/* Load and unload one proposal over vc; -EINVAL when charon refused it. */
static int try_one(struct vici_conn *vc, const char *proposal, bool ike, char **cause)
{
	struct vici_builder b;
	struct vici_node *reply = NULL;
	int r;

	vici_builder_init(&b);
	build_check(&b, proposal, ike);
	r = vici_call(vc, "load-conn", &b, IPSEC_TIMEOUT_MS, &reply, cause);
	vici_builder_clear(&b);
	if (r == 0 && !vici_yes(reply, "success"))
		r = cause_set(cause, EINVAL, "%s", vici_str(reply, "errmsg") ?: "?");
	vici_node_free(reply);
	if (r == 0) {
		vici_builder_init(&b);
		vici_add_kv(&b, "name", IPSEC_CHECK_NAME);
		r = vici_call_ok(vc, "unload-conn", &b, IPSEC_TIMEOUT_MS, cause);
		vici_builder_clear(&b);
	}
	return r;
}

int ipsec_proposals_try(const char *socket, const char *list, bool ike, char **refused,
			char **cause)
{
	struct vici_conn *vc = NULL;
	size_t n;
	char **items = str_split_list(list, &n);
	int r;

	*refused = NULL;
	r = vici_connect(socket, &vc, cause);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = try_one(vc, items[i], ike, cause);
		if (r == -EINVAL)
			*refused = xstrdup(items[i]);
	}
	vici_close(vc);
	str_list_free(items);
	return r;
}

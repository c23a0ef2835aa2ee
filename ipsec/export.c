/* The connection as swanctl.conf, for a carrier's engineer to read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"

/* The file being written; bad is set when a value could not be written. */
struct out {
	FILE *f;
	bool bad;
};

/* The one way a value goes into swanctl.conf: always in double quotes, so
 * that no character of it (space, comma, '=', '#', braces) means anything to
 * strongSwan's settings parser; lists stay comma separated inside the
 * quotes, which swanctl splits after parsing. A value that cannot be quoted
 * (a quote, a backslash, a control character, invalid UTF-8) is refused
 * and the export fails: the config's grammars never let one through. */
static void put_kv(struct out *o, int indent, const char *key, const char *v)
{
	if (!str_text_ok(v, NULL) || strpbrk(v, "\"\\") != NULL) {
		o->bad = true;
		return;
	}
	fprintf(o->f, "%*s%s = \"%s\"\n", indent * 4, "", key, v);
}

static void put_list(struct out *o, int indent, const char *key, char **v, size_t n)
{
	char *joined = xstrdup(""), *t;

	for (size_t i = 0; i < n; i++) {
		t = xasprintf("%s%s%s", joined, i ? "," : "", v[i]);
		free(joined);
		joined = t;
	}
	put_kv(o, indent, key, joined);
	free(joined);
}

/* A comment line naming a file: the path sanitised so that it stays one
 * line of comment. */
static void put_comment(struct out *o, const char *before, const char *path, const char *after)
{
	char *clean = str_sanitize(path);

	fprintf(o->f, "%s%s%s", before, clean, after);
	free(clean);
}

char *ipsec_export_swanctl(const struct site *s)
{
	struct ipsec_conn c;
	struct out o = { 0 };
	char *out = NULL, dpd[16];
	size_t len = 0;
	FILE *f;

	if (ipsec_conn_from_site(s, &c, NULL) < 0)
		return NULL;
	if (!site_section_name_ok(c.name) || (f = open_memstream(&out, &len)) == NULL) {
		ipsec_conn_clear(&c);
		return NULL;
	}
	o.f = f;
	fprintf(f, "# swanctl.conf equivalent of what oqlink loads into charon over VICI.\n");
	put_comment(&o, "# Generated from ", s->path ? s->path : "the site config",
		    "; secrets are referenced, never copied.\n");
	fprintf(f, "# Load with: swanctl --load-all --file THIS_FILE\n\n");
	fprintf(f, "connections {\n    %s {\n", c.name);
	put_kv(&o, 2, "version", "2");
	put_kv(&o, 2, "remote_addrs", c.remote_addrs);
	put_kv(&o, 2, "proposals", c.ike_proposals);
	put_kv(&o, 2, "encap", c.encap ? "yes" : "no");
	put_kv(&o, 2, "mobike", c.mobike ? "yes" : "no");
	put_kv(&o, 2, "keyingtries", "1");
	snprintf(dpd, sizeof(dpd), "%us", c.dpd_delay);
	if (c.dpd_delay)
		put_kv(&o, 2, "dpd_delay", dpd);
	fprintf(f, "        local {\n");
	put_kv(&o, 3, "auth", c.auth);
	if (c.local_id)
		put_kv(&o, 3, "id", c.local_id);
	if (s->auth == SITE_AUTH_PUBKEY && s->certificate)
		put_kv(&o, 3, "certs", s->certificate);
	fprintf(f, "        }\n        remote {\n");
	put_kv(&o, 3, "auth", c.auth);
	if (c.remote_id)
		put_kv(&o, 3, "id", c.remote_id);
	fprintf(f, "        }\n        children {\n            %s {\n", c.name);
	put_list(&o, 4, "local_ts", c.local_ts, c.n_local_ts);
	put_list(&o, 4, "remote_ts", c.remote_ts, c.n_remote_ts);
	put_kv(&o, 4, "esp_proposals", c.esp_proposals);
	put_kv(&o, 4, "start_action", c.start_action);
	if (c.dpd_delay)
		put_kv(&o, 4, "dpd_action", "restart");
	put_kv(&o, 4, "close_action", "none");
	fprintf(f, "            }\n        }\n    }\n}\n");
	if (s->ca) {
		fprintf(f, "\nauthorities {\n    %s {\n", IPSEC_CA_NAME);
		put_kv(&o, 2, "cacert", s->ca);
		fprintf(f, "    }\n}\n");
	}
	fprintf(f, "\nsecrets {\n");
	if (s->auth == SITE_AUTH_PUBKEY && s->private_key)
		put_comment(&o, "    # The private key is ", s->private_key,
			    " (mode 0600). swanctl loads keys from the\n"
			    "    # private/ folder next to this file: copy it there to use this file.\n");
	if (s->auth == SITE_AUTH_PSK && s->psk_file) {
		put_comment(&o, "    # The pre-shared key is in ", s->psk_file,
			    " (mode 0600). swanctl.conf cannot\n"
			    "    # reference a file for it: copy it in by hand where needed.\n"
			    "    # ike-oqlink {\n");
		if (c.local_id)
			put_comment(&o, "    #     id-local = \"", c.local_id, "\"\n");
		if (c.remote_id)
			put_comment(&o, "    #     id-remote = \"", c.remote_id, "\"\n");
		put_comment(&o, "    #     secret = <contents of ", s->psk_file, ">\n    # }\n");
	}
	fprintf(f, "}\n");
	fclose(f);
	ipsec_conn_clear(&c);
	if (o.bad) {
		free(out);
		return NULL;
	}
	return out;
}

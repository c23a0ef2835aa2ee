/* The connection as swanctl.conf, for a carrier's engineer to read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"

/* A value for swanctl.conf: quoted when it holds characters the settings
 * parser would take apart (spaces, commas, '=', braces, quotes). */
static void put_value(FILE *f, const char *v)
{
	if (strpbrk(v, " \t,={}#\"") == NULL) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

static void put_kv(FILE *f, int indent, const char *key, const char *v)
{
	fprintf(f, "%*s%s = ", indent * 4, "", key);
	put_value(f, v);
	fputc('\n', f);
}

/* A list value as swanctl.conf writes it: comma separated, unquoted. */
static void put_raw(FILE *f, int indent, const char *key, const char *v)
{
	fprintf(f, "%*s%s = %s\n", indent * 4, "", key, v);
}

static void put_list(FILE *f, int indent, const char *key, char **v, size_t n)
{
	fprintf(f, "%*s%s = ", indent * 4, "", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", v[i]);
	fputc('\n', f);
}

char *ipsec_export_swanctl(const struct site *s)
{
	struct ipsec_conn c;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (ipsec_conn_from_site(s, &c, NULL) < 0)
		return NULL;
	f = open_memstream(&out, &len);
	if (f == NULL) {
		ipsec_conn_clear(&c);
		return NULL;
	}
	fprintf(f, "# swanctl.conf equivalent of what oqlink loads into charon over VICI.\n"
		   "# Generated from %s; secrets are referenced, never copied.\n"
		   "# Load with: swanctl --load-all --file THIS_FILE\n\n",
		s->path ? s->path : "the site config");
	fprintf(f, "connections {\n    %s {\n", c.name);
	put_kv(f, 2, "version", "2");
	put_raw(f, 2, "remote_addrs", c.remote_addrs);
	put_raw(f, 2, "proposals", c.ike_proposals);
	put_kv(f, 2, "encap", c.encap ? "yes" : "no");
	put_kv(f, 2, "mobike", c.mobike ? "yes" : "no");
	put_kv(f, 2, "keyingtries", "1");
	if (c.dpd_delay)
		fprintf(f, "        dpd_delay = %us\n", c.dpd_delay);
	fprintf(f, "        local {\n");
	put_kv(f, 3, "auth", c.auth);
	if (c.local_id)
		put_kv(f, 3, "id", c.local_id);
	if (s->auth == SITE_AUTH_PUBKEY && s->certificate)
		put_kv(f, 3, "certs", s->certificate);
	fprintf(f, "        }\n        remote {\n");
	put_kv(f, 3, "auth", c.auth);
	if (c.remote_id)
		put_kv(f, 3, "id", c.remote_id);
	fprintf(f, "        }\n        children {\n            %s {\n", c.name);
	put_list(f, 4, "local_ts", c.local_ts, c.n_local_ts);
	put_list(f, 4, "remote_ts", c.remote_ts, c.n_remote_ts);
	put_raw(f, 4, "esp_proposals", c.esp_proposals);
	put_kv(f, 4, "start_action", c.start_action);
	if (c.dpd_delay)
		put_kv(f, 4, "dpd_action", "restart");
	put_kv(f, 4, "close_action", "none");
	fprintf(f, "            }\n        }\n    }\n}\n");
	if (s->ca)
		fprintf(f, "\nauthorities {\n    %s {\n        cacert = %s\n    }\n}\n",
			IPSEC_CA_NAME, s->ca);
	fprintf(f, "\nsecrets {\n");
	if (s->auth == SITE_AUTH_PUBKEY && s->private_key)
		fprintf(f, "    # The private key is %s (mode 0600). swanctl loads keys from the\n"
			   "    # private/ folder next to this file: copy it there to use this file.\n",
			s->private_key);
	if (s->auth == SITE_AUTH_PSK && s->psk_file) {
		fprintf(f, "    # The pre-shared key is in %s (mode 0600). swanctl.conf cannot\n"
			   "    # reference a file for it: copy it in by hand where needed.\n"
			   "    # ike-oqlink {\n", s->psk_file);
		if (c.local_id)
			fprintf(f, "    #     id-local = %s\n", c.local_id);
		if (c.remote_id)
			fprintf(f, "    #     id-remote = %s\n", c.remote_id);
		fprintf(f, "    #     secret = <contents of %s>\n    # }\n", s->psk_file);
	}
	fprintf(f, "}\n");
	fclose(f);
	ipsec_conn_clear(&c);
	return out;
}

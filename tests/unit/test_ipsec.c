/* ipsec: the connection derived from the site config, its comparison,
 * the swanctl.conf export, and the classification of charon's log. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/site.h"
#include "core/util.h"
#include "ipsec/ipsec.h"
#include "ipsec/vici.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* The example config with some lines replaced. An edit is
 * "section/key = value" (replace that key in that section),
 * "section/key:other = value" (replace the line of key by another one) or
 * "section/key" (drop the line). */
static struct site *site_with(const char *const *edits)
{
	struct site_diags diags = { 0 };
	struct site *s;
	char *text = NULL, *out, section[64] = "";
	size_t len;
	FILE *f;

	assert_int_equal(file_read("examples/site-ipsec.conf", 1 << 20, &text, &len, NULL), 0);
	f = open_memstream(&out, &len);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		const char *replaced = NULL;
		if (line[0] == '[')
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(line + 1, "]"),
				 line + 1);
		for (size_t i = 0; edits && edits[i]; i++) {
			const char *e = edits[i], *slash = strchr(e, '/');
			size_t k = strcspn(slash + 1, " =:");
			if (strncmp(e, section, (size_t)(slash - e)) == 0 &&
			    section[slash - e] == '\0' && strncmp(line, slash + 1, k) == 0 &&
			    (line[k] == ' ' || line[k] == '='))
				replaced = slash[1 + k] == ':' ? slash + 2 + k :
					   slash[1 + k] ? slash + 1 : "";
		}
		fprintf(f, "%s\n", replaced ? replaced : line);
	}
	fclose(f);
	s = site_load_string("site.conf", out, false, &diags);
	if (s == NULL) {
		site_diags_print(&diags, stderr);
		fail();
	}
	site_diags_free(&diags);
	free(text);
	free(out);
	return s;
}

static char *joined(char **v, size_t n)
{
	char *out = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%s", out, i ? " " : "", v[i]);
		free(out);
		out = t;
	}
	return out;
}

static const struct {
	const char *what;
	const char *edits[6];
	const char *local_ts;
	const char *remote_ts;
	const char *start;
	bool encap;
} conns[] = {
	{ "separate segment: the terminal segment", { NULL },
	  "192.168.20.0/24", "192.0.2.0/24", "start", false },
	{ "lan layout: the terminal and the appliance's LAN address",
	  { "terminal/segment = lan", "terminal/interface", "terminal/address",
	    "terminal/host = 192.168.10.10", "terminal/lan_ports", NULL },
	  "192.168.10.10/32 192.168.10.1/32", "192.0.2.0/24", "start", false },
	{ "several central prefixes, trap, forced NAT-T",
	  { "central/prefixes = 192.0.2.0/24, 198.18.0.0/15", "ipsec/start_action = trap",
	    "ipsec/nat_traversal = force", NULL },
	  "192.168.20.0/24", "192.0.2.0/24 198.18.0.0/15", "trap", true },
};

static void test_conn_from_site(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(conns); i++) {
		struct site *s = site_with(conns[i].edits);
		struct ipsec_conn c;
		char *l, *r;

		assert_int_equal(ipsec_conn_from_site(s, &c, NULL), 0);
		l = joined(c.local_ts, c.n_local_ts);
		r = joined(c.remote_ts, c.n_remote_ts);
		if (strcmp(l, conns[i].local_ts) || strcmp(r, conns[i].remote_ts))
			fail_msg("%s: local %s remote %s", conns[i].what, l, r);
		assert_string_equal(c.name, IPSEC_CONN_NAME);
		assert_string_equal(c.remote_addrs, "203.0.113.1");
		assert_string_equal(c.ike_proposals, "aes256-sha256-modp2048");
		assert_string_equal(c.esp_proposals, "aes256gcm16-modp2048");
		assert_string_equal(c.auth, "pubkey");
		assert_string_equal(c.start_action, conns[i].start);
		assert_int_equal(c.encap, conns[i].encap);
		assert_int_equal(c.dpd_delay, 30);
		free(l);
		free(r);
		ipsec_conn_clear(&c);
		site_free(s);
	}
}

static void test_conn_diff(void **state)
{
	struct site *s = site_with(NULL);
	struct ipsec_conn want, have = { 0 };
	char **d;

	assert_int_equal(ipsec_conn_from_site(s, &want, NULL), 0);
	assert_int_equal(ipsec_conn_from_site(s, &have, NULL), 0);
	assert_null(ipsec_conn_diff(&want, &have));
	free(have.remote_ts[0]);
	have.remote_ts[0] = xstrdup("192.0.2.0/25");
	free(have.remote_id);
	have.remote_id = xstrdup("CN=other");
	d = ipsec_conn_diff(&want, &have);
	assert_non_null(d);
	assert_string_equal(d[0], "remote_id");
	assert_string_equal(d[1], "remote_ts");
	assert_null(d[2]);
	str_list_free(d);
	/* what charon does not report (NULL) is not a difference */
	free(have.ike_proposals);
	have.ike_proposals = NULL;
	d = ipsec_conn_diff(&want, &have);
	assert_null(d[2]);
	str_list_free(d);
	ipsec_conn_clear(&want);
	ipsec_conn_clear(&have);
	site_free(s);
}

/* The record of what is loaded: one key changed, one name in the diff; a
 * rewritten PSK file changes it without its content ever entering it. */
static void test_load_record(void **state)
{
#define PSK "/tmp/oqlink-test-record.psk"
	static const char *const base[] = {
		"ipsec/auth = psk", "ipsec/certificate", "ipsec/private_key",
		"ipsec/ca:psk_file = " PSK, NULL,
	};
	static const struct {
		const char *edit, *key;
	} changes[] = {
		{ "ipsec/esp_proposals = aes128gcm128-x25519", "esp_proposals" },
		{ "ipsec/ike_proposals = aes128-sha256-x25519", "ike_proposals" },
		{ "ipsec/local_id = clinic.example", "local_id" },
		{ "ipsec/dpd_delay = 10", "dpd_delay" },
		{ "central/prefixes = 192.0.2.0/24, 198.18.0.0/15", "remote_ts" },
	};
	struct json_object *r0, *r1;
	struct site *s;
	char **d;

	assert_int_equal(file_write_atomic(PSK, "TOP-SECRET-PSK\n", 15, 0600, NULL), 0);
	s = site_with(base);
	r0 = ipsec_load_record(s, NULL);
	assert_non_null(r0);
	site_free(s);
	s = site_with(base);
	r1 = ipsec_load_record(s, NULL);
	assert_null(ipsec_load_record_diff(r1, r0));
	json_object_put(r1);
	site_free(s);
	for (size_t i = 0; i < ARRAY_SIZE(changes); i++) {
		const char *edits[6] = { base[0], base[1], base[2], base[3], changes[i].edit, NULL };
		s = site_with(edits);
		r1 = ipsec_load_record(s, NULL);
		d = ipsec_load_record_diff(r1, r0);
		if (d == NULL || strcmp(d[0], changes[i].key) != 0 || d[1] != NULL)
			fail_msg("%s: diff %s", changes[i].edit, d ? d[0] : "none");
		str_list_free(d);
		json_object_put(r1);
		site_free(s);
	}
	/* a new PSK: a new file (new inode), recorded by identity only */
	assert_int_equal(file_write_atomic(PSK, "OTHER-SECRET-PSK\n", 17, 0600, NULL), 0);
	s = site_with(base);
	r1 = ipsec_load_record(s, NULL);
	d = ipsec_load_record_diff(r1, r0);
	assert_non_null(d);
	assert_string_equal(d[0], "psk_file");
	assert_null(d[1]);
	assert_null(strstr(json_object_to_json_string(r1), "SECRET"));
	str_list_free(d);
	json_object_put(r1);
	json_object_put(r0);
	site_free(s);
	unlink(PSK);
#undef PSK
}

static void test_export(void **state)
{
	static const char *const pubkey_has[] = {
		"connections {", "    oqlink {", "remote_addrs = \"203.0.113.1\"",
		"proposals = \"aes256-sha256-modp2048\"", "id = \"CN=clinic-1312345678.example\"",
		"certs = \"/etc/oqlink/ike.crt\"", "local_ts = \"192.168.20.0/24\"",
		"remote_ts = \"192.0.2.0/24\"", "esp_proposals = \"aes256gcm16-modp2048\"",
		"dpd_delay = \"30s\"", "start_action = \"start\"", "cacert = \"/etc/oqlink/ca.crt\"",
		"private key is /etc/oqlink/ike.key",
	};
	struct site *s = site_with(NULL);
	char *text = ipsec_export_swanctl(s);

	for (size_t i = 0; i < ARRAY_SIZE(pubkey_has); i++)
		if (strstr(text, pubkey_has[i]) == NULL)
			fail_msg("missing '%s' in:\n%s", pubkey_has[i], text);
	free(text);
	site_free(s);

	/* with a PSK: the file is named, its contents never appear */
	static const char *const psk_edits[] = {
		"ipsec/auth = psk", "ipsec/certificate", "ipsec/private_key",
		"ipsec/ca:psk_file = /tmp/oqlink-test-export.psk", NULL,
	};
	assert_int_equal(file_write_atomic("/tmp/oqlink-test-export.psk", "TOP-SECRET-PSK\n", 15,
					   0600, NULL), 0);
	s = site_with(psk_edits);
	text = ipsec_export_swanctl(s);
	assert_non_null(strstr(text, "auth = \"psk\""));
	assert_non_null(strstr(text, "<contents of /tmp/oqlink-test-export.psk>"));
	assert_null(strstr(text, "TOP-SECRET"));
	assert_null(strstr(text, "authorities"));
	free(text);
	site_free(s);
	unlink("/tmp/oqlink-test-export.psk");
}

/* Every value the export writes is quoted, whatever it holds: a path with
 * the settings parser's own characters stays one value. Every line that is
 * not a section, a comment or a closing brace is key = "value". */
static void test_export_quotes_every_value(void **state)
{
	static const char *const edits[] = {
		"ipsec/ca = /etc/oqlink/ca }# x,y=z{.crt",
		"ipsec/certificate = /etc/oqlink/ike {cert}.crt",
		"ipsec/local_id = CN=clinic, O=さくら # 1",
		NULL,
	};
	struct site *s = site_with(edits);
	char *text = ipsec_export_swanctl(s);

	assert_non_null(text);
	assert_non_null(strstr(text, "        cacert = \"/etc/oqlink/ca }# x,y=z{.crt\"\n"));
	assert_non_null(strstr(text, "certs = \"/etc/oqlink/ike {cert}.crt\"\n"));
	assert_non_null(strstr(text, "id = \"CN=clinic, O=さくら # 1\"\n"));
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		char *t = l + strspn(l, " ");
		size_t n = strlen(t);
		if (*t == '#' || strcmp(t, "}") == 0 || (n > 2 && strcmp(t + n - 2, " {") == 0))
			continue;
		char *eq = strstr(t, " = \"");
		if (eq == NULL || t[n - 1] != '"' || strchr(eq + 4, '"') != t + n - 1)
			fail_msg("not key = \"value\": '%s'", l);
	}
	free(text);

	/* a value that cannot be quoted, put in by hand: no export at all */
	free(s->ca);
	s->ca = xstrdup("/etc/oqlink/ca\".crt\n}");
	assert_null(ipsec_export_swanctl(s));
	free(s->ca);
	s->ca = xstrdup("/etc/oqlink/ca\\x.crt");
	assert_null(ipsec_export_swanctl(s));
	/* nor an identity or peer outside the grammar, for VICI either */
	struct ipsec_conn c;
	char *cause = NULL;
	free(s->ca);
	s->ca = xstrdup("/etc/oqlink/ca.crt");
	assert_int_equal(ipsec_conn_from_site(s, &c, &cause), 0);
	ipsec_conn_clear(&c);
	free(s->local_id);
	s->local_id = xstrdup("CN=x\" }");
	assert_int_equal(ipsec_conn_from_site(s, &c, &cause), -EINVAL);
	assert_null(ipsec_export_swanctl(s));
	free(s->local_id);
	s->local_id = NULL;
	free(s->peer);
	s->peer = xstrdup("gw;reboot");
	assert_int_equal(ipsec_conn_from_site(s, &c, &cause), -EINVAL);
	free(cause);
	site_free(s);
}

/* Canned logs, as charon 5.9 writes them, and the cause each means. */
static const struct {
	const char *what;
	const char *auth;
	const char *lines[8];
	const char *cause;
	const char *evidence;		/* part of the first evidence line */
} logs[] = {
	{ "no answer at all", "pubkey",
	  { "[IKE] initiating IKE_SA oqlink[1] to 203.0.113.1",
	    "[NET] sending packet: from 198.51.100.2[500] to 203.0.113.1[500] (464 bytes)",
	    "[IKE] retransmit 1 of request with message ID 0",
	    "[IKE] retransmit 2 of request with message ID 0" },
	  "peer-unreachable", "retransmit 1 of request with message ID 0" },
	{ "gave up", "psk",
	  { "[IKE] giving up after 5 retransmits", "[IKE] establishing IKE_SA failed, peer not responding" },
	  "peer-unreachable", "giving up" },
	{ "4500 blocked", "pubkey",
	  { "[ENC] parsed IKE_SA_INIT response 0 [ SA KE No ]",
	    "[NET] sending packet: from 198.51.100.2[4500] to 203.0.113.1[4500] (1236 bytes)",
	    "[IKE] retransmit 1 of request with message ID 1" },
	  "udp4500-blocked", "parsed IKE_SA_INIT response" },
	{ "IKE proposal", "pubkey",
	  { "[ENC] parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]",
	    "[IKE] received NO_PROPOSAL_CHOSEN notify error" },
	  "no-proposal", "NO_PROPOSAL_CHOSEN" },
	{ "ESP proposal", "psk",
	  { "[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built" },
	  "no-proposal", "no CHILD_SA built" },
	{ "selectors", "pubkey",
	  { "[IKE] received TS_UNACCEPTABLE notify, no CHILD_SA built" },
	  "ts-unacceptable", "TS_UNACCEPTABLE" },
	{ "we reject the gateway's identity", "pubkey",
	  { "[IKE] received end entity cert \"CN=other\"",
	    "[CFG] constraint check failed: identity 'CN=vpngw.carrier.example' required ",
	    "[CFG] selected peer config 'oqlink' unacceptable: constraint checking failed" },
	  "remote-id", "constraint check failed" },
	{ "gateway certificate untrusted", "pubkey",
	  { "[CFG]   self-signed certificate \"CN=Other CA\" is not trusted",
	    "[IKE] no trusted RSA public key found for 'CN=vpngw.carrier.example'" },
	  "peer-cert-untrusted", "is not trusted" },
	{ "gateway certificate expired", "pubkey",
	  { "[CFG] subject certificate invalid (valid from Jan 01 00:00:00 2020 to Jan 02 00:00:00 2020)",
	    "[IKE] no trusted RSA public key found for 'CN=vpngw.carrier.example'" },
	  "peer-cert-expired", "valid from Jan 01" },
	{ "certificate not yet valid", "pubkey",
	  { "[CFG] subject certificate invalid (valid from Jan 01 00:00:00 2099 to Jan 02 00:00:00 2100)",
	    "[IKE] no trusted RSA public key found for 'CN=vpngw.carrier.example'" },
	  "clock", "2099" },
	{ "AUTHENTICATION_FAILED with a PSK", "psk",
	  { "[ENC] parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
	    "[IKE] received AUTHENTICATION_FAILED notify error" },
	  "psk-mismatch", "AUTHENTICATION_FAILED" },
	{ "AUTHENTICATION_FAILED with a certificate", "pubkey",
	  { "[IKE] received AUTHENTICATION_FAILED notify error" },
	  "our-cert-rejected", "AUTHENTICATION_FAILED" },
	{ "IKE_AUTH lost on port 500", "pubkey",
	  { "[ENC] parsed IKE_SA_INIT response 0 [ SA KE No ]",
	    "[NET] sending packet: from 198.51.100.2[500] to 203.0.113.1[500] (1236 bytes)",
	    "[IKE] retransmit 1 of request with message ID 1" },
	  "unknown", "parsed IKE_SA_INIT" },
	{ "negotiated, not installable", "psk",
	  { "[CFG] selected proposal: ESP:AES_GCM_16_256/NO_EXT_SEQ",
	    "[KNL] error installing route with policy 192.168.10.10/32 === 192.0.2.0/24 out",
	    "[IKE] unable to install IPsec policies (SPD) in kernel" },
	  "kernel-install", "error installing route" },
	{ "nothing known", "pubkey", { "[IKE] something else" }, "unknown", "something else" },
};

static void test_classify(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(logs); i++) {
		struct ipsec_diagnosis d = { 0 };
		size_t n = 0;

		while (n < ARRAY_SIZE(logs[i].lines) && logs[i].lines[n])
			n++;
		ipsec_classify(logs[i].lines, n, logs[i].auth, &d);
		if (strcmp(d.id, logs[i].cause) != 0)
			fail_msg("%s: got %s", logs[i].what, d.id);
		assert_true(d.n_evidence > 0);
		if (strstr(d.evidence[0], logs[i].evidence) == NULL)
			fail_msg("%s: evidence '%s'", logs[i].what, d.evidence[0]);
		assert_non_null(d.title.ja);
		assert_non_null(d.next.en);
		ipsec_diagnosis_clear(&d);
	}
}

/* The phase, which proposal and the endpoints, from canned charon 5.9 logs. */
static void test_phases(void **state)
{
	static const struct {
		const char *what;
		const char *lines[10];
		const char *phase, *proposal, *peer, *local, *remote;
	} cases[] = {
		{ "IKE proposals refused in IKE_SA_INIT",
		  { "[IKE] initiating IKE_SA oqlink[1] to 203.0.113.1",
		    "[NET] sending packet: from 198.51.100.2[500] to 203.0.113.1[500] (336 bytes)",
		    "[NET] received packet: from 203.0.113.1[500] to 198.51.100.2[500] (36 bytes)",
		    "[ENC] parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]",
		    "[IKE] received NO_PROPOSAL_CHOSEN notify error" },
		  "IKE_SA_INIT", "ike", NULL, "198.51.100.2:500", "203.0.113.1:500" },
		{ "ESP proposals refused, IKE_SA up",
		  { "[NET] sending packet: from 198.51.100.2[500] to 203.0.113.1[500] (336 bytes)",
		    "[ENC] parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]",
		    "[NET] sending packet: from 198.51.100.2[4500] to 203.0.113.1[4500] (1236 bytes)",
		    "[ENC] parsed IKE_AUTH response 1 [ IDr CERT AUTH N(NO_PROP) ]",
		    "[IKE] IKE_SA oqlink[1] established between 198.51.100.2[CN=a]...203.0.113.1[CN=b]",
		    "[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built",
		    "[IKE] failed to establish CHILD_SA, keeping IKE_SA" },
		  "CHILD_SA", "esp", NULL, "198.51.100.2:4500", "203.0.113.1:4500" },
		{ "we refuse the gateway's choice, its proposals logged",
		  { "[NET] sending packet: from 2001:db8::2[500] to 2001:db8::1[500] (336 bytes)",
		    "[CFG] received proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
		    "[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
		    "[IKE] no acceptable proposal found" },
		  "IKE_SA_INIT", "ike", "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
		  "[2001:db8::2]:500", "[2001:db8::1]:500" },
		{ "no answer",
		  { "[NET] sending packet: from 198.51.100.2[500] to 203.0.113.1[500] (336 bytes)",
		    "[IKE] retransmit 1 of request with message ID 0" },
		  "IKE_SA_INIT", NULL, NULL, "198.51.100.2:500", "203.0.113.1:500" },
		{ "authentication refused",
		  { "[ENC] parsed IKE_SA_INIT response 0 [ SA KE No ]",
		    "[ENC] parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
		    "[IKE] received AUTHENTICATION_FAILED notify error" },
		  "IKE_AUTH", NULL, NULL, NULL, NULL },
		{ "selectors refused",
		  { "[IKE] IKE_SA oqlink[1] established between 198.51.100.2[CN=a]...203.0.113.1[CN=b]",
		    "[IKE] received TS_UNACCEPTABLE notify, no CHILD_SA built" },
		  "CHILD_SA", NULL, NULL, NULL, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ipsec_diagnosis d = { 0 };
		size_t n = 0;

		while (n < ARRAY_SIZE(cases[i].lines) && cases[i].lines[n])
			n++;
		ipsec_classify(cases[i].lines, n, "pubkey", &d);
		if (strcmp(ipsec_phase_name(d.phase), cases[i].phase) != 0)
			fail_msg("%s: phase %s", cases[i].what, ipsec_phase_name(d.phase));
		if (cases[i].proposal == NULL ? d.proposal != NULL
					      : d.proposal == NULL || strcmp(d.proposal, cases[i].proposal))
			fail_msg("%s: proposal %s", cases[i].what, d.proposal ? d.proposal : "-");
		if (cases[i].proposal && strstr(d.title.en, cases[i].proposal[0] == 'e' ? "ESP" : "IKE") == NULL)
			fail_msg("%s: title '%s'", cases[i].what, d.title.en);
		if (cases[i].peer == NULL ? d.peer_proposals != NULL
					  : d.peer_proposals == NULL || strcmp(d.peer_proposals, cases[i].peer))
			fail_msg("%s: peer proposals %s", cases[i].what, d.peer_proposals);
		if (cases[i].local == NULL ? d.local != NULL
					   : d.local == NULL || strcmp(d.local, cases[i].local) ||
					     strcmp(d.remote, cases[i].remote))
			fail_msg("%s: endpoints %s %s", cases[i].what, d.local, d.remote);
		for (size_t k = 0; k < d.n_evidence; k++)
			if (d.phase != IPSEC_PHASE_CHILD_SA && strstr(d.evidence[k], "CHILD_SA"))
				fail_msg("%s: CHILD_SA evidence in %s", cases[i].what,
					 ipsec_phase_name(d.phase));
		ipsec_diagnosis_clear(&d);
	}
}

static void test_not_running(void **state)
{
	struct ipsec_sas sas;
	char *cause = NULL;

	i18n_set_lang(OQ_LANG_EN);
	assert_int_equal(ipsec_sas_get("/nonexistent/charon.vici", NULL, &sas, &cause), -ENOENT);
	assert_non_null(strstr(cause, "charon is not running at /nonexistent/charon.vici"));
	assert_int_equal(sas.n, 0);
	free(cause);
}

/* ---- SA state from a scripted charon ---- */

/* Write one packet to fd. */
static void put_packet(int fd, enum vici_packet_type t, const char *name,
		       struct vici_builder *b)
{
	uint8_t *out;
	size_t len;

	if (vici_packet_encode(t, name, b ? b->buf : NULL, b ? b->len : 0, &out, &len, NULL) ||
	    write(fd, out, len) != (ssize_t)len)
		_exit(9);
	free(out);
}

/* The list-sa event of one established IKE_SA with one CHILD_SA, as
 * charon 5.9 sends it. */
static void list_sa_event(struct vici_builder *b)
{
	static const char *const ike[][2] = {
		{ "uniqueid", "7" }, { "version", "2" }, { "state", "ESTABLISHED" },
		{ "local-host", "198.51.100.2" }, { "local-port", "4500" },
		{ "local-id", "CN=clinic" }, { "remote-host", "203.0.113.1" },
		{ "remote-port", "4500" }, { "remote-id", "CN=gw" }, { "initiator", "yes" },
		{ "initiator-spi", "f7d31f408856e36e" }, { "responder-spi", "62d9e56c6179096b" },
		{ "nat-remote", "yes" }, { "nat-any", "yes" }, { "encr-alg", "AES_CBC" },
		{ "encr-keysize", "256" }, { "integ-alg", "HMAC_SHA2_256_128" },
		{ "prf-alg", "PRF_HMAC_SHA2_256" }, { "dh-group", "MODP_2048" },
		{ "established", "5" }, { "rekey-time", "14248" }, { "unknown-key", "ignored" },
	};
	static const char *const child[][2] = {
		{ "name", "oqlink" }, { "uniqueid", "9" }, { "reqid", "1" },
		{ "state", "INSTALLED" }, { "mode", "TUNNEL" }, { "protocol", "ESP" },
		{ "encap", "yes" }, { "spi-in", "bd341423" }, { "spi-out", "1c8fd0c3" },
		{ "encr-alg", "AES_GCM_16" }, { "encr-keysize", "256" },
		{ "bytes-in", "18446744073709551615" }, { "packets-in", "2" },
		{ "bytes-out", "168" }, { "packets-out", "2" }, { "install-time", "5" },
		{ "rekey-time", "3300" }, { "life-time", "3955" }, { "use-in", "not-a-number" },
	};

	vici_add_section(b, "oqlink");
	for (size_t i = 0; i < ARRAY_SIZE(ike); i++)
		vici_add_kv(b, ike[i][0], ike[i][1]);
	vici_add_list(b, "tasks-queued");
	vici_end_list(b);
	vici_add_section(b, "child-sas");
	vici_add_section(b, "oqlink-9");
	for (size_t i = 0; i < ARRAY_SIZE(child); i++)
		vici_add_kv(b, child[i][0], child[i][1]);
	vici_add_list(b, "local-ts");
	vici_add_item(b, "192.168.20.0/24");
	vici_end_list(b);
	vici_add_list(b, "remote-ts");
	vici_add_item(b, "192.0.2.0/24");
	vici_add_item(b, "198.18.0.0/15");
	vici_end_list(b);
	vici_end_section(b);
	vici_end_section(b);
	vici_end_section(b);
}

static void serve_list_sas(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	uint8_t hdr[4], seg[1024];
	struct vici_packet p;

	while (fd >= 0 && read(fd, hdr, 4) == 4) {
		size_t len = (size_t)hdr[2] << 8 | hdr[3];
		if (len > sizeof(seg) || read(fd, seg, len) != (ssize_t)len ||
		    vici_packet_decode(seg, len, &p, NULL) < 0)
			break;
		if (p.type == VICI_EVENT_REGISTER || p.type == VICI_EVENT_UNREGISTER) {
			put_packet(fd, VICI_EVENT_CONFIRM, NULL, NULL);
		} else {
			struct vici_builder b;
			vici_builder_init(&b);
			list_sa_event(&b);
			put_packet(fd, VICI_EVENT, "list-sa", &b);
			vici_builder_clear(&b);
			put_packet(fd, VICI_CMD_RESPONSE, NULL, NULL);
		}
	}
	_exit(0);
}

static void test_sas_from_charon(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct ipsec_sas sas;
	const struct ipsec_ike_sa *ike;
	const struct ipsec_child_sa *c;
	struct json_object *j, *jike, *jchild, *v;
	pid_t pid;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/oqlink-test-sas.%d", (int)getpid());
	unlink(sun.sun_path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	if (pid == 0)
		serve_list_sas(lfd);
	close(lfd);

	assert_int_equal(ipsec_sas_get(sun.sun_path, NULL, &sas, NULL), 0);
	assert_int_equal(sas.n, 1);
	ike = ipsec_sas_ours(&sas);
	assert_non_null(ike);
	assert_int_equal(ike->uniqueid, 7);
	assert_string_equal(ike->state, "ESTABLISHED");
	assert_int_equal(ike->remote_port, 4500);
	assert_true(ike->initiator && ike->nat_remote && ike->nat_any && !ike->nat_local);
	assert_string_equal(ike->dh_group, "MODP_2048");
	assert_int_equal(ike->rekey_time, 14248);
	c = ipsec_ike_child(ike);
	assert_non_null(c);
	assert_string_equal(c->name, "oqlink");
	assert_string_equal(c->spi_in, "bd341423");
	assert_true(c->encap);
	assert_int_equal(c->bytes_in, UINT64_MAX);
	assert_int_equal(c->use_in, 0);		/* malformed: left at 0 */
	assert_int_equal(c->n_remote_ts, 2);
	assert_string_equal(c->remote_ts[1], "198.18.0.0/15");

	j = ipsec_sas_to_json(&sas);
	jike = json_object_array_get_idx(json_object_object_get(j, "ike-sas"), 0);
	assert_true(json_object_object_get_ex(jike, "remote-id", &v));
	assert_string_equal(json_object_get_string(v), "CN=gw");
	assert_true(json_object_object_get_ex(jike, "nat-remote", &v));
	assert_true(json_object_get_boolean(v));
	assert_false(json_object_object_get_ex(jike, "unknown-key", &v));
	jchild = json_object_array_get_idx(json_object_object_get(jike, "child-sas"), 0);
	assert_true(json_object_object_get_ex(jchild, "bytes-in", &v));
	assert_true(json_object_get_uint64(v) == UINT64_MAX);
	assert_true(json_object_object_get_ex(jchild, "bytes-out", &v));
	assert_int_equal(json_object_get_int64(v), 168);
	json_object_put(j);
	ipsec_sas_free(&sas);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sun.sun_path);
}

/* A charon that confirms the registrations, sends what the keeper
 * follows, then goes away. */
static void serve_events(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	uint8_t hdr[4], seg[1024];
	struct vici_packet p;
	struct vici_builder b;
	int registered = 0;

	while (fd >= 0 && registered < 4 && read(fd, hdr, 4) == 4) {
		size_t len = (size_t)hdr[2] << 8 | hdr[3];
		if (len > sizeof(seg) || read(fd, seg, len) != (ssize_t)len ||
		    vici_packet_decode(seg, len, &p, NULL) < 0 || p.type != VICI_EVENT_REGISTER)
			_exit(8);
		put_packet(fd, VICI_EVENT_CONFIRM, NULL, NULL);
		registered++;
	}
	vici_builder_init(&b);
	vici_add_kv(&b, "up", "yes");
	list_sa_event(&b);
	put_packet(fd, VICI_EVENT, "child-updown", &b);
	vici_builder_clear(&b);
	vici_builder_init(&b);
	list_sa_event(&b);
	put_packet(fd, VICI_EVENT, "ike-updown", &b);
	vici_builder_clear(&b);
	static const char *const log_events[][3] = {
		{ "1", "oqlink", "giving up after 5 retransmits" },
		{ "2", "oqlink", "too detailed: filtered" },
		{ "0", "other", "another connection" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(log_events); i++) {
		vici_builder_init(&b);
		vici_add_kv(&b, "group", "IKE");
		vici_add_kv(&b, "level", log_events[i][0]);
		vici_add_kv(&b, "ikesa-name", log_events[i][1]);
		vici_add_kv(&b, "msg", log_events[i][2]);
		put_packet(fd, VICI_EVENT, "log", &b);
		vici_builder_clear(&b);
	}
	vici_builder_init(&b);
	list_sa_event(&b);
	put_packet(fd, VICI_EVENT, "ike-rekey", &b);
	vici_builder_clear(&b);
	_exit(0);
}

struct seen {
	char text[8][96];
	size_t n;
};

static void on_ev(void *ctx, const struct ipsec_event *ev)
{
	struct seen *s = ctx;

	if (s->n < ARRAY_SIZE(s->text))
		snprintf(s->text[s->n++], sizeof(s->text[0]), "%s %s %s %s", ipsec_event_name(ev->kind),
			 ev->ike ? ev->ike : "-", ev->child ? ev->child : "-", ev->msg ? ev->msg : "-");
}

static void test_events_from_charon(void **state)
{
	static const char *const want[] = {
		"child-up oqlink oqlink -", "ike-down oqlink oqlink -",
		"log oqlink - giving up after 5 retransmits", "log other - another connection",
		"ike-rekey oqlink oqlink -",
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), r;
	struct ipsec_events *e;
	struct seen seen = { 0 };
	int64_t deadline;
	pid_t pid;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/oqlink-test-ev.%d", (int)getpid());
	unlink(sun.sun_path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	if (pid == 0)
		serve_events(lfd);
	close(lfd);

	assert_int_equal(ipsec_events_open(sun.sun_path, 1, on_ev, &seen, &e, NULL), 0);
	deadline = now_ms() + 5000;
	do {
		struct pollfd pfd = { ipsec_events_fd(e), POLLIN, 0 };
		poll(&pfd, 1, 200);
		r = ipsec_events_pump(e, NULL);
	} while (r >= 0 && now_ms() < deadline);
	assert_int_equal(r, -EPIPE);	/* charon went away: the caller opens again */
	ipsec_events_close(e);
	assert_int_equal(seen.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(seen.text[i], want[i]);
	waitpid(pid, NULL, 0);
	unlink(sun.sun_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_from_site),
		cmocka_unit_test(test_conn_diff),
		cmocka_unit_test(test_load_record),
		cmocka_unit_test(test_export),
		cmocka_unit_test(test_export_quotes_every_value),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_not_running),
		cmocka_unit_test(test_sas_from_charon),
		cmocka_unit_test(test_events_from_charon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

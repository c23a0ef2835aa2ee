/* Probe "cert": every certificate the site uses, read from its file: the
 * IKE certificate with its key (public-key authentication) and each TLS
 * endpoint's client PKCS#12 with its password file. For each: it opens, the
 * key matches, the chain reaches the CA, the key usage fits, it is valid
 * now, and how many days are left (thresholds in probes/x509.c). "Now" is
 * the NTP time when the clock probe measured it, so a wrong local clock
 * neither hides nor invents an expiry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core/clock.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"
#include "probes/x509.h"

/* The worst finding so far, with what to say about it. */
struct worst {
	enum probe_verdict verdict;
	char *what;		/* which file */
	const struct bitext *remedy;
	char *why_ja, *why_en;
};

static void note(struct worst *w, enum probe_verdict v, const char *what, const struct bitext *remedy,
		 const char *ja, const char *en)
{
	if (v <= w->verdict)
		return;
	w->verdict = v;
	free(w->what);
	free(w->why_ja);
	free(w->why_en);
	w->what = xstrdup(what);
	w->remedy = remedy;
	w->why_ja = xstrdup(ja);
	w->why_en = xstrdup(en);
}

static const struct bitext R_OPEN = BT(
	"ファイルのパス、パスワードファイルの内容と権限 (0600) を確認してください。",
	"Check the file's path, and the password file's content and mode (0600).");
static const struct bitext R_KEY = BT(
	"証明書と秘密鍵の組が違います。同じ申請で発行された組を設定してください。",
	"The certificate and the private key do not belong together: use the pair issued together.");
static const struct bitext R_CHAIN = BT(
	"発行元 CA の証明書 (中間 CA を含む) が設定の ca と合っているか確認してください。",
	"Check that the issuing CA (with intermediates) matches the configured ca.");
static const struct bitext R_USAGE = BT(
	"この用途に使えない証明書です。正しい種類の証明書を申請してください。",
	"This certificate is not made for this use: apply for the right kind.");
static const struct bitext R_NOTYET = BT(
	"証明書がまだ有効になっていません。時刻 (clock プローブ) を確認してください。",
	"The certificate is not valid yet: check the clock (clock probe).");

static const struct bitext R_OWN_CA = BT(
	"証明書はファイルに同梱の CA までしか検証できず、その CA は設定にありません。発行元 CA が正しいか確認してください (設定に端末証明書の CA を書くキーはまだありません)。",
	"The certificate verifies only up to the CA inside the file, which the config does not name: check that it is the right issuer (the config has no key for the terminal certificate's CA yet).");

/* Verify cert (with untrusted extra) against store at time at; 0 or the
 * X509_V_ERR code. */
static int verify_at(X509_STORE *store, X509 *cert, STACK_OF(X509) *extra, int64_t at)
{
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	int err = 0;

	ERR_clear_error();
	X509_STORE_CTX_init(sc, store, cert, extra);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(sc), (time_t)at);
	if (X509_verify_cert(sc) != 1)
		err = X509_STORE_CTX_get_error(sc);
	X509_STORE_CTX_free(sc);
	ERR_clear_error();
	return err;
}

static bool time_error(int err)
{
	return err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID;
}

/* Check one certificate with its key and the trust store (own: the CAs the
 * file itself carries, or NULL); evidence, values. */
static void check_one(struct probe_result *r, struct worst *w, const char *label, const char *file,
		      X509 *cert, EVP_PKEY *key, STACK_OF(X509) *extra, X509_STORE *store,
		      X509_STORE *own, int64_t at, bool client_auth)
{
	char *subj = x509_name_line(X509_get_subject_name(cert));
	double left = x509_days_left(cert, at), until = x509_days_until_valid(cert, at);
	const struct bitext *rem = NULL;
	bool key_ok = key == NULL || X509_check_private_key(cert, key) == 1;
	int chain_err = verify_at(store, cert, extra, at), v;
	bool own_only = false;
	uint32_t ku = X509_get_key_usage(cert), xku = X509_get_extended_key_usage(cert);
	bool usage_ok = (ku & KU_DIGITAL_SIGNATURE) != 0 &&
			(!client_auth || (xku & XKU_SSL_CLIENT) != 0);
	char *key_name = xasprintf("days_left_%s", label);
	struct tm tm;
	time_t na;
	char date[CLOCK_BUF] = "?";

	if (chain_err && !time_error(chain_err) && own != NULL &&
	    !time_error(verify_at(own, cert, extra, at)) && verify_at(own, cert, extra, at) == 0)
		own_only = true;
	{
		ASN1_TIME *t = ASN1_TIME_dup(X509_get0_notAfter(cert));
		struct tm t2;

		if (ASN1_TIME_to_tm(t, &t2)) {
			tm = t2;
			na = timegm(&tm);
			clock_str((int64_t)na * 1000, CLOCK_DATE, date);
		}
		ASN1_TIME_free(t);
	}
	probe_result_evidence(r, "%s (%s): %s; until %s, %.0f days left; key %s; chain %s; usage %s",
			      label, file, subj, date, left, key == NULL ? "not checked" : key_ok ? "matches" : "DOES NOT MATCH",
			      own_only ? "only to the CA inside the file"
			      : chain_err ? X509_verify_cert_error_string(chain_err) : "ok",
			      usage_ok ? "ok" : client_auth ? "no digitalSignature/clientAuth" : "no digitalSignature");
	probe_result_value(r, key_name, BT("残り日数", "days left"), left, "days");
	free(key_name);

	if (until > 0)
		note(w, PROBE_FAIL, file, &R_NOTYET, "まだ有効になっていません", "not valid yet");
	v = cert_days_verdict(left, &rem);
	if (v != PROBE_PASS)
		note(w, v, file, rem, left < 0 ? "有効期限切れ" : "有効期限が近い",
		     left < 0 ? "expired" : "expires soon");
	if (!key_ok)
		note(w, PROBE_FAIL, file, &R_KEY, "鍵が証明書と合いません", "the key does not match");
	if (own_only)
		note(w, PROBE_WARN, file, &R_OWN_CA, "設定にない CA の発行です",
		     "issued by a CA the config does not name");
	else if (chain_err && !time_error(chain_err))
		note(w, PROBE_FAIL, file, &R_CHAIN, "CA まで検証できません", "the chain does not verify");
	if (!usage_ok)
		note(w, PROBE_WARN, file, &R_USAGE, "鍵用途が合いません", "unsuited key usage");
	free(subj);
}

/* The time to judge validity by: ours corrected by the clock probe. */
static int64_t true_now(struct probe_ctx *ctx, struct probe_result *r)
{
	const struct probe_result *c = probe_ctx_result(ctx, "clock");
	int64_t now = (int64_t)time(NULL);

	for (size_t i = 0; c != NULL && i < c->n_values; i++)
		if (strcmp(c->values[i].key, "offset") == 0 && c->values[i].text == NULL) {
			if (c->values[i].value > 1 || c->values[i].value < -1)
				probe_result_evidence(r, "validity judged at NTP time (local clock %+.0f s off)",
						      -c->values[i].value);
			return now + (int64_t)c->values[i].value;
		}
	return now;
}

static void check_ike(const struct site *s, struct probe_result *r, struct worst *w, int64_t at)
{
	X509_STORE *st = X509_STORE_new();
	X509 *c;
	EVP_PKEY *k = NULL;
	char *cause = NULL;

	c = x509_load_cert(s->certificate, &cause);
	if (c == NULL || (s->private_key && (k = x509_load_key(s->private_key, &cause)) == NULL) ||
	    (s->ca && x509_store_add_file(st, s->ca, &cause) < 0)) {
		probe_result_evidence(r, "ike: %s", cause);
		note(w, PROBE_FAIL, s->certificate, &R_OPEN, "開けません", "cannot be opened");
	} else {
		check_one(r, w, "ike", s->certificate, c, k, NULL, st, NULL, at, false);
	}
	free(cause);
	X509_free(c);
	EVP_PKEY_free(k);
	X509_STORE_free(st);
}

static void check_p12(const struct site *s, const struct site_tls *t, struct probe_result *r,
		      struct worst *w, int64_t at)
{
	X509_STORE *st = X509_STORE_new(), *own = X509_STORE_new();
	STACK_OF(X509) *ca = NULL;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	char *cause = NULL, *pw, *label = xasprintf("tls_%s", t->name);

	pw = x509_read_password(t->password_file, &cause);
	if (pw == NULL || x509_load_p12(t->client_p12, pw, &k, &c, &ca, &cause) < 0) {
		probe_result_evidence(r, "%s: %s", label, cause);
		note(w, PROBE_FAIL, t->client_p12, &R_OPEN, "開けません", "cannot be opened");
		goto out;
	}
	/* Trust only the CAs the config names; the certificates the PKCS#12
	 * carries are untrusted intermediates (a file can bring any root).
	 * client_ca names the issuer; without it the IKE ca and the
	 * endpoint's ca are the candidates. */
	if (t->client_ca) {
		x509_store_add_file(st, t->client_ca, NULL);
	} else {
		if (t->ca)
			x509_store_add_file(st, t->ca, NULL);
		if (s->ca)
			x509_store_add_file(st, s->ca, NULL);
	}
	for (int i = 0; ca != NULL && i < sk_X509_num(ca); i++)
		X509_STORE_add_cert(own, sk_X509_value(ca, i));
	ERR_clear_error();
	check_one(r, w, label, t->client_p12, c, k, ca, st, own, at, true);
out:
	if (pw)
		OPENSSL_cleanse(pw, strlen(pw));
	free(pw);
	free(cause);
	free(label);
	X509_free(c);
	EVP_PKEY_free(k);
	sk_X509_pop_free(ca, X509_free);
	X509_STORE_free(st);
	X509_STORE_free(own);
}

PROBE_FN(cert)
{
	const struct site *s = probe_ctx_site(ctx);
	struct worst w = { PROBE_PASS, NULL, NULL, NULL, NULL };
	int64_t at = true_now(ctx, r);
	size_t n = 0;

	if (s->line == SITE_LINE_IPSEC && s->auth == SITE_AUTH_PUBKEY && s->certificate) {
		check_ike(s, r, &w, at);
		n++;
	}
	for (size_t i = 0; i < s->n_tls; i++) {
		if (s->tls[i].client_p12 == NULL || s->tls[i].password_file == NULL)
			continue;
		check_p12(s, &s->tls[i], r, &w, at);
		n++;
	}
	probe_result_value(r, "files", BT("確認した証明書", "certificates checked"), (double)n, "");
	if (n == 0)
		probe_result_set(r, PROBE_SKIP, BT("確認する証明書がありません", "no certificate to check"),
				 BT("[probe.tls.NAME] client_p12 か [ipsec] certificate を設定してください。",
				    "Set client_p12 in [probe.tls.NAME] or certificate in [ipsec]."));
	else if (w.verdict == PROBE_PASS)
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "%zu 個の証明書に問題はありません",
		       "%zu certificates are fine", n);
	else {
		char *ja = xasprintf("%s: %s", w.what, w.why_ja);
		char *en = xasprintf("%s: %s", w.what, w.why_en);

		probe_result_set(r, w.verdict, BT(ja, en), *w.remedy);
		free(ja);
		free(en);
	}
	free(w.what);
	free(w.why_ja);
	free(w.why_en);
}

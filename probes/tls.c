/* Probe "tls": a mutual-TLS handshake with each configured endpoint from the
 * terminal side, with the terminal's client certificate from its PKCS#12:
 * protocol, cipher, the server chain verified against the configured CA and
 * the host name, and whether the server accepted our certificate (in TLS 1.3
 * a refusal arrives after the handshake, so a request is sent and its answer
 * read). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/site.h"
#include "core/util.h"
#include "probes/list.h"
#include "probes/net.h"
#include "probes/x509.h"

/* What one handshake found. */
struct tls_out {
	enum probe_verdict verdict;
	const struct bitext *remedy;
	char reason[160];	/* English, for the summary (facts, not prose) */
};

static const struct bitext R_CONNECT = BT(
	"宛先への経路とポートを確認してください (tcp プローブ)。",
	"Check the path and port to the endpoint (tcp probe).");
static const struct bitext R_CLIENT = BT(
	"端末の証明書 (PKCS#12) とパスワードファイルを確認してください (cert プローブ)。",
	"Check the terminal's PKCS#12 and its password file (cert probe).");
static const struct bitext R_VERIFY = BT(
	"サーバ証明書を設定の CA で検証できません。ca の設定、時刻、宛先の名前を確認してください。",
	"The server's certificate does not verify against the configured CA: check ca, the clock and the host name.");
static const struct bitext R_REJECTED = BT(
	"サーバが端末の証明書を受け付けませんでした。証明書の有効期限と発行元を確認し、必要なら再発行を申請してください。",
	"The server did not accept the terminal's certificate: check its expiry and issuer, and apply for a new one if needed.");
static const struct bitext R_HANDSHAKE = BT(
	"TLS ハンドシェイクに失敗しました。根拠の OpenSSL のエラーと、途中の機器 (プロキシ・ファイアウォール) を確認してください。",
	"The TLS handshake failed: see the OpenSSL error in the evidence, and check devices on the way (proxy, firewall).");
static const struct bitext R_OLD = BT(
	"TLS 1.2 未満です。サーバ側の設定を確認してください。",
	"Older than TLS 1.2: check the server's configuration.");

static void set_out(struct tls_out *o, enum probe_verdict v, const struct bitext *rem, const char *reason)
{
	if (v <= o->verdict)
		return;
	o->verdict = v;
	o->remedy = rem;
	snprintf(o->reason, sizeof(o->reason), "%s", reason);
}

/* Watch for the server's CertificateRequest. */
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
		   SSL *ssl, void *arg)
{
	const unsigned char *b = buf;

	if (!write_p && content_type == SSL3_RT_HANDSHAKE && len > 0 && b[0] == 13)
		*(bool *)arg = true;
}

static const char *last_ssl_error(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, size, "connection closed");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

/* A client context: the CA to verify the server, the terminal's
 * certificate and key from its PKCS#12. NULL with the outcome set. */
static SSL_CTX *client_ctx(const struct site_tls *t, struct probe_result *r, struct tls_out *o)
{
	SSL_CTX *sc = SSL_CTX_new(TLS_client_method());
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	char *cause = NULL, *pw = NULL, err[256];

	SSL_CTX_set_min_proto_version(sc, TLS1_VERSION);
	if (t->ca && SSL_CTX_load_verify_locations(sc, t->ca, NULL) != 1) {
		probe_result_evidence(r, "%s: CA %s: %s", t->name, t->ca, last_ssl_error(err, sizeof(err)));
		set_out(o, PROBE_ERROR, &R_VERIFY, "CA file unusable");
		goto fail;
	}
	if (t->client_p12 && t->password_file) {
		pw = x509_read_password(t->password_file, &cause);
		if (pw == NULL || x509_load_p12(t->client_p12, pw, &key, &cert, &ca, &cause) < 0) {
			probe_result_evidence(r, "%s: %s", t->name, cause);
			set_out(o, PROBE_FAIL, &R_CLIENT, "client certificate unusable");
			goto fail;
		}
		SSL_CTX_use_certificate(sc, cert);
		SSL_CTX_use_PrivateKey(sc, key);
		for (int i = 0; ca != NULL && i < sk_X509_num(ca); i++)
			SSL_CTX_add1_chain_cert(sc, sk_X509_value(ca, i));
	}
	goto out;
fail:
	SSL_CTX_free(sc);
	sc = NULL;
out:
	if (pw)
		OPENSSL_cleanse(pw, strlen(pw));
	free(pw);
	free(cause);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	return sc;
}

/* After a handshake: what was negotiated and how the server's chain
 * verified. */
static void handshake_facts(SSL *ssl, const struct site_tls *t, const struct oq_prefix *dst,
			    double t_hs, bool asked, struct probe_result *r, struct tls_out *o)
{
	X509 *peer = SSL_get1_peer_certificate(ssl);
	char *subj = peer ? x509_name_line(X509_get_subject_name(peer)) : xstrdup("-");
	long vr = SSL_get_verify_result(ssl);
	char b[64];

	probe_result_evidence(r, "%s %s:%u (%s): %s %s, %.1f ms; server %s; verify %s; cert %s",
			      t->name, t->host, t->port, net_str(dst, b), SSL_get_version(ssl),
			      SSL_get_cipher_name(ssl), t_hs, subj, X509_verify_cert_error_string(vr),
			      asked ? "requested" : "not requested");
	free(subj);
	X509_free(peer);
	probe_result_text(r, "protocol", BT("プロトコル", "protocol"), SSL_get_version(ssl));
	probe_result_text(r, "cipher", BT("暗号スイート", "cipher"), SSL_get_cipher_name(ssl));
	probe_result_value(r, "handshake", BT("ハンドシェイク時間", "handshake time"), t_hs, "ms");
	if (vr != X509_V_OK)
		set_out(o, PROBE_FAIL, &R_VERIFY, X509_verify_cert_error_string(vr));
	if (SSL_version(ssl) < TLS1_2_VERSION)
		set_out(o, PROBE_WARN, &R_OLD, "old protocol");
}

/* Whether the server accepted our certificate shows in its answer to a
 * request (TLS 1.3 sends a refusal after the handshake). */
static void check_accepted(SSL *ssl, const struct site_tls *t, bool asked, struct probe_result *r,
			   struct tls_out *o)
{
	char *req = xasprintf("GET / HTTP/1.0\r\nHost: %s\r\n\r\n", t->host);
	char buf[512], err[256];
	int n, code = 0;

	SSL_write(ssl, req, (int)strlen(req));
	free(req);
	n = SSL_read(ssl, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		http_status_parse(buf, &code);
		probe_result_evidence(r, "%s: HTTP answer %d: client certificate accepted", t->name, code);
		return;
	}
	probe_result_evidence(r, "%s: no answer after the handshake: %s", t->name,
			      last_ssl_error(err, sizeof(err)));
	set_out(o, PROBE_FAIL, &R_REJECTED,
		asked ? "client certificate not accepted" : "no answer after the handshake");
}

/* One endpoint, with the client context its setup made (NULL when that
 * failed: o then holds why). */
static void check_endpoint(struct probe_ctx *ctx, const struct site *s, const struct site_tls *t,
			   SSL_CTX *sc, struct probe_result *r, struct tls_out *o)
{
	struct oq_prefix dst;
	SSL *ssl = NULL;
	char *cause = NULL, err[256], b[64];
	bool asked = false;
	double ms;
	int fd = -1, each = probe_ctx_remaining_ms(ctx) - 300;
	int64_t t0;

	if (each > 3000)
		each = 3000;
	if (net_resolve(s, t->host, each / 3, &dst, &cause) < 0 ||
	    net_connect(s, &dst, t->port, each / 3, &fd, &ms, &cause) < 0) {
		probe_result_evidence(r, "%s: %s", t->name, cause);
		set_out(o, PROBE_FAIL, &R_CONNECT, "cannot connect");
		goto out;
	}
	if (sc == NULL)
		goto out;
	ssl = SSL_new(sc);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, t->host);
	SSL_set1_host(ssl, t->host);
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);	/* judged from the result below */
	SSL_set_msg_callback(ssl, msg_cb);
	SSL_set_msg_callback_arg(ssl, &asked);
	{
		struct timeval tv = { each / 3000, (each / 3 % 1000) * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	t0 = net_now_us();
	if (SSL_connect(ssl) != 1) {
		probe_result_evidence(r, "%s %s:%u (%s): handshake failed: %s", t->name, t->host, t->port,
				      net_str(&dst, b), last_ssl_error(err, sizeof(err)));
		set_out(o, PROBE_FAIL, strstr(err, "alert") ? &R_REJECTED : &R_HANDSHAKE,
			strstr(err, "alert") ? "handshake refused by the server" : "handshake failed");
		goto out;
	}
	handshake_facts(ssl, t, &dst, net_elapsed_ms(t0), asked, r, o);
	check_accepted(ssl, t, asked, r, o);
out:
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	free(cause);
}

/* The client contexts and what making them found, one per endpoint: made
 * by the setup (files are read as root), used by the sandboxed run. */
static SSL_CTX **tls_ctx;
static struct tls_out *tls_setup_out;

PROBE_SETUP(tls)
{
	const struct site *s = probe_ctx_site(ctx);

	tls_ctx = xcalloc(s->n_tls ? s->n_tls : 1, sizeof(*tls_ctx));
	tls_setup_out = xcalloc(s->n_tls ? s->n_tls : 1, sizeof(*tls_setup_out));
	for (size_t i = 0; i < s->n_tls; i++) {
		tls_setup_out[i] = (struct tls_out){ PROBE_PASS, NULL, "" };
		tls_ctx[i] = client_ctx(&s->tls[i], r, &tls_setup_out[i]);
	}
	/* Seed the random generator now, while it may still open what it needs. */
	RAND_status();
	return 0;
}

PROBE_FN(tls)
{
	const struct site *s = probe_ctx_site(ctx);
	struct tls_out worst = { PROBE_PASS, NULL, "" };
	const char *worst_name = NULL;

	if (s->n_tls == 0) {
		probe_result_set(r, PROBE_SKIP, BT("TLS の宛先が設定されていません", "no TLS endpoint configured"),
				 BT("[probe.tls.NAME] を設定してください。", "Add a [probe.tls.NAME] section."));
		return;
	}
	if (tls_ctx == NULL)
		probe_tls_setup(ctx, r);	/* run without the runner's setup */
	for (size_t i = 0; i < s->n_tls; i++) {
		struct tls_out o = tls_setup_out[i];

		check_endpoint(ctx, s, &s->tls[i], tls_ctx[i], r, &o);
		SSL_CTX_free(tls_ctx[i]);
		if (o.verdict > worst.verdict) {
			worst = o;
			worst_name = s->tls[i].name;
		}
	}
	if (worst.verdict == PROBE_PASS)
		pr_set(r, PROBE_PASS, BT(NULL, NULL), "%zu 件の相互 TLS がすべて成立",
		       "mutual TLS works with all %zu endpoints", s->n_tls);
	else
		pr_set(r, worst.verdict, *worst.remedy, "%s: TLS の確認に失敗 (%s)", "%s: TLS check failed (%s)",
		       worst_name, worst.reason);
}

/* Certificate helpers of the cert and tls probes (OpenSSL). */
#include "probes/x509.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

#include "core/util.h"
#include "probes/probe.h"

const struct cert_threshold cert_thresholds[] = {
	{ -1, PROBE_FAIL,
	  BT("証明書の有効期限が切れています。直ちに新しい証明書を取得して入れ替えてください。",
	     "The certificate has expired: obtain a new one and replace it now.") },
	{ 7, PROBE_FAIL,
	  BT("有効期限まで 7 日を切りました。直ちに更新した証明書に入れ替えてください。",
	     "Less than 7 days to expiry: replace it with the renewed certificate now.") },
	{ 30, PROBE_WARN,
	  BT("有効期限まで 30 日を切りました。更新した証明書を至急入れ替えてください。",
	     "Less than 30 days to expiry: install the renewed certificate urgently.") },
	{ 60, PROBE_WARN,
	  BT("有効期限まで 60 日を切りました。更新の手続きを済ませ、入れ替えの日程を決めてください。",
	     "Less than 60 days to expiry: finish the renewal and schedule the replacement.") },
	{ 90, PROBE_WARN,
	  BT("有効期限まで 90 日を切り、更新できる期間に入りました。更新を申請してください。",
	     "Less than 90 days to expiry, renewal is open: apply for the renewal.") },
};
const unsigned cert_n_thresholds = ARRAY_SIZE(cert_thresholds);

enum probe_verdict cert_days_verdict(double days_left, const struct bitext **remedy)
{
	double whole = floor(days_left);

	for (unsigned i = 0; i < cert_n_thresholds; i++)
		if (whole <= cert_thresholds[i].at_most_days) {
			if (remedy)
				*remedy = &cert_thresholds[i].remedy;
			return cert_thresholds[i].verdict;
		}
	if (remedy)
		*remedy = NULL;
	return PROBE_PASS;
}

/* The last OpenSSL error as text. */
static const char *ssl_err(void)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

char *x509_read_password(const char *path, char **cause)
{
	char *data = NULL;
	size_t len;

	if (file_read_secret(path, 4096, &data, &len, cause) < 0)
		return NULL;
	data[strcspn(data, "\r\n")] = '\0';
	return data;
}

int x509_load_p12(const char *path, const char *password, EVP_PKEY **key, X509 **cert,
		  STACK_OF(X509) **ca, char **cause)
{
	BIO *b = BIO_new_file(path, "rb");
	PKCS12 *p12;
	int ret = 0;

	*key = NULL;
	*cert = NULL;
	*ca = NULL;
	if (b == NULL)
		return cause_set(cause, ENOENT, "%s: %s", path, i18n_strerror(errno));
	p12 = d2i_PKCS12_bio(b, NULL);
	BIO_free(b);
	if (p12 == NULL)
		return cause_set(cause, EINVAL, _("%s は PKCS#12 ではありません", "%s is not a PKCS#12 file"),
				 path);
	if (!PKCS12_verify_mac(p12, password, -1)) {
		ret = cause_set(cause, EACCES, _("%s: パスワードが違います", "%s: wrong password"), path);
		goto out;
	}
	if (!PKCS12_parse(p12, password, key, cert, ca)) {
		/* RC2/3DES files need the legacy provider in OpenSSL 3. */
		OSSL_PROVIDER_load(NULL, "legacy");
		OSSL_PROVIDER_load(NULL, "default");
		ERR_clear_error();
		if (!PKCS12_parse(p12, password, key, cert, ca))
			ret = cause_set(cause, EINVAL, "%s: %s", path, ssl_err());
	}
	if (ret == 0 && (*cert == NULL || *key == NULL))
		ret = cause_set(cause, EINVAL, _("%s に証明書か鍵がありません", "%s holds no certificate or no key"),
				path);
out:
	PKCS12_free(p12);
	return ret;
}

X509 *x509_load_cert(const char *path, char **cause)
{
	BIO *b = BIO_new_file(path, "rb");
	X509 *c;

	if (b == NULL) {
		cause_set(cause, ENOENT, "%s: %s", path, i18n_strerror(errno));
		return NULL;
	}
	c = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (c == NULL) {
		ERR_clear_error();
		BIO_reset(b);
		c = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	if (c == NULL)
		cause_set(cause, EINVAL, _("%s は証明書ではありません", "%s is not a certificate"), path);
	return c;
}

EVP_PKEY *x509_load_key(const char *path, char **cause)
{
	BIO *b = BIO_new_file(path, "rb");
	EVP_PKEY *k;

	if (b == NULL) {
		cause_set(cause, ENOENT, "%s: %s", path, i18n_strerror(errno));
		return NULL;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	if (k == NULL) {
		ERR_clear_error();
		BIO_reset(b);
		k = d2i_PrivateKey_bio(b, NULL);
	}
	BIO_free(b);
	if (k == NULL)
		cause_set(cause, EINVAL, _("%s は秘密鍵ではありません", "%s is not a private key"), path);
	return k;
}

int x509_store_add_file(X509_STORE *st, const char *path, char **cause)
{
	X509 *c;

	if (X509_STORE_load_file(st, path) == 1)
		return 0;
	ERR_clear_error();
	c = x509_load_cert(path, cause);	/* DER */
	if (c == NULL)
		return -EINVAL;
	X509_STORE_add_cert(st, c);
	X509_free(c);
	return 0;
}

char *x509_name_line(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s;
	long len;

	X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(b, &p);
	s = xstrndup(p, (size_t)len);
	BIO_free(b);
	return s;
}

/* Days from at to t (positive when t is later). */
static double days_to(const ASN1_TIME *t, int64_t at)
{
	ASN1_TIME *now = ASN1_TIME_set(NULL, (time_t)at);
	int day = 0, sec = 0;

	ASN1_TIME_diff(&day, &sec, now, t);
	ASN1_TIME_free(now);
	return day + sec / 86400.0;
}

double x509_days_left(const X509 *c, int64_t at) { return days_to(X509_get0_notAfter(c), at); }
double x509_days_until_valid(const X509 *c, int64_t at)
{
	return days_to(X509_get0_notBefore(c), at);
}

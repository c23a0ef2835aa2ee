/* Inspecting a certificate file before it is imported (the certificate
 * screen): PKCS#12 or PEM, its facts as plain data, whether the key belongs
 * to the certificate. The copy itself is provision's (prov_cert_install). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>

#include "core/util.h"
#include "probes/probe.h"
#include "probes/x509.h"

#define CERT_FILE_MAX (1024 * 1024)

void probe_cert_info_clear(struct probe_cert_info *info)
{
	free(info->subject);
	free(info->issuer);
	free(info->serial);
	free(info->serial_dec);
	free(info->subject_cn);
	free(info->issuer_cn);
	memset(info, 0, sizeof(*info));
}

/* The password callback of PEM reading: never a prompt on the terminal. */
struct pem_pw {
	const char *s;
};

static int pem_password(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u ? ((const struct pem_pw *)u)->s : NULL;
	size_t len;

	(void)rwflag;
	if (pw == NULL || *pw == '\0')
		return 0;
	len = strlen(pw);
	if (len > (size_t)size)
		return 0;
	memcpy(buf, pw, len);
	return (int)len;
}

static int64_t asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* The serial number in hex (upper case) or decimal. */
static char *serial_text(const X509 *c, bool decimal)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
	char *t = bn ? (decimal ? BN_bn2dec(bn) : BN_bn2hex(bn)) : NULL;
	char *s = xstrdup(t ? t : "");

	OPENSSL_free(t);
	BN_free(bn);
	return s;
}

/* The first commonName of a name as UTF-8, "" when it has none. */
static char *name_cn(const X509_NAME *n)
{
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	X509_NAME_ENTRY *e = i >= 0 ? X509_NAME_get_entry(n, i) : NULL;
	unsigned char *utf8 = NULL;
	int len = e ? ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e)) : -1;
	char *s = len >= 0 ? xstrndup((const char *)utf8, (size_t)len) : xstrdup("");

	OPENSSL_free(utf8);
	return s;
}

/* The facts of c and whether key (may be NULL) belongs to it. */
static void fill(struct probe_cert_info *out, X509 *c, EVP_PKEY *key)
{
	out->subject = x509_name_line(X509_get_subject_name(c));
	out->issuer = x509_name_line(X509_get_issuer_name(c));
	out->serial = serial_text(c, false);
	out->serial_dec = serial_text(c, true);
	out->subject_cn = name_cn(X509_get_subject_name(c));
	out->issuer_cn = name_cn(X509_get_issuer_name(c));
	out->not_before = asn1_epoch(X509_get0_notBefore(c));
	out->not_after = asn1_epoch(X509_get0_notAfter(c));
	double left = x509_days_left(c, (int64_t)time(NULL));
	const struct bitext *rem = NULL;

	out->days_left = (int)floor(left);
	out->verdict = cert_days_verdict(left, &rem);
	if (rem)
		out->remedy = *rem;
	out->key_present = key != NULL;
	out->key_matches = key != NULL && X509_check_private_key(c, key) == 1;
	ERR_clear_error();
}

static int inspect_p12(const char *path, const char *password, struct probe_cert_info *out,
		       char **cause)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	int r;

	if (password == NULL || *password == '\0')
		return cause_set(cause, EACCES, _("%s は PKCS#12 です。パスワードを入力してください",
						  "%s is a PKCS#12 file: type its password"), path);
	r = x509_load_p12(path, password, &key, &cert, &ca, cause);
	if (r == 0) {
		out->is_p12 = true;
		fill(out, cert, key);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	return r;
}

static int inspect_pem(const char *path, const char *data, size_t len, const char *password,
		       struct probe_cert_info *out, char **cause)
{
	BIO *b = BIO_new_mem_buf(data, (int)len);
	X509 *c = PEM_read_bio_X509(b, NULL, pem_password, NULL);
	EVP_PKEY *key = NULL;
	struct pem_pw pw = { password };
	int r = 0;

	if (c == NULL) {
		ERR_clear_error();
		BIO_free(b);
		b = BIO_new_mem_buf(data, (int)len);
		c = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	if (c == NULL) {
		ERR_clear_error();
		return cause_set(cause, EINVAL, _("%s に証明書がありません (PKCS#12 でも PEM でもありません)",
						  "%s holds no certificate (neither PKCS#12 nor PEM)"), path);
	}
	if (strstr(data, "PRIVATE KEY-----") != NULL) {
		b = BIO_new_mem_buf(data, (int)len);
		key = PEM_read_bio_PrivateKey(b, NULL, pem_password, &pw);
		BIO_free(b);
		ERR_clear_error();
		if (key == NULL) {
			if (password == NULL || *password == '\0')
				r = cause_set(cause, EACCES, _("%s の秘密鍵は暗号化されています。パスワードを入力してください",
							       "the private key in %s is encrypted: type its password"), path);
			else
				r = cause_set(cause, EACCES, _("%s: パスワードが違います", "%s: wrong password"), path);
		}
	}
	if (r == 0)
		fill(out, c, key);
	EVP_PKEY_free(key);
	X509_free(c);
	return r;
}

int probe_cert_inspect(const char *path, const char *password, struct probe_cert_info *out,
		       char **cause)
{
	char *data = NULL;
	size_t len = 0;
	PKCS12 *p12;
	BIO *b;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = file_read(path, CERT_FILE_MAX, &data, &len, cause)) < 0)
		return r;
	if (len == 0) {
		free(data);
		return cause_set(cause, EINVAL, _("%s は空です", "%s is empty"), path);
	}
	b = BIO_new_mem_buf(data, (int)len);
	p12 = d2i_PKCS12_bio(b, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (p12 != NULL) {
		PKCS12_free(p12);
		r = inspect_p12(path, password, out, cause);
	} else {
		r = inspect_pem(path, data, len, password, out, cause);
	}
	free(data);
	if (r < 0)
		probe_cert_info_clear(out);
	return r;
}

int probe_cert_inspect_file(const char *path, const char *password_file,
			    struct probe_cert_info *out, char **cause)
{
	char *pw = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (password_file != NULL && (pw = x509_read_password(password_file, cause)) == NULL)
		return -EACCES;
	r = probe_cert_inspect(path, pw, out, cause);
	if (pw) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	return r;
}

int probe_cert_check_import(const char *src, const char *password, struct probe_cert_info *out,
			    char **cause)
{
	int r;

	if ((r = probe_cert_inspect(src, password, out, cause)) < 0)
		return r;
	if (out->key_present && !out->key_matches) {
		probe_cert_info_clear(out);
		return cause_set(cause, EINVAL, _("%s の秘密鍵は証明書と一致しません",
						  "the private key in %s does not belong to the certificate"), src);
	}
	return 0;
}

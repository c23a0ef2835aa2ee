/* Inspecting and importing a certificate file (probe_cert_inspect,
 * probe_cert_check_import, prov_cert_install) with certificates made here:
 * a good PKCS#12, a wrong password, a PEM whose key is not the
 * certificate's, an encrypted PEM key, an expired certificate. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "core/util.h"
#include "probes/probe.h"
#include "provision/provision.h"

#define PASSWORD "Sekret-p12-Pass"

static char dir[64];
static char *p12, *pem_good, *pem_mismatch, *pem_enc, *pem_expired, *pem_certonly, *garbage;

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	assert_non_null(k);
	return k;
}

/* A certificate for key, valid from `from` to `to` days from now. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, long serial, long from, long to)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_get_subject_name(c);

	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_gmtime_adj(X509_getm_notBefore(c), from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(c), to * 86400);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Example Clinic", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, n);
	X509_set_pubkey(c, key);
	assert_true(X509_sign(c, key, EVP_sha256()) > 0);
	return c;
}

static char *write_pem(const char *name, X509 *c, EVP_PKEY *k, const char *pass)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	PEM_write_X509(f, c);
	if (k)
		PEM_write_PrivateKey(f, k, pass ? EVP_aes_256_cbc() : NULL, NULL, 0, NULL,
				     (void *)(uintptr_t)pass);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/oqcert.XXXXXX");
	assert_non_null(mkdtemp(dir));

	EVP_PKEY *k1 = new_key(), *k2 = new_key();
	X509 *good = new_cert(k1, "clinic-1312345678", 0x1A2B, -1, 30);
	X509 *old = new_cert(k1, "old-clinic", 7, -40, -3);

	p12 = xasprintf("%s/terminal.p12", dir);
	PKCS12 *p = PKCS12_create(PASSWORD, "terminal", k1, good, NULL, 0, 0, 0, 0, 0);
	assert_non_null(p);
	FILE *f = fopen(p12, "wb");
	assert_non_null(f);
	i2d_PKCS12_fp(f, p);
	fclose(f);
	PKCS12_free(p);

	pem_good = write_pem("good.pem", good, k1, NULL);
	pem_mismatch = write_pem("mismatch.pem", good, k2, NULL);
	pem_enc = write_pem("enc.pem", good, k1, PASSWORD);
	pem_expired = write_pem("expired.pem", old, k1, NULL);
	pem_certonly = write_pem("certonly.pem", good, NULL, NULL);
	garbage = xasprintf("%s/garbage.bin", dir);
	assert_int_equal(file_write_atomic(garbage, "hello, not a certificate\n", 25, 0644, NULL), 0);

	X509_free(good);
	X509_free(old);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(p12);
	free(pem_good);
	free(pem_mismatch);
	free(pem_enc);
	free(pem_expired);
	free(pem_certonly);
	free(garbage);
	return 0;
}

static void test_p12_good(void **state)
{
	struct probe_cert_info i;
	char *cause = NULL;

	(void)state;
	assert_int_equal(probe_cert_inspect(p12, PASSWORD, &i, &cause), 0);
	assert_null(cause);
	assert_true(i.is_p12);
	assert_non_null(strstr(i.subject, "CN = clinic-1312345678"));
	assert_non_null(strstr(i.issuer, "O = Example Clinic"));
	assert_string_equal(i.serial, "1A2B");
	assert_string_equal(i.serial_dec, "6699");
	assert_string_equal(i.subject_cn, "clinic-1312345678");
	assert_string_equal(i.issuer_cn, "clinic-1312345678");
	assert_true(i.key_present);
	assert_true(i.key_matches);
	assert_true(i.days_left == 29 || i.days_left == 30);
	assert_int_equal(i.verdict, PROBE_WARN);	/* within 30 days */
	assert_non_null(strstr(i.remedy.en, "30 days"));
	assert_int_equal(i.not_after - i.not_before, 31 * 86400);
	assert_true(i.not_before <= (int64_t)time(NULL));
	probe_cert_info_clear(&i);
	assert_null(i.subject);
}

/* Wrong and missing passwords: EACCES, and the message never holds it. */
static void test_p12_password(void **state)
{
	static const char *const bad[] = { "wrong-Pass-123", "", NULL };
	struct probe_cert_info i;

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		char *cause = NULL;
		assert_int_equal(probe_cert_inspect(p12, bad[k], &i, &cause), -EACCES);
		assert_non_null(cause);
		if (bad[k] && *bad[k])
			assert_null(strstr(cause, bad[k]));
		assert_null(i.subject);
		free(cause);
	}
}

static void test_pem(void **state)
{
	static const struct {
		char **path;
		const char *password;
		int ret;
		bool key_present, key_matches;
	} rows[] = {
		{ &pem_good, NULL, 0, true, true },
		{ &pem_good, "ignored", 0, true, true },
		{ &pem_mismatch, NULL, 0, true, false },
		{ &pem_certonly, NULL, 0, false, false },
		{ &pem_enc, PASSWORD, 0, true, true },
		{ &pem_enc, NULL, -EACCES, false, false },
		{ &pem_enc, "wrong-Pass-123", -EACCES, false, false },
		{ &garbage, NULL, -EINVAL, false, false },
	};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(rows); k++) {
		struct probe_cert_info i;
		char *cause = NULL;
		int r = probe_cert_inspect(*rows[k].path, rows[k].password, &i, &cause);

		print_message("row %zu: %d %s\n", k, r, cause ? cause : "");
		assert_int_equal(r, rows[k].ret);
		if (r == 0) {
			assert_false(i.is_p12);
			assert_non_null(strstr(i.subject, "clinic-1312345678"));
			assert_int_equal(i.key_present, rows[k].key_present);
			assert_int_equal(i.key_matches, rows[k].key_matches);
		} else {
			assert_non_null(cause);
			if (rows[k].password)
				assert_null(strstr(cause, rows[k].password));
		}
		probe_cert_info_clear(&i);
		free(cause);
	}
}

static void test_expired_and_missing(void **state)
{
	struct probe_cert_info i;
	char *cause = NULL, *none = xasprintf("%s/none.p12", dir);

	(void)state;
	assert_int_equal(probe_cert_inspect(pem_expired, NULL, &i, &cause), 0);
	assert_true(i.days_left == -3 || i.days_left == -4);
	assert_true(i.not_after < (int64_t)time(NULL));
	assert_int_equal(i.verdict, PROBE_FAIL);
	assert_non_null(i.remedy.ja);
	probe_cert_info_clear(&i);

	/* the password from a password file; a missing one is said */
	char *pwf = xasprintf("%s/p12.pass", dir);
	assert_int_equal(file_write_atomic(pwf, PASSWORD "\n", strlen(PASSWORD) + 1, 0600, &cause), 0);
	assert_int_equal(probe_cert_inspect_file(p12, pwf, &i, &cause), 0);
	assert_true(i.is_p12);
	probe_cert_info_clear(&i);
	assert_int_equal(probe_cert_inspect_file(p12, none, &i, &cause), -EACCES);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	unlink(pwf);
	free(pwf);

	assert_int_equal(probe_cert_inspect(none, PASSWORD, &i, &cause), -ENOENT);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "none.p12"));
	free(cause);
	free(none);
}

/* Check, then install: what the certificate screen does to import. */
static int import(const char *src, const char *password, const char *to, char **cert,
		  char **pass, char **cause)
{
	struct probe_cert_info info;
	int r = probe_cert_check_import(src, password, &info, cause);

	*cert = *pass = NULL;
	if (r == 0)
		r = prov_cert_install(src, info.is_p12 ? password : NULL, to, cert, pass, cause);
	probe_cert_info_clear(&info);
	return r;
}

static void test_import(void **state)
{
	char *to = xasprintf("%s/etc/oqlink", dir), *cert = NULL, *pass = NULL, *cause = NULL;
	char *a = NULL, *b = NULL;
	size_t la, lb;
	struct stat st;

	(void)state;
	assert_int_equal(import(p12, PASSWORD, to, &cert, &pass, &cause), 0);
	assert_null(cause);
	assert_non_null(strstr(cert, "/etc/oqlink/terminal.p12"));
	assert_non_null(strstr(pass, "/etc/oqlink/terminal.p12.pass"));
	assert_int_equal(stat(to, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(cert, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pass, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read(p12, 1 << 20, &a, &la, NULL), 0);
	assert_int_equal(file_read(cert, 1 << 20, &b, &lb, NULL), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	assert_int_equal(file_read(pass, 4096, &a, &la, NULL), 0);
	assert_string_equal(a, PASSWORD "\n");
	free(a);
	free(cert);
	free(pass);

	/* a PEM gets no password file; a wrong password or a key of another
	 * certificate imports nothing */
	assert_int_equal(import(pem_good, NULL, to, &cert, &pass, &cause), 0);
	assert_null(pass);
	free(cert);
	assert_int_equal(import(pem_mismatch, NULL, to, &cert, &pass, &cause), -EINVAL);
	assert_non_null(strstr(cause, "mismatch.pem"));
	assert_null(cert);
	free(cause);
	cause = NULL;
	assert_int_equal(import(pem_enc, "wrong-Pass-123", to, &cert, &pass, &cause), -EACCES);
	assert_null(cert);
	free(cause);
	cause = xasprintf("%s/enc.pem", to);
	assert_int_equal(access(cause, F_OK), -1);
	free(cause);
	cause = xasprintf("%s/mismatch.pem", to);
	assert_int_equal(access(cause, F_OK), -1);
	free(cause);
	cause = NULL;

	/* a source that cannot be read leaves nothing behind */
	a = xasprintf("%s/missing.pem", dir);
	assert_true(prov_cert_install(a, NULL, to, &cert, &pass, &cause) < 0);
	assert_non_null(cause);
	assert_null(cert);
	free(cause);
	cause = xasprintf("%s/missing.pem", to);
	assert_int_equal(access(cause, F_OK), -1);
	free(cause);
	free(a);
	free(to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_p12_good),
		cmocka_unit_test(test_p12_password),
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_expired_and_missing),
		cmocka_unit_test(test_import),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* Certificate helpers of the cert and tls probes (internal to probes/: the
 * only header with OpenSSL types, never included outside probes/). */
#ifndef OQ_PROBE_X509_H
#define OQ_PROBE_X509_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/i18n.h"
#include "probes/probe.h"

/* Days-left thresholds: the real certificate lives 3 years 3 months and may
 * be renewed from 90 days before expiry. WARN at 90, 60 and 30 days (each
 * more urgent), FAIL at 7 days and when expired or not yet valid. Days are
 * whole days left (rounded down): "7" applies from 7 days 23 hours left.
 * The table is ordered from the most urgent; the first row whose limit the
 * whole days left do not exceed applies; -1 is "expired". */
struct cert_threshold {
	int at_most_days;	/* applies when floor(days_left) <= at_most_days */
	enum probe_verdict verdict;
	struct bitext remedy;
};
extern const struct cert_threshold cert_thresholds[];
extern const unsigned cert_n_thresholds;
/* The verdict for days_left (negative: expired) and its remedy (NULL on
 * PASS). Pure. */
enum probe_verdict cert_days_verdict(double days_left, const struct bitext **remedy);

/* The first line of a password file (without the newline); NULL with
 * *cause when it cannot be read or is not a secret file (mode 0600). */
char *x509_read_password(const char *path, char **cause);
/* Open a PKCS#12 with its password (the legacy provider is tried too, for
 * old RC2/3DES files). Returns 0 or -errno with *cause. */
int x509_load_p12(const char *path, const char *password, EVP_PKEY **key, X509 **cert,
		  STACK_OF(X509) **ca, char **cause);
/* A PEM or DER certificate / a PEM private key / every certificate of a PEM
 * file into a store. */
X509 *x509_load_cert(const char *path, char **cause);
EVP_PKEY *x509_load_key(const char *path, char **cause);
int x509_store_add_file(X509_STORE *st, const char *path, char **cause);
/* "CN=..., O=..." one line, newly allocated. */
char *x509_name_line(const X509_NAME *n);
/* Days from at (Unix seconds) to notAfter (negative when expired) and to
 * notBefore (positive when not yet valid). */
double x509_days_left(const X509 *c, int64_t at);
double x509_days_until_valid(const X509 *c, int64_t at);

#endif

/* The negotiated algorithms against the configured proposals: strongSwan's
 * keywords mapped to the names charon reports over VICI. */
#include "probes/proposal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* A keyword and what charon calls it. keysize 0: any. */
struct alg_word {
	const char *word;
	const char *name;
	unsigned keysize;
};

static const struct alg_word encr_words[] = {
	{ "aes128", "AES_CBC", 128 },	      { "aes192", "AES_CBC", 192 },
	{ "aes256", "AES_CBC", 256 },	      { "aes", "AES_CBC", 128 },
	{ "aes128gcm16", "AES_GCM_16", 128 }, { "aes256gcm16", "AES_GCM_16", 256 },
	{ "aes128gcm", "AES_GCM_16", 128 },   { "aes256gcm", "AES_GCM_16", 256 },
	{ "aes192gcm16", "AES_GCM_16", 192 }, { "aes128gcm12", "AES_GCM_12", 128 },
	{ "aes256gcm12", "AES_GCM_12", 256 }, { "aes128ctr", "AES_CTR", 128 },
	{ "aes256ctr", "AES_CTR", 256 },      { "3des", "3DES_CBC", 0 },
	{ "chacha20poly1305", "CHACHA20_POLY1305", 0 },
};

static const struct alg_word integ_words[] = {
	{ "sha1", "HMAC_SHA1_96", 0 },	       { "sha", "HMAC_SHA1_96", 0 },
	{ "sha256", "HMAC_SHA2_256_128", 0 },  { "sha2_256", "HMAC_SHA2_256_128", 0 },
	{ "sha384", "HMAC_SHA2_384_192", 0 },  { "sha2_384", "HMAC_SHA2_384_192", 0 },
	{ "sha512", "HMAC_SHA2_512_256", 0 },  { "sha2_512", "HMAC_SHA2_512_256", 0 },
	{ "md5", "HMAC_MD5_96", 0 },	       { "aesxcbc", "AES_XCBC_96", 0 },
};

static const struct alg_word dh_words[] = {
	{ "modp1024", "MODP_1024", 0 },	  { "modp1536", "MODP_1536", 0 },
	{ "modp2048", "MODP_2048", 0 },	  { "modp3072", "MODP_3072", 0 },
	{ "modp4096", "MODP_4096", 0 },	  { "modp6144", "MODP_6144", 0 },
	{ "modp8192", "MODP_8192", 0 },	  { "ecp256", "ECP_256", 0 },
	{ "ecp384", "ECP_384", 0 },	  { "ecp521", "ECP_521", 0 },
	{ "curve25519", "CURVE_25519", 0 }, { "x25519", "CURVE_25519", 0 },
	{ "curve448", "CURVE_448", 0 },	  { "x448", "CURVE_448", 0 },
};

/* Does keyword w (of table t) name alg with keysize? */
static bool word_is(const struct alg_word *t, size_t n, const char *w, const char *alg,
		    unsigned keysize)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].word, w) == 0)
			return alg != NULL && strcmp(t[i].name, alg) == 0 &&
			       (t[i].keysize == 0 || keysize == 0 || t[i].keysize == keysize);
	return false;
}

/* One proposal: "aes256-sha256-modp2048". */
static bool one_allows(char *prop, const char *encr, unsigned keysize, const char *integ,
		       const char *dh)
{
	bool e = false, i = integ == NULL, d = dh == NULL;
	char *save = NULL;

	for (char *w = strtok_r(prop, "-", &save); w != NULL; w = strtok_r(NULL, "-", &save)) {
		if (strcmp(w, "default") == 0)
			return true;
		if (strncmp(w, "prf", 3) == 0 || strcmp(w, "esn") == 0 || strcmp(w, "noesn") == 0)
			continue;
		e = e || word_is(encr_words, ARRAY_SIZE(encr_words), w, encr, keysize);
		i = i || word_is(integ_words, ARRAY_SIZE(integ_words), w, integ, 0);
		d = d || word_is(dh_words, ARRAY_SIZE(dh_words), w, dh, 0);
	}
	return e && i && d;
}

bool proposal_allows(const char *proposals, const char *encr, unsigned keysize,
		     const char *integ, const char *dh)
{
	size_t n;
	char **list;
	bool ok = false;

	if (proposals == NULL || encr == NULL)
		return false;
	list = str_split_list(proposals, &n);
	for (size_t k = 0; k < n && !ok; k++)
		ok = one_allows(list[k], encr, keysize, integ, dh);
	str_list_free(list);
	return ok;
}

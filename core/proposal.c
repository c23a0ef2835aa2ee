#include "core/proposal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/i18n.h"
#include "core/util.h"

/* Every keyword strongSwan knows, sorted by name: strongSwan's own table
 * (proposal_keywords_static.txt) of 5.9, plus the key exchanges strongSwan
 * 6.0 added (PK_V6). */
static const struct proposal_keyword keywords[] = {
	{ "3des", P_ENCR, "ENCR_3DES", 0, 0 },
	{ "aes", P_ENCR, "ENCR_AES_CBC", 128, 0 },
	{ "aes128", P_ENCR, "ENCR_AES_CBC", 128, 0 },
	{ "aes128ccm", P_ENCR, "ENCR_AES_CCM_ICV16", 128, PK_AEAD },
	{ "aes128ccm12", P_ENCR, "ENCR_AES_CCM_ICV12", 128, PK_AEAD },
	{ "aes128ccm128", P_ENCR, "ENCR_AES_CCM_ICV16", 128, PK_AEAD },
	{ "aes128ccm16", P_ENCR, "ENCR_AES_CCM_ICV16", 128, PK_AEAD },
	{ "aes128ccm64", P_ENCR, "ENCR_AES_CCM_ICV8", 128, PK_AEAD },
	{ "aes128ccm8", P_ENCR, "ENCR_AES_CCM_ICV8", 128, PK_AEAD },
	{ "aes128ccm96", P_ENCR, "ENCR_AES_CCM_ICV12", 128, PK_AEAD },
	{ "aes128ctr", P_ENCR, "ENCR_AES_CTR", 128, 0 },
	{ "aes128gcm", P_ENCR, "ENCR_AES_GCM_ICV16", 128, PK_AEAD },
	{ "aes128gcm12", P_ENCR, "ENCR_AES_GCM_ICV12", 128, PK_AEAD },
	{ "aes128gcm128", P_ENCR, "ENCR_AES_GCM_ICV16", 128, PK_AEAD },
	{ "aes128gcm16", P_ENCR, "ENCR_AES_GCM_ICV16", 128, PK_AEAD },
	{ "aes128gcm64", P_ENCR, "ENCR_AES_GCM_ICV8", 128, PK_AEAD },
	{ "aes128gcm8", P_ENCR, "ENCR_AES_GCM_ICV8", 128, PK_AEAD },
	{ "aes128gcm96", P_ENCR, "ENCR_AES_GCM_ICV12", 128, PK_AEAD },
	{ "aes128gmac", P_ENCR, "ENCR_NULL_AUTH_AES_GMAC", 128, PK_AEAD },
	{ "aes192", P_ENCR, "ENCR_AES_CBC", 192, 0 },
	{ "aes192ccm", P_ENCR, "ENCR_AES_CCM_ICV16", 192, PK_AEAD },
	{ "aes192ccm12", P_ENCR, "ENCR_AES_CCM_ICV12", 192, PK_AEAD },
	{ "aes192ccm128", P_ENCR, "ENCR_AES_CCM_ICV16", 192, PK_AEAD },
	{ "aes192ccm16", P_ENCR, "ENCR_AES_CCM_ICV16", 192, PK_AEAD },
	{ "aes192ccm64", P_ENCR, "ENCR_AES_CCM_ICV8", 192, PK_AEAD },
	{ "aes192ccm8", P_ENCR, "ENCR_AES_CCM_ICV8", 192, PK_AEAD },
	{ "aes192ccm96", P_ENCR, "ENCR_AES_CCM_ICV12", 192, PK_AEAD },
	{ "aes192ctr", P_ENCR, "ENCR_AES_CTR", 192, 0 },
	{ "aes192gcm", P_ENCR, "ENCR_AES_GCM_ICV16", 192, PK_AEAD },
	{ "aes192gcm12", P_ENCR, "ENCR_AES_GCM_ICV12", 192, PK_AEAD },
	{ "aes192gcm128", P_ENCR, "ENCR_AES_GCM_ICV16", 192, PK_AEAD },
	{ "aes192gcm16", P_ENCR, "ENCR_AES_GCM_ICV16", 192, PK_AEAD },
	{ "aes192gcm64", P_ENCR, "ENCR_AES_GCM_ICV8", 192, PK_AEAD },
	{ "aes192gcm8", P_ENCR, "ENCR_AES_GCM_ICV8", 192, PK_AEAD },
	{ "aes192gcm96", P_ENCR, "ENCR_AES_GCM_ICV12", 192, PK_AEAD },
	{ "aes192gmac", P_ENCR, "ENCR_NULL_AUTH_AES_GMAC", 192, PK_AEAD },
	{ "aes256", P_ENCR, "ENCR_AES_CBC", 256, 0 },
	{ "aes256ccm", P_ENCR, "ENCR_AES_CCM_ICV16", 256, PK_AEAD },
	{ "aes256ccm12", P_ENCR, "ENCR_AES_CCM_ICV12", 256, PK_AEAD },
	{ "aes256ccm128", P_ENCR, "ENCR_AES_CCM_ICV16", 256, PK_AEAD },
	{ "aes256ccm16", P_ENCR, "ENCR_AES_CCM_ICV16", 256, PK_AEAD },
	{ "aes256ccm64", P_ENCR, "ENCR_AES_CCM_ICV8", 256, PK_AEAD },
	{ "aes256ccm8", P_ENCR, "ENCR_AES_CCM_ICV8", 256, PK_AEAD },
	{ "aes256ccm96", P_ENCR, "ENCR_AES_CCM_ICV12", 256, PK_AEAD },
	{ "aes256ctr", P_ENCR, "ENCR_AES_CTR", 256, 0 },
	{ "aes256gcm", P_ENCR, "ENCR_AES_GCM_ICV16", 256, PK_AEAD },
	{ "aes256gcm12", P_ENCR, "ENCR_AES_GCM_ICV12", 256, PK_AEAD },
	{ "aes256gcm128", P_ENCR, "ENCR_AES_GCM_ICV16", 256, PK_AEAD },
	{ "aes256gcm16", P_ENCR, "ENCR_AES_GCM_ICV16", 256, PK_AEAD },
	{ "aes256gcm64", P_ENCR, "ENCR_AES_GCM_ICV8", 256, PK_AEAD },
	{ "aes256gcm8", P_ENCR, "ENCR_AES_GCM_ICV8", 256, PK_AEAD },
	{ "aes256gcm96", P_ENCR, "ENCR_AES_GCM_ICV12", 256, PK_AEAD },
	{ "aes256gmac", P_ENCR, "ENCR_NULL_AUTH_AES_GMAC", 256, PK_AEAD },
	{ "aescmac", P_INTEG, "AUTH_AES_CMAC_96", 0, PK_GIVES_PRF },
	{ "aesxcbc", P_INTEG, "AUTH_AES_XCBC_96", 0, PK_GIVES_PRF },
	{ "blowfish", P_ENCR, "ENCR_BLOWFISH", 128, 0 },
	{ "blowfish128", P_ENCR, "ENCR_BLOWFISH", 128, 0 },
	{ "blowfish192", P_ENCR, "ENCR_BLOWFISH", 192, 0 },
	{ "blowfish256", P_ENCR, "ENCR_BLOWFISH", 256, 0 },
	{ "camellia", P_ENCR, "ENCR_CAMELLIA_CBC", 128, 0 },
	{ "camellia128", P_ENCR, "ENCR_CAMELLIA_CBC", 128, 0 },
	{ "camellia128ccm12", P_ENCR, "ENCR_CAMELLIA_CCM_ICV12", 128, PK_AEAD },
	{ "camellia128ccm128", P_ENCR, "ENCR_CAMELLIA_CCM_ICV16", 128, PK_AEAD },
	{ "camellia128ccm16", P_ENCR, "ENCR_CAMELLIA_CCM_ICV16", 128, PK_AEAD },
	{ "camellia128ccm64", P_ENCR, "ENCR_CAMELLIA_CCM_ICV8", 128, PK_AEAD },
	{ "camellia128ccm8", P_ENCR, "ENCR_CAMELLIA_CCM_ICV8", 128, PK_AEAD },
	{ "camellia128ccm96", P_ENCR, "ENCR_CAMELLIA_CCM_ICV12", 128, PK_AEAD },
	{ "camellia128ctr", P_ENCR, "ENCR_CAMELLIA_CTR", 128, 0 },
	{ "camellia192", P_ENCR, "ENCR_CAMELLIA_CBC", 192, 0 },
	{ "camellia192ccm12", P_ENCR, "ENCR_CAMELLIA_CCM_ICV12", 192, PK_AEAD },
	{ "camellia192ccm128", P_ENCR, "ENCR_CAMELLIA_CCM_ICV16", 192, PK_AEAD },
	{ "camellia192ccm16", P_ENCR, "ENCR_CAMELLIA_CCM_ICV16", 192, PK_AEAD },
	{ "camellia192ccm64", P_ENCR, "ENCR_CAMELLIA_CCM_ICV8", 192, PK_AEAD },
	{ "camellia192ccm8", P_ENCR, "ENCR_CAMELLIA_CCM_ICV8", 192, PK_AEAD },
	{ "camellia192ccm96", P_ENCR, "ENCR_CAMELLIA_CCM_ICV12", 192, PK_AEAD },
	{ "camellia192ctr", P_ENCR, "ENCR_CAMELLIA_CTR", 192, 0 },
	{ "camellia256", P_ENCR, "ENCR_CAMELLIA_CBC", 256, 0 },
	{ "camellia256ccm12", P_ENCR, "ENCR_CAMELLIA_CCM_ICV12", 256, PK_AEAD },
	{ "camellia256ccm128", P_ENCR, "ENCR_CAMELLIA_CCM_ICV16", 256, PK_AEAD },
	{ "camellia256ccm16", P_ENCR, "ENCR_CAMELLIA_CCM_ICV16", 256, PK_AEAD },
	{ "camellia256ccm64", P_ENCR, "ENCR_CAMELLIA_CCM_ICV8", 256, PK_AEAD },
	{ "camellia256ccm8", P_ENCR, "ENCR_CAMELLIA_CCM_ICV8", 256, PK_AEAD },
	{ "camellia256ccm96", P_ENCR, "ENCR_CAMELLIA_CCM_ICV12", 256, PK_AEAD },
	{ "camellia256ctr", P_ENCR, "ENCR_CAMELLIA_CTR", 256, 0 },
	{ "camelliaxcbc", P_INTEG, "AUTH_CAMELLIA_XCBC_96", 0, PK_GIVES_PRF },
	{ "cast128", P_ENCR, "ENCR_CAST", 128, 0 },
	{ "chacha20poly1305", P_ENCR, "ENCR_CHACHA20_POLY1305", 0, PK_AEAD },
	{ "chacha20poly1305compat", P_ENCR, "ENCR_CHACHA20_POLY1305", 256, PK_AEAD },
	{ "curve25519", P_KE, "CURVE_25519", 0, 0 },
	{ "curve448", P_KE, "CURVE_448", 0, 0 },
	{ "des", P_ENCR, "ENCR_DES", 0, 0 },
	{ "ecp192", P_KE, "ECP_192_BIT", 0, 0 },
	{ "ecp224", P_KE, "ECP_224_BIT", 0, 0 },
	{ "ecp224bp", P_KE, "ECP_224_BP", 0, 0 },
	{ "ecp256", P_KE, "ECP_256_BIT", 0, 0 },
	{ "ecp256bp", P_KE, "ECP_256_BP", 0, 0 },
	{ "ecp384", P_KE, "ECP_384_BIT", 0, 0 },
	{ "ecp384bp", P_KE, "ECP_384_BP", 0, 0 },
	{ "ecp512bp", P_KE, "ECP_512_BP", 0, 0 },
	{ "ecp521", P_KE, "ECP_521_BIT", 0, 0 },
	{ "esn", P_ESN, "EXT_SEQ_NUMBERS", 0, 0 },
	{ "gost256", P_KE, "GOST3410_256", 0, PK_V6 },
	{ "gost512", P_KE, "GOST3410_512", 0, PK_V6 },
	{ "md5", P_INTEG, "AUTH_HMAC_MD5_96", 0, PK_GIVES_PRF },
	{ "md5_128", P_INTEG, "AUTH_HMAC_MD5_128", 0, PK_GIVES_PRF },
	{ "mlkem1024", P_KE, "ML_KEM_1024", 0, PK_V6 },
	{ "mlkem512", P_KE, "ML_KEM_512", 0, PK_V6 },
	{ "mlkem768", P_KE, "ML_KEM_768", 0, PK_V6 },
	{ "modp1024", P_KE, "MODP_1024_BIT", 0, 0 },
	{ "modp1024s160", P_KE, "MODP_1024_160", 0, 0 },
	{ "modp1536", P_KE, "MODP_1536_BIT", 0, 0 },
	{ "modp2048", P_KE, "MODP_2048_BIT", 0, 0 },
	{ "modp2048s224", P_KE, "MODP_2048_224", 0, 0 },
	{ "modp2048s256", P_KE, "MODP_2048_256", 0, 0 },
	{ "modp3072", P_KE, "MODP_3072_BIT", 0, 0 },
	{ "modp4096", P_KE, "MODP_4096_BIT", 0, 0 },
	{ "modp6144", P_KE, "MODP_6144_BIT", 0, 0 },
	{ "modp768", P_KE, "MODP_768_BIT", 0, 0 },
	{ "modp8192", P_KE, "MODP_8192_BIT", 0, 0 },
	{ "modpnone", P_KE, "KE_NONE", 0, PK_NONE },
	{ "modpnull", P_KE, "MODP_NULL", 0, 0 },
	{ "newhope128", P_KE, "NH_128_BIT", 0, 0 },
	{ "noesn", P_ESN, "NO_EXT_SEQ_NUMBERS", 0, 0 },
	{ "none", P_KE, "KE_NONE", 0, PK_NONE },
	{ "ntru112", P_KE, "NTRU_112_BIT", 0, 0 },
	{ "ntru128", P_KE, "NTRU_128_BIT", 0, 0 },
	{ "ntru192", P_KE, "NTRU_192_BIT", 0, 0 },
	{ "ntru256", P_KE, "NTRU_256_BIT", 0, 0 },
	{ "null", P_ENCR, "ENCR_NULL", 0, 0 },
	{ "prfaescmac", P_PRF, "PRF_AES128_CMAC", 0, 0 },
	{ "prfaesxcbc", P_PRF, "PRF_AES128_XCBC", 0, 0 },
	{ "prfcamelliaxcbc", P_PRF, "PRF_CAMELLIA128_XCBC", 0, 0 },
	{ "prfmd5", P_PRF, "PRF_HMAC_MD5", 0, 0 },
	{ "prfsha1", P_PRF, "PRF_HMAC_SHA1", 0, 0 },
	{ "prfsha256", P_PRF, "PRF_HMAC_SHA2_256", 0, 0 },
	{ "prfsha384", P_PRF, "PRF_HMAC_SHA2_384", 0, 0 },
	{ "prfsha512", P_PRF, "PRF_HMAC_SHA2_512", 0, 0 },
	{ "serpent", P_ENCR, "ENCR_SERPENT_CBC", 128, 0 },
	{ "serpent128", P_ENCR, "ENCR_SERPENT_CBC", 128, 0 },
	{ "serpent192", P_ENCR, "ENCR_SERPENT_CBC", 192, 0 },
	{ "serpent256", P_ENCR, "ENCR_SERPENT_CBC", 256, 0 },
	{ "sha", P_INTEG, "AUTH_HMAC_SHA1_96", 0, PK_GIVES_PRF },
	{ "sha1", P_INTEG, "AUTH_HMAC_SHA1_96", 0, PK_GIVES_PRF },
	{ "sha1_160", P_INTEG, "AUTH_HMAC_SHA1_160", 0, PK_GIVES_PRF },
	{ "sha256", P_INTEG, "AUTH_HMAC_SHA2_256_128", 0, PK_GIVES_PRF },
	{ "sha256_96", P_INTEG, "AUTH_HMAC_SHA2_256_96", 0, 0 },
	{ "sha2_256", P_INTEG, "AUTH_HMAC_SHA2_256_128", 0, PK_GIVES_PRF },
	{ "sha2_256_96", P_INTEG, "AUTH_HMAC_SHA2_256_96", 0, 0 },
	{ "sha2_384", P_INTEG, "AUTH_HMAC_SHA2_384_192", 0, PK_GIVES_PRF },
	{ "sha2_512", P_INTEG, "AUTH_HMAC_SHA2_512_256", 0, PK_GIVES_PRF },
	{ "sha384", P_INTEG, "AUTH_HMAC_SHA2_384_192", 0, PK_GIVES_PRF },
	{ "sha512", P_INTEG, "AUTH_HMAC_SHA2_512_256", 0, PK_GIVES_PRF },
	{ "twofish", P_ENCR, "ENCR_TWOFISH_CBC", 128, 0 },
	{ "twofish128", P_ENCR, "ENCR_TWOFISH_CBC", 128, 0 },
	{ "twofish192", P_ENCR, "ENCR_TWOFISH_CBC", 192, 0 },
	{ "twofish256", P_ENCR, "ENCR_TWOFISH_CBC", 256, 0 },
	{ "x25519", P_KE, "CURVE_25519", 0, 0 },
	{ "x448", P_KE, "CURVE_448", 0, 0 },
};

size_t proposal_keyword_count(void)
{
	return ARRAY_SIZE(keywords);
}

const struct proposal_keyword *proposal_keyword_at(size_t i)
{
	return i < ARRAY_SIZE(keywords) ? &keywords[i] : NULL;
}

static int keyword_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct proposal_keyword *)elem)->name);
}

const struct proposal_keyword *proposal_keyword_find(const char *name)
{
	return bsearch(name, keywords, ARRAY_SIZE(keywords), sizeof(keywords[0]), keyword_cmp);
}

const char *proposal_type_name(enum proposal_type t)
{
	static const char *const names[] = { "ENCR", "INTEG", "PRF", "KE", "ESN" };

	return (size_t)t < ARRAY_SIZE(names) ? names[t] : "?";
}

/* The closest keyword of strongSwan 5.9, for "did you mean". */
static const char *closest(const char *name)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++) {
		size_t d;
		if (keywords[i].flags & PK_V6)
			continue;
		d = str_distance(name, keywords[i].name);
		if (d < bestd) {
			bestd = d;
			best = keywords[i].name;
		}
	}
	return best;
}

/* strongSwan 6's additional key exchange "ke1_mlkem768" ... "ke7_...":
 * the keyword after the prefix, or NULL when tok is not of that form. */
static const struct proposal_keyword *additional_ke(const char *tok)
{
	const struct proposal_keyword *k;

	if (strncasecmp(tok, "ke", 2) != 0 || tok[2] < '1' || tok[2] > '7' || tok[3] != '_')
		return NULL;
	k = proposal_keyword_find(tok + 4);
	return k && k->type == P_KE ? k : NULL;
}

/* Set *cause and return false. */
static bool fail(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(char **cause, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cause_vset(cause, 0, fmt, ap);
	va_end(ap);
	return false;
}

/* What the keywords of one proposal add up to. */
struct tally {
	bool encr, aead, classic, null_encr, integ, prf, ke;
};

/* Look up one keyword of proposal and add it to t. */
static bool take(const char *tok, const char *proposal, struct tally *t, char **cause)
{
	const struct proposal_keyword *k = proposal_keyword_find(tok);
	const char *near;

	if (k == NULL && additional_ke(tok))
		return fail(cause, _("提案 '%2$s' の '%1$s' (追加の鍵交換) は strongSwan 6.0 以降のもので、この機器の strongSwan 5.9 では使えません",
				     "'%1$s' in proposal '%2$s' (an additional key exchange) needs strongSwan 6.0 or later; this appliance runs strongSwan 5.9"),
			    tok, proposal);
	if (k == NULL) {
		near = closest(tok);
		if (near)
			return fail(cause, _("提案 '%2$s' の '%1$s' は strongSwan のアルゴリズム名ではありません ('%3$s' のことですか?)",
					     "'%1$s' in proposal '%2$s' is not a strongSwan algorithm (did you mean '%3$s'?)"),
				    tok, proposal, near);
		return fail(cause, _("提案 '%2$s' の '%1$s' は strongSwan のアルゴリズム名ではありません",
				     "'%1$s' in proposal '%2$s' is not a strongSwan algorithm"),
			    tok, proposal);
	}
	if (k->flags & PK_V6)
		return fail(cause, _("提案 '%2$s' の '%1$s' は strongSwan 6.0 以降のもので、この機器の strongSwan 5.9 では使えません",
				     "'%1$s' in proposal '%2$s' needs strongSwan 6.0 or later; this appliance runs strongSwan 5.9"),
			    tok, proposal);
	switch (k->type) {
	case P_ENCR:
		t->encr = true;
		if (k->flags & PK_AEAD)
			t->aead = true;
		else
			t->classic = true;
		t->null_encr |= strcmp(k->name, "null") == 0;
		break;
	case P_INTEG:
		t->integ = true;
		t->prf |= (k->flags & PK_GIVES_PRF) != 0;
		break;
	case P_PRF: t->prf = true; break;
	case P_KE: t->ke |= (k->flags & PK_NONE) == 0; break;
	case P_ESN: break;
	}
	return true;
}

/* charon's rules for a whole proposal (strongSwan's check_proposal()). */
static bool check_rules(const char *proposal, bool ike, const struct tally *t, char **cause)
{
	if (ike && !t->prf)
		return fail(cause, _("IKE の提案 '%s' に PRF がありません (prfsha256 などを書くか、PRF を導ける完全性アルゴリズムを書いてください)",
				     "IKE proposal '%s' has no PRF (add one such as prfsha256, or an integrity algorithm it can be derived from)"),
			    proposal);
	if (ike && !t->ke)
		return fail(cause, _("IKE の提案 '%s' に DH グループがありません",
				     "IKE proposal '%s' has no DH group"), proposal);
	if (!t->encr)
		return fail(cause, _("提案 '%s' に暗号アルゴリズムがありません",
				     "proposal '%s' has no encryption algorithm"), proposal);
	if (t->aead && t->classic)
		return fail(cause, _("提案 '%s' に AEAD と通常の暗号が混在しています",
				     "proposal '%s' mixes AEAD and classic encryption"), proposal);
	if (ike && t->classic && !t->integ)
		return fail(cause, _("IKE の提案 '%s' に完全性アルゴリズムがありません",
				     "IKE proposal '%s' has no integrity algorithm"), proposal);
	return true;
}

/* Split a proposal at '-' into its keywords, trimming blanks around each,
 * and add them up in t; an empty one is refused (charon skips it, but it is
 * a typo here). "default" adds up to nothing and is fine. */
static bool tally_proposal(const char *proposal, struct tally *t, char **cause)
{
	char *copy, *p, *tok;
	bool ok = true;

	copy = xstrdup(proposal);
	for (p = copy; ok && p; ) {
		char *end = strchr(p, '-');
		if (end)
			*end = '\0';
		tok = str_trim(p);
		p = end ? end + 1 : NULL;
		if (*tok == '\0')
			ok = fail(cause, _("提案 '%s' に空の要素があります",
					   "proposal '%s' has an empty element"), proposal);
		else
			ok = take(tok, proposal, t, cause);
	}
	free(copy);
	return ok;
}

bool proposal_check(const char *proposal, bool ike, char **cause)
{
	struct tally t = { 0 };

	if (strcasecmp(proposal, "default") == 0)
		return true;
	return tally_proposal(proposal, &t, cause) && check_rules(proposal, ike, &t, cause);
}

/* oqlink's own rules on top of charon's: the link carries medical data, so
 * a proposal must keep it secret and whole. */
static bool check_policy(const char *proposal, const struct tally *t, char **cause)
{
	if (t->null_encr)
		return fail(cause, _("提案 '%s' の 'null' は暗号化しません。医療情報を運ぶ回線には使えません (aes256gcm16 などにしてください)",
				     "'null' in proposal '%s' does not encrypt; a link that carries medical data cannot use it (use aes256gcm16 or the like)"),
			    proposal);
	if (t->classic && !t->integ)
		return fail(cause, _("提案 '%s' には完全性アルゴリズムがなく、改ざんを見抜けません (sha256 などを加えるか、aes256gcm16 などの AEAD にしてください)",
				     "proposal '%s' has no integrity algorithm, so tampering goes unnoticed (add one such as sha256, or use an AEAD such as aes256gcm16)"),
			    proposal);
	return true;
}

bool proposal_allowed(const char *proposal, bool ike, char **cause)
{
	struct tally t = { 0 };

	if (strcasecmp(proposal, "default") == 0)
		return true;
	return tally_proposal(proposal, &t, cause) && check_rules(proposal, ike, &t, cause) &&
	       check_policy(proposal, &t, cause);
}

bool proposals_check(const char *list, bool ike, char **cause)
{
	size_t n;
	char **items = str_split_list(list, &n);
	bool ok = n > 0;

	if (n == 0)
		cause_set(cause, 0, _("提案がありません", "no proposal given"));
	for (size_t i = 0; ok && i < n; i++)
		ok = proposal_allowed(items[i], ike, cause);
	str_list_free(items);
	return ok;
}

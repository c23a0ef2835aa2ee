#include "core/proposal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/util.h"

enum alg_kind { ENCR, AEAD, INTEG, PRF, KE, ESN };

struct alg {
	const char *name;
	enum alg_kind kind;
};

/* The keywords strongSwan 5.9 accepts that a carrier may ask for, sorted. */
static const struct alg algs[] = {
	{ "3des", ENCR }, { "aes128", ENCR }, { "aes128ccm12", AEAD }, { "aes128ccm16", AEAD },
	{ "aes128ccm8", AEAD }, { "aes128ctr", ENCR }, { "aes128gcm12", AEAD },
	{ "aes128gcm16", AEAD }, { "aes128gcm8", AEAD }, { "aes192", ENCR },
	{ "aes192ctr", ENCR }, { "aes192gcm16", AEAD }, { "aes256", ENCR },
	{ "aes256ccm16", AEAD }, { "aes256ctr", ENCR }, { "aes256gcm12", AEAD },
	{ "aes256gcm16", AEAD }, { "aes256gcm8", AEAD }, { "aescmac", INTEG },
	{ "aesxcbc", INTEG }, { "camellia128", ENCR }, { "camellia192", ENCR },
	{ "camellia256", ENCR }, { "chacha20poly1305", AEAD }, { "curve25519", KE },
	{ "curve448", KE }, { "ecp192", KE }, { "ecp224", KE }, { "ecp256", KE },
	{ "ecp256bp", KE }, { "ecp384", KE }, { "ecp384bp", KE }, { "ecp512bp", KE },
	{ "ecp521", KE }, { "esn", ESN }, { "md5", INTEG }, { "modp1024", KE },
	{ "modp1536", KE }, { "modp2048", KE }, { "modp3072", KE }, { "modp4096", KE },
	{ "modp6144", KE }, { "modp8192", KE }, { "noesn", ESN }, { "prfaesxcbc", PRF },
	{ "prfmd5", PRF }, { "prfsha1", PRF }, { "prfsha256", PRF }, { "prfsha384", PRF },
	{ "prfsha512", PRF }, { "sha1", INTEG }, { "sha256", INTEG }, { "sha256_96", INTEG },
	{ "sha384", INTEG }, { "sha512", INTEG }, { "x25519", KE }, { "x448", KE },
};

static const struct alg *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

/* The closest keyword, for "did you mean". */
static const char *closest(const char *name)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		size_t d = str_distance(name, algs[i].name);
		if (d < bestd) {
			bestd = d;
			best = algs[i].name;
		}
	}
	return best;
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

/* Check one proposal "a-b-c". */
static bool check_one(const char *proposal, bool ike, char **cause)
{
	char *copy = xstrdup(proposal), *save = NULL;
	bool encr = false, aead = false, integ = false, prf = false, ke = false, ok = true;

	if (*proposal == '\0' || proposal[strlen(proposal) - 1] == '-' || proposal[0] == '-' ||
	    strstr(proposal, "--")) {
		cause_set(cause, 0, _("提案 '%s' に空の要素があります", "proposal '%s' has an empty element"),
			  proposal);
		free(copy);
		return false;
	}
	for (char *tok = strtok_r(copy, "-", &save); tok; tok = strtok_r(NULL, "-", &save)) {
		const struct alg *a = find(tok);
		if (a == NULL && strcmp(tok, "default") == 0 && strcmp(proposal, "default") == 0)
			break;
		if (a == NULL) {
			const char *near = closest(tok);
			if (near)
				cause_set(cause, 0, _("提案 '%2$s' の '%1$s' は strongSwan のアルゴリズム名ではありません ('%3$s' のことですか?)",
						      "'%1$s' in proposal '%2$s' is not a strongSwan algorithm (did you mean '%3$s'?)"),
					  tok, proposal, near);
			else
				cause_set(cause, 0, _("提案 '%2$s' の '%1$s' は strongSwan のアルゴリズム名ではありません",
						      "'%1$s' in proposal '%2$s' is not a strongSwan algorithm"),
					  tok, proposal);
			ok = false;
			break;
		}
		switch (a->kind) {
		case ENCR: encr = true; break;
		case AEAD: aead = true; break;
		case INTEG: integ = true; break;
		case PRF: prf = true; break;
		case KE: ke = true; break;
		case ESN:
			if (ike) {
				cause_set(cause, 0, _("'%s' は ESP の提案でだけ使えます", "'%s' is only for ESP proposals"),
					  a->name);
				ok = false;
			}
			break;
		}
		if (!ok)
			break;
	}
	free(copy);
	if (!ok || strcmp(proposal, "default") == 0)
		return ok;
	if (!encr && !aead)
		return fail(cause, _("提案 '%s' に暗号アルゴリズムがありません",
					      "proposal '%s' has no encryption algorithm"), proposal);
	if (encr && aead)
		return fail(cause, _("提案 '%s' に AEAD と通常の暗号が混在しています",
					      "proposal '%s' mixes AEAD and classic encryption"), proposal);
	if (aead && integ)
		return fail(cause, _("提案 '%s' の AEAD 暗号に完全性アルゴリズムは付けられません",
					      "proposal '%s' has an integrity algorithm with an AEAD cipher"),
				  proposal);
	if (encr && !integ)
		return fail(cause, _("提案 '%s' に完全性アルゴリズムがありません",
					      "proposal '%s' has no integrity algorithm"), proposal);
	if (ike && aead && !prf)
		return fail(cause, _("IKE の提案 '%s' は AEAD 暗号なので PRF (例 prfsha256) が必要です",
					      "IKE proposal '%s' uses an AEAD cipher and needs a PRF (e.g. prfsha256)"),
				  proposal);
	if (ike && !ke)
		return fail(cause, _("IKE の提案 '%s' に DH グループがありません",
					      "IKE proposal '%s' has no DH group"), proposal);
	if (!ike && prf)
		return fail(cause, _("ESP の提案 '%s' に PRF は書けません",
					      "ESP proposal '%s' cannot have a PRF"), proposal);
	return true;
}

bool proposals_check(const char *list, bool ike, char **cause)
{
	size_t n;
	char **items = str_split_list(list, &n);
	bool ok = n > 0;

	if (n == 0)
		cause_set(cause, 0, _("提案がありません", "no proposal given"));
	for (size_t i = 0; ok && i < n; i++)
		ok = check_one(items[i], ike, cause);
	str_list_free(items);
	return ok;
}

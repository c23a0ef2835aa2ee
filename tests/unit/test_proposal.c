/* core/proposal: every strongSwan keyword in a proposal, and charon's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/i18n.h"
#include "core/proposal.h"
#include "core/util.h"

/* Check one proposal and fail the test, naming it, when the verdict differs. */
static void expect(const char *proposal, bool ike, bool ok)
{
	char *cause = NULL;
	bool got = proposal_check(proposal, ike, &cause);

	if (got != ok)
		fail_msg("proposal_check(%s, %s) = %d (%s)", proposal, ike ? "ike" : "esp", got,
			 cause ? cause : "");
	if (!got && cause == NULL)
		fail_msg("proposal_check(%s) refused without a cause", proposal);
	free(cause);
}

/* expect() for pre, kw and post joined. */
static void expect3(bool ike, bool ok, const char *pre, const char *kw, const char *post)
{
	char *p = xasprintf("%s%s%s", pre, kw, post);

	expect(p, ike, ok);
	free(p);
}

static bool in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

/* The table holds strongSwan's keywords, sorted, each findable. */
static void test_table(void **state)
{
	static const char *const must[] = {
		"aes128gcm128", "aes256gcm", "sha2_256", "modp2048s256", "prfaescmac",
		"camellia256ctr", "chacha20poly1305compat", "aes256gmac", "x25519", "noesn", NULL,
	};
	size_t n = proposal_keyword_count();

	assert_true(n >= 150);
	for (size_t i = 1; i < n; i++)
		if (strcmp(proposal_keyword_at(i - 1)->name, proposal_keyword_at(i)->name) >= 0)
			fail_msg("table not sorted at %s", proposal_keyword_at(i)->name);
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(proposal_keyword_find(proposal_keyword_at(i)->name),
				 proposal_keyword_at(i));
	for (size_t i = 0; must[i]; i++)
		assert_non_null(proposal_keyword_find(must[i]));
	assert_null(proposal_keyword_find("AES128"));	/* charon matches case */
	assert_null(proposal_keyword_at(n));
}

/* Every keyword, in a minimal proposal around it, for IKE and for ESP. */
static void test_every_keyword(void **state)
{
	/* integrity algorithms strongSwan has no PRF for */
	static const char *const no_prf[] = { "sha256_96", "sha2_256_96", NULL };
	/* key exchanges that mean "none" */
	static const char *const no_ke[] = { "none", "modpnone", NULL };

	for (size_t i = 0; i < proposal_keyword_count(); i++) {
		const struct proposal_keyword *k = proposal_keyword_at(i);
		const char *kw = k->name;

		if (k->flags & PK_V6) {
			expect3(true, false, "aes128-sha256-", kw, "");
			expect3(false, false, "aes128gcm16-", kw, "");
			continue;
		}
		switch (k->type) {
		case P_ENCR:
			if (k->flags & PK_AEAD) {
				expect3(true, true, "", kw, "-prfsha256-modp2048");
				expect3(true, false, "", kw, "-modp2048");	/* no PRF */
				expect3(true, false, "", kw, "-aes128-prfsha256-sha256-modp2048");
				expect3(false, false, "", kw, "-aes128-sha256");
			} else {
				expect3(true, true, "", kw, "-sha256-modp2048");
				expect3(true, false, "", kw, "-prfsha256-modp2048");	/* no integrity */
				expect3(false, false, "", kw, "-aes128gcm16");
			}
			expect3(false, true, "", kw, "");
			expect3(true, false, "", kw, "-sha256");		/* no DH group */
			break;
		case P_INTEG:
			expect3(true, true, "aes128-", kw, "-prfsha256-modp2048");
			expect3(true, !in(kw, no_prf), "aes128-", kw, "-modp2048");
			expect3(false, true, "aes128-", kw, "");
			expect3(false, false, "", kw, "");		/* no encryption */
			break;
		case P_PRF:
			expect3(true, true, "aes128gcm16-", kw, "-modp2048");
			expect3(false, true, "aes128-sha256-", kw, "");	/* charon drops it */
			expect3(true, false, "", kw, "-modp2048");
			break;
		case P_KE:
			expect3(true, !in(kw, no_ke), "aes128-sha256-", kw, "");
			expect3(false, true, "aes128gcm16-", kw, "");
			break;
		case P_ESN:
			expect3(false, true, "aes128gcm16-", kw, "");
			expect3(true, true, "aes128-sha256-modp2048-", kw, "");
			break;
		}
	}
}

/* Lists, "default", blanks, typos and strongSwan 6 forms. */
static void test_rules(void **state)
{
	static const struct {
		const char *list;
		bool ike, ok;
		const char *cause;	/* part of the cause when refused */
	} cases[] = {
		{ "aes128-sha256-x25519", true, true, NULL },
		{ "aes128gcm128-x25519", false, true, NULL },
		{ "aes256-sha384-x25519, aes128-sha256-modp3072", true, true, NULL },
		{ "default", true, true, NULL },
		{ "DEFAULT", false, true, NULL },
		{ "aes128-sha256_96-modp2048", true, false, "PRF" },
		{ "aes128gcm16-sha256-x25519", true, true, NULL },	/* PRF from sha256 */
		{ "aes128-sha256-none", true, false, "DH group" },
		{ "aes128-sha256-modpnull", true, true, NULL },
		{ "aes257-sha256-modp2048", true, false, "did you mean 'aes256'" },
		{ "aes128-sha256-mlkem768", true, false, "strongSwan 6.0" },
		{ "aes128-sha256-x25519-ke1_mlkem768", true, false, "strongSwan 6.0" },
		{ "aes128-sha256-x25519-ke9_x25519", true, false, "not a strongSwan algorithm" },
		{ "aes128-sha256-x25519, default-aes128", true, false, "'default'" },
		{ "", true, false, "no proposal" },
		{ "-", true, false, "empty element" },
		{ "aes256--modp2048", false, false, "empty element" },
		{ "Aes128-sha256-modp2048", true, false, "did you mean 'aes128'" },
		/* oqlink's own rules on top of charon's */
		{ "aes256-modp2048", false, false, "no integrity algorithm" },
		{ "aes256-sha256-modp2048", false, true, NULL },
		{ "null-sha256", false, false, "'null'" },
		{ "aes256gcm16, camellia256ctr-x25519", false, false, "no integrity algorithm" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *cause = NULL;
		bool ok = proposals_check(cases[i].list, cases[i].ike, &cause);
		if (ok != cases[i].ok)
			fail_msg("proposals_check(%s, %s) = %d (%s)", cases[i].list,
				 cases[i].ike ? "ike" : "esp", ok, cause ? cause : "");
		if (cases[i].cause && (cause == NULL || strstr(cause, cases[i].cause) == NULL))
			fail_msg("proposals_check(%s): cause '%s' lacks '%s'", cases[i].list,
				 cause ? cause : "", cases[i].cause);
		free(cause);
	}
}

/* "did you mean" names a keyword up to two edits away, never three: a
 * far-fetched hint misleads more than none. */
static void test_hint_distance(void **state)
{
	static const struct {
		const char *proposal, *hint;	/* hint NULL: none */
	} cases[] = {
		{ "aes256-sha256-modp", "did you mean 'md5'" },		/* two edits */
		{ "aes256-gcm-modp2048", NULL },			/* three from 'aes' */
		{ "aes256-sha256-xyzzy", NULL },			/* four */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *cause = NULL;
		bool ok = proposal_check(cases[i].proposal, true, &cause);
		assert_false(ok);
		assert_non_null(cause);
		if (cases[i].hint ? strstr(cause, cases[i].hint) == NULL : strstr(cause, "did you mean") != NULL)
			fail_msg("%s: '%s'", cases[i].proposal, cause);
		free(cause);
	}
}

/* charon itself takes what oqlink's rules refuse: the CLI tells the two
 * apart (valid, allowed). */
static void test_policy_beyond_charon(void **state)
{
	static const char *const esp[] = { "aes256-modp2048", "null-sha256", "camellia128" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(esp); i++) {
		char *cause = NULL;
		assert_true(proposal_check(esp[i], false, NULL));
		assert_false(proposal_allowed(esp[i], false, &cause));
		assert_non_null(cause);
		free(cause);
	}
	assert_true(proposal_allowed("aes128gcm128-x25519", false, NULL));
	assert_true(proposal_allowed("default", true, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_every_keyword),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_policy_beyond_charon),
		cmocka_unit_test(test_hint_distance),
	};

	i18n_init();
	i18n_set_lang(OQ_LANG_EN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* provision/: the plan's step sentences in both languages, with the
 * language-neutral states of a step written in the sentence's language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/i18n.h"
#include "core/util.h"
#include "provision/provision.h"

static void test_step_text(void **state)
{
	static const struct {
		enum prov_kind kind;
		const char *object, *from, *to;
		enum oq_lang lang;
		const char *want;
	} cases[] = {
		{ PROV_CHARON_LOAD, "oqlink", "not loaded", "loaded", OQ_LANG_JA,
		  "charon に接続 oqlink を読み込む (未読み込み → 読み込み済み)" },
		{ PROV_CHARON_LOAD, "oqlink", "not loaded", "loaded", OQ_LANG_EN,
		  "load connection oqlink into charon (not loaded → loaded)" },
		{ PROV_CHARON_LOAD, "oqlink", "differs: esp_proposals", "loaded", OQ_LANG_JA,
		  "charon に接続 oqlink を読み込む (相違: esp_proposals → 読み込み済み)" },
		{ PROV_CHARON_LOAD, "oqlink", "?", "loaded", OQ_LANG_EN,
		  "load connection oqlink into charon (? → loaded)" },
		{ PROV_LINK, "wan0", "down", "up, mtu 1500", OQ_LANG_JA,
		  "インターフェース wan0 を設定する (down → up, mtu 1500)" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct prov_step st = { cases[i].kind, xstrdup(cases[i].object), xstrdup(cases[i].from),
					xstrdup(cases[i].to), NULL };
		i18n_set_lang(cases[i].lang);
		char *s = prov_step_text(&st);
		assert_string_equal(s, cases[i].want);
		free(s);
		free(st.object);
		free(st.from);
		free(st.to);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_step_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

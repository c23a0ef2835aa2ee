/* libFuzzer target: the site config parser and validator, then the
 * formatter and a second parse of its output (which must succeed). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	struct site_diags d = { 0 };
	struct site *s;

	memcpy(text, data, size);
	text[size] = '\0';
	i18n_set_lang(size % 2 ? OQ_LANG_JA : OQ_LANG_EN);
	s = site_load_string("fuzz.conf", text, false, &d);
	if (s != NULL) {
		char *f = site_format(s);
		struct site_diags d2 = { 0 };
		struct site *s2 = site_load_string("formatted", f, false, &d2);
		if (s2 == NULL)
			abort();	/* what we write we must read back */
		char *f2 = site_format(s2);
		if (strcmp(f, f2) != 0)
			abort();
		free(f2);
		site_free(s2);
		site_diags_free(&d2);
		free(f);
	}
	site_free(s);
	site_diags_free(&d);
	free(text);
	return 0;
}

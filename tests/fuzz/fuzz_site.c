/* libFuzzer target: the site config parser and validator, then the
 * formatter and a second parse of its output (which must succeed); and
 * the lenient reading of the setup screen with its writer. */
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

	struct site_entries e = { 0 };
	int *lines = NULL;
	size_t n = 0;
	site_free(site_load_entries("fuzz.conf", text, false, &e, NULL));
	char *w = site_entries_format(&e, "# fuzz", &lines, &n);
	for (size_t i = 0; i < n; i++)
		if (lines[i] >= (int)e.n || lines[i] < -1 - (int)e.n)
			abort();	/* every line maps to an entry that exists */
	free(lines);
	free(w);
	site_entries_free(&e);
	free(text);
	return 0;
}

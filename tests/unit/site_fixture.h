/* A test's site from the text of a site.conf (include after cmocka.h). */
#ifndef OQ_TEST_SITE_FIXTURE_H
#define OQ_TEST_SITE_FIXTURE_H

#include "core/site.h"

/* The site text describes, parsed as "t.conf"; NULL with the diagnostics
 * printed as TAP comments when it is refused, which fails the caller's
 * assertion. The caller frees the site. */
static inline struct site *site_from_text(const char *text)
{
	struct site_diags d = { 0 };
	struct site *s = site_load_string("t.conf", text, false, &d);

	if (s == NULL)
		for (size_t i = 0; i < d.n; i++)
			print_message("# %u:%u: %s\n", d.v[i].line, d.v[i].col, d.v[i].message);
	site_diags_free(&d);
	return s;
}

#endif

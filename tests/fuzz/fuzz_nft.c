/* libFuzzer target: the nftables ruleset writer. For any site the parser
 * accepts, the ruleset has exactly the intended rules and verdicts per
 * chain, every interface name in quotes and nothing else outside quotes
 * but nft words, numbers, addresses and our sets (tests/fuzz/nft_shape.h).
 * After a NUL byte, the rest of the input is put into the site by hand as
 * the terminal segment's interface name, as if validation were bypassed:
 * the writer must refuse it exactly when site_ifname_ok() does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "provision/state.h"
#include "tests/fuzz/nft_shape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The ruleset of s has its shape, or the process aborts. */
static void check(const struct site *s)
{
	char *text = NULL, *hash = NULL, *cause = NULL;
	struct nft_shape got, want;
	bool names_ok = site_ifname_ok(s->wan_if) && site_ifname_ok(s->lan_if) &&
			(s->segment != SITE_SEGMENT_SEPARATE || s->term_if == NULL ||
			 site_ifname_ok(s->term_if));
	int r = nft_ruleset(s, &text, &hash, &cause);

	if ((r == 0) != names_ok)
		abort();
	if (r == 0) {
		if (nft_shape_read(text, s, &got) != NULL)
			abort();
		nft_shape_expect(s, &want);
		if (memcmp(&got, &want, sizeof(got)) != 0)
			abort();
	} else if (text != NULL || hash != NULL || cause == NULL) {
		abort();
	}
	free(text);
	free(hash);
	free(cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	const char *raw = NULL;
	struct site_diags d = { 0 };
	struct site *s;

	memcpy(text, data, size);
	text[size] = '\0';
	if (strlen(text) < size)
		raw = text + strlen(text) + 1;
	i18n_set_lang(OQ_LANG_EN);
	s = site_load_string("fuzz.conf", text, false, &d);
	if (s != NULL) {
		check(s);
		if (raw != NULL) {
			free(s->term_if);
			s->term_if = xstrdup(raw);
			s->segment = SITE_SEGMENT_SEPARATE;
			check(s);
		}
	}
	site_free(s);
	site_diags_free(&d);
	free(text);
	return 0;
}

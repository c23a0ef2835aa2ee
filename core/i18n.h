/* Japanese and English for every user-facing string.
 *
 * Every sentence a user reads is written as a pair, Japanese first, and goes
 * through _() (or the bilingual struct bitext where both languages are data,
 * as in probe results and reports). Never build a sentence from fragments:
 * use one format string per language with the same conversions in the same
 * order. */
#ifndef OQ_I18N_H
#define OQ_I18N_H

#include <stdbool.h>

enum oq_lang { OQ_LANG_JA = 0, OQ_LANG_EN = 1 };

/* A sentence in both languages; both point to static or owned strings as the
 * holder documents. */
struct bitext {
	const char *ja;
	const char *en;
};

/* Pick the language from the first set of LANGUAGE, LC_ALL, LC_MESSAGES and
 * LANG: a value starting with "en" gives English, anything else (ja_JP, C,
 * C.UTF-8, POSIX) or nothing Japanese (users read Japanese first). Also sets
 * a UTF-8 LC_CTYPE. */
void i18n_init(void);
void i18n_set_lang(enum oq_lang lang);
enum oq_lang i18n_lang(void);
/* Parse "ja" or "en"; false for anything else. */
bool i18n_parse_lang(const char *s, enum oq_lang *out);
const char *i18n_lang_name(enum oq_lang lang);

/* The string of the current language. Both arguments are format-checked. */
const char *i18n_pick(const char *ja, const char *en)
	__attribute__((format_arg(1), format_arg(2)));
/* The string of the given language from a pair (falls back to the other one
 * when empty). */
const char *bitext_get(struct bitext t, enum oq_lang lang);

/* A unit of measure as lang writes it after a number: "days" is "日" in
 * Japanese, "bytes" "バイト"; a unit the table does not know is returned as
 * given (never NULL for a non-NULL unit). */
const char *i18n_unit(const char *unit, enum oq_lang lang);

/* The sentence of an errno value in the current language: Japanese for the
 * errors a user meets (files, permissions, the network), the C library's
 * own text otherwise. Static string. */
const char *i18n_strerror(int err);

#define _(ja, en) i18n_pick((ja), (en))
#define BT(ja, en) ((struct bitext){ (ja), (en) })

#endif

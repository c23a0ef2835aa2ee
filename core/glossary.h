/* The glossary: one Japanese word for each term, with its English, and the
 * variants that must not appear in anything a user reads (sources' strings,
 * the manual). tests/unit/test_glossary.c holds the tree to it. */
#ifndef OQ_GLOSSARY_H
#define OQ_GLOSSARY_H

#include <stddef.h>

/* A spelling not to use: text, unless what follows it starts with
 * unless_next (so that "ルータ" alone is refused, "ルーター" is not). */
struct glossary_variant {
	const char *text;
	const char *unless_next;	/* may be NULL */
};

#define GLOSSARY_MAX_VARIANTS 4

struct glossary_term {
	const char *ja;			/* the word to use */
	const char *en;
	struct glossary_variant variants[GLOSSARY_MAX_VARIANTS];	/* text NULL ends */
};

/* The terms, sorted by English; *n gets how many. Static data. */
const struct glossary_term *glossary_terms(size_t *n);

/* The first forbidden variant in s: returns its byte offset in s and sets
 * *term and *variant (pointing into the table), or returns -1. */
long glossary_find(const char *s, const struct glossary_term **term,
		   const struct glossary_variant **variant);

#endif

/* core/glossary: one word per term. Every string literal of the sources and
 * every line of the manual is held to the glossary: a forbidden variant
 * anywhere a user may read it fails, with its file and line. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/glossary.h"
#include "core/util.h"

static void test_find(void **state)
{
	static const struct {
		const char *in;
		const char *variant;	/* NULL: nothing forbidden */
		long at;
	} cases[] = {
		{ "ONU/ルータの電源", "ルータ", 4 },
		{ "ONU/ルーターの電源", NULL, -1 },
		{ "CE ルータ", "ルータ", 3 },
		{ "WAN のインタフェース名", "インタフェース", 7 },
		{ "WAN のインターフェース名", NULL, -1 },
		{ "作業担当者と立会者", NULL, -1 },
		{ "作業者と立会人", "作業者", 0 },
		{ "立会人", "立会人", 0 },
		{ "TLS の握手", "握手", 7 },
		{ "中央側プレフィクス", "プレフィクス", 9 },
		{ "", NULL, -1 },
	};
	const struct glossary_term *t = NULL;
	const struct glossary_variant *v = NULL;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		long at = glossary_find(cases[i].in, &t, &v);
		if (at != cases[i].at)
			fail_msg("'%s': at %ld, want %ld", cases[i].in, at, cases[i].at);
		if (cases[i].variant)
			assert_string_equal(v->text, cases[i].variant);
	}
}

/* Every term's word is itself allowed, and the table is sorted by English. */
static void test_table(void **state)
{
	size_t n;
	const struct glossary_term *terms = glossary_terms(&n), *t;
	const struct glossary_variant *v;

	(void)state;
	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		if (glossary_find(terms[i].ja, &t, &v) >= 0)
			fail_msg("the glossary's own '%s' contains the variant '%s'", terms[i].ja, v->text);
		if (i > 0 && strcasecmp(terms[i - 1].en, terms[i].en) >= 0)
			fail_msg("glossary not sorted: '%s' before '%s'", terms[i - 1].en, terms[i].en);
		assert_non_null(terms[i].variants[0].text);
	}
}

static size_t hits;

/* Report a forbidden variant in text (from path, line) and count it. */
static void check(const char *path, unsigned line, const char *text)
{
	const struct glossary_term *t;
	const struct glossary_variant *v;

	if (glossary_find(text, &t, &v) >= 0) {
		print_error("%s:%u: '%s' where the glossary says '%s' (%s)\n", path, line, v->text,
			    t->ja, t->en);
		hits++;
	}
}

/* Check the string literals of a C file; adjacent literals are one string. */
static void scan_c(const char *path)
{
	char *src = NULL, *cause = NULL, *run = NULL;
	size_t len = 0, runlen = 0;
	unsigned line = 1, run_line = 1;
	FILE *m = NULL;

	assert_int_equal(file_read(path, 4 << 20, &src, NULL, &cause), 0);
	for (const char *p = src; *p; p++) {
		if (*p == '\n')
			line++;
		if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			if (*p)
				p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '/') {
			while (p[1] && p[1] != '\n')
				p++;
			continue;
		}
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				p += *p == '\\' && p[1];
			continue;
		}
		if (*p == '"') {
			if (m == NULL) {
				m = open_memstream(&run, &runlen);
				run_line = line;
			}
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1]) {
					p++;
					continue;
				}
				line += *p == '\n';
				fputc(*p, m);
			}
			continue;
		}
		if (m != NULL && *p != ' ' && *p != '\t' && *p != '\n') {
			fclose(m);
			check(path, run_line, run);
			free(run);
			m = NULL;
		}
	}
	if (m != NULL) {
		fclose(m);
		check(path, run_line, run);
		free(run);
	}
	(void)len;
	free(src);
}

/* Check every line of a document. */
static void scan_doc(const char *path)
{
	char *doc = NULL, *cause = NULL, *save = NULL;
	unsigned line = 0;

	assert_int_equal(file_read(path, 4 << 20, &doc, NULL, &cause), 0);
	for (char *l = doc, *nl; l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = '\0';
		line++;
		check(path, line, l);
	}
	(void)save;
	free(doc);
}

static bool ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && strcmp(s + a - b, end) == 0;
}

/* Every .c and .h of dir (not the glossary itself), or every .md. */
static size_t scan_dir(const char *dir, bool docs)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t files = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char *path = xasprintf("%s/%s", dir, e->d_name);
		if (docs && (ends_with(e->d_name, ".md") || ends_with(e->d_name, ".8"))) {
			scan_doc(path);
			files++;
		} else if (!docs && (ends_with(e->d_name, ".c") || ends_with(e->d_name, ".h")) &&
			   strcmp(path, "core/glossary.c") != 0) {
			scan_c(path);
			files++;
		}
		free(path);
	}
	closedir(d);
	return files;
}

/* The sources' strings (every _(), BT() and format string) and the manual
 * use the glossary's words only. */
static void test_tree(void **state)
{
	static const char *const modules[] = { "core", "ipsec", "provision", "probes", "report",
					       "monitor", "tui", "cli" };
	size_t files = 0;

	(void)state;
	hits = 0;
	for (size_t i = 0; i < ARRAY_SIZE(modules); i++)
		files += scan_dir(modules[i], false);
	files += scan_dir("docs", true);
	scan_doc("README.md");
	assert_true(files > 50);
	if (hits)
		fail_msg("%zu forbidden variants (listed above)", hits);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* cli/: the one option parser and the help it makes from a command's table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "core/i18n.h"
#include "core/util.h"

static const char *const forms[] = { "html", "json", "text", NULL };

/* One option of every kind. */
static const struct cli_option opts[] = {
	{ .name = "quiet", .letter = 'q', .help = BT("静か", "quiet") },
	{ .name = "level", .letter = 'l', .arg = CLI_ARG_INT, .min = 0, .max = 4,
	  .help = BT("水準", "level") },
	{ .name = "timeout", .letter = 't', .arg = CLI_ARG_DURATION, .min = 1000, .max = 600000,
	  .unit_ms = 1000, .help = BT("期限", "time limit") },
	{ .name = "wait", .arg = CLI_ARG_DURATION, .min = 0, .max = 60000, .unit_ms = 1,
	  .help = BT("待ち", "wait") },
	{ .name = "since", .arg = CLI_ARG_DURATION, .min = 0, .max = 86400000,
	  .help = BT("以降", "since") },
	{ .name = "print", .arg = CLI_ARG_ENUM, .words = forms, .help = BT("形式", "form") },
	{ .name = "out", .letter = 'o', .arg = CLI_ARG_PATH, .meta = "DIR",
	  .help = BT("出力先", "where") },
	{ .name = "note", .arg = CLI_ARG_STRING, .help = BT("特記", "note") },
	{ .name = "confirm", .arg = CLI_ARG_DURATION, .min = 5000, .max = 86400000, .unit_ms = 1000,
	  .implied = "300", .flags = CLI_OPT_OPTIONAL, .help = BT("確認", "confirm") },
	{ .name = "verbose", .letter = 'v', .help = BT("詳しく", "more") },
	{ .name = NULL },
};

#define MAX_WORDS 8

struct parse_case {
	const char *argv[MAX_WORDS];	/* after the command's name */
	bool in_order;
	int ret;
	const char *cause;		/* a part of the sentence on failure */
	const char *name;		/* an option to look at on success */
	const char *value;		/* its value, NULL: not given */
	long long num;			/* its number */
	const char *operands;		/* the operands, joined by "|" */
};

static const struct parse_case cases[] = {
	/* operands, before and after options */
	{ { "a", "--quiet", "b" }, false, 0, NULL, "quiet", NULL, 0, "a|b" },
	{ { "a", "--quiet", "b" }, true, 0, NULL, "quiet", NULL, 0, "a|--quiet|b" },
	{ { "--quiet", "--", "--level" }, false, 0, NULL, "level", NULL, 0, "--level" },
	{ { "-", "x" }, false, 0, NULL, "quiet", NULL, 0, "-|x" },
	/* integers: both ends, just outside, not a number */
	{ { "--level", "0" }, false, 0, NULL, "level", "0", 0, "" },
	{ { "-l4" }, false, 0, NULL, "level", "4", 4, "" },
	{ { "--level=2" }, false, 0, NULL, "level", "2", 2, "" },
	{ { "--level", "5" }, false, -EINVAL, "--level takes a whole number from 0 to 4: '5'", NULL, NULL, 0, NULL },
	{ { "--level", "-1" }, false, -EINVAL, "0 to 4: '-1'", NULL, NULL, 0, NULL },
	{ { "--level", "" }, false, -EINVAL, "0 to 4: ''", NULL, NULL, 0, NULL },
	{ { "--level", "2x" }, false, -EINVAL, "0 to 4: '2x'", NULL, NULL, 0, NULL },
	{ { "--level", "99999999999999999999" }, false, -EINVAL, "'99999999999999999999'", NULL, NULL, 0, NULL },
	/* lengths of time: units, the bare number's unit, range */
	{ { "--timeout", "5s" }, false, 0, NULL, "timeout", "5s", 5000, "" },
	{ { "-t", "15" }, false, 0, NULL, "timeout", "15", 15000, "" },
	{ { "--timeout", "1500ms" }, false, 0, NULL, "timeout", "1500ms", 1500, "" },
	{ { "--timeout", "10m" }, false, 0, NULL, "timeout", "10m", 600000, "" },
	{ { "--timeout", "601" }, false, -EINVAL, "--timeout takes a length of time from 1s to 10m", NULL, NULL, 0, NULL },
	{ { "--timeout", "999ms" }, false, -EINVAL, "a bare number is seconds): '999ms'", NULL, NULL, 0, NULL },
	{ { "--timeout", "abc" }, false, -EINVAL, "'abc'", NULL, NULL, 0, NULL },
	{ { "--timeout", "-5s" }, false, -EINVAL, "'-5s'", NULL, NULL, 0, NULL },
	{ { "--timeout", "5x" }, false, -EINVAL, "'5x'", NULL, NULL, 0, NULL },
	{ { "--wait", "0" }, false, 0, NULL, "wait", "0", 0, "" },
	{ { "--wait", "250" }, false, 0, NULL, "wait", "250", 250, "" },
	{ { "--wait", "2m" }, false, -EINVAL, "a bare number is milliseconds): '2m'", NULL, NULL, 0, NULL },
	{ { "--since", "24h" }, false, 0, NULL, "since", "24h", 86400000, "" },
	{ { "--since", "24" }, false, -EINVAL, "with its unit (such as 90s, 30m, 24h or 7d): '24'", NULL, NULL, 0, NULL },
	{ { "--since", "2d" }, false, -EINVAL, "from 0s to 1d", NULL, NULL, 0, NULL },
	/* words */
	{ { "--print", "json" }, false, 0, NULL, "print", "json", 0, "" },
	{ { "--print", "pdf" }, false, -EINVAL, "--print takes one of html, json, text: 'pdf'", NULL, NULL, 0, NULL },
	/* paths and text */
	{ { "-o", "/tmp/x", "y" }, false, 0, NULL, "out", "/tmp/x", 0, "y" },
	{ { "--out=" }, false, -EINVAL, "--out needs a path", NULL, NULL, 0, NULL },
	{ { "--note", "" }, false, 0, NULL, "note", "", 0, "" },
	{ { "--note", "--quiet" }, false, 0, NULL, "note", "--quiet", 0, "" },
	/* an optional value: left out, the next word, after = */
	{ { "--confirm" }, false, 0, NULL, "confirm", "300", 300000, "" },
	{ { "--confirm", "60" }, false, 0, NULL, "confirm", "60", 60000, "" },
	{ { "--confirm=2m" }, false, 0, NULL, "confirm", "2m", 120000, "" },
	{ { "--confirm", "now" }, false, 0, NULL, "confirm", "300", 300000, "now" },
	{ { "--confirm", "4" }, false, -EINVAL, "from 5s to 1d", NULL, NULL, 0, NULL },
	/* mistakes */
	{ { "--timeout" }, false, -EINVAL, "--timeout needs a value (DURATION)", NULL, NULL, 0, NULL },
	{ { "-o" }, false, -EINVAL, "--out needs a value (DIR)", NULL, NULL, 0, NULL },
	{ { "--bogus" }, false, -EINVAL, "'cmd' has no option '--bogus'; see 'oqlink help cmd'", NULL, NULL, 0, NULL },
	{ { "-x" }, false, -EINVAL, "'cmd' has no option '-x'", NULL, NULL, 0, NULL },
	{ { "--quiet=yes" }, false, -EINVAL, "'--quiet=yes'", NULL, NULL, 0, NULL },
	/* a unique prefix of a long name is that option */
	{ { "--time", "5" }, false, 0, NULL, "timeout", "5", 5000, "" },
};

/* A writable copy of words, after the command's name "cmd", in argv (of
 * at least MAX_WORDS + 2); returns argc. Free with free_words. */
static int make_argv(const char *name, const char *const *words, size_t n, char **argv)
{
	int argc = 0;

	argv[argc++] = xstrdup(name);
	for (size_t k = 0; k < n && words[k]; k++)
		argv[argc++] = xstrdup(words[k]);
	argv[argc] = NULL;
	return argc;
}

static void free_words(char **copy, int argc)
{
	for (int i = 0; i < argc; i++)
		free(copy[i]);
}

/* Whether the option called name takes a number or a length of time. */
static bool is_number(const char *name)
{
	for (size_t i = 0; opts[i].name; i++)
		if (strcmp(opts[i].name, name) == 0)
			return opts[i].arg == CLI_ARG_INT || opts[i].arg == CLI_ARG_DURATION;
	return false;
}

/* Every case of the table: the result, the value, the operands. */
static void test_parse_table(void **state)
{
	i18n_set_lang(OQ_LANG_EN);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct parse_case *c = &cases[i];
		char *argv[MAX_WORDS + 2], *copy[MAX_WORDS + 2], *cause = NULL, ops[256] = "";
		int argc = make_argv("cmd", c->argv, MAX_WORDS, argv);
		struct cli_args a;

		memcpy(copy, argv, sizeof(argv));	/* the parser reorders argv */
		int r = cli_parse("cmd", opts, c->in_order, argc, argv, &a, &cause);
		if (r != c->ret)
			fail_msg("case %zu (%s): %d, want %d (%s)", i, c->argv[0], r, c->ret,
				 cause ? cause : "");
		if (r < 0) {
			if (cause == NULL || strstr(cause, c->cause) == NULL)
				fail_msg("case %zu: '%s' lacks '%s'", i, cause ? cause : "(null)", c->cause);
			free(cause);
			free_words(copy, argc);
			continue;
		}
		assert_null(cause);
		assert_string_equal(a.argv[0], "cmd");
		for (int k = 1; k < a.argc; k++)
			snprintf(ops + strlen(ops), sizeof(ops) - strlen(ops), "%s%s", k > 1 ? "|" : "",
				 a.argv[k]);
		if (strcmp(ops, c->operands) != 0)
			fail_msg("case %zu: operands '%s', want '%s'", i, ops, c->operands);
		const char *v = cli_args_get(&a, c->name);
		if ((v == NULL) != (c->value == NULL) || (v && strcmp(v, c->value) != 0))
			fail_msg("case %zu: --%s = '%s', want '%s'", i, c->name, v ? v : "(none)",
				 c->value ? c->value : "(none)");
		if (c->value && is_number(c->name) && cli_args_num(&a, c->name, -7) != c->num)
			fail_msg("case %zu: --%s = %lld, want %lld", i, c->name,
				 cli_args_num(&a, c->name, -7), c->num);
		free_words(copy, argc);
	}
}

/* --help, repeats, and which of two options came last. */
static void test_parse_flags(void **state)
{
	static const char *const words[] = { "-vv", "--quiet", "--level", "3", "--verbose", "--help" };
	char *argv[MAX_WORDS + 2], *copy[MAX_WORDS + 2];
	int argc = make_argv("cmd", words, ARRAY_SIZE(words), argv);
	struct cli_args a;
	char *cause = NULL;

	memcpy(copy, argv, sizeof(argv));
	assert_int_equal(cli_parse("cmd", opts, false, argc, argv, &a, &cause), 0);
	assert_true(a.help);
	assert_int_equal(cli_args_count(&a, "verbose"), 3);
	assert_true(cli_args_order(&a, "level") > cli_args_order(&a, "quiet"));
	assert_int_equal(cli_args_order(&a, "timeout"), 0);
	assert_false(cli_args_has(&a, "timeout"));
	assert_int_equal(cli_args_num(&a, "timeout", 42), 42);
	assert_int_equal(a.argc, 1);
	free_words(copy, argc);
}

/* A command without options takes operands and --help, and nothing else. */
static void test_parse_none(void **state)
{
	static const char *const good[] = { "x", "--help" }, *const bad[] = { "--json" };
	char *argv[MAX_WORDS + 2], *copy[MAX_WORDS + 2];
	int argc = make_argv("plan", good, ARRAY_SIZE(good), argv);
	struct cli_args a;
	char *cause = NULL;

	i18n_set_lang(OQ_LANG_EN);
	memcpy(copy, argv, sizeof(argv));
	assert_int_equal(cli_parse("plan", NULL, false, argc, argv, &a, &cause), 0);
	assert_true(a.help);
	assert_int_equal(a.argc, 2);
	assert_string_equal(a.argv[1], "x");
	free_words(copy, argc);
	argc = make_argv("plan", bad, ARRAY_SIZE(bad), argv);
	memcpy(copy, argv, sizeof(argv));
	assert_int_equal(cli_parse("plan", NULL, false, argc, argv, &a, &cause), -EINVAL);
	assert_non_null(strstr(cause, "'plan' has no option '--json'"));
	free(cause);
	free_words(copy, argc);
}

/* The messages exist in Japanese too, naming the option and the value. */
static void test_parse_japanese(void **state)
{
	static const char *const words[] = { "--timeout", "abc" };
	char *argv[MAX_WORDS + 2];
	int argc = make_argv("cmd", words, ARRAY_SIZE(words), argv);
	struct cli_args a;
	char *cause = NULL;

	i18n_set_lang(OQ_LANG_JA);
	assert_int_equal(cli_parse("cmd", opts, false, argc, argv, &a, &cause), -EINVAL);
	assert_non_null(strstr(cause, "--timeout は 1s から 10m の時間です"));
	assert_non_null(strstr(cause, "'abc'"));
	free(cause);
	free_words(argv, argc);	/* not reordered: it failed at the first word */
	i18n_set_lang(OQ_LANG_EN);
}

/* The help of an option says its value, range and the bare number's unit. */
static void test_option_help(void **state)
{
	char *s;

	s = cli_option_spec(&opts[2]);
	assert_string_equal(s, "-t, --timeout DURATION");
	free(s);
	s = cli_option_spec(&opts[8]);
	assert_string_equal(s, "    --confirm [DURATION]");
	free(s);
	s = cli_option_help(&opts[2], OQ_LANG_EN);
	assert_string_equal(s, "time limit (1s to 10m; a bare number is seconds)");
	free(s);
	s = cli_option_help(&opts[3], OQ_LANG_JA);
	assert_string_equal(s, "待ち (0s〜1m、単位のない数はミリ秒)");
	free(s);
	s = cli_option_help(&opts[1], OQ_LANG_EN);
	assert_string_equal(s, "level (0 to 4)");
	free(s);
	s = cli_usage_options(opts);
	assert_non_null(strstr(s, "[--quiet] [--level N] [--timeout DURATION]"));
	assert_non_null(strstr(s, "[--print html|json|text] [--out DIR]"));
	assert_non_null(strstr(s, "[--confirm [DURATION]]"));
	free(s);
}

/* A hidden option is parsed like any other but named by no usage line;
 * a table of hidden options only shows none. */
static void test_hidden(void **state)
{
	static const struct cli_option t[] = {
		{ .name = "inner", .arg = CLI_ARG_PATH, .flags = CLI_OPT_HIDDEN, .help = BT("内", "in") },
		{ .name = "outer", .help = BT("外", "out") },
		{ .name = NULL },
	};
	static const char *const words[] = { "--inner", "/x", "--outer" };
	char *argv[MAX_WORDS + 2], *copy[MAX_WORDS + 2];
	int argc = make_argv("cmd", words, ARRAY_SIZE(words), argv);
	struct cli_args a;
	char *cause = NULL, *s;

	(void)state;
	memcpy(copy, argv, sizeof(argv));
	assert_int_equal(cli_parse("cmd", t, false, argc, argv, &a, &cause), 0);
	assert_string_equal(cli_args_get(&a, "inner"), "/x");
	assert_true(cli_args_has(&a, "outer"));
	free_words(copy, argc);
	s = cli_usage_options(t);
	assert_string_equal(s, "[--outer]");
	free(s);
	assert_true(cli_options_shown(t));
	assert_false(cli_options_shown(NULL));
	{
		static const struct cli_option only[] = {
			{ .name = "inner", .flags = CLI_OPT_HIDDEN, .help = BT("内", "in") },
			{ .name = NULL },
		};
		s = cli_usage_options(only);
		assert_string_equal(s, "");
		free(s);
		assert_false(cli_options_shown(only));
	}
}

/* Every table of the program: names unique, letters unique, within the
 * size of struct cli_args, and every kind with what it needs. */
static void test_tables(void **state)
{
	for (unsigned c = 0; c <= cli_n_commands; c++) {
		const struct cli_option *t = c < cli_n_commands ? cli_commands[c].options
								: cli_global_options;
		size_t n = 0;
		for (; t && t[n].name; n++) {
			const struct cli_option *o = &t[n];
			if (*bitext_get(o->help, OQ_LANG_JA) == '\0' || *bitext_get(o->help, OQ_LANG_EN) == '\0')
				fail_msg("--%s has no help in both languages", o->name);
			assert_false(o->arg == CLI_ARG_ENUM && o->words == NULL);
			assert_false((o->arg == CLI_ARG_INT || o->arg == CLI_ARG_DURATION) && o->min > o->max);
			assert_false((o->flags & CLI_OPT_OPTIONAL) && o->implied == NULL);
			if (c < cli_n_commands)	/* every command has --help of its own */
				assert_string_not_equal(o->name, "help");
			for (size_t k = 0; k < n; k++) {
				assert_string_not_equal(t[k].name, o->name);
				assert_false(o->letter && t[k].letter == o->letter);
			}
		}
		assert_true(n <= CLI_MAX_OPTIONS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_flags),
		cmocka_unit_test(test_parse_none),
		cmocka_unit_test(test_parse_japanese),
		cmocka_unit_test(test_option_help),
		cmocka_unit_test(test_hidden),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The options of every command, parsed by one function from the tables in
 * cli/commands.c, and the help lines made from the same tables. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/util.h"

/* getopt_long's value for the option at index i of a table; 1 is --help. */
#define VAL_BASE 256
#define VAL_HELP 1

__attribute__((format_arg(2), format_arg(3)))
static const char *lang_pick(enum oq_lang lang, const char *ja, const char *en)
{
	return lang == OQ_LANG_JA ? ja : en;
}

/* The number of entries of a table (NULL: none). */
static size_t count_options(const struct cli_option *opts)
{
	size_t n = 0;

	while (opts && opts[n].name)
		n++;
	return n;
}

/* The words of an enum joined by sep, into a new string. */
static char *join_words(const char *const *words, const char *sep)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);

	for (size_t i = 0; words[i]; i++)
		fprintf(m, "%s%s", i ? sep : "", words[i]);
	fclose(m);
	return s;
}

/* How the value of o is named in usage and help; a new string. */
static char *meta_of(const struct cli_option *o)
{
	if (o->meta)
		return xstrdup(o->meta);
	switch (o->arg) {
	case CLI_ARG_PATH: return xstrdup("PATH");
	case CLI_ARG_INT: return xstrdup("N");
	case CLI_ARG_DURATION: return xstrdup("DURATION");
	case CLI_ARG_ENUM: return join_words(o->words, "|");
	default: return xstrdup("TEXT");
	}
}

/* Check value against what o takes and put its number in *num; returns 0
 * or -EINVAL with *cause naming the option and the value. */
static int take_value(const struct cli_option *o, const char *value, long long *num,
		      char **cause)
{
	char lo[32], hi[32], *end;
	int64_t ms;

	switch (o->arg) {
	case CLI_ARG_PATH:
		if (*value == '\0')
			return cause_set(cause, EINVAL, _("--%s にはパスを書いてください",
							  "--%s needs a path"), o->name);
		return 0;
	case CLI_ARG_INT:
		errno = 0;
		*num = strtoll(value, &end, 10);
		if (*value == '\0' || *end || errno || *num < o->min || *num > o->max)
			return cause_set(cause, EINVAL, _("--%s は %lld から %lld の整数です: '%s'",
							  "--%s takes a whole number from %lld to %lld: '%s'"),
					 o->name, o->min, o->max, value);
		return 0;
	case CLI_ARG_DURATION:
		if (parse_duration_ms(value, o->unit_ms, o->min, o->max, &ms) == 0) {
			*num = ms;
			return 0;
		}
		duration_str(o->min, lo, sizeof(lo));
		duration_str(o->max, hi, sizeof(hi));
		if (o->unit_ms == 1000)
			return cause_set(cause, EINVAL,
					 _("--%s は %s から %s の時間です (5s、300ms、2m、1h のように書きます。単位のない数は秒です): '%s'",
					   "--%s takes a length of time from %s to %s (such as 5s, 300ms, 2m or 1h; a bare number is seconds): '%s'"),
					 o->name, lo, hi, value);
		if (o->unit_ms == 1)
			return cause_set(cause, EINVAL,
					 _("--%s は %s から %s の時間です (5s、300ms、2m、1h のように書きます。単位のない数はミリ秒です): '%s'",
					   "--%s takes a length of time from %s to %s (such as 5s, 300ms, 2m or 1h; a bare number is milliseconds): '%s'"),
					 o->name, lo, hi, value);
		return cause_set(cause, EINVAL,
				 _("--%s は %s から %s の時間です (90s、30m、24h、7d のように単位をつけて書きます): '%s'",
				   "--%s takes a length of time from %s to %s, with its unit (such as 90s, 30m, 24h or 7d): '%s'"),
				 o->name, lo, hi, value);
	case CLI_ARG_ENUM:
		for (size_t i = 0; o->words[i]; i++)
			if (strcmp(o->words[i], value) == 0)
				return 0;
		{
			char *all = join_words(o->words, _("、", ", "));
			int r = cause_set(cause, EINVAL, _("--%s は %s のいずれかです: '%s'",
							   "--%s takes one of %s: '%s'"), o->name, all, value);
			free(all);
			return r;
		}
	default:
		return 0;
	}
}

/* The index in opts of getopt_long's ch, or -1. */
static int index_of(const struct cli_option *opts, size_t n, int ch)
{
	if (ch >= VAL_BASE && (size_t)(ch - VAL_BASE) < n)
		return ch - VAL_BASE;
	for (size_t i = 0; i < n; i++)
		if (opts[i].letter && opts[i].letter == ch)
			return (int)i;
	return -1;
}

/* The sentence for an option getopt_long did not know (ch '?') or whose
 * value is missing (ch ':'). */
static int parse_error(const char *cmd, const struct cli_option *opts, size_t n, int ch,
		       char **argv, char **cause)
{
	char word[64];
	int i = index_of(opts, n, optopt);

	if (ch == ':' && i >= 0) {
		char *meta = meta_of(&opts[i]);
		int r = cause_set(cause, EINVAL, _("--%s には値 (%s) が要ります",
						   "--%s needs a value (%s)"), opts[i].name, meta);
		free(meta);
		return r;
	}
	if (optopt > 0 && optopt < VAL_BASE)
		snprintf(word, sizeof(word), "-%c", optopt);
	else
		snprintf(word, sizeof(word), "%s", argv[optind - 1]);
	if (cmd == NULL)
		return cause_set(cause, EINVAL, _("不明なオプション '%s' です。'oqlink help' を見てください",
						  "unknown option '%s'; see 'oqlink help'"), word);
	return cause_set(cause, EINVAL, _("'%s' に '%s' というオプションはありません。'oqlink help %s' を見てください",
					  "'%s' has no option '%s'; see 'oqlink help %s'"), cmd, word, cmd);
}

/* getopt_long's view of a table of n options: the long options (lo, of
 * n + 2) and the short ones (shorts, of 4 + 3 * n). A command also takes
 * --help; a run in order ("+") stops at the first operand. */
static void getopt_tables(const struct cli_option *opts, size_t n, bool in_order,
			  struct option *lo, char *shorts)
{
	size_t k = 0;

	if (in_order)
		shorts[k++] = '+';
	shorts[k++] = ':';	/* a missing value is ':', not '?' */
	for (size_t i = 0; i < n; i++) {
		int has = opts[i].arg == CLI_ARG_NONE ? no_argument :
			  opts[i].flags & CLI_OPT_OPTIONAL ? optional_argument : required_argument;

		lo[i] = (struct option){ opts[i].name, has, NULL, VAL_BASE + (int)i };
		if (opts[i].letter) {
			shorts[k++] = opts[i].letter;
			if (has != no_argument)
				shorts[k++] = ':';
			if (has == optional_argument)
				shorts[k++] = ':';
		}
	}
	shorts[k] = '\0';
	lo[n] = (struct option){ in_order ? NULL : "help", no_argument, NULL, VAL_HELP };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
}

int cli_parse(const char *cmd, const struct cli_option *opts, bool in_order, int argc,
	      char **argv, struct cli_args *out, char **cause)
{
	size_t n = count_options(opts);
	struct option lo[CLI_MAX_OPTIONS + 2];
	char shorts[4 + 3 * CLI_MAX_OPTIONS];
	int ch, order = 0;

	memset(out, 0, sizeof(*out));
	out->opts = opts;
	if (n > CLI_MAX_OPTIONS)
		abort();	/* a table larger than struct cli_args holds */
	getopt_tables(opts, n, in_order, lo, shorts);
	optind = 0;	/* 0, not 1: a full re-initialisation of GNU getopt */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (ch == VAL_HELP) {
			out->help = true;
			continue;
		}
		int i = index_of(opts, n, ch);
		if (ch == '?' || ch == ':' || i < 0)
			return parse_error(cmd, opts, n, ch, argv, cause);
		const char *value = optarg;
		if (value == NULL && (opts[i].flags & CLI_OPT_OPTIONAL)) {
			if (optind < argc && isdigit((unsigned char)argv[optind][0]))
				value = argv[optind++];
			else
				value = opts[i].implied;
		}
		if (value && take_value(&opts[i], value, &out->v[i].num, cause) < 0)
			return -EINVAL;
		out->v[i].count++;
		out->v[i].order = ++order;
		out->v[i].value = value;
	}
	argv[optind - 1] = argv[0];
	out->argv = argv + optind - 1;
	out->argc = argc - optind + 1;
	return 0;
}

/* The index of name in a's table; aborts when it has none. */
static size_t find(const struct cli_args *a, const char *name)
{
	for (size_t i = 0; a->opts && a->opts[i].name; i++)
		if (strcmp(a->opts[i].name, name) == 0)
			return i;
	fprintf(stderr, "oqlink: no option --%s in this command's table\n", name);
	abort();
}

bool cli_args_has(const struct cli_args *a, const char *name)
{
	return a->v[find(a, name)].count > 0;
}

int cli_args_count(const struct cli_args *a, const char *name)
{
	return a->v[find(a, name)].count;
}

int cli_args_order(const struct cli_args *a, const char *name)
{
	return a->v[find(a, name)].order;
}

const char *cli_args_get(const struct cli_args *a, const char *name)
{
	return a->v[find(a, name)].value;
}

long long cli_args_num(const struct cli_args *a, const char *name, long long dflt)
{
	size_t i = find(a, name);

	return a->v[i].count && a->v[i].value ? a->v[i].num : dflt;
}

char *cli_option_spec(const struct cli_option *o)
{
	char *meta = o->arg == CLI_ARG_NONE ? NULL : meta_of(o), *s;
	char letter[8] = "    ";
	bool optional = o->flags & CLI_OPT_OPTIONAL;

	if (o->letter)
		snprintf(letter, sizeof(letter), "-%c, ", o->letter);
	if (meta == NULL)
		s = xasprintf("%s--%s", letter, o->name);
	else
		s = xasprintf(optional ? "%s--%s [%s]" : "%s--%s %s", letter, o->name, meta);
	free(meta);
	return s;
}

/* The range and unit of o's value in lang, into a new string; NULL when
 * it has none to tell. */
static char *option_note(const struct cli_option *o, enum oq_lang lang)
{
	char lo[32], hi[32];

	if (o->arg == CLI_ARG_INT)
		return xasprintf(lang_pick(lang, "%lld〜%lld", "%lld to %lld"), o->min, o->max);
	if (o->arg != CLI_ARG_DURATION)
		return NULL;
	duration_str(o->min, lo, sizeof(lo));
	duration_str(o->max, hi, sizeof(hi));
	if (o->unit_ms == 1000)
		return xasprintf(lang_pick(lang, "%s〜%s、単位のない数は秒",
					   "%s to %s; a bare number is seconds"), lo, hi);
	if (o->unit_ms == 1)
		return xasprintf(lang_pick(lang, "%s〜%s、単位のない数はミリ秒",
					   "%s to %s; a bare number is milliseconds"), lo, hi);
	return xasprintf(lang_pick(lang, "%s〜%s、単位が要ります", "%s to %s; the unit is required"),
			 lo, hi);
}

char *cli_option_help(const struct cli_option *o, enum oq_lang lang)
{
	const char *help = bitext_get(o->help, lang);
	size_t n = strlen(help);
	char *note = option_note(o, lang), *s;

	if (note == NULL)
		s = xstrdup(help);
	else if (n > 0 && help[n - 1] == ')')	/* "(default 60s)": one pair of brackets */
		s = xasprintf("%.*s%s%s)", (int)(n - 1), help, lang_pick(lang, "。", "; "), note);
	else
		s = xasprintf("%s (%s)", help, note);
	free(note);
	if ((o->flags & CLI_OPT_OPTIONAL) && o->implied) {
		char *t = xasprintf(lang_pick(lang, "%s。値を省くと %s", "%s; %s when the value is left out"),
				    s, o->implied);
		free(s);
		s = t;
	}
	return s;
}

bool cli_options_shown(const struct cli_option *opts)
{
	for (size_t i = 0; opts && opts[i].name; i++)
		if (!(opts[i].flags & CLI_OPT_HIDDEN))
			return true;
	return false;
}

void cli_print_options(const struct cli_option *opts)
{
	size_t width = 0, w;

	for (size_t i = 0; opts && opts[i].name; i++) {
		if (opts[i].flags & CLI_OPT_HIDDEN)
			continue;
		char *spec = cli_option_spec(&opts[i]);
		if ((w = str_width(spec)) > width && w <= 30)
			width = w;
		free(spec);
	}
	for (size_t i = 0; opts && opts[i].name; i++) {
		if (opts[i].flags & CLI_OPT_HIDDEN)
			continue;
		char *spec = cli_option_spec(&opts[i]);
		char *help = cli_option_help(&opts[i], i18n_lang());
		if (str_width(spec) > width) {
			printf("  %s\n  %*s  %s\n", spec, (int)width, "", help);
		} else {
			char *pad = str_pad(spec, width);
			printf("  %s  %s\n", pad, help);
			free(pad);
		}
		free(spec);
		free(help);
	}
}

char *cli_usage_options(const struct cli_option *opts)
{
	char *s = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&s, &len);
	bool any = false;

	for (size_t i = 0; opts && opts[i].name; i++) {
		const struct cli_option *o = &opts[i];
		if (o->flags & CLI_OPT_HIDDEN)
			continue;
		const char *sep = any ? " " : "";
		char *meta = o->arg == CLI_ARG_NONE ? NULL : meta_of(o);
		if (meta == NULL)
			fprintf(m, "%s[--%s]", sep, o->name);
		else if (o->flags & CLI_OPT_OPTIONAL)
			fprintf(m, "%s[--%s [%s]]", sep, o->name, meta);
		else
			fprintf(m, "%s[--%s %s]", sep, o->name, meta);
		free(meta);
		any = true;
	}
	fclose(m);
	return s;
}

/* What changed between two visits: verdicts, latencies and days left on
 * certificates, read from two reports in their JSON form. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/util.h"
#include "report/report_int.h"

/* One probe in either report. */
struct diff_probe {
	char *id;
	char *title_ja, *title_en;
	bool in_old, in_new;
	enum probe_verdict old_v, new_v;	/* when in that report */
};

/* One measured value in either report. */
struct diff_value {
	char *probe, *key;
	char *label_ja, *label_en;
	char *unit;
	bool has_old, has_new;
	double old_val, new_val;
};

struct diff_side {
	char *time, *overall, *code, *name;
};

struct report_diff {
	struct diff_side old_s, new_s;
	struct diff_probe *probes;
	size_t n_probes;
	struct diff_value *values;	/* latency (ms) first, then days */
	size_t n_values;
};

/* Which values are compared: the unit says what they are. */
static const struct {
	const char *unit;
	struct bitext title;
} kinds[] = {
	{ "ms", BT("遅延 (ms)", "Latency (ms)") },
	{ "days", BT("電子証明書の有効期限までの日数", "Days to certificate expiry") },
};

static const char *jget_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

static struct json_object *jget(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, t))
		return v;
	return NULL;
}

/* Severity for comparison: a skip is no worse than a pass. */
static enum probe_verdict rank(enum probe_verdict v)
{
	return v == PROBE_SKIP ? PROBE_PASS : v;
}

static struct diff_probe *probe_get(struct report_diff *d, const char *raw_id)
{
	char *id = str_sanitize(raw_id);

	for (size_t i = 0; i < d->n_probes; i++)
		if (strcmp(d->probes[i].id, id) == 0) {
			free(id);
			return &d->probes[i];
		}
	d->probes = xrealloc(d->probes, (d->n_probes + 1) * sizeof(*d->probes));
	d->probes[d->n_probes] = (struct diff_probe){ .id = id };
	return &d->probes[d->n_probes++];
}

static struct diff_value *value_get(struct report_diff *d, const char *probe, const char *raw_key,
				    const char *unit)
{
	char *key = str_sanitize(raw_key);

	for (size_t i = 0; i < d->n_values; i++)
		if (strcmp(d->values[i].probe, probe) == 0 && strcmp(d->values[i].key, key) == 0 &&
		    strcmp(d->values[i].unit, unit) == 0) {
			free(key);
			return &d->values[i];
		}
	d->values = xrealloc(d->values, (d->n_values + 1) * sizeof(*d->values));
	d->values[d->n_values] = (struct diff_value){ .probe = xstrdup(probe), .key = key,
						      .unit = xstrdup(unit) };
	return &d->values[d->n_values++];
}

static bool compared_unit(const char *unit)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strcmp(kinds[i].unit, unit) == 0)
			return true;
	return false;
}

/* Replace *dst by a copy of the label's text in one language. */
static void set_text(char **dst, struct json_object *bt, const char *lang)
{
	const char *s = jget_str(bt, lang);

	if (*s) {
		free(*dst);
		*dst = str_sanitize(s);
	}
}

/* Take the probes and values of one report into d. */
static void take(struct report_diff *d, struct json_object *rep, bool is_new)
{
	struct json_object *probes = jget(rep, "probes", json_type_array);
	size_t n = probes ? json_object_array_length(probes) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(probes, i);
		const char *id = jget_str(p, "id");
		enum probe_verdict v;
		if (*id == '\0')
			continue;
		struct diff_probe *dp = probe_get(d, id);
		if (!probe_verdict_parse(jget_str(p, "verdict"), &v))
			v = PROBE_ERROR;
		*(is_new ? &dp->new_v : &dp->old_v) = v;
		*(is_new ? &dp->in_new : &dp->in_old) = true;
		set_text(&dp->title_ja, jget(p, "title", json_type_object), "ja");
		set_text(&dp->title_en, jget(p, "title", json_type_object), "en");
		struct json_object *vals = jget(p, "values", json_type_array);
		size_t nv = vals ? json_object_array_length(vals) : 0;
		for (size_t k = 0; k < nv; k++) {
			struct json_object *val = json_object_array_get_idx(vals, k), *num;
			const char *unit = jget_str(val, "unit"), *key = jget_str(val, "key");
			if (!compared_unit(unit) || *key == '\0' ||
			    !json_object_object_get_ex(val, "value", &num) ||
			    !(json_object_is_type(num, json_type_double) ||
			      json_object_is_type(num, json_type_int)))
				continue;
			struct diff_value *dv = value_get(d, dp->id, key, unit);
			*(is_new ? &dv->new_val : &dv->old_val) = json_object_get_double(num);
			*(is_new ? &dv->has_new : &dv->has_old) = true;
			set_text(&dv->label_ja, jget(val, "label", json_type_object), "ja");
			set_text(&dv->label_en, jget(val, "label", json_type_object), "en");
		}
	}
}

static void side(struct diff_side *s, struct json_object *rep)
{
	struct json_object *fac = jget(rep, "facility", json_type_object);

	s->time = str_sanitize(jget_str(jget(rep, "generated", json_type_object), "time"));
	s->overall = str_sanitize(jget_str(rep, "overall"));
	s->code = str_sanitize(jget_str(fac, "code"));
	s->name = str_sanitize(jget_str(fac, "name"));
}

/* One field compare reads: its type (json_type_double: any number), and
 * whether it must be there and may be null. */
struct field_rule {
	const char *key;
	enum json_type type;
	bool required, nullable;
};

static const struct field_rule report_rules[] = {
	{ "overall", json_type_string, true, false },
	{ "facility", json_type_object, true, false },
	{ "generated", json_type_object, true, false },
	{ "probes", json_type_array, true, false },
};
static const struct field_rule facility_rules[] = {
	{ "code", json_type_string, false, false },
	{ "name", json_type_string, false, false },
};
static const struct field_rule generated_rules[] = {
	{ "time", json_type_string, false, true },
};
static const struct field_rule probe_rules[] = {
	{ "id", json_type_string, true, false },
	{ "verdict", json_type_string, true, false },
	{ "title", json_type_object, false, true },
	{ "values", json_type_array, false, true },
};
static const struct field_rule value_rules[] = {
	{ "key", json_type_string, true, false },
	{ "unit", json_type_string, false, false },
	{ "value", json_type_double, false, true },
	{ "label", json_type_object, false, true },
};
static const struct field_rule text_rules[] = {
	{ "ja", json_type_string, false, false },
	{ "en", json_type_string, false, false },
};

static const char *type_word(enum json_type t)
{
	switch (t) {
	case json_type_string: return _("文字列", "a string");
	case json_type_object: return _("オブジェクト", "an object");
	case json_type_array: return _("配列", "an array");
	case json_type_double: case json_type_int: return _("数", "a number");
	case json_type_boolean: return _("真偽値", "a boolean");
	default: return "null";
	}
}

/* Check the fields of o against rules; where names the object, as a path
 * ("probes[2]"). Returns 0 or -EINVAL with *cause set. */
static int check_fields(struct json_object *o, const char *where, const struct field_rule *rules,
			size_t n, const char *which, char **cause)
{
	for (size_t i = 0; i < n; i++) {
		const struct field_rule *r = &rules[i];
		struct json_object *v;
		bool there = json_object_object_get_ex(o, r->key, &v);
		enum json_type t = there ? json_object_get_type(v) : json_type_null;
		bool ok = !there ? !r->required :
			  t == json_type_null ? r->nullable :
			  r->type == json_type_double ? t == json_type_double || t == json_type_int :
			  t == r->type;
		if (!ok) {
			char *path = str_sanitize(where);
			int e = there ? cause_set(cause, EINVAL, _("%1$s の %2$s%3$s が%4$sではなく%5$sです",
								  "%1$s: %2$s%3$s is %5$s, not %4$s"),
						  which, path, r->key, type_word(r->type), type_word(t))
				      : cause_set(cause, EINVAL, _("%1$s に %2$s%3$s がありません",
								  "%1$s: %2$s%3$s is missing"),
						  which, path, r->key);
			free(path);
			return e;
		}
	}
	return 0;
}

/* Every field compare reads has its documented type (docs/report.md), and
 * verdicts are verdicts: a malformed report is refused, never read as an
 * empty one. */
static int check_report(struct json_object *rep, const char *which, char **cause)
{
	struct json_object *probes;
	enum probe_verdict v;
	char where[64], sub[80];
	int r;

	if (rep == NULL || !json_object_is_type(rep, json_type_object) ||
	    !report_schema_known(jget_str(rep, "schema")))
		return cause_set(cause, EINVAL,
				 _("%s は oqlink の報告書 (%s) ではありません",
				   "%s is not an oqlink report (%s)"), which, report_schema);
	if ((r = check_fields(rep, "", report_rules, ARRAY_SIZE(report_rules), which, cause)) < 0 ||
	    (r = check_fields(jget(rep, "facility", json_type_object), "facility.", facility_rules,
			      ARRAY_SIZE(facility_rules), which, cause)) < 0 ||
	    (r = check_fields(jget(rep, "generated", json_type_object), "generated.", generated_rules,
			      ARRAY_SIZE(generated_rules), which, cause)) < 0)
		return r;
	if (!probe_verdict_parse(jget_str(rep, "overall"), &v))
		return cause_set(cause, EINVAL, _("%s の overall が判定ではありません",
						  "%s: overall is not a verdict"), which);
	probes = jget(rep, "probes", json_type_array);
	for (size_t i = 0; i < json_object_array_length(probes); i++) {
		struct json_object *p = json_object_array_get_idx(probes, i), *vals;
		snprintf(where, sizeof(where), "probes[%zu]", i);
		if (!json_object_is_type(p, json_type_object))
			return cause_set(cause, EINVAL, _("%1$s の %2$s がオブジェクトではありません",
							  "%1$s: %2$s is not an object"), which, where);
		snprintf(where, sizeof(where), "probes[%zu].", i);
		snprintf(sub, sizeof(sub), "%stitle.", where);
		if ((r = check_fields(p, where, probe_rules, ARRAY_SIZE(probe_rules), which, cause)) < 0 ||
		    (r = check_fields(jget(p, "title", json_type_object), sub, text_rules,
				      ARRAY_SIZE(text_rules), which, cause)) < 0)
			return r;
		if (!probe_verdict_parse(jget_str(p, "verdict"), &v))
			return cause_set(cause, EINVAL, _("%1$s の %2$sverdict が判定ではありません",
							  "%1$s: %2$sverdict is not a verdict"), which, where);
		vals = jget(p, "values", json_type_array);
		for (size_t k = 0; vals && k < json_object_array_length(vals); k++) {
			struct json_object *val = json_object_array_get_idx(vals, k);
			snprintf(where, sizeof(where), "probes[%zu].values[%zu]", i, k);
			if (!json_object_is_type(val, json_type_object))
				return cause_set(cause, EINVAL, _("%1$s の %2$s がオブジェクトではありません",
								  "%1$s: %2$s is not an object"), which, where);
			snprintf(where, sizeof(where), "probes[%zu].values[%zu].", i, k);
			snprintf(sub, sizeof(sub), "%slabel.", where);
			if ((r = check_fields(val, where, value_rules, ARRAY_SIZE(value_rules), which,
					      cause)) < 0 ||
			    (r = check_fields(jget(val, "label", json_type_object), sub, text_rules,
					      ARRAY_SIZE(text_rules), which, cause)) < 0)
				return r;
		}
	}
	return 0;
}

int report_compare(struct json_object *old_report, struct json_object *new_report,
		   struct report_diff **out, char **cause)
{
	struct report_diff *d;
	int r;

	*out = NULL;
	if ((r = check_report(old_report, _("前回の報告書", "the old report"), cause)) < 0 ||
	    (r = check_report(new_report, _("今回の報告書", "the new report"), cause)) < 0)
		return r;
	d = xcalloc(1, sizeof(*d));
	side(&d->old_s, old_report);
	side(&d->new_s, new_report);
	take(d, old_report, false);
	take(d, new_report, true);
	*out = d;
	return 0;
}

void report_diff_free(struct report_diff *d)
{
	if (d == NULL)
		return;
	struct diff_side *sides[] = { &d->old_s, &d->new_s };
	for (size_t i = 0; i < 2; i++) {
		free(sides[i]->time);
		free(sides[i]->overall);
		free(sides[i]->code);
		free(sides[i]->name);
	}
	for (size_t i = 0; i < d->n_probes; i++) {
		free(d->probes[i].id);
		free(d->probes[i].title_ja);
		free(d->probes[i].title_en);
	}
	for (size_t i = 0; i < d->n_values; i++) {
		free(d->values[i].probe);
		free(d->values[i].key);
		free(d->values[i].label_ja);
		free(d->values[i].label_en);
		free(d->values[i].unit);
	}
	free(d->probes);
	free(d->values);
	free(d);
}

bool report_diff_regressed(const struct report_diff *d)
{
	for (size_t i = 0; i < d->n_probes; i++)
		if (d->probes[i].in_old && d->probes[i].in_new &&
		    rank(d->probes[i].new_v) > rank(d->probes[i].old_v))
			return true;
	return false;
}

/* How a probe's verdict moved: a word for the change column. */
static const char *change_word(const struct diff_probe *p, enum oq_lang l)
{
	if (!p->in_old)
		return bitext_get(BT("新規", "new"), l);
	if (!p->in_new)
		return bitext_get(BT("今回なし", "not run"), l);
	if (rank(p->new_v) > rank(p->old_v))
		return bitext_get(BT("悪化", "worse"), l);
	if (rank(p->new_v) < rank(p->old_v))
		return bitext_get(BT("改善", "better"), l);
	return p->new_v == p->old_v ? "" : bitext_get(BT("変化", "changed"), l);
}

static const char *verdict_or_dash(bool present, enum probe_verdict v, enum oq_lang l)
{
	return present ? rp_verdict_word(l, v) : "-";
}

static void cell(FILE *f, const char *s, size_t w)
{
	char *p = str_pad(s, w);

	fputs(p, f);
	free(p);
}

static void value_rows(FILE *f, const struct report_diff *d, const char *unit, enum oq_lang l)
{
	char a[32], b[32], c[32];

	for (size_t i = 0; i < d->n_values; i++) {
		const struct diff_value *v = &d->values[i];
		if (strcmp(v->unit, unit) != 0)
			continue;
		const char *label = l == OQ_LANG_JA ? v->label_ja : v->label_en;
		char *name = xasprintf("%s %s", v->probe, label ? label : v->key);
		fputs("  ", f);
		cell(f, name, 40);
		fputc(' ', f);
		cell(f, v->has_old ? rp_number(v->old_val, a) : "-", 11);
		cell(f, v->has_new ? rp_number(v->new_val, b) : "-", 11);
		if (v->has_old && v->has_new) {
			rp_number(v->new_val - v->old_val, c);
			fprintf(f, "%s%s", v->new_val - v->old_val > 0 && strcmp(c, "0") ? "+" : "", c);
		}
		fputc('\n', f);
		free(name);
	}
}

char *report_diff_text(const struct report_diff *d, enum oq_lang l)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fprintf(f, "%s %s %s\n", bitext_get(BT("医療機関:", "Facility:"), l), d->new_s.code,
		d->new_s.name);
	if (strcmp(d->old_s.code, d->new_s.code) != 0)
		fprintf(f, "%s %s %s\n",
			bitext_get(BT("注意: 前回は別の医療機関です:", "note: the old report is of another facility:"), l),
			d->old_s.code, d->old_s.name);
	fprintf(f, "%s %s  %s\n", bitext_get(BT("前回:", "Old:"), l), d->old_s.time, d->old_s.overall);
	fprintf(f, "%s %s  %s\n", bitext_get(BT("今回:", "New:"), l), d->new_s.time, d->new_s.overall);
	fprintf(f, "\n%s\n  ", bitext_get(BT("判定", "Verdicts"), l));
	cell(f, "ID", 12);
	cell(f, bitext_get(BT("前回", "old"), l), 12);
	cell(f, bitext_get(BT("今回", "new"), l), 12);
	fprintf(f, "%s\n", bitext_get(BT("変化", "change"), l));
	for (size_t i = 0; i < d->n_probes; i++) {
		const struct diff_probe *p = &d->probes[i];
		fputs("  ", f);
		cell(f, p->id, 12);
		cell(f, verdict_or_dash(p->in_old, p->old_v, l), 12);
		cell(f, verdict_or_dash(p->in_new, p->new_v, l), 12);
		fprintf(f, "%s\n", change_word(p, l));
	}
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		bool any = false;
		for (size_t i = 0; i < d->n_values; i++)
			any |= strcmp(d->values[i].unit, kinds[k].unit) == 0;
		if (!any)
			continue;
		fprintf(f, "\n%s\n  ", bitext_get(kinds[k].title, l));
		cell(f, "", 41);
		cell(f, bitext_get(BT("前回", "old"), l), 11);
		cell(f, bitext_get(BT("今回", "new"), l), 11);
		fprintf(f, "%s\n", bitext_get(BT("差", "change"), l));
		value_rows(f, d, kinds[k].unit, l);
	}
	fprintf(f, "\n%s\n", report_diff_regressed(d)
				     ? bitext_get(BT("前回より悪くなった検査があります。", "Some probes got worse since the last visit."), l)
				     : bitext_get(BT("前回より悪くなった検査はありません。", "No probe got worse since the last visit."), l));
	fclose(f);
	return rp_rstrip_lines(out);
}

static struct json_object *jside(const struct diff_side *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "time", json_object_new_string(s->time));
	json_object_object_add(o, "overall", json_object_new_string(s->overall));
	json_object_object_add(o, "facility_code", json_object_new_string(s->code));
	return o;
}

static struct json_object *jverdict(bool present, enum probe_verdict v)
{
	return present ? json_object_new_string(probe_verdict_name(v)) : NULL;
}

struct json_object *report_diff_to_json(const struct report_diff *d)
{
	struct json_object *o = json_object_new_object(), *ps = json_object_new_array();
	struct json_object *vs = json_object_new_array();

	json_object_object_add(o, "schema", json_object_new_string("oqlink.report-diff/1"));
	json_object_object_add(o, "old", jside(&d->old_s));
	json_object_object_add(o, "new", jside(&d->new_s));
	json_object_object_add(o, "regressed", json_object_new_boolean(report_diff_regressed(d)));
	for (size_t i = 0; i < d->n_probes; i++) {
		const struct diff_probe *p = &d->probes[i];
		struct json_object *po = json_object_new_object();
		json_object_object_add(po, "id", json_object_new_string(p->id));
		json_object_object_add(po, "old", jverdict(p->in_old, p->old_v));
		json_object_object_add(po, "new", jverdict(p->in_new, p->new_v));
		json_object_object_add(po, "change",
				       json_object_new_string(change_word(p, OQ_LANG_EN)));
		json_object_array_add(ps, po);
	}
	json_object_object_add(o, "probes", ps);
	for (size_t i = 0; i < d->n_values; i++) {
		const struct diff_value *v = &d->values[i];
		struct json_object *vo = json_object_new_object();
		json_object_object_add(vo, "probe", json_object_new_string(v->probe));
		json_object_object_add(vo, "key", json_object_new_string(v->key));
		json_object_object_add(vo, "unit", json_object_new_string(v->unit));
		json_object_object_add(vo, "old", v->has_old ? json_object_new_double(v->old_val) : NULL);
		json_object_object_add(vo, "new", v->has_new ? json_object_new_double(v->new_val) : NULL);
		json_object_object_add(vo, "change", v->has_old && v->has_new
			? json_object_new_double(v->new_val - v->old_val) : NULL);
		json_object_array_add(vs, vo);
	}
	json_object_object_add(o, "values", vs);
	return o;
}

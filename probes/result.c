/* Probe results: verdicts, building results, and their JSON form
 * (schema "oqlink.probes/1", documented in docs/probes.md). */
#include "probes/probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "core/util.h"

#define PROBE_SCHEMA "oqlink.probes/1"

static const char *const verdict_names[] = {
	[PROBE_PASS] = "PASS",
	[PROBE_SKIP] = "SKIP",
	[PROBE_WARN] = "WARN",
	[PROBE_FAIL] = "FAIL",
	[PROBE_ERROR] = "ERROR",
};

const char *probe_verdict_name(enum probe_verdict v)
{
	if ((unsigned)v >= ARRAY_SIZE(verdict_names))
		return "ERROR";
	return verdict_names[v];
}

bool probe_verdict_parse(const char *s, enum probe_verdict *out)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(verdict_names); i++) {
		if (strcasecmp(s, verdict_names[i]) == 0) {
			*out = (enum probe_verdict)i;
			return true;
		}
	}
	return false;
}

enum probe_verdict probe_verdict_worse(enum probe_verdict a, enum probe_verdict b)
{
	return a >= b ? a : b;
}

/* An owned copy of a bitext; NULL halves stay NULL. */
static struct bitext bitext_dup(struct bitext t)
{
	return BT(t.ja ? xstrdup(t.ja) : NULL, t.en ? xstrdup(t.en) : NULL);
}

static void bitext_free(struct bitext *t)
{
	free((char *)(uintptr_t)t->ja);
	free((char *)(uintptr_t)t->en);
	*t = BT(NULL, NULL);
}

static bool bitext_empty(struct bitext t)
{
	return (t.ja == NULL || *t.ja == '\0') && (t.en == NULL || *t.en == '\0');
}

void probe_result_init(struct probe_result *r, const char *id, struct bitext title)
{
	memset(r, 0, sizeof(*r));
	r->id = xstrdup(id ? id : "");
	r->title = bitext_dup(title);
	r->verdict = PROBE_PASS;
}

void probe_result_set(struct probe_result *r, enum probe_verdict v, struct bitext summary,
		      struct bitext remedy)
{
	bitext_free(&r->summary);
	bitext_free(&r->remedy);
	r->verdict = v;
	r->summary = bitext_dup(summary);
	r->remedy = bitext_dup(remedy);
}

/* Append an empty value slot with its key and label set. */
static struct probe_value *value_add(struct probe_result *r, const char *key,
				     struct bitext label)
{
	struct probe_value *pv;

	r->values = xrealloc(r->values, (r->n_values + 1) * sizeof(*r->values));
	pv = &r->values[r->n_values++];
	memset(pv, 0, sizeof(*pv));
	pv->key = xstrdup(key);
	pv->label = bitext_dup(label);
	return pv;
}

void probe_result_value(struct probe_result *r, const char *key, struct bitext label,
			double value, const char *unit)
{
	struct probe_value *pv = value_add(r, key, label);

	pv->value = value;
	pv->unit = xstrdup(unit ? unit : "");
}

void probe_result_text(struct probe_result *r, const char *key, struct bitext label,
		       const char *text)
{
	struct probe_value *pv = value_add(r, key, label);

	pv->unit = xstrdup("");
	pv->text = xstrdup(text ? text : "");
}

void probe_result_evidence(struct probe_result *r, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		line = xstrdup("?");
	r->evidence = xrealloc(r->evidence, (r->n_evidence + 1) * sizeof(*r->evidence));
	r->evidence[r->n_evidence++] = line;
}

void probe_result_clear(struct probe_result *r)
{
	if (r == NULL)
		return;
	free(r->id);
	bitext_free(&r->title);
	bitext_free(&r->summary);
	bitext_free(&r->remedy);
	free(r->skip_reason_id);
	for (size_t i = 0; i < r->n_values; i++) {
		free(r->values[i].key);
		bitext_free(&r->values[i].label);
		free(r->values[i].unit);
		free(r->values[i].text);
	}
	free(r->values);
	for (size_t i = 0; i < r->n_evidence; i++)
		free(r->evidence[i]);
	free(r->evidence);
	memset(r, 0, sizeof(*r));
}

void probe_run_free(struct probe_run *run)
{
	if (run == NULL)
		return;
	for (size_t i = 0; i < run->n; i++)
		probe_result_clear(&run->results[i]);
	free(run->results);
	memset(run, 0, sizeof(*run));
}

/* ---- JSON out ---- */

static struct json_object *bitext_to_json(struct bitext t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ja", json_object_new_string(t.ja ? t.ja : ""));
	json_object_object_add(o, "en", json_object_new_string(t.en ? t.en : ""));
	return o;
}

static struct json_object *value_to_json(const struct probe_value *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "key", json_object_new_string(v->key ? v->key : ""));
	json_object_object_add(o, "label", bitext_to_json(v->label));
	if (v->text != NULL)
		json_object_object_add(o, "text", json_object_new_string(v->text));
	else
		json_object_object_add(o, "value", json_object_new_double(v->value));
	json_object_object_add(o, "unit", json_object_new_string(v->unit ? v->unit : ""));
	return o;
}

struct json_object *probe_result_to_json(const struct probe_result *r)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a;

	json_object_object_add(o, "id", json_object_new_string(r->id ? r->id : ""));
	json_object_object_add(o, "title", bitext_to_json(r->title));
	json_object_object_add(o, "verdict", json_object_new_string(probe_verdict_name(r->verdict)));
	json_object_object_add(o, "summary", bitext_to_json(r->summary));
	if (!bitext_empty(r->remedy))
		json_object_object_add(o, "remedy", bitext_to_json(r->remedy));
	if (r->skip_reason_id != NULL)
		json_object_object_add(o, "skip_reason", json_object_new_string(r->skip_reason_id));
	a = json_object_new_array();
	for (size_t i = 0; i < r->n_values; i++)
		json_object_array_add(a, value_to_json(&r->values[i]));
	json_object_object_add(o, "values", a);
	a = json_object_new_array();
	for (size_t i = 0; i < r->n_evidence; i++)
		json_object_array_add(a, json_object_new_string(r->evidence[i]));
	json_object_object_add(o, "evidence", a);
	json_object_object_add(o, "started_ms", json_object_new_int64(r->started_ms));
	json_object_object_add(o, "duration_ms", json_object_new_int64(r->duration_ms));
	return o;
}

struct json_object *probe_run_to_json(const struct probe_run *run)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	json_object_object_add(o, "schema", json_object_new_string(PROBE_SCHEMA));
	json_object_object_add(o, "started_ms", json_object_new_int64(run->started_ms));
	json_object_object_add(o, "duration_ms", json_object_new_int64(run->duration_ms));
	json_object_object_add(o, "overall", json_object_new_string(probe_verdict_name(run->overall)));
	for (size_t i = 0; i < run->n; i++)
		json_object_array_add(a, probe_result_to_json(&run->results[i]));
	json_object_object_add(o, "results", a);
	return o;
}

/* ---- JSON in ---- */

/* The string member key of o, or NULL when absent or not a string. */
static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t json_i64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return 0;
	return json_object_get_int64(v);
}

/* A {"ja","en"} member as an owned bitext; a plain string counts for both. */
static struct bitext json_bitext(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return BT(NULL, NULL);
	if (json_object_is_type(v, json_type_string))
		return bitext_dup(BT(json_object_get_string(v), json_object_get_string(v)));
	if (!json_object_is_type(v, json_type_object))
		return BT(NULL, NULL);
	return bitext_dup(BT(json_str(v, "ja"), json_str(v, "en")));
}

static void values_from_json(struct json_object *o, struct probe_result *r)
{
	struct json_object *a, *v, *num;

	if (!json_object_object_get_ex(o, "values", &a) || !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct probe_value *pv;
		struct bitext label;
		const char *key;

		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_object) || (key = json_str(v, "key")) == NULL)
			continue;
		label = json_bitext(v, "label");
		pv = value_add(r, key, BT(NULL, NULL));
		pv->label = label;
		pv->unit = xstrdup(json_str(v, "unit") ? json_str(v, "unit") : "");
		if (json_str(v, "text") != NULL)
			pv->text = xstrdup(json_str(v, "text"));
		else if (json_object_object_get_ex(v, "value", &num))
			pv->value = json_object_get_double(num);
	}
}

static void evidence_from_json(struct json_object *o, struct probe_result *r)
{
	struct json_object *a, *v;

	if (!json_object_object_get_ex(o, "evidence", &a) || !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		v = json_object_array_get_idx(a, i);
		if (json_object_is_type(v, json_type_string))
			probe_result_evidence(r, "%s", json_object_get_string(v));
	}
}

/* Read one result; index is its place in the array, for the cause. */
static int result_from_json(struct json_object *o, size_t index, struct probe_result *r,
			    char **cause)
{
	const char *id, *verdict, *skip;
	struct bitext title;

	if (!json_object_is_type(o, json_type_object))
		return cause_set(cause, EINVAL, "results[%zu]: not an object", index);
	id = json_str(o, "id");
	if (id == NULL || *id == '\0')
		return cause_set(cause, EINVAL, "results[%zu]: no \"id\"", index);
	verdict = json_str(o, "verdict");
	if (verdict == NULL)
		return cause_set(cause, EINVAL, "results[%zu] (%s): no \"verdict\"", index, id);
	probe_result_init(r, id, BT(NULL, NULL));
	if (!probe_verdict_parse(verdict, &r->verdict)) {
		probe_result_clear(r);
		return cause_set(cause, EINVAL, "results[%zu] (%s): unknown verdict '%s'", index,
				 id, verdict);
	}
	title = json_bitext(o, "title");
	r->title = title;
	r->summary = json_bitext(o, "summary");
	r->remedy = json_bitext(o, "remedy");
	skip = json_str(o, "skip_reason");
	r->skip_reason_id = skip ? xstrdup(skip) : NULL;
	values_from_json(o, r);
	evidence_from_json(o, r);
	r->started_ms = json_i64(o, "started_ms");
	r->duration_ms = json_i64(o, "duration_ms");
	return 0;
}

int probe_result_from_json(struct json_object *o, struct probe_result *r, char **cause)
{
	memset(r, 0, sizeof(*r));
	return result_from_json(o, 0, r, cause);
}

int probe_run_from_json(struct json_object *o, struct probe_run *run, char **cause)
{
	struct json_object *a;
	const char *schema, *overall;
	enum probe_verdict recorded = PROBE_PASS;
	size_t n;
	int ret;

	memset(run, 0, sizeof(*run));
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return cause_set(cause, EINVAL, "probe run: not a JSON object");
	schema = json_str(o, "schema");
	if (schema != NULL && strncmp(schema, "oqlink.probes/", 14) != 0)
		return cause_set(cause, EINVAL, "probe run: unknown schema '%s'", schema);
	if (schema != NULL && strcmp(schema, PROBE_SCHEMA) != 0)
		return cause_set(cause, EINVAL, "probe run: unsupported schema version '%s' (this reads %s)",
				 schema, PROBE_SCHEMA);
	if (!json_object_object_get_ex(o, "results", &a) || !json_object_is_type(a, json_type_array))
		return cause_set(cause, EINVAL, "probe run: no \"results\" array");
	n = json_object_array_length(a);
	run->results = xcalloc(n ? n : 1, sizeof(*run->results));
	for (size_t i = 0; i < n; i++) {
		ret = result_from_json(json_object_array_get_idx(a, i), i, &run->results[i], cause);
		if (ret < 0) {
			probe_run_free(run);
			return ret;
		}
		run->n++;
	}
	overall = json_str(o, "overall");
	if (overall != NULL && !probe_verdict_parse(overall, &recorded)) {
		ret = cause_set(cause, EINVAL, "probe run: unknown overall verdict '%s'", overall);
		probe_run_free(run);
		return ret;
	}
	run->overall = probe_run_overall(run);
	if (recorded != PROBE_SKIP)
		run->overall = probe_verdict_worse(run->overall, recorded);
	run->started_ms = json_i64(o, "started_ms");
	run->duration_ms = json_i64(o, "duration_ms");
	return 0;
}

bool probe_result_unrun(const struct probe_result *r)
{
	if (r->verdict != PROBE_SKIP || r->skip_reason_id == NULL)
		return false;
	return strcmp(r->skip_reason_id, PROBE_STOP_CANCELLED) == 0 ||
	       strcmp(r->skip_reason_id, PROBE_STOP_TIMEOUT) == 0;
}

enum probe_verdict probe_run_overall(const struct probe_run *run)
{
	enum probe_verdict v = PROBE_PASS;

	if (run == NULL || run->n == 0)
		return PROBE_ERROR;
	for (size_t i = 0; i < run->n; i++) {
		const struct probe_result *r = &run->results[i];

		if (probe_result_unrun(r))
			v = PROBE_ERROR;
		else if (r->verdict != PROBE_SKIP)
			v = probe_verdict_worse(v, r->verdict);
	}
	return v;
}

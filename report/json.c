/* The report as JSON, schema "oqlink.report/2" (docs/report.md): the same
 * facts as the HTML and text forms, every sentence in both languages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/site.h"
#include "core/util.h"
#include "report/report_int.h"

/* A string made safe (control characters replaced, secrets masked). */
static struct json_object *jstr(const char *s)
{
	char *clean = rp_scrub(s);
	struct json_object *o = json_object_new_string(clean);

	free(clean);
	return o;
}

static struct json_object *jbitext(struct bitext t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ja", jstr(rp_s(t.ja)));
	json_object_object_add(o, "en", jstr(rp_s(t.en)));
	return o;
}

/* A number printed with at most three decimals, so that files compare. */
static struct json_object *jnum(double d)
{
	char buf[48];

	if (d != d || d > 1e300 || d < -1e300)
		return NULL;
	snprintf(buf, sizeof(buf), "%.3f", d);
	char *e = buf + strlen(buf) - 1;
	while (*e == '0')
		*e-- = '\0';
	if (*e == '.')
		*e = '\0';
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, sizeof(buf), "0");
	return json_object_new_double_s(d, buf);
}

static struct json_object *jtime(int64_t ms)
{
	char t[48];

	return json_object_new_string(clock_str(ms, CLOCK_ISO, t));
}

static struct json_object *generated(const struct report *r)
{
	struct json_object *o = json_object_new_object(), *ifs = json_object_new_array();

	json_object_object_add(o, "time", jtime(r->meta.time_ms));
	json_object_object_add(o, "version", jstr(r->meta.version));
	json_object_object_add(o, "hostname", jstr(r->meta.hostname));
	for (size_t i = 0; i < r->meta.n_ifaces; i++) {
		struct json_object *in = json_object_new_object();
		json_object_object_add(in, "role", jstr(r->meta.ifaces[i].role));
		json_object_object_add(in, "name", jstr(r->meta.ifaces[i].name));
		json_object_object_add(in, "mac", *r->meta.ifaces[i].mac
							  ? jstr(r->meta.ifaces[i].mac) : NULL);
		json_object_array_add(ifs, in);
	}
	json_object_object_add(o, "interfaces", ifs);
	return o;
}

static struct json_object *facility(const struct report *r)
{
	struct json_object *o = json_object_new_object();
	const struct site *s = r->site;

	json_object_object_add(o, "code", jstr(s ? rp_s(s->facility_code) : ""));
	json_object_object_add(o, "name", jstr(s ? rp_s(s->facility_name) : ""));
	json_object_object_add(o, "vendor", jstr(s ? rp_s(s->vendor) : ""));
	json_object_object_add(o, "engineer", jstr(r->engineer));
	json_object_object_add(o, "witness", jstr(r->witness));
	return o;
}

/* A borrowed string of the visit, or null when not given. */
static struct json_object *jopt(const char *s)
{
	return s && *s ? jstr(s) : NULL;
}

/* The facts of the visit that are neither the config nor a probe. */
static struct json_object *visit(const struct report *r)
{
	struct json_object *o = json_object_new_object(), *work = json_object_new_object();
	struct json_object *app = json_object_new_object();
	const struct site *s = r->site;
	int64_t start = r->meta.work_start_ms, end = r->meta.work_end_ms;

	if (start <= 0)
		start = r->run && r->run->started_ms > 0 ? r->run->started_ms : r->meta.time_ms;
	if (end <= 0)
		end = r->meta.time_ms;
	json_object_object_add(o, "report_number",
			       r->meta.number ? json_object_new_int64((int64_t)r->meta.number) : NULL);
	json_object_object_add(o, "address", jopt(s ? s->address : NULL));
	json_object_object_add(work, "start", jtime(start));
	json_object_object_add(work, "end", jtime(end));
	json_object_object_add(o, "work", work);
	json_object_object_add(o, "carrier", jopt(s ? s->carrier : NULL));
	json_object_object_add(o, "line_id", jopt(s ? s->line_id : NULL));
	json_object_object_add(o, "customer_id", jopt(s ? s->customer_id : NULL));
	json_object_object_add(app, "model", jopt(r->meta.model));
	json_object_object_add(app, "serial", jopt(r->meta.serial));
	json_object_object_add(o, "appliance", app);
	json_object_object_add(o, "terminal", jopt(r->meta.terminal));
	json_object_object_add(o, "note", jopt(r->meta.note));
	json_object_object_add(o, "followup", jopt(r->meta.followup));
	return o;
}

/* The config summary: secrets as {"redacted": true, "file": PATH}. */
static struct json_object *config(const struct report *r)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < r->n_rows; i++) {
		const struct rp_row *w = &r->rows[i];
		struct json_object *v;
		if (w->secret) {
			v = json_object_new_object();
			json_object_object_add(v, "redacted", json_object_new_boolean(true));
			json_object_object_add(v, "file", jstr(w->value));
		} else {
			v = jstr(w->value);
		}
		/* one per TLS endpoint: always an array */
		struct json_object *prev;
		if (!str_has_prefix(w->key, "tls_")) {
			json_object_object_add(o, w->key, v);
			continue;
		}
		if (!json_object_object_get_ex(o, w->key, &prev)) {
			prev = json_object_new_array();
			json_object_object_add(o, w->key, prev);
		}
		json_object_array_add(prev, v);
	}
	return o;
}

static struct json_object *probe_values(const struct probe_result *p)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->n_values; i++) {
		const struct probe_value *v = &p->values[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "key", jstr(rp_s(v->key)));
		json_object_object_add(o, "label", jbitext(v->label));
		if (v->text)
			json_object_object_add(o, "text", jstr(v->text));
		else
			json_object_object_add(o, "value", jnum(v->value));
		json_object_object_add(o, "unit", jstr(rp_s(v->unit)));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *probe(const struct probe_result *p)
{
	struct json_object *o = json_object_new_object(), *ev = json_object_new_array();
	enum probe_verdict v = (unsigned)p->verdict <= PROBE_ERROR ? p->verdict : PROBE_ERROR;

	json_object_object_add(o, "id", jstr(rp_s(p->id)));
	json_object_object_add(o, "title", jbitext(p->title));
	json_object_object_add(o, "verdict", json_object_new_string(probe_verdict_name(v)));
	json_object_object_add(o, "summary", jbitext(p->summary));
	json_object_object_add(o, "remedy", jbitext(p->remedy));
	json_object_object_add(o, "skip_reason", p->skip_reason_id && *p->skip_reason_id
							 ? jstr(p->skip_reason_id) : NULL);
	json_object_object_add(o, "values", probe_values(p));
	for (size_t i = 0; i < p->n_evidence; i++)
		json_object_array_add(ev, jstr(p->evidence[i]));
	json_object_object_add(o, "evidence", ev);
	json_object_object_add(o, "started", p->started_ms > 0 ? jtime(p->started_ms) : NULL);
	json_object_object_add(o, "duration_ms", json_object_new_int64(p->duration_ms));
	return o;
}

static struct json_object *checklist(const struct report *r)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < rp_n_tasks; i++) {
		const struct rp_task *t = &rp_tasks[i];
		struct json_object *o = json_object_new_object(), *ids = json_object_new_array();
		json_object_object_add(o, "id", json_object_new_string(t->id));
		json_object_object_add(o, "title", jbitext(t->title));
		json_object_object_add(o, "status",
				       json_object_new_string(rp_task_code(r->task_status[i])));
		for (const char *const *p = t->probes; *p; p++)
			if (rp_find(r, *p))
				json_object_array_add(ids, json_object_new_string(*p));
		json_object_object_add(o, "proven_by", ids);
		json_object_object_add(o, "manual", *rp_s(t->manual.ja) ? jbitext(t->manual) : NULL);
		json_object_object_add(o, "manual_done", *rp_s(t->manual.ja)
				       ? json_object_new_boolean(r->manual_done[i]) : NULL);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *capture(const struct report *r)
{
	const struct rp_capture *c = &r->capture;
	struct json_object *o;

	if (!c->present)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "file", jstr(c->name));
	json_object_object_add(o, "sha256", *c->sha256 ? json_object_new_string(c->sha256) : NULL);
	json_object_object_add(o, "bytes", *c->sha256 ? json_object_new_int64(c->bytes) : NULL);
	json_object_object_add(o, "error", c->error ? jstr(c->error) : NULL);
	return o;
}

struct json_object *report_to_json(const struct report *r)
{
	struct json_object *o = json_object_new_object(), *counts = json_object_new_object();
	struct json_object *probes = json_object_new_array(), *run = json_object_new_object();

	json_object_object_add(o, "schema", json_object_new_string(report_schema));
	json_object_object_add(o, "lang", json_object_new_string(i18n_lang_name(r->lang)));
	json_object_object_add(o, "overall", json_object_new_string(probe_verdict_name(r->overall)));
	for (int v = PROBE_PASS; v <= PROBE_ERROR; v++)
		json_object_object_add(counts, probe_verdict_name(v),
				       json_object_new_int64((int64_t)r->counts[v]));
	json_object_object_add(o, "counts", counts);
	json_object_object_add(o, "facility", facility(r));
	json_object_object_add(o, "generated", generated(r));
	json_object_object_add(o, "visit", visit(r));
	json_object_object_add(run, "started", r->run && r->run->started_ms > 0
						       ? jtime(r->run->started_ms) : NULL);
	json_object_object_add(run, "duration_ms",
			       json_object_new_int64(r->run ? r->run->duration_ms : 0));
	json_object_object_add(o, "run", run);
	json_object_object_add(o, "config", config(r));
	for (size_t i = 0; r->run && i < r->run->n; i++)
		json_object_array_add(probes, probe(&r->run->results[i]));
	json_object_object_add(o, "probes", probes);
	json_object_object_add(o, "checklist", checklist(r));
	json_object_object_add(o, "capture", capture(r));
	return o;
}

char *report_json(const struct report *r)
{
	struct json_object *o = report_to_json(r);
	char *s = xasprintf("%s\n", json_object_to_json_string_ext(
					    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

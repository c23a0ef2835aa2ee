/* oqlink probe [ID...] [--list] [--timeout MS] [--out DIR] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cmds.h"
#include "core/site.h"
#include "core/util.h"
#include "probes/probe.h"

static volatile int cancelled;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
}

/* A NULL-terminated list as "a, b" into buf. */
static const char *list_str(const char *const *l, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (; l != NULL && *l != NULL; l++)
		off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "%s%s", off ? ", " : "", *l);
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
	return buf;
}

/* --list: the registry. */
static int probe_list(struct cli_ctx *ctx)
{
	size_t n;
	const struct probe *reg = probe_registry(&n);
	char deps[128], after[128];

	if (ctx->json) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			struct json_object *o = json_object_new_object(), *d = json_object_new_array();

			json_object_object_add(o, "id", json_object_new_string(reg[i].id));
			json_object_object_add(o, "title_ja", json_object_new_string(reg[i].title.ja));
			json_object_object_add(o, "title_en", json_object_new_string(reg[i].title.en));
			for (const char *const *p = reg[i].deps; p && *p; p++)
				json_object_array_add(d, json_object_new_string(*p));
			json_object_object_add(o, "deps", d);
			d = json_object_new_array();
			for (const char *const *p = reg[i].after; p && *p; p++)
				json_object_array_add(d, json_object_new_string(*p));
			json_object_object_add(o, "after", d);
			json_object_object_add(o, "line",
					       json_object_new_string(reg[i].flags & PROBE_IPSEC_ONLY ? "ipsec"
								      : reg[i].flags & PROBE_IPVPN_ONLY ? "ipvpn" : "any"));
			json_object_array_add(a, o);
		}
		return cli_put_json(a) < 0 ? OQ_EXIT_CANT : OQ_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++) {
		char *title = str_pad(_(reg[i].title.ja, reg[i].title.en), 22);

		printf("%-9s %s %-6s %s %s", reg[i].id, title,
		       reg[i].flags & PROBE_IPSEC_ONLY ? "ipsec" : reg[i].flags & PROBE_IPVPN_ONLY ? "ipvpn" : "",
		       _("依存:", "deps:"), list_str(reg[i].deps, deps, sizeof(deps)));
		if (reg[i].after)
			printf(_("  後に: %s", "  after: %s"), list_str(reg[i].after, after, sizeof(after)));
		putchar('\n');
		free(title);
	}
	return OQ_EXIT_OK;
}

/* The live view on a terminal: one line per probe, redrawn in place. */
struct live {
	bool tty, json, drawn;
	unsigned cols;			/* terminal width: lines must not wrap */
	const struct probe_run *run;
	enum { L_WAIT, L_RUN, L_DONE } *state;
	int64_t *start;
	unsigned tick;
};

static const char *verdict_colour(enum probe_verdict v)
{
	switch (v) {
	case PROBE_PASS: return "\033[32m";
	case PROBE_WARN: return "\033[33m";
	case PROBE_SKIP: return "\033[2m";
	default: return "\033[31m";
	}
}

/* One probe's line. */
static void live_line(struct live *lv, size_t i, FILE *out)
{
	const struct probe_result *r = &lv->run->results[i];
	char *title = str_pad(_(r->title.ja, r->title.en), 18);
	static const char spin[] = "|/-\\";

	if (lv->state[i] == L_DONE) {
		char *sum = str_sanitize(bitext_get(r->summary, i18n_lang()));

		/* verdict, id and title take 35 columns */
		if (lv->tty && lv->cols > 45) {
			char *cut = str_pad(sum, lv->cols - 36);

			free(sum);
			sum = cut;
		}

		fprintf(out, "%s%-5s%s %-9s %s %s\n", lv->tty ? verdict_colour(r->verdict) : "",
			probe_verdict_name(r->verdict), lv->tty ? "\033[0m" : "", r->id, title, sum);
		free(sum);
	} else if (lv->state[i] == L_RUN) {
		fprintf(out, "  %c   %-9s %s %s (%.1f s)\n", spin[lv->tick % 4], r->id, title,
			_("実行中", "running"), (double)(now_ms() - lv->start[i]) / 1000.0);
	} else {
		fprintf(out, "  .   %-9s %s %s\n", r->id, title, _("待機", "waiting"));
	}
	free(title);
}

static void live_draw(struct live *lv)
{
	if (lv->drawn)
		fprintf(stderr, "\033[%zuA", lv->run->n);
	for (size_t i = 0; i < lv->run->n; i++) {
		fputs("\r\033[2K", stderr);
		live_line(lv, i, stderr);
	}
	lv->drawn = true;
	fflush(stderr);
}

static int on_progress(void *arg, enum probe_event ev, size_t i, const struct probe_result *r)
{
	struct live *lv = arg;

	if (lv->state == NULL)
		return 0;
	if (ev == PROBE_EV_START) {
		lv->state[i] = L_RUN;
		lv->start[i] = now_ms();
	} else if (ev == PROBE_EV_DONE) {
		lv->state[i] = L_DONE;
		if (!lv->tty && !lv->json)
			live_line(lv, i, stderr);
	} else {
		lv->tick++;
	}
	if (lv->tty && !lv->json)
		live_draw(lv);
	return 0;
}

/* After the run: the details of everything that did not pass. */
static void print_details(const struct probe_run *run, int verbose)
{
	for (size_t i = 0; i < run->n; i++) {
		const struct probe_result *r = &run->results[i];
		char *s;

		if (r->verdict == PROBE_PASS && verbose == 0)
			continue;
		printf("\n[%s] %s %s\n", probe_verdict_name(r->verdict), r->id,
		       bitext_get(r->title, i18n_lang()));
		s = str_sanitize(bitext_get(r->summary, i18n_lang()));
		printf("  %s\n", s);
		free(s);
		if (r->verdict != PROBE_PASS) {
			s = str_sanitize(bitext_get(r->remedy, i18n_lang()));
			printf(_("  対処: %s\n", "  what to do: %s\n"), s);
			free(s);
		}
		for (size_t k = 0; k < r->n_values; k++) {
			const struct probe_value *v = &r->values[k];

			if (v->text)
				printf("  %s: %s\n", bitext_get(v->label, i18n_lang()), v->text);
			else
				printf("  %s: %g %s\n", bitext_get(v->label, i18n_lang()), v->value,
				       i18n_unit(v->unit, i18n_lang()));
		}
		for (size_t k = 0; k < r->n_evidence; k++) {
			s = str_sanitize(r->evidence[k]);
			printf("  > %s\n", s);
			free(s);
		}
	}
}

int cmd_probe(struct cli_ctx *ctx, int argc, char **argv)
{
	struct probe_options opt = { .cancel = &cancelled };
	struct live lv = { .tty = isatty(STDERR_FILENO), .json = ctx->json, .cols = 80 };
	struct winsize ws;
	struct probe_run run = { 0 };
	struct site *site = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	char *cause = NULL;
	int ret = OQ_EXIT_OK;

	opt.timeout_ms = (int)cli_args_num(ctx->args, "timeout", 0);
	opt.total_timeout_ms = (int)cli_args_num(ctx->args, "total-timeout", 0);
	opt.out_dir = cli_args_get(ctx->args, "out");
	if (cli_args_has(ctx->args, "list"))
		return probe_list(ctx);
	if ((ret = cli_load_config(ctx)) != 0)
		return ret;
	site = ctx->site;
	if (lv.tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		lv.cols = ws.ws_col;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	{
		size_t n;

		probe_registry(&n);
		lv.state = xcalloc(n, sizeof(*lv.state));
		lv.start = xcalloc(n, sizeof(*lv.start));
	}
	lv.run = &run;
	if (probe_run_all(site, (const char *const *)argv + 1, (size_t)(argc - 1), &opt,
			  on_progress, &lv, &run, &cause) < 0) {
		cli_error("%s", cause);
		ret = OQ_EXIT_USAGE;
		goto out;
	}
	if (ctx->json) {
		if (cli_put_json(probe_run_to_json(&run)) < 0)
			ret = OQ_EXIT_CANT;
	} else {
		if (lv.tty)
			live_draw(&lv);
		print_details(&run, ctx->verbose);
		printf(_("\n総合: %s (%zu 件, %.1f 秒)\n", "\noverall: %s (%zu probes, %.1f s)\n"),
		       probe_verdict_name(run.overall), run.n, (double)run.duration_ms / 1000.0);
		if (fflush(stdout) != 0)
			ret = OQ_EXIT_CANT;
	}
	if (ret == OQ_EXIT_OK && run.overall != PROBE_PASS)
		ret = OQ_EXIT_FAIL;
	if (cancelled)
		ret = OQ_EXIT_CANT;
out:
	free(cause);
	free(lv.state);
	free(lv.start);
	probe_run_free(&run);
	return ret;
}

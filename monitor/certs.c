/* The certificate countdown the screens show: it reads the files with the
 * probes' certificate reader (OpenSSL), so it is apart from view.c and
 * not in the lean keeper, which has its children read them. */
#include <stdlib.h>

#include "core/site.h"
#include "core/util.h"
#include "monitor/monitor.h"
#include "probes/probe.h"

/* Read one certificate into the next slot of v. */
static void cert_add(struct mon_cert *c, const char *ja, const char *en, const char *path,
		     const char *pass_file)
{
	struct probe_cert_info info = { 0 };
	char *cause = NULL;

	c->what_ja = ja;
	c->what_en = en;
	c->path = xstrdup(path);
	if (probe_cert_inspect_file(path, pass_file, &info, &cause) < 0) {
		c->problem = cause;
		return;
	}
	c->days_left = info.days_left;
	c->not_after = info.not_after;
	probe_cert_info_clear(&info);
}

void mon_certs(const struct site *s, struct mon_cert **v, size_t *n)
{
	struct mon_cert_source *src = xcalloc(s->n_tls + 1, sizeof(*src));
	size_t m = mon_cert_sources(s, src);

	*v = xcalloc(s->n_tls + 1, sizeof(**v));
	for (*n = 0; *n < m; (*n)++)
		cert_add(&(*v)[*n], src[*n].what_ja, src[*n].what_en, src[*n].path,
			 src[*n].pass_file);
	free(src);
}

void mon_certs_free(struct mon_cert *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].path);
		free(v[i].problem);
	}
	free(v);
}

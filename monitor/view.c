/* What the screens and `oqlink status` show of the keeper: whether it
 * runs, its history bucketed into a strip, ages in words and the
 * certificate countdown. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/site.h"
#include "core/util.h"
#include "monitor/monitor.h"
#include "probes/probe.h"

char *mon_lock_path(const char *state_dir)
{
	return xasprintf("%s/monitor.lock", state_dir ? state_dir : "/var/lib/oqlink");
}

int mon_running(const char *state_dir)
{
	char *path = mon_lock_path(state_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r = 0;

	free(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* a shared lock is refused while the keeper holds its exclusive one */
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		r = errno == EWOULDBLOCK ? 1 : -errno;
	else
		flock(fd, LOCK_UN);
	close(fd);
	return r;
}

void mon_strip(const struct mon_probe_entry *v, size_t n, int64_t from_ms, int64_t cell_ms,
	       struct mon_cell *cell, size_t cells)
{
	for (size_t i = 0; i < cells; i++)
		cell[i] = (struct mon_cell){ .seen = false };
	if (cell_ms <= 0)
		return;
	for (size_t i = 0; i < n; i++) {
		enum probe_verdict pv;
		int64_t k;

		if (v[i].t_ms < from_ms || !v[i].verdict || !probe_verdict_parse(v[i].verdict, &pv))
			continue;
		k = (v[i].t_ms - from_ms) / cell_ms;
		if (k >= (int64_t)cells)
			continue;
		cell[k].worst = cell[k].seen ? probe_verdict_worse(cell[k].worst, pv) : pv;
		cell[k].seen = true;
	}
}

char mon_strip_symbol(const struct mon_cell *c)
{
	static const char sym[] = {
		[PROBE_PASS] = 'o', [PROBE_SKIP] = '-', [PROBE_WARN] = 'w',
		[PROBE_FAIL] = 'X', [PROBE_ERROR] = 'E',
	};

	return c->seen && (unsigned)c->worst < sizeof(sym) ? sym[c->worst] : '.';
}

char *mon_age(int64_t now_ms, int64_t then_ms, char *buf, size_t size)
{
	int64_t s = (now_ms - then_ms) / 1000;

	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, _("%lld 秒前", "%lld s ago"), (long long)s);
	else if (s < 3600)
		snprintf(buf, size, _("%lld 分前", "%lld min ago"), (long long)(s / 60));
	else if (s < 86400)
		snprintf(buf, size, _("%lld 時間前", "%lld h ago"), (long long)(s / 3600));
	else
		snprintf(buf, size, _("%lld 日前", "%lld d ago"), (long long)(s / 86400));
	return buf;
}

int mon_cert_level(int days_left)
{
	return days_left <= 7 ? 2 : days_left <= 30 ? 1 : 0;
}

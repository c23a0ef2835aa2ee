#include "core/clock.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/i18n.h"
#include "core/util.h"

#define ZONE_MAX 64

static char zone[ZONE_MAX + 1] = CLOCK_DEFAULT_ZONE;
static bool zone_set;

int64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The directory of the tz database: $TZDIR as the C library reads it. */
static const char *zone_dir(void)
{
	const char *d = getenv("TZDIR");

	return d && *d == '/' ? d : "/usr/share/zoneinfo";
}

bool clock_zone_valid(const char *name)
{
	char path[512], magic[4];
	bool ok = false;
	int fd;

	if (name == NULL || *name == '\0' || strlen(name) > ZONE_MAX || name[0] == '/' ||
	    strstr(name, "..") != NULL)
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && strchr("/_+-", *c) == NULL)
			return false;
	snprintf(path, sizeof(path), "%s/%s", zone_dir(), name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)	/* Debian links some names (UTC, Japan) */
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	     memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

int clock_set_zone(const char *name, char **cause)
{
	char tz[ZONE_MAX + 2];

	if (!clock_zone_valid(name)) {
		if (cause)
			*cause = xasprintf(_("時間帯 '%s' はシステムの時間帯データベース (tzdata) にありません",
					     "time zone '%s' is not in the system's time zone database (tzdata)"),
					   name ? name : "");
		return -EINVAL;
	}
	snprintf(tz, sizeof(tz), ":%s", name);
	if (setenv("TZ", tz, 1) != 0) {
		if (cause)
			*cause = xasprintf("setenv TZ: %s", i18n_strerror(errno));
		return -errno;
	}
	tzset();
	snprintf(zone, sizeof(zone), "%s", name);
	zone_set = true;
	return 0;
}

const char *clock_zone(void)
{
	return zone;
}

/* "+09:00" from the offset east of UTC in seconds, into buf[8]. */
static char *offset_str(long gmtoff, char *buf)
{
	long a = gmtoff < 0 ? -gmtoff : gmtoff;

	snprintf(buf, 8, "%c%02ld:%02ld", gmtoff < 0 ? '-' : '+', (a / 3600) % 100, a / 60 % 60);
	return buf;
}

char *clock_str(int64_t ms, enum clock_style style, char *buf)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char off[8], day[32];
	size_t n = 0;

	if (!zone_set)
		clock_set_zone(CLOCK_DEFAULT_ZONE, NULL);
	if (localtime_r(&t, &tm) == NULL) {
		snprintf(buf, CLOCK_BUF, "?");
		return buf;
	}
	offset_str(tm.tm_gmtoff, off);
	switch (style) {
	case CLOCK_HUMAN:
		n = strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
		if (n)
			snprintf(buf, CLOCK_BUF, "%s %s (%.8s)", day, off, tm.tm_zone ? tm.tm_zone : "");
		break;
	case CLOCK_ISO:
		n = strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
		if (n)
			snprintf(buf, CLOCK_BUF, "%s%s", day, off);
		break;
	case CLOCK_STAMP:
		n = strftime(buf, CLOCK_BUF, "%Y%m%d-%H%M%S", &tm);
		break;
	case CLOCK_HMS:
		n = strftime(buf, CLOCK_BUF, "%H:%M:%S", &tm);
		break;
	case CLOCK_DATE:
		n = strftime(buf, CLOCK_BUF, "%Y-%m-%d", &tm);
		break;
	case CLOCK_MINUTE:
		n = strftime(buf, CLOCK_BUF, "%Y-%m-%d %H:%M", &tm);
		break;
	}
	if (n == 0)
		snprintf(buf, CLOCK_BUF, "?");
	return buf;
}

#include "core/clock.h"

#include <stdio.h>
#include <time.h>

#define JST_OFFSET (9 * 3600)

int64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *clock_str(int64_t ms, enum clock_style style, char *buf)
{
	time_t t = (time_t)(ms / 1000) + JST_OFFSET;
	struct tm tm;
	size_t n = 0;

	if (gmtime_r(&t, &tm) != NULL)
		n = strftime(buf, CLOCK_BUF,
			     style == CLOCK_ISO ? "%Y-%m-%dT%H:%M:%S+09:00"
						: "%Y-%m-%d %H:%M:%S +09:00 (JST)", &tm);
	if (n == 0)
		snprintf(buf, CLOCK_BUF, "?");
	return buf;
}

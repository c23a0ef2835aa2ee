/* Wall-clock times as people read them: in one time zone, the site's
 * ([site] timezone, Asia/Tokyo unless the config says otherwise), in the
 * forms the report, the screens and the command output write.
 *
 * The zone is process-wide: clock_set_zone() sets TZ once, at start and
 * again when the site config is loaded, and every formatter below uses
 * localtime_r() under it. oqlink serves one site per process, so one zone
 * per process is all it needs; the C library then reads the offset and
 * daylight-saving rules from the system's tz database (Debian's tzdata). */
#ifndef OQ_CLOCK_H
#define OQ_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_BUF 48
#define CLOCK_DEFAULT_ZONE "Asia/Tokyo"

enum clock_style {
	CLOCK_HUMAN,		/* "2026-11-29 18:40:00 +09:00 (JST)" */
	CLOCK_ISO,		/* "2026-11-29T18:40:00+09:00" */
	CLOCK_STAMP,		/* "20261129-184000", for file names */
	CLOCK_HMS,		/* "18:40:00" */
	CLOCK_DATE,		/* "2026-11-29" */
	CLOCK_MINUTE,		/* "2026-11-29 18:40" */
};

/* Milliseconds since the epoch, now. */
int64_t clock_wall_ms(void);
/* ms (since the epoch) in style and the site's zone, into buf (CLOCK_BUF
 * bytes); returns buf. */
char *clock_str(int64_t ms, enum clock_style style, char *buf);

/* Is name a zone of the system's tz database ("Asia/Tokyo", "UTC")? Names
 * with "..", a leading '/' or characters other than letters, digits and
 * "/_+-" are refused before the file is looked at. */
bool clock_zone_valid(const char *name);
/* Make name the zone of every time this process shows. Returns 0, or
 * -EINVAL with *cause set (new string) when name is not a valid zone; the
 * zone in use does not change then. */
int clock_set_zone(const char *name, char **cause);
/* The zone in use (CLOCK_DEFAULT_ZONE until clock_set_zone() succeeds);
 * points to internal data. */
const char *clock_zone(void);

#endif

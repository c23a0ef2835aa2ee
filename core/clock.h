/* Wall-clock times as people read them: in one time zone, the site's
 * (Japan Standard Time, +09:00, no daylight saving), in the forms the
 * report writes. */
#ifndef OQ_CLOCK_H
#define OQ_CLOCK_H

#include <stdint.h>

#define CLOCK_BUF 48

enum clock_style {
	CLOCK_HUMAN,		/* "2026-11-29 18:40:00 +09:00 (JST)" */
	CLOCK_ISO,		/* "2026-11-29T18:40:00+09:00" */
};

/* Milliseconds since the epoch, now. */
int64_t clock_wall_ms(void);
/* ms (since the epoch) in style, into buf (CLOCK_BUF bytes); returns buf. */
char *clock_str(int64_t ms, enum clock_style style, char *buf);

#endif

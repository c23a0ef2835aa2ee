/* How much slower than natively the unit tests run: OQ_TEST_SLOW (the
 * valgrind pass sets it), 1 by default. Only a test's own upper bounds on
 * wall time scale with it; the code's timeouts stay as they are. */
#ifndef OQ_TEST_SLOW_H
#define OQ_TEST_SLOW_H

#include <stdlib.h>

static inline int test_slow(void)
{
	const char *e = getenv("OQ_TEST_SLOW");
	int k = e ? atoi(e) : 1;

	return k > 0 ? k : 1;
}

#endif

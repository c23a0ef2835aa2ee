/* Fill a keeper's database through monitor.h's own writers, for the TUI
 * and CLI tests: one record per line on stdin,
 *   result MINUTES_AGO PROBE VERDICT SUMMARY...
 *   action KIND TEXT...
 * (an action is stamped now). Usage: mon_fill DB < lines */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "monitor/monitor.h"

int main(int argc, char **argv)
{
	struct mon_db *db;
	char line[1024], *cause = NULL;
	int64_t now = clock_wall_ms();
	unsigned lineno = 0;
	int ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: mon_fill DB < records\n");
		return 2;
	}
	if (mon_db_open(argv[1], &db, &cause) < 0) {
		fprintf(stderr, "%s\n", cause);
		free(cause);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char kind[16], a[64], b[64], c[16];
		int off = 0, r = 0;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%15s %63s %63s %15s %n", kind, a, b, c, &off) >= 4 && off > 0 &&
		    strcmp(kind, "result") == 0)
			r = mon_db_add_result(db, now - atoll(a) * 60000, b, c, line + off, line + off,
					      1000, &cause);
		else if (sscanf(line, "%15s %63s %n", kind, a, &off) >= 2 && off > 0 &&
			 strcmp(kind, "action") == 0)
			r = mon_db_add_action(db, a, line + off, line + off, &cause);
		else {
			fprintf(stderr, "stdin:%u: not a record: %s\n", lineno, line);
			goto out;
		}
		if (r < 0) {
			fprintf(stderr, "stdin:%u: %s\n", lineno, cause);
			goto out;
		}
	}
	ret = 0;
out:
	free(cause);
	mon_db_close(db);
	return ret;
}

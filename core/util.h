/* Small helpers every module uses: error causes, files, strings, widths. */
#ifndef OQ_UTIL_H
#define OQ_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit codes of every command. */
enum oq_exit {
	OQ_EXIT_OK = 0,		/* passed */
	OQ_EXIT_FAIL = 1,	/* a check failed or warned */
	OQ_EXIT_USAGE = 2,	/* usage or config error */
	OQ_EXIT_CANT = 3,	/* could not run */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Set *cause (if cause is not NULL) to a newly allocated sentence; frees a
 * previous one. Returns -err so callers can `return cause_set(...)`. The
 * caller owns *cause and frees it. */
int cause_set(char **cause, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cause_vset(char **cause, int err, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Allocation that never returns NULL: on failure the process exits with a
 * message (there is nothing sensible to do on an appliance without memory). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file of at most max bytes into a NUL-terminated buffer the
 * caller frees. Returns 0 or -errno with *cause set. */
int file_read(const char *path, size_t max, char **data, size_t *len, char **cause);
/* How oqlink writes every file it keeps (reports, state, history, exports,
 * certificates, keys): the data goes to a new file in the target's
 * directory that has no name yet (O_TMPFILE; where the file system cannot,
 * a random name created with O_EXCL|O_NOFOLLOW), gets exactly mode
 * (whatever the umask), is fsynced, and only then takes path's name
 * (linkat, or rename over the old file), and the directory is fsynced. A
 * path that is a symbolic link or not a regular file is refused (-ELOOP,
 * -EEXIST). Killed half-way, it leaves nothing behind, or (killed between
 * naming and renaming, or without O_TMPFILE) a ".NAME.<random>.tmp" file
 * that the next write of NAME removes once it is a minute old. Returns 0 or -errno with *cause naming the
 * file and the error (-ENOSPC when the disk is full). */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      char **cause);
/* Open a file that stays open and grows (a lock, an append-only log, a
 * database, a capture): flags as open(2) plus O_NOFOLLOW|O_CLOEXEC; refuses a
 * symbolic link or anything but a regular file; a file of ours with another
 * mode gets mode (umask-independent). Returns the descriptor or -errno with
 * *cause. */
int file_open_private(const char *path, int flags, mode_t mode, char **cause);
/* A secret file (key, PSK, password) must be, by lstat: a regular file (not
 * a symbolic link, directory or fifo), owned by root or by the user running
 * oqlink, mode 0600 or 0400. Returns 0 or -errno with *cause saying which
 * rule failed and naming the file. */
int file_check_secret(const char *path, char **cause);
/* file_read for a secret file: checks it as above, then opens it without
 * following links and checks the opened file again. */
int file_read_secret(const char *path, size_t max, char **data, size_t *len, char **cause);
/* mkdir -p with mode for each new component. */
int mkdir_p(const char *path, mode_t mode, char **cause);

/* Strings. */
char *str_trim(char *s);
bool str_has_prefix(const char *s, const char *prefix);
/* Split a comma or space separated list into a NULL-terminated array of
 * trimmed, non-empty, newly allocated strings; *n gets the count. */
char **str_split_list(const char *s, size_t *n);
void str_list_free(char **list);
/* Levenshtein distance, for "did you mean". */
size_t str_distance(const char *a, const char *b);

/* Terminal display width of a UTF-8 string (wide characters count 2,
 * control characters 0). Invalid bytes count 1 each. */
size_t str_width(const char *s);
/* Copy at most width columns of s into a new string padded with spaces to
 * exactly width columns (truncating on a character boundary, with "~" when
 * cut). */
char *str_pad(const char *s, size_t width);
/* The one filter for untrusted text on its way to a terminal or a JSON
 * document: a new string in which every byte of invalid UTF-8 and of a
 * control character (C0 with tab and newline, DEL, C1 as U+0080..U+009F) is
 * '?'. The caller frees it. */
char *str_sanitize(const char *s);
/* The same, keeping newlines: for a whole text of several lines. */
char *str_sanitize_lines(const char *s);
/* Length in bytes (1..4) of the well-formed UTF-8 character at s, its code
 * point in *cp; 0 at the end of s or on bytes that are not one (overlong
 * forms, surrogates and values above U+10FFFF are not). */
size_t utf8_char(const char *s, uint32_t *cp);
/* Is s text as the config takes it: valid UTF-8 without any control
 * character (C0, DEL, C1)? If not, *at (when not NULL) gets the offset of
 * the first bad byte. */
bool str_text_ok(const char *s, size_t *at);

/* FNV-1a, 64 bits, of len bytes at data: for telling a change, not for
 * secrecy. */
uint64_t fnv1a64(const void *data, size_t len);

/* Monotonic time in milliseconds. */
int64_t now_ms(void);

/* A length of time as people write it: digits and a unit, "300ms", "5s",
 * "2m", "1h" or "7d". A bare number is in bare_unit_ms (1000: seconds; 0:
 * a unit is required). Pure. Returns 0 with *ms set when the value lies in
 * [min_ms, max_ms]; -EINVAL when s is not a length (empty, a sign, spaces,
 * another unit, a bare number where one is required); -ERANGE when it is
 * one but too large for int64_t or outside [min_ms, max_ms]. */
int parse_duration_ms(const char *s, int64_t bare_unit_ms, int64_t min_ms, int64_t max_ms,
		      int64_t *ms);
/* Write ms (>= 0) into buf in the largest unit that holds it whole: "10m",
 * "1500ms", "2d". Returns buf. */
char *duration_str(int64_t ms, char *buf, size_t size);

#endif

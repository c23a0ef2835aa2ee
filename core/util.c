#include "core/util.h"
#include "core/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

static char *sanitize(const char *s, bool keep_newline);

int cause_vset(char **cause, int err, const char *fmt, va_list ap)
{
	if (cause != NULL) {
		char *s = NULL;

		if (vasprintf(&s, fmt, ap) < 0)
			s = NULL;
		free(*cause);
		*cause = s;
	}
	return err > 0 ? -err : err;
}

int cause_set(char **cause, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = cause_vset(cause, err, fmt, ap);
	va_end(ap);
	return r;
}

static void out_of_memory(void)
{
	fputs("oqlink: メモリが足りません / out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		out_of_memory();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (p == NULL)
		out_of_memory();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		out_of_memory();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory();
	va_end(ap);
	return s;
}

int file_read(const char *path, size_t max, char **data, size_t *len, char **cause)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	*data = NULL;
	if (len)
		*len = 0;
	if (f == NULL)
		return cause_set(cause, errno, _("%s を開けません: %s", "cannot open %s: %s"),
				 path, strerror(errno));
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (n > max) {
			r = cause_set(cause, EFBIG, _("%s が大きすぎます (上限 %zu バイト)",
						      "%s is too large (limit %zu bytes)"), path, max);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		r = cause_set(cause, EIO, _("%s を読めません", "cannot read %s"), path);
		goto out;
	}
	buf[n] = '\0';
	*data = buf;
	buf = NULL;
	if (len)
		*len = n;
out:
	free(buf);
	fclose(f);
	return r;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      char **cause)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	char *dircopy = xstrdup(path);
	int fd = -1, dfd = -1, r = 0;
	const char *p = data;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		r = cause_set(cause, errno, _("%s を作れません: %s", "cannot create %s: %s"),
			      tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		r = cause_set(cause, errno, "chmod %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = cause_set(cause, errno, _("%s に書けません: %s", "cannot write %s: %s"),
				      tmp, strerror(errno));
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		r = cause_set(cause, errno, _("%s に書けません: %s", "cannot write %s: %s"),
			      tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = cause_set(cause, errno, _("%s を置き換えられません: %s", "cannot replace %s: %s"),
			      path, strerror(errno));
		goto out;
	}
	dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlink(tmp);
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	free(dircopy);
	return r;
}

int file_check_secret(const char *path, char **cause)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return cause_set(cause, errno, _("秘密ファイル %s がありません: %s",
						 "secret file %s is missing: %s"),
				 path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cause_set(cause, EINVAL, _("秘密ファイル %s が通常のファイルではありません",
						  "secret file %s is not a regular file"), path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return cause_set(cause, EPERM,
				 _("秘密ファイル %s をグループや他人が読めます (モード %04o): chmod 600 にしてください",
				   "secret file %s is readable by group or others (mode %04o): chmod 600 it"),
				 path, (unsigned)(st.st_mode & 07777));
	return 0;
}

int mkdir_p(const char *path, mode_t mode, char **cause)
{
	char *p = xstrdup(path);
	int r = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				r = cause_set(cause, errno, _("%s を作れません: %s",
							      "cannot create %s: %s"),
					      p, strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return r;
}

char *str_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

char **str_split_list(const char *s, size_t *n)
{
	char **list = xcalloc(1, sizeof(*list));
	size_t count = 0;
	const char *p = s ? s : "";

	while (*p) {
		size_t len = strcspn(p, ", \t");
		if (len > 0) {
			list = xrealloc(list, (count + 2) * sizeof(*list));
			list[count++] = xstrndup(p, len);
			list[count] = NULL;
		}
		p += len;
		if (*p)
			p++;
	}
	if (n)
		*n = count;
	return list;
}

void str_list_free(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

size_t str_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xcalloc(lb + 1, sizeof(*row));
	size_t r;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	r = row[lb];
	free(row);
	return r;
}

/* Decode one UTF-8 character; returns its byte length (1 for invalid bytes)
 * and its display width in *w. */
static size_t char_width(const char *s, int *w)
{
	mbstate_t st;
	wchar_t wc;
	size_t n;

	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*w = 1;
		return 1;
	}
	*w = wcwidth(wc);
	if (*w < 0)
		*w = 0;
	return n;
}

size_t str_width(const char *s)
{
	size_t total = 0;
	int w;

	while (*s) {
		s += char_width(s, &w);
		total += (size_t)w;
	}
	return total;
}

char *str_pad(const char *s, size_t width)
{
	size_t cap = strlen(s) + width + 4, used = 0, cols = 0;
	char *out = xmalloc(cap);
	bool cut = str_width(s) > width;
	size_t limit = cut && width > 0 ? width - 1 : width;
	int w;

	while (*s) {
		size_t n = char_width(s, &w);
		if (cols + (size_t)w > limit)
			break;
		memcpy(out + used, s, n);
		used += n;
		cols += (size_t)w;
		s += n;
	}
	if (cut && width > 0) {
		/* ASCII, not "…": that one is ambiguous-width and takes two
		 * columns on many Japanese terminals */
		out[used++] = '~';
		cols++;
	}
	while (cols < width) {
		out[used++] = ' ';
		cols++;
	}
	out[used] = '\0';
	return out;
}

char *str_sanitize(const char *s)
{
	return sanitize(s, false);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t utf8_char(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	uint32_t c, min;

	if (u[0] < 0x80) {
		*cp = u[0];
		return u[0] ? 1 : 0;
	}
	if ((u[0] & 0xe0) == 0xc0) {
		n = 2, c = u[0] & 0x1f, min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 3, c = u[0] & 0x0f, min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 4, c = u[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* C0, DEL and C1: what a terminal may take as a command. */
static bool is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

bool str_text_ok(const char *s, size_t *at)
{
	const char *p = s;
	uint32_t c;
	size_t n;

	while (*p) {
		n = utf8_char(p, &c);
		if (n == 0 || is_control(c)) {
			if (at)
				*at = (size_t)(p - s);
			return false;
		}
		p += n;
	}
	return true;
}

/* Copy s with every byte of an invalid sequence or a control character
 * (but a newline, when asked) replaced by '?'. */
static char *sanitize(const char *s, bool keep_newline)
{
	char *out = xstrdup(s), *p = out;
	uint32_t c;
	size_t n;

	while (*p) {
		n = utf8_char(p, &c);
		if (n == 0) {
			*p++ = '?';
		} else if (is_control(c) && !(keep_newline && c == '\n')) {
			memset(p, '?', n);
			p += n;
		} else {
			p += n;
		}
	}
	return out;
}

char *str_sanitize_lines(const char *s)
{
	return sanitize(s, true);
}

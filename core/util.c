#include "core/util.h"
#include "core/i18n.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
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

/* Read all of f (at most max bytes) into a new NUL-terminated buffer. */
static int read_stream(FILE *f, const char *path, size_t max, char **data, size_t *len,
		       char **cause)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	*data = NULL;
	if (len)
		*len = 0;
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
	return r;
}

int file_read(const char *path, size_t max, char **data, size_t *len, char **cause)
{
	FILE *f = fopen(path, "rbe");
	int r;

	*data = NULL;
	if (len)
		*len = 0;
	if (f == NULL)
		return cause_set(cause, errno, _("%s を開けません: %s", "cannot open %s: %s"),
				 path, i18n_strerror(errno));
	r = read_stream(f, path, max, data, len, cause);
	fclose(f);
	return r;
}

/* The directory part and the last component of path (new strings); -EINVAL
 * for a path that names no file ("", "dir/", ".", ".."). */
static int path_split(const char *path, char **dir, char **base, char **cause)
{
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;

	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
		return cause_set(cause, EINVAL, _("%s はファイルの名前ではありません",
						  "%s does not name a file"), path);
	*dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/")
		: xstrndup(path, (size_t)(slash - path));
	*base = xstrdup(b);
	return 0;
}

/* A name no one can guess beside base: ".BASE.XXXXXXXXXXXXXXXX.tmp". */
static char *tmp_name(const char *base)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&v;
	return xasprintf(".%s.%016llx.tmp", base, (unsigned long long)v);
}

/* How old a left-over temporary file must be before a writer of the same
 * file removes it (a live writer's is seconds old at most). */
#define STALE_TMP_S 60

/* Whether name is one of tmp_name(base)'s. */
static bool is_tmp_of(const char *name, const char *base)
{
	size_t lb = strlen(base), ln = strlen(name);

	if (ln != 1 + lb + 1 + 16 + 4 || name[0] != '.' || strncmp(name + 1, base, lb) != 0 ||
	    name[1 + lb] != '.' || strcmp(name + ln - 4, ".tmp") != 0)
		return false;
	for (size_t i = 2 + lb; i < ln - 4; i++)
		if (!isxdigit((unsigned char)name[i]))
			return false;
	return true;
}

/* Remove what a writer of base killed between naming its file and renaming
 * it left behind (".BASE.<random>.tmp", older than STALE_TMP_S). */
static void clean_stale(int dfd, const char *base)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	time_t now = time(NULL);

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (is_tmp_of(e->d_name, base) &&
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_mtime + STALE_TMP_S < now)
			unlinkat(dfd, e->d_name, 0);
	}
	closedir(d);
}

/* Refuse a final name that exists and is not a regular file (a symbolic
 * link above all): oqlink never writes through one. */
static int check_target(int dfd, const char *base, const char *path, char **cause)
{
	struct stat st;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cause_set(cause, errno, "%s: %s", path, i18n_strerror(errno));
	if (S_ISLNK(st.st_mode))
		return cause_set(cause, ELOOP, _("%s はシンボリックリンクです: 書き込みません",
						 "%s is a symbolic link: not writing through it"), path);
	if (!S_ISREG(st.st_mode))
		return cause_set(cause, EEXIST, _("%s は通常のファイルではありません: 書き込みません",
						  "%s is not a regular file: not writing it"), path);
	return 0;
}

/* Write all of data to fd; -errno. */
static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Give the unnamed file fd the name name in dfd: linkat with AT_EMPTY_PATH
 * (needs CAP_DAC_READ_SEARCH), else through /proc/self/fd. */
static int link_tmpfile(int fd, int dfd, const char *name)
{
	char proc[64];

	if (linkat(fd, "", dfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT && errno != EPERM)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, dfd, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

/* Name the written file fd as base in dfd, replacing an old one atomically.
 * An O_TMPFILE file (tmp == NULL) is linked straight to base when base does
 * not exist, else to a random name first; a named one (tmp) is renamed. */
static int publish(int fd, int dfd, const char *tmp, const char *base)
{
	char *name = NULL;
	int r = 0;

	if (tmp == NULL) {
		r = link_tmpfile(fd, dfd, base);
		if (r != -EEXIST)
			return r;
		for (int tries = 0; tries < 8; tries++) {
			free(name);
			name = tmp_name(base);
			if ((r = link_tmpfile(fd, dfd, name)) != -EEXIST)
				break;
		}
		if (r < 0)
			goto out;
		tmp = name;
	}
	if (renameat(dfd, tmp, dfd, base) < 0) {
		r = -errno;
		unlinkat(dfd, tmp, 0);
	}
out:
	free(name);
	return r;
}

/* A new file in dfd that has no name yet (O_TMPFILE) or, where the file
 * system cannot do that, a random one (*tmp, created exclusively). */
static int create_unnamed(int dfd, const char *base, mode_t mode, char **tmp)
{
	int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode & 0777);

	*tmp = NULL;
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd >= 0 ? fd : -errno;
	for (int tries = 0; tries < 8; tries++) {
		*tmp = tmp_name(base);
		fd = openat(dfd, *tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
		if (fd >= 0)
			return fd;
		free(*tmp);
		*tmp = NULL;
		if (errno != EEXIST)
			break;
	}
	return -errno;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      char **cause)
{
	char *dir = NULL, *base = NULL, *tmp = NULL;
	int fd = -1, dfd = -1, r;

	if ((r = path_split(path, &dir, &base, cause)) < 0)
		return r;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = cause_set(cause, errno, _("%s を作れません: %s", "cannot create %s: %s"), path,
			      i18n_strerror(errno));
		goto out;
	}
	if ((r = check_target(dfd, base, path, cause)) < 0)
		goto out;
	clean_stale(dfd, base);
	fd = create_unnamed(dfd, base, mode, &tmp);
	if (fd < 0) {
		r = cause_set(cause, -fd, _("%s を作れません: %s", "cannot create %s: %s"), path,
			      i18n_strerror(-fd));
		fd = -1;
		goto out;
	}
	if (fchmod(fd, mode) < 0 || (r = write_all(fd, data, len)) < 0 || fsync(fd) < 0) {
		r = r < 0 ? r : -errno;
		r = cause_set(cause, r, _("%s に書けません: %s", "cannot write %s: %s"), path,
			      i18n_strerror(-r));
		goto out;
	}
	if ((r = publish(fd, dfd, tmp, base)) < 0) {
		r = cause_set(cause, r, _("%s を置き換えられません: %s", "cannot replace %s: %s"),
			      path, i18n_strerror(-r));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (fsync(dfd) < 0)
		r = cause_set(cause, errno, _("%s に書けません: %s", "cannot write %s: %s"), dir,
			      i18n_strerror(errno));
out:
	if (tmp != NULL)
		unlinkat(dfd, tmp, 0);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	free(dir);
	free(base);
	return r;
}

int file_open_private(const char *path, int flags, mode_t mode, char **cause)
{
	struct stat st;
	int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode & 0777);

	if (fd < 0) {
		int e = errno;

		if (e == ELOOP)
			return cause_set(cause, e, _("%s はシンボリックリンクです: 開きません",
						     "%s is a symbolic link: not opening it"), path);
		return cause_set(cause, e, _("%s を開けません: %s", "cannot open %s: %s"), path,
				 i18n_strerror(e));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cause_set(cause, EEXIST, _("%s は通常のファイルではありません: 開きません",
						  "%s is not a regular file: not opening it"), path);
	}
	if ((st.st_mode & 07777) != (mode & 07777) && st.st_uid == geteuid() &&
	    fchmod(fd, mode) < 0) {
		int e = errno;

		close(fd);
		return cause_set(cause, e, "chmod %s: %s", path, i18n_strerror(e));
	}
	return fd;
}

/* Whether st may hold a secret; the sentence says what is wrong. See
 * file_check_secret for the rule. */
static int secret_stat_ok(const char *path, const struct stat *st, char **cause)
{
	mode_t m = st->st_mode & 07777;

	if (S_ISLNK(st->st_mode))
		return cause_set(cause, ELOOP, _("秘密ファイル %s はシンボリックリンクです: 実体のパスを書いてください",
						 "secret file %s is a symbolic link: name the file itself"),
				 path);
	if (!S_ISREG(st->st_mode))
		return cause_set(cause, EINVAL, _("秘密ファイル %s が通常のファイルではありません",
						  "secret file %s is not a regular file"), path);
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return cause_set(cause, EPERM,
				 _("秘密ファイル %s の所有者が root ではありません (uid %u): chown root にしてください",
				   "secret file %s is not owned by root (uid %u): chown root it"),
				 path, (unsigned)st->st_uid);
	if (m != 0600 && m != 0400)
		return cause_set(cause, EPERM,
				 _("秘密ファイル %s のモードが %04o です: chmod 600 にしてください",
				   "secret file %s has mode %04o, not 0600 or 0400: chmod 600 it"),
				 path, (unsigned)m);
	return 0;
}

int file_check_secret(const char *path, char **cause)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return cause_set(cause, errno, _("秘密ファイル %s がありません: %s",
						 "secret file %s is missing: %s"),
				 path, i18n_strerror(errno));
	return secret_stat_ok(path, &st, cause);
}

int file_read_secret(const char *path, size_t max, char **data, size_t *len, char **cause)
{
	struct stat st;
	FILE *f;
	int fd, r;

	*data = NULL;
	if ((r = file_check_secret(path, cause)) < 0)
		return r;
	/* O_NOFOLLOW and O_NONBLOCK: what is opened is what was checked, and a
	 * fifo put there in between does not hang the reader. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return cause_set(cause, errno, _("秘密ファイル %s を開けません: %s",
						 "cannot open the secret file %s: %s"), path, i18n_strerror(errno));
	if (fstat(fd, &st) < 0 || (r = secret_stat_ok(path, &st, cause)) < 0) {
		close(fd);
		return r < 0 ? r : cause_set(cause, errno, "%s: %s", path, i18n_strerror(errno));
	}
	if ((f = fdopen(fd, "rb")) == NULL) {
		close(fd);
		return cause_set(cause, errno, "%s: %s", path, i18n_strerror(errno));
	}
	r = read_stream(f, path, max, data, len, cause);
	fclose(f);
	return r;
}

int mkdir_p(const char *path, mode_t mode, char **cause)
{
	char *p = xstrdup(path);
	int r = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			/* A new directory gets mode whatever the umask. */
			if (mkdir(p, mode) == 0 ? chmod(p, mode) < 0 : errno != EEXIST) {
				r = cause_set(cause, errno, _("%s を作れません: %s",
							      "cannot create %s: %s"),
					      p, i18n_strerror(errno));
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

uint64_t fnv1a64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The units of a length of time, longest suffix first where one is a
 * prefix of another ("ms" before "m"). */
static const struct {
	const char *suffix;
	int64_t ms;
} duration_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
};

int parse_duration_ms(const char *s, int64_t bare_unit_ms, int64_t min_ms, int64_t max_ms,
		      int64_t *ms)
{
	int64_t n = 0, unit = bare_unit_ms;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (INT64_MAX - (*p - '0')) / 10)
			n = -1;		/* keep going: a bad unit after it is still -EINVAL */
		if (n >= 0)
			n = n * 10 + (*p - '0');
	}
	if (*p != '\0') {
		unit = 0;
		for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++)
			if (strcmp(p, duration_units[i].suffix) == 0)
				unit = duration_units[i].ms;
	}
	if (unit <= 0)
		return -EINVAL;
	if (n < 0 || n > INT64_MAX / unit)
		return -ERANGE;
	n *= unit;
	if (n < min_ms || n > max_ms)
		return -ERANGE;
	*ms = n;
	return 0;
}

char *duration_str(int64_t ms, char *buf, size_t size)
{
	size_t i = ARRAY_SIZE(duration_units);

	while (--i > 0 && (ms == 0 || ms % duration_units[i].ms != 0))
		;
	snprintf(buf, size, "%lld%s", (long long)(ms / duration_units[i].ms),
		 ms == 0 ? "s" : duration_units[i].suffix);
	return buf;
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

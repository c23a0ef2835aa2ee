/* Taking the report away: the files of the newest report (HTML, JSON, text
 * and its pcap), copied into a directory or onto a USB memory. The USB
 * memory is found by the kernel's own facts (a removable block device on
 * the USB bus, /sys/block), its file system by libblkid (vfat or exFAT
 * only), and it is mounted with libmount under the run directory, never
 * anywhere else, with nosuid,nodev,noexec, then synced and unmounted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <blkid.h>
#include <json-c/json.h>
#include <libmount.h>

#include "core/util.h"
#include "report/report.h"

#define EXPORT_MAX (512u << 20)	/* the pcap may be large */
#define STEM_PREFIX "oqlink-report-"
#define USB_MOUNT_OPTS "nosuid,nodev,noexec"

/* The newest STEM.json in dir by modification time (then by name). */
static char *newest_json(const char *dir, char **cause)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *best = NULL;
	struct timespec best_t = { 0, 0 };

	if (d == NULL) {
		cause_set(cause, errno, _("%s を読めません: %s", "cannot read %s: %s"), dir, strerror(errno));
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		struct stat st;

		if (!str_has_prefix(e->d_name, STEM_PREFIX) || len < 5 ||
		    strcmp(e->d_name + len - 5, ".json") != 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (best == NULL || st.st_mtim.tv_sec > best_t.tv_sec ||
		    (st.st_mtim.tv_sec == best_t.tv_sec &&
		     (st.st_mtim.tv_nsec > best_t.tv_nsec ||
		      (st.st_mtim.tv_nsec == best_t.tv_nsec && strcmp(e->d_name, best) > 0)))) {
			free(best);
			best = xstrdup(e->d_name);
			best_t = st.st_mtim;
		}
	}
	closedir(d);
	if (best == NULL)
		cause_set(cause, ENOENT, _("%s に報告書がありません。先に運用テスト (oqlink test) を実行してください",
					   "no report in %s: run the operational test (oqlink test) first"), dir);
	return best;
}

/* The capture file named by the report's JSON, as a path in dir, or NULL. */
static char *report_pcap(const char *dir, const char *json_path)
{
	struct json_object *o = json_object_from_file(json_path), *c, *f;
	char *path = NULL;

	if (o && json_object_object_get_ex(o, "capture", &c) && c &&
	    json_object_object_get_ex(c, "file", &f) && json_object_is_type(f, json_type_string)) {
		const char *name = json_object_get_string(f);
		/* a plain name in the report's own directory, nothing else */
		if (*name && strchr(name, '/') == NULL && strcmp(name, ".") && strcmp(name, "..")) {
			path = xasprintf("%s/%s", dir, name);
			if (access(path, R_OK) < 0) {
				free(path);
				path = NULL;
			}
		}
	}
	json_object_put(o);
	return path;
}

int report_latest_files(const char *dir, char ***files, char **cause)
{
	static const char *const forms[] = { ".html", ".json", ".txt" };
	char *name = newest_json(dir, cause), *stem, *pcap;
	char **v;
	size_t n = 0;

	*files = NULL;
	if (name == NULL)
		return -ENOENT;
	stem = xstrndup(name, strlen(name) - 5);
	free(name);
	v = xcalloc(ARRAY_SIZE(forms) + 2, sizeof(*v));
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		char *p = xasprintf("%s/%s%s", dir, stem, forms[i]);
		if (access(p, R_OK) == 0)
			v[n++] = p;
		else
			free(p);
	}
	pcap = xasprintf("%s/%s.json", dir, stem);
	v[n] = report_pcap(dir, pcap);
	free(pcap);
	free(stem);
	*files = v;
	return 0;
}

/* Read a one-line sysfs attribute into buf; false when it cannot be read. */
static bool sys_read(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)size, f) != NULL;

	if (f)
		fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* A disk that is a USB memory: removable, and on the USB bus. The test
 * knob OQLINK_TEST_USB_DEVICE names one loop device (/dev/loopN) that
 * counts as one, since a loop device is neither; it names no other kind. */
static bool usb_disk(const char *name)
{
	char path[PATH_MAX], buf[16], real[PATH_MAX];
	const char *knob = getenv("OQLINK_TEST_USB_DEVICE");

	if (str_has_prefix(name, "loop"))
		return knob && str_has_prefix(knob, "/dev/loop") && strcmp(knob + 5, name) == 0;
	snprintf(path, sizeof(path), "/sys/block/%s/removable", name);
	if (!sys_read(path, buf, sizeof(buf)) || strcmp(buf, "1") != 0)
		return false;
	snprintf(path, sizeof(path), "/sys/block/%s", name);
	return realpath(path, real) != NULL && strstr(real, "/usb") != NULL;
}

/* The file system on dev when it is vfat or exFAT: its type and label. */
static bool usb_fs(const char *dev, char **type, char **label)
{
	blkid_probe pr = blkid_new_probe_from_filename(dev);
	const char *t = NULL, *l = NULL;
	bool ok = false;

	if (pr == NULL)
		return false;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
	if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, "TYPE", &t, NULL) == 0 &&
	    (strcmp(t, "vfat") == 0 || strcmp(t, "exfat") == 0)) {
		*type = xstrdup(t);
		if (blkid_probe_lookup_value(pr, "LABEL", &l, NULL) < 0)
			l = "";
		*label = xstrdup(l);
		ok = true;
	}
	blkid_free_probe(pr);
	return ok;
}

/* The first vfat/exFAT file system on a USB memory: its partitions in
 * order, then the whole disk (a stick formatted without a table). */
int report_usb_find(char **dev, char **type, char **label, char **cause)
{
	struct dirent **disks = NULL;
	int n = scandir("/sys/block", &disks, NULL, alphasort);
	int r = -ENODEV;

	*dev = *type = *label = NULL;
	for (int i = 0; i < n; i++) {
		const char *name = disks[i]->d_name;
		struct dirent **parts = NULL;
		char path[PATH_MAX];
		int m;

		if (r == 0 || name[0] == '.' || !usb_disk(name))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s", name);
		m = scandir(path, &parts, NULL, alphasort);
		for (int k = 0; k < m; k++) {
			char part[PATH_MAX];
			snprintf(part, sizeof(part), "/sys/block/%s/%s/partition", name, parts[k]->d_name);
			if (r != 0 && str_has_prefix(parts[k]->d_name, name) && access(part, F_OK) == 0) {
				char *d = xasprintf("/dev/%s", parts[k]->d_name);
				if (usb_fs(d, type, label)) {
					*dev = d;
					r = 0;
				} else {
					free(d);
				}
			}
			free(parts[k]);
		}
		free(parts);
		if (r != 0) {
			char *d = xasprintf("/dev/%s", name);
			if (usb_fs(d, type, label)) {
				*dev = d;
				r = 0;
			} else {
				free(d);
			}
		}
	}
	for (int i = 0; i < n; i++)
		free(disks[i]);
	free(disks);
	if (r < 0)
		cause_set(cause, ENODEV, "%s", _("USB メモリが見つかりません (FAT か exFAT のものを挿してください)",
						 "no USB memory found (insert one formatted FAT or exFAT)"));
	return r;
}

/* The type to mount: the kernel's own when it knows it, else the FUSE
 * helper Debian ships for exFAT (exfat-fuse: mount.exfat-fuse). */
static const char *mount_type(const char *type)
{
	FILE *f = fopen("/proc/filesystems", "re");
	char line[128];
	bool kernel = false;

	while (f && !kernel && fgets(line, sizeof(line), f)) {
		char *w = strrchr(line, '\t');
		w = w ? w + 1 : line;
		w[strcspn(w, "\n")] = '\0';
		kernel = strcmp(w, type) == 0;
	}
	if (f)
		fclose(f);
	if (!kernel && strcmp(type, "exfat") == 0 &&
	    (access("/sbin/mount.exfat-fuse", X_OK) == 0 || access("/usr/sbin/mount.exfat-fuse", X_OK) == 0))
		return "exfat-fuse";
	return type;
}

/* Mount dev (of type) on dir, nosuid,nodev,noexec. */
static int usb_mount(const char *dev, const char *type, const char *dir, char **cause)
{
	struct libmnt_context *cx = mnt_new_context();
	const char *mt = mount_type(type);
	int r;

	if (cx == NULL)
		return cause_set(cause, ENOMEM, "libmount: %s", strerror(ENOMEM));
	mnt_context_disable_mtab(cx, 1);
	mnt_context_set_source(cx, dev);
	mnt_context_set_target(cx, dir);
	mnt_context_set_fstype(cx, mt);
	/* FAT and exFAT keep local times: the kernel's drivers write UTC
	 * unless told the offset, and a clinic PC would show the files hours
	 * off. The offset of the site's time zone (TZ is the site's) now. */
	if (strcmp(mt, "vfat") == 0 || strcmp(mt, "exfat") == 0) {
		time_t now = time(NULL);
		struct tm tm;
		char *o = xasprintf("%s,time_offset=%ld", USB_MOUNT_OPTS,
				    localtime_r(&now, &tm) ? (long)tm.tm_gmtoff / 60 : 0L);
		mnt_context_set_options(cx, o);
		free(o);
	} else {
		mnt_context_set_options(cx, USB_MOUNT_OPTS);
	}
	r = mnt_context_mount(cx);
	if (r != 0 || mnt_context_get_status(cx) != 1) {
		int e = mnt_context_syscall_called(cx) ? mnt_context_get_syscall_errno(cx) : 0;
		if (e == 0)
			e = r < 0 ? -r : EIO;
		r = cause_set(cause, e, _("%s (%s) を %s にマウントできません: %s",
					  "cannot mount %s (%s) on %s: %s"),
			      dev, mt, dir, e == EPERM ? _("root で実行してください", "run as root") : strerror(e));
	}
	mnt_free_context(cx);
	return r < 0 ? r : 0;
}

/* The per-mount flags of dir set to nosuid,nodev,noexec (a FUSE helper
 * may drop some of what it was asked for), then read back from the kernel's
 * mount table into *opts: all three must be there. */
static int usb_lock_flags(const char *dir, char **opts, char **cause)
{
	struct libmnt_context *cx = mnt_new_context();
	struct libmnt_table *tb = NULL;
	struct libmnt_fs *fs;
	int r;

	*opts = NULL;
	if (cx == NULL)
		return cause_set(cause, ENOMEM, "libmount: %s", strerror(ENOMEM));
	mnt_context_disable_mtab(cx, 1);
	mnt_context_set_target(cx, dir);
	mnt_context_set_options(cx, "remount,bind," USB_MOUNT_OPTS);
	r = mnt_context_mount(cx);
	mnt_free_context(cx);
	if (r == 0 && (tb = mnt_new_table_from_file("/proc/self/mountinfo")) != NULL &&
	    (fs = mnt_table_find_target(tb, dir, MNT_ITER_BACKWARD)) != NULL) {
		const char *v = mnt_fs_get_vfs_options(fs);
		*opts = xstrdup(v ? v : "");
		r = 0;
		for (const char *o = USB_MOUNT_OPTS; *o && r == 0; o += strcspn(o, ",") + (o[strcspn(o, ",")] != 0)) {
			char want[16];
			snprintf(want, sizeof(want), "%.*s", (int)strcspn(o, ","), o);
			if (mnt_optstr_get_option(*opts, want, NULL, NULL) != 0)
				r = -EPERM;
		}
	} else {
		r = -EIO;
	}
	mnt_unref_table(tb);
	if (r < 0)
		return cause_set(cause, -r, _("%s を %s で使えません (マウントの属性: %s)",
					      "cannot use %s with %s (mount flags: %s)"),
				 dir, USB_MOUNT_OPTS, *opts ? *opts : "?");
	return 0;
}

static int usb_umount(const char *dir, char **cause)
{
	struct libmnt_context *cx = mnt_new_context();
	int r;

	if (cx == NULL)
		return cause_set(cause, ENOMEM, "libmount: %s", strerror(ENOMEM));
	mnt_context_disable_mtab(cx, 1);
	mnt_context_set_target(cx, dir);
	r = mnt_context_umount(cx);
	if (r != 0 || mnt_context_get_status(cx) != 1)
		r = cause_set(cause, EBUSY, _("%s をアンマウントできません。抜く前に待ってください",
					      "cannot unmount %s: wait before pulling it out"), dir);
	mnt_free_context(cx);
	return r < 0 ? r : 0;
}

/* Copy each file into dir under its base name, then flush dir's file
 * system to the device. */
static int copy_into(const char *const *files, const char *dir, size_t *done, char **cause)
{
	int r = 0, fd;

	*done = 0;
	for (size_t i = 0; files[i] && r == 0; i++) {
		const char *base = strrchr(files[i], '/');
		char *data = NULL, *dst = xasprintf("%s/%s", dir, base ? base + 1 : files[i]);
		size_t len;

		r = file_read(files[i], EXPORT_MAX, &data, &len, cause);
		if (r == 0)
			r = file_write_atomic(dst, data, len, 0644, cause);
		if (r == 0)
			(*done)++;
		free(data);
		free(dst);
	}
	if (r == 0 && (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (syncfs(fd) < 0)
			r = cause_set(cause, errno, _("%s を書き切れません: %s", "cannot flush %s: %s"), dir,
				      strerror(errno));
		close(fd);
	}
	return r;
}

/* Whether something is mounted on dir. */
static bool mounted(const char *dir)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	bool m = tb && mnt_table_find_target(tb, dir, MNT_ITER_BACKWARD) != NULL;

	mnt_unref_table(tb);
	return m;
}

/* The mount point under run_dir: a fresh, empty directory of ours. */
static int usb_mountpoint(const char *run_dir, char **dir, char **cause)
{
	struct stat st;
	int r;

	*dir = NULL;
	if ((r = mkdir_p(run_dir, 0750, cause)) < 0)
		return r;
	*dir = xasprintf("%s/usb", run_dir);
	if (mkdir(*dir, 0700) < 0 && errno != EEXIST)
		return cause_set(cause, errno, _("%s を作れません: %s", "cannot create %s: %s"), *dir,
				 strerror(errno));
	if (lstat(*dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return cause_set(cause, ENOTDIR, _("%s がディレクトリではありません", "%s is not a directory"),
				 *dir);
	/* an export that was killed may have left its stick mounted here */
	while (mounted(*dir))
		if ((r = usb_umount(*dir, cause)) < 0)
			return r;
	return 0;
}

int report_export(const char *const *files, const char *dest, const char *run_dir,
		  struct report_export_result *res, char **cause)
{
	char *dev = NULL, *type = NULL, *label = NULL, *mnt = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	if (dest != NULL) {
		if ((r = mkdir_p(dest, 0755, cause)) < 0)
			return r;
		r = copy_into(files, dest, &res->copied, cause);
		res->where = xstrdup(dest);
		return r;
	}
	if ((r = report_usb_find(&dev, &type, &label, cause)) < 0)
		goto out;
	if ((r = usb_mountpoint(run_dir, &mnt, cause)) < 0)
		goto out;
	if ((r = usb_mount(dev, type, mnt, cause)) < 0)
		goto out;
	res->mounted_on = xstrdup(mnt);
	r = usb_lock_flags(mnt, &res->mount_options, cause);
	if (r == 0)
		r = copy_into(files, mnt, &res->copied, cause);
	if (usb_umount(mnt, r < 0 ? NULL : cause) < 0 && r == 0)
		r = -EBUSY;
	else
		rmdir(mnt);
	res->where = *label ? xasprintf("%s (%s, %s)", dev, label, type) : xasprintf("%s (%s)", dev, type);
out:
	free(dev);
	free(type);
	free(label);
	free(mnt);
	return r;
}

void report_export_result_clear(struct report_export_result *res)
{
	free(res->where);
	free(res->mounted_on);
	free(res->mount_options);
	memset(res, 0, sizeof(*res));
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the aufs selftests: files with known contents,
 * paths under a directory, the branch list of a union as
 * /proc/self/mounts shows it, POSIX ACLs, loop devices and busybox
 * applets.  Results that are strings live in static rings, so a few may
 * be in use at once.
 */
#ifndef AUFS_UTIL_H
#define AUFS_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif

/*
 * Why the aufs tests cannot run here, or NULL: they mount, so they need
 * root, and a kernel with aufs (built in, or a module fsopen(2) loads).
 * Each fixture setup SKIPs with this reason.
 */
static inline const char *aufs_unavailable(void)
{
	int fd;

	if (geteuid() != 0)
		return "not root: the aufs tests mount filesystems";
	fd = syscall(__NR_fsopen, "aufs", 0);
	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	return errno == ENODEV ? "no aufs in this kernel (CONFIG_AUFS_FS)" :
				 "fsopen(\"aufs\") fails";
}

/* Write @data to @path with @mode, or end the test program. */
static inline void put(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		perror(path);
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

/* Contents of a small file, or "" if it cannot be read. */
static inline const char *get(const char *path)
{
	static char buf[4][256];
	static int next;
	char *b = buf[next++ % 4];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, b, 255);

	if (fd >= 0)
		close(fd);
	b[n < 0 ? 0 : n] = '\0';
	return b;
}

static inline bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* @name under @dir; eight results may be in use at once. */
static inline const char *in(const char *dir, const char *name)
{
	static char paths[8][PATH_MAX];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

/* Entries in @dir besides "." and "..", or -1 if it cannot be read. */
static inline int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * The options /proc/mounts shows for the aufs mounted at @mnt (the last
 * one mounted there), or "".
 */
static inline const char *mount_opts(const char *mnt)
{
	static char line[4096], found[3000];
	FILE *f = fopen("/proc/self/mounts", "r");
	char dev[64], dir[PATH_MAX], type[32], opts[3000];

	found[0] = '\0';
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %4095s %31s %2999s", dev, dir, type,
			   opts) == 4 && !strcmp(dir, mnt) &&
		    !strcmp(type, "aufs"))
			snprintf(found, sizeof(found), "%s", opts);
	if (f)
		fclose(f);
	return found;
}

/*
 * The value of the option that starts with @key ("br=", ",udba=") in
 * /proc/mounts for the aufs mounted at @mnt, or "".
 */
static inline const char *mount_opt(const char *mnt, const char *key)
{
	static char out[4096];
	const char *o = strstr(mount_opts(mnt), key);

	out[0] = '\0';
	if (o) {
		snprintf(out, sizeof(out), "%s", o + strlen(key));
		out[strcspn(out, ",")] = '\0';
	}
	return out;
}

/* The br= list /proc/mounts shows for the aufs mounted at @mnt, or "". */
static inline const char *branches(const char *mnt)
{
	return mount_opt(mnt, "br=");
}

/*
 * Set the POSIX ACL @name ("system.posix_acl_access" or "..._default")
 * of @path: owner, group and other rwx, mask rwx, and rwx for @user.
 */
static inline int set_acl(const char *path, const char *name,
			  unsigned int user)
{
	struct { uint16_t tag, perm; uint32_t id; } e[] = {
		{ 0x01, 7, 0 }, { 0x02, 7, user }, { 0x04, 7, 0 },
		{ 0x10, 7, 0 }, { 0x20, 7, 0 },
	};
	char buf[4 + sizeof(e)];
	uint32_t version = 2;

	memcpy(buf, &version, 4);
	memcpy(buf + 4, e, sizeof(e));
	return setxattr(path, name, buf, sizeof(buf), 0);
}

/* Exit status of "busybox @applet @arg", 127 if it cannot be run. */
static inline int busybox(const char *applet, const char *arg)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("busybox", "busybox", applet, arg, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 127;
	return WEXITSTATUS(status);
}

/*
 * Attach @image to a free loop device, which goes away after its last
 * user (LO_FLAGS_AUTOCLEAR); its name in @dev.  Return: an fd of the
 * device, to close once it is mounted, or -1.
 */
static inline int loop_attach(const char *image, bool ro, char *dev,
			      size_t size)
{
	struct loop_config cfg = {
		.info.lo_flags = LO_FLAGS_AUTOCLEAR |
				 (ro ? LO_FLAGS_READ_ONLY : 0),
	};
	int ctl = open("/dev/loop-control", O_RDWR);
	int n = ctl < 0 ? -1 : ioctl(ctl, LOOP_CTL_GET_FREE);
	int fd = -1;

	if (ctl >= 0)
		close(ctl);
	if (n < 0)
		return -1;
	snprintf(dev, size, "/dev/loop%d", n);
	cfg.fd = open(image, ro ? O_RDONLY : O_RDWR);
	if (cfg.fd >= 0)
		fd = open(dev, ro ? O_RDONLY : O_RDWR);
	if (fd >= 0 && ioctl(fd, LOOP_CONFIGURE, &cfg)) {
		close(fd);
		fd = -1;
	}
	if (cfg.fd >= 0)
		close(cfg.fd);
	return fd;
}

/*
 * An ext4 filesystem for the tests' ext4 variants.  $AUFS_TEST_EXT4 may
 * name a mounted ext4 directory the tests may write in; without it,
 * each test makes its own: an image file on a private tmpfs, formatted
 * with mkfs.ext4 (e2fsprogs) and mounted through a loop device, gone
 * with ext4_put().  The tests that need XFS make one the same way.
 */
struct ext4_fs {
	char top[PATH_MAX];	/* the private tmpfs, "" if none */
};

#define EXT4_IMAGE_SIZE	(512 << 20)	/* sparse: costs what is written */

/* Unmount what ext4_get() made, if anything. */
static inline void ext4_put(struct ext4_fs *e)
{
	char fs[PATH_MAX + 8];

	if (!e->top[0])
		return;
	snprintf(fs, sizeof(fs), "%s/fs", e->top);
	umount2(fs, MNT_DETACH);
	umount2(e->top, MNT_DETACH);
	rmdir(e->top);
	e->top[0] = '\0';
}

/*
 * A new directory "aufs_@name.XXXXXX", in @base, on a filesystem of
 * @type ("ext4", "xfs") made for it: an image file on a private tmpfs,
 * formatted with mkfs.@type, mounted through a loop device, gone with
 * ext4_put().  Return: NULL, or why there is none (the test SKIPs with
 * it).
 */
static inline const char *image_fs_get(struct ext4_fs *e, const char *type,
				       const char *name, char *base,
				       size_t size)
{
	char image[PATH_MAX + 8], fs[PATH_MAX + 8], dev[32], mkfs[32];
	static char why_buf[128];
	const char *why;
	int fd, status;
	pid_t pid;

	snprintf(e->top, sizeof(e->top), "/tmp/aufs_%s.XXXXXX", type);
	if (!mkdtemp(e->top)) {
		e->top[0] = '\0';
		return "cannot make a directory in /tmp";
	}
	if (mount("tmpfs", e->top, "tmpfs", 0, NULL)) {
		rmdir(e->top);
		e->top[0] = '\0';
		return "cannot mount a tmpfs for a filesystem image";
	}
	snprintf(image, sizeof(image), "%s/image", e->top);
	snprintf(fs, sizeof(fs), "%s/fs", e->top);
	snprintf(mkfs, sizeof(mkfs), "mkfs.%s", type);
	why = "cannot make a filesystem image";
	fd = open(image, O_RDWR | O_CREAT, 0600);
	if (fd < 0)
		goto fail;
	status = ftruncate(fd, EXT4_IMAGE_SIZE);
	close(fd);
	if (status || mkdir(fs, 0755))
		goto fail;
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		/* over anything; XFS sharing extents whatever its default */
		if (!strcmp(type, "xfs"))
			execlp(mkfs, mkfs, "-q", "-f", "-m", "reflink=1", image,
			       (char *)NULL);
		else
			execlp(mkfs, mkfs, "-q", "-F", image, (char *)NULL);
		_exit(127);
	}
	snprintf(why_buf, sizeof(why_buf), "%s failed", mkfs);
	why = why_buf;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		goto fail;
	if (WEXITSTATUS(status) == 127)
		snprintf(why_buf, sizeof(why_buf), "no %s", mkfs);
	if (WEXITSTATUS(status))
		goto fail;
	why = "no loop device (CONFIG_BLK_DEV_LOOP)";
	fd = loop_attach(image, false, dev, sizeof(dev));
	if (fd < 0)
		goto fail;
	status = mount(dev, fs, type, 0, NULL) ? errno : 0;
	close(fd);
	snprintf(why_buf, sizeof(why_buf), "cannot mount the %s image: %s",
		 type, strerror(status));
	why = why_buf;
	if (status)
		goto fail;
	snprintf(base, size, "%s/aufs_%s.XXXXXX", fs, name);
	why = "cannot write in the filesystem image";
	if (mkdtemp(base))
		return NULL;
fail:
	ext4_put(e);
	return why;
}

/*
 * A new directory "aufs_@name.XXXXXX" on ext4, in @base: in
 * $AUFS_TEST_EXT4, or on an ext4 made for it (image_fs_get()).
 * Return: NULL, or why there is no ext4 to test on (the test SKIPs
 * with it).
 */
static inline const char *ext4_get(struct ext4_fs *e, const char *name,
				   char *base, size_t size)
{
	const char *env = getenv("AUFS_TEST_EXT4");
	struct statfs sf;

	e->top[0] = '\0';
	if (env && *env) {
		if (statfs(env, &sf) || sf.f_type != 0xEF53)
			return "AUFS_TEST_EXT4 is not an ext4 directory";
		snprintf(base, size, "%s/aufs_%s.XXXXXX", env, name);
		return mkdtemp(base) ? NULL : "cannot write in AUFS_TEST_EXT4";
	}
	return image_fs_get(e, "ext4", name, base, size);
}

#endif /* AUFS_UTIL_H */

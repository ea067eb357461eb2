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
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

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

/* The br= option of the aufs mount on @mnt, or "" if there is none. */
static inline const char *branches(const char *mnt)
{
	static char line[4096], out[4096];
	FILE *f = fopen("/proc/self/mounts", "r");
	char *br;

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char dev[64], dir[PATH_MAX], type[32], opts[3000];

		if (sscanf(line, "%63s %4095s %31s %2999s", dev, dir, type,
			   opts) != 4 || strcmp(dir, mnt) || strcmp(type, "aufs"))
			continue;
		br = strstr(opts, "br=");
		if (br) {
			snprintf(out, sizeof(out), "%s", br + 3);
			out[strcspn(out, ",")] = '\0';
		}
	}
	if (f)
		fclose(f);
	return out;
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

#endif /* AUFS_UTIL_H */

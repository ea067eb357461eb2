/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the aufs selftests: files with known contents,
 * paths under a directory, and the branch list of a union as
 * /proc/self/mounts shows it.  Results that are strings live in static
 * rings, so a few may be in use at once.
 */
#ifndef AUFS_UTIL_H
#define AUFS_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

#endif /* AUFS_UTIL_H */

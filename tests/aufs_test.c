// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: what a user of a read-only union sees.
 *
 * Every test builds its branches in a private tmpfs, mounts aufs over
 * them and checks one user-visible behaviour.  Needs root.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "../../kselftest_harness.h"
#include "aufs_util.h"

#ifndef AUFS_SUPER_MAGIC	/* built without the series' headers */
#define AUFS_SUPER_MAGIC	0x61756673
#endif
#define AUFS_BRANCH_MAX		127
#define BIG_NAMES		3000

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void put_file(const char *dir, const char *name, const char *data)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		perror(path);
		exit(1);
	}
	close(fd);
}

static void put_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (mkdir(path, 0755)) {
		perror(path);
		exit(1);
	}
}

/* Read a whole small file into @buf; returns its length or -errno. */
static int get_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* The /proc/mounts line for mount point @mnt, or "" when not mounted. */
static void mount_line(const char *mnt, char *line, size_t size)
{
	char buf[65536], key[PATH_MAX + 2];
	char *p, *nl;
	int fd, n, len = 0;

	line[0] = '\0';
	fd = open("/proc/mounts", O_RDONLY);
	if (fd < 0)
		return;
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	snprintf(key, sizeof(key), " %s ", mnt);
	for (p = buf; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(p, key))
			snprintf(line, size, "%s", p);
	}
}

/*
 * Names in @dir read with getdents64 and a @bufsize buffer; counts how
 * often each name "nNNNN" was seen in @seen, returns the number of
 * entries other than "." and "..".
 */
static int list_dir(const char *dir, size_t bufsize, int *seen,
		    char names[][NAME_MAX + 1], int maxnames)
{
	char *buf = malloc(bufsize);
	int fd, n, count = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || !buf)
		return -1;
	while ((n = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		int off;

		for (off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			if (seen && d->d_name[0] == 'n')
				seen[atoi(d->d_name + 1)]++;
			if (names && count < maxnames)
				snprintf(names[count], NAME_MAX + 1, "%s",
					 d->d_name);
			count++;
		}
	}
	close(fd);
	free(buf);
	return n < 0 ? -1 : count;
}

static bool dir_has(const char *dir, const char *name)
{
	static char names[64][NAME_MAX + 1];
	int i, n = list_dir(dir, 4096, NULL, names, 64);

	for (i = 0; i < n && i < 64; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

FIXTURE(union) {
	char base[PATH_MAX];
	char br[3][PATH_MAX];
	char mnt[PATH_MAX];
	bool mounted;
};

/* @name under mount point @mnt; four results may be in use at once. */
static const char *under(const char *mnt, const char *name)
{
	static char paths[4][PATH_MAX];
	static int next;
	char *path = paths[next++ % 4];

	snprintf(path, PATH_MAX, "%s/%s", mnt, name);
	return path;
}

FIXTURE_SETUP(union)
{
	char opts[4 * PATH_MAX], name[32];
	int i;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	snprintf(self->base, sizeof(self->base), "/tmp/aufs_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->base));
	ASSERT_EQ(0, mount("tmpfs", self->base, "tmpfs", 0, NULL));
	for (i = 0; i < 3; i++) {
		snprintf(self->br[i], PATH_MAX, "%s/b%d", self->base, i);
		ASSERT_EQ(0, mkdir(self->br[i], 0755));
		put_file(self->br[i], "shadow", i == 0 ? "b0\n" :
			 i == 1 ? "b1\n" : "b2\n");
		put_dir(self->br[i], "dir");
		snprintf(name, sizeof(name), "dir/in_b%d", i);
		put_file(self->br[i], name, "x");
		put_dir(self->br[i], "opq");
		snprintf(name, sizeof(name), "opq/in_b%d", i);
		put_file(self->br[i], name, "x");
		if (i)
			put_file(self->br[i], "gone", "gone");
		put_dir(self->br[i], "big");
	}
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->mnt, 0755));

	/* b0 (rw): whiteout of "gone", opaque "opq", a file over a dir */
	put_file(self->br[0], "top_only", "top\n");
	put_file(self->br[0], ".wh.gone", "");
	put_file(self->br[0], "opq/.wh..wh..opq", "");
	put_file(self->br[0], "file_over_dir", "file");
	put_file(self->br[0], "own_whiteout", "kept");
	put_file(self->br[0], ".wh.own_whiteout", "");
	/* b1 (ro): a symlink, hard links, a whiteout aufs must ignore */
	put_file(self->br[1], "mid_only", "middle\n");
	put_dir(self->br[1], "dir_over_file");
	ASSERT_EQ(0, symlink("mid_only", under(self->br[1], "link")));
	put_file(self->br[1], "hard1", "linked");
	ASSERT_EQ(0, link(under(self->br[1], "hard1"),
			  under(self->br[1], "hard2")));
	put_file(self->br[1], ".wh.low_only", "");
	/* b2 (ro) */
	put_file(self->br[2], "low_only", "lowest\n");
	put_dir(self->br[2], "file_over_dir");
	put_file(self->br[2], "dir_over_file", "hidden");

	/* "big": n0000..n2999 spread over the branches, overlapping */
	for (i = 0; i < BIG_NAMES; i++) {
		snprintf(name, sizeof(name), "big/n%04d", i);
		if (i < 1500)
			put_file(self->br[0], name, "");
		if (i >= 1000 && i < 2500)
			put_file(self->br[1], name, "");
		if (i >= 2000)
			put_file(self->br[2], name, "");
	}

	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro:%s=ro",
		 self->br[0], self->br[1], self->br[2]);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts)) {
		TH_LOG("mount -o %s: %s", opts, strerror(errno));
	}
	self->mounted = true;
}

FIXTURE_TEARDOWN(union)
{
	if (self->mounted)
		EXPECT_EQ(0, umount(self->mnt));
	EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
	rmdir(self->base);
}

TEST_F(union, mount_listed_in_proc_mounts_until_umount)
{
	char line[8192], want[4 * PATH_MAX];
	struct stat st;

	ASSERT_EQ(0, stat(self->mnt, &st));
	mount_line(self->mnt, line, sizeof(line));
	/* si= names /sys/fs/aufs/si_<si> (stat %D) for aufs tools */
	snprintf(want, sizeof(want),
		 " aufs rw,relatime,si=%x,br=%s=rw:%s=ro:%s=ro,udba=reval,dirperm1",
		 (unsigned int)st.st_dev, self->br[0], self->br[1],
		 self->br[2]);
	EXPECT_NE(NULL, strstr(line, want)) {
		TH_LOG("want '%s' in '%s'", want, line);
	}
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	mount_line(self->mnt, line, sizeof(line));
	EXPECT_STREQ("", line);
}

TEST_F(union, file_of_each_branch_is_readable)
{
	char buf[64];
	struct stat st;

	EXPECT_EQ(4, get_file(under(self->mnt, "top_only"), buf, sizeof(buf)));
	EXPECT_STREQ("top\n", buf);
	EXPECT_EQ(7, get_file(under(self->mnt, "mid_only"), buf, sizeof(buf)));
	EXPECT_STREQ("middle\n", buf);
	EXPECT_EQ(7, get_file(under(self->mnt, "low_only"), buf, sizeof(buf)));
	EXPECT_STREQ("lowest\n", buf);
	ASSERT_EQ(0, stat(under(self->mnt, "low_only"), &st));
	EXPECT_EQ(7, st.st_size);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0644, st.st_mode & 07777);
}

TEST_F(union, top_branch_shadows_lower_file)
{
	char buf[64];

	EXPECT_EQ(3, get_file(under(self->mnt, "shadow"), buf, sizeof(buf)));
	EXPECT_STREQ("b0\n", buf);
}

TEST_F(union, file_above_hides_dir_below)
{
	struct stat st;

	ASSERT_EQ(0, stat(under(self->mnt, "file_over_dir"), &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_F(union, dir_above_hides_file_below)
{
	struct stat st;

	ASSERT_EQ(0, stat(under(self->mnt, "dir_over_file"), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(union, merged_dir_lists_every_branch)
{
	char names[8][NAME_MAX + 1];

	EXPECT_EQ(3, list_dir(under(self->mnt, "dir"), 4096, NULL, names, 8));
	EXPECT_TRUE(dir_has(under(self->mnt, "dir"), "in_b0"));
	EXPECT_TRUE(dir_has(under(self->mnt, "dir"), "in_b1"));
	EXPECT_TRUE(dir_has(under(self->mnt, "dir"), "in_b2"));
	EXPECT_EQ(0, access(under(self->mnt, "dir/in_b2"), R_OK));
}

TEST_F(union, whiteout_hides_lower_name)
{
	struct stat st;

	EXPECT_EQ(-1, stat(under(self->mnt, "gone"), &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_FALSE(dir_has(self->mnt, "gone"));
	EXPECT_FALSE(dir_has(self->mnt, ".wh.gone"));
}

TEST_F(union, name_beside_its_own_whiteout_is_shown)
{
	char buf[64];

	EXPECT_EQ(4, get_file(under(self->mnt, "own_whiteout"), buf, sizeof(buf)));
	EXPECT_TRUE(dir_has(self->mnt, "own_whiteout"));
}

TEST_F(union, whiteout_on_ro_branch_is_ignored)
{
	EXPECT_EQ(0, access(under(self->mnt, "low_only"), R_OK));
	EXPECT_TRUE(dir_has(self->mnt, "low_only"));
}

TEST_F(union, opaque_dir_hides_lower_dirs)
{
	char names[8][NAME_MAX + 1];

	EXPECT_EQ(1, list_dir(under(self->mnt, "opq"), 4096, NULL, names, 8));
	EXPECT_STREQ("in_b0", names[0]);
	EXPECT_EQ(-1, access(under(self->mnt, "opq/in_b1"), F_OK));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * Whiteouts and the opaque marker are regular files.  A directory (or
 * anything else) of such a name is a damaged branch: looking the name up
 * fails with EIO, as in real aufs, instead of hiding what lies below.
 */
TEST_F(union, non_regular_whiteout_is_an_error)
{
	struct stat st;

	put_file(self->br[1], "bad_wh", "below\n");
	put_dir(self->br[0], ".wh.bad_wh");
	EXPECT_EQ(-1, stat(under(self->mnt, "bad_wh"), &st));
	EXPECT_EQ(EIO, errno);

	put_dir(self->br[0], "bad_opq");
	put_dir(self->br[0], "bad_opq/.wh..wh..opq");
	put_dir(self->br[1], "bad_opq");
	put_file(self->br[1], "bad_opq/in_b1", "x");
	EXPECT_EQ(-1, stat(under(self->mnt, "bad_opq"), &st));
	EXPECT_EQ(EIO, errno);
	/* a regular file of that name is a whiteout, as before */
	put_file(self->br[0], ".wh.mid_only", "");
	EXPECT_EQ(-1, stat(under(self->mnt, "mid_only"), &st));
	EXPECT_EQ(ENOENT, errno);
}

TEST_F(union, whiteout_names_are_not_visible)
{
	struct stat st;

	EXPECT_EQ(-1, stat(under(self->mnt, ".wh.gone"), &st));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, stat(under(self->mnt, "opq/.wh..wh..opq"), &st));
	EXPECT_EQ(EPERM, errno);
	EXPECT_FALSE(dir_has(under(self->mnt, "opq"), ".wh..wh..opq"));
}

TEST_F(union, readlink_of_lower_symlink)
{
	char buf[64], data[64];
	ssize_t n;

	n = readlink(under(self->mnt, "link"), buf, sizeof(buf));
	ASSERT_EQ(8, n);
	buf[n] = '\0';
	EXPECT_STREQ("mid_only", buf);
	EXPECT_EQ(7, get_file(under(self->mnt, "link"), data, sizeof(data)));
	EXPECT_STREQ("middle\n", data);
}

TEST_F(union, hard_links_share_an_inode)
{
	struct stat a, b, top;

	ASSERT_EQ(0, stat(under(self->mnt, "hard1"), &a));
	ASSERT_EQ(0, stat(under(self->mnt, "hard2"), &b));
	ASSERT_EQ(0, stat(under(self->mnt, "top_only"), &top));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(2, a.st_nlink);
	EXPECT_NE(a.st_ino, top.st_ino);
}

TEST_F(union, stat_shows_aufs_device_and_readdir_inode)
{
	char buf[4096];
	struct stat root, st, br;
	int fd, n, off, checked = 0;

	ASSERT_EQ(0, stat(self->mnt, &root));
	ASSERT_EQ(0, stat(self->br[0], &br));
	EXPECT_NE(br.st_dev, root.st_dev);

	fd = open(self->mnt, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".."))
				continue;
			ASSERT_EQ(0, fstatat(fd, d->d_name, &st,
					     AT_SYMLINK_NOFOLLOW));
			EXPECT_EQ(root.st_dev, st.st_dev);
			EXPECT_EQ(d->d_ino, st.st_ino) {
				TH_LOG("%s: d_ino %llu, st_ino %llu", d->d_name,
				       d->d_ino, (unsigned long long)st.st_ino);
			}
			checked++;
		}
	}
	close(fd);
	EXPECT_LE(10, checked);
}

TEST_F(union, readdir_merges_thousands_of_names_with_small_buffer)
{
	static int seen[BIG_NAMES];
	int i, n, bad = 0;

	memset(seen, 0, sizeof(seen));
	/* 96 bytes hold one or two entries: many getdents calls */
	n = list_dir(under(self->mnt, "big"), 96, seen, NULL, 0);
	EXPECT_EQ(BIG_NAMES, n);
	for (i = 0; i < BIG_NAMES; i++)
		if (seen[i] != 1 && bad++ < 5)
			TH_LOG("n%04d seen %d times", i, seen[i]);
	EXPECT_EQ(0, bad);
}

TEST_F(union, telldir_seekdir_resume_listing)
{
	DIR *d = opendir(under(self->mnt, "big"));
	struct dirent *e;
	char name[NAME_MAX + 1];
	long pos;
	int i;

	ASSERT_NE(NULL, d);
	for (i = 0; i < 100; i++)
		ASSERT_NE(NULL, readdir(d));
	pos = telldir(d);
	e = readdir(d);
	ASSERT_NE(NULL, e);
	snprintf(name, sizeof(name), "%s", e->d_name);
	for (i = 0; i < 500; i++)
		ASSERT_NE(NULL, readdir(d));
	seekdir(d, pos);
	e = readdir(d);
	ASSERT_NE(NULL, e);
	EXPECT_STREQ(name, e->d_name);
	closedir(d);
}

TEST_F(union, lseek_and_pread_on_lower_file)
{
	char buf[8];
	int fd = open(under(self->mnt, "low_only"), O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(7, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(2, lseek(fd, 2, SEEK_SET));
	EXPECT_EQ(3, read(fd, buf, 3));
	EXPECT_EQ(0, memcmp(buf, "wes", 3));
	EXPECT_EQ(5, lseek(fd, 0, SEEK_CUR));
	EXPECT_EQ(2, pread(fd, buf, 2, 0));
	EXPECT_EQ(0, memcmp(buf, "lo", 2));
	EXPECT_EQ(5, lseek(fd, 0, SEEK_CUR));
	close(fd);
}

TEST_F(union, statfs_reports_aufs)
{
	struct statfs sf;

	ASSERT_EQ(0, statfs(self->mnt, &sf));
	EXPECT_EQ(AUFS_SUPER_MAGIC, sf.f_type);
}

/* A union whose top branch is not "rw" refuses every change. */
TEST_F(union, writes_fail_with_erofs_when_top_is_ro)
{
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	char target[PATH_MAX], opts[4 * PATH_MAX];

	ASSERT_EQ(0, umount(self->mnt));
	snprintf(opts, sizeof(opts), "br=%s=ro:%s=ro:%s=ro",
		 self->br[0], self->br[1], self->br[2]);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));

	snprintf(target, sizeof(target), "%s/renamed", self->mnt);
	EXPECT_EQ(-1, open(under(self->mnt, "top_only"), O_WRONLY));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, open(under(self->mnt, "low_only"), O_RDWR));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, open(under(self->mnt, "new"), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, mkdir(under(self->mnt, "newdir"), 0755));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, unlink(under(self->mnt, "low_only")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, rmdir(under(self->mnt, "dir")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, rename(under(self->mnt, "top_only"), target));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, symlink("x", under(self->mnt, "newlink")));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, link(under(self->mnt, "mid_only"), target));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, chmod(under(self->mnt, "mid_only"), 0600));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, chown(under(self->mnt, "mid_only"), 1, 1));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, utimensat(AT_FDCWD, under(self->mnt, "mid_only"), now, 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, truncate(under(self->mnt, "mid_only"), 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(-1, mknod(under(self->mnt, "fifo"), S_IFIFO | 0644, 0));
	EXPECT_EQ(EROFS, errno);
	EXPECT_EQ(0, access(under(self->mnt, "mid_only"), R_OK));
	EXPECT_EQ(-1, access(under(self->mnt, "new"), F_OK));
	EXPECT_EQ(-1, access(under(self->br[0], "new"), F_OK));
}

/* Branches for the option tests: b0, b1, b0/sub, a file; nothing mounted. */
static int opts_base(char *base, char *mnt)
{
	snprintf(base, PATH_MAX, "/tmp/aufs_opts.XXXXXX");
	if (!mkdtemp(base) || mount("tmpfs", base, "tmpfs", 0, NULL))
		return -1;
	put_dir(base, "b0");
	put_dir(base, "b1");
	put_dir(base, "b0/sub");
	put_dir(base, "mnt");
	put_file(base, "file", "x");
	put_file(base, "b1/in_b1", "x");
	snprintf(mnt, PATH_MAX, "%s/mnt", base);
	if (symlink("file", under(base, "filelink")) ||
	    symlink("loop", under(base, "loop")) ||
	    symlink("b0", under(base, "dirlink")))
		return -1;
	return 0;
}

FIXTURE(opts) {
	char base[PATH_MAX];
	char mnt[PATH_MAX];
};

FIXTURE_SETUP(opts)
{
	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	ASSERT_EQ(0, opts_base(self->base, self->mnt));
}

FIXTURE_TEARDOWN(opts)
{
	EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
	rmdir(self->base);
}

FIXTURE(bad_opts) {
	char base[PATH_MAX];
	char mnt[PATH_MAX];
};

FIXTURE_SETUP(bad_opts)
{
	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	ASSERT_EQ(0, opts_base(self->base, self->mnt));
}

FIXTURE_TEARDOWN(bad_opts)
{
	EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
	rmdir(self->base);
}

/* @tmpl with every '@' replaced by the fixture's base directory. */
static void expand(const char *tmpl, const char *base, char *out, size_t size)
{
	size_t len = 0;

	for (; *tmpl && len + PATH_MAX < size; tmpl++) {
		if (*tmpl == '@')
			len += snprintf(out + len, size - len, "%s", base);
		else
			out[len++] = *tmpl;
	}
	out[len] = '\0';
}

FIXTURE_VARIANT(bad_opts) {
	const char *data;
};

FIXTURE_VARIANT_ADD(bad_opts, no_branches) {
	.data = "",
};

FIXTURE_VARIANT_ADD(bad_opts, empty_branch_list) {
	.data = "br=",
};

FIXTURE_VARIANT_ADD(bad_opts, empty_first_branch) {
	.data = "br=:@/b0",
};

FIXTURE_VARIANT_ADD(bad_opts, empty_middle_branch) {
	.data = "br=@/b0::@/b1",
};

FIXTURE_VARIANT_ADD(bad_opts, two_trailing_colons) {
	.data = "br=@/b0::",
};

FIXTURE_VARIANT_ADD(bad_opts, missing_directory) {
	.data = "br=@/b0:@/nonexistent",
};

FIXTURE_VARIANT_ADD(bad_opts, not_a_directory) {
	.data = "br=@/file",
};

FIXTURE_VARIANT_ADD(bad_opts, duplicate_branch) {
	.data = "br=@/b0:@/b1:@/b0",
};

FIXTURE_VARIANT_ADD(bad_opts, duplicate_through_dotdot) {
	.data = "br=@/b0:@/b1/../b0",
};

FIXTURE_VARIANT_ADD(bad_opts, lower_inside_upper) {
	.data = "br=@/b0:@/b0/sub",
};

FIXTURE_VARIANT_ADD(bad_opts, upper_inside_lower) {
	.data = "br=@/b0/sub:@/b0",
};

FIXTURE_VARIANT_ADD(bad_opts, unknown_permission) {
	.data = "br=@/b0=rx",
};

FIXTURE_VARIANT_ADD(bad_opts, empty_permission) {
	.data = "br=@/b0=",
};

FIXTURE_VARIANT_ADD(bad_opts, uppercase_permission) {
	.data = "br=@/b0=RW",
};

FIXTURE_VARIANT_ADD(bad_opts, permission_without_directory) {
	.data = "br==rw",
};

FIXTURE_VARIANT_ADD(bad_opts, second_br_empty) {
	.data = "br=@/b0,br=",
};

FIXTURE_VARIANT_ADD(bad_opts, dirs_with_a_colon) {
	.data = "dirs:@/b0",
};

FIXTURE_VARIANT_ADD(bad_opts, wh_on_a_rw_branch) {
	.data = "br=@/b0=rw+wh",
};

FIXTURE_VARIANT_ADD(bad_opts, nolwh_on_a_ro_branch) {
	.data = "br=@/b0:@/b1=ro+nolwh",
};

FIXTURE_VARIANT_ADD(bad_opts, empty_attribute) {
	.data = "br=@/b0:@/b1=ro+",
};

FIXTURE_VARIANT_ADD(bad_opts, copy_up_on_open) {
	.data = "br=@/b0=rw+coo_reg",
};

FIXTURE_VARIANT_ADD(bad_opts, xino_file) {
	.data = "br=@/b0,xino=@/file",
};

FIXTURE_VARIANT_ADD(bad_opts, noxino_with_a_value) {
	.data = "br=@/b0,noxino=1",
};

FIXTURE_VARIANT_ADD(bad_opts, udba_notify) {
	.data = "br=@/b0,udba=notify",
};

FIXTURE_VARIANT_ADD(bad_opts, udba_without_value) {
	.data = "br=@/b0,udba",
};

FIXTURE_VARIANT_ADD(bad_opts, dirren_with_a_value) {
	.data = "br=@/b0,dirren=1",
};

FIXTURE_VARIANT_ADD(bad_opts, create_policy_mfs) {
	.data = "br=@/b0,create=mfs",
};

FIXTURE_VARIANT_ADD(bad_opts, obsolete_option) {
	.data = "br=@/b0,nodlgt",
};

FIXTURE_VARIANT_ADD(bad_opts, unknown_option) {
	.data = "br=@/b0,bogus",
};

FIXTURE_VARIANT_ADD(bad_opts, unknown_option_with_value) {
	.data = "br=@/b0,udba=whatever",
};

FIXTURE_VARIANT_ADD(bad_opts, equals_only) {
	.data = "br==",
};

FIXTURE_VARIANT_ADD(bad_opts, colons_only) {
	.data = "br=:::",
};

FIXTURE_VARIANT_ADD(bad_opts, permission_twice) {
	.data = "br=@/b0=rw=ro",
};

FIXTURE_VARIANT_ADD(bad_opts, garbage_bytes) {
	.data = "br=\x01\x02\xff\xfe",
};

FIXTURE_VARIANT_ADD(bad_opts, relative_missing) {
	.data = "br=no/such/dir",
};

FIXTURE_VARIANT_ADD(bad_opts, symlink_to_file) {
	.data = "br=@/filelink",
};

FIXTURE_VARIANT_ADD(bad_opts, symlink_loop) {
	.data = "br=@/loop",
};

/* files that answer by the opener's credentials: aufs opens as the mounter */
FIXTURE_VARIANT_ADD(bad_opts, proc_branch) {
	.data = "br=@/b0=rw:/proc=ro",
};

FIXTURE_VARIANT_ADD(bad_opts, sysfs_branch) {
	.data = "br=/sys/kernel=ro",
};

FIXTURE_VARIANT_ADD(bad_opts, branch_twice_via_symlink) {
	.data = "br=@/b0:@/dirlink",
};

TEST_F(bad_opts, rejected_and_nothing_mounted)
{
	char data[4 * PATH_MAX], line[8192];

	expand(variant->data, self->base, data, sizeof(data));
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", 0, data));
	EXPECT_EQ(EINVAL, errno) {
		TH_LOG("-o '%s': %s", data, strerror(errno));
	}
	mount_line(self->mnt, line, sizeof(line));
	EXPECT_STREQ("", line);
}

static void branch_list(const char *base, int n, char *out, size_t size)
{
	char dir[PATH_MAX];
	size_t len;
	int i;

	len = snprintf(out, size, "br=");
	for (i = 0; i < n; i++) {
		snprintf(dir, sizeof(dir), "%s/m%03d", base, i);
		mkdir(dir, 0755);
		len += snprintf(out + len, size - len, "%s%s", i ? ":" : "",
				dir);
	}
}

TEST_F(opts, most_branches_mount)
{
	static char data[AUFS_BRANCH_MAX * (PATH_MAX / 16) + 64];
	char path[PATH_MAX];

	branch_list(self->base, AUFS_BRANCH_MAX, data, sizeof(data));
	snprintf(path, sizeof(path), "%s/m%03d", self->base,
		 AUFS_BRANCH_MAX - 1);
	put_file(path, "lowest", "x");
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, data)) {
		TH_LOG("%s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/lowest", self->mnt);
	EXPECT_EQ(0, access(path, R_OK));
	EXPECT_EQ(0, umount(self->mnt));
}

TEST_F(opts, too_many_branches_rejected)
{
	static char data[(AUFS_BRANCH_MAX + 1) * (PATH_MAX / 16) + 64];

	branch_list(self->base, AUFS_BRANCH_MAX + 1, data, sizeof(data));
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", 0, data));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(opts, fsconfig_reports_reason)
{
	char path[PATH_MAX], msg[1024];
	int fd;
	ssize_t n;

	fd = syscall(SYS_fsopen, "aufs", FSOPEN_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "%s/nonexistent", self->base);
	ASSERT_EQ(0, syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING, "br",
			     path, 0));
	EXPECT_EQ(-1, syscall(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE, NULL,
			      NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	n = read(fd, msg, sizeof(msg) - 1);
	ASSERT_LT(0, n);
	msg[n] = '\0';
	EXPECT_NE(NULL, strstr(msg, "no such directory")) {
		TH_LOG("log: %s", msg);
	}
	close(fd);
}

TEST_F(opts, fsconfig_mounts_union)
{
	char br[2 * PATH_MAX], path[PATH_MAX];
	int fd, mfd;

	fd = syscall(SYS_fsopen, "aufs", FSOPEN_CLOEXEC);
	ASSERT_LE(0, fd);
	snprintf(br, sizeof(br), "%s/b0=rw:%s/b1=rr", self->base, self->base);
	ASSERT_EQ(0, syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING, "br", br,
			     0));
	ASSERT_EQ(0, syscall(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE, NULL, NULL,
			     0));
	mfd = syscall(SYS_fsmount, fd, FSMOUNT_CLOEXEC, 0);
	ASSERT_LE(0, mfd);
	EXPECT_EQ(0, faccessat(mfd, "in_b1", R_OK, 0));
	ASSERT_EQ(0, syscall(SYS_move_mount, mfd, "", AT_FDCWD, self->mnt,
			     MOVE_MOUNT_F_EMPTY_PATH));
	close(mfd);
	close(fd);
	snprintf(path, sizeof(path), "%s/in_b1", self->mnt);
	EXPECT_EQ(0, access(path, R_OK));
	EXPECT_EQ(0, umount(self->mnt));
}

/* The first line of the fsconfig(2) log of @fd, or "" if none. */
static const char *fs_log(int fd)
{
	static char msg[1024];
	ssize_t n = read(fd, msg, sizeof(msg) - 1);

	msg[n > 0 ? n : 0] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	return msg;
}

/* The content of /sys/fs/aufs/si_<si of @mnt>/@file, or "" if none. */
static const char *si_file(const char *mnt, const char *file)
{
	static char buf[PATH_MAX + 16];
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if (stat(mnt, &st))
		return buf;
	snprintf(path, sizeof(path), "/sys/fs/aufs/si_%x/%s",
		 (unsigned int)st.st_dev, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/*
 * The branch list as out-of-tree aufs spells it: "br:" (which mount(2)
 * data splits at its first '=' into a key "br:DIR"), "dirs=", several
 * parts that add up, a trailing ':', and branch attributes.
 */
TEST_F(opts, branch_list_spellings_of_out_of_tree_aufs)
{
	static const char *const forms[] = {
		"br:%s/b0=rw:%s/b1=ro",
		"br:%s/b0:%s/b1",
		"dirs=%s/b0=rw:%s/b1=ro",
		"br=%s/b0=rw:,br:%s/b1=ro:",
		"br=%s/b0=rw+nolwh:%s/b1=ro+unpin",
	};
	char data[4 * PATH_MAX], want[2 * PATH_MAX];
	unsigned int i;

	snprintf(want, sizeof(want), "%s/b1=ro\n", self->base);
	for (i = 0; i < ARRAY_SIZE(forms); i++) {
		snprintf(data, sizeof(data), forms[i], self->base, self->base);
		ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, data)) {
			TH_LOG("-o '%s': %s", data, strerror(errno));
		}
		EXPECT_EQ(0, access(under(self->mnt, "in_b1"), R_OK));
		EXPECT_STREQ(want, si_file(self->mnt, "br1")) {
			TH_LOG("-o '%s'", data);
		}
		EXPECT_STREQ("", si_file(self->mnt, "br2"));
		EXPECT_EQ(0, umount(self->mnt));
	}
}

/*
 * Through fsconfig(2): mount(8) of util-linux 2.39 and later splits
 * "br:/b0=rw:/b1=ro" at its first '=' into a key "br:/b0" and a value;
 * and a list given in parts, as fsconfig(2) values are at most 255
 * bytes.
 */
TEST_F(opts, branch_list_through_fsconfig)
{
	char key[PATH_MAX], value[PATH_MAX], want[PATH_MAX];
	int round, fd, mfd;

	snprintf(want, sizeof(want), "%s/b1=ro\n", self->base);
	for (round = 0; round < 2; round++) {
		fd = syscall(SYS_fsopen, "aufs", FSOPEN_CLOEXEC);
		ASSERT_LE(0, fd);
		if (!round) {
			snprintf(key, sizeof(key), "br:%s/b0", self->base);
			snprintf(value, sizeof(value), "rw:%s/b1=ro",
				 self->base);
			ASSERT_EQ(0, syscall(SYS_fsconfig, fd,
					     FSCONFIG_SET_STRING, key, value,
					     0));
		} else {
			snprintf(value, sizeof(value), "%s/b0=rw", self->base);
			ASSERT_EQ(0, syscall(SYS_fsconfig, fd,
					     FSCONFIG_SET_STRING, "br", value,
					     0));
			snprintf(value, sizeof(value), "%s/b1", self->base);
			ASSERT_EQ(0, syscall(SYS_fsconfig, fd,
					     FSCONFIG_SET_STRING, "dirs", value,
					     0));
		}
		ASSERT_EQ(0, syscall(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE,
				     NULL, NULL, 0)) {
			TH_LOG("round %d: %s", round, fs_log(fd));
		}
		mfd = syscall(SYS_fsmount, fd, FSMOUNT_CLOEXEC, 0);
		ASSERT_LE(0, mfd);
		ASSERT_EQ(0, syscall(SYS_move_mount, mfd, "", AT_FDCWD,
				     self->mnt, MOVE_MOUNT_F_EMPTY_PATH));
		close(mfd);
		close(fd);
		EXPECT_EQ(0, access(under(self->mnt, "in_b1"), R_OK));
		EXPECT_STREQ(want, si_file(self->mnt, "br1"));
		EXPECT_EQ(0, umount(self->mnt));
	}
}

/* rr+wh: a really read-only branch whose whiteouts count. */
TEST_F(union, whiteout_on_rr_wh_branch_is_honoured)
{
	char opts[4 * PATH_MAX], want[PATH_MAX + 8];

	ASSERT_EQ(0, umount(self->mnt));
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=rr+wh:%s=rr",
		 self->br[0], self->br[1], self->br[2]);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	EXPECT_EQ(-1, access(under(self->mnt, "low_only"), F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_FALSE(dir_has(self->mnt, "low_only"));
	snprintf(want, sizeof(want), "%s=rr+wh\n", self->br[1]);
	EXPECT_STREQ(want, si_file(self->mnt, "br1"));
	/* and plain rr does not honour them */
	ASSERT_EQ(0, umount(self->mnt));
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=rr:%s=rr",
		 self->br[0], self->br[1], self->br[2]);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	EXPECT_EQ(0, access(under(self->mnt, "low_only"), R_OK));
}

/*
 * Options of out-of-tree aufs that ask for what aufs does anyway are
 * accepted; a remount with the options /proc/mounts shows (si= too)
 * changes nothing; si= of another mount is refused.
 */
TEST_F(opts, out_of_tree_aufs_options_it_has)
{
	static const char *const shared[] = {
		"noxino", "notrunc_xino", "udba=none", "udba=reval",
		"nodirren", "plink", "noshwh", "dio", "dirperm1",
		"create=tdp", "cpup=top-down-parent", "nosum", "quiet",
		"silent", "nowarn_perm",
	};
	char data[4 * PATH_MAX], line[8192], br0[PATH_MAX + 8];
	char br1[PATH_MAX + 8], *o, *end;
	struct stat st;
	unsigned int i;
	int len;

	/* si= of the line a mount is copied from: ignored */
	len = snprintf(data, sizeof(data), "si=1,br=%s/b0:%s/b1", self->base,
		       self->base);
	for (i = 0; i < ARRAY_SIZE(shared); i++)
		len += snprintf(data + len, sizeof(data) - len, ",%s",
				shared[i]);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, data)) {
		TH_LOG("-o '%s': %s", data, strerror(errno));
	}
	mount_line(self->mnt, line, sizeof(line));
	EXPECT_NE(NULL, strstr(line, ",noxino,"));
	EXPECT_NE(NULL, strstr(line, ",nodirren,"));
	/* "none MNT aufs OPTS 0 0": remount with OPTS */
	o = strstr(line, " aufs ");
	ASSERT_NE(NULL, o);
	o += 6;
	end = strchr(o, ' ');
	ASSERT_NE(NULL, end);
	*end = '\0';
	snprintf(br0, sizeof(br0), "%s", si_file(self->mnt, "br0"));
	snprintf(br1, sizeof(br1), "%s", si_file(self->mnt, "br1"));
	EXPECT_EQ(0, mount("none", self->mnt, NULL, MS_REMOUNT, o)) {
		TH_LOG("remount -o '%s': %s", o, strerror(errno));
	}
	EXPECT_STREQ(br0, si_file(self->mnt, "br0"));
	EXPECT_STREQ(br1, si_file(self->mnt, "br1"));
	EXPECT_STREQ("", si_file(self->mnt, "br2"));
	EXPECT_EQ(0, access(under(self->mnt, "in_b1"), R_OK));
	/* the verbs as out-of-tree aufs also spells them */
	put_dir(self->base, "b2");
	snprintf(data, sizeof(data), "append=%s/b2=rr+wh", self->base);
	EXPECT_EQ(0, mount("none", self->mnt, NULL, MS_REMOUNT, data)) {
		TH_LOG("remount -o '%s': %s", data, strerror(errno));
	}
	snprintf(line, sizeof(line), "%s/b2=rr+wh\n", self->base);
	EXPECT_STREQ(line, si_file(self->mnt, "br2"));
	snprintf(data, sizeof(data), "del=%s/b2", self->base);
	EXPECT_EQ(0, mount("none", self->mnt, NULL, MS_REMOUNT, data));
	EXPECT_STREQ("", si_file(self->mnt, "br2"));
	ASSERT_EQ(0, stat(self->mnt, &st));
	snprintf(data, sizeof(data), "si=%x", (unsigned int)st.st_dev + 1);
	EXPECT_EQ(-1, mount("none", self->mnt, NULL, MS_REMOUNT, data));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, umount(self->mnt));
}

/*
 * Options of out-of-tree aufs for what aufs does not have are refused
 * with a reason that names the feature, and nothing is mounted.
 */
TEST_F(opts, out_of_tree_aufs_options_it_lacks_say_why)
{
	static const struct {
		const char *key, *value, *why;
	} refused[] = {
		{ "xino", "/tmp/.aufs.xino", "inode number table" },
		{ "trunc_xino", NULL, "inode number table" },
		{ "udba", "notify", "not watched" },
		{ "imap", "1", "obsolete" },
		{ "noplink", NULL, "pseudo-links" },
		{ "shwh", NULL, "whiteouts" },
		{ "create", "mfs", "create=tdp" },
		{ "cpup", "bu", "cpup=tdp" },
		{ "sum", NULL, "nosum" },
		{ "rdcache", "10", "readdir cache" },
		{ "br", "/nonexistent=rw+coo_all", "copy-up on open" },
		{ "br", "/nonexistent=rw+icexsec", "xattrs" },
		{ "br", "/nonexistent=ro+moo", "move-up on open" },
	};
	char br[2 * PATH_MAX];
	unsigned int i;

	snprintf(br, sizeof(br), "%s/b0", self->base);
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		const char *why;
		int fd, ret;

		fd = syscall(SYS_fsopen, "aufs", FSOPEN_CLOEXEC);
		ASSERT_LE(0, fd);
		if (strcmp(refused[i].key, "br"))
			ASSERT_EQ(0, syscall(SYS_fsconfig, fd,
					     FSCONFIG_SET_STRING, "br", br, 0));
		if (refused[i].value)
			ret = syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING,
				      refused[i].key, refused[i].value, 0);
		else
			ret = syscall(SYS_fsconfig, fd, FSCONFIG_SET_FLAG,
				      refused[i].key, NULL, 0);
		/* a branch list is parsed when the union is made */
		if (!ret && !strcmp(refused[i].key, "br"))
			ret = syscall(SYS_fsconfig, fd, FSCONFIG_CMD_CREATE,
				      NULL, NULL, 0);
		EXPECT_EQ(-1, ret) {
			TH_LOG("%s", refused[i].key);
		}
		EXPECT_EQ(EINVAL, errno);
		why = fs_log(fd);
		EXPECT_EQ(NULL, strstr(why, "Unknown parameter"));
		EXPECT_NE(NULL, strstr(why, refused[i].why)) {
			TH_LOG("%s=%s: log '%s'", refused[i].key,
			       refused[i].value ?: "", why);
		}
		close(fd);
	}
}

TEST_F(opts, mount_point_inside_branch_shows_underlying_dir)
{
	char data[2 * PATH_MAX], path[PATH_MAX], names[4][NAME_MAX + 1];

	snprintf(data, sizeof(data), "br=%s", self->base);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, data));
	snprintf(path, sizeof(path), "%s/mnt", self->mnt);
	/* the directory under the mount point: empty, not aufs again */
	EXPECT_EQ(0, list_dir(path, 4096, NULL, names, 4));
	snprintf(path, sizeof(path), "%s/b1/in_b1", self->mnt);
	EXPECT_EQ(0, access(path, R_OK));
	EXPECT_EQ(0, umount(self->mnt));
}

/* ro+wh: whiteouts on a read-only branch hide the branches below it. */
TEST_F(union, whiteout_on_ro_wh_branch_is_honoured)
{
	char opts[4 * PATH_MAX];

	ASSERT_EQ(0, umount(self->mnt));
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro+wh:%s=rr",
		 self->br[0], self->br[1], self->br[2]);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	/* b1 holds .wh.low_only: now it hides b2's low_only */
	EXPECT_EQ(-1, access(under(self->mnt, "low_only"), F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_FALSE(dir_has(self->mnt, "low_only"));
	EXPECT_EQ(0, access(under(self->mnt, "mid_only"), R_OK));
}

TEST_F(opts, aufs_cannot_be_a_branch_of_aufs)
{
	char data[2 * PATH_MAX], inner[PATH_MAX];

	snprintf(data, sizeof(data), "br=%s/b0", self->base);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, data));
	snprintf(inner, sizeof(inner), "%s/b1", self->base);
	snprintf(data, sizeof(data), "br=%s:%s", inner, self->mnt);
	EXPECT_EQ(-1, mount("none", inner, "aufs", 0, data));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, umount(self->mnt));
}

/* Option strings no parser should trip over. */
TEST_F(opts, hostile_option_strings_are_rejected)
{
	static char data[65536];
	char path[PATH_MAX];
	int i, len;

	/* a branch path longer than PATH_MAX */
	len = snprintf(data, sizeof(data), "br=");
	for (i = 0; i < PATH_MAX + 10; i++)
		data[len++] = 'a';
	data[len] = '\0';
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", 0, data));
	EXPECT_EQ(EINVAL, errno);

	/* thousands of branches */
	len = snprintf(data, sizeof(data), "br=");
	for (i = 0; i < 5000 && len < (int)sizeof(data) - 64; i++)
		len += snprintf(data + len, sizeof(data) - len, "%s%s/b0",
				i ? ":" : "", self->base);
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", 0, data));
	EXPECT_EQ(EINVAL, errno);

	/* thousands of empty options and commas */
	memset(data, ',', 4000);
	data[4000] = '\0';
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", 0, data));
	EXPECT_EQ(EINVAL, errno);

	/* a branch inside the union itself */
	snprintf(data, sizeof(data), "br=%s/b0", self->base);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, data));
	snprintf(path, sizeof(path), "%s/b1", self->base);
	snprintf(data, sizeof(data), "br=%s/sub", self->mnt);
	EXPECT_EQ(-1, mount("none", path, "aufs", 0, data));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, umount(self->mnt));
}

/*
 * The longest name aufs serves is 242 bytes, as in out-of-tree aufs:
 * room for the name whited out twice and a suffix.  statfs says so; a
 * longer name is refused (create, lookup), though readdir lists one that
 * a branch holds.
 */
#define AUFS_MAX_NAMELEN	242

TEST_F(union, names_longer_than_242_bytes_are_refused)
{
	char name[NAME_MAX + 1], longer[NAME_MAX + 1], buf[8];
	char path[PATH_MAX];
	struct statfs sf;

	ASSERT_EQ(0, statfs(self->mnt, &sf));
	EXPECT_EQ(AUFS_MAX_NAMELEN, sf.f_namelen);

	memset(name, 'n', AUFS_MAX_NAMELEN);
	name[AUFS_MAX_NAMELEN] = '\0';
	memset(longer, 'l', AUFS_MAX_NAMELEN + 1);
	longer[AUFS_MAX_NAMELEN + 1] = '\0';
	put_file(self->br[2], name, "long");
	put_file(self->br[2], longer, "longer");

	EXPECT_EQ(4, get_file(under(self->mnt, name), buf, sizeof(buf)));
	EXPECT_TRUE(dir_has(self->mnt, name));
	EXPECT_TRUE(dir_has(self->mnt, longer));
	EXPECT_EQ(-1, access(under(self->mnt, longer), F_OK));
	EXPECT_EQ(ENAMETOOLONG, errno);

	/* removing the longest name leaves its whiteout */
	EXPECT_EQ(0, unlink(under(self->mnt, name)));
	EXPECT_EQ(-1, access(under(self->mnt, name), F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, access(under(self->br[2], name), F_OK));
	snprintf(path, sizeof(path), "%s/.wh.%s", self->br[0], name);
	EXPECT_EQ(0, access(path, F_OK));

	memset(longer, 'c', AUFS_MAX_NAMELEN + 1);
	EXPECT_EQ(-1, open(under(self->mnt, longer), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(ENAMETOOLONG, errno);
	EXPECT_EQ(-1, mkdir(under(self->mnt, longer), 0755));
	EXPECT_EQ(ENAMETOOLONG, errno);
	EXPECT_EQ(-1, access(under(self->br[0], longer), F_OK));
}

/* The number in @path (memory.current), or -1. */
static long read_long(const char *path)
{
	char buf[32];

	if (get_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return atol(buf);
}

/* Write @val to @path; 0 or -1. */
static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	int ret = fd < 0 || write(fd, val, strlen(val)) < 0 ? -1 : 0;

	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * The merged listing a getdents builds is charged to the memory cgroup
 * of the task that lists: 4,000 names of 200 bytes (about 1 MiB of
 * cache) show in its memory.current.  A cgroup limit then bounds what a
 * listing of a huge directory can take.
 */
#define CHARGED_NAMES	4000

TEST_F(union, readdir_cache_is_charged_to_the_lister)
{
	char cg[PATH_MAX], grp[PATH_MAX], name[256], path[PATH_MAX];
	char buf[4096];
	long delta = -1;
	int i, pipefd[2], status;
	pid_t pid;

	snprintf(cg, sizeof(cg), "%s/cg", self->base);
	ASSERT_EQ(0, mkdir(cg, 0755));
	if (mount("none", cg, "cgroup2", 0, NULL))
		SKIP(return, "no cgroup2");
	if (write_str(under(cg, "cgroup.subtree_control"), "+memory")) {
		umount(cg);
		SKIP(return, "no memory controller");
	}
	snprintf(grp, sizeof(grp), "%s/aufs_readdir.%d", cg, getpid());
	ASSERT_EQ(0, mkdir(grp, 0755));

	put_dir(self->br[1], "charged");
	memset(name, 'c', 196);
	for (i = 0; i < CHARGED_NAMES; i++) {
		snprintf(name + 196, sizeof(name) - 196, "%04d", i);
		snprintf(path, sizeof(path), "charged/%s", name);
		put_file(self->br[1], path, "");
	}

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		long before, after;
		int fd;

		if (write_str(under(grp, "cgroup.procs"), "0"))
			_exit(1);
		fd = open(under(self->mnt, "charged"), O_RDONLY | O_DIRECTORY);
		before = read_long(under(grp, "memory.current"));
		if (fd < 0 || syscall(SYS_getdents64, fd, buf, sizeof(buf)) <= 0)
			_exit(2);
		after = read_long(under(grp, "memory.current"));
		delta = before < 0 || after < 0 ? -1 : after - before;
		if (write(pipefd[1], &delta, sizeof(delta)) != sizeof(delta))
			_exit(3);
		close(fd);
		_exit(0);
	}
	close(pipefd[1]);
	EXPECT_EQ(sizeof(delta), read(pipefd[0], &delta, sizeof(delta)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	TH_LOG("the listing added %ld bytes to the lister's cgroup", delta);
	EXPECT_LE(CHARGED_NAMES * 200L, delta);
	EXPECT_EQ(0, rmdir(grp));
	EXPECT_EQ(0, umount(cg));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: the write path, on tmpfs and on ext4 branches.
 *
 * The top branch (b0) is writable, the lower one (b1) read-only.  Every
 * test checks the union as a user sees it, that the change landed on b0,
 * and that b1 is unchanged.  The ext4 variant makes an ext4 filesystem
 * of its own (see ext4_get()) or uses $AUFS_TEST_EXT4.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "aufs_util.h"

#define SPARSE_SIZE		(64L << 20)
#define LOWER_TIME		1000000000L

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

/* Whether @dir lists @name; with @name NULL, how many entries it has. */
static int dir_has(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!name || !strcmp(e->d_name, name))
			n++;
	}
	closedir(d);
	return n;
}

static bool dir_lists(const char *dir, const char *name)
{
	return dir_has(dir, name) > 0;
}

FIXTURE(rw) {
	char base[PATH_MAX];
	char b0[PATH_MAX];
	char b1[PATH_MAX];
	char mnt[PATH_MAX];
	char opts[3 * PATH_MAX];
	bool mounted;
	bool own_tmpfs;
	struct ext4_fs ext4;
};

FIXTURE_VARIANT(rw) {
	bool ext4;
};

FIXTURE_VARIANT_ADD(rw, tmpfs) {
	.ext4 = false,
};

FIXTURE_VARIANT_ADD(rw, ext4) {
	.ext4 = true,
};

FIXTURE_SETUP(rw)
{
	struct timespec times[2] = { { LOWER_TIME, 0 }, { LOWER_TIME, 0 } };
	int fd;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	if (variant->ext4) {
		const char *why = ext4_get(&self->ext4, "rw", self->base,
					   sizeof(self->base));

		if (why)
			SKIP(return, "%s", why);
		ASSERT_EQ(0, chmod(self->base, 0755));
	} else {
		snprintf(self->base, sizeof(self->base), "/tmp/aufs_rw.XXXXXX");
		ASSERT_NE(NULL, mkdtemp(self->base));
		ASSERT_EQ(0, mount("tmpfs", self->base, "tmpfs", 0, NULL));
		self->own_tmpfs = true;
	}
	snprintf(self->b0, PATH_MAX, "%s/b0", self->base);
	snprintf(self->b1, PATH_MAX, "%s/b1", self->base);
	snprintf(self->mnt, PATH_MAX, "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->b0, 0755));
	ASSERT_EQ(0, mkdir(self->b1, 0755));
	ASSERT_EQ(0, mkdir(self->mnt, 0755));

	put(in(self->b1, "file"), "lower\n", 0640);
	ASSERT_EQ(0, chown(in(self->b1, "file"), 1000, 1000));
	ASSERT_EQ(0, setxattr(in(self->b1, "file"), "user.aufs", "kept", 4, 0));
	ASSERT_EQ(0, utimensat(AT_FDCWD, in(self->b1, "file"), times, 0));
	ASSERT_EQ(0, mkdir(in(self->b1, "dir"), 0750));
	ASSERT_EQ(0, mkdir(in(self->b1, "dir/sub"), 0755));
	put(in(self->b1, "dir/sub/deep"), "deep\n", 0644);
	ASSERT_EQ(0, mkdir(in(self->b1, "ldir"), 0755));
	put(in(self->b1, "ldir/a"), "a", 0644);
	put(in(self->b1, "ldir/b"), "b", 0644);
	put(in(self->b1, "owned"), "owned", 04777);
	ASSERT_EQ(0, chown(in(self->b1, "owned"), 1000, 1000));
	ASSERT_EQ(0, chmod(in(self->b1, "owned"), 04777));
	put(in(self->b1, "rootonly"), "root", 0644);
	put(in(self->b1, "h1"), "linked\n", 0644);
	ASSERT_EQ(0, link(in(self->b1, "h1"), in(self->b1, "h2")));
	fd = open(in(self->b1, "sparse"), O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, pwrite(fd, "head", 4, 0));
	ASSERT_EQ(4, pwrite(fd, "half", 4, SPARSE_SIZE / 2));
	ASSERT_EQ(0, ftruncate(fd, SPARSE_SIZE));
	close(fd);

	snprintf(self->opts, sizeof(self->opts), "br=%s=rw:%s=ro", self->b0,
		 self->b1);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
}

FIXTURE_TEARDOWN(rw)
{
	if (self->mounted)
		EXPECT_EQ(0, umount(self->mnt));
	if (self->own_tmpfs) {
		EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
		rmdir(self->base);
	} else if (self->base[0]) {
		nftw(self->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	ext4_put(&self->ext4);
}

/*
 * Reading through the union, by read(2), a mapping, a listing or a
 * copy-up, writes nothing to a read-only branch, not even atimes (with
 * atime and mtime equal, relatime would update the atime, as a read on
 * the branch itself shows at the end).
 */
TEST_F(rw, reads_leave_the_atimes_of_a_read_only_branch_alone)
{
	struct timespec times[2] = { { LOWER_TIME, 0 }, { LOWER_TIME, 0 } };
	struct stat st;
	char *map;
	int fd;

	ASSERT_EQ(0, utimensat(AT_FDCWD, self->b1, times, 0));
	ASSERT_EQ(0, utimensat(AT_FDCWD, in(self->b1, "ldir"), times, 0));
	ASSERT_EQ(0, utimensat(AT_FDCWD, in(self->b1, "rootonly"), times, 0));

	EXPECT_STREQ("lower\n", get(in(self->mnt, "file")));
	fd = open(in(self->mnt, "rootonly"), O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, 4, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ('r', map[0]);
	munmap(map, 4);
	close(fd);
	EXPECT_TRUE(dir_lists(self->mnt, "ldir"));
	EXPECT_TRUE(dir_lists(in(self->mnt, "ldir"), "a"));

	ASSERT_EQ(0, stat(in(self->b1, "file"), &st));
	EXPECT_EQ(LOWER_TIME, st.st_atim.tv_sec);
	ASSERT_EQ(0, stat(in(self->b1, "rootonly"), &st));
	EXPECT_EQ(LOWER_TIME, st.st_atim.tv_sec);
	ASSERT_EQ(0, stat(self->b1, &st));
	EXPECT_EQ(LOWER_TIME, st.st_atim.tv_sec);
	ASSERT_EQ(0, stat(in(self->b1, "ldir"), &st));
	EXPECT_EQ(LOWER_TIME, st.st_atim.tv_sec);

	/* the copy-up reads the lower file, and leaves it as it was */
	ASSERT_EQ(0, chmod(in(self->mnt, "rootonly"), 0600));
	ASSERT_EQ(0, stat(in(self->b1, "rootonly"), &st));
	EXPECT_EQ(LOWER_TIME, st.st_atim.tv_sec);
	EXPECT_EQ(0644, st.st_mode & 07777);

	/* while a read on the branch itself does move the atime */
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
	ASSERT_EQ(0, stat(in(self->b1, "file"), &st));
	EXPECT_NE(LOWER_TIME, st.st_atim.tv_sec);
}

/*
 * A union mounted read-only writes nothing to its branches, not even to
 * its writable top branch: no work directory, no atimes.  remount,rw
 * makes the work directory, and the union takes changes again.
 */
TEST_F(rw, a_read_only_mount_writes_nothing_to_its_branches)
{
	struct timespec times[2] = { { LOWER_TIME, 0 }, { LOWER_TIME, 0 } };
	struct stat st;

	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	/* what the writable mount of the setup made */
	nftw(in(self->b0, ".wh..wh.orph"), rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw(in(self->b0, ".wh..wh.plnk"), rm_one, 16, FTW_DEPTH | FTW_PHYS);
	put(in(self->b0, "top"), "top\n", 0644);
	ASSERT_EQ(0, utimensat(AT_FDCWD, in(self->b0, "top"), times, 0));
	ASSERT_EQ(0, utimensat(AT_FDCWD, self->b0, times, 0));
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", MS_RDONLY, self->opts));
	self->mounted = true;

	EXPECT_STREQ("top\n", get(in(self->mnt, "top")));
	EXPECT_TRUE(dir_lists(self->mnt, "top"));
	EXPECT_EQ(-1, open(in(self->mnt, "new"), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(EROFS, errno);
	ASSERT_EQ(0, stat(in(self->b0, "top"), &st));
	EXPECT_EQ(LOWER_TIME, st.st_atim.tv_sec);
	ASSERT_EQ(0, stat(self->b0, &st));
	EXPECT_EQ(LOWER_TIME, st.st_atim.tv_sec);
	/* (listing the branch itself moves its atime: last) */
	EXPECT_EQ(1, dir_has(self->b0, NULL));

	ASSERT_EQ(0, mount(NULL, self->mnt, NULL, MS_REMOUNT, NULL));
	put(in(self->mnt, "new"), "new\n", 0644);
	EXPECT_STREQ("new\n", get(in(self->b0, "new")));
	EXPECT_STREQ("lower\n", get(in(self->mnt, "file")));
	ASSERT_EQ(0, chmod(in(self->mnt, "file"), 0600));
	EXPECT_STREQ("lower\n", get(in(self->b0, "file")));
	EXPECT_EQ(0, dir_has(in(self->b0, ".wh..wh.orph"), NULL));
}

/*
 * FIDEDUPERANGE rewrites the extents of its destination.  The VFS lets
 * the owner (or CAP_SYS_ADMIN) dedupe into a file opened read-only; on
 * the union such a file may be on a read-only branch, so the union
 * refuses it, whatever the branch could do.
 */
TEST_F(rw, dedupe_never_writes_to_a_lower_branch)
{
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} d = {};
	int src, dst;

	put(in(self->mnt, "same"), "lower\n", 0644);
	src = open(in(self->mnt, "same"), O_RDONLY);
	ASSERT_LE(0, src);
	dst = open(in(self->mnt, "file"), O_RDONLY);
	ASSERT_LE(0, dst);
	d.r.src_length = 6;
	d.r.dest_count = 1;
	d.info.dest_fd = dst;
	EXPECT_EQ(0, ioctl(src, FIDEDUPERANGE, &d));
	EXPECT_EQ(-EPERM, d.info.status);
	close(dst);
	close(src);
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
	EXPECT_EQ(-1, access(in(self->b0, "file"), F_OK));
}

TEST_F(rw, append_copies_up_and_leaves_lower_alone)
{
	int fd = open(in(self->mnt, "file"), O_WRONLY | O_APPEND);

	ASSERT_LE(0, fd);
	EXPECT_EQ(5, write(fd, "more\n", 5));
	close(fd);
	EXPECT_STREQ("lower\nmore\n", get(in(self->mnt, "file")));
	EXPECT_STREQ("lower\nmore\n", get(in(self->b0, "file")));
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
	/* the work directory is left empty */
	EXPECT_EQ(0, dir_has(in(self->b0, ".wh..wh.orph"), NULL));
}

TEST_F(rw, copy_up_keeps_owner_mode_times_xattrs)
{
	struct stat lo, up, un;
	char val[16] = "";
	int fd = open(in(self->mnt, "file"), O_RDWR);

	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, stat(in(self->b1, "file"), &lo));
	ASSERT_EQ(0, stat(in(self->b0, "file"), &up));
	ASSERT_EQ(0, stat(in(self->mnt, "file"), &un));
	EXPECT_EQ(lo.st_mode, up.st_mode);
	EXPECT_EQ(lo.st_uid, up.st_uid);
	EXPECT_EQ(lo.st_gid, up.st_gid);
	EXPECT_EQ(LOWER_TIME, up.st_mtim.tv_sec);
	EXPECT_EQ(lo.st_size, up.st_size);
	EXPECT_EQ(up.st_mode, un.st_mode);
	EXPECT_EQ(up.st_size, un.st_size);
	EXPECT_EQ(4, getxattr(in(self->b0, "file"), "user.aufs", val,
			      sizeof(val)));
	EXPECT_STREQ("kept", val);
}

TEST_F(rw, truncate_copies_up_without_data)
{
	struct stat st;

	ASSERT_EQ(0, truncate(in(self->mnt, "file"), 0));
	ASSERT_EQ(0, stat(in(self->b0, "file"), &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_STREQ("", get(in(self->mnt, "file")));
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
}

TEST_F(rw, copy_up_creates_parents_with_their_attributes)
{
	struct stat lo, up;
	int fd = open(in(self->mnt, "dir/sub/deep"), O_WRONLY | O_TRUNC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(3, write(fd, "new", 3));
	close(fd);
	EXPECT_STREQ("new", get(in(self->b0, "dir/sub/deep")));
	ASSERT_EQ(0, stat(in(self->b1, "dir"), &lo));
	ASSERT_EQ(0, stat(in(self->b0, "dir"), &up));
	EXPECT_EQ(lo.st_mode, up.st_mode);
	EXPECT_STREQ("deep\n", get(in(self->b1, "dir/sub/deep")));
}

/*
 * A copy-up is no change of the directories above the name, as the
 * union shows them: chmod of a lower file leaves the mtime of its
 * parents (copied up with it, or on the top branch already) as it was.
 */
TEST_F(rw, copy_up_leaves_the_parent_times_alone)
{
	struct stat root0, root1, dir0, dir1, sub0, sub1;

	ASSERT_EQ(0, stat(self->mnt, &root0));
	ASSERT_EQ(0, stat(in(self->mnt, "dir"), &dir0));
	ASSERT_EQ(0, stat(in(self->mnt, "dir/sub"), &sub0));
	usleep(20000);
	ASSERT_EQ(0, chmod(in(self->mnt, "dir/sub/deep"), 0600));
	ASSERT_EQ(0, chmod(in(self->mnt, "file"), 0600));
	ASSERT_TRUE(exists(in(self->b0, "dir/sub/deep")));
	ASSERT_EQ(0, stat(self->mnt, &root1));
	ASSERT_EQ(0, stat(in(self->mnt, "dir"), &dir1));
	ASSERT_EQ(0, stat(in(self->mnt, "dir/sub"), &sub1));
	EXPECT_EQ(root0.st_mtim.tv_sec, root1.st_mtim.tv_sec);
	EXPECT_EQ(root0.st_mtim.tv_nsec, root1.st_mtim.tv_nsec);
	EXPECT_EQ(dir0.st_mtim.tv_sec, dir1.st_mtim.tv_sec);
	EXPECT_EQ(dir0.st_mtim.tv_nsec, dir1.st_mtim.tv_nsec);
	EXPECT_EQ(sub0.st_mtim.tv_sec, sub1.st_mtim.tv_sec);
	EXPECT_EQ(sub0.st_mtim.tv_nsec, sub1.st_mtim.tv_nsec);
}

/*
 * A directory is copied up whole: it appears on the top branch by a
 * rename, with its mode and owner, never as a bare directory that a
 * crash could leave behind (inotify sees no IN_CREATE of it).
 */
TEST_F(rw, directory_copy_up_appears_whole)
{
	union {
		struct inotify_event e;
		char b[4096];
	} buf;
	bool created = false, moved = false;
	struct stat lo, up;
	ssize_t n;
	int fd = inotify_init1(IN_NONBLOCK);

	ASSERT_LE(0, fd);
	ASSERT_LE(0, inotify_add_watch(fd, self->b0, IN_CREATE | IN_MOVED_TO));
	put(in(self->mnt, "dir/new"), "new", 0644);
	while ((n = read(fd, buf.b, sizeof(buf))) > 0) {
		char *p;

		for (p = buf.b; p < buf.b + n;) {
			struct inotify_event *e = (void *)p;

			if (e->len && !strcmp(e->name, "dir")) {
				created |= !!(e->mask & IN_CREATE);
				moved |= !!(e->mask & IN_MOVED_TO);
			}
			p += sizeof(*e) + e->len;
		}
	}
	close(fd);
	EXPECT_FALSE(created);
	EXPECT_TRUE(moved);
	ASSERT_EQ(0, stat(in(self->b1, "dir"), &lo));
	ASSERT_EQ(0, stat(in(self->b0, "dir"), &up));
	EXPECT_EQ(lo.st_mode, up.st_mode);
	EXPECT_EQ(lo.st_uid, up.st_uid);
	EXPECT_EQ(0, dir_has(in(self->b0, ".wh..wh.orph"), NULL));
}

/* errno of getxattr(@path, @name), 0 if it has it. */
static int xattr_errno(const char *path, const char *name)
{
	return getxattr(path, name, NULL, 0) < 0 ? errno : 0;
}

/*
 * Copies carry exactly the ACLs of the lower object: a default ACL of
 * the directory they land in is not inherited (a directory, a fifo and a
 * file without ACLs stay without), and an ACL of the lower object comes
 * along.
 */
TEST_F(rw, copies_carry_exactly_the_lower_acls)
{
	char lo[128], up[128];
	ssize_t lo_n, up_n;
	struct stat st;

	ASSERT_EQ(0, mkfifo(in(self->b1, "fifo"), 0640));
	put(in(self->b1, "acl"), "acl", 0640);
	ASSERT_EQ(0, set_acl(in(self->b1, "acl"), "system.posix_acl_access",
			     1000));
	ASSERT_EQ(0, set_acl(self->b0, "system.posix_acl_default", 1001));

	put(in(self->mnt, "dir/new"), "new", 0644);
	ASSERT_EQ(0, chown(in(self->mnt, "fifo"), 0, 0));
	ASSERT_EQ(0, chown(in(self->mnt, "file"), 1000, 1000));
	ASSERT_EQ(0, chown(in(self->mnt, "acl"), 0, 0));

	EXPECT_EQ(ENODATA, xattr_errno(in(self->b0, "dir"),
				       "system.posix_acl_access"));
	EXPECT_EQ(ENODATA, xattr_errno(in(self->b0, "dir"),
				       "system.posix_acl_default"));
	EXPECT_EQ(ENODATA, xattr_errno(in(self->b0, "fifo"),
				       "system.posix_acl_access"));
	EXPECT_EQ(ENODATA, xattr_errno(in(self->b0, "file"),
				       "system.posix_acl_access"));
	ASSERT_EQ(0, stat(in(self->b0, "dir"), &st));
	EXPECT_EQ(0750, st.st_mode & 07777);
	ASSERT_EQ(0, stat(in(self->b0, "fifo"), &st));
	EXPECT_EQ(0640, st.st_mode & 07777);
	lo_n = getxattr(in(self->b1, "acl"), "system.posix_acl_access", lo,
			sizeof(lo));
	up_n = getxattr(in(self->b0, "acl"), "system.posix_acl_access", up,
			sizeof(up));
	ASSERT_LT(0, lo_n);
	ASSERT_EQ(lo_n, up_n);
	EXPECT_EQ(0, memcmp(lo, up, lo_n));
}

/* The raw value of the xattr @name of @path into @buf; its size or -errno. */
static ssize_t xattr_of(const char *path, const char *name, char *buf,
			size_t size)
{
	ssize_t n = getxattr(path, name, buf, size);

	return n < 0 ? -errno : n;
}

/*
 * POSIX ACLs through the union: read from the branch object, set on a
 * copy (the lower object keeps its own), removed; and a default ACL
 * gives a new file exactly the mode and ACL it gives on the branch
 * itself, whatever the umask (the VFS leaves the umask to the branch).
 */
TEST_F(rw, acls_read_set_and_inherited_through_the_union)
{
	char lo[128], un[128], nat[128];
	ssize_t lo_n, un_n, nat_n;
	struct stat st_un, st_nat;
	mode_t old_umask;
	int fd;

	put(in(self->b1, "acl"), "acl", 0640);
	ASSERT_EQ(0, set_acl(in(self->b1, "acl"), "system.posix_acl_access",
			     1000));
	lo_n = xattr_of(in(self->b1, "acl"), "system.posix_acl_access", lo,
			sizeof(lo));
	ASSERT_LT(0, lo_n);
	un_n = xattr_of(in(self->mnt, "acl"), "system.posix_acl_access", un,
			sizeof(un));
	ASSERT_EQ(lo_n, un_n) TH_LOG("getfacl: %s", strerror(-un_n));
	EXPECT_EQ(0, memcmp(lo, un, lo_n));
	EXPECT_FALSE(exists(in(self->b0, "acl")));
	EXPECT_EQ(-ENODATA, xattr_of(in(self->mnt, "file"),
				     "system.posix_acl_access", un,
				     sizeof(un)));

	/* setfacl copies up; the mask shows in the group bits */
	ASSERT_EQ(0, set_acl(in(self->mnt, "file"), "system.posix_acl_access",
			     1001));
	un_n = xattr_of(in(self->mnt, "file"), "system.posix_acl_access", un,
			sizeof(un));
	nat_n = xattr_of(in(self->b0, "file"), "system.posix_acl_access", nat,
			 sizeof(nat));
	ASSERT_LT(0, un_n);
	ASSERT_EQ(un_n, nat_n);
	EXPECT_EQ(0, memcmp(un, nat, un_n));
	ASSERT_EQ(0, stat(in(self->mnt, "file"), &st_un));
	EXPECT_EQ(070, st_un.st_mode & 070);
	EXPECT_EQ(-ENODATA, xattr_of(in(self->b1, "file"),
				     "system.posix_acl_access", lo,
				     sizeof(lo)));
	EXPECT_STREQ("lower\n", get(in(self->mnt, "file")));
	EXPECT_EQ(0, removexattr(in(self->mnt, "file"),
				 "system.posix_acl_access"));
	EXPECT_EQ(-ENODATA, xattr_of(in(self->mnt, "file"),
				     "system.posix_acl_access", un,
				     sizeof(un)));

	/* removing an ACL that is not there: as on the branch, no copy */
	put(in(self->b0, "noacl"), "n", 0644);
	nat_n = removexattr(in(self->b0, "noacl"), "system.posix_acl_access") ?
		errno : 0;
	un_n = removexattr(in(self->mnt, "dir/sub/deep"),
			   "system.posix_acl_access") ? errno : 0;
	EXPECT_EQ(nat_n, un_n);
	EXPECT_FALSE(exists(in(self->b0, "dir/sub/deep")));

	/* a default ACL, with a umask that would narrow it */
	ASSERT_EQ(0, mkdir(in(self->mnt, "dacl"), 0755));
	ASSERT_EQ(0, mkdir(in(self->b0, "native"), 0755));
	ASSERT_EQ(0, set_acl(in(self->b0, "dacl"), "system.posix_acl_default",
			     1001));
	ASSERT_EQ(0, set_acl(in(self->b0, "native"),
			     "system.posix_acl_default", 1001));
	old_umask = umask(077);
	fd = open(in(self->mnt, "dacl/f"), O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd >= 0)
		close(fd);
	fd = open(in(self->b0, "native/f"), O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd >= 0)
		close(fd);
	umask(old_umask);
	ASSERT_EQ(0, stat(in(self->mnt, "dacl/f"), &st_un));
	ASSERT_EQ(0, stat(in(self->b0, "native/f"), &st_nat));
	EXPECT_EQ(st_nat.st_mode, st_un.st_mode);
	un_n = xattr_of(in(self->mnt, "dacl/f"), "system.posix_acl_access",
			un, sizeof(un));
	nat_n = xattr_of(in(self->b0, "native/f"), "system.posix_acl_access",
			 nat, sizeof(nat));
	ASSERT_LT(0, nat_n);
	ASSERT_EQ(nat_n, un_n);
	EXPECT_EQ(0, memcmp(un, nat, un_n));
}

/*
 * An HMAC in "security.evm" (type 2) seals the lower inode (its number
 * and attributes): a copy does not take it, and without EVM in the
 * kernel no "security.evm" is copied; other xattrs come along.
 */
TEST_F(rw, copy_up_leaves_security_evm_behind)
{
	char val[8] = "";

	ASSERT_EQ(0, setxattr(in(self->b1, "file"), "security.evm", "\x02seal",
			      5, 0));
	ASSERT_EQ(0, chmod(in(self->mnt, "file"), 0600));
	EXPECT_EQ(ENODATA, xattr_errno(in(self->b0, "file"), "security.evm"));
	EXPECT_EQ(4, getxattr(in(self->b0, "file"), "user.aufs", val,
			      sizeof(val)));
	EXPECT_EQ(5, getxattr(in(self->b1, "file"), "security.evm", val,
			      sizeof(val)));
}

TEST_F(rw, sparse_file_stays_sparse_after_copy_up)
{
	struct stat st;
	char buf[4];
	int fd = open(in(self->mnt, "sparse"), O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(4, pread(fd, buf, 4, SPARSE_SIZE / 2));
	EXPECT_EQ(0, memcmp(buf, "half", 4));
	close(fd);
	ASSERT_EQ(0, stat(in(self->b0, "sparse"), &st));
	EXPECT_EQ(SPARSE_SIZE, st.st_size);
	EXPECT_GT(1L << 20, st.st_blocks * 512L) {
		TH_LOG("copy takes %ld bytes", st.st_blocks * 512L);
	}
}

TEST_F(rw, create_mkdir_symlink_mknod_land_on_top_branch)
{
	char link[32];
	ssize_t n;

	put(in(self->mnt, "new"), "new\n", 0600);
	EXPECT_STREQ("new\n", get(in(self->b0, "new")));
	ASSERT_EQ(0, mkdir(in(self->mnt, "newdir"), 0700));
	EXPECT_TRUE(exists(in(self->b0, "newdir")));
	put(in(self->mnt, "newdir/inner"), "inner", 0644);
	EXPECT_STREQ("inner", get(in(self->b0, "newdir/inner")));
	ASSERT_EQ(0, symlink("new", in(self->mnt, "newlink")));
	n = readlink(in(self->mnt, "newlink"), link, sizeof(link) - 1);
	ASSERT_EQ(3, n);
	link[n] = '\0';
	EXPECT_STREQ("new", link);
	ASSERT_EQ(0, mkfifo(in(self->mnt, "fifo"), 0600));
	EXPECT_TRUE(exists(in(self->b0, "fifo")));
	EXPECT_TRUE(dir_lists(self->mnt, "newdir"));
	EXPECT_FALSE(exists(in(self->b1, "new")));
}

/*
 * O_TMPFILE: an unnamed file on the top branch, in the copy of its
 * directory, that linkat(2) gives a name; one never linked leaves
 * nothing behind, and O_EXCL makes it unlinkable.
 */
TEST_F(rw, tmpfile_is_made_on_the_top_branch_and_linked_there)
{
	char proc[64], opts[PATH_MAX + 32];
	struct stat st, mst;
	struct statvfs sv;
	fsfilcnt_t ffree;
	int fd, n0;

	n0 = dir_has(self->b0, NULL);
	fd = open(self->mnt, O_TMPFILE | O_RDWR, 0640);
	ASSERT_LE(0, fd) {
		TH_LOG("O_TMPFILE: %s", strerror(errno));
	}
	ASSERT_EQ(4, write(fd, "tmp\n", 4));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, stat(self->mnt, &mst));
	EXPECT_EQ(0, st.st_nlink);
	EXPECT_EQ(mst.st_dev, st.st_dev);
	EXPECT_EQ(0640, st.st_mode & 07777);
	EXPECT_EQ(n0, dir_has(self->b0, NULL));
	ASSERT_EQ(0, linkat(fd, "", AT_FDCWD, in(self->mnt, "linked"),
			    AT_EMPTY_PATH));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(1, st.st_nlink);
	close(fd);
	EXPECT_STREQ("tmp\n", get(in(self->mnt, "linked")));
	EXPECT_STREQ("tmp\n", get(in(self->b0, "linked")));
	EXPECT_TRUE(dir_lists(self->mnt, "linked"));

	/* in a directory of a lower branch only: copied up first */
	fd = open(in(self->mnt, "ldir"), O_TMPFILE | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(exists(in(self->b0, "ldir")));
	ASSERT_EQ(2, write(fd, "l\n", 2));
	/* the /proc link, as tools that do not use AT_EMPTY_PATH link it */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ASSERT_EQ(0, linkat(AT_FDCWD, proc, AT_FDCWD,
			    in(self->mnt, "ldir/from-proc"), AT_SYMLINK_FOLLOW));
	close(fd);
	EXPECT_STREQ("l\n", get(in(self->b0, "ldir/from-proc")));
	EXPECT_STREQ("a", get(in(self->mnt, "ldir/a")));

	/* never linked: nothing is left on the branch, not even an inode */
	n0 = dir_has(self->b0, NULL);
	ASSERT_EQ(0, statvfs(self->b0, &sv));
	ffree = sv.f_ffree;
	fd = open(self->mnt, O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "gone\n", 5));
	ASSERT_EQ(0, statvfs(self->b0, &sv));
	EXPECT_EQ(ffree - 1, sv.f_ffree);
	close(fd);
	EXPECT_EQ(n0, dir_has(self->b0, NULL));
	ASSERT_EQ(0, statvfs(self->b0, &sv));
	EXPECT_EQ(ffree, sv.f_ffree);

	/* a branch change that keeps the top: still linkable, fchmod */
	fd = open(self->mnt, O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mkdir(in(self->base, "extra"), 0755));
	snprintf(opts, sizeof(opts), "append:%s=ro", in(self->base, "extra"));
	ASSERT_EQ(0, mount("none", self->mnt, NULL, MS_REMOUNT, opts));
	EXPECT_EQ(0, fchmod(fd, 0644));
	EXPECT_EQ(0, linkat(fd, "", AT_FDCWD, in(self->mnt, "after-change"),
			    AT_EMPTY_PATH));
	close(fd);
	EXPECT_STREQ("", get(in(self->b0, "after-change")));
	ASSERT_EQ(0, stat(in(self->b0, "after-change"), &st));
	EXPECT_EQ(0644, st.st_mode & 07777);

	/* O_EXCL: never linkable */
	fd = open(self->mnt, O_TMPFILE | O_RDWR | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, linkat(fd, "", AT_FDCWD, in(self->mnt, "excl"),
			     AT_EMPTY_PATH));
	EXPECT_EQ(ENOENT, errno);
	close(fd);
	EXPECT_FALSE(exists(in(self->mnt, "excl")));
	EXPECT_FALSE(exists(in(self->b0, "excl")));
	EXPECT_FALSE(exists(in(self->b1, "linked")));
}

TEST_F(rw, whiteout_names_cannot_be_created)
{
	EXPECT_EQ(-1, open(in(self->mnt, ".wh.x"), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, mkdir(in(self->mnt, ".wh..wh.orph"), 0755));
	EXPECT_EQ(EPERM, errno);
}

TEST_F(rw, unlink_of_lower_file_leaves_whiteout)
{
	ASSERT_EQ(0, unlink(in(self->mnt, "file")));
	EXPECT_FALSE(exists(in(self->mnt, "file")));
	EXPECT_TRUE(exists(in(self->b0, ".wh.file")));
	EXPECT_FALSE(dir_lists(self->mnt, "file"));
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
	/* the name can be made again, with new contents */
	put(in(self->mnt, "file"), "again\n", 0644);
	EXPECT_STREQ("again\n", get(in(self->mnt, "file")));
	EXPECT_TRUE(dir_lists(self->mnt, "file"));
}

TEST_F(rw, rmdir_of_merged_dir_after_unlinking_its_entries)
{
	EXPECT_EQ(-1, rmdir(in(self->mnt, "ldir")));
	EXPECT_EQ(ENOTEMPTY, errno);
	ASSERT_EQ(0, unlink(in(self->mnt, "ldir/a")));
	ASSERT_EQ(0, unlink(in(self->mnt, "ldir/b")));
	ASSERT_EQ(0, rmdir(in(self->mnt, "ldir")));
	EXPECT_FALSE(exists(in(self->mnt, "ldir")));
	EXPECT_TRUE(exists(in(self->b1, "ldir/a")));
	/* a new directory of that name is empty */
	ASSERT_EQ(0, mkdir(in(self->mnt, "ldir"), 0755));
	EXPECT_FALSE(exists(in(self->mnt, "ldir/a")));
	EXPECT_FALSE(dir_lists(in(self->mnt, "ldir"), "a"));
}

TEST_F(rw, rename_over_lower_file)
{
	put(in(self->mnt, "src"), "src\n", 0644);
	ASSERT_EQ(0, rename(in(self->mnt, "src"), in(self->mnt, "file")));
	EXPECT_STREQ("src\n", get(in(self->mnt, "file")));
	EXPECT_FALSE(exists(in(self->mnt, "src")));
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
}

TEST_F(rw, rename_of_lower_file)
{
	ASSERT_EQ(0, rename(in(self->mnt, "file"), in(self->mnt, "moved")));
	EXPECT_STREQ("lower\n", get(in(self->mnt, "moved")));
	EXPECT_FALSE(exists(in(self->mnt, "file")));
	EXPECT_FALSE(dir_lists(self->mnt, "file"));
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
}

/*
 * A directory renamed over an opaque one (".wh..wh..opq", as branches
 * made by the out-of-tree aufs have them) must go on hiding the lower
 * directory the opaque one hid: the rename removes the marker with the
 * replaced directory, so a whiteout has to take its place.
 */
TEST_F(rw, rename_over_an_opaque_dir_keeps_the_lower_dir_hidden)
{
	ASSERT_EQ(0, mkdir(in(self->b1, "odir"), 0755));
	put(in(self->b1, "odir/secret"), "secret\n", 0644);
	ASSERT_EQ(0, mkdir(in(self->b0, "odir"), 0755));
	put(in(self->b0, "odir/.wh..wh..opq"), "", 0444);
	EXPECT_FALSE(exists(in(self->mnt, "odir/secret")));
	ASSERT_EQ(0, mkdir(in(self->mnt, "updir"), 0755));
	put(in(self->mnt, "updir/mine"), "mine\n", 0644);

	ASSERT_EQ(0, rename(in(self->mnt, "updir"), in(self->mnt, "odir")));
	/* look the names up afresh, from the branches */
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
	EXPECT_STREQ("mine\n", get(in(self->mnt, "odir/mine")));
	EXPECT_FALSE(exists(in(self->mnt, "odir/secret")));
	EXPECT_FALSE(dir_lists(in(self->mnt, "odir"), "secret"));
	EXPECT_STREQ("secret\n", get(in(self->b1, "odir/secret")));
}

TEST_F(rw, hard_link_to_lower_file)
{
	struct stat a, b;

	ASSERT_EQ(0, link(in(self->mnt, "file"), in(self->mnt, "hl")));
	ASSERT_EQ(0, stat(in(self->mnt, "file"), &a));
	ASSERT_EQ(0, stat(in(self->mnt, "hl"), &b));
	EXPECT_EQ(2, b.st_nlink);
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_STREQ("lower\n", get(in(self->mnt, "hl")));
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
}

TEST_F(rw, fsync_fdatasync_fallocate)
{
	struct stat st;
	int fd = open(in(self->mnt, "file"), O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fsync(fd));
	EXPECT_EQ(0, fdatasync(fd));
	EXPECT_EQ(0, fallocate(fd, 0, 0, 1 << 20));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(1 << 20, st.st_size);
	close(fd);
}

/*
 * O_DIRECT opens as on the branch, and where the branch does direct
 * I/O, aligned reads and writes through the union move the data: a
 * lower file is read in place, a new file lands on the top branch.
 */
TEST_F(rw, o_direct_as_on_the_branch)
{
	int native = open(in(self->b1, "file"), O_RDONLY | O_DIRECT);
	int nerr = errno;
	int fd = open(in(self->mnt, "file"), O_RDONLY | O_DIRECT);
	ssize_t ret;
	char *buf;

	ASSERT_EQ(native < 0, fd < 0);
	if (native < 0) {
		ASSERT_EQ(nerr, errno);
		SKIP(return, "the branch refuses O_DIRECT: only that was compared");
	}
	close(native);
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 8192));
	memset(buf, 0, 8192);
	EXPECT_EQ(6, pread(fd, buf, 4096, 0));
	EXPECT_EQ(0, memcmp(buf, "lower\n", 6));
	close(fd);

	fd = open(in(self->mnt, "direct"), O_RDWR | O_CREAT | O_DIRECT, 0644);
	ASSERT_LE(0, fd);
	memset(buf, 'd', 8192);
	EXPECT_EQ(8192, pwrite(fd, buf, 8192, 0));
	memset(buf, 0, 8192);
	EXPECT_EQ(4096, pread(fd, buf, 4096, 4096));
	EXPECT_EQ('d', buf[0]);
	EXPECT_EQ('d', buf[4095]);
	/* an unaligned buffer: as the branch does (ext4 refuses it) */
	native = open(in(self->b0, "direct"), O_RDONLY | O_DIRECT);
	ASSERT_LE(0, native);
	ret = pread(native, buf + 1, 4096, 0);
	nerr = errno;
	EXPECT_EQ(ret, pread(fd, buf + 1, 4096, 0));
	if (ret < 0)
		EXPECT_EQ(nerr, errno);
	close(fd);
	ASSERT_EQ(0, lseek(native, 0, SEEK_SET));
	memset(buf, 0, 8192);
	EXPECT_EQ(8192, read(native, buf, 8192));
	EXPECT_EQ('d', buf[8191]);
	close(native);
	free(buf);
}

/* Run @fn as uid/gid 1000; returns its exit status. */
static int as_user(int (*fn)(const char *), const char *path)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		if (setgroups(0, NULL) || setresgid(1000, 1000, 1000) ||
		    setresuid(1000, 1000, 1000))
			_exit(99);
		_exit(fn(path));
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

static int try_write(const char *path)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return errno;
	if (write(fd, "x", 1) != 1)
		return 97;
	close(fd);
	return 0;
}

TEST_F(rw, unprivileged_write_to_others_file_is_denied)
{
	EXPECT_EQ(EACCES, as_user(try_write, in(self->mnt, "rootonly")));
	EXPECT_FALSE(exists(in(self->b0, "rootonly")));
	/* the owner of a lower file may write it, as on the branch */
	EXPECT_EQ(0, as_user(try_write, in(self->mnt, "file")));
	EXPECT_STREQ("xower\n", get(in(self->mnt, "file")));
}

static int try_set_acl(const char *path)
{
	return set_acl(path, "system.posix_acl_access", 1001) ? errno : 0;
}

/*
 * setfacl by an owner outside the file's group clears set-group-ID, as
 * on the branch itself (posix_acl_update_mode()), though the copy's ACL
 * is set as the mounter.
 */
TEST_F(rw, setfacl_clears_setgid_like_a_native_fs)
{
	struct stat st;

	put(in(self->b1, "sgid"), "sgid", 0644);
	ASSERT_EQ(0, chown(in(self->b1, "sgid"), 1000, 0));
	ASSERT_EQ(0, chmod(in(self->b1, "sgid"), 02750));
	put(in(self->b1, "sgid_native"), "sgid", 0644);
	ASSERT_EQ(0, chown(in(self->b1, "sgid_native"), 1000, 0));
	ASSERT_EQ(0, chmod(in(self->b1, "sgid_native"), 02750));

	EXPECT_EQ(0, as_user(try_set_acl, in(self->b1, "sgid_native")));
	EXPECT_EQ(0, as_user(try_set_acl, in(self->mnt, "sgid")));
	ASSERT_EQ(0, stat(in(self->b1, "sgid_native"), &st));
	EXPECT_EQ(0, st.st_mode & S_ISGID);
	ASSERT_EQ(0, stat(in(self->mnt, "sgid"), &st));
	EXPECT_EQ(0, st.st_mode & S_ISGID);
	ASSERT_EQ(0, stat(in(self->b0, "sgid"), &st));
	EXPECT_EQ(0, st.st_mode & S_ISGID);
	EXPECT_EQ(070, st.st_mode & 070);
}

static int try_opendir(const char *path)
{
	DIR *d = opendir(path);

	if (!d)
		return errno;
	closedir(d);
	return 0;
}

/*
 * A filesystem stacked on the union (overlayfs here) judges permission
 * on the aufs inode by its ACL (get_inode_acl(), also in RCU path
 * walk): a directory only an ACL lets user 1000 read is readable through
 * the overlay as on the branch.
 */
TEST_F(rw, a_filesystem_on_the_union_sees_its_acls)
{
	/* u::rwx u:1000:r-x g::--- m::r-x o::--- */
	struct { uint16_t tag, perm; uint32_t id; } e[] = {
		{ 0x01, 7, 0 }, { 0x02, 5, 1000 }, { 0x04, 0, 0 },
		{ 0x10, 5, 0 }, { 0x20, 0, 0 },
	};
	char buf[4 + sizeof(e)], ovl[PATH_MAX], empty[PATH_MAX];
	char opts[3 * PATH_MAX];
	uint32_t version = 2;

	memcpy(buf, &version, 4);
	memcpy(buf + 4, e, sizeof(e));
	ASSERT_EQ(0, mkdir(in(self->b1, "adir"), 0700));
	ASSERT_EQ(0, setxattr(in(self->b1, "adir"), "system.posix_acl_access",
			      buf, sizeof(buf), 0));
	snprintf(ovl, sizeof(ovl), "%s/ovl", self->base);
	snprintf(empty, sizeof(empty), "%s/empty", self->base);
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s", self->mnt, empty);
	ASSERT_EQ(0, mkdir(ovl, 0755));
	ASSERT_EQ(0, mkdir(empty, 0755));
	ASSERT_EQ(0, mount("overlay", ovl, "overlay", MS_RDONLY, opts));

	EXPECT_EQ(0, as_user(try_opendir, in(self->b1, "adir")));
	EXPECT_EQ(0, as_user(try_opendir, in(self->mnt, "adir")));
	EXPECT_EQ(0, as_user(try_opendir, in(ovl, "adir")));
	/* and again, once the inodes are cached */
	EXPECT_EQ(0, as_user(try_opendir, in(ovl, "adir")));
	EXPECT_EQ(0, umount(ovl));
}

TEST_F(rw, write_clears_setuid_like_a_native_fs)
{
	struct stat st;

	EXPECT_EQ(0, as_user(try_write, in(self->mnt, "owned")));
	ASSERT_EQ(0, stat(in(self->mnt, "owned"), &st));
	EXPECT_EQ(0, st.st_mode & S_ISUID);
	ASSERT_EQ(0, stat(in(self->b1, "owned"), &st));
	EXPECT_EQ(S_ISUID, st.st_mode & S_ISUID);
}

/* A 4 MiB file of 'z' at @path; 0 or -1. */
static int put_big(const char *path)
{
	static char chunk[1 << 16];
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	int i, ret = fd < 0 ? -1 : 0;

	memset(chunk, 'z', sizeof(chunk));
	for (i = 0; !ret && i < 64; i++)
		if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk))
			ret = -1;
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Mount the union again over a 1 MiB tmpfs top branch, @small (made in
 * the fixture's base), and the fixture's lower branch; 0 or -1.
 */
static int small_top(struct _test_data_rw *self, char *small)
{
	char opts[3 * PATH_MAX];

	if (umount(self->mnt))
		return -1;
	self->mounted = false;
	snprintf(small, PATH_MAX, "%s/small", self->base);
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", small, self->b1);
	if (mkdir(small, 0755) ||
	    mount("tmpfs", small, "tmpfs", 0, "size=1m") ||
	    mount("none", self->mnt, "aufs", 0, opts))
		return -1;
	self->mounted = true;
	return 0;
}

/* Copy-up that runs out of space leaves no partial file behind. */
TEST_F(rw, enospc_during_copy_up_leaves_nothing)
{
	char small[PATH_MAX];

	if (variant->ext4)
		SKIP(return, "the small branch is a tmpfs: once is enough");
	ASSERT_EQ(0, put_big(in(self->b1, "big")));
	ASSERT_EQ(0, small_top(self, small));

	EXPECT_EQ(-1, open(in(self->mnt, "big"), O_RDWR));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_FALSE(exists(in(small, "big")));
	EXPECT_EQ(0, dir_has(in(small, ".wh..wh.orph"), NULL));
	/* the lower file is still what the union shows */
	EXPECT_EQ('z', get(in(self->mnt, "big"))[0]);
	EXPECT_EQ(0, umount(self->mnt));
	self->mounted = false;
	EXPECT_EQ(0, umount(small));
}

/*
 * A shrinking truncate(2), or open(O_TRUNC), copies only what survives
 * it: with a top branch of 1 MiB, a 4 MiB lower file can be truncated to
 * 0 or to 4 KiB, with the times a truncation sets.  Growing one needs
 * the whole file and fails cleanly.
 */
TEST_F(rw, truncation_copies_only_what_survives)
{
	struct timespec times[2] = { { LOWER_TIME, 0 }, { LOWER_TIME, 0 } };
	char small[PATH_MAX], name[16];
	static char chunk[4096];
	struct stat st;
	int fd, i, n;

	if (variant->ext4)
		SKIP(return, "the small branch is a tmpfs: once is enough");
	for (n = 0; n < 5; n++) {
		snprintf(name, sizeof(name), "big%d", n);
		ASSERT_EQ(0, put_big(in(self->b1, name)));
		ASSERT_EQ(0, utimensat(AT_FDCWD, in(self->b1, name), times, 0));
	}
	ASSERT_EQ(0, small_top(self, small));

	/* open(O_TRUNC) for writing: an empty copy, written through */
	fd = open(in(self->mnt, "big0"), O_RDWR | O_TRUNC);
	ASSERT_LE(0, fd) TH_LOG("open(O_TRUNC): %s", strerror(errno));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_LT(LOWER_TIME, st.st_mtim.tv_sec);
	EXPECT_EQ(0, read(fd, chunk, sizeof(chunk)));
	EXPECT_EQ(4, write(fd, "new\n", 4));
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	EXPECT_STREQ("new\n", get(in(self->mnt, "big0")));
	EXPECT_STREQ("new\n", get(in(small, "big0")));

	/* and for reading only: the VFS truncates all the same */
	fd = open(in(self->mnt, "big4"), O_RDONLY | O_TRUNC);
	ASSERT_LE(0, fd) TH_LOG("open(O_TRUNC): %s", strerror(errno));
	EXPECT_EQ(0, read(fd, chunk, sizeof(chunk)));
	close(fd);
	ASSERT_EQ(0, stat(in(small, "big4"), &st));
	EXPECT_EQ(0, st.st_size);

	EXPECT_EQ(0, truncate(in(self->mnt, "big1"), 4096));
	ASSERT_EQ(0, stat(in(self->mnt, "big1"), &st));
	EXPECT_EQ(4096, st.st_size);
	EXPECT_LT(LOWER_TIME, st.st_mtim.tv_sec);
	EXPECT_LT(LOWER_TIME, st.st_ctim.tv_sec);
	ASSERT_EQ(0, stat(in(small, "big1"), &st));
	EXPECT_EQ(4096, st.st_size);
	fd = open(in(self->mnt, "big1"), O_RDONLY);
	ASSERT_LE(0, fd);
	memset(chunk, 0, sizeof(chunk));
	EXPECT_EQ(4096, read(fd, chunk, sizeof(chunk)));
	close(fd);
	for (i = 0; i < 4096 && chunk[i] == 'z'; i++)
		;
	EXPECT_EQ(4096, i);

	EXPECT_EQ(0, truncate(in(self->mnt, "big2"), 0));
	ASSERT_EQ(0, stat(in(small, "big2"), &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_LT(LOWER_TIME, st.st_mtim.tv_sec);

	/* growing keeps all of the data: it does not fit, nothing changes */
	EXPECT_EQ(-1, truncate(in(self->mnt, "big3"), 8 << 20));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_FALSE(exists(in(small, "big3")));
	ASSERT_EQ(0, stat(in(self->mnt, "big3"), &st));
	EXPECT_EQ(4 << 20, st.st_size);
	EXPECT_EQ(LOWER_TIME, st.st_mtim.tv_sec);
	EXPECT_EQ(0, dir_has(in(small, ".wh..wh.orph"), NULL));

	/* the lower files are untouched */
	for (n = 0; n < 5; n++) {
		snprintf(name, sizeof(name), "big%d", n);
		ASSERT_EQ(0, stat(in(self->b1, name), &st));
		EXPECT_EQ(4 << 20, st.st_size);
	}
	EXPECT_EQ(0, umount(self->mnt));
	self->mounted = false;
	EXPECT_EQ(0, umount(small));
}

/* Copy the file @from to a new file @to of mode @mode; 0 or -1. */
static int copy_out(const char *from, const char *to, mode_t mode)
{
	int in_fd = open(from, O_RDONLY);
	int out_fd = open(to, O_WRONLY | O_CREAT | O_EXCL, mode);
	char buf[1 << 16];
	ssize_t n = -1;

	while (in_fd >= 0 && out_fd >= 0 &&
	       (n = read(in_fd, buf, sizeof(buf))) > 0)
		if (write(out_fd, buf, n) != n) {
			n = -1;
			break;
		}
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0 && close(out_fd))
		n = -1;
	return n ? -1 : 0;
}

/* Wait until @pid runs @prog (its exec is done); 0 or -1. */
static int wait_exec(pid_t pid, const char *prog)
{
	char exe[64], link[PATH_MAX];
	int i;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	for (i = 0; i < 30000; i++) {
		ssize_t n = readlink(exe, link, sizeof(link) - 1);

		if (n > 0) {
			link[n] = '\0';
			if (!strcmp(link, prog))
				return 0;
		}
		usleep(1000);
	}
	return -1;
}

/*
 * An open(O_TRUNC) that fails after ->open, here on a running binary
 * (ETXTBSY from the truncation the VFS makes after ->open), leaves the
 * file as it was and copies nothing.
 */
TEST_F(rw, open_trunc_that_fails_changes_nothing)
{
	char prog[PATH_MAX];
	struct stat lower, st;
	pid_t pid;
	int fd, err;

	if (access("/bin/busybox", X_OK))
		SKIP(return, "no /bin/busybox to run from a branch");
	ASSERT_EQ(0, copy_out("/bin/busybox", in(self->b1, "prog"), 0755));
	ASSERT_EQ(0, stat(in(self->b1, "prog"), &lower));
	snprintf(prog, sizeof(prog), "%s/prog", self->mnt);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(prog, "busybox", "sleep", "60", (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(0, wait_exec(pid, prog));

	fd = open(prog, O_RDONLY | O_TRUNC);
	err = errno;
	if (fd >= 0)
		close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ETXTBSY, err) TH_LOG("open(O_TRUNC): %s", strerror(err));
	ASSERT_EQ(0, stat(prog, &st));
	EXPECT_EQ(lower.st_size, st.st_size);
	EXPECT_FALSE(exists(in(self->b0, "prog")));
	EXPECT_EQ(0, dir_has(in(self->b0, ".wh..wh.orph"), NULL));
}

/*
 * open(O_TRUNC) of a lower hard link whose sibling was copied up
 * truncates that copy: both names show the new data.
 */
TEST_F(rw, open_trunc_of_a_hard_link_truncates_its_copy)
{
	int fd;

	ASSERT_EQ(0, chmod(in(self->mnt, "h1"), 0600));
	fd = open(in(self->mnt, "h2"), O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd) TH_LOG("open(O_TRUNC): %s", strerror(errno));
	EXPECT_EQ(2, write(fd, "x\n", 2));
	close(fd);
	EXPECT_STREQ("x\n", get(in(self->mnt, "h1")));
	EXPECT_STREQ("x\n", get(in(self->mnt, "h2")));
	EXPECT_STREQ("linked\n", get(in(self->b1, "h1")));
}

/* The inode flags of @path (lsattr), or -errno. */
static long get_flags(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	int flags, ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, FS_IOC_GETFLAGS, &flags);
	ret = ret ? -errno : 0;
	close(fd);
	return ret ? ret : (unsigned int)flags;
}

/* 1 if @path has the inode flag @flag, 0 if not, -errno if lsattr fails. */
static int has_flag(const char *path, int flag)
{
	long flags = get_flags(path);

	return flags < 0 ? flags : !!(flags & flag);
}

/* Set (@on) or clear the inode flags @mask of @path (chattr); 0 or -errno. */
static int chattr(const char *path, int mask, bool on)
{
	long flags = get_flags(path);
	int fd, f, ret;

	if (flags < 0)
		return flags;
	f = on ? (flags | mask) : (flags & ~mask);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, FS_IOC_SETFLAGS, &f) ? -errno : 0;
	close(fd);
	return ret;
}

/* errno of open(@path, @flags), 0 if it opens. */
static int open_errno(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * Append-only and immutable hold through the union as on the branch:
 * lsattr shows them, the VFS refuses what they forbid before anything
 * is copied, an append copies up a file that stays append-only, and
 * chattr works through the union on a copy, leaving the lower file as
 * it was.
 */
TEST_F(rw, append_only_and_immutable_hold_through_the_union)
{
	char a[PATH_MAX], i[PATH_MAX];
	long flags;
	int fd;

	/* in() reuses its buffers */
	snprintf(a, sizeof(a), "%s/afile", self->mnt);
	snprintf(i, sizeof(i), "%s/ifile", self->mnt);

	put(in(self->b1, "afile"), "a\n", 0644);
	put(in(self->b1, "ifile"), "i\n", 0644);
	ASSERT_EQ(0, chattr(in(self->b1, "afile"), FS_APPEND_FL, true));
	ASSERT_EQ(0, chattr(in(self->b1, "ifile"), FS_IMMUTABLE_FL, true));

	flags = get_flags(a);
	ASSERT_LE(0, flags) TH_LOG("lsattr: %s", strerror(-flags));
	EXPECT_EQ(FS_APPEND_FL, flags & FS_APPEND_FL);
	EXPECT_EQ(1, has_flag(i, FS_IMMUTABLE_FL));

	/* refused before any copy-up */
	EXPECT_EQ(EPERM, open_errno(a, O_WRONLY));
	EXPECT_EQ(EPERM, open_errno(a, O_WRONLY | O_APPEND | O_TRUNC));
	EXPECT_EQ(EPERM, open_errno(i, O_WRONLY | O_APPEND));
	EXPECT_EQ(-1, chmod(i, 0600));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, unlink(i));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, setxattr(i, "user.aufs", "x", 1, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_FALSE(exists(in(self->b0, "ifile")));
	EXPECT_FALSE(exists(in(self->b0, "afile")));

	/* appending copies up; the copy is append-only too */
	fd = open(a, O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd) TH_LOG("open(O_APPEND): %s", strerror(errno));
	EXPECT_EQ(2, write(fd, "b\n", 2));
	close(fd);
	EXPECT_STREQ("a\nb\n", get(a));
	EXPECT_EQ(1, has_flag(in(self->b0, "afile"), FS_APPEND_FL));
	EXPECT_EQ(1, has_flag(a, FS_APPEND_FL));
	/* the copy's own flags stay: an ext4 copy keeps its extents */
	if (variant->ext4)
		EXPECT_EQ(has_flag(in(self->b1, "afile"), FS_EXTENT_FL),
			  has_flag(in(self->b0, "afile"), FS_EXTENT_FL));
	EXPECT_EQ(-1, truncate(a, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(EPERM, open_errno(a, O_WRONLY));
	EXPECT_EQ(-1, unlink(a));
	EXPECT_EQ(EPERM, errno);
	EXPECT_STREQ("a\nb\n", get(a));

	/* chattr through the union changes a copy */
	EXPECT_EQ(0, chattr(i, FS_IMMUTABLE_FL, false));
	EXPECT_EQ(0, has_flag(i, FS_IMMUTABLE_FL));
	EXPECT_EQ(0, has_flag(in(self->b0, "ifile"), FS_IMMUTABLE_FL));
	EXPECT_EQ(0, open_errno(i, O_WRONLY | O_APPEND));
	EXPECT_EQ(0, chattr(in(self->mnt, "file"), FS_APPEND_FL, true));
	EXPECT_EQ(1, has_flag(in(self->b0, "file"), FS_APPEND_FL));
	EXPECT_EQ(EPERM, open_errno(in(self->mnt, "file"), O_WRONLY));

	/* the lower files are as they were */
	EXPECT_EQ(1, has_flag(in(self->b1, "ifile"), FS_IMMUTABLE_FL));
	EXPECT_EQ(0, has_flag(in(self->b1, "file"), FS_APPEND_FL));
	EXPECT_STREQ("a\n", get(in(self->b1, "afile")));

	/* so that the fixture can remove them */
	EXPECT_EQ(0, chattr(in(self->b0, "afile"), FS_APPEND_FL, false));
	EXPECT_EQ(0, chattr(in(self->b0, "file"), FS_APPEND_FL, false));
	EXPECT_EQ(0, chattr(in(self->b1, "afile"), FS_APPEND_FL, false));
	EXPECT_EQ(0, chattr(in(self->b1, "ifile"), FS_IMMUTABLE_FL, false));
}

/*
 * A top branch that cannot hold append-only (ramfs has no inode flags)
 * refuses to copy up an append-only file, and leaves nothing behind: the
 * copy would let anyone truncate it.  A noatime file is copied without
 * the flag.
 */
TEST_F(rw, append_only_copy_up_needs_a_top_branch_that_holds_it)
{
	char ram[PATH_MAX], opts[3 * PATH_MAX];

	if (variant->ext4)
		SKIP(return, "the top branch is a ramfs: once is enough");
	put(in(self->b1, "afile"), "a\n", 0644);
	put(in(self->b1, "nfile"), "n\n", 0644);
	ASSERT_EQ(0, chattr(in(self->b1, "afile"), FS_APPEND_FL, true));
	ASSERT_EQ(0, chattr(in(self->b1, "nfile"), FS_NOATIME_FL, true));
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	snprintf(ram, sizeof(ram), "%s/ram", self->base);
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", ram, self->b1);
	ASSERT_EQ(0, mkdir(ram, 0755));
	ASSERT_EQ(0, mount("ramfs", ram, "ramfs", 0, NULL));
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;

	EXPECT_EQ(EPERM, open_errno(in(self->mnt, "afile"),
				    O_WRONLY | O_APPEND));
	EXPECT_FALSE(exists(in(ram, "afile")));
	EXPECT_EQ(0, dir_has(in(ram, ".wh..wh.orph"), NULL));
	EXPECT_STREQ("a\n", get(in(self->mnt, "afile")));
	EXPECT_EQ(1, has_flag(in(self->mnt, "afile"), FS_APPEND_FL));

	EXPECT_EQ(0, open_errno(in(self->mnt, "nfile"), O_WRONLY | O_APPEND));
	EXPECT_TRUE(exists(in(ram, "nfile")));

	EXPECT_EQ(0, umount(self->mnt));
	self->mounted = false;
	EXPECT_EQ(0, umount(ram));
	EXPECT_EQ(0, chattr(in(self->b1, "afile"), FS_APPEND_FL, false));
}

/* FS_IOC_FIEMAP of @path into @fm (room for 16 extents); 0 or errno. */
static int fiemap_of(const char *path, struct fiemap *fm)
{
	int fd = open(path, O_RDONLY);
	int ret;

	if (fd < 0)
		return errno;
	memset(fm, 0, sizeof(*fm) + 16 * sizeof(struct fiemap_extent));
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = 16;
	ret = ioctl(fd, FS_IOC_FIEMAP, fm) ? errno : 0;
	close(fd);
	return ret;
}

/* FIEMAP through the union answers what it answers on the branch. */
TEST_F(rw, fiemap_is_the_branch_files)
{
	size_t size = sizeof(struct fiemap) + 16 * sizeof(struct fiemap_extent);
	struct fiemap *native = calloc(1, size), *union_fm = calloc(1, size);
	unsigned int n;

	ASSERT_NE(NULL, native);
	ASSERT_NE(NULL, union_fm);
	EXPECT_EQ(fiemap_of(in(self->b1, "file"), native),
		  fiemap_of(in(self->mnt, "file"), union_fm));
	EXPECT_EQ(native->fm_mapped_extents, union_fm->fm_mapped_extents);
	for (n = 0; n < native->fm_mapped_extents && n < 16; n++) {
		EXPECT_EQ(native->fm_extents[n].fe_logical,
			  union_fm->fm_extents[n].fe_logical);
		EXPECT_EQ(native->fm_extents[n].fe_physical,
			  union_fm->fm_extents[n].fe_physical);
		EXPECT_EQ(native->fm_extents[n].fe_length,
			  union_fm->fm_extents[n].fe_length);
	}
	if (variant->ext4)
		EXPECT_LT(0, union_fm->fm_mapped_extents);
	free(native);
	free(union_fm);
}

TEST_F(rw, xattrs_read_through_and_set_with_copy_up)
{
	char val[16] = "", list[256];
	ssize_t n;

	EXPECT_EQ(4, getxattr(in(self->mnt, "file"), "user.aufs", val,
			      sizeof(val)));
	EXPECT_STREQ("kept", val);
	n = listxattr(in(self->mnt, "file"), list, sizeof(list));
	ASSERT_LT(0, n);
	EXPECT_NE(NULL, memmem(list, n, "user.aufs", 10));
	EXPECT_FALSE(exists(in(self->b0, "file")));

	ASSERT_EQ(0, setxattr(in(self->mnt, "file"), "user.new", "v", 1, 0));
	EXPECT_EQ(1, getxattr(in(self->b0, "file"), "user.new", val,
			      sizeof(val)));
	EXPECT_EQ(-1, getxattr(in(self->b1, "file"), "user.new", val,
			       sizeof(val)));
	ASSERT_EQ(0, removexattr(in(self->mnt, "file"), "user.aufs"));
	EXPECT_EQ(-1, getxattr(in(self->mnt, "file"), "user.aufs", val,
			       sizeof(val)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(4, getxattr(in(self->b1, "file"), "user.aufs", val,
			      sizeof(val)));
}

/* fcntl(F_SETFL) changes reach the branch file. */
TEST_F(rw, setfl_append_and_direct_reach_the_branch)
{
	int native, fd, nret, ret, nerr, err;

	fd = open(in(self->mnt, "file"), O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_APPEND));
	EXPECT_EQ(2, write(fd, "+\n", 2));
	EXPECT_STREQ("lower\n+\n", get(in(self->mnt, "file")));

	/* O_DIRECT set later behaves as on the branch itself */
	native = open(in(self->b0, "file"), O_WRONLY);
	ASSERT_LE(0, native);
	nret = fcntl(native, F_SETFL, O_DIRECT);
	ret = fcntl(fd, F_SETFL, O_DIRECT);
	EXPECT_EQ(nret, ret);
	if (!ret) {
		nret = pwrite(native, "x", 1, 1);
		nerr = errno;
		ret = pwrite(fd, "x", 1, 1);
		err = errno;
		EXPECT_EQ(nret, ret);
		if (ret < 0)
			EXPECT_EQ(nerr, err);
	}
	close(native);
	close(fd);
}

/* Snapshot of a tree: one sorted line per entry (path, type, mode, data). */
struct snap {
	char **lines;
	int n;
	size_t root_len;
};

static struct snap *snap_cur;

static unsigned long file_hash(const char *path)
{
	unsigned long h = 5381;
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		while (n--)
			h = h * 33 + (unsigned char)buf[n];
	close(fd);
	return h;
}

static int snap_one(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	char line[PATH_MAX + 128], link[PATH_MAX] = "";
	ssize_t n;

	if (S_ISLNK(st->st_mode)) {
		n = readlink(path, link, sizeof(link) - 1);
		link[n < 0 ? 0 : n] = '\0';
	}
	/* a merged directory's link count is "unknown" (1): not compared */
	snprintf(line, sizeof(line), "%s %o %ld %lu %s",
		 path + snap_cur->root_len, st->st_mode,
		 S_ISDIR(st->st_mode) ? 0L : (long)st->st_nlink,
		 S_ISREG(st->st_mode) ? file_hash(path) : 0UL, link);
	snap_cur->lines = realloc(snap_cur->lines,
				  (snap_cur->n + 1) * sizeof(char *));
	snap_cur->lines[snap_cur->n++] = strdup(line);
	return 0;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Snapshot of @root/tree and @root/new, paths relative to @root. */
static void snapshot(const char *root, struct snap *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->root_len = strlen(root);
	snap_cur = snap;
	nftw(in(root, "tree"), snap_one, 16, FTW_PHYS);
	nftw(in(root, "new"), snap_one, 16, FTW_PHYS);
	qsort(snap->lines, snap->n, sizeof(char *), cmp_lines);
}

static void make_tree(const char *root)
{
	char path[PATH_MAX], data[64];
	int d, f;

	mkdir(root, 0755);
	for (d = 0; d < 8; d++) {
		snprintf(path, sizeof(path), "%s/d%d", root, d);
		mkdir(path, 0755);
		for (f = 0; f < 8; f++) {
			snprintf(path, sizeof(path), "%s/d%d/f%d", root, d, f);
			snprintf(data, sizeof(data), "file %d of dir %d\n", f, d);
			put(path, data, 0644);
		}
		snprintf(path, sizeof(path), "%s/d%d/index", root, d);
		put(path, "old index\n", 0644);
	}
}

/* What a user does to a checkout: edit, lock-file renames, rm -rf... */
static void workload(const char *root)
{
	char a[PATH_MAX], b[PATH_MAX];
	int d, i;

	for (d = 0; d < 8; d++) {
		snprintf(a, sizeof(a), "%s/tree/d%d/index.lock", root, d);
		snprintf(b, sizeof(b), "%s/tree/d%d/index", root, d);
		put(a, "new index\n", 0644);
		rename(a, b);
	}
	snprintf(a, sizeof(a), "%s/tree/d0/f0", root);
	snprintf(b, sizeof(b), "%s/tree/d0/moved", root);
	rename(a, b);
	snprintf(a, sizeof(a), "%s/tree/d1/f1", root);
	unlink(a);
	snprintf(a, sizeof(a), "%s/tree/d2", root);
	nftw(a, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(a, sizeof(a), "%s/tree/d3/f3", root);
	chmod(a, 0600);
	snprintf(a, sizeof(a), "%s/tree/d4/f4", root);
	truncate(a, 3);
	snprintf(a, sizeof(a), "%s/tree/d5/f5", root);
	snprintf(b, sizeof(b), "%s/tree/d5/hard", root);
	link(a, b);
	snprintf(b, sizeof(b), "%s/tree/d5/soft", root);
	symlink("f5", b);
	snprintf(a, sizeof(a), "%s/new", root);
	make_tree(a);
	for (i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "%s/new/d%d", root, i);
		nftw(a, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	snprintf(a, sizeof(a), "%s/tree/d6/empty", root);
	mkdir(a, 0755);
	rmdir(a);
	snprintf(b, sizeof(b), "%s/tree/d2", root);
	mkdir(b, 0700);
}

/* The same workload on the union and on a plain copy: same result. */
TEST_F(rw, workload_matches_a_plain_directory)
{
	char plain[PATH_MAX];
	struct snap u, p;
	int i, diffs = 0;

	snprintf(plain, sizeof(plain), "%s/plain", self->base);
	ASSERT_EQ(0, mkdir(plain, 0755));
	make_tree(in(self->b1, "tree"));
	make_tree(in(plain, "tree"));
	workload(self->mnt);
	workload(plain);

	snapshot(self->mnt, &u);
	snapshot(plain, &p);
	EXPECT_EQ(p.n, u.n);
	for (i = 0; i < u.n && i < p.n; i++) {
		if (strcmp(u.lines[i], p.lines[i]) && diffs++ < 5)
			TH_LOG("union '%s' vs plain '%s'", u.lines[i],
			       p.lines[i]);
	}
	EXPECT_EQ(0, diffs);
	EXPECT_STREQ("file 0 of dir 2\n", get(in(self->b1, "tree/d2/f0")));
}

/* A file opened before another process copied the name up follows it. */
TEST_F(rw, open_file_follows_copy_up)
{
	char buf[16] = "";
	int rd = open(in(self->mnt, "file"), O_RDONLY), wr;

	ASSERT_LE(0, rd);
	ASSERT_EQ(2, read(rd, buf, 2));
	wr = open(in(self->mnt, "file"), O_WRONLY | O_TRUNC);
	ASSERT_LE(0, wr);
	ASSERT_EQ(4, write(wr, "NEW\n", 4));
	close(wr);
	ASSERT_EQ(0, lseek(rd, 0, SEEK_SET));
	ASSERT_EQ(4, read(rd, buf, sizeof(buf) - 1));
	EXPECT_STREQ("NEW\n", buf);
	close(rd);
}

/* ...unless it has been mapped: then it keeps its branch file. */
TEST_F(rw, mapped_file_does_not_follow_copy_up)
{
	char buf[16] = "";
	int rd = open(in(self->mnt, "file"), O_RDONLY), wr;
	void *map;

	ASSERT_LE(0, rd);
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rd, 0);
	ASSERT_NE(MAP_FAILED, map);
	wr = open(in(self->mnt, "file"), O_WRONLY | O_TRUNC);
	ASSERT_LE(0, wr);
	ASSERT_EQ(4, write(wr, "NEW\n", 4));
	close(wr);
	ASSERT_EQ(6, pread(rd, buf, sizeof(buf) - 1, 0));
	EXPECT_STREQ("lower\n", buf);
	EXPECT_EQ(0, memcmp(map, "lower\n", 6));
	munmap(map, 4096);
	close(rd);
	EXPECT_STREQ("NEW\n", get(in(self->mnt, "file")));
}

TEST_F(rw, rename_exchange_swaps_two_names)
{
	put(in(self->mnt, "other"), "other\n", 0644);
	ASSERT_EQ(0, renameat2(AT_FDCWD, in(self->mnt, "file"), AT_FDCWD,
			       in(self->mnt, "other"), RENAME_EXCHANGE));
	EXPECT_STREQ("other\n", get(in(self->mnt, "file")));
	EXPECT_STREQ("lower\n", get(in(self->mnt, "other")));
	EXPECT_STREQ("lower\n", get(in(self->b1, "file")));
	EXPECT_EQ(-1, renameat2(AT_FDCWD, in(self->mnt, "file"), AT_FDCWD,
				in(self->mnt, "dir"), RENAME_EXCHANGE));
	EXPECT_EQ(EXDEV, errno);
	EXPECT_EQ(-1, renameat2(AT_FDCWD, in(self->mnt, "file"), AT_FDCWD,
				in(self->mnt, "x"), RENAME_WHITEOUT));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * RENAME_EXCHANGE makes no whiteout: a directory may not land on a name
 * whose lower directory the other object hid, or that directory's
 * contents would show again once the name is looked up afresh.  Such an
 * exchange is refused and changes nothing.
 */
TEST_F(rw, rename_exchange_never_unveils_a_hidden_dir)
{
	struct stat st;
	int fd;

	ASSERT_EQ(0, mkdir(in(self->b1, "hidden"), 0755));
	put(in(self->b1, "hidden/secret"), "secret\n", 0644);
	put(in(self->b0, "hidden"), "file on top\n", 0644);
	ASSERT_EQ(0, mkdir(in(self->mnt, "updir"), 0755));

	EXPECT_EQ(-1, renameat2(AT_FDCWD, in(self->mnt, "updir"), AT_FDCWD,
				in(self->mnt, "hidden"), RENAME_EXCHANGE));
	EXPECT_EQ(EXDEV, errno);
	EXPECT_EQ(-1, renameat2(AT_FDCWD, in(self->mnt, "hidden"), AT_FDCWD,
				in(self->mnt, "updir"), RENAME_EXCHANGE));
	EXPECT_EQ(EXDEV, errno);

	/* look the names up afresh: drop the unused dentries */
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "2", 1));
	close(fd);
	EXPECT_STREQ("file on top\n", get(in(self->mnt, "hidden")));
	EXPECT_EQ(-1, stat(in(self->mnt, "hidden/secret"), &st));
	EXPECT_EQ(ENOTDIR, errno);
	ASSERT_EQ(0, stat(in(self->mnt, "updir"), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
}

/* A copy-up left half done by a crash is removed at the next mount. */
TEST_F(rw, stale_work_files_are_removed_at_mount)
{
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	put(in(self->b0, ".wh..wh.orph/cu.dead"), "half", 0600);
	/* what a directory, symlink or fifo copy-up cut short leaves */
	ASSERT_EQ(0, mkdir(in(self->b0, ".wh..wh.orph/cu.dir"), 0700));
	ASSERT_EQ(0, symlink("x", in(self->b0, ".wh..wh.orph/cu.link")));
	ASSERT_EQ(0, mkfifo(in(self->b0, ".wh..wh.orph/cu.fifo"), 0600));
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
	EXPECT_EQ(0, dir_has(in(self->b0, ".wh..wh.orph"), NULL));
	EXPECT_FALSE(dir_lists(self->mnt, ".wh..wh.orph"));
}

TEST_F(rw, copy_file_range_and_socket_node)
{
	int in_fd = open(in(self->mnt, "file"), O_RDONLY);
	int out_fd = open(in(self->mnt, "copy"), O_WRONLY | O_CREAT, 0644);
	struct stat st;

	ASSERT_LE(0, in_fd);
	ASSERT_LE(0, out_fd);
	EXPECT_EQ(6, copy_file_range(in_fd, NULL, out_fd, NULL, 64, 0));
	close(in_fd);
	close(out_fd);
	EXPECT_STREQ("lower\n", get(in(self->mnt, "copy")));
	EXPECT_STREQ("lower\n", get(in(self->b0, "copy")));

	ASSERT_EQ(0, mknod(in(self->mnt, "sock"), S_IFSOCK | 0600, 0));
	ASSERT_EQ(0, lstat(in(self->b0, "sock"), &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
}

/* A removed name never comes back through a file still open on it. */
TEST_F(rw, removed_file_is_not_copied_up_through_open_fd)
{
	int fd = open(in(self->mnt, "file"), O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, unlink(in(self->mnt, "file")));
	EXPECT_EQ(-1, fchmod(fd, 0600));
	close(fd);
	EXPECT_FALSE(exists(in(self->mnt, "file")));
	EXPECT_FALSE(exists(in(self->b0, "file")));
}

/* Both names of a lower hard link end up on one file of the top branch. */
TEST_F(rw, copy_up_keeps_lower_hard_links_together)
{
	struct stat a, b;
	int fd = open(in(self->mnt, "h2"), O_WRONLY | O_APPEND);

	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write(fd, "two\n", 4));
	close(fd);
	ASSERT_EQ(0, chmod(in(self->mnt, "h1"), 0600));
	ASSERT_EQ(0, stat(in(self->b0, "h1"), &a));
	ASSERT_EQ(0, stat(in(self->b0, "h2"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(0600, b.st_mode & 07777);
	EXPECT_STREQ("linked\ntwo\n", get(in(self->mnt, "h1")));
}

/* Forget every unused dentry and inode: the next lookup starts afresh. */
static int forget_cached(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	int ok = fd >= 0 && write(fd, "2", 1) == 1;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static int append(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -EIO;
}

/*
 * A name of a lower hard link that was not copied up shows the copy of
 * another name: same data, same inode number.
 */
TEST_F(rw, hard_link_sibling_shows_the_copy)
{
	struct stat a, b;
	char buf[1];

	ASSERT_EQ(0, append(in(self->mnt, "h1"), "one\n"));
	/* the inode is kept (pinned), not only while a name is cached */
	ASSERT_EQ(0, forget_cached());
	EXPECT_STREQ("linked\none\n", get(in(self->mnt, "h2")));
	EXPECT_FALSE(exists(in(self->b0, "h2")));
	ASSERT_EQ(0, stat(in(self->mnt, "h1"), &a));
	ASSERT_EQ(0, stat(in(self->mnt, "h2"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_size, b.st_size);
	EXPECT_STREQ("linked\n", get(in(self->b1, "h2")));
	/* xattrs too */
	ASSERT_EQ(0, setxattr(in(self->mnt, "h1"), "user.sib", "v", 1, 0));
	EXPECT_EQ(1, getxattr(in(self->mnt, "h2"), "user.sib", buf, 1));
	EXPECT_LT(0, listxattr(in(self->mnt, "h2"), NULL, 0));
}

/*
 * The copy outlives the name that was copied up: a pseudo-link in
 * .wh..wh.plnk, named INO.HINO as out-of-tree aufs names it, keeps it,
 * and the other name becomes a link to it when it changes.
 */
TEST_F(rw, hard_link_sibling_outlives_the_copied_name)
{
	char plink[64];
	struct stat u, h;

	/* both names cached, as a shell that just listed them has them */
	ASSERT_EQ(0, stat(in(self->mnt, "h2"), &u));
	ASSERT_EQ(0, chmod(in(self->mnt, "h1"), 0600));
	ASSERT_EQ(0, stat(in(self->b0, "h1"), &h));
	snprintf(plink, sizeof(plink), ".wh..wh.plnk/%llu.%llu",
		 (unsigned long long)u.st_ino, (unsigned long long)h.st_ino);
	EXPECT_TRUE(exists(in(self->b0, plink)));
	ASSERT_EQ(0, unlink(in(self->mnt, "h1")));
	ASSERT_EQ(0, forget_cached());
	/* h2 is the copy: the mode chmod gave it */
	ASSERT_EQ(0, stat(in(self->mnt, "h2"), &u));
	EXPECT_EQ(0600, u.st_mode & 07777);
	EXPECT_EQ(0, append(in(self->mnt, "h2"), "x\n"));
	EXPECT_STREQ("linked\nx\n", get(in(self->mnt, "h2")));
	ASSERT_EQ(0, stat(in(self->mnt, "h2"), &u));
	EXPECT_EQ(0600, u.st_mode & 07777);
	ASSERT_EQ(0, stat(in(self->b0, "h2"), &u));
	EXPECT_EQ(h.st_ino, u.st_ino);
	EXPECT_FALSE(exists(in(self->mnt, "h1")));
	EXPECT_STREQ("linked\n", get(in(self->b1, "h2")));
	/* the pseudo-link directory is never shown */
	EXPECT_FALSE(dir_lists(self->mnt, ".wh..wh.plnk"));
}

/*
 * After prepend:, a file copied up to the old top is copied again to the
 * new one, not linked: the old top, a lower branch now, keeps its data.
 */
TEST_F(rw, copy_after_prepend_leaves_the_old_top_alone)
{
	char b2[PATH_MAX + 8], opt[PATH_MAX + 16];
	struct stat a, b;
	int fd;

	snprintf(b2, sizeof(b2), "%s/b2", self->base);
	ASSERT_EQ(0, mkdir(b2, 0755));
	ASSERT_EQ(0, append(in(self->mnt, "h1"), "one\n"));
	/* the other name in use across the change */
	fd = open(in(self->mnt, "h2"), O_RDONLY);
	ASSERT_LE(0, fd);
	snprintf(opt, sizeof(opt), "prepend:%s=rw", b2);
	ASSERT_EQ(0, mount("none", self->mnt, NULL, MS_REMOUNT, opt));
	EXPECT_EQ(0, append(in(self->mnt, "h2"), "two\n"));
	close(fd);
	EXPECT_STREQ("linked\none\n", get(in(self->b0, "h1")));
	EXPECT_STREQ("linked\none\ntwo\n", get(in(b2, "h2")));
	EXPECT_STREQ("linked\none\ntwo\n", get(in(self->mnt, "h1")));
	ASSERT_EQ(0, stat(in(self->mnt, "h1"), &a));
	ASSERT_EQ(0, stat(in(self->mnt, "h2"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	/* and the first name joins the new copy when it changes */
	EXPECT_EQ(0, append(in(self->mnt, "h1"), "three\n"));
	EXPECT_STREQ("linked\none\n", get(in(self->b0, "h1")));
	ASSERT_EQ(0, stat(in(b2, "h1"), &a));
	ASSERT_EQ(0, stat(in(b2, "h2"), &b));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_STREQ("linked\none\ntwo\nthree\n", get(in(self->mnt, "h2")));
}

/*
 * Names of @dir whose d_ino is not their st_ino; -1 if it cannot tell
 * (an error, or not even "." listed).
 */
static int dino_mismatches(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int bad = 0, seen = 0;

	if (!d)
		return -1;
	for (errno = 0; (e = readdir(d)); errno = 0) {
		seen++;
		if (!strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
			bad = -1;
			break;
		}
		if (st.st_ino != e->d_ino) {
			fprintf(stderr, "# %s/%s: d_ino %llu, st_ino %llu\n",
				dir, e->d_name, (unsigned long long)e->d_ino,
				(unsigned long long)st.st_ino);
			bad++;
		}
	}
	if (bad >= 0 && (errno || !seen))
		bad = -1;
	closedir(d);
	return bad;
}

/* Unmount the union and mount it again with the same branches. */
static int mount_again(struct _test_data_rw *self)
{
	if (umount(self->mnt))
		return -1;
	self->mounted = false;
	if (mount("none", self->mnt, "aufs", 0, self->opts))
		return -1;
	self->mounted = true;
	return 0;
}

/*
 * A name keeps its inode number across a copy-up, the eviction of its
 * inode and a new mount: tar, rsync and git's index see the same file.
 * A listing gives d_ino equal to st_ino.  Hard links of a lower file
 * stay one file with one number while the union is mounted; a new mount
 * does not read pseudo-links, so there the copied name is a file of its
 * own, with a number of its own.
 */
TEST_F(rw, inode_numbers_outlive_copy_up_and_remounts)
{
	static const char * const names[] = {
		"file", "dir", "dir/sub", "dir/sub/deep", "ldir", "ldir/a",
		"h2",
	};
	static const char * const dirs[] = { "", "dir", "dir/sub", "ldir" };
	ino_t before[ARRAY_SIZE(names)];
	struct stat st;
	unsigned int i;
	int round;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ASSERT_EQ(0, stat(in(self->mnt, names[i]), &st));
		before[i] = st.st_ino;
	}
	ASSERT_EQ(0, stat(in(self->mnt, "h1"), &st));
	EXPECT_EQ(before[6], st.st_ino);
	/* a file; a file with its parents; a directory; one hard link */
	ASSERT_EQ(0, append(in(self->mnt, "file"), "x\n"));
	ASSERT_EQ(0, chmod(in(self->mnt, "dir/sub/deep"), 0600));
	ASSERT_EQ(0, chmod(in(self->mnt, "ldir"), 0700));
	ASSERT_EQ(0, append(in(self->mnt, "h1"), "y\n"));
	ASSERT_TRUE(exists(in(self->b0, "dir/sub/deep")));
	ASSERT_TRUE(exists(in(self->b0, "ldir")));
	ASSERT_TRUE(exists(in(self->b0, "h1")));

	for (round = 0; round < 3; round++) {
		if (round == 1)
			ASSERT_EQ(0, forget_cached());
		if (round == 2)
			ASSERT_EQ(0, mount_again(self));
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			ASSERT_EQ(0, stat(in(self->mnt, names[i]), &st));
			EXPECT_EQ(before[i], st.st_ino) {
				TH_LOG("%s, round %d", names[i], round);
			}
		}
		for (i = 0; i < ARRAY_SIZE(dirs); i++) {
			const char *dir = dirs[i];

			EXPECT_EQ(0, dino_mismatches(in(self->mnt, dir))) {
				TH_LOG("/%s, round %d", dir, round);
			}
		}
		ASSERT_EQ(0, stat(in(self->mnt, "h1"), &st));
		if (round < 2) {
			EXPECT_EQ(before[6], st.st_ino);
			EXPECT_STREQ("linked\ny\n", get(in(self->mnt, "h2")));
		} else {
			EXPECT_NE(before[6], st.st_ino);
			EXPECT_STREQ("linked\n", get(in(self->mnt, "h2")));
		}
	}
}

/*
 * An object with a kept number moved or linked through the union into a
 * directory of the top branch only keeps it there too, in stat and in
 * the listing, also when a RENAME_EXCHANGE moves it.
 */
TEST_F(rw, inode_numbers_follow_renames_and_links)
{
	struct stat st;
	ino_t file, deep, plain;
	int round;

	ASSERT_EQ(0, stat(in(self->mnt, "file"), &st));
	file = st.st_ino;
	ASSERT_EQ(0, stat(in(self->mnt, "dir/sub/deep"), &st));
	deep = st.st_ino;
	ASSERT_EQ(0, mkdir(in(self->mnt, "new"), 0755));
	ASSERT_EQ(0, mkdir(in(self->mnt, "new2"), 0755));
	put(in(self->mnt, "new2/plain"), "plain", 0644);
	ASSERT_EQ(0, stat(in(self->mnt, "new2/plain"), &st));
	plain = st.st_ino;
	ASSERT_EQ(0, rename(in(self->mnt, "file"), in(self->mnt, "new/moved")));
	ASSERT_EQ(0, link(in(self->mnt, "dir/sub/deep"),
			  in(self->mnt, "new/linked")));
	/* the kept "moved" goes to new2, the plain file to new */
	ASSERT_EQ(0, renameat2(AT_FDCWD, in(self->mnt, "new2/plain"),
			       AT_FDCWD, in(self->mnt, "new/moved"),
			       RENAME_EXCHANGE));

	for (round = 0; round < 3; round++) {
		if (round == 1)
			ASSERT_EQ(0, forget_cached());
		if (round == 2)
			ASSERT_EQ(0, mount_again(self));
		ASSERT_EQ(0, stat(in(self->mnt, "new2/plain"), &st));
		EXPECT_EQ(file, st.st_ino);
		ASSERT_EQ(0, stat(in(self->mnt, "new/moved"), &st));
		EXPECT_EQ(plain, st.st_ino);
		ASSERT_EQ(0, stat(in(self->mnt, "new/linked"), &st));
		EXPECT_EQ(deep, st.st_ino);
		ASSERT_EQ(0, stat(in(self->mnt, "dir/sub/deep"), &st));
		EXPECT_EQ(deep, st.st_ino);
		EXPECT_EQ(0, dino_mismatches(in(self->mnt, "new")));
		EXPECT_EQ(0, dino_mismatches(in(self->mnt, "new2")));
		EXPECT_EQ(0, dino_mismatches(in(self->mnt, "dir/sub")));
	}
}

static bool lists_xattr(const char *path, const char *prefix)
{
	char list[4096], *name;
	ssize_t n = listxattr(path, list, sizeof(list));

	for (name = list; n > 0 && name < list + n; name += strlen(name) + 1)
		if (!strncmp(name, prefix, strlen(prefix)))
			return true;
	return false;
}

/*
 * A copy keeps the union's number in trusted.aufs.ino, and its directory
 * is marked with trusted.aufs.impure; neither is shown through the
 * union: not listed, read as absent, not settable or removable.
 */
TEST_F(rw, own_xattrs_are_kept_on_the_branch_and_not_shown)
{
	uint64_t kept = 0;
	struct stat st;
	char buf[64];
	ssize_t n;

	ASSERT_EQ(0, stat(in(self->mnt, "file"), &st));
	ASSERT_EQ(0, append(in(self->mnt, "file"), "x\n"));
	/* the format: the union's number, 8 bytes, little-endian */
	EXPECT_EQ(8, getxattr(in(self->b0, "file"), "trusted.aufs.ino", &kept,
			      sizeof(kept)));
	EXPECT_EQ(st.st_ino, le64toh(kept));
	EXPECT_EQ(1, getxattr(self->b0, "trusted.aufs.impure", buf,
			      sizeof(buf)));
	EXPECT_FALSE(lists_xattr(in(self->mnt, "file"), "trusted.aufs."));
	EXPECT_FALSE(lists_xattr(self->mnt, "trusted.aufs."));
	EXPECT_TRUE(lists_xattr(in(self->mnt, "file"), "user.aufs"));
	/* a buffer that fits the list shown, not the branch's */
	n = listxattr(in(self->mnt, "file"), buf, sizeof(buf));
	ASSERT_LT(0, n);
	EXPECT_LE(n, listxattr(in(self->mnt, "file"), NULL, 0));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(n, listxattr(in(self->mnt, "file"), buf, n));
	EXPECT_EQ(0, memcmp(buf, "user.aufs", 10));
	EXPECT_LT(n, listxattr(in(self->b0, "file"), NULL, 0));
	EXPECT_EQ(-1, getxattr(in(self->mnt, "file"), "trusted.aufs.ino",
			       buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, setxattr(in(self->mnt, "file"), "trusted.aufs.ino",
			       "12345678", 8, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, removexattr(in(self->mnt, "file"), "trusted.aufs.ino"));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(8, getxattr(in(self->b0, "file"), "trusted.aufs.ino", buf,
			      sizeof(buf)));
}

/*
 * A kept number is read from an object of an rw branch, and one naming
 * the object's own branch (the low 7 bits: b0 is branch 0) is ignored,
 * so that it never equals the number of another inode of that branch.
 * On a branch that is not rw (a layer from anywhere) none is read.
 */
TEST_F(rw, a_kept_number_naming_its_own_branch_is_ignored)
{
	unsigned long long other = (999ULL << 7) | 1, own = 999ULL << 7;
	struct stat st;

	uint64_t raw;

	put(in(self->b0, "other"), "o", 0644);
	put(in(self->b0, "own"), "o", 0644);
	raw = htole64(other);
	ASSERT_EQ(0, setxattr(in(self->b0, "other"), "trusted.aufs.ino", &raw,
			      8, 0));
	raw = htole64(own);
	ASSERT_EQ(0, setxattr(in(self->b0, "own"), "trusted.aufs.ino", &raw,
			      8, 0));
	ASSERT_EQ(0, stat(in(self->mnt, "other"), &st));
	EXPECT_EQ(other, st.st_ino);
	ASSERT_EQ(0, stat(in(self->mnt, "own"), &st));
	EXPECT_NE(own, st.st_ino);

	/* b1 is ro: the number of a forged copy there is its own */
	put(in(self->b1, "forged"), "f", 0644);
	raw = htole64(999ULL << 7);
	ASSERT_EQ(0, setxattr(in(self->b1, "forged"), "trusted.aufs.ino",
			      &raw, 8, 0));
	ASSERT_EQ(0, stat(in(self->mnt, "forged"), &st));
	EXPECT_NE(999ULL << 7, st.st_ino);
	EXPECT_EQ(1, st.st_ino & 127);
}

/*
 * noxino, at mount, as out-of-tree aufs spells it: a copy keeps no
 * number and aufs writes nothing of its own to the branch, so the name
 * takes the copy's number once its inode goes.  /proc/mounts shows it
 * and a remount with that line keeps it; a remount cannot give it to a
 * mount that keeps numbers, and xino=FILE is refused, both changing
 * nothing.
 */
TEST_F(rw, noxino_keeps_no_number)
{
	char opts[3 * PATH_MAX + 32], buf[16];
	struct stat st;
	ino_t before;

	EXPECT_EQ(NULL, strstr(mount_opts(self->mnt), "xino"));
	/* the same remount without it is taken */
	EXPECT_EQ(0, mount("none", self->mnt, "aufs", MS_REMOUNT, self->opts));
	snprintf(opts, sizeof(opts), "%s,noxino", self->opts);
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NULL, strstr(mount_opts(self->mnt), "xino"));

	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;
	EXPECT_NE(NULL, strstr(mount_opts(self->mnt), ",noxino,"));
	snprintf(opts, sizeof(opts), "%s", mount_opts(self->mnt));
	EXPECT_EQ(0, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", MS_REMOUNT,
			    "xino=/tmp/.aufs.xino"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NE(NULL, strstr(mount_opts(self->mnt), ",noxino,"));

	ASSERT_EQ(0, stat(in(self->mnt, "file"), &st));
	before = st.st_ino;
	ASSERT_EQ(0, append(in(self->mnt, "file"), "x\n"));
	ASSERT_EQ(0, stat(in(self->mnt, "file"), &st));
	EXPECT_EQ(before, st.st_ino);
	EXPECT_EQ(-1, getxattr(in(self->b0, "file"), "trusted.aufs.ino", buf,
			       sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, getxattr(self->b0, "trusted.aufs.impure", buf,
			       sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	/* the copy's own number at the next mount */
	snprintf(opts, sizeof(opts), "%s,noxino", self->opts);
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;
	ASSERT_EQ(0, stat(in(self->mnt, "file"), &st));
	EXPECT_NE(before, st.st_ino);
	EXPECT_EQ(0, dino_mismatches(self->mnt));

	/* a new mount without it keeps numbers again */
	ASSERT_EQ(0, mount_again(self));
	EXPECT_EQ(NULL, strstr(mount_opts(self->mnt), "xino"));
	ASSERT_EQ(0, stat(in(self->mnt, "rootonly"), &st));
	before = st.st_ino;
	ASSERT_EQ(0, append(in(self->mnt, "rootonly"), "x\n"));
	ASSERT_EQ(0, mount_again(self));
	ASSERT_EQ(0, stat(in(self->mnt, "rootonly"), &st));
	EXPECT_EQ(before, st.st_ino);
}

/*
 * A branch added after another was deleted does not take the deleted
 * one's id, which numbers kept on copies may still name: its inodes get
 * numbers of their own.
 */
TEST_F(rw, a_branch_added_after_a_delete_takes_a_new_id)
{
	char b2[PATH_MAX + 8], opt[PATH_MAX + 16];
	struct stat st;
	ino_t kept;

	ASSERT_EQ(0, stat(in(self->mnt, "file"), &st));
	kept = st.st_ino;
	ASSERT_EQ(0, append(in(self->mnt, "file"), "x\n"));
	snprintf(opt, sizeof(opt), "del:%s", self->b1);
	ASSERT_EQ(0, mount("none", self->mnt, NULL, MS_REMOUNT, opt));
	/* nothing holds the deleted branch any more */
	ASSERT_EQ(0, forget_cached());
	snprintf(b2, sizeof(b2), "%s/b2", self->base);
	ASSERT_EQ(0, mkdir(b2, 0755));
	put(in(b2, "new"), "new", 0644);
	snprintf(opt, sizeof(opt), "append:%s=ro", b2);
	ASSERT_EQ(0, mount("none", self->mnt, NULL, MS_REMOUNT, opt));
	ASSERT_EQ(0, stat(in(self->mnt, "new"), &st));
	EXPECT_NE(kept & 127, st.st_ino & 127);
	ASSERT_EQ(0, stat(in(self->mnt, "file"), &st));
	EXPECT_EQ(kept, st.st_ino);
}

/* Up to @size bytes of @path in @buf; the count, or -1. */
static ssize_t read_bytes(const char *path, void *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n;
}

/*
 * The name of the note (dirren) for a part on @branch, as both aufs
 * write it: ".wh..wh..dr.", the branch's filesystem id or device, and
 * the inode number of its root.
 */
static int dr_note_name(const char *branch, char *buf, size_t size)
{
	struct statfs sfs;
	struct stat st;
	int fsid[2];
	int n;

	if (statfs(branch, &sfs) || stat(branch, &st))
		return -1;
	memcpy(fsid, &sfs.f_fsid, sizeof(fsid));
	if (fsid[0] || fsid[1])
		n = snprintf(buf, size, ".wh..wh..dr.2_%08x-%08x", fsid[0],
			     fsid[1]);
	else if (major(st.st_dev) <= 0xff && minor(st.st_dev) <= 0xff)
		n = snprintf(buf, size, ".wh..wh..dr.3_%02x%02x",
			     major(st.st_dev), minor(st.st_dev));
	else
		n = snprintf(buf, size, ".wh..wh..dr.3_%03x:%05x",
			     major(st.st_dev), minor(st.st_dev));
	snprintf(buf + n, size - n, "_%llu", (unsigned long long)st.st_ino);
	return 0;
}

/* The contents of a note naming @ino called @name; its length. */
static size_t dr_note(unsigned char *buf, unsigned long long ino,
		      const char *name)
{
	uint64_t be = htobe64(ino);
	size_t len = strlen(name);

	memset(buf, 0, 24);
	memcpy(buf, "adr\x01", 4);
	memcpy(buf + 8, &be, 8);
	buf[16] = len;
	memcpy(buf + 24, name, len);
	return 24 + len;
}

/* The contents of a note naming @ino by its @path from the branch root. */
static size_t dr_path_note(unsigned char *buf, unsigned long long ino,
			   const char *path)
{
	uint64_t be = htobe64(ino);
	size_t len = strlen(path);

	memset(buf, 0, 24);
	memcpy(buf, "adp\x01", 4);
	memcpy(buf + 8, &be, 8);
	buf[16] = len >> 8;
	buf[17] = len & 0xff;
	memcpy(buf + 24, path, len);
	return 24 + len;
}

/* Whether the note at @path holds the @len bytes of @want. */
static bool dr_note_is(const char *path, const unsigned char *want,
		       size_t len)
{
	unsigned char note[PATH_MAX + 32];

	return read_bytes(path, note, sizeof(note)) == (ssize_t)len &&
	       !memcmp(note, want, len);
}

/* Whether the list of renamed directories at @branch holds @ino. */
static bool dr_listed(const char *branch, unsigned long long ino)
{
	uint64_t list[64];
	ssize_t n = read_bytes(in(branch, ".wh..wh.hino"), list, sizeof(list));
	ssize_t i;

	for (i = 0; i < n / 8; i++)
		if (be64toh(list[i]) == ino)
			return true;
	return false;
}

/*
 * A directory with lower parts whose merge shows no entry needs none
 * of them: it is renamed anywhere, even with nodirren, and its lower
 * parts stay where they are, hidden.
 */
TEST_F(rw, a_dir_that_shows_no_entry_is_renamed_anywhere)
{
	char opts[3 * PATH_MAX + 16];
	int round;

	for (round = 0; round < 2; round++) {
		const char *from = round ? "edir" : "ldir";
		const char *to = round ? "dir/sub/moved" : "dir/moved";
		const char *new = round ? "dir/sub/moved/new" : "dir/moved/new";

		if (round) {
			ASSERT_EQ(0, mkdir(in(self->b1, "edir"), 0755));
			put(in(self->b1, "edir/e"), "e", 0644);
			snprintf(opts, sizeof(opts), "%s,nodirren", self->opts);
			ASSERT_EQ(0, umount(self->mnt));
			self->mounted = false;
			ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
			self->mounted = true;
			ASSERT_EQ(0, unlink(in(self->mnt, "edir/e")));
		} else {
			ASSERT_EQ(0, unlink(in(self->mnt, "ldir/a")));
			ASSERT_EQ(0, unlink(in(self->mnt, "ldir/b")));
		}
		ASSERT_EQ(0, rename(in(self->mnt, from), in(self->mnt, to)));
		EXPECT_FALSE(exists(in(self->mnt, from)));
		EXPECT_FALSE(dir_lists(self->mnt, from));
		EXPECT_EQ(0, dir_entries(in(self->mnt, to)));
		put(in(self->mnt, new), "new", 0644);
		ASSERT_EQ(0, mount_again(self));
		EXPECT_FALSE(exists(in(self->mnt, from)));
		EXPECT_EQ(1, dir_entries(in(self->mnt, to)));
		EXPECT_STREQ("new", get(in(self->mnt, new)));
	}
	EXPECT_STREQ("a", get(in(self->b1, "ldir/a")));
	EXPECT_STREQ("e", get(in(self->b1, "edir/e")));
}

/*
 * A directory whose lower parts hold entries is renamed within its
 * parent (dirren, the default): its top copy moves with a note per
 * lower part, in the format of out-of-tree aufs, and the merge under
 * the new name stays whole across changes beneath it and new mounts.
 */
TEST_F(rw, a_populated_dir_is_renamed_with_its_lower_parts)
{
	unsigned char note[64], want[64];
	char name[PATH_MAX], path[2 * PATH_MAX];
	struct stat lower, top;
	size_t len;
	int round;

	put(in(self->b1, "dir/untouched"), "untouched\n", 0644);
	ASSERT_EQ(0, stat(in(self->b1, "dir"), &lower));
	ASSERT_EQ(0, rename(in(self->mnt, "dir"), in(self->mnt, "dir2")));
	EXPECT_FALSE(exists(in(self->mnt, "dir")));
	EXPECT_FALSE(dir_lists(self->mnt, "dir"));
	EXPECT_TRUE(dir_lists(self->mnt, "dir2"));
	EXPECT_STREQ("deep\n", get(in(self->mnt, "dir2/sub/deep")));
	EXPECT_STREQ("deep\n", get(in(self->b1, "dir/sub/deep")));

	/* on the branch, as out-of-tree aufs writes it */
	ASSERT_EQ(0, dr_note_name(self->b1, name, sizeof(name)));
	snprintf(path, sizeof(path), "%s/dir2/%s", self->b0, name);
	len = dr_note(want, lower.st_ino, "dir");
	EXPECT_EQ((ssize_t)len, read_bytes(path, note, sizeof(note)));
	EXPECT_EQ(0, memcmp(note, want, len));
	ASSERT_EQ(0, stat(in(self->b0, "dir2"), &top));
	EXPECT_TRUE(dr_listed(self->b0, top.st_ino));
	EXPECT_TRUE(exists(in(self->b0, ".wh.dir")));
	EXPECT_EQ(2, dir_entries(in(self->mnt, "dir2")));

	/* changes beneath it, and another rename, kept by new mounts */
	put(in(self->mnt, "dir2/new"), "new", 0644);
	ASSERT_EQ(0, unlink(in(self->mnt, "dir2/sub/deep")));
	put(in(self->mnt, "dir2/sub/deeper"), "deeper", 0644);
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, mount_again(self));
		EXPECT_FALSE(exists(in(self->mnt, "dir")));
		EXPECT_STREQ("new", get(in(self->mnt, "dir2/new")));
		EXPECT_STREQ("untouched\n",
			     get(in(self->mnt, "dir2/untouched")));
		EXPECT_FALSE(exists(in(self->mnt, "dir2/sub/deep")));
		EXPECT_STREQ("deeper", get(in(self->mnt, "dir2/sub/deeper")));
		EXPECT_EQ(3, dir_entries(in(self->mnt, "dir2")));
		EXPECT_EQ(1, dir_entries(in(self->mnt, "dir2/sub")));
		EXPECT_EQ(0, dino_mismatches(in(self->mnt, "dir2")));
		ASSERT_EQ(0, forget_cached());
	}
	ASSERT_EQ(0, rename(in(self->mnt, "dir2"), in(self->mnt, "dir3")));
	ASSERT_EQ(0, mount_again(self));
	EXPECT_FALSE(exists(in(self->mnt, "dir2")));
	EXPECT_STREQ("deeper", get(in(self->mnt, "dir3/sub/deeper")));
	EXPECT_STREQ("untouched\n", get(in(self->mnt, "dir3/untouched")));
	EXPECT_EQ(0, stat(in(self->mnt, "dir3/sub"), &top));
	EXPECT_STREQ("deep\n", get(in(self->b1, "dir/sub/deep")));

	/* back to its first name: its whiteout goes, nothing is opaque */
	ASSERT_EQ(0, rename(in(self->mnt, "dir3"), in(self->mnt, "dir")));
	EXPECT_FALSE(exists(in(self->b0, ".wh.dir")));
	EXPECT_FALSE(exists(in(self->b0, "dir/.wh..wh..opq")));
	for (round = 0; round < 2; round++) {
		EXPECT_FALSE(exists(in(self->mnt, "dir3")));
		EXPECT_STREQ("untouched\n", get(in(self->mnt, "dir/untouched")));
		EXPECT_STREQ("deeper", get(in(self->mnt, "dir/sub/deeper")));
		EXPECT_FALSE(exists(in(self->mnt, "dir/sub/deep")));
		EXPECT_EQ(3, dir_entries(in(self->mnt, "dir")));
		ASSERT_EQ(0, mount_again(self));
	}

	/* emptied through the union, it goes, and its lower parts stay */
	ASSERT_EQ(0, unlink(in(self->mnt, "dir/sub/deeper")));
	ASSERT_EQ(0, rmdir(in(self->mnt, "dir/sub")));
	ASSERT_EQ(0, unlink(in(self->mnt, "dir/new")));
	ASSERT_EQ(0, unlink(in(self->mnt, "dir/untouched")));
	ASSERT_EQ(0, rmdir(in(self->mnt, "dir")));
	ASSERT_EQ(0, mount_again(self));
	EXPECT_FALSE(exists(in(self->mnt, "dir3")));
	EXPECT_FALSE(exists(in(self->mnt, "dir")));
	EXPECT_FALSE(exists(in(self->b0, "dir")));
	EXPECT_STREQ("deep\n", get(in(self->b1, "dir/sub/deep")));
}

/*
 * A directory renamed over several lower branches keeps each of its
 * parts, also once a branch added on top holds a copy of it without
 * notes (a copy-up into it after a prepend:): the notes of the old top,
 * a lower rw branch now, still count, while mounted and at a new mount,
 * until a later move writes notes of its own on the new top.
 */
TEST_F(rw, a_renamed_dir_keeps_its_parts_on_several_branches)
{
	char b2[PATH_MAX + 8], bn[PATH_MAX + 8], opt[4 * PATH_MAX + 64];
	int round;

	snprintf(b2, sizeof(b2), "%s/b2", self->base);
	snprintf(bn, sizeof(bn), "%s/bn", self->base);
	ASSERT_EQ(0, mkdir(b2, 0755));
	ASSERT_EQ(0, mkdir(bn, 0755));
	ASSERT_EQ(0, mkdir(in(b2, "dir"), 0755));
	put(in(b2, "dir/far"), "far\n", 0644);
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	snprintf(self->opts, sizeof(self->opts), "br=%s=rw:%s=ro:%s=ro",
		 self->b0, self->b1, b2);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;

	ASSERT_EQ(0, rename(in(self->mnt, "dir"), in(self->mnt, "dir2")));
	ASSERT_EQ(0, mount_again(self));
	EXPECT_STREQ("far\n", get(in(self->mnt, "dir2/far")));
	EXPECT_STREQ("deep\n", get(in(self->mnt, "dir2/sub/deep")));
	EXPECT_FALSE(exists(in(self->mnt, "dir")));

	snprintf(opt, sizeof(opt), "prepend:%s=rw", bn);
	ASSERT_EQ(0, mount("none", self->mnt, NULL, MS_REMOUNT, opt));
	put(in(self->mnt, "dir2/x"), "x", 0644);
	EXPECT_TRUE(exists(in(bn, "dir2/x")));
	snprintf(self->opts, sizeof(self->opts), "br=%s=rw:%s=rw:%s=ro:%s=ro",
		 bn, self->b0, self->b1, b2);
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, forget_cached());
		EXPECT_STREQ("far\n", get(in(self->mnt, "dir2/far")));
		EXPECT_STREQ("deep\n", get(in(self->mnt, "dir2/sub/deep")));
		EXPECT_STREQ("x", get(in(self->mnt, "dir2/x")));
		EXPECT_EQ(3, dir_entries(in(self->mnt, "dir2")));
		ASSERT_EQ(0, mount_again(self));
	}

	/*
	 * Moved to another parent, the new top copy's notes name every
	 * part by its path, the old top included; those win over the old
	 * top's notes, which name the parts by a name in the old parent.
	 */
	ASSERT_EQ(0, rename(in(self->mnt, "dir2"), in(self->mnt, "ldir/dir3")));
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, forget_cached());
		EXPECT_FALSE(exists(in(self->mnt, "dir2")));
		EXPECT_STREQ("far\n", get(in(self->mnt, "ldir/dir3/far")));
		EXPECT_STREQ("deep\n", get(in(self->mnt, "ldir/dir3/sub/deep")));
		EXPECT_STREQ("x", get(in(self->mnt, "ldir/dir3/x")));
		EXPECT_EQ(3, dir_entries(in(self->mnt, "ldir/dir3")));
		ASSERT_EQ(0, mount_again(self));
	}
}

/*
 * A populated directory moved to another parent keeps its lower parts,
 * on branches where its new parent has no directory too: each note
 * names its part by its path from the branch root.  Moved back where
 * its parts are, and renamed within that parent, its notes name them
 * by name again, as out-of-tree aufs reads them.  A move is a move: the
 * old parent removed through the union does not take the parts of what
 * moved out of it.
 */
TEST_F(rw, a_populated_dir_moves_to_another_parent_with_its_lower_parts)
{
	char b2[PATH_MAX + 8], name1[PATH_MAX], name2[PATH_MAX];
	char path[2 * PATH_MAX];
	unsigned char want[PATH_MAX + 32];
	struct stat dir1, dir2, sub1;
	size_t len;
	int round;

	snprintf(b2, sizeof(b2), "%s/b2", self->base);
	ASSERT_EQ(0, mkdir(b2, 0755));
	ASSERT_EQ(0, mkdir(in(b2, "dir"), 0755));
	put(in(b2, "dir/far"), "far\n", 0644);
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	snprintf(self->opts, sizeof(self->opts), "br=%s=rw:%s=ro:%s=ro",
		 self->b0, self->b1, b2);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
	ASSERT_EQ(0, stat(in(self->b1, "dir"), &dir1));
	ASSERT_EQ(0, stat(in(b2, "dir"), &dir2));
	ASSERT_EQ(0, stat(in(self->b1, "dir/sub"), &sub1));
	ASSERT_EQ(0, dr_note_name(self->b1, name1, sizeof(name1)));
	ASSERT_EQ(0, dr_note_name(b2, name2, sizeof(name2)));

	/* into "ldir", which has no directory on b2 */
	ASSERT_EQ(0, rename(in(self->mnt, "dir"), in(self->mnt, "ldir/moved")));
	EXPECT_FALSE(exists(in(self->mnt, "dir")));
	EXPECT_STREQ("deep\n", get(in(self->mnt, "ldir/moved/sub/deep")));
	EXPECT_STREQ("far\n", get(in(self->mnt, "ldir/moved/far")));
	snprintf(path, sizeof(path), "%s/ldir/moved/%s", self->b0, name1);
	len = dr_path_note(want, dir1.st_ino, "dir");
	EXPECT_TRUE(dr_note_is(path, want, len));
	snprintf(path, sizeof(path), "%s/ldir/moved/%s", self->b0, name2);
	len = dr_path_note(want, dir2.st_ino, "dir");
	EXPECT_TRUE(dr_note_is(path, want, len));

	put(in(self->mnt, "ldir/moved/new"), "new", 0644);
	ASSERT_EQ(0, unlink(in(self->mnt, "ldir/moved/far")));
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, mount_again(self));
		EXPECT_FALSE(exists(in(self->mnt, "dir")));
		EXPECT_FALSE(exists(in(self->mnt, "ldir/moved/far")));
		EXPECT_STREQ("new", get(in(self->mnt, "ldir/moved/new")));
		EXPECT_STREQ("deep\n",
			     get(in(self->mnt, "ldir/moved/sub/deep")));
		EXPECT_EQ(2, dir_entries(in(self->mnt, "ldir/moved")));
		EXPECT_EQ(3, dir_entries(in(self->mnt, "ldir")));
		EXPECT_EQ(0, dino_mismatches(in(self->mnt, "ldir/moved")));
		ASSERT_EQ(0, forget_cached());
	}

	/* on into a directory of the top branch alone, then back home */
	ASSERT_EQ(0, mkdir(in(self->mnt, "fresh"), 0755));
	ASSERT_EQ(0, rename(in(self->mnt, "ldir/moved"),
			    in(self->mnt, "fresh/again")));
	ASSERT_EQ(0, mount_again(self));
	EXPECT_FALSE(exists(in(self->mnt, "ldir/moved")));
	EXPECT_STREQ("deep\n", get(in(self->mnt, "fresh/again/sub/deep")));
	EXPECT_STREQ("new", get(in(self->mnt, "fresh/again/new")));
	ASSERT_EQ(0, rename(in(self->mnt, "fresh/again"), in(self->mnt, "dir")));
	EXPECT_FALSE(exists(in(self->b0, ".wh.dir")));
	EXPECT_FALSE(exists(in(self->b0, "dir/.wh..wh..opq")));
	/* a note giving a name is written only where it names at once */
	snprintf(path, sizeof(path), "%s/dir/%s", self->b0, name1);
	len = dr_path_note(want, dir1.st_ino, "dir");
	EXPECT_TRUE(dr_note_is(path, want, len));
	ASSERT_EQ(0, rename(in(self->mnt, "dir"), in(self->mnt, "dirx")));
	ASSERT_EQ(0, rename(in(self->mnt, "dirx"), in(self->mnt, "dir")));
	len = dr_note(want, dir1.st_ino, "dir");
	EXPECT_TRUE(dr_note_is(path, want, len));
	ASSERT_EQ(0, mount_again(self));
	EXPECT_STREQ("deep\n", get(in(self->mnt, "dir/sub/deep")));
	EXPECT_FALSE(exists(in(self->mnt, "dir/far")));
	EXPECT_EQ(2, dir_entries(in(self->mnt, "dir")));

	/* "sub" moves out, then its old parent goes through the union */
	ASSERT_EQ(0, rename(in(self->mnt, "dir/sub"), in(self->mnt, "fresh/sub")));
	ASSERT_EQ(0, unlink(in(self->mnt, "dir/new")));
	ASSERT_EQ(0, rmdir(in(self->mnt, "dir")));
	for (round = 0; round < 2; round++) {
		EXPECT_FALSE(exists(in(self->mnt, "dir")));
		EXPECT_STREQ("deep\n", get(in(self->mnt, "fresh/sub/deep")));
		EXPECT_EQ(1, dir_entries(in(self->mnt, "fresh/sub")));
		ASSERT_EQ(0, mount_again(self));
	}
	snprintf(path, sizeof(path), "%s/fresh/sub/%s", self->b0, name1);
	len = dr_path_note(want, sub1.st_ino, "dir/sub");
	EXPECT_TRUE(dr_note_is(path, want, len));
	EXPECT_STREQ("deep\n", get(in(self->b1, "dir/sub/deep")));
	EXPECT_STREQ("far\n", get(in(b2, "dir/far")));
}

/*
 * A move that fails once the notes are written (here the whiteout of
 * the old name: the top branch has no inode left) puts the notes back
 * as they were: those that named the parts by name, from a rename
 * within the parent, still do, and the directory keeps its parts, not
 * the directory a branch now holds under its new name.
 */
TEST_F(rw, a_failed_move_puts_its_notes_back)
{
	char small[] = "/tmp/aufs_small.XXXXXX";
	char name[PATH_MAX], path[2 * PATH_MAX];
	unsigned char want[64];
	struct stat lower;
	size_t len;
	int i, fd;

	if (variant->ext4)
		SKIP(return, "the top branch is a small tmpfs in both variants");
	ASSERT_NE(NULL, mkdtemp(small));
	ASSERT_EQ(0, mount("tmpfs", small, "tmpfs", 0, "nr_inodes=64"));
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	snprintf(self->opts, sizeof(self->opts), "br=%s=rw:%s=ro", small,
		 self->b1);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
	ASSERT_EQ(0, stat(in(self->b1, "dir"), &lower));
	ASSERT_EQ(0, rename(in(self->mnt, "dir"), in(self->mnt, "dir2")));
	put(in(self->mnt, "ldir/mine"), "mine", 0644);
	/* a directory of the old name on the branch: the move hides it */
	ASSERT_EQ(0, mkdir(in(self->b1, "dir2"), 0755));
	put(in(self->b1, "dir2/other"), "other", 0644);
	ASSERT_EQ(0, mkdir(in(small, "fill"), 0755));
	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "%s/fill/%d", small, i);
		fd = open(path, O_WRONLY | O_CREAT, 0600);
		if (fd < 0)
			break;
		close(fd);
	}
	ASSERT_EQ(ENOSPC, errno);

	EXPECT_EQ(-1, rename(in(self->mnt, "dir2"),
			     in(self->mnt, "ldir/moved")));
	EXPECT_EQ(ENOSPC, errno);
	ASSERT_EQ(0, dr_note_name(self->b1, name, sizeof(name)));
	snprintf(path, sizeof(path), "%s/dir2/%s", small, name);
	len = dr_note(want, lower.st_ino, "dir");
	EXPECT_TRUE(dr_note_is(path, want, len));
	for (i = 0; i < 2; i++) {
		EXPECT_FALSE(exists(in(self->mnt, "ldir/moved")));
		EXPECT_STREQ("deep\n", get(in(self->mnt, "dir2/sub/deep")));
		EXPECT_FALSE(exists(in(self->mnt, "dir2/other")));
		ASSERT_EQ(0, mount_again(self));
	}

	/* with room again, it moves, and its old name is hidden */
	snprintf(path, sizeof(path), "%s/fill/0", small);
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, rename(in(self->mnt, "dir2"),
			    in(self->mnt, "ldir/moved")));
	ASSERT_EQ(0, mount_again(self));
	EXPECT_STREQ("deep\n", get(in(self->mnt, "ldir/moved/sub/deep")));
	EXPECT_FALSE(exists(in(self->mnt, "dir2")));
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	EXPECT_EQ(0, umount2(small, MNT_DETACH));
	rmdir(small);
}

/*
 * A note that names its part by a path finds only a directory under
 * its branch root, by names alone, and of the inode number it notes: a
 * path through a symbolic link or a mount, out of the branch, with an
 * empty name, or through a name of aufs' own names nothing, and does
 * not stop the mount.  A branch whose note names nothing reads as one
 * without a note: a whiteout of the name there hides what is below.
 */
TEST_F(rw, a_path_note_finds_only_its_own_part)
{
	static const char * const bad[] = {
		"link/sub", "../b1/dir/sub", "dir/../dir/sub", "dir//sub",
		"/dir/sub", ".wh.x/sub", "dir/sub/", "mnt/sub",
	};
	unsigned char note[PATH_MAX + 32];
	char name[PATH_MAX], path[2 * PATH_MAX], b2[PATH_MAX + 8];
	struct stat sub, top;
	unsigned int i;
	uint64_t be;
	size_t len;
	int fd;

	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	ASSERT_EQ(0, stat(in(self->b1, "dir/sub"), &sub));
	/* the directory under a name of aufs' own, a link, and a mount */
	ASSERT_EQ(0, symlink(".wh.x", in(self->b1, "link")));
	ASSERT_EQ(0, mkdir(in(self->b1, ".wh.x"), 0755));
	ASSERT_EQ(0, rename(in(self->b1, "dir/sub"), in(self->b1, ".wh.x/sub")));
	ASSERT_EQ(0, mkdir(in(self->b1, "mnt"), 0755));
	ASSERT_EQ(0, mkdir(in(self->b1, "mnt/sub"), 0755));
	ASSERT_EQ(0, mount(in(self->b1, ".wh.x"), in(self->b1, "mnt"), NULL,
			   MS_BIND, NULL));
	ASSERT_EQ(0, mkdir(in(self->b0, "moved"), 0755));
	put(in(self->b0, "moved/mine"), "mine", 0644);
	ASSERT_EQ(0, dr_note_name(self->b1, name, sizeof(name)));
	snprintf(path, sizeof(path), "%s/moved/%s", self->b0, name);
	ASSERT_EQ(0, stat(in(self->b0, "moved"), &top));
	be = htobe64(top.st_ino);
	fd = open(in(self->b0, ".wh..wh.hino"), O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, write(fd, &be, 8));
	close(fd);

	for (i = 0; i <= ARRAY_SIZE(bad) + 1; i++) {
		const char *p = i < ARRAY_SIZE(bad) ? bad[i] : "dir/sub";
		/* the last two: another number, then the right one */
		unsigned long long ino = sub.st_ino + (i == ARRAY_SIZE(bad));

		if (i == ARRAY_SIZE(bad)) {
			ASSERT_EQ(0, umount(in(self->b1, "mnt")));
			ASSERT_EQ(0, rename(in(self->b1, ".wh.x/sub"),
					    in(self->b1, "dir/sub")));
		}
		len = dr_path_note(note, ino, p);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ASSERT_LE(0, fd);
		ASSERT_EQ((ssize_t)len, write(fd, note, len));
		close(fd);
		ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
		self->mounted = true;
		EXPECT_STREQ("mine", get(in(self->mnt, "moved/mine")));
		if (i <= ARRAY_SIZE(bad)) {
			EXPECT_EQ(1, dir_entries(in(self->mnt, "moved")))
				TH_LOG("path %s", p);
		} else {
			EXPECT_EQ(2, dir_entries(in(self->mnt, "moved")));
			EXPECT_STREQ("deep\n",
				     get(in(self->mnt, "moved/deep")));
		}
		ASSERT_EQ(0, umount(self->mnt));
		self->mounted = false;
	}

	/* a path naming nothing: a whiteout of the name still hides below */
	snprintf(b2, sizeof(b2), "%s/b2", self->base);
	ASSERT_EQ(0, mkdir(b2, 0755));
	ASSERT_EQ(0, mkdir(in(b2, "moved"), 0755));
	put(in(b2, "moved/below"), "below", 0644);
	put(in(self->b1, ".wh.moved"), "", 0444);
	len = dr_path_note(note, sub.st_ino, "gone");
	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, write(fd, note, len));
	close(fd);
	snprintf(self->opts, sizeof(self->opts), "br=%s=rw:%s=ro+wh:%s=ro",
		 self->b0, self->b1, b2);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
	EXPECT_EQ(1, dir_entries(in(self->mnt, "moved")));
	EXPECT_FALSE(exists(in(self->mnt, "moved/below")));
}

/*
 * What dirren does not do fails with EXDEV and changes nothing: a
 * populated directory moved to a name a branch holds or hides, and any
 * such rename with nodirren, which is given at mount only.
 */
TEST_F(rw, dirren_refuses_what_it_cannot_keep_whole)
{
	char opts[3 * PATH_MAX + 16];
	int round;

	ASSERT_EQ(0, unlink(in(self->mnt, "rootonly")));
	ASSERT_EQ(0, unlink(in(self->mnt, "ldir/a")));
	ASSERT_EQ(0, mkdir(in(self->b1, "held"), 0755));
	ASSERT_EQ(0, mkdir(in(self->b0, "held"), 0755));
	snprintf(opts, sizeof(opts), "%s,nodirren", self->opts);
	for (round = 0; round < 2; round++) {
		if (round) {
			ASSERT_EQ(0, umount(self->mnt));
			self->mounted = false;
			ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
			self->mounted = true;
			EXPECT_EQ(-1, rename(in(self->mnt, "dir"),
					     in(self->mnt, "dir2")));
			EXPECT_EQ(EXDEV, errno);
			EXPECT_EQ(-1, rename(in(self->mnt, "dir"),
					     in(self->mnt, "ldir/dir")));
			EXPECT_EQ(EXDEV, errno);
		}
		/* hidden by a whiteout in another parent */
		EXPECT_EQ(-1, rename(in(self->mnt, "dir"),
				     in(self->mnt, "ldir/a")));
		EXPECT_EQ(EXDEV, errno);
		/* hidden by a whiteout on the top branch */
		EXPECT_EQ(-1, rename(in(self->mnt, "dir"),
				     in(self->mnt, "rootonly")));
		EXPECT_EQ(EXDEV, errno);
		/* held by a lower branch, under a top directory */
		EXPECT_EQ(-1, rename(in(self->mnt, "dir"),
				     in(self->mnt, "held")));
		EXPECT_EQ(EXDEV, errno);
		/* an object of the top branch alone: it would go first */
		ASSERT_EQ(0, mkdir(in(self->mnt, "empty"), 0755));
		EXPECT_EQ(-1, rename(in(self->mnt, "dir"),
				     in(self->mnt, "empty")));
		EXPECT_EQ(EXDEV, errno);
		ASSERT_EQ(0, rmdir(in(self->mnt, "empty")));
		EXPECT_STREQ("deep\n", get(in(self->mnt, "dir/sub/deep")));
		EXPECT_TRUE(exists(in(self->mnt, "held")));
		EXPECT_FALSE(exists(in(self->b0, "dir")));
		EXPECT_FALSE(exists(in(self->b0, ".wh.dir")));
		EXPECT_FALSE(exists(in(self->b0, ".wh..wh.hino")));
	}

	/* given at mount only; a remount may repeat it */
	EXPECT_NE(NULL, strstr(mount_opts(self->mnt), ",nodirren"));
	EXPECT_EQ(0, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	snprintf(opts, sizeof(opts), "%s,dirren", self->opts);
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NE(NULL, strstr(mount_opts(self->mnt), ",nodirren"));
	ASSERT_EQ(0, mount_again(self));
	EXPECT_EQ(NULL, strstr(mount_opts(self->mnt), "dirren"));
	EXPECT_EQ(0, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	snprintf(opts, sizeof(opts), "%s,nodirren", self->opts);
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * A directory renamed by out-of-tree aufs with dirren (its notes and
 * list made here by hand) shows its lower parts; with nodirren, or
 * once its lower part is another directory than the note names, only
 * its top copy.
 */
TEST_F(rw, a_dir_renamed_by_out_of_tree_aufs_shows_its_lower_parts)
{
	unsigned char note[64];
	char name[PATH_MAX], path[2 * PATH_MAX], opts[3 * PATH_MAX + 16];
	struct stat lower, top;
	uint64_t be;
	size_t len;
	int fd;

	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	ASSERT_EQ(0, stat(in(self->b1, "dir"), &lower));
	ASSERT_EQ(0, mkdir(in(self->b0, "moved"), 0750));
	put(in(self->b0, "moved/mine"), "mine", 0644);
	put(in(self->b0, ".wh.dir"), "", 0444);
	ASSERT_EQ(0, dr_note_name(self->b1, name, sizeof(name)));
	len = dr_note(note, lower.st_ino, "dir");
	snprintf(path, sizeof(path), "%s/moved/%s", self->b0, name);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, write(fd, note, len));
	close(fd);
	ASSERT_EQ(0, stat(in(self->b0, "moved"), &top));
	be = htobe64(top.st_ino);
	fd = open(in(self->b0, ".wh..wh.hino"), O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, write(fd, &be, 8));
	close(fd);

	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
	EXPECT_FALSE(exists(in(self->mnt, "dir")));
	EXPECT_STREQ("deep\n", get(in(self->mnt, "moved/sub/deep")));
	EXPECT_STREQ("mine", get(in(self->mnt, "moved/mine")));
	EXPECT_EQ(2, dir_entries(in(self->mnt, "moved")));

	snprintf(opts, sizeof(opts), "%s,nodirren", self->opts);
	ASSERT_EQ(0, umount(self->mnt));
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	EXPECT_EQ(1, dir_entries(in(self->mnt, "moved")));
	EXPECT_FALSE(exists(in(self->mnt, "moved/sub")));

	/* the lower directory replaced behind the union's back */
	ASSERT_EQ(0, umount(self->mnt));
	ASSERT_EQ(0, rename(in(self->b1, "dir"), in(self->b1, "old")));
	ASSERT_EQ(0, mkdir(in(self->b1, "dir"), 0755));
	put(in(self->b1, "dir/other"), "other", 0644);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	EXPECT_EQ(1, dir_entries(in(self->mnt, "moved")));
	EXPECT_FALSE(exists(in(self->mnt, "moved/other")));

	/*
	 * Damaged notes and lists name nothing, and do not stop a mount:
	 * a note cut short, one naming a name of aufs' own (a directory
	 * the union never shows), a list that is not a file.
	 */
	ASSERT_EQ(0, umount(self->mnt));
	ASSERT_EQ(0, mkdir(in(self->b1, ".wh.evil"), 0755));
	put(in(self->b1, ".wh.evil/secret"), "secret", 0644);
	ASSERT_EQ(0, stat(in(self->b1, ".wh.evil"), &lower));
	len = dr_note(note, lower.st_ino, ".wh.evil");
	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)len, write(fd, note, len));
	close(fd);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	EXPECT_EQ(1, dir_entries(in(self->mnt, "moved")));
	EXPECT_FALSE(exists(in(self->mnt, "moved/secret")));
	ASSERT_EQ(0, umount(self->mnt));
	ASSERT_EQ(0, stat(in(self->b1, "old"), &lower));
	len = dr_note(note, lower.st_ino, "old");
	fd = open(path, O_WRONLY | O_TRUNC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(10, write(fd, note, 10));
	close(fd);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	EXPECT_EQ(1, dir_entries(in(self->mnt, "moved")));
	ASSERT_EQ(0, umount(self->mnt));
	ASSERT_EQ(0, unlink(in(self->b0, ".wh..wh.hino")));
	ASSERT_EQ(0, mkdir(in(self->b0, ".wh..wh.hino"), 0700));
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	EXPECT_EQ(1, dir_entries(in(self->mnt, "moved")));
	EXPECT_STREQ("mine", get(in(self->mnt, "moved/mine")));
}

/* Copy-up of a file 200 directories deep. */
TEST_F(rw, copy_up_of_a_deep_tree)
{
	char lower[8192], upper[8192];
	int i, len = snprintf(lower, sizeof(lower), "%s", self->b1);

	for (i = 0; i < 200; i++) {
		len += snprintf(lower + len, sizeof(lower) - len, "/d");
		ASSERT_EQ(0, mkdir(lower, 0755));
	}
	snprintf(lower + len, sizeof(lower) - len, "/leaf");
	put(lower, "deep", 0644);
	snprintf(upper, sizeof(upper), "%s%s", self->mnt,
		 lower + strlen(self->b1));
	ASSERT_EQ(0, truncate(upper, 2));
	EXPECT_STREQ("de", get(upper));
	EXPECT_STREQ("deep", get(lower));
}

/*
 * FICLONE through the union does what the branch does: the same error,
 * or the same data.  Neither tmpfs nor ext4 can clone, so there only
 * the error is compared and the test says it skipped the data part.
 */
TEST_F(rw, clone_as_on_the_branch)
{
	int nin = open(in(self->b1, "file"), O_RDONLY);
	int nout = open(in(self->b0, "native-clone"), O_WRONLY | O_CREAT, 0644);
	int uin = open(in(self->mnt, "file"), O_RDONLY);
	int uout = open(in(self->mnt, "clone"), O_WRONLY | O_CREAT, 0644);
	int nret, nerr, ret, err;

	ASSERT_LE(0, nin);
	ASSERT_LE(0, nout);
	ASSERT_LE(0, uin);
	ASSERT_LE(0, uout);
	nret = ioctl(nout, FICLONE, nin);
	nerr = errno;
	ret = ioctl(uout, FICLONE, uin);
	err = errno;
	close(nin);
	close(nout);
	close(uin);
	close(uout);
	ASSERT_EQ(nret, ret);
	if (ret) {
		ASSERT_EQ(nerr, err);
		/* a failed clone leaves the target as it was */
		ASSERT_STREQ("", get(in(self->mnt, "clone")));
		SKIP(return, "the branch cannot clone (%s): only the error was compared",
		     strerror(nerr));
	}
	EXPECT_STREQ("lower\n", get(in(self->mnt, "clone")));
	EXPECT_STREQ("lower\n", get(in(self->b0, "clone")));
}

/* Empty the unused dentries and the kept listings (their shrinkers). */
static void drop_dentries(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd < 0 || write(fd, "2", 1) != 1) {
		perror("drop_caches");
		exit(1);
	}
	close(fd);
}

/*
 * A directory's listing is kept for the next opendir, so each step lists
 * the directory first, then changes it and lists it again: the second
 * listing must show the change, whether it came through the union
 * (copy-up of the directory, a new name on top, a whiteout, a rename)
 * or straight to a branch, within the same clock tick.
 */
TEST_F(rw, listing_shows_each_change_made_after_it)
{
	char *ldir = strdup(in(self->mnt, "ldir"));

	ASSERT_EQ(2, dir_has(ldir, NULL));
	/* the first name on top copies the directory up */
	put(in(self->mnt, "ldir/c"), "c", 0644);
	EXPECT_EQ(3, dir_has(ldir, NULL));
	EXPECT_TRUE(dir_lists(ldir, "c"));
	put(in(self->mnt, "ldir/d"), "d", 0644);
	EXPECT_TRUE(dir_lists(ldir, "d"));
	EXPECT_EQ(0, unlink(in(self->mnt, "ldir/a")));
	EXPECT_FALSE(dir_lists(ldir, "a"));
	EXPECT_EQ(0, rename(in(self->mnt, "ldir/b"), in(self->mnt, "ldir/e")));
	EXPECT_FALSE(dir_lists(ldir, "b"));
	EXPECT_TRUE(dir_lists(ldir, "e"));
	EXPECT_EQ(3, dir_has(ldir, NULL));

	/* straight to the lower branch, then to the top one */
	put(in(self->b1, "ldir/f"), "f", 0644);
	EXPECT_TRUE(dir_lists(ldir, "f"));
	EXPECT_EQ(0, unlink(in(self->b1, "ldir/f")));
	EXPECT_FALSE(dir_lists(ldir, "f"));
	put(in(self->b0, "ldir/g"), "g", 0644);
	EXPECT_TRUE(dir_lists(ldir, "g"));
	EXPECT_EQ(0, unlink(in(self->b0, "ldir/g")));
	EXPECT_FALSE(dir_lists(ldir, "g"));
	EXPECT_EQ(0, mkdir(in(self->b1, "ldir/h"), 0755));
	EXPECT_TRUE(dir_lists(ldir, "h"));

	/* a name removed below the union, in a directory only it has */
	ASSERT_EQ(1, dir_has(in(self->mnt, "dir/sub"), NULL));
	EXPECT_EQ(0, unlink(in(self->b1, "dir/sub/deep")));
	EXPECT_EQ(0, dir_has(in(self->mnt, "dir/sub"), NULL));

	/* what the shrinker leaves is listed afresh, the same */
	drop_dentries();
	EXPECT_EQ(4, dir_has(ldir, NULL));
	EXPECT_TRUE(dir_lists(ldir, "h"));
	free(ldir);
}

/*
 * An open directory keeps the listing it started with until rewinddir,
 * which shows what changed meanwhile.
 */
TEST_F(rw, rewinddir_shows_changes_made_while_open)
{
	DIR *d = opendir(in(self->mnt, "ldir"));
	struct dirent *e;
	int n = 0, seen = 0;

	ASSERT_NE(NULL, d);
	while ((e = readdir(d)))
		n++;
	ASSERT_EQ(4, n);
	put(in(self->mnt, "ldir/new"), "new", 0644);
	put(in(self->b1, "ldir/below"), "below", 0644);
	rewinddir(d);
	n = 0;
	while ((e = readdir(d))) {
		n++;
		seen += !strcmp(e->d_name, "new") || !strcmp(e->d_name, "below");
	}
	closedir(d);
	EXPECT_EQ(6, n);
	EXPECT_EQ(2, seen);
}

/*
 * ramfs keeps no i_version: a listing that involves a branch on it is
 * never kept for a later opendir.  Each listing through the union reads
 * the ramfs directory again (its atime, on a strictatime mount, moves),
 * and a name made straight on the branch shows at once.
 */
TEST_F(rw, listing_over_a_branch_without_i_version_is_not_kept)
{
	char r[PATH_MAX], opts[3 * PATH_MAX];
	struct stat st1, st2;

	snprintf(r, sizeof(r), "%s/ramfs", self->base);
	ASSERT_EQ(0, mkdir(r, 0755));
	ASSERT_EQ(0, mount("ramfs", r, "ramfs", MS_STRICTATIME, NULL));
	ASSERT_EQ(0, mkdir(in(r, "d"), 0755));
	put(in(r, "d/one"), "1", 0644);
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", r, self->b0);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;

	EXPECT_EQ(1, dir_has(in(self->mnt, "d"), NULL));
	ASSERT_EQ(0, stat(in(r, "d"), &st1));
	usleep(50000);
	EXPECT_EQ(1, dir_has(in(self->mnt, "d"), NULL));
	ASSERT_EQ(0, stat(in(r, "d"), &st2));
	EXPECT_TRUE(st1.st_atim.tv_sec != st2.st_atim.tv_sec ||
		    st1.st_atim.tv_nsec != st2.st_atim.tv_nsec);
	put(in(r, "d/two"), "2", 0644);
	EXPECT_TRUE(dir_lists(in(self->mnt, "d"), "two"));
	EXPECT_EQ(0, unlink(in(r, "d/one")));
	EXPECT_FALSE(dir_lists(in(self->mnt, "d"), "one"));

	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	EXPECT_EQ(0, umount(r));
}

/* The d_type a listing of @dir gives @name, or -1 if it has no @name. */
static int listed_type(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int type = -1;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, name))
			type = e->d_type;
	closedir(d);
	return type;
}

/*
 * A RENAME_EXCHANGE through the union swaps the types a listing shows,
 * also on tmpfs, whose exchange moves no i_version of the directory,
 * only its ctime: 50 exchanges in a row, so that some fall within the
 * clock tick of the listing before them.
 */
TEST_F(rw, listing_shows_an_exchange)
{
	int i;

	put(in(self->mnt, "xf"), "f", 0644);
	ASSERT_EQ(0, mkdir(in(self->mnt, "xd"), 0755));
	for (i = 0; i < 50; i++) {
		bool swapped = i % 2;

		ASSERT_EQ(swapped ? DT_DIR : DT_REG,
			  listed_type(self->mnt, "xf"));
		ASSERT_EQ(swapped ? DT_REG : DT_DIR,
			  listed_type(self->mnt, "xd"));
		ASSERT_EQ(0, renameat2(AT_FDCWD, in(self->mnt, "xf"),
				       AT_FDCWD, in(self->mnt, "xd"),
				       RENAME_EXCHANGE));
	}
}

/*
 * An unchanged directory is listed again from the listing kept of it:
 * its branch directory, on a strictatime tmpfs, is not read again (a
 * read would move its atime, as one straight on the branch shows).
 */
TEST_F(rw, unchanged_directory_is_listed_from_memory)
{
	char t[PATH_MAX], opts[3 * PATH_MAX];
	struct stat st0, st1, st2, st3;

	snprintf(t, sizeof(t), "%s/strict", self->base);
	ASSERT_EQ(0, mkdir(t, 0755));
	ASSERT_EQ(0, mount("tmpfs", t, "tmpfs", MS_STRICTATIME, NULL));
	ASSERT_EQ(0, mkdir(in(t, "b0"), 0755));
	ASSERT_EQ(0, mkdir(in(t, "b1"), 0755));
	ASSERT_EQ(0, mkdir(in(t, "m"), 0755));
	ASSERT_EQ(0, mkdir(in(t, "b0/d"), 0755));
	put(in(t, "b0/d/x"), "x", 0644);
	snprintf(opts, sizeof(opts), "br=%s/b0=rw:%s/b1=ro", t, t);
	ASSERT_EQ(0, mount("none", in(t, "m"), "aufs", 0, opts));

	usleep(50000);
	ASSERT_EQ(0, stat(in(t, "b0/d"), &st0));
	usleep(50000);
	/* the first listing reads the branch directory */
	EXPECT_EQ(1, dir_has(in(t, "m/d"), NULL));
	ASSERT_EQ(0, stat(in(t, "b0/d"), &st1));
	EXPECT_TRUE(st0.st_atim.tv_sec != st1.st_atim.tv_sec ||
		    st0.st_atim.tv_nsec != st1.st_atim.tv_nsec);
	usleep(50000);
	EXPECT_EQ(1, dir_has(in(t, "m/d"), NULL));
	ASSERT_EQ(0, stat(in(t, "b0/d"), &st2));
	EXPECT_EQ(st1.st_atim.tv_sec, st2.st_atim.tv_sec);
	EXPECT_EQ(st1.st_atim.tv_nsec, st2.st_atim.tv_nsec);
	usleep(50000);
	EXPECT_EQ(1, dir_has(in(t, "b0/d"), NULL));
	ASSERT_EQ(0, stat(in(t, "b0/d"), &st3));
	EXPECT_TRUE(st3.st_atim.tv_sec != st2.st_atim.tv_sec ||
		    st3.st_atim.tv_nsec != st2.st_atim.tv_nsec);

	EXPECT_EQ(0, umount(in(t, "m")));
	EXPECT_EQ(0, umount(t));
}

/*
 * Listers, a writer and reclaim at once: each listing has between
 * LISTED_BASE and LISTED_BASE + LISTED_MORE names, and the last one
 * shows exactly what the writer left.  Under KASAN this checks the kept
 * listings' lifetime; it does not tell a stale listing in the middle.
 */
#define LISTED_BASE	64
#define LISTED_MORE	32
#define LISTED_ROUNDS	200

TEST_F(rw, listings_under_changes_and_reclaim)
{
	pid_t kids[3];
	int i, k, status;
	char name[32];

	ASSERT_EQ(0, mkdir(in(self->b1, "busy"), 0755));
	for (i = 0; i < LISTED_BASE; i++) {
		snprintf(name, sizeof(name), "busy/base%d", i);
		put(in(self->b1, name), "", 0644);
	}
	for (k = 0; k < 3; k++) {
		kids[k] = fork();
		ASSERT_LE(0, kids[k]);
		if (kids[k])
			continue;
		for (i = 0; i < LISTED_ROUNDS; i++) {
			int n;

			if (k == 2) {
				drop_dentries();
				usleep(1000);
				continue;
			}
			n = dir_has(in(self->mnt, "busy"), NULL);
			if (n < LISTED_BASE || n > LISTED_BASE + LISTED_MORE)
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < LISTED_ROUNDS; i++) {
		snprintf(name, sizeof(name), "busy/more%d", i % LISTED_MORE);
		if (!(i / LISTED_MORE % 2)) {
			put(in(self->mnt, name), "", 0644);
			continue;
		}
		EXPECT_EQ(0, unlink(in(self->mnt, name)));
	}
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(kids[k], waitpid(kids[k], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	/* 200 rounds of 32: six full passes, then 8 names made */
	EXPECT_EQ(LISTED_BASE + LISTED_ROUNDS % LISTED_MORE,
		  dir_has(in(self->mnt, "busy"), NULL));
}

/*
 * Changes made straight to a branch beside the mounted union (udba=reval,
 * the default): each shows at the next lookup of the name through the
 * union, whatever the union had cached of it, without ESTALE or EEXIST.
 */
static int stat_errno(const char *path)
{
	struct stat st;

	return lstat(path, &st) ? errno : 0;
}

/* The udba= option /proc/mounts shows for @mnt, or "". */
static const char *udba_of(const char *mnt)
{
	return mount_opt(mnt, ",udba=");
}

TEST_F(rw, names_made_straight_on_a_branch_show)
{
	int fd;

	EXPECT_STREQ("reval", udba_of(self->mnt));
	/* each name is looked up (and found missing) first */
	ASSERT_EQ(ENOENT, stat_errno(in(self->mnt, "top")));
	ASSERT_EQ(ENOENT, stat_errno(in(self->mnt, "low")));
	ASSERT_EQ(ENOENT, stat_errno(in(self->mnt, "excl")));
	ASSERT_EQ(ENOENT, stat_errno(in(self->mnt, "creat")));
	ASSERT_EQ(ENOENT, stat_errno(in(self->mnt, "ndir")));
	ASSERT_EQ(ENOENT, stat_errno(in(self->mnt, "dir/sub/new")));

	put(in(self->b0, "top"), "top", 0644);
	put(in(self->b1, "low"), "low", 0644);
	put(in(self->b1, "excl"), "excl", 0644);
	put(in(self->b1, "creat"), "creat", 0644);
	ASSERT_EQ(0, mkdir(in(self->b1, "ndir"), 0755));
	put(in(self->b1, "ndir/f"), "f", 0644);
	put(in(self->b1, "dir/sub/new"), "new", 0644);

	EXPECT_STREQ("top", get(in(self->mnt, "top")));
	EXPECT_STREQ("low", get(in(self->mnt, "low")));
	EXPECT_STREQ("f", get(in(self->mnt, "ndir/f")));
	EXPECT_STREQ("new", get(in(self->mnt, "dir/sub/new")));
	EXPECT_TRUE(dir_lists(in(self->mnt, "dir/sub"), "new"));
	/* an exclusive create meets the name; a plain one opens it */
	EXPECT_EQ(-1, open(in(self->mnt, "excl"), O_WRONLY | O_CREAT | O_EXCL,
			   0644));
	EXPECT_EQ(EEXIST, errno);
	fd = open(in(self->mnt, "creat"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	ASSERT_LE(0, fd) {
		TH_LOG("open(O_CREAT): %s", strerror(errno));
	}
	EXPECT_EQ(1, write(fd, "+", 1));
	close(fd);
	EXPECT_STREQ("creat+", get(in(self->mnt, "creat")));
	EXPECT_STREQ("creat+", get(in(self->b0, "creat")));
	EXPECT_STREQ("creat", get(in(self->b1, "creat")));
}

TEST_F(rw, names_removed_straight_from_a_branch_go)
{
	ASSERT_STREQ("lower\n", get(in(self->mnt, "file")));
	ASSERT_STREQ("a", get(in(self->mnt, "ldir/a")));
	put(in(self->b0, "gone"), "gone", 0644);
	ASSERT_STREQ("gone", get(in(self->mnt, "gone")));
	ASSERT_TRUE(exists(in(self->mnt, "dir/sub")));

	EXPECT_EQ(0, unlink(in(self->b1, "file")));
	EXPECT_EQ(0, unlink(in(self->b1, "ldir/a")));
	EXPECT_EQ(0, unlink(in(self->b0, "gone")));
	EXPECT_EQ(0, unlink(in(self->b1, "dir/sub/deep")));
	EXPECT_EQ(0, rmdir(in(self->b1, "dir/sub")));

	EXPECT_EQ(ENOENT, stat_errno(in(self->mnt, "file")));
	EXPECT_EQ(ENOENT, stat_errno(in(self->mnt, "ldir/a")));
	EXPECT_EQ(ENOENT, stat_errno(in(self->mnt, "gone")));
	EXPECT_EQ(ENOENT, stat_errno(in(self->mnt, "dir/sub")));
	EXPECT_FALSE(dir_lists(in(self->mnt, "ldir"), "a"));
	/* the names are free again, through the union */
	put(in(self->mnt, "file"), "again", 0644);
	EXPECT_STREQ("again", get(in(self->b0, "file")));
	put(in(self->mnt, "gone"), "back", 0644);
	EXPECT_STREQ("back", get(in(self->b0, "gone")));
	EXPECT_EQ(0, mkdir(in(self->mnt, "dir/sub"), 0755));
	EXPECT_EQ(0, dir_has(in(self->mnt, "dir/sub"), NULL));
}

TEST_F(rw, files_replaced_straight_on_a_branch_show)
{
	int fd;
	char buf[16] = "";

	ASSERT_STREQ("lower\n", get(in(self->mnt, "file")));
	ASSERT_STREQ("root", get(in(self->mnt, "rootonly")));
	fd = open(in(self->mnt, "file"), O_RDONLY);
	ASSERT_LE(0, fd);

	/* rewritten in place, then replaced by a rename */
	put(in(self->b1, "file"), "rewritten", 0644);
	EXPECT_STREQ("rewritten", get(in(self->mnt, "file")));
	put(in(self->b1, "file.new"), "renamed", 0644);
	ASSERT_EQ(0, rename(in(self->b1, "file.new"), in(self->b1, "file")));
	EXPECT_STREQ("renamed", get(in(self->mnt, "file")));
	/* a file open before the rename goes on reading what it opened */
	EXPECT_EQ(9, pread(fd, buf, sizeof(buf) - 1, 0));
	EXPECT_STREQ("rewritten", buf);
	close(fd);

	/* a name made on top hides the lower one; removed, it unveils it */
	put(in(self->b0, "rootonly"), "top", 0644);
	EXPECT_STREQ("top", get(in(self->mnt, "rootonly")));
	EXPECT_EQ(0, unlink(in(self->b0, "rootonly")));
	EXPECT_STREQ("root", get(in(self->mnt, "rootonly")));
	/* a whiteout made on top hides it */
	ASSERT_EQ(0, mknod(in(self->b0, ".wh.rootonly"), S_IFREG | 0444, 0));
	EXPECT_EQ(ENOENT, stat_errno(in(self->mnt, "rootonly")));
}

/* udba=none trusts what it has cached; a remount switches it back. */
TEST_F(rw, udba_none_and_back_by_remount)
{
	char opts[3 * PATH_MAX + 32];

	snprintf(opts, sizeof(opts), "%s,udba=none", self->opts);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	EXPECT_STREQ("none", udba_of(self->mnt));
	ASSERT_EQ(ENOENT, stat_errno(in(self->mnt, "late")));
	put(in(self->b1, "late"), "late", 0644);
	/* cached as missing: not looked for on the branches */
	EXPECT_EQ(ENOENT, stat_errno(in(self->mnt, "late")));

	snprintf(opts, sizeof(opts), "%s,udba=reval", self->opts);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	EXPECT_STREQ("reval", udba_of(self->mnt));
	EXPECT_STREQ("late", get(in(self->mnt, "late")));
	/* looked for again, not only dropped by the remount */
	ASSERT_EQ(ENOENT, stat_errno(in(self->mnt, "later")));
	put(in(self->b1, "later"), "later", 0644);
	EXPECT_STREQ("later", get(in(self->mnt, "later")));

	/* a refused value changes nothing */
	snprintf(opts, sizeof(opts), "%s,udba=notify", self->opts);
	EXPECT_EQ(-1, mount("none", self->mnt, "aufs", MS_REMOUNT, opts));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_STREQ("reval", udba_of(self->mnt));
}

/*
 * Walks through the union while a name is made, replaced by a rename
 * and removed straight on a branch, over and over: every open finds the
 * name or not (ENOENT), never fails otherwise (ESTALE, EIO), and reads
 * a version the writer wrote whole.  Once the writer is done, the union
 * shows what it left: its last version of each name.
 */
#define RACE_ROUNDS	300

TEST_F(rw, walks_race_with_changes_straight_on_a_branch)
{
	int i, status, other = 0, torn = 0;
	char want[32];
	pid_t kid;

	ASSERT_EQ(0, mkdir(in(self->b1, "race"), 0755));
	kid = fork();
	ASSERT_LE(0, kid);
	if (!kid) {
		char data[32];

		for (i = 0; i < RACE_ROUNDS; i++) {
			snprintf(data, sizeof(data), "f%d", i);
			put(in(self->b1, "race/f"), data, 0644);
			snprintf(data, sizeof(data), "g%d", i);
			put(in(self->b1, "race/g.new"), data, 0644);
			if (rename(in(self->b1, "race/g.new"),
				   in(self->b1, "race/g")) ||
			    unlink(in(self->b1, "race/f")))
				_exit(1);
		}
		put(in(self->b1, "race/f"), "last", 0644);
		_exit(0);
	}
	/* until the writer is done: the last round races with it too */
	for (;;) {
		bool done = waitpid(kid, &status, WNOHANG) == kid;
		char buf[16] = "";
		int fd, n;

		fd = open(in(self->mnt, "race/f"), O_RDONLY);
		if (fd >= 0)
			close(fd);
		else if (errno != ENOENT)
			other++;
		fd = open(in(self->mnt, "race/g"), O_RDONLY);
		if (fd >= 0) {
			if (read(fd, buf, sizeof(buf) - 1) < 2 ||
			    sscanf(buf, "g%d", &n) != 1 || n < 0 ||
			    n >= RACE_ROUNDS)
				torn++;
			close(fd);
		} else if (errno != ENOENT) {
			other++;
		}
		if (done)
			break;
	}
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(0, other);
	EXPECT_EQ(0, torn);
	EXPECT_STREQ("last", get(in(self->mnt, "race/f")));
	snprintf(want, sizeof(want), "g%d", RACE_ROUNDS - 1);
	EXPECT_STREQ(want, get(in(self->mnt, "race/g")));
	EXPECT_EQ(2, dir_has(in(self->mnt, "race"), NULL));
}

/*
 * A lower part of a merged directory removed straight from its branch
 * holds no name: the names on the other parts are still found, also
 * through the directory kept in use with its old merge.
 */
TEST_F(rw, a_lower_directory_removed_straight_from_a_branch)
{
	struct stat st;
	int fd;

	ASSERT_EQ(0, mkdir(in(self->mnt, "ldir/sd"), 0755));
	put(in(self->mnt, "ldir/sd/f"), "f", 0644);
	fd = open(in(self->mnt, "ldir"), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, unlink(in(self->b1, "ldir/a")));
	ASSERT_EQ(0, unlink(in(self->b1, "ldir/b")));
	ASSERT_EQ(0, rmdir(in(self->b1, "ldir")));

	EXPECT_EQ(0, fstatat(fd, "sd", &st, 0)) {
		TH_LOG("fstatat: %s", strerror(errno));
	}
	EXPECT_STREQ("f", get(in(self->mnt, "ldir/sd/f")));
	EXPECT_EQ(ENOENT, stat_errno(in(self->mnt, "ldir/a")));
	EXPECT_EQ(-1, fstatat(fd, "b", &st, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(1, dir_has(in(self->mnt, "ldir"), NULL));
	close(fd);
}

/*
 * A directory whose topmost part stays is kept when a lower part of it
 * appears straight on a branch: dropping it would unmount what is
 * mounted below it.
 */
TEST_F(rw, mounts_below_a_directory_stay_when_its_lower_parts_change)
{
	char m[PATH_MAX];

	ASSERT_EQ(0, mkdir(in(self->mnt, "top"), 0755));
	ASSERT_EQ(0, mkdir(in(self->mnt, "top/m"), 0755));
	snprintf(m, sizeof(m), "%s", in(self->mnt, "top/m"));
	ASSERT_EQ(0, mount("tmpfs", m, "tmpfs", 0, NULL));
	put(in(m, "inside"), "inside", 0644);

	ASSERT_EQ(0, mkdir(in(self->b1, "top"), 0755));
	put(in(self->b1, "top/low"), "low", 0644);
	put(in(self->b0, "beside"), "beside", 0644);
	EXPECT_STREQ("beside", get(in(self->mnt, "beside")));
	EXPECT_STREQ("inside", get(in(m, "inside")));
	EXPECT_EQ(0, umount(m));
}

/*
 * Durability: the top branch is an ext4 (ext2 layout, no journal) on a
 * loop device whose image is a file on a tmpfs, so what reached the
 * "disk" can be read back from the image.  Periodic writeback is off
 * while the test runs: a name or data in the image got there because of
 * the call under test.
 */
#define DISK_SIZE	(8 << 20)
#define DIRTY_WB	"/proc/sys/vm/dirty_writeback_centisecs"
#define DIRTY_EXPIRE	"/proc/sys/vm/dirty_expire_centisecs"

FIXTURE(disk) {
	char base[PATH_MAX];
	char image[PATH_MAX];
	char b0[PATH_MAX];
	char b1[PATH_MAX];
	char mnt[PATH_MAX];
	char wb[32];
	char expire[32];
	bool b0_mounted;
	bool mounted;
};

static void sysctl_swap(const char *path, char *old, size_t size,
			const char *val)
{
	int fd = open(path, O_RDWR);
	ssize_t n = fd < 0 ? -1 : read(fd, old, size - 1);

	old[n < 0 ? 0 : n] = '\0';
	if (fd >= 0 && val && lseek(fd, 0, SEEK_SET) == 0 &&
	    write(fd, val, strlen(val)) < 0)
		perror(path);
	if (fd >= 0)
		close(fd);
}

FIXTURE_SETUP(disk)
{
	char dev[32], opts[3 * PATH_MAX];
	int fd;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	snprintf(self->base, sizeof(self->base), "/tmp/aufs_disk.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->base));
	ASSERT_EQ(0, mount("tmpfs", self->base, "tmpfs", 0, NULL));
	snprintf(self->image, PATH_MAX, "%s/image", self->base);
	snprintf(self->b0, PATH_MAX, "%s/b0", self->base);
	snprintf(self->b1, PATH_MAX, "%s/b1", self->base);
	snprintf(self->mnt, PATH_MAX, "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->b0, 0755));
	ASSERT_EQ(0, mkdir(self->b1, 0755));
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
	put(in(self->b1, "lower"), "lower\n", 0644);
	ASSERT_EQ(0, mkdir(in(self->b1, "ldir"), 0755));

	fd = open(self->image, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, DISK_SIZE));
	close(fd);
	fd = loop_attach(self->image, false, dev, sizeof(dev));
	if (fd < 0)
		SKIP(return, "no loop device");
	if (busybox("mke2fs", dev)) {
		close(fd);
		SKIP(return, "busybox mke2fs cannot make a filesystem");
	}
	ASSERT_EQ(0, mount(dev, self->b0, "ext4", 0, NULL));
	close(fd);
	self->b0_mounted = true;
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", self->b0, self->b1);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;
	sync();
	/*
	 * Last, so that only a set-up fixture, whose teardown runs, turns
	 * them: no flusher wakes up within the hour (an interval of 0
	 * would wake it at once for background writeback).
	 */
	sysctl_swap(DIRTY_WB, self->wb, sizeof(self->wb), "360000");
	sysctl_swap(DIRTY_EXPIRE, self->expire, sizeof(self->expire),
		    "360000");
}

FIXTURE_TEARDOWN(disk)
{
	char old[32];

	if (self->wb[0])
		sysctl_swap(DIRTY_WB, old, sizeof(old), self->wb);
	if (self->expire[0])
		sysctl_swap(DIRTY_EXPIRE, old, sizeof(old), self->expire);
	if (self->mounted)
		EXPECT_EQ(0, umount(self->mnt));
	if (self->b0_mounted)
		EXPECT_EQ(0, umount(self->b0));
	EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
	rmdir(self->base);
}

/* Whether the disk image holds @what. */
static bool on_disk(const char *image, const char *what)
{
	static char buf[DISK_SIZE];
	int fd = open(image, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

	if (fd >= 0)
		close(fd);
	return n > 0 && memmem(buf, n, what, strlen(what));
}

/*
 * The fsync(file), rename(), fsync(directory) idiom: after the last
 * fsync the new name is on the disk.  A directory with no copy on the
 * top branch syncs as a no-op.
 */
TEST_F(disk, directory_fsync_writes_the_branch_directory)
{
	static const char name[] = "renamed-into-place-by-the-union";
	int fd = open(in(self->mnt, "tmp"), O_WRONLY | O_CREAT, 0644);
	int dfd;

	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "data\n", 5));
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	ASSERT_EQ(0, rename(in(self->mnt, "tmp"), in(self->mnt, name)));
	ASSERT_FALSE(on_disk(self->image, name)) {
		TH_LOG("the name was written back before fsync");
	}
	dfd = open(self->mnt, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(0, fsync(dfd));
	EXPECT_EQ(0, fdatasync(dfd));
	close(dfd);
	EXPECT_TRUE(on_disk(self->image, name));

	/* only on the lower branch: nothing of the union's to write */
	dfd = open(in(self->mnt, "ldir"), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(0, fsync(dfd));
	close(dfd);
	EXPECT_FALSE(exists(in(self->b0, "ldir")));
}

/* syncfs(2) on the union writes back what was written through it. */
TEST_F(disk, syncfs_writes_back_the_writable_branch)
{
	static const char data[] = "written-through-the-union-then-syncfs\n";
	int fd = open(in(self->mnt, "new"), O_WRONLY | O_CREAT, 0644);

	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)strlen(data), write(fd, data, strlen(data)));
	close(fd);
	fd = open(in(self->mnt, "lower"), O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, write(fd, "appended", 8));
	close(fd);
	ASSERT_FALSE(on_disk(self->image, data)) {
		TH_LOG("the data was written back before syncfs");
	}
	fd = open(self->mnt, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, syncfs(fd));
	close(fd);
	EXPECT_TRUE(on_disk(self->image, data));
	EXPECT_TRUE(on_disk(self->image, "lower\nappended"));
}

/*
 * Branches on one XFS, which shares extents between files (reflink):
 * b0 (rw) and b1 (ro) on it, b2 (ro) on a tmpfs.
 */
FIXTURE(xfs) {
	struct ext4_fs xfs;
	char base[PATH_MAX];
	char tmp[PATH_MAX];
	char b0[PATH_MAX + 8];
	char b1[PATH_MAX + 8];
	char mnt[PATH_MAX + 8];
	bool mounted;
};

#define XFS_DATA	(1024 * 1024)

/* Write @len bytes that differ from block to block to @path. */
static void put_data(const char *path, size_t len)
{
	char *buf = malloc(len);
	size_t i;
	int fd;

	for (i = 0; buf && i < len; i++)
		buf[i] = (char)(i * 7 + i / 4096);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (!buf || fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
	free(buf);
}

/* Whether @a and @b hold the same bytes. */
static bool same_data(const char *a, const char *b)
{
	char ba[4096], bb[4096];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	ssize_t na, nb;
	bool same = fa >= 0 && fb >= 0;

	while (same) {
		na = read(fa, ba, sizeof(ba));
		nb = read(fb, bb, sizeof(bb));
		same = na == nb && na >= 0 && !memcmp(ba, bb, na);
		if (na <= 0)
			break;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* Bytes of [0, @len) of @path in extents shared with another file. */
static long long shared_bytes(const char *path, long long len)
{
	struct fiemap *fm = calloc(1, sizeof(*fm) +
				   64 * sizeof(struct fiemap_extent));
	int fd = open(path, O_RDONLY);
	long long shared = -1;
	unsigned int i;

	if (!fm || fd < 0)
		goto out;
	fm->fm_length = len;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = 64;
	if (ioctl(fd, FS_IOC_FIEMAP, fm))
		goto out;
	shared = 0;
	for (i = 0; i < fm->fm_mapped_extents; i++) {
		struct fiemap_extent *e = &fm->fm_extents[i];
		long long end = e->fe_logical + e->fe_length;

		if (e->fe_flags & FIEMAP_EXTENT_SHARED)
			shared += (end < len ? end : len) - e->fe_logical;
	}
out:
	if (fd >= 0)
		close(fd);
	free(fm);
	return shared;
}

FIXTURE_SETUP(xfs)
{
	char opts[4 * PATH_MAX];
	const char *why;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	why = image_fs_get(&self->xfs, "xfs", "xfs", self->base,
			   sizeof(self->base));
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, chmod(self->base, 0755));
	snprintf(self->tmp, sizeof(self->tmp), "%s/tmpfs", self->base);
	snprintf(self->b0, sizeof(self->b0), "%s/b0", self->base);
	snprintf(self->b1, sizeof(self->b1), "%s/b1", self->base);
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->tmp, 0755));
	ASSERT_EQ(0, mount("tmpfs", self->tmp, "tmpfs", 0, NULL));
	ASSERT_EQ(0, mkdir(self->b0, 0755));
	ASSERT_EQ(0, mkdir(self->b1, 0755));
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
	put_data(in(self->b1, "big"), XFS_DATA + 100);
	put_data(in(self->b1, "cut"), XFS_DATA);
	put_data(in(self->tmp, "on-tmpfs"), XFS_DATA + 100);
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro:%s=ro", self->b0,
		 self->b1, self->tmp);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;
}

FIXTURE_TEARDOWN(xfs)
{
	if (self->mounted)
		umount2(self->mnt, MNT_DETACH);
	if (self->tmp[0])
		umount2(self->tmp, MNT_DETACH);
	ext4_put(&self->xfs);
}

/*
 * A copy-up where both branches share extents is a clone: it copies no
 * data, to the end of the file.  The whole blocks of a truncated copy
 * are cloned too, and the rest short of a block is copied.
 */
TEST_F(xfs, copy_up_clones_where_the_branches_share_extents)
{
	ASSERT_EQ(0, chmod(in(self->mnt, "big"), 0600));
	EXPECT_TRUE(same_data(in(self->b1, "big"), in(self->b0, "big")));
	/* the last, partial block too */
	EXPECT_LE(XFS_DATA + 100,
		  shared_bytes(in(self->b0, "big"), XFS_DATA + 100));
	EXPECT_LE(XFS_DATA + 100,
		  shared_bytes(in(self->b1, "big"), XFS_DATA + 100));

	ASSERT_EQ(0, truncate(in(self->mnt, "cut"), 65536 + 10));
	EXPECT_EQ(65536, shared_bytes(in(self->b0, "cut"), 65536 + 10));
	ASSERT_EQ(0, truncate(in(self->b1, "cut"), 65536 + 10));
	EXPECT_TRUE(same_data(in(self->b1, "cut"), in(self->b0, "cut")));
}

/*
 * A file larger than one clone call (64 MiB): cloned in pieces, every
 * data extent shared.  A lower branch on a read-only mount is copied:
 * a clone would mark its inode.
 */
TEST_F(xfs, copy_up_clones_in_pieces_but_not_from_a_read_only_mount)
{
	char ro[PATH_MAX + 16], opts[4 * PATH_MAX];
	long long far = 100LL << 20;
	int fd;

	put_data(in(self->b1, "sparse"), XFS_DATA);
	fd = open(in(self->b1, "sparse"), O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, pwrite(fd, "x", 1, far));
	close(fd);
	ASSERT_EQ(0, chmod(in(self->mnt, "sparse"), 0600));
	EXPECT_TRUE(same_data(in(self->b1, "sparse"), in(self->b0, "sparse")));
	EXPECT_LE(XFS_DATA + 1,
		  shared_bytes(in(self->b0, "sparse"), far + 1));

	snprintf(ro, sizeof(ro), "%s/ro", self->base);
	ASSERT_EQ(0, mkdir(ro, 0755));
	ASSERT_EQ(0, mount(self->b1, ro, NULL, MS_BIND, NULL));
	ASSERT_EQ(0, mount(NULL, ro, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
			   NULL));
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", self->b0, ro);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;
	ASSERT_EQ(0, chmod(in(self->mnt, "cut"), 0600));
	EXPECT_TRUE(same_data(in(self->b1, "cut"), in(self->b0, "cut")));
	EXPECT_EQ(0, shared_bytes(in(self->b0, "cut"), XFS_DATA));
	EXPECT_EQ(0, shared_bytes(in(self->b1, "cut"), XFS_DATA));
	umount2(self->mnt, MNT_DETACH);
	self->mounted = false;
	EXPECT_EQ(0, umount(ro));
}

/*
 * copy_file_range(2) is done by the branch files: a clone on one XFS,
 * a copy by splice from another filesystem (tmpfs) to XFS.
 */
TEST_F(xfs, copy_file_range_is_done_by_the_branch)
{
	int in_fd = open(in(self->mnt, "big"), O_RDONLY);
	int out_fd = open(in(self->mnt, "copy"), O_WRONLY | O_CREAT, 0644);
	int tmp_fd = open(in(self->mnt, "on-tmpfs"), O_RDONLY);
	int out2_fd = open(in(self->mnt, "copy2"), O_WRONLY | O_CREAT, 0644);
	loff_t done;

	ASSERT_LE(0, in_fd);
	ASSERT_LE(0, out_fd);
	ASSERT_LE(0, tmp_fd);
	ASSERT_LE(0, out2_fd);
	for (done = 0; done < XFS_DATA + 100; ) {
		ssize_t n = copy_file_range(in_fd, NULL, out_fd, NULL,
					    XFS_DATA + 100 - done, 0);

		ASSERT_LT(0, n) {
			TH_LOG("copy_file_range: %s", strerror(errno));
		}
		done += n;
	}
	for (done = 0; done < XFS_DATA + 100; ) {
		ssize_t n = copy_file_range(tmp_fd, NULL, out2_fd, NULL,
					    XFS_DATA + 100 - done, 0);

		ASSERT_LT(0, n) {
			TH_LOG("copy_file_range from tmpfs: %s",
			       strerror(errno));
		}
		done += n;
	}
	close(in_fd);
	close(out_fd);
	close(tmp_fd);
	close(out2_fd);
	EXPECT_TRUE(same_data(in(self->b1, "big"), in(self->b0, "copy")));
	EXPECT_LE(XFS_DATA, shared_bytes(in(self->b0, "copy"), XFS_DATA));
	EXPECT_TRUE(same_data(in(self->tmp, "on-tmpfs"),
			      in(self->b0, "copy2")));
	EXPECT_EQ(0, shared_bytes(in(self->b0, "copy2"), XFS_DATA));
}

TEST_HARNESS_MAIN

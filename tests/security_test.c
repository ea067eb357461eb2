// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: who may do what through the union.
 *
 * Mounting and branch changes need CAP_SYS_ADMIN.  A user gets no more
 * through the union than the branches allow: no read, write, create,
 * unlink or rename of what the branch permissions deny, no copy-up on
 * a denied write, no wider mode or other owner on a copy, set-id bits
 * dropped on write.  Paths stay in the union: ".." at its root, and
 * symlinks in branches, resolve in the union's namespace.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/landlock.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "aufs_util.h"

#define USER	1000
#define OTHER	1001

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	0x4000ULL
#endif

FIXTURE(sec) {
	char base[PATH_MAX];
	char b0[PATH_MAX];
	char b1[PATH_MAX];
	char mnt[PATH_MAX];
	char opts[3 * PATH_MAX];
	bool mounted;
};

FIXTURE_SETUP(sec)
{
	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	snprintf(self->base, sizeof(self->base), "/tmp/aufs_sec.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->base));
	ASSERT_EQ(0, mount("tmpfs", self->base, "tmpfs", 0, "mode=0755"));
	snprintf(self->b0, PATH_MAX, "%s/b0", self->base);
	snprintf(self->b1, PATH_MAX, "%s/b1", self->base);
	snprintf(self->mnt, PATH_MAX, "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->b0, 0755));
	ASSERT_EQ(0, mkdir(self->b1, 0755));
	ASSERT_EQ(0, mkdir(self->mnt, 0755));

	put(in(self->b1, "secret"), "secret\n", 0600);
	put(in(self->b1, "public"), "public\n", 0644);
	ASSERT_EQ(0, mkdir(in(self->b1, "rootdir"), 0755));
	put(in(self->b1, "rootdir/file"), "file\n", 0666);
	ASSERT_EQ(0, mkdir(in(self->b1, "userdir"), 0700));
	ASSERT_EQ(0, chown(in(self->b1, "userdir"), USER, USER));
	put(in(self->b1, "userdir/mine"), "mine\n", 0640);
	ASSERT_EQ(0, chown(in(self->b1, "userdir/mine"), USER, USER));
	put(in(self->b1, "sgid"), "sgid\n", 02777);
	ASSERT_EQ(0, chown(in(self->b1, "sgid"), USER, USER));
	ASSERT_EQ(0, chmod(in(self->b1, "sgid"), 02777));
	ASSERT_EQ(0, mkdir(in(self->b1, "d"), 0755));
	ASSERT_EQ(0, symlink("..", in(self->b1, "d/up")));
	ASSERT_EQ(0, symlink("../../../..", in(self->b1, "d/far")));

	snprintf(self->opts, sizeof(self->opts), "br=%s=rw:%s=ro", self->b0,
		 self->b1);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
}

FIXTURE_TEARDOWN(sec)
{
	if (self->mounted)
		EXPECT_EQ(0, umount(self->mnt));
	EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
	rmdir(self->base);
}

/* errno of @fn(@a, @b) run as @uid, 0 on success. */
static int as(uid_t uid, int (*fn)(const char *, const char *),
	      const char *a, const char *b)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid))
			_exit(99);
		_exit(fn(a, b) ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int do_read(const char *path, const char *unused)
{
	char buf[16];
	int fd = open(path, O_RDONLY);
	int ret = fd < 0 || read(fd, buf, sizeof(buf)) < 0 ? -1 : 0;

	if (fd >= 0)
		close(fd);
	return ret;
}

static int do_append(const char *path, const char *unused)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	int ret = fd < 0 || write(fd, "x", 1) != 1 ? -1 : 0;

	if (fd >= 0)
		close(fd);
	return ret;
}

static int do_create(const char *path, const char *unused)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int do_unlink(const char *path, const char *unused)
{
	return unlink(path);
}

static int do_rename(const char *from, const char *to)
{
	return rename(from, to);
}

static int do_chmod(const char *path, const char *unused)
{
	return chmod(path, 0777);
}

static int do_mount(const char *dir, const char *opts)
{
	return mount("none", dir, "aufs", 0, opts);
}

static int do_remount(const char *dir, const char *opts)
{
	return mount("none", dir, NULL, MS_REMOUNT, opts);
}

TEST_F(sec, mount_and_remount_need_cap_sys_admin)
{
	char verb[PATH_MAX + 16];

	EXPECT_EQ(EPERM, as(USER, do_mount, self->b0, self->opts));
	EXPECT_FALSE(exists(in(self->b0, "public")));
	snprintf(verb, sizeof(verb), "del:%s", self->b1);
	EXPECT_EQ(EPERM, as(USER, do_remount, self->mnt, verb));
	EXPECT_TRUE(exists(in(self->mnt, "public")));
}

TEST_F(sec, branch_permissions_hold_through_the_union)
{
	EXPECT_EQ(EACCES, as(USER, do_read, in(self->mnt, "secret"), NULL));
	EXPECT_EQ(0, as(USER, do_read, in(self->mnt, "public"), NULL));
	EXPECT_EQ(EACCES, as(USER, do_append, in(self->mnt, "public"), NULL));
	EXPECT_EQ(EACCES, as(USER, do_create, in(self->mnt, "rootdir/new"),
			     NULL));
	EXPECT_EQ(EACCES, as(USER, do_unlink, in(self->mnt, "rootdir/file"),
			     NULL));
	EXPECT_EQ(EACCES, as(USER, do_rename, in(self->mnt, "rootdir/file"),
			     in(self->mnt, "rootdir/moved")));
	EXPECT_EQ(EPERM, as(USER, do_chmod, in(self->mnt, "public"), NULL));
	/* another user's private directory stays closed */
	EXPECT_EQ(EACCES, as(OTHER, do_read, in(self->mnt, "userdir/mine"),
			     NULL));
	EXPECT_EQ(EACCES, as(OTHER, do_create, in(self->mnt, "userdir/x"),
			     NULL));
	/* nothing of it reached the top branch: no copy-up, no whiteout */
	EXPECT_FALSE(exists(in(self->b0, "public")));
	EXPECT_FALSE(exists(in(self->b0, "rootdir")));
	EXPECT_FALSE(exists(in(self->b0, "userdir")));
	EXPECT_TRUE(exists(in(self->mnt, "rootdir/file")));
	/* a file writable by all may be written, in a copy */
	EXPECT_EQ(0, as(USER, do_append, in(self->mnt, "rootdir/file"), NULL));
	EXPECT_TRUE(exists(in(self->b0, "rootdir/file")));
}

TEST_F(sec, copy_up_never_widens_mode_or_owner)
{
	struct stat st;

	/* the owner writes in their private directory */
	EXPECT_EQ(0, as(USER, do_append, in(self->mnt, "userdir/mine"), NULL));
	ASSERT_EQ(0, stat(in(self->b0, "userdir"), &st));
	EXPECT_EQ(0700, st.st_mode & 07777);
	EXPECT_EQ(USER, st.st_uid);
	ASSERT_EQ(0, stat(in(self->b0, "userdir/mine"), &st));
	EXPECT_EQ(0640, st.st_mode & 07777);
	EXPECT_EQ(USER, st.st_uid);
	EXPECT_EQ(USER, st.st_gid);
	/* and it stays closed to others */
	EXPECT_EQ(EACCES, as(OTHER, do_read, in(self->mnt, "userdir/mine"),
			     NULL));
	/* root copies up a private file: still private */
	EXPECT_EQ(0, do_append(in(self->mnt, "secret"), NULL));
	ASSERT_EQ(0, stat(in(self->b0, "secret"), &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(EACCES, as(USER, do_read, in(self->mnt, "secret"), NULL));
}

TEST_F(sec, setgid_dropped_on_write_by_non_member)
{
	struct stat st;

	EXPECT_EQ(0, as(OTHER, do_append, in(self->mnt, "sgid"), NULL));
	ASSERT_EQ(0, stat(in(self->mnt, "sgid"), &st));
	EXPECT_EQ(0, st.st_mode & S_ISGID);
	ASSERT_EQ(0, stat(in(self->b1, "sgid"), &st));
	EXPECT_EQ(S_ISGID, st.st_mode & S_ISGID);
}

TEST_F(sec, paths_stay_in_the_union)
{
	struct stat up, root, far, parent, dotdot;

	/* a symlink in a branch resolves in the union's namespace */
	ASSERT_EQ(0, stat(in(self->mnt, "d/up"), &up));
	ASSERT_EQ(0, stat(self->mnt, &root));
	EXPECT_EQ(root.st_dev, up.st_dev);
	EXPECT_EQ(root.st_ino, up.st_ino);
	/* ".." at the union's root is the mount point's parent */
	ASSERT_EQ(0, stat(in(self->mnt, ".."), &dotdot));
	ASSERT_EQ(0, stat(self->base, &parent));
	EXPECT_EQ(parent.st_dev, dotdot.st_dev);
	EXPECT_EQ(parent.st_ino, dotdot.st_ino);
	/* and far up is where the path says, not above a branch */
	ASSERT_EQ(0, stat(in(self->mnt, "d/far"), &far));
	ASSERT_EQ(0, stat("/", &root));
	EXPECT_EQ(root.st_ino, far.st_ino);
}

TEST_F(sec, crafted_whiteout_names)
{
	char name[64];
	DIR *d;
	struct dirent *e;
	int dots = 0;

	/* whiteout names cannot be made or looked up through the union */
	EXPECT_EQ(-1, open(in(self->mnt, ".wh.public"), O_RDONLY));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, mkdir(in(self->mnt, ".wh..wh..opq"), 0755));
	/* one made on the top branch for "." or ".." hides nothing */
	snprintf(name, sizeof(name), ".wh...");
	put(in(self->b0, name), "", 0644);
	put(in(self->b0, ".wh.."), "", 0644);
	d = opendir(self->mnt);
	ASSERT_NE(NULL, d);
	while ((e = readdir(d)))
		dots += !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	EXPECT_EQ(2, dots);
	EXPECT_TRUE(exists(in(self->mnt, "d/..")));
	EXPECT_TRUE(exists(in(self->mnt, "public")));
}

/*
 * The work directory, where copies are built, is only the mounter's: one
 * planted by a user who may write the top branch root (owned by the
 * user, 0777, a file inside) is made root's and 0700 and emptied, and
 * one that mkdir gave the root's default ACL loses it.
 */
TEST_F(sec, work_directory_is_only_the_mounters)
{
	char work[PATH_MAX];
	struct stat st;

	snprintf(work, sizeof(work), "%s/.wh..wh.orph", self->b0);
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	ASSERT_EQ(0, rmdir(work));
	ASSERT_EQ(0, mkdir(work, 0777));
	ASSERT_EQ(0, chmod(work, 0777));
	ASSERT_EQ(0, chown(work, USER, USER));
	put(in(work, "planted"), "planted\n", 0666);
	ASSERT_EQ(0, chown(in(work, "planted"), USER, USER));
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
	ASSERT_EQ(0, stat(work, &st));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(0700, st.st_mode & 07777);
	EXPECT_FALSE(exists(in(work, "planted")));

	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	ASSERT_EQ(0, rmdir(work));
	ASSERT_EQ(0, set_acl(self->b0, "system.posix_acl_default", USER));
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
	EXPECT_EQ(-1, getxattr(work, "system.posix_acl_access", NULL, 0));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, getxattr(work, "system.posix_acl_default", NULL, 0));
	EXPECT_EQ(ENODATA, errno);
	ASSERT_EQ(0, stat(work, &st));
	EXPECT_EQ(0700, st.st_mode & 07777);
}

/*
 * A branch whose filesystem folds names (vfat compares them without case)
 * is refused at mount and at remount: there ".WH.secret" would hide
 * "secret", and a name and its whiteout could be spelled two ways.
 */
TEST_F(sec, branch_that_folds_names_is_refused)
{
	char image[PATH_MAX], fat[PATH_MAX], dev[32], opts[4 * PATH_MAX];
	int fd;

	snprintf(image, sizeof(image), "%s/fat.img", self->base);
	snprintf(fat, sizeof(fat), "%s/fat", self->base);
	fd = open(image, O_WRONLY | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4 << 20));
	close(fd);
	if (busybox("mkdosfs", image))
		SKIP(return, "busybox mkdosfs cannot make a vfat image");
	ASSERT_EQ(0, mkdir(fat, 0755));
	fd = loop_attach(image, false, dev, sizeof(dev));
	if (fd < 0)
		SKIP(return, "no loop device");
	if (mount(dev, fat, "vfat", 0, NULL)) {
		close(fd);
		SKIP(return, "no vfat");
	}
	close(fd);
	put(in(fat, "secret"), "secret\n", 0600);
	ASSERT_EQ(0, mkdir(in(self->base, "m2"), 0755));

	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", self->b0, fat);
	EXPECT_EQ(-1, do_mount(in(self->base, "m2"), opts));
	EXPECT_EQ(EINVAL, errno);
	snprintf(opts, sizeof(opts), "br=%s=rw", fat);
	EXPECT_EQ(-1, do_mount(in(self->base, "m2"), opts));
	EXPECT_EQ(EINVAL, errno);
	umount(in(self->base, "m2"));
	snprintf(opts, sizeof(opts), "append:%s=ro", fat);
	EXPECT_EQ(-1, mount("none", self->mnt, NULL, MS_REMOUNT, opts));
	EXPECT_EQ(EINVAL, errno);
	snprintf(opts, sizeof(opts), "%s=rw:%s=ro", self->b0, self->b1);
	EXPECT_STREQ(opts, branches(self->mnt));
	EXPECT_STREQ("public\n", get(in(self->mnt, "public")));
	EXPECT_EQ(0, umount(fat));
}

/*
 * A branch that is the writable top of one union, or a directory inside
 * it, cannot be the writable top of another one (mount or remount,
 * EBUSY): the second would empty the work directory, where the first
 * builds its copies, and each would change the tree behind the other's
 * back.  As a lower branch it is fine, and once the first union no
 * longer has it as its writable top, it is free.
 */
TEST_F(sec, top_branch_of_another_union_is_refused)
{
	char m2[PATH_MAX], opts[4 * PATH_MAX];

	snprintf(m2, sizeof(m2), "%s/m2", self->base);
	ASSERT_EQ(0, mkdir(m2, 0755));
	put(in(self->b0, ".wh..wh.orph/cu.in-flight"), "half", 0600);

	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", self->b0, self->b1);
	EXPECT_EQ(-1, do_mount(m2, opts));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(exists(in(self->b0, ".wh..wh.orph/cu.in-flight")));
	/* nor a directory inside it, its work directory included */
	ASSERT_EQ(0, mkdir(in(self->b0, "sub"), 0755));
	snprintf(opts, sizeof(opts), "br=%s=rw", in(self->b0, "sub"));
	EXPECT_EQ(-1, do_mount(m2, opts));
	EXPECT_EQ(EBUSY, errno);
	snprintf(opts, sizeof(opts), "br=%s=rw", in(self->b0, ".wh..wh.orph"));
	EXPECT_EQ(-1, do_mount(m2, opts));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_TRUE(exists(in(self->b0, ".wh..wh.orph/cu.in-flight")));

	/* a lower branch of another union: fine */
	ASSERT_EQ(0, mkdir(in(self->base, "top2"), 0755));
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", in(self->base, "top2"),
		 self->b0);
	ASSERT_EQ(0, do_mount(m2, opts));
	snprintf(opts, sizeof(opts), "del:%s", self->b0);
	EXPECT_EQ(0, do_remount(m2, opts));
	snprintf(opts, sizeof(opts), "prepend:%s=rw", self->b0);
	EXPECT_EQ(-1, do_remount(m2, opts));
	EXPECT_EQ(EBUSY, errno);
	snprintf(opts, sizeof(opts), "%s=rw", in(self->base, "top2"));
	EXPECT_STREQ(opts, branches(m2));
	EXPECT_TRUE(exists(in(self->b0, ".wh..wh.orph/cu.in-flight")));
	EXPECT_EQ(0, umount(m2));
	/* m2's claim on top2 went with it */
	snprintf(opts, sizeof(opts), "br=%s=rw", in(self->base, "top2"));
	EXPECT_EQ(0, do_mount(m2, opts));
	EXPECT_EQ(0, umount(m2));

	/* b0 read-only in the first union: free as a top, and back */
	snprintf(opts, sizeof(opts), "mod:%s=ro", self->b0);
	ASSERT_EQ(0, do_remount(self->mnt, opts));
	snprintf(opts, sizeof(opts), "br=%s=rw", self->b0);
	EXPECT_EQ(0, do_mount(m2, opts));
	snprintf(opts, sizeof(opts), "mod:%s=rw", self->b0);
	EXPECT_EQ(-1, do_remount(self->mnt, opts));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, umount(m2));
	EXPECT_EQ(0, do_remount(self->mnt, opts));

	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	snprintf(opts, sizeof(opts), "br=%s=rw", self->b0);
	EXPECT_EQ(0, do_mount(m2, opts));
	EXPECT_EQ(0, umount(m2));
}

/*
 * open(@path, @flags) in a Landlock domain that may read and write files
 * beneath @dir but not truncate them.  Return: errno of the open, 0 if
 * it succeeded, 100 or more if the domain could not be set up.
 */
static int landlocked_open(const char *path, const char *dir, int flags)
{
	struct landlock_ruleset_attr ruleset = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE |
				     LANDLOCK_ACCESS_FS_WRITE_FILE |
				     LANDLOCK_ACCESS_FS_TRUNCATE,
	};
	struct landlock_path_beneath_attr rule = {
		.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
				  LANDLOCK_ACCESS_FS_WRITE_FILE,
	};
	int status, fd;
	pid_t pid = fork();

	if (pid)
		return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ?
		       WEXITSTATUS(status) : 99;
	fd = syscall(__NR_landlock_create_ruleset, &ruleset, sizeof(ruleset),
		     0);
	if (fd < 0)
		_exit(100);
	rule.parent_fd = open(dir, O_PATH | O_DIRECTORY);
	if (rule.parent_fd < 0 ||
	    syscall(__NR_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH,
		    &rule, 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_landlock_restrict_self, fd, 0))
		_exit(101);
	fd = open(path, flags);
	_exit(fd < 0 ? errno : 0);
}

/*
 * A Landlock domain whose rules name paths of the union (and not its
 * branches) may read and write through the union what the rules allow:
 * the branch files are opened as the mounter, as on overlayfs.  A
 * truncating open that the domain refuses fails as on a native
 * filesystem, and the file keeps its data.
 */
TEST_F(sec, landlock_rules_on_union_paths_hold)
{
	int abi = syscall(__NR_landlock_create_ruleset, NULL, 0,
			  LANDLOCK_CREATE_RULESET_VERSION);

	if (abi < 3)
		SKIP(return, "no Landlock with the truncate right (ABI %d)", abi);
	EXPECT_EQ(0, landlocked_open(in(self->mnt, "public"), self->mnt,
				     O_RDONLY));
	EXPECT_EQ(0, landlocked_open(in(self->mnt, "rootdir/file"),
				     self->mnt, O_WRONLY));
	EXPECT_TRUE(exists(in(self->b0, "rootdir/file")));
	/* outside the rules: refused */
	EXPECT_EQ(EACCES, landlocked_open(in(self->mnt, "public"),
					  in(self->mnt, "rootdir"), O_RDONLY));

	EXPECT_EQ(EACCES, landlocked_open(in(self->mnt, "public"), self->mnt,
					  O_WRONLY | O_TRUNC));
	/* refused after ->open copied it up: the copy is whole */
	EXPECT_STREQ("public\n", get(in(self->mnt, "public")));
	if (exists(in(self->b0, "public")))
		EXPECT_STREQ("public\n", get(in(self->b0, "public")));
	/* the same domain on the branch itself refuses the same way */
	EXPECT_EQ(EACCES, landlocked_open(in(self->b1, "public"), self->b1,
					  O_WRONLY | O_TRUNC));
	EXPECT_STREQ("public\n", get(in(self->b1, "public")));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: branches changed at run time with remount verbs.
 *
 * The union starts as b0 (rw, top) over b1 (ro); x and y are spare
 * directories that the tests add.  Every branch lives on a private
 * tmpfs.  The branch list is checked in /proc/self/mounts and in
 * /sys/fs/aufs/si_<dev>/br<N>.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "aufs_util.h"

#ifndef FSCONFIG_SET_FLAG
#define FSCONFIG_SET_FLAG		0
#define FSCONFIG_SET_STRING		1
#define FSCONFIG_CMD_RECONFIGURE	7
#endif
#ifndef FSPICK_CLOEXEC
#define FSPICK_CLOEXEC			0x00000001
#endif

/* What a read(2) from the start of @fd gives. */
static const char *fd_get(int fd)
{
	static char b[256];
	ssize_t n = pread(fd, b, 255, 0);

	b[n < 0 ? 0 : n] = '\0';
	return b;
}

FIXTURE(br) {
	char base[PATH_MAX];
	char b0[PATH_MAX];
	char b1[PATH_MAX];
	char x[PATH_MAX];
	char y[PATH_MAX];
	char mnt[PATH_MAX];
	bool mounted;
};

static bool has_opt(const char *mnt, const char *opt)
{
	static char line[4096];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool found = false;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, mnt) && strstr(line, opt))
			found = true;
	if (f)
		fclose(f);
	return found;
}

static int remount(const char *mnt, const char *opts)
{
	return mount("none", mnt, NULL, MS_REMOUNT, opts) ? -errno : 0;
}

/* Branch @index as sysfs shows it ("" if there is no such file). */
static const char *sysfs_br(const char *mnt, int index)
{
	char path[PATH_MAX];
	struct stat st;

	if (stat(mnt, &st))
		return "";
	snprintf(path, sizeof(path), "/sys/fs/aufs/si_%lx/br%d",
		 (unsigned long)st.st_dev, index);
	return get(path);
}

FIXTURE_SETUP(br)
{
	char opts[3 * PATH_MAX];

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	snprintf(self->base, sizeof(self->base), "/tmp/aufs_br.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->base));
	ASSERT_EQ(0, mount("tmpfs", self->base, "tmpfs", 0, NULL));
	snprintf(self->b0, PATH_MAX, "%s/b0", self->base);
	snprintf(self->b1, PATH_MAX, "%s/b1", self->base);
	snprintf(self->x, PATH_MAX, "%s/x", self->base);
	snprintf(self->y, PATH_MAX, "%s/y", self->base);
	snprintf(self->mnt, PATH_MAX, "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->b0, 0755));
	ASSERT_EQ(0, mkdir(self->b1, 0755));
	ASSERT_EQ(0, mkdir(self->x, 0755));
	ASSERT_EQ(0, mkdir(self->y, 0755));
	ASSERT_EQ(0, mkdir(self->mnt, 0755));

	put(in(self->b1, "f"), "b1\n", 0644);
	put(in(self->b1, "common"), "common\n", 0644);
	ASSERT_EQ(0, mkdir(in(self->b1, "d"), 0755));
	put(in(self->b1, "d/in-b1"), "in-b1\n", 0644);
	put(in(self->x, "f"), "x\n", 0644);
	put(in(self->x, "x-only"), "x-only\n", 0644);
	ASSERT_EQ(0, mkdir(in(self->x, "xdir"), 0755));
	ASSERT_EQ(0, mkdir(in(self->x, "d"), 0755));
	put(in(self->x, "d/in-x"), "in-x\n", 0644);
	put(in(self->y, "f"), "y\n", 0644);

	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", self->b0, self->b1);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;
}

FIXTURE_TEARDOWN(br)
{
	if (self->mounted)
		EXPECT_EQ(0, umount(self->mnt));
	EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
	rmdir(self->base);
}

/* The expected br= list, from directories and permissions. */
static const char *list(const char *a, const char *pa, const char *b,
			const char *pb, const char *c, const char *pc)
{
	static char out[4096];

	snprintf(out, sizeof(out), "%s=%s", a, pa);
	if (b)
		snprintf(out + strlen(out), sizeof(out) - strlen(out),
			 ":%s=%s", b, pb);
	if (c)
		snprintf(out + strlen(out), sizeof(out) - strlen(out),
			 ":%s=%s", c, pc);
	return out;
}

TEST_F(br, append_adds_at_the_bottom)
{
	char opt[PATH_MAX + 16], want[PATH_MAX + 8];

	snprintf(opt, sizeof(opt), "append:%s=ro", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ(list(self->b0, "rw", self->b1, "ro", self->x, "ro"),
		     branches(self->mnt));
	/* below b1: b1's f wins, x's own names appear */
	EXPECT_STREQ("b1\n", get(in(self->mnt, "f")));
	EXPECT_STREQ("x-only\n", get(in(self->mnt, "x-only")));
	EXPECT_STREQ("in-x\n", get(in(self->mnt, "d/in-x")));
	EXPECT_STREQ("in-b1\n", get(in(self->mnt, "d/in-b1")));
	snprintf(want, sizeof(want), "%s=ro\n", self->x);
	EXPECT_STREQ(want, sysfs_br(self->mnt, 2));
	snprintf(want, sizeof(want), "%s=rw\n", self->b0);
	EXPECT_STREQ(want, sysfs_br(self->mnt, 0));
	EXPECT_STREQ("", sysfs_br(self->mnt, 3));
}

/*
 * What br<N> in @si reads for a process whose root is @root (NULL: the
 * caller's) and, if @newns, in a mount namespace of its own: the text,
 * or "E<errno>".
 */
static const char *sysfs_br_from(const char *si, int index, const char *root,
				 bool newns)
{
	static char out[PATH_MAX + 16];
	char path[PATH_MAX];
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/br%d", si, index);
	if (pipe(pfd))
		return "pipe";
	pid = fork();
	if (pid == 0) {
		int fd;

		close(pfd[0]);
		if (newns && (unshare(CLONE_NEWNS) ||
			      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)))
			_exit(2);
		if (root && (chroot(root) || chdir("/")))
			_exit(3);
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, out, sizeof(out) - 1);
		if (n < 0)
			n = snprintf(out, sizeof(out), "E%d", errno);
		_exit(write(pfd[1], out, n) == n ? 0 : 4);
	}
	close(pfd[1]);
	n = read(pfd[0], out, sizeof(out) - 1);
	close(pfd[0]);
	out[n < 0 ? 0 : n] = '\0';
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		snprintf(out, sizeof(out), "child failed");
	return out;
}

/*
 * The branch files name a branch as the reader's root sees it, and
 * name nothing to a reader that cannot reach it: a chroot beside the
 * branches, or a mount namespace of its own, where the branch mounts
 * are not the reader's.
 */
TEST_F(br, sysfs_shows_a_branch_only_to_who_can_reach_it)
{
	char si[PATH_MAX], jail[PATH_MAX], want[PATH_MAX + 8];
	struct stat st;

	ASSERT_EQ(0, stat(self->mnt, &st));
	snprintf(si, sizeof(si), "/sys/fs/aufs/si_%lx",
		 (unsigned long)st.st_dev);
	snprintf(jail, sizeof(jail), "%s/jail", self->base);
	ASSERT_EQ(0, mkdir(jail, 0755));
	ASSERT_EQ(0, mkdir(in(self->base, "sys"), 0755));
	ASSERT_EQ(0, mkdir(in(jail, "sys"), 0755));
	ASSERT_EQ(0, mount("sysfs", in(self->base, "sys"), "sysfs", 0, NULL));
	ASSERT_EQ(0, mount("sysfs", in(jail, "sys"), "sysfs", 0, NULL));

	snprintf(want, sizeof(want), "%s=rw\n", self->b0);
	EXPECT_STREQ(want, sysfs_br_from(si, 0, NULL, false));
	/* a root above the branches: the path below that root */
	EXPECT_STREQ("/b0=rw\n", sysfs_br_from(si, 0, self->base, false));
	EXPECT_STREQ("/b1=ro\n", sysfs_br_from(si, 1, self->base, false));
	/* a root beside them, another namespace: nothing */
	EXPECT_STREQ("E2", sysfs_br_from(si, 0, jail, false));
	EXPECT_STREQ("E2", sysfs_br_from(si, 1, NULL, true));

	EXPECT_EQ(0, umount(in(jail, "sys")));
	EXPECT_EQ(0, umount(in(self->base, "sys")));
}

TEST_F(br, prepend_unveils_at_once)
{
	char opt[PATH_MAX + 16];
	struct stat st;

	/* cached before the change: the dentry and the inode */
	EXPECT_STREQ("b1\n", get(in(self->mnt, "f")));
	ASSERT_EQ(-1, stat(in(self->mnt, "x-only"), &st));
	snprintf(opt, sizeof(opt), "prepend:%s=rw", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ(list(self->x, "rw", self->b0, "rw", self->b1, "ro"),
		     branches(self->mnt));
	EXPECT_STREQ("x\n", get(in(self->mnt, "f")));
	EXPECT_EQ(0, stat(in(self->mnt, "x-only"), &st));
	/* new files go to the new top branch */
	put(in(self->mnt, "new"), "new\n", 0644);
	EXPECT_STREQ("new\n", get(in(self->x, "new")));
	EXPECT_EQ(-1, access(in(self->b0, "new"), F_OK));
}

TEST_F(br, add_and_ins_take_an_index)
{
	char opt[2 * PATH_MAX + 32], want[4 * PATH_MAX];

	snprintf(opt, sizeof(opt), "add:1:%s=ro,ins:3:%s=rr", self->x,
		 self->y);
	ASSERT_EQ(0, remount(self->mnt, opt));
	snprintf(want, sizeof(want), "%s=rw:%s=ro:%s=ro:%s=rr",
		 self->b0, self->x, self->b1, self->y);
	EXPECT_STREQ(want, branches(self->mnt));
	/* x is now above b1 */
	EXPECT_STREQ("x\n", get(in(self->mnt, "f")));
}

TEST_F(br, del_reveals_the_branch_below)
{
	char opt[PATH_MAX + 16];

	snprintf(opt, sizeof(opt), "prepend:%s=rw", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ("x\n", get(in(self->mnt, "f")));
	snprintf(opt, sizeof(opt), "del:%s", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ(list(self->b0, "rw", self->b1, "ro", NULL, NULL),
		     branches(self->mnt));
	EXPECT_STREQ("b1\n", get(in(self->mnt, "f")));
	EXPECT_EQ(-1, access(in(self->mnt, "x-only"), F_OK));
	EXPECT_EQ(ENOENT, errno);
	/* the deleted branch is free: its filesystem could go now */
	EXPECT_STREQ("x\n", get(in(self->x, "f")));
}

TEST_F(br, del_of_the_top_makes_the_union_read_only)
{
	char opt[PATH_MAX + 16];

	put(in(self->mnt, "upper"), "upper\n", 0644);
	snprintf(opt, sizeof(opt), "del:%s", self->b0);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_EQ(-1, access(in(self->mnt, "upper"), F_OK));
	EXPECT_EQ(-1, open(in(self->mnt, "new"), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(EROFS, errno);
	/* and writable again with a new rw top */
	snprintf(opt, sizeof(opt), "prepend:%s=rw", self->b0);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ("upper\n", get(in(self->mnt, "upper")));
	put(in(self->mnt, "new"), "new\n", 0644);
	EXPECT_STREQ("new\n", get(in(self->b0, "new")));
}

TEST_F(br, mod_changes_permission)
{
	char opt[PATH_MAX + 16];

	/* whiteouts on an "ro" branch do not count; on "ro+wh" they do */
	snprintf(opt, sizeof(opt), "append:%s=ro", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ("x-only\n", get(in(self->mnt, "x-only")));
	put(in(self->b1, ".wh.x-only"), "", 0644);
	EXPECT_STREQ("x-only\n", get(in(self->mnt, "x-only")));
	snprintf(opt, sizeof(opt), "mod:%s=ro+wh", self->b1);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_EQ(-1, access(in(self->mnt, "x-only"), F_OK));
	EXPECT_STREQ(list(self->b0, "rw", self->b1, "ro+wh", self->x, "ro"),
		     branches(self->mnt));

	/* the top made read-only: the union is read-only */
	snprintf(opt, sizeof(opt), "mod:%s=ro", self->b0);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_EQ(-1, open(in(self->mnt, "new"), O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(EROFS, errno);
	snprintf(opt, sizeof(opt), "mod:%s=rw", self->b0);
	ASSERT_EQ(0, remount(self->mnt, opt));
	put(in(self->mnt, "new"), "new\n", 0644);
	EXPECT_STREQ("new\n", get(in(self->b0, "new")));
}

TEST_F(br, fsconfig_reconfigure)
{
	int fd = syscall(SYS_fspick, AT_FDCWD, self->mnt, FSPICK_CLOEXEC);
	char key[PATH_MAX + 16], want[4 * PATH_MAX], msg[512];
	ssize_t n;

	ASSERT_LE(0, fd);
	snprintf(key, sizeof(key), "prepend:%s", self->x);
	ASSERT_EQ(0, syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING, key, "ro",
			     0));
	snprintf(key, sizeof(key), "append:%s=rr", self->y);
	ASSERT_EQ(0, syscall(SYS_fsconfig, fd, FSCONFIG_SET_FLAG, key, NULL,
			     0));
	ASSERT_EQ(0, syscall(SYS_fsconfig, fd, FSCONFIG_CMD_RECONFIGURE, NULL,
			     NULL, 0));
	close(fd);
	snprintf(want, sizeof(want), "%s=ro:%s=rw:%s=ro:%s=rr",
		 self->x, self->b0, self->b1, self->y);
	EXPECT_STREQ(want, branches(self->mnt));

	/* a bad verb is refused when it is set, with a reason */
	fd = syscall(SYS_fspick, AT_FDCWD, self->mnt, FSPICK_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING, "mod:/x",
			      "bogus", 0));
	EXPECT_EQ(EINVAL, errno);
	n = read(fd, msg, sizeof(msg) - 1);
	ASSERT_LT(0, n);
	msg[n] = '\0';
	EXPECT_NE(NULL, strstr(msg, "unknown branch permission"));
	close(fd);
}

TEST_F(br, bad_changes_change_nothing)
{
	char bad[14][3 * PATH_MAX];
	const char *before = strdup(branches(self->mnt));
	char opt[3 * PATH_MAX];
	unsigned int i, n = 0;

	/* index past the bottom, not an index, no index */
	snprintf(bad[n++], sizeof(bad[0]), "add:9:%s", self->x);
	snprintf(bad[n++], sizeof(bad[0]), "add:x:%s", self->x);
	snprintf(bad[n++], sizeof(bad[0]), "add:%s", self->x);
	/* not a directory, not a branch */
	snprintf(bad[n++], sizeof(bad[0]), "del:%s/nonexistent", self->x);
	snprintf(bad[n++], sizeof(bad[0]), "del:%s", self->x);
	/* no permission, unknown permission, del takes none */
	snprintf(bad[n++], sizeof(bad[0]), "mod:%s", self->b1);
	snprintf(bad[n++], sizeof(bad[0]), "mod:%s=bogus", self->b1);
	snprintf(bad[n++], sizeof(bad[0]), "del:%s=ro", self->b1);
	/* inside b1, b1 inside it, the union itself */
	snprintf(bad[n++], sizeof(bad[0]), "prepend:%s/d", self->b1);
	snprintf(bad[n++], sizeof(bad[0]), "append:%s", self->base);
	snprintf(bad[n++], sizeof(bad[0]), "append:%s", self->mnt);
	/* a good verb, then a bad one; the same branch twice */
	snprintf(bad[n++], sizeof(bad[0]), "prepend:%s=rw,del:%s", self->y,
		 self->x);
	snprintf(bad[n++], sizeof(bad[0]), "append:%s,append:%s", self->y,
		 self->y);
	/* br= cannot change */
	snprintf(bad[n++], sizeof(bad[0]), "br=%s=rw", self->x);

	for (i = 0; i < n; i++) {
		EXPECT_EQ(-EINVAL, remount(self->mnt, bad[i])) {
			TH_LOG("accepted: %s", bad[i]);
		}
		EXPECT_STREQ(before, branches(self->mnt)) {
			TH_LOG("changed by: %s", bad[i]);
		}
	}
	EXPECT_EQ(-EINVAL, remount(self->mnt, "prepend:"));
	EXPECT_STREQ(before, branches(self->mnt));
	/* the list as /proc/mounts shows it is accepted unchanged */
	snprintf(opt, sizeof(opt), "br=%s", before);
	EXPECT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ("b1\n", get(in(self->mnt, "f")));
	/* verbs only on remount */
	snprintf(opt, sizeof(opt), "br=%s,append:%s", self->b1, self->x);
	EXPECT_EQ(-1, mount("none", self->y, "aufs", 0, opt));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * A refused change leaves the union as it was: a mount inside it stays
 * (a path walk does not invalidate its mount point), and the root, the
 * working directory and an open directory keep working.
 */
TEST_F(br, refused_change_keeps_mounts_and_directories)
{
	char inner[PATH_MAX], opt[3 * PATH_MAX], cwd[PATH_MAX];
	int root, dir;

	snprintf(inner, sizeof(inner), "%s/d", self->mnt);
	ASSERT_EQ(0, mount("tmpfs", inner, "tmpfs", 0, NULL));
	put(in(inner, "on-tmpfs"), "inner\n", 0644);
	ASSERT_EQ(0, mkdir(in(self->mnt, "w"), 0755));
	root = open(self->mnt, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, root);
	dir = open(in(self->mnt, "w"), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dir);
	ASSERT_NE(NULL, getcwd(cwd, sizeof(cwd)));
	ASSERT_EQ(0, chdir(in(self->mnt, "w")));

	snprintf(opt, sizeof(opt), "del:%s", self->x);
	EXPECT_EQ(-EINVAL, remount(self->mnt, opt));
	snprintf(opt, sizeof(opt), "prepend:%s=rw,del:%s", self->y, self->x);
	EXPECT_EQ(-EINVAL, remount(self->mnt, opt));

	EXPECT_STREQ("inner\n", get(in(inner, "on-tmpfs")));
	EXPECT_EQ(0, fchmod(root, 0750)) TH_LOG("root: %s", strerror(errno));
	EXPECT_EQ(0, fchmod(dir, 0750)) TH_LOG("open dir: %s", strerror(errno));
	EXPECT_EQ(0, chmod(".", 0700)) TH_LOG("cwd: %s", strerror(errno));
	put("created-in-cwd", "cwd\n", 0644);
	EXPECT_STREQ("cwd\n", get(in(self->mnt, "w/created-in-cwd")));
	EXPECT_STREQ("b1\n", get(in(self->mnt, "f")));

	EXPECT_EQ(0, chdir(cwd));
	close(dir);
	close(root);
	/* still mounted: the unmount finds it */
	EXPECT_EQ(0, umount(inner));
}

/*
 * A branch added at run time is stacked less deep than the union: an
 * overlayfs whose lower layer is the union itself is refused (its
 * lookups would wait for the union, which would wait for them), and so
 * is any stacked branch as deep as the union.
 */
TEST_F(br, branch_stacked_on_the_union_is_refused)
{
	char ovl[PATH_MAX], upper[PATH_MAX], work[PATH_MAX];
	char opt[4 * PATH_MAX];
	const char *before = strdup(branches(self->mnt));

	snprintf(ovl, sizeof(ovl), "%s/ovl", self->base);
	snprintf(upper, sizeof(upper), "%s/ovl-upper", self->base);
	snprintf(work, sizeof(work), "%s/ovl-work", self->base);
	ASSERT_EQ(0, mkdir(ovl, 0755));
	ASSERT_EQ(0, mkdir(upper, 0755));
	ASSERT_EQ(0, mkdir(work, 0755));
	snprintf(opt, sizeof(opt), "lowerdir=%s,upperdir=%s,workdir=%s",
		 self->mnt, upper, work);
	ASSERT_EQ(0, mount("overlay", ovl, "overlay", 0, opt));

	snprintf(opt, sizeof(opt), "append:%s", ovl);
	EXPECT_EQ(-EINVAL, remount(self->mnt, opt));
	snprintf(opt, sizeof(opt), "prepend:%s=ro", ovl);
	EXPECT_EQ(-EINVAL, remount(self->mnt, opt));
	EXPECT_STREQ(before, branches(self->mnt));
	/* the union and the overlay on it go on working */
	EXPECT_STREQ("b1\n", get(in(self->mnt, "f")));
	EXPECT_STREQ("b1\n", get(in(ovl, "f")));
	EXPECT_EQ(0, umount(ovl));
}

TEST_F(br, open_file_is_refreshed_with_refrof)
{
	char opt[PATH_MAX + 16];
	int fd = open(in(self->mnt, "f"), O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_STREQ("b1\n", fd_get(fd));
	snprintf(opt, sizeof(opt), "prepend:%s=ro", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	/* the next read sees the file the name shows now */
	EXPECT_STREQ("x\n", fd_get(fd));
	/* and the next branch change moves it again */
	snprintf(opt, sizeof(opt), "prepend:%s=ro", self->y);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ("y\n", fd_get(fd));
	/* x is not busy: the file moved off it */
	snprintf(opt, sizeof(opt), "del:%s", self->x);
	EXPECT_EQ(0, remount(self->mnt, opt));
	close(fd);
}

/*
 * refrof moves an open file only to a file its opener may read: a user's
 * descriptor stays on its file when a branch change shows, under the
 * same name, a file only root may read.
 */
TEST_F(br, refrof_moves_a_file_only_where_its_opener_may_read)
{
	int to_child[2], to_parent[2], status;
	char opt[PATH_MAX + 16], c = 0;
	pid_t pid;

	ASSERT_EQ(0, chmod(in(self->x, "f"), 0600));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		close(to_child[1]);
		close(to_parent[0]);
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(2);
		fd = open(in(self->mnt, "f"), O_RDONLY);
		if (fd < 0 || write(to_parent[1], "o", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(3);
		_exit(strcmp(fd_get(fd), "b1\n") ? 1 : 0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	/* 0 bytes: the child failed before it opened the file */
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	snprintf(opt, sizeof(opt), "prepend:%s=ro", self->x);
	EXPECT_EQ(0, remount(self->mnt, opt));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* 1: the descriptor read the file only root may read */
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	/* root's view through the name is the new file */
	EXPECT_STREQ("x\n", get(in(self->mnt, "f")));
	close(to_child[1]);
	close(to_parent[0]);
}

TEST_F(br, removed_name_is_not_followed)
{
	char opt[PATH_MAX + 16];
	int fd = open(in(self->mnt, "f"), O_RDONLY);

	ASSERT_LE(0, fd);
	/* the name goes and comes back as another file */
	ASSERT_EQ(0, unlink(in(self->mnt, "f")));
	put(in(self->mnt, "f"), "new\n", 0644);
	snprintf(opt, sizeof(opt), "prepend:%s=ro", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ("x\n", get(in(self->mnt, "f")));
	/* the descriptor keeps the file it was opened on */
	EXPECT_STREQ("b1\n", fd_get(fd));
	close(fd);
}

TEST_F(br, open_file_is_kept_with_norefrof)
{
	char opt[PATH_MAX + 32];
	int fd;

	ASSERT_EQ(0, remount(self->mnt, "norefrof"));
	EXPECT_TRUE(has_opt(self->mnt, "norefrof"));
	fd = open(in(self->mnt, "f"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_STREQ("b1\n", fd_get(fd));
	snprintf(opt, sizeof(opt), "prepend:%s=ro", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ("b1\n", fd_get(fd));
	/* a new open sees the new file */
	EXPECT_STREQ("x\n", get(in(self->mnt, "f")));
	close(fd);
	ASSERT_EQ(0, remount(self->mnt, "refrof"));
	EXPECT_FALSE(has_opt(self->mnt, "norefrof"));
}

TEST_F(br, mapping_is_never_refreshed)
{
	char opt[PATH_MAX + 16];
	int fd = open(in(self->mnt, "f"), O_RDONLY);
	char *p;

	ASSERT_LE(0, fd);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p, "b1\n", 3));
	snprintf(opt, sizeof(opt), "prepend:%s=ro", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	/* the mapping and the mapped file stay on b1's file */
	EXPECT_EQ(0, memcmp(p, "b1\n", 3));
	EXPECT_STREQ("b1\n", fd_get(fd));
	munmap(p, 4096);
	close(fd);
}

TEST_F(br, del_of_a_busy_branch_fails)
{
	char opt[PATH_MAX + 16];
	char *before;
	int fd, cwd;
	char *p;

	snprintf(opt, sizeof(opt), "prepend:%s=ro", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	before = strdup(branches(self->mnt));
	snprintf(opt, sizeof(opt), "del:%s", self->x);

	/* an open file */
	fd = open(in(self->mnt, "x-only"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, remount(self->mnt, opt));
	EXPECT_STREQ(before, branches(self->mnt));
	EXPECT_STREQ("x-only\n", fd_get(fd));

	/* a mapping, its file closed */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	EXPECT_EQ(-EBUSY, remount(self->mnt, opt));
	EXPECT_STREQ(before, branches(self->mnt));
	EXPECT_EQ(0, memcmp(p, "x-only\n", 7));
	munmap(p, 4096);

	/* a working directory */
	cwd = open(".", O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, cwd);
	ASSERT_EQ(0, chdir(in(self->mnt, "xdir")));
	EXPECT_EQ(-EBUSY, remount(self->mnt, opt));
	EXPECT_STREQ(before, branches(self->mnt));
	ASSERT_EQ(0, fchdir(cwd));
	close(cwd);

	/* a mount point */
	ASSERT_EQ(0, mount("tmpfs", in(self->mnt, "xdir"), "tmpfs", 0, NULL));
	EXPECT_EQ(-EBUSY, remount(self->mnt, opt));
	EXPECT_STREQ(before, branches(self->mnt));
	ASSERT_EQ(0, umount(in(self->mnt, "xdir")));

	/* nothing left: it goes */
	EXPECT_EQ(0, remount(self->mnt, opt));
	EXPECT_STREQ(list(self->b0, "rw", self->b1, "ro", NULL, NULL),
		     branches(self->mnt));
	/* a merged directory in use does not hold a branch */
	snprintf(opt, sizeof(opt), "append:%s=ro", self->x);
	ASSERT_EQ(0, remount(self->mnt, opt));
	fd = open(in(self->mnt, "d"), O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	snprintf(opt, sizeof(opt), "del:%s", self->x);
	EXPECT_EQ(0, remount(self->mnt, opt));
	EXPECT_EQ(-1, access(in(self->mnt, "d/in-x"), F_OK));
	EXPECT_STREQ("in-b1\n", get(in(self->mnt, "d/in-b1")));
	close(fd);
	free(before);
}

TEST_F(br, rw_to_ro_with_a_writer_fails)
{
	char opt[PATH_MAX + 16];
	int fd = open(in(self->mnt, "w"), O_WRONLY | O_CREAT, 0644);

	ASSERT_LE(0, fd);
	snprintf(opt, sizeof(opt), "mod:%s=ro", self->b0);
	EXPECT_EQ(-EBUSY, remount(self->mnt, opt));
	EXPECT_STREQ(list(self->b0, "rw", self->b1, "ro", NULL, NULL),
		     branches(self->mnt));
	EXPECT_EQ(1, write(fd, "w", 1));
	close(fd);
	EXPECT_EQ(0, remount(self->mnt, opt));
}

TEST_F(br, all_or_nothing)
{
	char opt[3 * PATH_MAX];
	const char *before = strdup(branches(self->mnt));
	int fd;

	/* the last verb is busy: the first ones must not stay */
	snprintf(opt, sizeof(opt), "prepend:%s=ro", self->y);
	ASSERT_EQ(0, remount(self->mnt, opt));
	fd = open(in(self->mnt, "f"), O_RDONLY);
	ASSERT_LE(0, fd);
	before = strdup(branches(self->mnt));
	snprintf(opt, sizeof(opt), "append:%s=ro,mod:%s=rr,del:%s", self->x,
		 self->b1, self->y);
	EXPECT_EQ(-EBUSY, remount(self->mnt, opt));
	EXPECT_STREQ(before, branches(self->mnt));
	EXPECT_STREQ("y\n", fd_get(fd));
	EXPECT_EQ(-1, access(in(self->mnt, "x-only"), F_OK));
	close(fd);
}

#define BIG_SIZE	(128 << 20)

static unsigned char big_byte(off_t pos)
{
	return (pos / 4096) % 251;
}

/* Fill @path with BIG_SIZE bytes of data, no holes. */
static int put_big(const char *path)
{
	static unsigned char buf[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	off_t pos;
	size_t i;

	if (fd < 0)
		return -1;
	for (pos = 0; pos < BIG_SIZE; pos += sizeof(buf)) {
		for (i = 0; i < sizeof(buf); i += 4096)
			memset(buf + i, big_byte(pos + i), 4096);
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			break;
	}
	close(fd);
	return pos == BIG_SIZE ? 0 : -1;
}

/* Whether a copy-up has data in the work directory of @top. */
static bool copy_in_flight(const char *top)
{
	char dir[PATH_MAX];
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/.wh..wh.orph", top);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = !strncmp(de->d_name, "cu.", 3) &&
			!stat(in(dir, de->d_name), &st) && st.st_blocks > 0;
	closedir(d);
	return found;
}

/* Start a copy-up of "big" in a child; wait until its data flows. */
static pid_t big_copy_up(struct __test_metadata *_metadata,
			 const char *mnt, const char *top)
{
	pid_t pid = fork();
	int i;

	if (!pid) {
		int fd = open(in(mnt, "big"), O_WRONLY);

		_exit(fd < 0 ? errno : 0);
	}
	for (i = 0; pid > 0 && i < 60000 && !copy_in_flight(top); i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			pid = 0;
			break;
		}
		usleep(1000);
	}
	EXPECT_LT(0, pid) TH_LOG("the copy-up ended before it was seen");
	EXPECT_TRUE(copy_in_flight(top));
	return pid;
}

/*
 * A copy-up of a large file gives way to a branch change waiting for
 * it: the change, refused or made, does not wait for the copy (the copy
 * is not in place yet when the change returns), and the copy still
 * completes, whole, on the top branch after the change.
 */
TEST_F_TIMEOUT(br, branch_change_does_not_wait_for_a_copy_up, 300)
{
	char opt[PATH_MAX + 16];
	int status, fd;
	pid_t pid;
	off_t pos;
	char c;

	ASSERT_EQ(0, put_big(in(self->b1, "big")));
	pid = big_copy_up(_metadata, self->mnt, self->b0);
	ASSERT_LT(0, pid);
	/* a refused change: y is not a branch */
	snprintf(opt, sizeof(opt), "del:%s", self->y);
	EXPECT_EQ(-EINVAL, remount(self->mnt, opt));
	EXPECT_FALSE(exists(in(self->b0, "big")));
	/* a new top branch: the open starts again and copies there */
	snprintf(opt, sizeof(opt), "prepend:%s=rw", self->y);
	EXPECT_EQ(0, remount(self->mnt, opt));
	EXPECT_FALSE(exists(in(self->b0, "big")));
	EXPECT_FALSE(exists(in(self->y, "big")));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_FALSE(exists(in(self->b0, "big")));
	EXPECT_EQ(0, dir_entries(in(self->b0, ".wh..wh.orph")));

	fd = open(in(self->y, "big"), O_RDONLY);
	ASSERT_LE(0, fd);
	for (pos = 0; pos < BIG_SIZE; pos += BIG_SIZE / 16 + 4095) {
		ASSERT_EQ(1, pread(fd, &c, 1, pos));
		EXPECT_EQ(big_byte(pos), (unsigned char)c);
	}
	EXPECT_EQ(BIG_SIZE, lseek(fd, 0, SEEK_END));
	close(fd);
	EXPECT_EQ(0, dir_entries(in(self->y, ".wh..wh.orph")));
}

/*
 * Readers check what they see while the parent adds and deletes a
 * branch: names of the other branches never change, a name of the
 * churned branch is either absent or right.
 */
TEST_F_TIMEOUT(br, churn_under_read_load, 300)
{
	char add[PATH_MAX + 16], del[PATH_MAX + 16];
	int i, n, status, busy = 0, bad = 0;
	pid_t pids[3];

	snprintf(add, sizeof(add), "append:%s=ro", self->x);
	snprintf(del, sizeof(del), "del:%s", self->x);
	for (i = 0; i < 3; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i])
			continue;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (unsigned long n = 0;; n++) {
			struct stat st;
			const char *x;

			if (strcmp(get(in(self->mnt, "common")), "common\n"))
				_exit(1);
			if (strcmp(get(in(self->mnt, "f")), "b1\n"))
				_exit(2);
			if (!stat(in(self->mnt, "x-only"), &st) &&
			    st.st_size != 7)
				_exit(3);
			/* the churned branch's own file, now and then */
			if (i == 2 && n % 16 == 0) {
				x = get(in(self->mnt, "x-only"));
				if (*x && strcmp(x, "x-only\n"))
					_exit(4);
			}
		}
	}
	for (i = 0; i < 300; i++) {
		int err = remount(self->mnt, add);

		/*
		 * A reader may hold x busy for a moment, not for good:
		 * give up after 10 s of EBUSY.
		 */
		for (n = 0; !err; n++) {
			err = remount(self->mnt, del);
			if (err != -EBUSY || n == 10000)
				break;
			busy++;
			err = 0;
			usleep(1000);
		}
		if (err) {
			TH_LOG("round %d: %s", i, strerror(-err));
			bad++;
			break;
		}
	}
	ksft_print_msg("300 add/del rounds, %d del retried on EBUSY\n", busy);
	for (i = 0; i < 3; i++) {
		/* still running means no stale data was seen */
		EXPECT_EQ(0, waitpid(pids[i], &status, WNOHANG));
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
	}
	EXPECT_EQ(0, bad);
	EXPECT_STREQ(list(self->b0, "rw", self->b1, "ro", NULL, NULL),
		     branches(self->mnt));
}

/*
 * A filesystem on a loop device whose file is in the union would be a
 * branch served from the union itself: a branch change reads the branch
 * while it holds the union's lock, and reading the image waits for that
 * lock.  Such a branch is refused, at mount and at remount, and the
 * union goes on as it was; an image outside the union is a branch like
 * any other.
 */
TEST_F(br, branch_served_from_the_union_is_refused)
{
	char image[PATH_MAX], lo[PATH_MAX], dev[32], opts[3 * PATH_MAX];
	char expect[3 * PATH_MAX];
	int fd, ret;

	snprintf(image, sizeof(image), "%s/image", self->mnt);
	snprintf(lo, sizeof(lo), "%s/lo", self->base);
	ASSERT_EQ(0, mkdir(lo, 0755));
	fd = open(image, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 8 << 20));
	close(fd);
	fd = loop_attach(image, false, dev, sizeof(dev));
	if (fd < 0)
		SKIP(return, "no loop device");
	if (busybox("mke2fs", dev)) {
		close(fd);
		SKIP(return, "busybox mke2fs cannot make a filesystem");
	}
	ASSERT_EQ(0, mount(dev, lo, "ext4", 0, NULL));
	close(fd);
	put(in(lo, "f"), "lo\n", 0644);

	snprintf(expect, sizeof(expect), "%s", branches(self->mnt));
	snprintf(opts, sizeof(opts), "append:%s=ro", lo);
	EXPECT_EQ(-EINVAL, remount(self->mnt, opts));
	snprintf(opts, sizeof(opts), "prepend:%s=rw", lo);
	EXPECT_EQ(-EINVAL, remount(self->mnt, opts));
	EXPECT_STREQ(expect, branches(self->mnt));
	EXPECT_STREQ("b1\n", get(in(self->mnt, "f")));
	snprintf(opts, sizeof(opts), "br=%s=ro", lo);
	ret = mount("none", self->y, "aufs", 0, opts);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINVAL, errno);
	if (!ret)
		umount(self->y);
	EXPECT_EQ(0, umount(lo));

	/* an image outside the union is a branch like any other */
	snprintf(image, sizeof(image), "%s/image", self->base);
	fd = open(image, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 8 << 20));
	close(fd);
	fd = loop_attach(image, false, dev, sizeof(dev));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, busybox("mke2fs", dev));
	ASSERT_EQ(0, mount(dev, lo, "ext4", 0, NULL));
	close(fd);
	put(in(lo, "lo-only"), "lo\n", 0644);
	snprintf(opts, sizeof(opts), "append:%s=ro", lo);
	EXPECT_EQ(0, remount(self->mnt, opts));
	EXPECT_STREQ("lo\n", get(in(self->mnt, "lo-only")));
	snprintf(opts, sizeof(opts), "del:%s", lo);
	EXPECT_EQ(0, remount(self->mnt, opts));
	EXPECT_EQ(0, umount(lo));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: the on-disk format of the branches, both ways, on tmpfs and on
 * ext4 branches.
 *
 * A corpus of branch trees as the out-of-tree aufs writes them
 * (whiteouts, whiteouts hard linked to the whiteout base, opaque
 * directories, pseudo-links, the work directories, a directory it
 * renamed): the union must show exactly the tree that aufs shows.  And
 * what this aufs writes must leave the top branch in that format: no
 * name beside its own whiteout, an opaque marker in a directory made
 * again over a removed one, and the same tree after umount and mount.
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
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "aufs_util.h"

#define LISTING_SIZE	4096
#define MAX_BRANCHES	4

/*
 * One entry of a branch tree, as a string:
 *   "d:PATH"		a directory
 *   "f:PATH:DATA"	a regular file holding DATA
 *   "l:PATH:TARGET"	a symlink
 *   "h:PATH:OTHER"	a hard link of OTHER, on the same branch
 *   "p:PATH"		a FIFO
 * Parents come before their children.
 */
static void build(const char *root, const char *const *entries)
{
	char path[PATH_MAX], other[PATH_MAX];
	const char *const *e;

	for (e = entries; e && *e; e++) {
		const char *name = *e + 2, *arg;
		int len, err;

		arg = strchr(name, ':');
		len = arg ? arg - name : (int)strlen(name);
		snprintf(path, sizeof(path), "%s/%.*s", root, len, name);
		arg = arg ? arg + 1 : "";
		switch (**e) {
		case 'd':
			err = mkdir(path, 0755);
			break;
		case 'f':
			put(path, arg, 0644);
			err = 0;
			break;
		case 'l':
			err = symlink(arg, path);
			break;
		case 'h':
			snprintf(other, sizeof(other), "%s/%s", root, arg);
			err = link(other, path);
			break;
		default:
			err = mkfifo(path, 0644);
			break;
		}
		if (err) {
			perror(path);
			exit(1);
		}
	}
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* What the union keeps at a branch root for itself, either aufs. */
static bool own_dir(const char *rel, const char *name)
{
	return !*rel && (!strcmp(name, ".wh..wh.orph") ||
			 !strcmp(name, ".wh..wh.plnk") ||
			 !strcmp(name, ".wh..wh.aufs"));
}

static char type_of(mode_t mode)
{
	return S_ISDIR(mode) ? 'd' : S_ISREG(mode) ? 'f' : S_ISLNK(mode) ?
	       'l' : S_ISFIFO(mode) ? 'p' : '?';
}

/*
 * Append to @out one line per entry of the tree at @root/@rel, names in
 * byte order, a directory before what it holds: "PATH T[:DATA]", with
 * the data of a regular file and the target of a symlink.  @raw lists a
 * branch, leaving out what own_dir() names; otherwise the type readdir
 * gives must be the type lstat gives, or the line says "readdir:T".
 */
static void list_tree(const char *root, const char *rel, bool raw,
		      char *out, size_t size)
{
	char dir[PATH_MAX], path[PATH_MAX], sub[PATH_MAX], data[256];
	struct dirent **names;
	int i, n;

	snprintf(dir, sizeof(dir), "%s%s%s", root, *rel ? "/" : "", rel);
	n = scandir(dir, &names, NULL, by_name);
	if (n < 0) {
		snprintf(out + strlen(out), size - strlen(out),
			 "%s: cannot list: %s\n", rel, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		unsigned char dt = names[i]->d_type;
		struct stat st;
		ssize_t len;
		char t;

		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    (raw && own_dir(rel, name))) {
			free(names[i]);
			continue;
		}
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
			 name);
		snprintf(path, sizeof(path), "%s/%s", root, sub);
		data[0] = '\0';
		if (lstat(path, &st)) {
			snprintf(out + strlen(out), size - strlen(out),
				 "%s lstat:%s\n", sub, strerror(errno));
			free(names[i]);
			continue;
		}
		t = type_of(st.st_mode);
		if (S_ISREG(st.st_mode)) {
			snprintf(data, sizeof(data), ":%s", get(path));
		} else if (S_ISLNK(st.st_mode)) {
			data[0] = ':';
			len = readlink(path, data + 1, sizeof(data) - 2);
			data[len < 0 ? 1 : len + 1] = '\0';
		}
		snprintf(out + strlen(out), size - strlen(out), "%s %c%s\n",
			 sub, t, data);
		if (!raw && dt != DT_UNKNOWN && DTTOIF(dt) != (st.st_mode & S_IFMT))
			snprintf(out + strlen(out), size - strlen(out),
				 "%s readdir:%c\n", sub, type_of(DTTOIF(dt)));
		if (S_ISDIR(st.st_mode))
			list_tree(root, sub, raw, out, size);
		free(names[i]);
	}
	free(names);
}

struct corpus {
	const char *name;
	const char *perm[MAX_BRANCHES];		/* NULL: no such branch */
	const char *const *br[MAX_BRANCHES];
	const char *shows;			/* list_tree() of the union */
	const char *hides[4];			/* see hidden() */
};

#define TREE(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct corpus corpus[] = {
	{
		.name = "a whiteout hides a lower file",
		.perm = { "rw", "ro" },
		.br = { TREE("f:.wh.a:"), TREE("f:a:low", "f:b:b") },
		.shows = "b f:b\n",
		.hides = { "a", ".wh.a" },
	}, {
		.name = "a whiteout hides a lower directory and what it holds",
		.perm = { "rw", "ro" },
		.br = { TREE("f:.wh.d:"), TREE("d:d", "f:d/x:x") },
		.shows = "",
		.hides = { "d", "d/x" },
	}, {
		.name = "whiteouts hard linked to the whiteout base",
		.perm = { "rw", "ro" },
		.br = { TREE("f:.wh..wh.aufs:", "h:.wh.a:.wh..wh.aufs",
			     "h:.wh.b:.wh..wh.aufs"),
			TREE("f:a:a", "f:b:b", "f:c:c") },
		.shows = "c f:c\n",
		.hides = { "a", "b", ".wh..wh.aufs" },
	}, {
		.name = "an opaque directory hides the lower one",
		.perm = { "rw", "ro" },
		.br = { TREE("d:d", "f:d/.wh..wh..opq:", "f:d/y:y"),
			TREE("d:d", "f:d/x:x") },
		.shows = "d d\nd/y f:y\n",
		.hides = { "d/x", "d/.wh..wh..opq" },
	}, {
		.name = "directories merge, a whiteout inside hides one name",
		.perm = { "rw", "ro" },
		.br = { TREE("d:d", "f:d/.wh.x:", "f:d/y:y"),
			TREE("d:d", "f:d/x:x", "f:d/z:z") },
		.shows = "d d\nd/y f:y\nd/z f:z\n",
		.hides = { "d/x" },
	}, {
		.name = "a file hides a lower directory, a directory a lower file",
		.perm = { "rw", "ro" },
		.br = { TREE("f:x:file", "d:y"),
			TREE("d:x", "f:x/in:in", "f:y:file") },
		.shows = "x f:file\ny d\n",
		.hides = { "x/in" },
	}, {
		/* the non-directory is skipped, not the end of the merge */
		.name = "directories merge across a non-directory between them",
		.perm = { "rw", "ro", "ro" },
		.br = { TREE("d:d", "f:d/y:y", "d:e"),
			TREE("f:d:file", "l:e:d"),
			TREE("d:d", "f:d/x:x", "d:e", "f:e/z:z") },
		.shows = "d d\nd/x f:x\nd/y f:y\ne d\ne/z f:z\n",
	}, {
		/* but a whiteout beside it ends the merge, as always */
		.name = "a whiteout beside the non-directory ends the merge",
		.perm = { "rw", "ro+wh", "ro+wh" },
		.br = { TREE("d:d", "f:d/y:y"), TREE("f:d:file", "f:.wh.d:"),
			TREE("d:d", "f:d/x:x") },
		.shows = "d d\nd/y f:y\n",
		.hides = { "d/x" },
	}, {
		/* and an opaque directory below it is the last one merged */
		.name = "the merge across a non-directory stops at an opaque one",
		.perm = { "rw", "ro+wh", "ro+wh", "ro" },
		.br = { TREE("d:d", "f:d/y:y"), TREE("f:d:file"),
			TREE("d:d", "f:d/.wh..wh..opq:", "f:d/x:x"),
			TREE("d:d", "f:d/z:z") },
		.shows = "d d\nd/x f:x\nd/y f:y\n",
		.hides = { "d/z", "d/.wh..wh..opq" },
	}, {
		.name = "whiteouts and opaque directories of an ro+wh branch",
		.perm = { "rw", "ro+wh", "ro" },
		.br = { TREE("d:d"),
			TREE("f:.wh.a:", "d:d", "f:d/.wh..wh..opq:", "f:m:m"),
			TREE("f:a:a", "d:d", "f:d/x:x", "f:c:c") },
		.shows = "c f:c\nd d\nm f:m\n",
		.hides = { "a", "d/x" },
	}, {
		.name = "an ro branch's whiteouts are not honoured, nor shown",
		.perm = { "rw", "ro", "ro" },
		.br = { TREE("d:d"), TREE("f:.wh.a:"), TREE("f:a:a") },
		.shows = "a f:a\nd d\n",
		.hides = { ".wh.a" },
	}, {
		.name = "symlinks and FIFOs, one whited out",
		.perm = { "rw", "ro" },
		.br = { TREE("f:.wh.fifo:"),
			TREE("l:l:target", "p:fifo", "p:other") },
		.shows = "l l:target\nother p\n",
		.hides = { "fifo" },
	}, {
		/*
		 * A copied-up hard link of a lower file and its pseudo-link:
		 * a new mount does not read pseudo-links, the other name
		 * shows the lower file until auplink makes it a real link.
		 */
		.name = "pseudo-links and the work directories",
		.perm = { "rw", "ro" },
		.br = { TREE("d:.wh..wh.plnk", "f:a:new",
			     "h:.wh..wh.plnk/2049.12:a", "d:.wh..wh.orph"),
			TREE("f:a:old", "h:b:a") },
		.shows = "a f:new\nb f:old\n",
		.hides = { ".wh..wh.plnk", ".wh..wh.orph" },
	}, {
		/*
		 * rename(2) of dirA to dirB with "dirren": a whiteout of the
		 * old name, a note in the new directory.  Both aufs read
		 * the notes of a directory only if the list at the branch
		 * root (.wh..wh.hino) names it: empty here, so dirB shows
		 * its top copy alone, the notes hidden.  write_test has
		 * the notes read and written.
		 */
		.name = "a directory renamed by out-of-tree aufs, not listed",
		.perm = { "rw", "ro" },
		.br = { TREE("f:.wh.dirA:", "f:.wh..wh.hino:", "d:dirB",
			     "f:dirB/.wh..wh..dr.dev.801.2:info"),
			TREE("d:dirA", "f:dirA/file:file") },
		.shows = "dirB d\n",
		.hides = { "dirA", "dirB/file" },
	},
};

FIXTURE(fmt) {
	char base[PATH_MAX];
	char mnt[PATH_MAX];
	bool mounted;
	bool own_tmpfs;
	struct ext4_fs ext4;
};

FIXTURE_VARIANT(fmt) {
	bool ext4;
};

FIXTURE_VARIANT_ADD(fmt, tmpfs) {
	.ext4 = false,
};

FIXTURE_VARIANT_ADD(fmt, ext4) {
	.ext4 = true,
};

FIXTURE_SETUP(fmt)
{
	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	if (variant->ext4) {
		const char *why = ext4_get(&self->ext4, "fmt", self->base,
					   sizeof(self->base));

		if (why)
			SKIP(return, "%s", why);
	} else {
		snprintf(self->base, sizeof(self->base), "/tmp/aufs_fmt.XXXXXX");
		ASSERT_NE(NULL, mkdtemp(self->base));
		ASSERT_EQ(0, mount("tmpfs", self->base, "tmpfs", 0, NULL));
		self->own_tmpfs = true;
	}
	ASSERT_EQ(0, chmod(self->base, 0755));
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
}

FIXTURE_TEARDOWN(fmt)
{
	if (self->mounted)
		umount2(self->mnt, MNT_DETACH);
	if (self->own_tmpfs) {
		umount2(self->base, MNT_DETACH);
		rmdir(self->base);
	}
	ext4_put(&self->ext4);
}

/* Mount the union of @dir/b0.. with @perm, top first. */
static int mount_union(const char *mnt, const char *dir,
		       const char *const *perm)
{
	char opts[8 * PATH_MAX] = "br=";
	int i;

	for (i = 0; i < MAX_BRANCHES && perm[i]; i++)
		snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
			 "%s%s/b%d=%s", i ? ":" : "", dir, i, perm[i]);
	return mount("none", mnt, "aufs", 0, opts);
}

/*
 * Whether lookup of @rel in @mnt finds nothing (ENOENT, or ENOTDIR under
 * a non-directory); a name that starts with ".wh." is aufs' own, which
 * lookup refuses (EPERM) in both aufs.
 */
static bool hidden(const char *mnt, const char *rel)
{
	const char *base = strrchr(rel, '/');
	struct stat st;

	base = base ? base + 1 : rel;
	errno = 0;
	if (!lstat(in(mnt, rel), &st))
		return false;
	if (!strncmp(base, ".wh.", 4))
		return errno == EPERM;
	return errno == ENOENT || errno == ENOTDIR;
}

static const char *const rw_ro[] = { "rw", "ro", NULL };

/*
 * An empty top branch @dir/b0 over @dir/b1 holding @lower, mounted on
 * @mnt.  Return: 0 or -1.
 */
static int mount_over(const char *mnt, const char *dir,
		      const char *const *lower)
{
	char b0[PATH_MAX + 8], b1[PATH_MAX + 8];

	snprintf(b0, sizeof(b0), "%s/b0", dir);
	snprintf(b1, sizeof(b1), "%s/b1", dir);
	if (mkdir(b0, 0755) || mkdir(b1, 0755))
		return -1;
	build(b1, lower);
	return mount_union(mnt, dir, rw_ro);
}

TEST_F(fmt, corpus_shows_what_out_of_tree_aufs_shows)
{
	char dir[PATH_MAX], br[PATH_MAX + 8];
	static char got[LISTING_SIZE];
	unsigned int c;
	int i;

	for (c = 0; c < ARRAY_SIZE(corpus); c++) {
		const struct corpus *k = &corpus[c];

		snprintf(dir, sizeof(dir), "%s/case%u", self->base, c);
		ASSERT_EQ(0, mkdir(dir, 0755));
		for (i = 0; i < MAX_BRANCHES && k->perm[i]; i++) {
			snprintf(br, sizeof(br), "%s/b%d", dir, i);
			ASSERT_EQ(0, mkdir(br, 0755));
			build(br, k->br[i]);
		}
		ASSERT_EQ(0, mount_union(self->mnt, dir, k->perm)) {
			TH_LOG("%s: mount: %s", k->name, strerror(errno));
		}
		self->mounted = true;
		got[0] = '\0';
		list_tree(self->mnt, "", false, got, sizeof(got));
		EXPECT_STREQ(k->shows, got) {
			TH_LOG("%s", k->name);
		}
		for (i = 0; i < (int)ARRAY_SIZE(k->hides) && k->hides[i]; i++)
			EXPECT_TRUE(hidden(self->mnt, k->hides[i])) {
				TH_LOG("%s: %s: %s", k->name, k->hides[i],
				       strerror(errno));
			}
		ASSERT_EQ(0, umount(self->mnt));
		self->mounted = false;
	}
}

/*
 * Every change that puts a name back where a lower one was removed:
 * create, mkdir, symlink, mknod, link, rename of a file and of a
 * directory.
 */
TEST_F(fmt, writes_leave_the_format_of_out_of_tree_aufs)
{
	static const char *const lower[] = {
		"f:gone:gone", "f:file:low", "d:dir", "f:dir/x:x", "f:f2:2",
		"f:f3:3", "f:f4:4", "f:f5:5", "d:dir2", "d:dir3", NULL,
	};
	static const char top[] =
		".wh.gone f:\n"
		"dir d\n"
		"dir/.wh..wh..opq f:\n"
		"dir/y f:y\n"
		"dir2 d\n"
		"dir2/.wh..wh..opq f:\n"
		"dir2/u f:u\n"
		"dir3 d\n"
		"dir3/.wh..wh..opq f:\n"
		"dir3/v f:v\n"
		"f2 l:t\n"
		"f3 p\n"
		"f4 f:src\n"
		"f5 f:mv\n"
		"file f:new\n"
		"src f:src\n";
	static const char shows[] =
		"dir d\n"
		"dir/y f:y\n"
		"dir2 d\n"
		"dir2/u f:u\n"
		"dir3 d\n"
		"dir3/v f:v\n"
		"f2 l:t\n"
		"f3 p\n"
		"f4 f:src\n"
		"f5 f:mv\n"
		"file f:new\n"
		"src f:src\n";
	static char got[LISTING_SIZE];
	char b0[PATH_MAX + 8], b1[PATH_MAX + 8];
	const char *m = self->mnt;
	struct stat st;

	snprintf(b0, sizeof(b0), "%s/b0", self->base);
	snprintf(b1, sizeof(b1), "%s/b1", self->base);
	ASSERT_EQ(0, mount_over(m, self->base, lower));
	self->mounted = true;

	ASSERT_EQ(0, unlink(in(m, "gone")));
	ASSERT_EQ(0, unlink(in(m, "file")));
	put(in(m, "file"), "new", 0644);
	ASSERT_EQ(0, unlink(in(m, "dir/x")));
	ASSERT_EQ(0, rmdir(in(m, "dir")));
	ASSERT_EQ(0, mkdir(in(m, "dir"), 0755));
	put(in(m, "dir/y"), "y", 0644);
	ASSERT_EQ(0, unlink(in(m, "f2")));
	ASSERT_EQ(0, symlink("t", in(m, "f2")));
	ASSERT_EQ(0, unlink(in(m, "f3")));
	ASSERT_EQ(0, mkfifo(in(m, "f3"), 0644));
	ASSERT_EQ(0, unlink(in(m, "f4")));
	put(in(m, "src"), "src", 0644);
	ASSERT_EQ(0, link(in(m, "src"), in(m, "f4")));
	ASSERT_EQ(0, unlink(in(m, "f5")));
	put(in(m, "mv"), "mv", 0644);
	ASSERT_EQ(0, rename(in(m, "mv"), in(m, "f5")));
	/* a directory over an empty lower one, and over a removed one */
	ASSERT_EQ(0, mkdir(in(m, "up"), 0755));
	put(in(m, "up/u"), "u", 0644);
	ASSERT_EQ(0, rename(in(m, "up"), in(m, "dir2")));
	ASSERT_EQ(0, rmdir(in(m, "dir3")));
	ASSERT_EQ(0, mkdir(in(m, "up"), 0755));
	put(in(m, "up/v"), "v", 0644);
	ASSERT_EQ(0, rename(in(m, "up"), in(m, "dir3")));

	got[0] = '\0';
	list_tree(m, "", false, got, sizeof(got));
	EXPECT_STREQ(shows, got);
	got[0] = '\0';
	list_tree(b0, "", true, got, sizeof(got));
	EXPECT_STREQ(top, got);

	/* the tree the branches now hold reads the same when mounted */
	ASSERT_EQ(0, umount(m));
	self->mounted = false;
	ASSERT_EQ(0, mount_union(m, self->base, rw_ro));
	self->mounted = true;
	got[0] = '\0';
	list_tree(m, "", false, got, sizeof(got));
	EXPECT_STREQ(shows, got);
	EXPECT_EQ(-1, lstat(in(m, "gone"), &st));
	EXPECT_EQ(-1, lstat(in(m, "dir/x"), &st));
	got[0] = '\0';
	list_tree(b1, "", true, got, sizeof(got));
	EXPECT_STREQ("dir d\ndir/x f:x\ndir2 d\ndir3 d\nf2 f:2\nf3 f:3\n"
		     "f4 f:4\nf5 f:5\nfile f:low\ngone f:gone\n", got);
}

/*
 * A change that fails after it made a whiteout takes it back: the
 * out-of-tree aufs answers a name beside its whiteout with EIO.  Here
 * unlink and rename of lower names copied up fail on the top branch
 * (EBUSY: each copy is a mount point), and the names stay as they
 * were.  A copy removed from the top branch behind the union's back is
 * seen (udba=reval): the unlink whites the lower name out.  Under
 * udba=none the union does not look, the unlink fails with ESTALE on
 * the top branch, and keeps the whiteout it made: it still hides the
 * lower name.
 */
TEST_F(fmt, a_failed_change_leaves_no_whiteout)
{
	static const char *const lower[] = {
		"f:x:x", "f:y:y", "f:g:g", "f:k:k", NULL,
	};
	char b0[PATH_MAX + 8], b1[PATH_MAX + 8];
	const char *m = self->mnt;
	struct stat st;

	snprintf(b0, sizeof(b0), "%s/b0", self->base);
	snprintf(b1, sizeof(b1), "%s/b1", self->base);
	ASSERT_EQ(0, mount_over(m, self->base, lower));
	self->mounted = true;
	ASSERT_EQ(0, chmod(in(m, "x"), 0600));
	ASSERT_EQ(0, chmod(in(m, "y"), 0600));
	ASSERT_EQ(0, chmod(in(m, "g"), 0600));
	ASSERT_EQ(0, chmod(in(m, "k"), 0600));
	ASSERT_EQ(0, mount(in(b0, "x"), in(b0, "x"), NULL, MS_BIND, NULL));
	ASSERT_EQ(0, mount(in(b0, "y"), in(b0, "y"), NULL, MS_BIND, NULL));

	EXPECT_EQ(-1, unlink(in(m, "x")));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, rename(in(m, "y"), in(m, "z")));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, umount(in(b0, "x")));
	EXPECT_EQ(0, umount(in(b0, "y")));
	EXPECT_EQ(-1, lstat(in(b0, ".wh.x"), &st));
	EXPECT_EQ(-1, lstat(in(b0, ".wh.y"), &st));
	EXPECT_STREQ("x", get(in(m, "x")));
	EXPECT_STREQ("y", get(in(m, "y")));
	EXPECT_FALSE(exists(in(m, "z")));

	ASSERT_EQ(0, unlink(in(b0, "g")));
	EXPECT_EQ(0, unlink(in(m, "g")));
	EXPECT_EQ(0, lstat(in(b0, ".wh.g"), &st));
	EXPECT_FALSE(exists(in(m, "g")));
	EXPECT_TRUE(exists(in(b1, "g")));

	ASSERT_EQ(0, mount("none", m, NULL, MS_REMOUNT, "udba=none"));
	/* the remount dropped the cached names: look the copy up again */
	ASSERT_STREQ("k", get(in(m, "k")));
	ASSERT_EQ(0, unlink(in(b0, "k")));
	EXPECT_EQ(-1, unlink(in(m, "k")));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(0, lstat(in(b0, ".wh.k"), &st));
	EXPECT_TRUE(exists(in(b1, "k")));
}

TEST_HARNESS_MAIN

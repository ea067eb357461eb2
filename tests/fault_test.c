// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: allocation failures injected into mount, lookup, copy-up,
 * rename and remount (failslab and fail_page_alloc, for this task only).
 *
 * Every call must fail cleanly or succeed: after a failure the union
 * and its branches are as before, with no partial file anywhere, and
 * after a success they are as the call says.  Only allocations made with
 * aufs code on the stack fail (the stack-trace filter, bounded by the
 * aufs functions in /proc/kallsyms), and every test checks that some of
 * its calls failed and some succeeded: an injection that never reached
 * aufs is a failure of the test, not a pass.  An allocation failure
 * must come back as ENOMEM (ENOSPC from tmpfs), never as another error.
 * Leaks are found by the kmemleak scan that follows the selftests.
 * Needs CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC,
 * CONFIG_FAULT_INJECTION_DEBUG_FS and
 * CONFIG_FAULT_INJECTION_STACKTRACE_FILTER; skipped without them.
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

#define ROUNDS		150
#define DBG		"/sys/kernel/debug"

static bool knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	bool ok = fd >= 0 && write(fd, val, strlen(val)) == (ssize_t)strlen(val);

	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * Fail about @pct percent of this task's allocations, or none.  Keeps
 * errno: it is called right after the call under test.
 */
static bool inject(int pct)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	char path[128], val[16];
	int saved = errno;
	unsigned int i;
	bool ok = true;

	/* turning it off may itself fail an allocation: retry */
	for (i = 0; !pct && i < 1000; i++)
		if (knob("/proc/self/make-it-fail", "0"))
			break;
	snprintf(val, sizeof(val), "%d", pct);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), DBG "/%s/probability", attrs[i]);
		ok &= knob(path, val);
	}
	if (pct)
		ok &= knob("/proc/self/make-it-fail", "1");
	errno = saved;
	return ok;
}

/*
 * The addresses of aufs' own text, [*@start, *@end): from its first
 * function to the symbol after its last one.  Built in, aufs is one
 * run of the kernel text (one directory, linked together); as a module
 * it is the module's text.
 */
static bool aufs_text(unsigned long *start, unsigned long *end)
{
	unsigned long stext = 0, etext = 0, lo = ULONG_MAX, hi = 0, addr;
	FILE *f = fopen("/proc/kallsyms", "r");
	char type, name[256], mod[64];
	char line[512];

	if (!f)
		return false;
	/* two passes: _stext and _etext may come in any order */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %c %255s", &addr, &type, name) == 3) {
			if (!strcmp(name, "_stext"))
				stext = addr;
			else if (!strcmp(name, "_etext"))
				etext = addr;
		}
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%lx %c %255s %63s", &addr, &type, name,
			       mod);
		bool ours = n == 4 ? !strcmp(mod, "[aufs]") :
			    addr >= stext && addr < etext;

		if (n < 3 || (type != 't' && type != 'T') || !ours ||
		    (strncmp(name, "au_", 3) && strncmp(name, "aufs_", 5)))
			continue;
		if (addr < lo)
			lo = addr;
		if (addr > hi)
			hi = addr;
	}
	*end = ULONG_MAX;
	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %c", &addr, &type) == 2 && addr > hi &&
		    addr < *end)
			*end = addr;
	fclose(f);
	*start = lo;
	/*
	 * All zeroes: kallsyms hides addresses from this reader.  More
	 * than 4 MiB: the aufs functions are not one run of text (split
	 * or reordered sections), and the filter would let most of the
	 * kernel fail.
	 */
	return lo && lo < hi && *end != ULONG_MAX && *end - lo < (4UL << 20);
}

static bool inject_setup(void)
{
	static const char *const attrs[] = { "failslab", "fail_page_alloc" };
	unsigned long start, end;
	char path[128], val[32];
	unsigned int i;
	bool ok = true;

	if (access(DBG "/failslab", F_OK))
		mount("debugfs", DBG, "debugfs", 0, NULL);
	if (!aufs_text(&start, &end))
		return false;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), DBG "/%s/require-start", attrs[i]);
		snprintf(val, sizeof(val), "%#lx", start);
		ok &= knob(path, val);
		snprintf(path, sizeof(path), DBG "/%s/require-end", attrs[i]);
		snprintf(val, sizeof(val), "%#lx", end);
		ok &= knob(path, val);
		snprintf(path, sizeof(path), DBG "/%s/stacktrace-depth",
			 attrs[i]);
		ok &= knob(path, "32");
		snprintf(path, sizeof(path), DBG "/%s/task-filter", attrs[i]);
		ok &= knob(path, "Y");
		snprintf(path, sizeof(path), DBG "/%s/ignore-gfp-wait",
			 attrs[i]);
		ok &= knob(path, "N");
		snprintf(path, sizeof(path), DBG "/%s/verbose", attrs[i]);
		ok &= knob(path, "0");
		snprintf(path, sizeof(path), DBG "/%s/interval", attrs[i]);
		ok &= knob(path, "1");
		snprintf(path, sizeof(path), DBG "/%s/times", attrs[i]);
		ok &= knob(path, "-1");
	}
	return ok;
}

FIXTURE(fault) {
	char base[PATH_MAX];
	char b0[PATH_MAX];
	char b1[PATH_MAX];
	char x[PATH_MAX];
	char mnt[PATH_MAX];
	char opts[3 * PATH_MAX];
	bool mounted;
	int failed;
	int ok;
};

static const char *num(const char *fmt, int i)
{
	static char names[4][64];
	static int next;
	char *p = names[next++ % 4];

	snprintf(p, 64, fmt, i);
	return p;
}

FIXTURE_SETUP(fault)
{
	int i;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	if (!inject_setup())
		SKIP(return, "no stack-trace fault filter, or no aufs text");
	snprintf(self->base, sizeof(self->base), "/tmp/aufs_fault.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->base));
	ASSERT_EQ(0, mount("tmpfs", self->base, "tmpfs", 0, NULL));
	snprintf(self->b0, PATH_MAX, "%s/b0", self->base);
	snprintf(self->b1, PATH_MAX, "%s/b1", self->base);
	snprintf(self->x, PATH_MAX, "%s/x", self->base);
	snprintf(self->mnt, PATH_MAX, "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->b0, 0755));
	ASSERT_EQ(0, mkdir(self->b1, 0755));
	ASSERT_EQ(0, mkdir(self->x, 0755));
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
	ASSERT_EQ(0, mkdir(in(self->b1, "d"), 0755));
	for (i = 0; i < ROUNDS; i++)
		put(in(self->b1, num("d/f%d", i)), num("lower %d\n", i), 0644);
	snprintf(self->opts, sizeof(self->opts), "br=%s=rw:%s=ro", self->b0,
		 self->b1);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, self->opts));
	self->mounted = true;
}

FIXTURE_TEARDOWN(fault)
{
	inject(0);
	ksft_print_msg("%s: %d calls failed, %d succeeded\n",
		       _metadata->name, self->failed, self->ok);
	/* the injection reached aufs, and aufs went on working */
	EXPECT_LT(0, self->failed);
	EXPECT_LT(0, self->ok);
	if (self->mounted)
		EXPECT_EQ(0, umount(self->mnt));
	EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
	rmdir(self->base);
}

/*
 * Count a result: 1 for a success, 0 for a failure an allocation may
 * cause, -1 for any other failure.
 */
static int count(int *ok, int *failed, int ret)
{
	int err = errno;

	if (!ret) {
		(*ok)++;
		return 1;
	}
	(*failed)++;
	/* tmpfs says ENOSPC when it cannot allocate an inode */
	if (err == ENOMEM || err == ENOSPC)
		return 0;
	ksft_print_msg("unexpected error %s\n", strerror(err));
	return -1;
}

/*
 * Mounts of b0 as the writable top, failing anywhere: a failed mount
 * must let go of the branch (another round would get EBUSY).
 */
TEST_F(fault, mount)
{
	int i, r, ret;

	/* b0 is the writable top of one union at a time */
	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	for (i = 0; i < ROUNDS; i++) {
		inject(2);
		ret = mount("none", self->x, "aufs", 0, self->opts);
		inject(0);
		r = count(&self->ok, &self->failed, ret);
		EXPECT_NE(-1, r);
		if (r > 0) {
			EXPECT_STREQ("lower 3\n", get(in(self->x, "d/f3")));
			ASSERT_EQ(0, umount(self->x));
		}
		/* nothing stays mounted on a failure */
		EXPECT_EQ(0, dir_entries(self->x));
	}
}

TEST_F(fault, lookup)
{
	int i, ret;
	struct stat st;

	for (i = 0; i < ROUNDS; i++) {
		/* cold names: drop what the last round cached */
		knob("/proc/sys/vm/drop_caches", "2");
		inject(5);
		ret = stat(in(self->mnt, num("d/f%d", i)), &st);
		inject(0);
		EXPECT_NE(-1, count(&self->ok, &self->failed, ret));
		EXPECT_STREQ(num("lower %d\n", i),
			     get(in(self->mnt, num("d/f%d", i))));
	}
	EXPECT_EQ(ROUNDS, dir_entries(in(self->mnt, "d")));
}

TEST_F(fault, copy_up)
{
	char want[64];
	int i, r, fd;
	ssize_t wr;

	for (i = 0; i < ROUNDS; i++) {
		const char *name = num("d/f%d", i);

		inject(4);
		fd = open(in(self->mnt, name), O_WRONLY | O_APPEND);
		wr = fd >= 0 ? write(fd, "+", 1) : -1;
		inject(0);
		r = count(&self->ok, &self->failed, fd < 0 ? -1 : 0);
		EXPECT_NE(-1, r);
		if (fd >= 0) {
			EXPECT_NE(-1, count(&self->ok, &self->failed, wr == 1 ? 0 : -1));
			close(fd);
		}
		snprintf(want, sizeof(want), "lower %d\n%s", i,
			 wr == 1 ? "+" : "");
		/* the union shows the whole file, with or without the write */
		EXPECT_STREQ(want, get(in(self->mnt, name)));
		/* no half copy on the top branch, none left in the work dir */
		if (exists(in(self->b0, name)))
			EXPECT_STREQ(want, get(in(self->b0, name)));
		EXPECT_EQ(0, dir_entries(in(self->b0, ".wh..wh.orph")));
		EXPECT_STREQ(num("lower %d\n", i), get(in(self->b1, name)));
	}
}

TEST_F(fault, rename)
{
	int i, r, ret;

	for (i = 0; i < ROUNDS; i++) {
		const char *from = num("d/f%d", i), *to = num("d/g%d", i);

		inject(5);
		ret = rename(in(self->mnt, from), in(self->mnt, to));
		inject(0);
		r = count(&self->ok, &self->failed, ret);
		EXPECT_NE(-1, r);
		if (r > 0) {
			EXPECT_FALSE(exists(in(self->mnt, from)));
			EXPECT_STREQ(num("lower %d\n", i),
				     get(in(self->mnt, to)));
		} else {
			EXPECT_STREQ(num("lower %d\n", i),
				     get(in(self->mnt, from)));
			EXPECT_FALSE(exists(in(self->mnt, to)));
		}
		EXPECT_EQ(0, dir_entries(in(self->b0, ".wh..wh.orph")));
		EXPECT_STREQ(num("lower %d\n", i), get(in(self->b1, from)));
	}
	EXPECT_EQ(ROUNDS, dir_entries(in(self->mnt, "d")));
}

TEST_F(fault, remount)
{
	char add[PATH_MAX + 16], del[PATH_MAX + 16], before[4096];
	int i, r, ret;

	snprintf(add, sizeof(add), "prepend:%s=ro", self->x);
	snprintf(del, sizeof(del), "del:%s", self->x);
	put(in(self->x, "xfile"), "x\n", 0644);
	for (i = 0; i < ROUNDS; i++) {
		bool added;

		snprintf(before, sizeof(before), "%s", branches(self->mnt));
		added = strstr(before, self->x);
		/* something in use, so there are stacks to rebuild */
		get(in(self->mnt, num("d/f%d", i)));
		inject(3);
		ret = mount("none", self->mnt, NULL, MS_REMOUNT,
			    added ? del : add);
		inject(0);
		r = count(&self->ok, &self->failed, ret);
		EXPECT_NE(-1, r);
		/* changed exactly when the remount succeeded */
		EXPECT_EQ(r > 0, strcmp(before, branches(self->mnt)) != 0);
		EXPECT_EQ(!strstr(branches(self->mnt), self->x),
			  !exists(in(self->mnt, "xfile")));
	}
}

TEST_HARNESS_MAIN

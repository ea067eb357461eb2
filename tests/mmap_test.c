// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: mmap of union files, on tmpfs and on ext4 branches.
 *
 * The aufs file stays in the VMA and faults are forwarded to the branch
 * file.  These tests check what a user of such a mapping relies on: the
 * data, isolation of private mappings, parallel faults, fork, mremap,
 * mprotect and munmap of parts, exec, and /proc/PID/maps naming the aufs
 * path even while other threads fault.  The ext4 variant makes an ext4
 * filesystem of its own (see ext4_get()) or uses $AUFS_TEST_EXT4.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "aufs_util.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif

#define HPAGE_SIZE		(2UL << 20)
#define DATA_SIZE		(4UL << 20)
#define STORM_THREADS		3

static long page_size;

/* The value of 64-bit word @i of the lower file. */
static uint64_t word(uint64_t i)
{
	return (i * 0x9E3779B97F4A7C15ULL) ^ 0x5a5a5a5a5a5a5a5aULL;
}

/* First word index in [@from, @to) whose value is wrong, or -1. */
static long bad_word(const uint64_t *map, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (map[i] != word(i))
			return i;
	return -1;
}

static int write_pattern(const char *path)
{
	static uint64_t buf[8192];
	size_t i, done = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	while (done < DATA_SIZE / 8) {
		for (i = 0; i < 8192; i++)
			buf[i] = word(done + i);
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			return -1;
		done += 8192;
	}
	return close(fd);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	close(in);
	return close(out);
}

static void drop_page_cache(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			perror("drop page cache");
		close(fd);
	}
}

/*
 * umount(2), allowing for a file reference that is on its way out: with
 * transparent huge pages, khugepaged may hold a mapped file for a scan,
 * and its last fput() is then deferred to a workqueue.  A leaked
 * reference still fails: EBUSY for 10 s.
 */
static int umount_settled(const char *path)
{
	int i, ret;

	for (i = 0; i < 200; i++) {
		ret = umount(path);
		if (!ret || errno != EBUSY)
			break;
		usleep(50000);
	}
	return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

/* The path /proc/self/maps names for the mapping at @start, or "". */
static const char *maps_name(void *start)
{
	static char line[PATH_MAX + 256];
	FILE *f = fopen("/proc/self/maps", "re");
	const char *name = "";

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo;

		if (sscanf(line, "%lx-", &lo) != 1 ||
		    lo != (unsigned long)start)
			continue;
		line[strcspn(line, "\n")] = '\0';
		name = strchr(line, '/') ?: "";
		break;
	}
	if (f)
		fclose(f);
	return name;
}

/*
 * Look up the /proc/self/maps lines of [@start, @end): how many there are,
 * and how many name @path.  Returns -1 if maps could not be read.
 */
static int maps_lines(void *start, void *end, const char *path, int *named)
{
	char line[PATH_MAX + 256];
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0;

	*named = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char *name;

		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (hi <= (unsigned long)start || lo >= (unsigned long)end)
			continue;
		n++;
		line[strcspn(line, "\n")] = '\0';
		name = strchr(line, '/');
		if (name && !strcmp(name, path))
			(*named)++;
	}
	fclose(f);
	return n;
}

FIXTURE(mmap) {
	char base[PATH_MAX];
	char br[2][PATH_MAX];
	char mnt[PATH_MAX];
	char data[PATH_MAX];
	bool mounted;
	bool own_tmpfs;
	struct ext4_fs ext4;
};

FIXTURE_VARIANT(mmap) {
	bool ext4;
};

FIXTURE_VARIANT_ADD(mmap, tmpfs) {
	.ext4 = false,
};

FIXTURE_VARIANT_ADD(mmap, ext4) {
	.ext4 = true,
};

FIXTURE_SETUP(mmap)
{
	char opts[3 * PATH_MAX];
	int i;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	page_size = sysconf(_SC_PAGESIZE);
	if (variant->ext4) {
		const char *why = ext4_get(&self->ext4, "mmap", self->base,
					   sizeof(self->base));

		if (why)
			SKIP(return, "%s", why);
	} else {
		snprintf(self->base, sizeof(self->base),
			 "/tmp/aufs_mmap.XXXXXX");
		ASSERT_NE(NULL, mkdtemp(self->base));
		ASSERT_EQ(0, mount("tmpfs", self->base, "tmpfs", 0, NULL));
		self->own_tmpfs = true;
	}
	for (i = 0; i < 2; i++) {
		snprintf(self->br[i], PATH_MAX, "%s/b%d", self->base, i);
		ASSERT_EQ(0, mkdir(self->br[i], 0755));
	}
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
	snprintf(opts, sizeof(opts), "%s/data", self->br[1]);
	ASSERT_EQ(0, write_pattern(opts));
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", self->br[0],
		 self->br[1]);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;
	snprintf(self->data, sizeof(self->data), "%s/data", self->mnt);
	/* Read faults must go to the branch fs, not to warm page cache. */
	drop_page_cache();
}

FIXTURE_TEARDOWN(mmap)
{
	char path[PATH_MAX];

	/* what a failed overlayfs_branch_maps_read_and_closes left */
	snprintf(path, sizeof(path), "%s/u2", self->base);
	umount2(path, MNT_DETACH);
	snprintf(path, sizeof(path), "%s/ovl", self->base);
	umount2(path, MNT_DETACH);
	/* Fails with EBUSY if a mapping leaked a file reference. */
	if (self->mounted)
		EXPECT_EQ(0, umount_settled(self->mnt));
	if (self->own_tmpfs) {
		EXPECT_EQ(0, umount2(self->base, MNT_DETACH));
		rmdir(self->base);
	} else if (self->base[0]) {
		nftw(self->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	ext4_put(&self->ext4);
}

static uint64_t *map_path(const char *path, size_t len, int prot, int flags)
{
	int fd = open(path, O_RDONLY);
	void *map;

	if (fd < 0)
		return NULL;
	map = mmap(NULL, len, prot, flags, fd, 0);
	close(fd);
	return map == MAP_FAILED ? NULL : map;
}

TEST_F(mmap, read_faults_see_lower_file_data)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);

	ASSERT_NE(NULL, map);
	EXPECT_EQ(-1, bad_word(map, 0, DATA_SIZE / 8));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

TEST_F(mmap, private_write_changes_no_branch)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE);
	uint64_t got;
	char path[PATH_MAX];
	int fd;

	ASSERT_NE(NULL, map);
	map[0] = 1;
	map[DATA_SIZE / 8 - 1] = 2;
	EXPECT_EQ(1, map[0]);
	EXPECT_EQ(-1, bad_word(map, 1, DATA_SIZE / 8 - 1));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));

	fd = open(self->data, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, pread(fd, &got, 8, 0));
	EXPECT_EQ(word(0), got);
	close(fd);
	snprintf(path, sizeof(path), "%s/data", self->br[1]);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, pread(fd, &got, 8, DATA_SIZE - 8));
	EXPECT_EQ(word(DATA_SIZE / 8 - 1), got);
	close(fd);
	snprintf(path, sizeof(path), "%s/data", self->br[0]);
	EXPECT_EQ(-1, access(path, F_OK));
}

struct toucher {
	uint64_t *map;
	size_t words;
	int start;
	int rounds;
	bool *stop;
	long bad;
};

static bool stopped(const struct toucher *t)
{
	return t->stop && __atomic_load_n(t->stop, __ATOMIC_RELAXED);
}

/* Fault every page of the range, verify, drop the pages, again. */
static void *touch_pages(void *arg)
{
	struct toucher *t = arg;
	size_t step = page_size / 8, pages = t->words / step, i;
	int r;

	t->bad = -1;
	for (r = 0; r < t->rounds || (t->stop && !stopped(t)); r++) {
		for (i = 0; i < pages; i++) {
			size_t p = (i + t->start * pages / STORM_THREADS) % pages;

			if (t->map[p * step] != word(p * step) && t->bad < 0)
				t->bad = p * step;
		}
		madvise(t->map, t->words * 8, MADV_DONTNEED);
		if (stopped(t))
			break;
	}
	return NULL;
}

TEST_F(mmap, threads_fault_one_mapping)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);
	struct toucher t[STORM_THREADS + 1];
	pthread_t tid[STORM_THREADS + 1];
	int i;

	ASSERT_NE(NULL, map);
	for (i = 0; i <= STORM_THREADS; i++) {
		t[i] = (struct toucher){ .map = map, .words = DATA_SIZE / 8,
					 .start = i, .rounds = 4 };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, touch_pages, &t[i]));
	}
	for (i = 0; i <= STORM_THREADS; i++) {
		pthread_join(tid[i], NULL);
		EXPECT_EQ(-1, t[i].bad);
	}
	EXPECT_EQ(-1, bad_word(map, 0, DATA_SIZE / 8));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

TEST_F(mmap, fork_child_reads_shared_mapping)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);
	int status;
	pid_t pid;

	ASSERT_NE(NULL, map);
	EXPECT_EQ(word(7), map[7]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(bad_word(map, 0, DATA_SIZE / 8) == -1 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-1, bad_word(map, 0, DATA_SIZE / 8));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

TEST_F(mmap, mremap_grows_and_moves_mapping)
{
	uint64_t *map = map_path(self->data, DATA_SIZE / 4, PROT_READ, MAP_SHARED);
	uint64_t *moved;
	int named;

	ASSERT_NE(NULL, map);
	EXPECT_EQ(-1, bad_word(map, 0, DATA_SIZE / 32));
	moved = mremap(map, DATA_SIZE / 4, DATA_SIZE, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, moved);
	EXPECT_EQ(-1, bad_word(moved, 0, DATA_SIZE / 8));
	EXPECT_LE(1, maps_lines(moved, (char *)moved + DATA_SIZE, self->data,
				&named));
	EXPECT_LE(1, named);
	EXPECT_EQ(0, munmap(moved, DATA_SIZE));
}

TEST_F(mmap, mprotect_splits_mapping)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);
	char *mid;
	int named;

	ASSERT_NE(NULL, map);
	mid = (char *)map + DATA_SIZE / 2;
	ASSERT_EQ(0, mprotect(mid, page_size, PROT_NONE));
	/* three VMAs, all of the aufs file, the middle one inaccessible */
	EXPECT_EQ(3, maps_lines(map, (char *)map + DATA_SIZE, self->data,
				&named));
	EXPECT_EQ(3, named);
	ASSERT_EQ(0, mprotect(mid, page_size, PROT_READ));
	EXPECT_EQ(-1, bad_word(map, 0, DATA_SIZE / 8));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

TEST_F(mmap, partial_munmap_keeps_the_rest)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);
	size_t quarter = DATA_SIZE / 4;
	int named;

	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, munmap((char *)map + quarter, quarter));
	EXPECT_EQ(2, maps_lines(map, (char *)map + DATA_SIZE, self->data,
				&named));
	EXPECT_EQ(2, named);
	EXPECT_EQ(-1, bad_word(map, 0, quarter / 8));
	EXPECT_EQ(-1, bad_word(map, 2 * quarter / 8, DATA_SIZE / 8));
	EXPECT_EQ(0, munmap(map, quarter));
	EXPECT_EQ(0, munmap((char *)map + 2 * quarter, 2 * quarter));
}

TEST_F(mmap, exec_static_binary_from_lower_branch)
{
	char lower[PATH_MAX], prog[PATH_MAX];
	int status;
	pid_t pid;

	if (access("/bin/busybox", X_OK))
		SKIP(return, "no /bin/busybox to run from a branch");
	snprintf(lower, sizeof(lower), "%s/busybox", self->br[1]);
	ASSERT_EQ(0, copy_file("/bin/busybox", lower, 0755));
	snprintf(prog, sizeof(prog), "%s/busybox", self->mnt);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execl(prog, "busybox", "sh", "-c", "exit 42", NULL);
		_exit(1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(42, WEXITSTATUS(status));
}

TEST_F(mmap, maps_and_map_files_name_aufs_path)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);
	char line[PATH_MAX + 256], link[PATH_MAX], want[64];
	unsigned long lo, hi, ino;
	unsigned int maj, min;
	struct stat st;
	bool found = false;
	FILE *f;
	ssize_t n;

	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, stat(self->data, &st));
	f = fopen("/proc/self/maps", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &lo, &hi, &maj,
			   &min, &ino) != 5 || lo != (unsigned long)map)
			continue;
		found = true;
		line[strcspn(line, "\n")] = '\0';
		EXPECT_STREQ(self->data, strchr(line, '/'));
		EXPECT_EQ(st.st_ino, ino);
		EXPECT_EQ(major(st.st_dev), maj);
		EXPECT_EQ(minor(st.st_dev), min);
	}
	fclose(f);
	EXPECT_TRUE(found);

	snprintf(want, sizeof(want), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)map, (unsigned long)map + DATA_SIZE);
	n = readlink(want, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	EXPECT_STREQ(self->data, link);
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

/*
 * mprotect splits a VMA while other threads fault in it: the copy made by
 * the split may catch the branch file in vm_file.  Every round maps the
 * region afresh over the old one and splits it off at the last page.
 */
TEST_F(mmap, split_while_threads_fault)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);
	struct toucher t[STORM_THREADS];
	pthread_t tid[STORM_THREADS];
	bool stop = false;
	int fd, i, round, named, wrong = 0;
	char *last;

	ASSERT_NE(NULL, map);
	fd = open(self->data, O_RDONLY);
	ASSERT_LE(0, fd);
	last = (char *)map + DATA_SIZE - page_size;
	for (i = 0; i < STORM_THREADS; i++) {
		t[i] = (struct toucher){ .map = map,
					 .words = (DATA_SIZE / 2) / 8,
					 .start = i, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, touch_pages, &t[i]));
	}
	for (round = 0; round < 200; round++) {
		ASSERT_EQ(map, mmap(map, DATA_SIZE, PROT_READ,
				    MAP_SHARED | MAP_FIXED, fd, 0));
		ASSERT_EQ(0, mprotect(last, page_size, PROT_NONE));
		if (maps_lines(map, (char *)map + DATA_SIZE, self->data,
			       &named) != 2 || named != 2)
			wrong++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < STORM_THREADS; i++) {
		pthread_join(tid[i], NULL);
		EXPECT_EQ(-1, t[i].bad);
	}
	EXPECT_EQ(0, wrong);
	close(fd);
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

/*
 * A MAP_SHARED write to a file of the writable branch reaches the branch
 * file: read(2) sees it at once, and it survives msync, umount and mount.
 */
TEST_F(mmap, shared_write_reaches_upper_file)
{
	char path[PATH_MAX], opts[3 * PATH_MAX];
	uint64_t *map, got;
	int fd;

	snprintf(path, sizeof(path), "%s/data", self->br[0]);
	ASSERT_EQ(0, write_pattern(path));
	fd = open(self->data, O_RDWR);
	ASSERT_LE(0, fd);
	map = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[1] = 0x1234;
	ASSERT_EQ(8, pread(fd, &got, 8, 8));
	EXPECT_EQ(0x1234, got);
	EXPECT_EQ(0, msync(map, DATA_SIZE, MS_SYNC));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
	close(fd);

	ASSERT_EQ(0, umount(self->mnt));
	self->mounted = false;
	drop_page_cache();
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, pread(fd, &got, 8, 8));
	EXPECT_EQ(0x1234, got);
	close(fd);
	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", self->br[0],
		 self->br[1]);
	ASSERT_EQ(0, mount("none", self->mnt, "aufs", 0, opts));
	self->mounted = true;
	fd = open(self->data, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, pread(fd, &got, 8, 8));
	EXPECT_EQ(0x1234, got);
	close(fd);
}

/* A load the compiler cannot drop: the fault is the point. */
#define READ_ONCE_U64(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

/* The upper copy of the pattern file, opened read-write through aufs. */
static int open_upper_data(const char *top, const char *data, char *path)
{
	snprintf(path, PATH_MAX, "%s/data", top);
	if (write_pattern(path))
		return -1;
	return open(data, O_RDWR);
}

/* Read word @i of @path with O_DIRECT where possible: what is on disk. */
static uint64_t word_on_disk(const char *path, size_t i)
{
	uint64_t *buf = NULL;
	uint64_t val = 0;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0)
		fd = open(path, O_RDONLY);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, 4096))
		return 0;
	if (pread(fd, buf, 4096, (i * 8) & ~4095UL) == 4096)
		val = buf[i % 512];
	free(buf);
	close(fd);
	return val;
}

/*
 * write, msync, write again, msync: writeback must write-protect the
 * aufs mapping (folio_mkclean() finds it on the branch mapping), or the
 * second write is never written back.
 */
TEST_F(mmap, second_write_after_writeback_reaches_disk)
{
	char path[PATH_MAX];
	uint64_t *map;
	int fd = open_upper_data(self->br[0], self->data, path);

	ASSERT_LE(0, fd);
	map = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[10] = 0xaaaa;
	ASSERT_EQ(0, msync(map, DATA_SIZE, MS_SYNC));
	drop_page_cache();
	EXPECT_EQ(0xaaaa, word_on_disk(path, 10));
	map[10] = 0xbbbb;
	ASSERT_EQ(0, msync(map, DATA_SIZE, MS_SYNC));
	EXPECT_EQ(0xbbbb, word_on_disk(path, 10));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
	close(fd);
	drop_page_cache();
	EXPECT_EQ(0xbbbb, word_on_disk(path, 10));
}

/* Truncation through aufs unmaps the pages: touching them is SIGBUS. */
TEST_F(mmap, touch_beyond_eof_after_truncate_is_sigbus)
{
	char path[PATH_MAX];
	uint64_t *map;
	int fd = open_upper_data(self->br[0], self->data, path), status;
	pid_t pid;

	ASSERT_LE(0, fd);
	map = mmap(NULL, 4 * page_size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(word(3 * page_size / 8), map[3 * page_size / 8]);
	ASSERT_EQ(0, ftruncate(fd, page_size));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(READ_ONCE_U64(map[3 * page_size / 8]) == 12345);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGBUS, WTERMSIG(status));
	EXPECT_EQ(word(0), map[0]);
	EXPECT_EQ(0, munmap(map, 4 * page_size));
	close(fd);
}

/* A mapping is never switched to another branch file. */
TEST_F(mmap, mapping_keeps_lower_contents_after_copy_up)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);
	uint64_t val = 0x77, got = 0;
	char path[PATH_MAX];
	int fd;

	ASSERT_NE(NULL, map);
	EXPECT_EQ(word(5), map[5]);
	fd = open(self->data, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, pwrite(fd, &val, 8, 5 * 8));
	close(fd);
	snprintf(path, sizeof(path), "%s/data", self->br[0]);
	EXPECT_EQ(0, access(path, F_OK));
	/* the old mapping still shows the lower file */
	EXPECT_EQ(word(5), map[5]);
	/* a new open sees the copy */
	fd = open(self->data, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8, pread(fd, &got, 8, 5 * 8));
	EXPECT_EQ(0x77, got);
	close(fd);
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

/*
 * A branch whose ->mmap puts its own backing file into the VMA
 * (overlayfs) is mapped the backing-file way: the mapping shows the
 * data and names the aufs path, and reading, closing and unmapping
 * afterwards leave every reference as it was (the umounts fail with
 * EBUSY otherwise).
 */
TEST_F(mmap, overlayfs_branch_maps_read_and_closes)
{
	char lower[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], ovl[PATH_MAX];
	char u2[PATH_MAX], path[PATH_MAX], opts[4 * PATH_MAX];
	uint64_t *map, got = 0;
	int fd, named;

	snprintf(lower, sizeof(lower), "%s/ovl-lower", self->base);
	snprintf(upper, sizeof(upper), "%s/ovl-upper", self->base);
	snprintf(work, sizeof(work), "%s/ovl-work", self->base);
	snprintf(ovl, sizeof(ovl), "%s/ovl", self->base);
	snprintf(u2, sizeof(u2), "%s/u2", self->base);
	ASSERT_EQ(0, mkdir(lower, 0755));
	ASSERT_EQ(0, mkdir(upper, 0755));
	ASSERT_EQ(0, mkdir(work, 0755));
	ASSERT_EQ(0, mkdir(ovl, 0755));
	ASSERT_EQ(0, mkdir(u2, 0755));
	snprintf(path, sizeof(path), "%s/data", lower);
	ASSERT_EQ(0, write_pattern(path));
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s",
		 lower, upper, work);
	ASSERT_EQ(0, mount("overlay", ovl, "overlay", 0, opts));
	snprintf(opts, sizeof(opts), "br=%s=ro", ovl);
	ASSERT_EQ(0, mount("none", u2, "aufs", 0, opts));

	snprintf(path, sizeof(path), "%s/data", u2);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	map = mmap(NULL, DATA_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(-1, bad_word(map, 0, DATA_SIZE / 8));
	/* the file keeps working after the mapping was set up */
	EXPECT_EQ(8, pread(fd, &got, 8, 7 * 8));
	EXPECT_EQ(word(7), got);
	EXPECT_EQ(0, close(fd));
	/* overlayfs names its file by the path of the file it was given */
	snprintf(path, sizeof(path), "%s/data", u2);
	EXPECT_EQ(1, maps_lines(map, (char *)map + DATA_SIZE, path, &named));
	EXPECT_STREQ(path, maps_name(map));
	EXPECT_EQ(word(9), map[9]);
	EXPECT_EQ(0, munmap(map, DATA_SIZE));

	snprintf(path, sizeof(path), "%s/data", u2);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(8, pread(fd, &got, 8, 3 * 8));
	EXPECT_EQ(word(3), got);
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, umount_settled(u2));
	EXPECT_EQ(0, umount_settled(ovl));
}

/* Pages of @path's first @pages pages in the page cache, or -1. */
static int resident_pages(const char *path, size_t pages)
{
	unsigned char vec[1024];
	int fd = open(path, O_RDONLY);
	void *map;
	size_t i;
	int n = 0;

	if (fd < 0 || pages > sizeof(vec))
		return -1;
	map = mmap(NULL, pages * page_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	if (mincore(map, pages * page_size, vec))
		n = -1;
	for (i = 0; n >= 0 && i < pages; i++)
		n += vec[i] & 1;
	munmap(map, pages * page_size);
	return n;
}

/*
 * posix_fadvise() and readahead(2) on an aufs file advise the branch
 * file, whose readahead state reads use: RANDOM turns readahead off for
 * reads through the union, WILLNEED reads ahead into the branch page
 * cache.  Page-cache residency is observable on ext4 (tmpfs has no
 * readahead); on tmpfs only the calls and the data are checked.
 */
TEST_F_TIMEOUT(mmap, fadvise_and_readahead_advise_the_branch_file, 120)
{
	char lower[PATH_MAX];
	uint64_t got = 0;
	int fd;

	snprintf(lower, sizeof(lower), "%s/data", self->br[1]);
	fd = open(self->data, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
	ASSERT_EQ(8, pread(fd, &got, 8, 0));
	EXPECT_EQ(word(0), got);
	if (variant->ext4)
		EXPECT_EQ(1, resident_pages(lower, 64));

	EXPECT_EQ(0, posix_fadvise(fd, 0, 256 * page_size,
				   POSIX_FADV_WILLNEED));
	EXPECT_EQ(0, readahead(fd, 256 * page_size, 256 * page_size));
	if (variant->ext4) {
		int i, n = 0;

		/* the reads were started; mincore counts pages once read */
		for (i = 0; i < 600 && n != 512; i++) {
			n = resident_pages(lower, 512);
			if (n != 512)
				usleep(100000);
		}
		EXPECT_EQ(512, n);
	}
	ASSERT_EQ(8, pread(fd, &got, 8, 300 * page_size));
	EXPECT_EQ(word(300 * page_size / 8), got);
	EXPECT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	EXPECT_EQ(0, close(fd));
}

/*
 * The value in kB of @field ("Swap", "FilePmdMapped") in the first smaps
 * entry at @addr (any entry if @addr is NULL), or -1.
 */
static long smaps_kb(const char *file, void *addr, const char *field)
{
	char fmt[64];
	char line[PATH_MAX + 256];
	FILE *f = fopen(file, "re");
	bool in_entry = !addr;
	long kb = -1;

	while (f && kb < 0 && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in_entry = !addr || lo == (unsigned long)addr;
			continue;
		}
		snprintf(fmt, sizeof(fmt), "%s: %%ld kB", field);
		if (in_entry)
			sscanf(line, fmt, &kb);
	}
	if (f)
		fclose(f);
	return kb;
}

/*
 * /proc/PID/smaps and smaps_rollup of a mapping through aufs: on a
 * tmpfs branch they ask shmem how much of the file is swapped out, which
 * must be about the tmpfs inode, not the aufs one (KASAN reports a read
 * beyond the aufs inode otherwise).  The guest has no swap: 0 kB.
 */
TEST_F(mmap, smaps_of_a_mapping_reads_the_branch_inode)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);

	ASSERT_NE(NULL, map);
	EXPECT_EQ(word(1), map[1]);
	EXPECT_EQ(0, smaps_kb("/proc/self/smaps", map, "Swap"));
	EXPECT_EQ(0, smaps_kb("/proc/self/smaps_rollup", NULL, "Swap"));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

/* kB of the smaps entry at @addr mapped by PMD, tmpfs or another fs. */
static long pmd_mapped_kb(void *addr)
{
	long shmem = smaps_kb("/proc/self/smaps", addr, "ShmemPmdMapped");
	long file = smaps_kb("/proc/self/smaps", addr, "FilePmdMapped");

	return (shmem > 0 ? shmem : 0) + (file > 0 ? file : 0);
}

/*
 * A mapping through aufs is placed where the branch places a mapping of
 * its own file (->get_unmapped_area): at a huge-page aligned address on
 * a tmpfs with huge pages and on ext4 (thp_get_unmapped_area()), so that
 * the huge folios of a tmpfs branch are mapped by PMD through aufs as
 * they are in a mapping of the branch file.  The length is not a
 * multiple of a huge page, which the core would align for any file, so
 * mappings placed top-down one below the other are not aligned unless
 * the branch aligns them.
 */
TEST_F(mmap, mapping_is_placed_as_the_branch_places_it)
{
	const char *shmem = "/sys/kernel/mm/transparent_hugepage/shmem_enabled";
	char path[PATH_MAX], h_path[PATH_MAX];
	size_t len = DATA_SIZE - page_size;
	uint64_t *map[4] = { NULL }, *native;
	long native_pmd;
	int i;

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK))
		SKIP(return, "no transparent huge pages in this kernel");
	if (self->own_tmpfs) {
		if (strstr(get(shmem), "[deny]"))
			SKIP(return, "huge pages on tmpfs are denied");
		ASSERT_EQ(0, mount(NULL, self->base, NULL, MS_REMOUNT,
				   "huge=always"));
	}
	/* written after the remount: a tmpfs file of huge folios */
	snprintf(h_path, sizeof(h_path), "%s/huge", self->br[1]);
	ASSERT_EQ(0, write_pattern(h_path));
	snprintf(path, sizeof(path), "%s/huge", self->mnt);

	native = map_path(h_path, len, PROT_READ, MAP_SHARED);
	ASSERT_NE(NULL, native);
	EXPECT_EQ(0, (unsigned long)native & (HPAGE_SIZE - 1));
	EXPECT_EQ(word(0), native[0]);
	native_pmd = pmd_mapped_kb(native);
	for (i = 0; i < 4; i++) {
		map[i] = map_path(path, len, PROT_READ, MAP_SHARED);
		EXPECT_NE(NULL, map[i]);
		if (!map[i])
			break;
		EXPECT_EQ(0, (unsigned long)map[i] & (HPAGE_SIZE - 1)) {
			TH_LOG("mapping %d at %p", i, map[i]);
		}
	}
	if (map[0]) {
		EXPECT_EQ(word(1), map[0][1]);
		/* where the branch maps by PMD, so does aufs */
		if (native_pmd <= 0)
			TH_LOG("not tested: the branch maps nothing by PMD");
		EXPECT_TRUE(native_pmd <= 0 || pmd_mapped_kb(map[0]) > 0);
		TH_LOG("mapped by PMD: %ld kB natively, %ld kB through aufs",
		       native_pmd, pmd_mapped_kb(map[0]));
	}
	for (i = 0; i < 4 && map[i]; i++)
		EXPECT_EQ(0, munmap(map[i], len));
	EXPECT_EQ(0, munmap(native, len));
}

/*
 * Whether the /proc/self/maps line of the mapping at @start names @path
 * with the device and inode number of @st.
 */
static bool maps_line_is(void *start, const char *path, const struct stat *st)
{
	char line[PATH_MAX + 256];
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long lo, ino;
	unsigned int maj, min;
	bool ok = false;
	char *name;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%*x %*s %*x %x:%x %lu", &lo, &maj, &min,
			   &ino) != 4 || lo != (unsigned long)start)
			continue;
		line[strcspn(line, "\n")] = '\0';
		name = strchr(line, '/');
		ok = name && !strcmp(name, path) && ino == st->st_ino &&
		     makedev(maj, min) == st->st_dev;
		break;
	}
	if (f)
		fclose(f);
	return ok;
}

/*
 * /proc readers of a mapping while other threads fault in it, i.e. while
 * vm_file may hold the branch file: maps must name the aufs path with the
 * aufs device and inode number, map_files must link to the aufs path, and
 * smaps must read the swap usage of the branch inode (KASAN reports a
 * read beyond the aufs inode otherwise).  Fails if the file aufs puts
 * into vm_file during a fault is not a backing file of the aufs path.
 */
TEST_F(mmap, proc_readers_see_the_aufs_file_while_threads_fault)
{
	uint64_t *map = map_path(self->data, DATA_SIZE, PROT_READ, MAP_SHARED);
	char files[64], link[PATH_MAX];
	struct toucher t[STORM_THREADS];
	pthread_t tid[STORM_THREADS];
	bool stop = false;
	int i, round, wrong = 0;
	struct stat st;
	ssize_t n;

	ASSERT_NE(NULL, map);
	ASSERT_EQ(0, stat(self->data, &st));
	snprintf(files, sizeof(files), "/proc/self/map_files/%lx-%lx",
		 (unsigned long)map, (unsigned long)map + DATA_SIZE);
	for (i = 0; i < STORM_THREADS; i++) {
		t[i] = (struct toucher){ .map = map, .words = DATA_SIZE / 8,
					 .start = i, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, touch_pages, &t[i]));
	}
	for (round = 0; round < 300; round++) {
		if (!maps_line_is(map, self->data, &st))
			wrong++;
		n = readlink(files, link, sizeof(link) - 1);
		if (n >= 0)
			link[n] = '\0';
		if (n < 0 || strcmp(link, self->data))
			wrong++;
		if (round % 10 == 0 &&
		    smaps_kb("/proc/self/smaps", map, "Swap") != 0)
			wrong++;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < STORM_THREADS; i++) {
		pthread_join(tid[i], NULL);
		EXPECT_EQ(-1, t[i].bad);
	}
	EXPECT_EQ(0, wrong);
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
}

/*
 * A write through a shared mapping updates the file's mtime and ctime
 * on the branch, as it does natively: through ->page_mkwrite on ext4,
 * through file_update_time() of the mapped file on tmpfs.
 */
TEST_F(mmap, shared_write_updates_mtime_on_the_branch)
{
	struct timespec old[2] = { { .tv_sec = 946684800 },
				   { .tv_sec = 946684800 } };
	struct timespec ctime0;
	char path[PATH_MAX];
	struct stat st, h_st;
	uint64_t *map;
	int fd;

	fd = open(self->data, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, futimens(fd, old));
	snprintf(path, sizeof(path), "%s/data", self->br[0]);
	ASSERT_EQ(0, stat(path, &h_st));
	ASSERT_EQ(946684800, h_st.st_mtime);
	/* futimens() set ctime to now: let the clock move past it */
	ctime0 = h_st.st_ctim;
	sleep(1);
	map = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[2] = 0x4321;
	EXPECT_EQ(0, msync(map, DATA_SIZE, MS_SYNC));
	EXPECT_EQ(0, munmap(map, DATA_SIZE));
	close(fd);

	ASSERT_EQ(0, stat(path, &h_st));
	EXPECT_LT(946684800, h_st.st_mtime);
	EXPECT_LT(ctime0.tv_sec, h_st.st_ctime);
	ASSERT_EQ(0, stat(self->data, &st));
	EXPECT_EQ(h_st.st_mtime, st.st_mtime);
}

/* Write a swap area of @pages pages to @path (what mkswap writes). */
static int write_swap_area(const char *path, unsigned int pages)
{
	char *buf = calloc(pages, page_size);
	uint32_t *info = (uint32_t *)(buf + 1024);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int ret = -1;

	if (!buf || fd < 0)
		goto out;
	info[0] = 1;			/* version */
	info[1] = pages - 1;		/* last_page */
	memcpy(buf + page_size - 10, "SWAPSPACE2", 10);
	if (write(fd, buf, pages * page_size) == (ssize_t)(pages * page_size))
		ret = fsync(fd);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/*
 * swapon(2) of an aufs file is refused: the swap code would hand the
 * aufs file to the branch's address_space operations, which take its
 * inode and private_data for their own (XFS, btrfs, NFS).  On ext4 it
 * used to be accepted.
 */
TEST_F(mmap, swapon_of_an_aufs_file_is_refused)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/swap", self->mnt);
	ASSERT_EQ(0, write_swap_area(path, 64));
	if (!swapon(path, 0)) {
		swapoff(path);
		TH_LOG("swapon of %s succeeded", path);
		ASSERT_TRUE(false);
	}
	EXPECT_EQ(EINVAL, errno);
	/* nothing was left marked as swap: the file takes writes */
	ASSERT_EQ(0, write_swap_area(path, 64));
}

/* The first huge page of @path, mapped read-only at an aligned address. */
static uint64_t *map_huge_aligned(const char *path)
{
	char *resv, *at;
	void *map;
	int fd;

	resv = mmap(NULL, 2 * HPAGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (resv == MAP_FAILED)
		return NULL;
	at = (char *)(((unsigned long)resv + HPAGE_SIZE - 1) &
		      ~(HPAGE_SIZE - 1));
	fd = open(path, O_RDONLY);
	map = fd < 0 ? MAP_FAILED : mmap(at, HPAGE_SIZE, PROT_READ,
					 MAP_SHARED | MAP_FIXED, fd, 0);
	if (fd >= 0)
		close(fd);
	if (map == MAP_FAILED) {
		munmap(resv, 2 * HPAGE_SIZE);
		return NULL;
	}
	if (at > resv)
		munmap(resv, at - resv);
	munmap(at + HPAGE_SIZE, resv + HPAGE_SIZE - at);
	return map;
}

/*
 * MADV_COLLAPSE of an aufs mapping (a kernel with transparent huge pages
 * for files).  The collapse code hands the file in vm_file to the
 * readahead of the mapping, which is the branch's: an aufs file is
 * refused (EINVAL) and its data stay as they were.  A mapping of the
 * branch file itself collapses (the control: the guest does collapse
 * files), and the aufs mapping then reads the huge folio.  While other
 * threads fault, the collapse may find the branch file in vm_file and
 * collapse through it, as for the branch's own mapping: 0 or EINVAL,
 * and the data never change.
 */
TEST_F(mmap, madv_collapse_refuses_the_aufs_file_and_keeps_data)
{
	char path[PATH_MAX];
	struct toucher t[STORM_THREADS];
	pthread_t tid[STORM_THREADS];
	uint64_t *map, *native;
	int i, ret, round, odd = 0;
	bool stop = false;

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK))
		SKIP(return, "no transparent huge pages in this kernel");
	map = map_huge_aligned(self->data);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(-1, madvise(map, HPAGE_SIZE, MADV_COLLAPSE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bad_word(map, 0, HPAGE_SIZE / 8));

	snprintf(path, sizeof(path), "%s/data", self->br[1]);
	native = map_huge_aligned(path);
	ASSERT_NE(NULL, native);
	/* EAGAIN, ENOMEM: a busy page or no free huge page; try again */
	for (i = 0; i < 10; i++) {
		ret = madvise(native, HPAGE_SIZE, MADV_COLLAPSE);
		if (!ret || (errno != EAGAIN && errno != ENOMEM))
			break;
		usleep(100000);
	}
	EXPECT_EQ(0, ret) TH_LOG("MADV_COLLAPSE of the branch file: %s",
				 strerror(errno));
	EXPECT_EQ(-1, bad_word(native, 0, HPAGE_SIZE / 8));
	EXPECT_EQ(0, munmap(native, HPAGE_SIZE));
	EXPECT_EQ(0, madvise(map, HPAGE_SIZE, MADV_DONTNEED));
	EXPECT_EQ(-1, bad_word(map, 0, HPAGE_SIZE / 8));

	drop_page_cache();
	for (i = 0; i < STORM_THREADS; i++) {
		t[i] = (struct toucher){ .map = map, .words = HPAGE_SIZE / 8,
					 .start = i, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&tid[i], NULL, touch_pages, &t[i]));
	}
	/*
	 * A collapse that found the branch file may also meet a busy page
	 * (EAGAIN), no free huge page (ENOMEM) or a raced PMD (EBUSY).
	 */
	for (round = 0; round < 50; round++)
		if (madvise(map, HPAGE_SIZE, MADV_COLLAPSE) && errno != EINVAL &&
		    errno != EAGAIN && errno != ENOMEM && errno != EBUSY)
			odd++;
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < STORM_THREADS; i++) {
		pthread_join(tid[i], NULL);
		EXPECT_EQ(-1, t[i].bad);
	}
	EXPECT_EQ(0, odd);
	EXPECT_EQ(-1, bad_word(map, 0, HPAGE_SIZE / 8));
	EXPECT_EQ(0, munmap(map, HPAGE_SIZE));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: randomized torture tests, seeded and bounded in time.
 *
 * fsx: one union file starts on the read-only branch and gets random
 * reads, writes, truncates, mmap reads and writes, fallocate (allocate,
 * keep size, punch hole) and copy_file_range from a second union file; the
 * first change copies it up in the middle of the run.  Every read is
 * checked against a model of the contents, and so is the whole file at the
 * end: through the union, on the top branch and after a remount.  On tmpfs
 * and on ext4 branches; the ext4 variant makes an ext4 filesystem of its
 * own (see ext4_get()) or uses $AUFS_TEST_EXT4.
 *
 * race: processes append, create, rename, unlink, list, map and stat a few
 * names at once.  Afterwards every file holds whole records and starts as
 * a lower file or a created one did, and the listing is what stat finds,
 * before and after a remount.
 *
 * Environment: AUFS_TORTURE_SEED repeats a run (every test prints its
 * seed), AUFS_TORTURE_SECS bounds an fsx run (default 20 s; the race runs
 * half as long) and AUFS_TORTURE_OPS the number of fsx operations.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "aufs_util.h"

#define DEFAULT_SECS		20
#define SLACK_SECS		60	/* harness timeout beyond the run */

#define LOWER_SIZE		(256L << 10)	/* the file as it starts */
#define SRC_SIZE		(256L << 10)	/* the copy_file_range source */
#define MAX_SIZE		(1024L << 10)	/* the largest the file gets */
#define MAX_LEN			(64L << 10)	/* the longest operation */
#define FALLOC_PUNCH		(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define LOG_OPS			20	/* operations shown on a mismatch */

#define RACE_PROCS		4
#define RACE_NAMES		8	/* f0..f7 in d and in d/sub */
#define RACE_LISTED		16	/* room for the names of a directory */
#define REC_LEN			32
#define RACE_MAX_FILE		(64L << 10)	/* appends stop there */

static long page_size;

static unsigned long env_num(const char *name, unsigned long def)
{
	const char *s = getenv(name);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoul(s, &end, 0);
	return errno || *end ? def : v;
}

/* How long an fsx run lasts, in seconds. */
static unsigned int torture_secs(void)
{
	unsigned long secs = env_num("AUFS_TORTURE_SECS", DEFAULT_SECS);

	return secs < 1 ? 1 : secs > 86400 ? 86400 : secs;
}

static unsigned int race_secs(void)
{
	return torture_secs() < 2 ? 1 : torture_secs() / 2;
}

static unsigned int torture_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return env_num("AUFS_TORTURE_SEED",
		       (unsigned int)(ts.tv_sec ^ ts.tv_nsec ^ getpid()));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* splitmix64: the same sequence for the same seed everywhere. */
static unsigned long long rnd_state;

static unsigned long long rnd64(void)
{
	unsigned long long z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random number in [0, @n), 0 if @n <= 0. */
static long rnd_below(long n)
{
	return n > 0 ? (long)(rnd64() % (unsigned long long)n) : 0;
}

static void rnd_fill(unsigned char *p, size_t n)
{
	unsigned long long v;

	for (; n >= sizeof(v); p += sizeof(v), n -= sizeof(v)) {
		v = rnd64();
		memcpy(p, &v, sizeof(v));
	}
	if (n) {
		v = rnd64();
		memcpy(p, &v, n);
	}
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Up to @cap bytes of @fd from where it is; -1 on an error. */
static ssize_t read_fd(int fd, void *buf, size_t cap)
{
	size_t done = 0;
	ssize_t n;

	while (done < cap) {
		n = read(fd, (char *)buf + done, cap - done);
		if (n < 0)
			return -1;
		if (!n)
			break;
		done += n;
	}
	return done;
}

static ssize_t read_path(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read_fd(fd, buf, cap);
	close(fd);
	return n;
}

static bool same_contents(const char *path, const void *data, size_t len)
{
	char *buf = malloc(len + 1);
	bool same;

	if (!buf)
		return false;
	same = read_path(path, buf, len + 1) == (ssize_t)len &&
	       !memcmp(buf, data, len);
	free(buf);
	return same;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

/* A union of a writable b0 over a read-only b1, in a base directory. */
struct uni {
	char base[PATH_MAX];
	char b0[PATH_MAX];
	char b1[PATH_MAX];
	char mnt[PATH_MAX];
	char opts[3 * PATH_MAX];
	bool mounted;
	bool own_tmpfs;
	struct ext4_fs ext4;
};

/*
 * The branches and mount point; on ext4 if @ext4 (u->base made by
 * ext4_get() already), else on a tmpfs.
 */
static int uni_init(struct uni *u, bool ext4)
{
	if (ext4) {
		if (chmod(u->base, 0755))
			return -1;
	} else {
		snprintf(u->base, sizeof(u->base), "/tmp/aufs_torture.XXXXXX");
		if (!mkdtemp(u->base))
			return -1;
		if (mount("tmpfs", u->base, "tmpfs", 0, NULL))
			return -1;
		u->own_tmpfs = true;
	}
	snprintf(u->b0, sizeof(u->b0), "%s/b0", u->base);
	snprintf(u->b1, sizeof(u->b1), "%s/b1", u->base);
	snprintf(u->mnt, sizeof(u->mnt), "%s/mnt", u->base);
	snprintf(u->opts, sizeof(u->opts), "br=%s=rw:%s=ro", u->b0, u->b1);
	if (mkdir(u->b0, 0755) || mkdir(u->b1, 0755) || mkdir(u->mnt, 0755))
		return -1;
	return 0;
}

static int uni_mount(struct uni *u)
{
	if (mount("none", u->mnt, "aufs", 0, u->opts))
		return -1;
	u->mounted = true;
	return 0;
}

static int uni_umount(struct uni *u)
{
	if (umount(u->mnt))
		return -1;
	u->mounted = false;
	return 0;
}

static int uni_remount(struct uni *u)
{
	return uni_umount(u) || uni_mount(u) ? -1 : 0;
}

/* Unmount and remove everything; false if the union was still busy. */
static bool uni_fini(struct uni *u)
{
	bool ok = true;

	if (u->mounted && uni_umount(u)) {
		ok = false;
		umount2(u->mnt, MNT_DETACH);
	}
	if (u->own_tmpfs) {
		if (umount2(u->base, MNT_DETACH))
			ok = false;
		rmdir(u->base);
	} else if (u->base[0]) {
		nftw(u->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	ext4_put(&u->ext4);
	return ok;
}

/* fsx */

enum fsx_op {
	OP_READ,
	OP_WRITE,
	OP_TRUNCATE,
	OP_MAPREAD,
	OP_MAPWRITE,
	OP_FALLOCATE,
	OP_PUNCH,
	OP_KEEPSIZE,
	OP_COPY,
	OP_STALE,
	OP_REOPEN,
	OP_FSYNC,
	OP_NR
};

static const char * const op_names[OP_NR] = {
	[OP_READ] = "read",
	[OP_WRITE] = "write",
	[OP_TRUNCATE] = "truncate",
	[OP_MAPREAD] = "mapread",
	[OP_MAPWRITE] = "mapwrite",
	[OP_FALLOCATE] = "falloc",
	[OP_PUNCH] = "punch",
	[OP_KEEPSIZE] = "keepsize",
	[OP_COPY] = "copy",
	[OP_STALE] = "staleread",
	[OP_REOPEN] = "reopen",
	[OP_FSYNC] = "fsync",
};

/* How often each operation is picked, relative to the others. */
static const int op_weights[OP_NR] = {
	[OP_READ] = 14,
	[OP_WRITE] = 14,
	[OP_TRUNCATE] = 6,
	[OP_MAPREAD] = 10,
	[OP_MAPWRITE] = 10,
	[OP_FALLOCATE] = 4,
	[OP_PUNCH] = 5,
	[OP_KEEPSIZE] = 3,
	[OP_COPY] = 10,
	[OP_STALE] = 3,
	[OP_REOPEN] = 2,
	[OP_FSYNC] = 2,
};

struct fsx_log {
	unsigned long nr;
	int op;
	long off;
	long len;
	long from;	/* copy: the source offset */
	long ret;
	long size;	/* of the file before the operation */
};

struct fsx {
	unsigned int seed;
	unsigned long nr;		/* operations started */
	unsigned char *model;		/* MAX_SIZE bytes, zero past size */
	long size;
	unsigned char *lower;		/* what the lower file holds */
	unsigned char *src;		/* what the source file holds */
	unsigned char *buf;		/* to read into */
	unsigned char *data;		/* new data */
	char path[PATH_MAX];		/* the file in the union */
	int ro;				/* opened before the copy-up */
	int rw;				/* opened at the first change */
	int src_fd;
	bool copied_up;
	unsigned long read_only_ops;	/* the first ones only read */
	unsigned long counts[OP_NR];
	struct fsx_log log[LOG_OPS];
};

static void fsx_dump(const struct fsx *f)
{
	unsigned long nr = f->nr > LOG_OPS ? f->nr - LOG_OPS + 1 : 1;
	const struct fsx_log *e;

	fprintf(stderr, "# fsx: seed %u, the last operations:\n", f->seed);
	for (; nr <= f->nr; nr++) {
		e = &f->log[nr % LOG_OPS];
		fprintf(stderr,
			"#   %7lu %-9s off %7ld len %6ld ret %7ld size %7ld",
			e->nr, op_names[e->op], e->off, e->len, e->ret,
			e->size);
		if (e->op == OP_COPY)
			fprintf(stderr, " from %ld", e->from);
		fputc('\n', stderr);
	}
}

/* Report what went wrong with the seed and the last operations; -1. */
static int fsx_fail(const struct fsx *f, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# fsx: seed %u, operation %lu: ", f->seed, f->nr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fsx_dump(f);
	return -1;
}

/* Check @len bytes read at @off against the model. */
static int fsx_check(const struct fsx *f, const char *what,
		     const unsigned char *got, long off, long len)
{
	const unsigned char *want = f->model + off;
	long i, first = -1, last = 0, bad = 0;
	char msg[256];
	int n;

	if (!memcmp(got, want, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (got[i] == want[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		bad++;
	}
	n = snprintf(msg, sizeof(msg), "%s of %ld bytes at %ld: ", what, len,
		     off);
	n += snprintf(msg + n, sizeof(msg) - n, "byte at %ld is 0x%02x, ",
		      off + first, got[first]);
	snprintf(msg + n, sizeof(msg) - n, "expected 0x%02x; ", want[first]);
	return fsx_fail(f, "%s%ld bytes differ, the last at %ld", msg, bad,
			off + last);
}

/* Compare the whole file at @path with the model. */
static int fsx_compare(const struct fsx *f, const char *what,
		       const char *path)
{
	ssize_t n = read_path(path, f->buf, MAX_SIZE + 1);

	if (n < 0)
		return fsx_fail(f, "%s: cannot read %s: %s", what, path,
				strerror(errno));
	if (n != f->size)
		return fsx_fail(f, "%s: %zd bytes, expected %ld", what, n,
				f->size);
	return fsx_check(f, what, f->buf, 0, n);
}

static int fsx_fd(const struct fsx *f)
{
	return f->copied_up ? f->rw : f->ro;
}

/* The first change opens the file for writing, which copies it up. */
static int fsx_writable(struct fsx *f)
{
	if (f->copied_up)
		return 0;
	f->rw = open(f->path, O_RDWR);
	if (f->rw < 0)
		return fsx_fail(f, "open for writing: %s", strerror(errno));
	f->copied_up = true;
	return 0;
}

/* A random range in [0, @limit), page aligned at times; @limit > 0. */
static void fsx_range(long limit, long *off, long *len)
{
	long l = 1 + rnd_below(rnd_below(2) ? page_size : MAX_LEN);

	if (l > limit)
		l = limit;
	*off = rnd_below(limit - l + 1);
	if (!rnd_below(4)) {
		*off &= ~(page_size - 1);
		l = (l + page_size - 1) & ~(page_size - 1);
		if (*off + l > limit)
			l = limit - *off;
	}
	*len = l;
}

/* Where changes may go: mostly in and just past the file. */
static long fsx_limit(const struct fsx *f)
{
	if (!rnd_below(4) || f->size + MAX_LEN > MAX_SIZE)
		return MAX_SIZE;
	return f->size + MAX_LEN;
}

static int fsx_read(struct fsx *f, struct fsx_log *e)
{
	long want;

	fsx_range(f->size + page_size, &e->off, &e->len);
	want = e->off >= f->size ? 0 : f->size - e->off;
	if (want > e->len)
		want = e->len;
	e->ret = pread(fsx_fd(f), f->buf, e->len, e->off);
	if (e->ret < 0)
		return fsx_fail(f, "pread: %s", strerror(errno));
	if (e->ret != want)
		return fsx_fail(f, "pread returned %ld, expected %ld", e->ret,
				want);
	return fsx_check(f, "pread", f->buf, e->off, e->ret);
}

static int fsx_write(struct fsx *f, struct fsx_log *e)
{
	fsx_range(fsx_limit(f), &e->off, &e->len);
	if (fsx_writable(f))
		return -1;
	rnd_fill(f->data, e->len);
	e->ret = pwrite(f->rw, f->data, e->len, e->off);
	if (e->ret < 0)
		return fsx_fail(f, "pwrite: %s", strerror(errno));
	if (e->ret != e->len)
		return fsx_fail(f, "pwrite returned %ld", e->ret);
	memcpy(f->model + e->off, f->data, e->len);
	if (e->off + e->len > f->size)
		f->size = e->off + e->len;
	return 0;
}

static int fsx_truncate(struct fsx *f, struct fsx_log *e)
{
	long size;

	if (rnd_below(2))
		size = f->size - MAX_LEN + rnd_below(2 * MAX_LEN);
	else
		size = rnd_below(MAX_SIZE + 1);
	if (size < 0)
		size = 0;
	if (size > MAX_SIZE)
		size = MAX_SIZE;
	if (!rnd_below(4))
		size &= ~(page_size - 1);
	e->off = size;
	if (fsx_writable(f))
		return -1;
	e->ret = ftruncate(f->rw, size);
	if (e->ret)
		return fsx_fail(f, "ftruncate to %ld: %s", size,
				strerror(errno));
	if (size < f->size)
		memset(f->model + size, 0, f->size - size);
	f->size = size;
	return 0;
}

static int fsx_mapread(struct fsx *f, struct fsx_log *e)
{
	bool private = !rnd_below(4);
	unsigned char *map;
	long start, len;
	int ret;

	if (!f->size)
		return 0;
	fsx_range(f->size, &e->off, &e->len);
	start = e->off & ~(page_size - 1);
	len = e->off + e->len - start;
	map = mmap(NULL, len, PROT_READ, private ? MAP_PRIVATE : MAP_SHARED,
		   fsx_fd(f), start);
	if (map == MAP_FAILED)
		return fsx_fail(f, "mmap: %s", strerror(errno));
	ret = fsx_check(f, private ? "private mmap read" : "mmap read",
			map + e->off - start, e->off, e->len);
	munmap(map, len);
	return ret;
}

static int fsx_mapwrite(struct fsx *f, struct fsx_log *e)
{
	unsigned char *map;
	long start, len;
	int err;

	if (fsx_writable(f))
		return -1;
	if (!f->size)
		return 0;
	fsx_range(f->size, &e->off, &e->len);
	start = e->off & ~(page_size - 1);
	len = e->off + e->len - start;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f->rw,
		   start);
	if (map == MAP_FAILED)
		return fsx_fail(f, "mmap for writing: %s", strerror(errno));
	rnd_fill(f->data, e->len);
	memcpy(map + e->off - start, f->data, e->len);
	e->ret = msync(map, len, MS_SYNC);
	err = errno;
	munmap(map, len);
	if (e->ret)
		return fsx_fail(f, "msync: %s", strerror(err));
	memcpy(f->model + e->off, f->data, e->len);
	return 0;
}

static int fsx_fallocate(struct fsx *f, struct fsx_log *e, int mode)
{
	long end;

	fsx_range(fsx_limit(f), &e->off, &e->len);
	if (fsx_writable(f))
		return -1;
	e->ret = fallocate(f->rw, mode, e->off, e->len);
	if (e->ret)
		return fsx_fail(f, "fallocate mode %#x: %s", mode,
				strerror(errno));
	end = e->off + e->len;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if (end > f->size)
			end = f->size;
		if (end > e->off)
			memset(f->model + e->off, 0, end - e->off);
	} else if (!(mode & FALLOC_FL_KEEP_SIZE) && end > f->size) {
		f->size = end;
	}
	return 0;
}

static int fsx_copy(struct fsx *f, struct fsx_log *e)
{
	loff_t from, to;
	long want;

	fsx_range(fsx_limit(f), &e->off, &e->len);
	e->from = rnd_below(SRC_SIZE);
	want = SRC_SIZE - e->from < e->len ? SRC_SIZE - e->from : e->len;
	if (fsx_writable(f))
		return -1;
	from = e->from;
	to = e->off;
	e->ret = copy_file_range(f->src_fd, &from, f->rw, &to, e->len, 0);
	if (e->ret < 0)
		return fsx_fail(f, "copy_file_range: %s", strerror(errno));
	if (e->ret < 1 || e->ret > want || from != e->from + e->ret ||
	    to != e->off + e->ret)
		return fsx_fail(f, "copy: %ld of %ld bytes, offsets %lld %lld",
				e->ret, want, (long long)from, (long long)to);
	memcpy(f->model + e->off, f->src + e->from, e->ret);
	if (e->off + e->ret > f->size)
		f->size = e->off + e->ret;
	return 0;
}

/* Reads through the descriptor from before the copy-up: no checks. */
static int fsx_stale(struct fsx *f, struct fsx_log *e)
{
	struct stat st;

	fsx_range(MAX_SIZE, &e->off, &e->len);
	e->ret = pread(f->ro, f->buf, e->len, e->off);
	if (!rnd_below(4))
		fstat(f->ro, &st);
	return 0;
}

static int fsx_reopen(struct fsx *f, struct fsx_log *e)
{
	if (!f->copied_up)
		return 0;
	close(f->rw);
	f->rw = open(f->path, O_RDWR);
	e->ret = f->rw;
	if (f->rw < 0)
		return fsx_fail(f, "open again: %s", strerror(errno));
	return 0;
}

static int fsx_fsync(struct fsx *f, struct fsx_log *e)
{
	if (!f->copied_up)
		return 0;
	e->ret = rnd_below(2) ? fsync(f->rw) : fdatasync(f->rw);
	if (e->ret)
		return fsx_fail(f, "fsync: %s", strerror(errno));
	return 0;
}

static int fsx_pick(const struct fsx *f)
{
	int op, total = 0;
	long r;

	if (!f->copied_up && f->nr <= f->read_only_ops)
		return rnd_below(2) ? OP_READ : OP_MAPREAD;
	for (op = 0; op < OP_NR; op++)
		total += op_weights[op];
	r = rnd_below(total);
	for (op = 0; r >= op_weights[op]; op++)
		r -= op_weights[op];
	return op;
}

static int fsx_op(struct fsx *f)
{
	struct fsx_log *e = &f->log[f->nr % LOG_OPS];
	int op = fsx_pick(f);

	memset(e, 0, sizeof(*e));
	e->nr = f->nr;
	e->op = op;
	e->size = f->size;
	f->counts[op]++;
	switch (op) {
	case OP_READ:
		return fsx_read(f, e);
	case OP_WRITE:
		return fsx_write(f, e);
	case OP_TRUNCATE:
		return fsx_truncate(f, e);
	case OP_MAPREAD:
		return fsx_mapread(f, e);
	case OP_MAPWRITE:
		return fsx_mapwrite(f, e);
	case OP_FALLOCATE:
		return fsx_fallocate(f, e, 0);
	case OP_PUNCH:
		return fsx_fallocate(f, e, FALLOC_PUNCH);
	case OP_KEEPSIZE:
		return fsx_fallocate(f, e, FALLOC_FL_KEEP_SIZE);
	case OP_COPY:
		return fsx_copy(f, e);
	case OP_STALE:
		return fsx_stale(f, e);
	case OP_REOPEN:
		return fsx_reopen(f, e);
	default:
		return fsx_fsync(f, e);
	}
}

static void fsx_close(struct fsx *f)
{
	if (f->ro >= 0)
		close(f->ro);
	if (f->rw >= 0)
		close(f->rw);
	if (f->src_fd >= 0)
		close(f->src_fd);
	f->ro = -1;
	f->rw = -1;
	f->src_fd = -1;
}

FIXTURE(fsx) {
	struct uni u;
	struct fsx f;
};

FIXTURE_VARIANT(fsx) {
	bool ext4;
};

FIXTURE_VARIANT_ADD(fsx, tmpfs) {
	.ext4 = false,
};

FIXTURE_VARIANT_ADD(fsx, ext4) {
	.ext4 = true,
};

FIXTURE_SETUP(fsx)
{
	struct fsx *f = &self->f;
	const char *why;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	f->ro = -1;
	f->rw = -1;
	f->src_fd = -1;
	if (variant->ext4) {
		why = ext4_get(&self->u.ext4, "torture", self->u.base,
			       sizeof(self->u.base));
		if (why)
			SKIP(return, "%s", why);
	}
	page_size = sysconf(_SC_PAGESIZE);
	f->seed = torture_seed();
	ksft_print_msg("fsx: seed %u (AUFS_TORTURE_SEED=%u repeats the run)\n",
		       f->seed, f->seed);
	rnd_state = f->seed;
	f->model = calloc(1, MAX_SIZE);
	f->buf = malloc(MAX_SIZE + page_size);
	f->data = malloc(MAX_LEN);
	f->lower = malloc(LOWER_SIZE);
	f->src = malloc(SRC_SIZE);
	ASSERT_TRUE(f->model && f->buf && f->data && f->lower && f->src);
	rnd_fill(f->lower, LOWER_SIZE);
	rnd_fill(f->src, SRC_SIZE);
	memcpy(f->model, f->lower, LOWER_SIZE);
	f->size = LOWER_SIZE;
	f->read_only_ops = rnd_below(32);

	ASSERT_EQ(0, uni_init(&self->u, variant->ext4));
	ASSERT_EQ(0, write_file(in(self->u.b1, "file"), f->lower,
				LOWER_SIZE));
	ASSERT_EQ(0, write_file(in(self->u.b1, "src"), f->src, SRC_SIZE));
	ASSERT_EQ(0, uni_mount(&self->u));
	snprintf(f->path, sizeof(f->path), "%s/file", self->u.mnt);
}

FIXTURE_TEARDOWN(fsx)
{
	fsx_close(&self->f);
	free(self->f.model);
	free(self->f.buf);
	free(self->f.data);
	free(self->f.lower);
	free(self->f.src);
	EXPECT_TRUE(uni_fini(&self->u));
}

TEST_F_TIMEOUT(fsx, random_io_across_copy_up_matches_a_model,
	       torture_secs() + SLACK_SECS)
{
	unsigned long max_ops = env_num("AUFS_TORTURE_OPS", 0);
	long long start = now_ms(), end = start + torture_secs() * 1000LL;
	struct fsx *f = &self->f;
	char counts[512] = "";
	int op, len = 0, ret = 0;

	f->ro = open(f->path, O_RDONLY);
	ASSERT_LE(0, f->ro);
	f->src_fd = open(in(self->u.mnt, "src"), O_RDONLY);
	ASSERT_LE(0, f->src_fd);
	while ((!max_ops || f->nr < max_ops) && now_ms() < end) {
		f->nr++;
		ret = fsx_op(f);
		if (ret)
			break;
	}
	for (op = 0; op < OP_NR; op++)
		len += snprintf(counts + len, sizeof(counts) - len, " %s %lu",
				op_names[op], f->counts[op]);
	ksft_print_msg("fsx: %lu operations in %lld ms, seed %u:%s\n", f->nr,
		       now_ms() - start, f->seed, counts);
	fsx_close(f);
	ASSERT_EQ(0, ret);

	ASSERT_EQ(0, fsx_compare(f, "after the run, the union file",
				 f->path));
	if (f->copied_up)
		ASSERT_EQ(0, fsx_compare(f, "after the run, the copy on b0",
					 in(self->u.b0, "file")));
	EXPECT_TRUE(same_contents(in(self->u.b1, "file"), f->lower,
				  LOWER_SIZE));
	EXPECT_TRUE(same_contents(in(self->u.b1, "src"), f->src, SRC_SIZE));
	EXPECT_FALSE(exists(in(self->u.b0, "src")));
	ASSERT_EQ(0, uni_remount(&self->u));
	ASSERT_EQ(0, fsx_compare(f, "after a remount, the union file",
				 f->path));
}

/* race */

static const char * const race_dirs[] = { "d", "d/sub" };

/* d/f0..f7 and d/sub/f0..f3 are on the lower branch. */
static bool race_lower(int dir, int i)
{
	return !dir || i < RACE_NAMES / 2;
}

/* How many records the lower file of @origin (dir * 8 + i) holds. */
static unsigned int lower_records(unsigned int origin)
{
	return origin % 3 + 1;
}

static unsigned int rec_check(char type, unsigned int id, unsigned int cnt)
{
	unsigned int h = type * 0x9e3779b1u ^ (id + 1) * 0x85ebca77u ^
			 cnt * 0xc2b2ae3du;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	return h ^ (h >> 12);
}

/*
 * A record is one line of 32 bytes: its type (L lower, C created, A
 * appended), an id (the lower file, or the process that wrote it), a count
 * and a check of the three.  A torn write does not look like one.
 */
static void rec_make(char *r, char type, unsigned int id, unsigned int cnt)
{
	char line[REC_LEN + 1];
	int n;

	n = snprintf(line, sizeof(line), "%c%02u:%08u:%08x:", type, id % 100,
		     cnt % 100000000, rec_check(type, id, cnt));
	memset(line + n, '.', REC_LEN - 1 - n);
	line[REC_LEN - 1] = '\n';
	memcpy(r, line, REC_LEN);
}

static bool rec_parse(const char *r, char *type, unsigned int *id,
		      unsigned int *cnt)
{
	char want[REC_LEN];
	int i;

	if ((r[0] != 'L' && r[0] != 'C' && r[0] != 'A') || r[3] != ':')
		return false;
	for (i = 1; i < 12; i++)
		if (i != 3 && (r[i] < '0' || r[i] > '9'))
			return false;
	*type = r[0];
	*id = (r[1] - '0') * 10 + r[2] - '0';
	*cnt = 0;
	for (i = 4; i < 12; i++)
		*cnt = *cnt * 10 + r[i] - '0';
	rec_make(want, *type, *id, *cnt);
	return !memcmp(want, r, REC_LEN);
}

static bool zero_record(const char *r)
{
	int i;

	for (i = 0; i < REC_LEN; i++)
		if (r[i])
			return false;
	return true;
}

static size_t lower_make(char *buf, unsigned int origin)
{
	unsigned int i;

	for (i = 0; i < lower_records(origin); i++)
		rec_make(buf + i * REC_LEN, 'L', origin, i);
	return i * REC_LEN;
}

/*
 * Why @len bytes are not what a file may hold, or NULL: whole records, the
 * first ones those of a lower file or one created record, then appended
 * ones.  *@at is the offset of the record at fault.
 */
static const char *race_bad_content(const char *buf, size_t len, size_t *at)
{
	unsigned int id, cnt, origin = 0, lower = 0;
	char type;

	*at = 0;
	if (!len)
		return "empty";
	if (len % REC_LEN)
		return "not whole records";
	for (*at = 0; *at < len; *at += REC_LEN) {
		if (!rec_parse(buf + *at, &type, &id, &cnt))
			return "a torn or foreign record";
		if (type != 'L' && id >= RACE_PROCS)
			return "a record of no process";
		if (!*at && type == 'A')
			return "starts with an appended record";
		if (*at && type == 'C')
			return "a created record after the start";
		if (type != 'L')
			continue;
		if (!*at)
			origin = id;
		if (origin >= ARRAY_SIZE(race_dirs) * RACE_NAMES ||
		    !race_lower(origin / RACE_NAMES, origin % RACE_NAMES))
			return "a record of no lower file";
		if (*at != lower * REC_LEN || id != origin || cnt != lower)
			return "a lower record out of place";
		lower++;
	}
	*at = lower * REC_LEN;
	if (lower && lower != lower_records(origin))
		return "lower records missing";
	return NULL;
}

/*
 * Whether a directory (0 the root, 1 d, 2 d/sub) may list @name: the
 * children's temporary names only while they run (@tmp).
 */
static bool race_known(int kind, const char *name, bool tmp)
{
	if (!kind)
		return !strcmp(name, "d");
	if (kind == 1 && !strcmp(name, "sub"))
		return true;
	if (strlen(name) != 2 || name[1] < '0')
		return false;
	if (name[0] == 'f')
		return name[1] - '0' < RACE_NAMES;
	return tmp && name[0] == 't' && name[1] - '0' < RACE_PROCS;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool race_has(char names[][NAME_MAX + 1], int n, const char *name)
{
	while (n--)
		if (!strcmp(names[n], name))
			return true;
	return false;
}

/*
 * The sorted names in @dir, of kind @kind (see race_known()), without "."
 * and "..".  -1 when it cannot be read, or lists a name twice, a whiteout
 * or a name that should not be there; @why then says which.  The known
 * names are fewer than RACE_LISTED.
 */
static int race_list(const char *dir, int kind, bool tmp,
		     char names[RACE_LISTED][NAME_MAX + 1], char *why,
		     size_t why_len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	const char *name;
	int n = 0;

	if (!d) {
		snprintf(why, why_len, "opendir: %s", strerror(errno));
		return -1;
	}
	*why = '\0';
	errno = 0;
	while (!*why && (e = readdir(d))) {
		name = e->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (!strncmp(name, ".wh.", 4))
			snprintf(why, why_len, "whiteout %s listed", name);
		else if (!race_known(kind, name, tmp))
			snprintf(why, why_len, "unexpected %s listed", name);
		else if (race_has(names, n, name))
			snprintf(why, why_len, "%s listed twice", name);
		else
			snprintf(names[n++], NAME_MAX + 1, "%s", name);
		errno = 0;
	}
	if (!*why && errno)
		snprintf(why, why_len, "readdir: %s", strerror(errno));
	closedir(d);
	if (*why)
		return -1;
	qsort(names, n, NAME_MAX + 1, cmp_name);
	return n;
}

struct race_child {
	const struct uni *u;
	int id;
	unsigned int cnt;	/* of the records it wrote */
	char *buf;		/* RACE_MAX_FILE + page_size bytes */
};

static int race_err(const struct race_child *c, const char *what,
		    const char *path)
{
	fprintf(stderr, "# race: process %d: %s %s: %s\n", c->id, what, path,
		strerror(errno));
	return -1;
}

static int race_bad(const struct race_child *c, const char *what,
		    const char *path, const char *why, size_t at)
{
	fprintf(stderr, "# race: process %d: %s %s: %s at %zu\n", c->id,
		what, path, why, at);
	return -1;
}

/* A random name: @kind ('f' shared, 't' temporary) in d or d/sub. */
static int race_name(const struct race_child *c, char *path, char kind,
		     int i)
{
	int dir = rnd_below(ARRAY_SIZE(race_dirs));

	snprintf(path, PATH_MAX, "%s/%s/%c%d", c->u->mnt, race_dirs[dir],
		 kind, i);
	return dir;
}

/* Open for writing, which copies up, and mostly append a record. */
static int race_append(struct race_child *c, char *path)
{
	bool append = rnd_below(8);
	char rec[REC_LEN];
	struct stat st;
	int fd, ret = 0;

	race_name(c, path, 'f', rnd_below(RACE_NAMES));
	fd = open(path, append ? O_WRONLY | O_APPEND : O_RDWR);
	if (fd < 0)
		return errno == ENOENT ? 0 : race_err(c, "open for writing",
						      path);
	if (fstat(fd, &st)) {
		ret = race_err(c, "fstat", path);
	} else if (append && st.st_size < RACE_MAX_FILE) {
		rec_make(rec, 'A', c->id, c->cnt++);
		if (write(fd, rec, REC_LEN) != REC_LEN)
			ret = race_err(c, "append to", path);
	}
	if (close(fd) && !ret)
		ret = race_err(c, "close", path);
	return ret;
}

/* Create a file with one record under a private name, rename it in. */
static int race_create(struct race_child *c, char *path)
{
	unsigned int flags = rnd_below(2) ? RENAME_NOREPLACE : 0;
	char tmp[PATH_MAX], rec[REC_LEN];
	int fd, dir;

	dir = race_name(c, path, 'f', rnd_below(RACE_NAMES));
	snprintf(tmp, sizeof(tmp), "%s/%s/t%d", c->u->mnt, race_dirs[dir],
		 c->id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return race_err(c, "create", tmp);
	rec_make(rec, 'C', c->id, c->cnt++);
	if (write(fd, rec, REC_LEN) != REC_LEN) {
		race_err(c, "write", tmp);
		close(fd);
		return -1;
	}
	if (close(fd))
		return race_err(c, "close", tmp);
	if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, path, flags))
		return 0;
	if (errno != EEXIST || !flags)
		return race_err(c, "rename to", path);
	if (unlink(tmp))
		return race_err(c, "unlink", tmp);
	return 0;
}

static int race_rename(struct race_child *c, char *path)
{
	unsigned int flags = rnd_below(2) ? RENAME_NOREPLACE : 0;
	char to[PATH_MAX];

	race_name(c, path, 'f', rnd_below(RACE_NAMES));
	race_name(c, to, 'f', rnd_below(RACE_NAMES));
	if (!renameat2(AT_FDCWD, path, AT_FDCWD, to, flags))
		return 0;
	if (errno == ENOENT || (errno == EEXIST && flags))
		return 0;
	return race_err(c, flags ? "rename (noreplace) to" : "rename to", to);
}

static int race_unlink(struct race_child *c, char *path)
{
	race_name(c, path, 'f', rnd_below(RACE_NAMES));
	if (!unlink(path) || errno == ENOENT)
		return 0;
	return race_err(c, "unlink", path);
}

static int race_readdir(struct race_child *c, char *path)
{
	static char names[RACE_LISTED][NAME_MAX + 1];
	int dir = rnd_below(ARRAY_SIZE(race_dirs));
	char why[NAME_MAX + 64];
	struct stat st;

	snprintf(path, PATH_MAX, "%s/%s", c->u->mnt, race_dirs[dir]);
	if (stat(path, &st))
		return race_err(c, "stat", path);
	if (!S_ISDIR(st.st_mode))
		return race_bad(c, "stat", path, "not a directory", 0);
	if (race_list(path, dir + 1, true, names, why, sizeof(why)) < 0)
		return race_bad(c, "readdir", path, why, 0);
	return 0;
}

/* Fault in the start of a file; the mapping may show an older version. */
static int race_map(struct race_child *c, char *path)
{
	const char *why;
	struct stat st;
	size_t len, at;
	char *map;
	int fd, ret = 0;

	race_name(c, path, 'f', rnd_below(RACE_NAMES));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == ENOENT ? 0 : race_err(c, "open", path);
	if (fstat(fd, &st)) {
		ret = race_err(c, "fstat", path);
		goto out;
	}
	len = st.st_size < page_size ? st.st_size : page_size;
	len -= len % REC_LEN;
	if (!len)
		goto out;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = race_err(c, "mmap", path);
		goto out;
	}
	memcpy(c->buf, map, len);
	munmap(map, len);
	/* past the end of an older version of the file: zeroes */
	while (len && zero_record(c->buf + len - REC_LEN))
		len -= REC_LEN;
	why = race_bad_content(c->buf, len, &at);
	if (why)
		ret = race_bad(c, "mmap read of", path, why, at);
out:
	close(fd);
	return ret;
}

static int race_read(struct race_child *c, char *path)
{
	const char *why;
	size_t at;
	ssize_t n;
	int fd;

	race_name(c, path, 'f', rnd_below(RACE_NAMES));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == ENOENT ? 0 : race_err(c, "open", path);
	n = read_fd(fd, c->buf, RACE_MAX_FILE + page_size);
	close(fd);
	if (n < 0)
		return race_err(c, "read", path);
	if (n == RACE_MAX_FILE + page_size)
		return race_bad(c, "read", path, "too long", n);
	why = race_bad_content(c->buf, n, &at);
	if (why)
		return race_bad(c, "read", path, why, at);
	return 0;
}

static int race_stat(struct race_child *c, char *path)
{
	struct stat st;

	race_name(c, path, 'f', rnd_below(RACE_NAMES));
	if (stat(path, &st))
		return errno == ENOENT ? 0 : race_err(c, "stat", path);
	if (S_ISREG(st.st_mode) && st.st_size && !(st.st_size % REC_LEN))
		return 0;
	fprintf(stderr, "# race: process %d: stat %s: mode %o, size %lld\n",
		c->id, path, st.st_mode, (long long)st.st_size);
	return -1;
}

static int (* const race_ops[])(struct race_child *c, char *path) = {
	race_append, race_append, race_append, race_append, race_append,
	race_create, race_create, race_create,
	race_rename, race_rename, race_rename,
	race_unlink, race_unlink,
	race_readdir, race_readdir,
	race_map, race_map,
	race_read, race_read,
	race_stat, race_stat,
};

static int race_run(const struct uni *u, int id, unsigned int seed,
		    long long end, unsigned long *ops)
{
	struct race_child c = { .u = u, .id = id };
	char path[PATH_MAX];

	rnd_state = ((unsigned long long)seed << 8) + id + 1;
	c.buf = malloc(RACE_MAX_FILE + page_size);
	if (!c.buf)
		return 1;
	while (now_ms() < end) {
		if (race_ops[rnd_below(ARRAY_SIZE(race_ops))](&c, path))
			return 1;
		ops[id]++;
	}
	return 0;
}

/* What the union shows after the run. */
struct race_snap {
	int listed[ARRAY_SIZE(race_dirs)];
	char names[ARRAY_SIZE(race_dirs)][RACE_LISTED][NAME_MAX + 1];
	char *data[ARRAY_SIZE(race_dirs)][RACE_NAMES];
	ssize_t len[ARRAY_SIZE(race_dirs)][RACE_NAMES];
	unsigned long long *keys;	/* one for every record */
	size_t nkeys;
};

static void race_free(struct race_snap *s)
{
	unsigned int dir, i;

	for (dir = 0; dir < ARRAY_SIZE(race_dirs); dir++)
		for (i = 0; i < RACE_NAMES; i++)
			free(s->data[dir][i]);
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

static int cmp_key(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static bool race_is_listed(const struct race_snap *s, int dir,
			   const char *name)
{
	int i;

	for (i = 0; i < s->listed[dir]; i++)
		if (!strcmp(s->names[dir][i], name))
			return true;
	return false;
}

/* Read one name of the union into @s; 0 if it is as it should be. */
static int race_snap_file(const char *mnt, struct race_snap *s, int dir,
			  int i)
{
	char path[PATH_MAX], name[16], *buf;
	const char *why;
	struct stat st;
	size_t at = 0;
	bool listed;
	ssize_t n;
	char type;
	unsigned int id, cnt;

	snprintf(name, sizeof(name), "f%d", i);
	snprintf(path, sizeof(path), "%s/%s/%s", mnt, race_dirs[dir], name);
	listed = race_is_listed(s, dir, name);
	s->len[dir][i] = -1;
	if (lstat(path, &st)) {
		if (errno != ENOENT || listed) {
			fprintf(stderr, "# race: %s is%s listed, stat: %s\n",
				path, listed ? "" : " not", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!listed || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "# race: %s is%s listed, mode %o\n", path,
			listed ? "" : " not", st.st_mode);
		return -1;
	}
	buf = malloc(RACE_MAX_FILE + page_size);
	if (!buf)
		return -1;
	s->data[dir][i] = buf;
	n = read_path(path, buf, RACE_MAX_FILE + page_size);
	s->len[dir][i] = n;
	if (n < 0) {
		fprintf(stderr, "# race: read %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	why = n == RACE_MAX_FILE + page_size ? "too long" :
	      n != st.st_size ? "not as long as stat says" :
	      race_bad_content(buf, n, &at);
	if (why) {
		fprintf(stderr, "# race: %s, %zd bytes: %s at %zu\n", path, n,
			why, at);
		return -1;
	}
	for (at = 0; at < (size_t)n; at += REC_LEN) {
		rec_parse(buf + at, &type, &id, &cnt);
		s->keys[s->nkeys++] = (unsigned long long)type << 48 |
				      (unsigned long long)id << 32 | cnt;
	}
	return 0;
}

/*
 * Read the union into @s: the listings hold what stat finds, every file
 * whole records, and no record is in two places.  0 if all is well.
 */
static int race_snapshot(const struct uni *u, struct race_snap *s)
{
	char root[RACE_LISTED][NAME_MAX + 1], why[NAME_MAX + 64];
	char path[PATH_MAX];
	unsigned int dir;
	int i, bad = 0;
	size_t k;

	memset(s, 0, sizeof(*s));
	s->keys = malloc(ARRAY_SIZE(race_dirs) * RACE_NAMES *
			 ((RACE_MAX_FILE + page_size) / REC_LEN) *
			 sizeof(*s->keys));
	if (!s->keys)
		return -1;
	if (race_list(u->mnt, 0, false, root, why, sizeof(why)) != 1) {
		fprintf(stderr, "# race: %s: %s\n", u->mnt,
			*why ? why : "d is not listed");
		bad++;
	}
	for (dir = 0; dir < ARRAY_SIZE(race_dirs); dir++) {
		snprintf(path, sizeof(path), "%s/%s", u->mnt, race_dirs[dir]);
		s->listed[dir] = race_list(path, dir + 1, false,
					   s->names[dir], why, sizeof(why));
		if (s->listed[dir] < 0) {
			fprintf(stderr, "# race: %s: %s\n", path, why);
			s->listed[dir] = 0;
			bad++;
		}
		for (i = 0; i < RACE_NAMES; i++)
			if (race_snap_file(u->mnt, s, dir, i))
				bad++;
	}
	qsort(s->keys, s->nkeys, sizeof(*s->keys), cmp_key);
	for (k = 1; k < s->nkeys; k++) {
		if (s->keys[k] != s->keys[k - 1])
			continue;
		fprintf(stderr, "# race: record %c%02u:%08u is in two places\n",
			(char)(s->keys[k] >> 48),
			(unsigned int)(s->keys[k] >> 32) & 0xffff,
			(unsigned int)s->keys[k]);
		bad++;
	}
	return bad ? -1 : 0;
}

/* Differences between two snapshots, each reported. */
static int race_diff(const struct race_snap *a, const struct race_snap *b)
{
	unsigned int dir;
	int i, diffs = 0;

	for (dir = 0; dir < ARRAY_SIZE(race_dirs); dir++) {
		if (a->listed[dir] != b->listed[dir] ||
		    memcmp(a->names[dir], b->names[dir],
			   sizeof(a->names[dir]))) {
			fprintf(stderr, "# race: %s lists %d names, then %d\n",
				race_dirs[dir], a->listed[dir], b->listed[dir]);
			diffs++;
		}
		for (i = 0; i < RACE_NAMES; i++) {
			if (a->len[dir][i] == b->len[dir][i] &&
			    (a->len[dir][i] <= 0 ||
			     !memcmp(a->data[dir][i], b->data[dir][i],
				     a->len[dir][i])))
				continue;
			fprintf(stderr,
				"# race: %s/f%d changed: %zd bytes, now %zd\n",
				race_dirs[dir], i, a->len[dir][i],
				b->len[dir][i]);
			diffs++;
		}
	}
	return diffs;
}

FIXTURE(race) {
	struct uni u;
	unsigned int seed;
};

FIXTURE_SETUP(race)
{
	char path[PATH_MAX], recs[3 * REC_LEN];
	unsigned int dir;
	size_t len;
	int i;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	page_size = sysconf(_SC_PAGESIZE);
	self->seed = torture_seed();
	ksft_print_msg("race: seed %u (AUFS_TORTURE_SEED=%u: same choices)\n",
		       self->seed, self->seed);
	ASSERT_EQ(0, uni_init(&self->u, false));
	ASSERT_EQ(0, mkdir(in(self->u.b1, "d"), 0755));
	ASSERT_EQ(0, mkdir(in(self->u.b1, "d/sub"), 0755));
	for (dir = 0; dir < ARRAY_SIZE(race_dirs); dir++) {
		for (i = 0; i < RACE_NAMES; i++) {
			if (!race_lower(dir, i))
				continue;
			snprintf(path, sizeof(path), "%s/%s/f%d", self->u.b1,
				 race_dirs[dir], i);
			len = lower_make(recs, dir * RACE_NAMES + i);
			ASSERT_EQ(0, write_file(path, recs, len));
		}
	}
	ASSERT_EQ(0, uni_mount(&self->u));
}

FIXTURE_TEARDOWN(race)
{
	EXPECT_TRUE(uni_fini(&self->u));
}

TEST_F_TIMEOUT(race, racing_namespace_ops_leave_whole_records,
	       race_secs() + SLACK_SECS)
{
	char path[PATH_MAX], recs[3 * REC_LEN];
	struct race_snap before, after;
	pid_t pids[RACE_PROCS];
	unsigned long *ops, total = 0;
	long long end;
	unsigned int dir;
	int i, status;
	size_t len;

	ops = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ops);
	end = now_ms() + race_secs() * 1000LL;
	for (i = 0; i < RACE_PROCS; i++) {
		pids[i] = fork();
		if (!pids[i])
			_exit(race_run(&self->u, i, self->seed, end, ops));
		ASSERT_LT(0, pids[i]);
	}
	for (i = 0; i < RACE_PROCS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
			TH_LOG("process %d: status %#x", i, status);
		}
		total += ops[i];
	}
	ksft_print_msg("race: %lu operations by %d processes, seed %u\n",
		       total, RACE_PROCS, self->seed);

	EXPECT_EQ(0, race_snapshot(&self->u, &before));
	for (dir = 0; dir < ARRAY_SIZE(race_dirs); dir++) {
		for (i = 0; i < RACE_NAMES; i++) {
			if (!race_lower(dir, i))
				continue;
			snprintf(path, sizeof(path), "%s/%s/f%d", self->u.b1,
				 race_dirs[dir], i);
			len = lower_make(recs, dir * RACE_NAMES + i);
			EXPECT_TRUE(same_contents(path, recs, len)) {
				TH_LOG("lower %s changed", path);
			}
		}
	}
	/* the work directory is there, readable and empty */
	EXPECT_EQ(0, dir_entries(in(self->u.b0, ".wh..wh.orph")));
	ASSERT_EQ(0, uni_remount(&self->u));
	EXPECT_EQ(0, race_snapshot(&self->u, &after));
	EXPECT_EQ(0, race_diff(&before, &after));
	race_free(&before);
	race_free(&after);
	munmap(ops, page_size);
}

TEST_HARNESS_MAIN

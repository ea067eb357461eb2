// SPDX-License-Identifier: GPL-2.0
/*
 * aufs: page faults of an aufs mapping whose branch does not answer.
 *
 * The read-only branch is a FUSE filesystem served by a thread of the
 * test, which can hold back its answers to READ: a fault on the aufs
 * mapping then waits for branch I/O that does not come, as on a hung
 * network or disk branch.  aufs hands the fault to the branch with the
 * mm's retry flags, so the fault lock is dropped for the wait and the
 * wait is killable: fork(), mmap() and munmap() in other threads go on,
 * and SIGKILL ends the waiting task.  Were the flags cleared, these
 * tests would hang until the harness timeout.  The same branch shows
 * that close(2) of an aufs file reaches it (FLUSH), as NFS and FUSE
 * branches need.  Served writable, as the top branch, it shows that
 * copy_file_range(2) through the union is the branch's own server-side
 * copy (COPY_FILE_RANGE), as on NFS, CIFS or FUSE.  Needs
 * CONFIG_FUSE_FS; skipped without /dev/fuse.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "aufs_util.h"

#define FILE_SIZE	(1024UL * 1024)
#define FILE_INO	2
/* on a writable branch: aufs' two directories, and a file to write */
#define ORPH_INO	3
#define PLNK_INO	4
#define COPY_INO	5
#define COPY_SIZE	(256UL * 1024)
#define MAX_HELD	64
/* held READs are answered after this long, and the test fails */
#define HOLD_SECS	60

/* Byte @off of the file the FUSE branch serves. */
static unsigned char byte_at(uint64_t off)
{
	return (off * 7 + off / 4096) & 0xff;
}

/*
 * A FUSE filesystem with one regular file, "data".  A @writable one also
 * has aufs' directories at its root, as a top branch needs, and the file
 * "copy", whose bytes the filesystem keeps in @copy; it counts the
 * requests that move data.  While @stall is set,
 * READ requests are held back (up to MAX_HELD) instead of answered.  A
 * READ held for HOLD_SECS is answered all the same and @expired is set:
 * a kernel whose fault cannot be interrupted then fails the test
 * instead of hanging the run.
 */
struct branch {
	int fd;
	int wake[2];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool writable;
	bool mounted;
	bool serving;
	bool stall;
	bool quit;
	bool expired;
	int nflush;
	int flush_error;
	int nread, nwrite, ncopy;
	unsigned char copy[COPY_SIZE];
	int nheld;
	time_t held_since;
	struct { uint64_t unique, off; uint32_t size; } held[MAX_HELD];
};

static void reply(struct branch *b, uint64_t unique, int error,
		  const void *arg, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 128 * 1024];
	struct fuse_out_header *out = (void *)buf;

	/* an error carries no argument: FUSE would make it EIO */
	if (error)
		len = 0;
	out->len = sizeof(*out) + len;
	out->error = error;
	out->unique = unique;
	if (len)
		memcpy(out + 1, arg, len);
	/* ENOENT: the request was interrupted meanwhile */
	if (write(b->fd, buf, out->len) < 0 && errno != ENOENT)
		perror("answer to /dev/fuse");
}

static void reply_read(struct branch *b, uint64_t unique, uint64_t off,
		       uint32_t size)
{
	unsigned char data[128 * 1024];
	uint32_t i;

	if (off >= FILE_SIZE)
		size = 0;
	else if (size > FILE_SIZE - off)
		size = FILE_SIZE - off;
	if (size > sizeof(data))
		size = sizeof(data);
	for (i = 0; i < size; i++)
		data[i] = byte_at(off + i);
	reply(b, unique, 0, data, size);
}

static void fill_attr(struct fuse_attr *attr, uint64_t ino)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = ino;
	switch (ino) {
	case FUSE_ROOT_ID:
		attr->nlink = 2;
		attr->mode = S_IFDIR | 0755;
		break;
	case ORPH_INO:
	case PLNK_INO:
		attr->nlink = 2;
		attr->mode = S_IFDIR | 0700;
		break;
	default:
		attr->nlink = 1;
		attr->mode = S_IFREG | 0644;
		attr->size = ino == COPY_INO ? COPY_SIZE : FILE_SIZE;
		break;
	}
	attr->blocks = attr->size / 512;
	attr->blksize = 4096;
}

/* The inode of @name in the root, or 0. */
static uint64_t lookup_name(struct branch *b, const char *name)
{
	if (!strcmp(name, "data"))
		return FILE_INO;
	if (!b->writable)
		return 0;
	if (!strcmp(name, "copy"))
		return COPY_INO;
	if (!strcmp(name, ".wh..wh.orph"))
		return ORPH_INO;
	if (!strcmp(name, ".wh..wh.plnk"))
		return PLNK_INO;
	return 0;
}

/* Read, write or copy to "copy": the byte count, or -EINVAL. */
static int copy_range(uint64_t off, uint64_t len)
{
	if (off > COPY_SIZE || len > COPY_SIZE - off)
		return -EINVAL;
	return len;
}

/* READ of "copy", from what was written to it. */
static void reply_read_copy(struct branch *b, uint64_t unique, uint64_t off,
			    uint32_t size)
{
	if (off > COPY_SIZE)
		off = COPY_SIZE;
	if (size > COPY_SIZE - off)
		size = COPY_SIZE - off;
	reply(b, unique, 0, b->copy + off, size);
}

/* WRITE and COPY_FILE_RANGE into "copy"; the server's copy needs no READ. */
static void handle_write(struct branch *b, struct fuse_in_header *in,
			 void *arg)
{
	struct fuse_copy_file_range_in *cp = arg;
	struct fuse_write_in *wr = arg;
	struct fuse_write_out out = {};
	uint64_t i;
	int n;

	pthread_mutex_lock(&b->lock);
	if (in->opcode == FUSE_WRITE) {
		b->nwrite++;
		n = in->nodeid == COPY_INO ? copy_range(wr->offset, wr->size) :
		    -EACCES;
		if (wr->size > in->len - sizeof(*in) - sizeof(*wr))
			n = -EINVAL;
		if (n > 0)
			memcpy(b->copy + wr->offset, wr + 1, n);
	} else {
		b->ncopy++;
		n = cp->nodeid_out == COPY_INO && in->nodeid == FILE_INO ?
		    copy_range(cp->off_out, cp->len) : -EXDEV;
		if (cp->off_in > FILE_SIZE || cp->len > FILE_SIZE - cp->off_in)
			n = -EINVAL;
		for (i = 0; n > 0 && i < (uint64_t)n; i++)
			b->copy[cp->off_out + i] = byte_at(cp->off_in + i);
	}
	pthread_mutex_unlock(&b->lock);
	out.size = n > 0 ? n : 0;
	reply(b, in->unique, n < 0 ? n : 0, &out, sizeof(out));
}

static void handle(struct branch *b, struct fuse_in_header *in, void *arg)
{
	union {
		struct fuse_init_out init;
		struct fuse_entry_out entry;
		struct fuse_attr_out attr;
		struct fuse_open_out open;
		struct fuse_statfs_out statfs;
	} out;
	struct fuse_read_in *rd = arg;

	memset(&out, 0, sizeof(out));
	switch (in->opcode) {
	case FUSE_INIT:
		out.init.major = FUSE_KERNEL_VERSION;
		out.init.minor = FUSE_KERNEL_MINOR_VERSION;
		out.init.max_readahead = 128 * 1024;
		out.init.flags = FUSE_ASYNC_READ;
		out.init.max_write = 128 * 1024;
		out.init.max_background = 16;
		out.init.congestion_threshold = 12;
		out.init.time_gran = 1;
		reply(b, in->unique, 0, &out.init, sizeof(out.init));
		break;
	case FUSE_LOOKUP:
		out.entry.nodeid = in->nodeid == FUSE_ROOT_ID ?
				   lookup_name(b, arg) : 0;
		if (!out.entry.nodeid) {
			reply(b, in->unique, -ENOENT, NULL, 0);
			break;
		}
		out.entry.entry_valid = 3600;
		out.entry.attr_valid = 3600;
		fill_attr(&out.entry.attr, out.entry.nodeid);
		reply(b, in->unique, 0, &out.entry, sizeof(out.entry));
		break;
	case FUSE_SETATTR:	/* times and modes; sizes stay */
	case FUSE_GETATTR:
		out.attr.attr_valid = 3600;
		fill_attr(&out.attr.attr, in->nodeid);
		reply(b, in->unique, 0, &out.attr, sizeof(out.attr));
		break;
	case FUSE_OPEN:
	case FUSE_OPENDIR:
		out.open.fh = in->nodeid;
		out.open.open_flags = FOPEN_KEEP_CACHE;
		reply(b, in->unique, 0, &out.open, sizeof(out.open));
		break;
	case FUSE_READDIR:	/* aufs' directories are empty */
		reply(b, in->unique, 0, NULL, 0);
		break;
	case FUSE_WRITE:
	case FUSE_COPY_FILE_RANGE:
		handle_write(b, in, arg);
		break;
	case FUSE_READ:
		pthread_mutex_lock(&b->lock);
		b->nread++;
		if (in->nodeid == COPY_INO) {
			pthread_mutex_unlock(&b->lock);
			reply_read_copy(b, in->unique, rd->offset, rd->size);
			break;
		}
		if (b->stall && b->nheld < MAX_HELD) {
			if (!b->nheld)
				b->held_since = time(NULL);
			b->held[b->nheld].unique = in->unique;
			b->held[b->nheld].off = rd->offset;
			b->held[b->nheld].size = rd->size;
			b->nheld++;
			pthread_cond_broadcast(&b->cond);
			pthread_mutex_unlock(&b->lock);
			break;
		}
		pthread_mutex_unlock(&b->lock);
		reply_read(b, in->unique, rd->offset, rd->size);
		break;
	case FUSE_STATFS:
		out.statfs.st.bsize = 4096;
		out.statfs.st.namelen = 255;
		out.statfs.st.frsize = 4096;
		reply(b, in->unique, 0, &out.statfs, sizeof(out.statfs));
		break;
	case FUSE_FLUSH:
		pthread_mutex_lock(&b->lock);
		b->nflush++;
		reply(b, in->unique, b->flush_error, NULL, 0);
		pthread_mutex_unlock(&b->lock);
		break;
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
		reply(b, in->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;		/* no answer expected */
	default:
		reply(b, in->unique, -EOPNOTSUPP, NULL, 0);
		break;
	}
}

/* Answer what was held back; with @stall false, answer from now on. */
static void release_held(struct branch *b, bool stall)
{
	int i, n;

	pthread_mutex_lock(&b->lock);
	b->stall = stall;
	n = b->nheld;
	b->nheld = 0;
	for (i = 0; i < n; i++)
		reply_read(b, b->held[i].unique, b->held[i].off,
			   b->held[i].size);
	pthread_mutex_unlock(&b->lock);
}

/* Wait until a READ is held back; false after @secs seconds. */
static bool wait_held(struct branch *b, int secs)
{
	struct timespec until;
	bool held;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	pthread_mutex_lock(&b->lock);
	while (!b->nheld &&
	       pthread_cond_timedwait(&b->cond, &b->lock, &until) == 0)
		;
	held = b->nheld > 0;
	pthread_mutex_unlock(&b->lock);
	return held;
}

static void *serve(void *arg)
{
	static char buf[FUSE_MIN_READ_BUFFER + 128 * 1024];
	struct branch *b = arg;
	struct pollfd pfd[2] = {
		{ .fd = b->fd, .events = POLLIN },
		{ .fd = b->wake[0], .events = POLLIN },
	};
	ssize_t n;

	while (!__atomic_load_n(&b->quit, __ATOMIC_RELAXED)) {
		n = poll(pfd, 2, 1000);
		if (n < 0 || pfd[1].revents)
			break;
		pthread_mutex_lock(&b->lock);
		if (b->nheld && time(NULL) - b->held_since >= HOLD_SECS)
			b->expired = true;
		pthread_mutex_unlock(&b->lock);
		if (__atomic_load_n(&b->expired, __ATOMIC_RELAXED))
			release_held(b, false);
		if (!n)
			continue;
		n = read(b->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			break;	/* unmounted (ENODEV) */
		handle(b, (void *)buf, buf + sizeof(struct fuse_in_header));
	}
	return NULL;
}

static int flushes(struct branch *b, int error)
{
	int n;

	pthread_mutex_lock(&b->lock);
	n = b->nflush;
	b->flush_error = error;
	pthread_mutex_unlock(&b->lock);
	return n;
}

static void branch_stop(struct branch *b, const char *dir);

/*
 * Serve @b on @dir, a new directory.  Return: 0, or -1 with errno set
 * and nothing left behind.
 */
static int branch_start(struct branch *b, const char *dir)
{
	char opts[256];
	int err;

	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	b->fd = -1;
	b->wake[0] = -1;
	b->wake[1] = -1;
	if (mkdir(dir, 0755))
		return -1;
	b->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (b->fd < 0 || pipe(b->wake))
		goto fail;
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions",
		 b->fd);
	if (mount("stall", dir, "fuse", MS_NOSUID | MS_NODEV, opts))
		goto fail;
	b->mounted = true;
	errno = pthread_create(&b->thread, NULL, serve, b);
	if (errno)
		goto fail;
	b->serving = true;
	return 0;
fail:
	err = errno;
	branch_stop(b, dir);
	errno = err;
	return -1;
}

/* Undo branch_start(); the union on it is unmounted already. */
static void branch_stop(struct branch *b, const char *dir)
{
	if (b->mounted && umount2(dir, MNT_DETACH))
		perror("umount of the FUSE branch");
	b->mounted = false;
	if (b->serving) {
		__atomic_store_n(&b->quit, true, __ATOMIC_RELAXED);
		if (write(b->wake[1], "q", 1) != 1)
			perror("wake the FUSE thread");
		pthread_join(b->thread, NULL);
	}
	b->serving = false;
	if (b->fd >= 0)
		close(b->fd);
	if (b->wake[0] >= 0) {
		close(b->wake[0]);
		close(b->wake[1]);
	}
	b->fd = -1;
	b->wake[0] = -1;
	b->wake[1] = -1;
	rmdir(dir);
}

FIXTURE(stall) {
	char base[64];
	char fuse[80];
	char rw[80];
	char mnt[80];
	char data[96];
	struct branch b;
	bool mounted;
};

FIXTURE_SETUP(stall)
{
	char opts[256];
	int ret;

	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	if (access("/dev/fuse", R_OK | W_OK))
		SKIP(return, "no /dev/fuse (CONFIG_FUSE_FS)");
	snprintf(self->base, sizeof(self->base), "/tmp/aufs_stall.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->base));
	snprintf(self->fuse, sizeof(self->fuse), "%s/fuse", self->base);
	snprintf(self->rw, sizeof(self->rw), "%s/rw", self->base);
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->base);
	snprintf(self->data, sizeof(self->data), "%s/data", self->mnt);
	ASSERT_EQ(0, mkdir(self->rw, 0755));
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
	ASSERT_EQ(0, branch_start(&self->b, self->fuse)) {
		TH_LOG("FUSE branch: %s", strerror(errno));
	}

	snprintf(opts, sizeof(opts), "br=%s=rw:%s=ro", self->rw, self->fuse);
	/* the teardown does not run after a failed setup */
	ret = mount("none", self->mnt, "aufs", 0, opts) ? errno : 0;
	if (ret)
		branch_stop(&self->b, self->fuse);
	ASSERT_EQ(0, ret) TH_LOG("mount: %s", strerror(ret));
	self->mounted = true;
}

FIXTURE_TEARDOWN(stall)
{
	flushes(&self->b, 0);	/* an error a failed test left armed */
	if (self->b.serving)
		release_held(&self->b, false);
	/* Fails with EBUSY if a mapping or a fault leaked a reference. */
	if (self->mounted)
		EXPECT_EQ(0, umount(self->mnt));
	branch_stop(&self->b, self->fuse);
	rmdir(self->mnt);
	rmdir(self->rw);
	rmdir(self->base);
}

struct faulter {
	const unsigned char *map;
	uint64_t off;
	int got;
};

static void *fault_one(void *arg)
{
	struct faulter *f = arg;

	f->got = f->map[f->off];
	return NULL;
}

static const unsigned char *map_data(const char *path)
{
	int fd = open(path, O_RDONLY);
	void *map;

	if (fd < 0)
		return NULL;
	map = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return map == MAP_FAILED ? NULL : map;
}

/*
 * A thread's fault waits for a branch READ that is held back.  Another
 * thread forks (which write-locks every VMA of the process, the waiting
 * one included) and maps and unmaps memory (mmap_lock for write): none of
 * it may wait for the branch.  Then the branch answers and the fault
 * returns the branch data.
 */
TEST_F_TIMEOUT(stall, fork_and_mmap_go_on_while_a_fault_waits, 120)
{
	struct faulter f = { .off = 5 * 4096 + 17 };
	pthread_t tid;
	int status;
	pid_t pid;
	void *p;

	f.map = map_data(self->data);
	ASSERT_NE(NULL, f.map);
	release_held(&self->b, true);
	ASSERT_EQ(0, pthread_create(&tid, NULL, fault_one, &f));
	ASSERT_TRUE(wait_held(&self->b, 60));

	/* with the fault lock held for the wait, these would hang */
	p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, munmap(p, 1 << 20));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	release_held(&self->b, false);
	pthread_join(tid, NULL);
	EXPECT_FALSE(self->b.expired) TH_LOG("fork waited for the branch");
	EXPECT_EQ(byte_at(f.off), f.got);
	EXPECT_EQ(0, munmap((void *)f.map, FILE_SIZE));
}

/*
 * SIGKILL ends a process whose fault waits for a branch that does not
 * answer; the union can be unmounted once the branch answers.
 */
TEST_F_TIMEOUT(stall, sigkill_ends_a_fault_that_waits, 120)
{
	const unsigned char *map = map_data(self->data);
	int status;
	pid_t pid;

	ASSERT_NE(NULL, map);
	release_held(&self->b, true);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(map[9 * 4096] == byte_at(9 * 4096) ? 0 : 1);
	ASSERT_TRUE(wait_held(&self->b, 60));
	EXPECT_EQ(0, kill(pid, SIGKILL));
	/* with the wait not killable, this would hang */
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_FALSE(self->b.expired) TH_LOG("SIGKILL waited for the branch");
	release_held(&self->b, false);
	EXPECT_EQ(byte_at(9 * 4096 + 3), map[9 * 4096 + 3]);
	EXPECT_EQ(0, munmap((void *)map, FILE_SIZE));
}

/*
 * close(2) of an aufs file reaches the branch file's ->flush, once per
 * descriptor closed, and returns its error: a FUSE server sees the
 * close, as NFS writes back and reports errors at close.
 */
TEST_F(stall, close_reaches_the_branch)
{
	int fd, fd2, before;

	fd = open(self->data, O_RDONLY);
	ASSERT_LE(0, fd);
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	before = flushes(&self->b, 0);
	EXPECT_EQ(0, close(fd2));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(before + 2, flushes(&self->b, -EIO));

	fd = open(self->data, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, close(fd));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(before + 3, flushes(&self->b, 0));
}

/* A union whose only branch, writable, is the FUSE filesystem. */
FIXTURE(fusetop) {
	char base[64];
	char fuse[80];
	char mnt[80];
	struct branch b;
	int in, out;
	bool mounted;
};

FIXTURE_SETUP(fusetop)
{
	char opts[128];
	int ret;

	self->in = -1;
	self->out = -1;
	if (aufs_unavailable())
		SKIP(return, "%s", aufs_unavailable());
	if (access("/dev/fuse", R_OK | W_OK))
		SKIP(return, "no /dev/fuse (CONFIG_FUSE_FS)");
	snprintf(self->base, sizeof(self->base), "/tmp/aufs_fusetop.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->base));
	snprintf(self->fuse, sizeof(self->fuse), "%s/fuse", self->base);
	snprintf(self->mnt, sizeof(self->mnt), "%s/mnt", self->base);
	ASSERT_EQ(0, mkdir(self->mnt, 0755));
	self->b.writable = true;
	ASSERT_EQ(0, branch_start(&self->b, self->fuse)) {
		TH_LOG("FUSE branch: %s", strerror(errno));
	}
	snprintf(opts, sizeof(opts), "br=%s=rw", self->fuse);
	ret = mount("none", self->mnt, "aufs", 0, opts) ? errno : 0;
	if (ret)
		branch_stop(&self->b, self->fuse);
	ASSERT_EQ(0, ret) TH_LOG("mount: %s", strerror(ret));
	self->mounted = true;
}

FIXTURE_TEARDOWN(fusetop)
{
	if (self->in >= 0)
		close(self->in);
	if (self->out >= 0)
		close(self->out);
	if (self->mounted)
		EXPECT_EQ(0, umount(self->mnt));
	branch_stop(&self->b, self->fuse);
	rmdir(self->mnt);
	rmdir(self->base);
}

/*
 * copy_file_range(2) between two files of the union on one branch is
 * the branch's own copy: a FUSE server gets one COPY_FILE_RANGE and no
 * READ or WRITE (NFS and CIFS copy on the server the same way).  The
 * copy is what the union then reads.
 */
TEST_F(fusetop, copy_file_range_is_done_by_the_branch)
{
	char path[96];
	static unsigned char got[64 * 1024];
	loff_t off_in = 3 * 4096 + 5, off_out = 4096;
	int i, nread, nwrite, ncopy;
	ssize_t len = sizeof(got), n;

	snprintf(path, sizeof(path), "%s/data", self->mnt);
	self->in = open(path, O_RDONLY);
	ASSERT_LE(0, self->in);
	snprintf(path, sizeof(path), "%s/copy", self->mnt);
	self->out = open(path, O_RDWR);
	ASSERT_LE(0, self->out);
	n = copy_file_range(self->in, &off_in, self->out, &off_out, len, 0);
	EXPECT_EQ(len, n) TH_LOG("copy_file_range: %s", strerror(errno));
	pthread_mutex_lock(&self->b.lock);
	nread = self->b.nread;
	nwrite = self->b.nwrite;
	ncopy = self->b.ncopy;
	pthread_mutex_unlock(&self->b.lock);
	EXPECT_EQ(1, ncopy);
	EXPECT_EQ(0, nread);
	EXPECT_EQ(0, nwrite);

	EXPECT_EQ(len, pread(self->out, got, len, 4096));
	for (i = 0; i < len; i++)
		if (got[i] != byte_at(3 * 4096 + 5 + i))
			break;
	EXPECT_EQ(len, i) TH_LOG("the copy differs at byte %d", i);
}

TEST_HARNESS_MAIN

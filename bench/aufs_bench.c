// SPDX-License-Identifier: GPL-2.0
/*
 * aufs benchmarks, run in the guest by "make bench".
 *
 * Every metric is measured on three targets built from the same tmpfs
 * directories in one boot: the branch filesystem itself ("native"),
 * overlayfs over the same layers, and aufs over the same layers.  Each
 * metric is a rate (higher is better; the latency rows say "lower is
 * better"), measured REPS times; the table shows the minimum and the
 * median, and the ratios of the medians.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPS		3
#define BIG		(256L << 20)
#define WSIZE		(64L << 20)
#define ROOT		"/bench"

enum { NATIVE, OVL, AUFS, NTARGET };
static const char *const tname[NTARGET] = { "native", "overlay", "aufs" };

static long page;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(1);
}

static char *path(const char *fmt, ...)
{
	static char buf[8][4096];
	static int next;
	char *p = buf[next++ % 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, 4096, fmt, ap);
	va_end(ap);
	return p;
}

static void mkdirs(const char *p)
{
	char tmp[4096], *s;

	snprintf(tmp, sizeof(tmp), "%s", p);
	for (s = tmp + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(tmp, 0755);
			*s = '/';
		}
	}
	mkdir(tmp, 0755);
}

static void fill(const char *p, long size, int sparse)
{
	static char buf[1 << 20];
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long done;

	if (fd < 0)
		die("%s", p);
	memset(buf, 'a', sizeof(buf));
	if (sparse) {
		if (pwrite(fd, buf, 4096, 0) != 4096 ||
		    pwrite(fd, buf, 4096, size / 2) != 4096 ||
		    ftruncate(fd, size))
			die("%s", p);
	} else {
		for (done = 0; done < size; done += sizeof(buf))
			if (write(fd, buf, sizeof(buf)) != sizeof(buf))
				die("%s", p);
	}
	close(fd);
}

static void touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		die("%s", p);
	close(fd);
}

/* Mount the three targets over layers top..., the top one writable. */
static void mount_targets(const char *name, char **layers, int n)
{
	char opts[65536];
	int i, len;

	mkdirs(path("%s/m/%s/ovl", ROOT, name));
	mkdirs(path("%s/m/%s/aufs", ROOT, name));
	/* overlayfs wants its work dir on the upper layer's filesystem */
	mkdirs(path("%s.work", layers[0]));
	len = snprintf(opts, sizeof(opts), "upperdir=%s,workdir=%s.work,lowerdir=",
		       layers[0], layers[0]);
	for (i = 1; i < n; i++)
		len += snprintf(opts + len, sizeof(opts) - len, "%s%s",
				i > 1 ? ":" : "", layers[i]);
	if (n == 1)
		len += snprintf(opts + len, sizeof(opts) - len, "%s/empty", ROOT);
	if (mount("overlay", path("%s/m/%s/ovl", ROOT, name), "overlay", 0, opts))
		die("overlay %s", name);
	len = snprintf(opts, sizeof(opts), "br=%s=rw", layers[0]);
	for (i = 1; i < n; i++)
		len += snprintf(opts + len, sizeof(opts) - len, ":%s=ro",
				layers[i]);
	if (mount("none", path("%s/m/%s/aufs", ROOT, name), "aufs", 0, opts))
		die("aufs %s", name);
}

static void umount_targets(const char *name)
{
	umount(path("%s/m/%s/ovl", ROOT, name));
	umount(path("%s/m/%s/aufs", ROOT, name));
}

/* Where target @t shows layer set @name; native is @native_dir. */
static const char *tdir(int t, const char *name, const char *native_dir)
{
	if (t == NATIVE)
		return native_dir;
	return path("%s/m/%s/%s", ROOT, name, t == OVL ? "ovl" : "aufs");
}

/* ---- results ---- */

struct result {
	char name[64];
	const char *unit;
	double v[NTARGET][REPS];
};

static struct result results[64];
static int nresults;

static struct result *result(const char *unit, const char *fmt, ...)
{
	struct result *r = &results[nresults++];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	r->unit = unit;
	fprintf(stderr, "# measuring %s\n", r->name);
	return r;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	double s[REPS];

	memcpy(s, v, sizeof(s));
	qsort(s, REPS, sizeof(double), cmpd);
	return s[REPS / 2];
}

static double minimum(double *v)
{
	double s[REPS];

	memcpy(s, v, sizeof(s));
	qsort(s, REPS, sizeof(double), cmpd);
	return s[0];
}

/* ---- metrics ---- */

static void start_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	errno = pthread_create(tid, NULL, fn, arg);
	if (errno)
		die("pthread_create");
}

struct toucher {
	char *map;
	long from, to;
	int write;
};

static void *touch_range(void *arg)
{
	struct toucher *t = arg;
	volatile char sink = 0;
	long off;

	for (off = t->from; off < t->to; off += page) {
		if (t->write)
			t->map[off] = 1;
		else
			sink += t->map[off];
	}
	(void)sink;
	return NULL;
}

struct prober {
	volatile int stop;
	double worst;
};

/* Map and unmap an anonymous page until told to stop: the longest pair. */
static void *probe_mmap(void *arg)
{
	struct prober *p = arg;
	double t0;
	void *m;

	while (!p->stop) {
		t0 = now();
		m = mmap(NULL, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED)
			munmap(m, page);
		t0 = now() - t0;
		if (t0 > p->worst)
			p->worst = t0;
	}
	return NULL;
}

/*
 * Pages per second faulted into a fresh mapping by @threads threads.
 * With @worst, another thread maps and unmaps memory meanwhile (it needs
 * mmap_lock for write), and *@worst is its longest mmap+munmap, in s.
 */
static double fault_rate(const char *file, long size, int threads, int write,
			 double *worst)
{
	struct prober probe = { 0, 0 };
	pthread_t tid[8], ptid;
	struct toucher t[8];
	int fd = open(file, write ? O_RDWR : O_RDONLY), i;
	char *map;
	double t0, t1;

	if (fd < 0)
		die("%s", file);
	map = mmap(NULL, size, write ? PROT_READ | PROT_WRITE : PROT_READ,
		   MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap %s", file);
	if (worst)
		start_thread(&ptid, probe_mmap, &probe);
	t0 = now();
	for (i = 0; i < threads; i++) {
		t[i] = (struct toucher){ map, size / threads * i,
					 size / threads * (i + 1), write };
		start_thread(&tid[i], touch_range, &t[i]);
	}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	t1 = now();
	if (worst) {
		probe.stop = 1;
		pthread_join(ptid, NULL);
		*worst = probe.worst;
	}
	munmap(map, size);
	close(fd);
	return size / page / (t1 - t0);
}

static double read_rate(const char *file, size_t bs)
{
	static char buf[1 << 20];
	int fd = open(file, O_RDONLY);
	double t0 = now();
	long total = 0;
	ssize_t n;

	if (fd < 0)
		die("%s", file);
	while ((n = read(fd, buf, bs)) > 0)
		total += n;
	close(fd);
	return total / (now() - t0) / (1 << 20);
}

static double write_rate(const char *file, size_t bs)
{
	static char buf[1 << 20];
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	double t0 = now(), rate;
	long total;

	if (fd < 0)
		die("%s", file);
	for (total = 0; total < WSIZE; total += bs)
		if (write(fd, buf, bs) != (ssize_t)bs)
			die("write %s", file);
	close(fd);
	rate = total / (now() - t0) / (1 << 20);
	unlink(file);
	return rate;
}

static double stat_rate(const char *p, int count)
{
	struct stat st;
	double t0 = now();
	int i;

	for (i = 0; i < count; i++)
		if (stat(p, &st))
			die("stat %s", p);
	return count / (now() - t0);
}

static double open_close_rate(const char *p, int count)
{
	double t0 = now();
	int i, fd;

	for (i = 0; i < count; i++) {
		fd = open(p, O_RDONLY);
		if (fd < 0)
			die("open %s", p);
		close(fd);
	}
	return count / (now() - t0);
}

struct par {
	char p[4096];
	int count;
	double (*fn)(const char *p, int count);
	pthread_barrier_t *start;
	double t0, t1;
};

static void *par_run(void *arg)
{
	struct par *w = arg;

	pthread_barrier_wait(w->start);
	w->t0 = now();
	w->fn(w->p, w->count);
	w->t1 = now();
	return NULL;
}

/*
 * Operations per second of two threads at once, each @count times on
 * its own name (@p0, @p1), started together, from the first start to
 * the last end.  The
 * names share the directories above them, which a path walk only
 * reads; what else the threads share is the filesystem's state.
 */
static double par_rate(double (*fn)(const char *p, int count),
		       const char *p0, const char *p1, int count)
{
	pthread_barrier_t start;
	struct par w[2] = { { .count = count, .fn = fn, .start = &start },
			    { .count = count, .fn = fn, .start = &start } };
	pthread_t tid[2];
	int i;

	snprintf(w[0].p, sizeof(w[0].p), "%s", p0);
	snprintf(w[1].p, sizeof(w[1].p), "%s", p1);
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++)
		start_thread(&tid[i], par_run, &w[i]);
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start);
	return 2 * count / ((w[0].t1 > w[1].t1 ? w[0].t1 : w[1].t1) -
			    (w[0].t0 < w[1].t0 ? w[0].t0 : w[1].t0));
}

static double create_unlink_rate(const char *where, int count)
{
	char dir[4096];
	double t0 = now();
	int i;

	/* path() recycles its buffers: keep our own copy */
	snprintf(dir, sizeof(dir), "%s", where);
	for (i = 0; i < count; i++) {
		const char *p = path("%s/c%d", dir, i);

		touch(p);
		if (unlink(p))
			die("unlink %s", p);
	}
	return count / (now() - t0);
}

static double readdir_rate(const char *dir)
{
	double t0 = now();
	DIR *d = opendir(dir);
	long n = 0;

	if (!d)
		die("%s", dir);
	while (readdir(d))
		n++;
	closedir(d);
	return n / (now() - t0);
}

/*
 * entries/s of a listing of @dir right after it changed: a name made and
 * removed through @dir first, which a union's kept listing must notice.
 */
static double readdir_changed_rate(const char *dir)
{
	char *p = path("%s/.bench_change", dir);

	touch(p);
	if (unlink(p))
		die("unlink %s", p);
	return readdir_rate(dir);
}

/* entries/s of a second listing of @dir, unchanged since the first. */
static double readdir_again_rate(const char *dir)
{
	readdir_rate(dir);
	return readdir_rate(dir);
}

/* MiB/s of a copy-up triggered by opening @p for writing. */
static double copy_up_rate(const char *p, long size)
{
	double t0 = now();
	int fd = open(p, O_RDWR);

	if (fd < 0)
		die("open %s", p);
	close(fd);
	return size / (now() - t0) / (1 << 20);
}

/* MiB/s of copying @from to @to with a read/write loop, as cp does. */
static double cp_rate(const char *from, const char *to, long size)
{
	static char buf[1 << 17];
	int in = open(from, O_RDONLY), out;
	double t0 = now();
	ssize_t n;

	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0)
		die("cp %s", from);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			die("cp %s", to);
	fsync(out);
	close(in);
	close(out);
	return size / (now() - t0) / (1 << 20);
}

/* 2: dentries and inodes, 3: and the page cache (after a sync) */
static void drop_caches(int what)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	char c = '0' + what;

	sync();
	if (fd >= 0) {
		if (write(fd, &c, 1) != 1)
			perror("drop_caches");
		close(fd);
	}
}

static void put_text(const char *p, const char *text)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("%s", p);
	close(fd);
}

static double run(const char *cmd)
{
	double t0 = now();

	if (system(cmd))
		die("%s", cmd);
	return 1 / (now() - t0);
}

/*
 * The metrics on one branch filesystem: @l0 (top, writable) and @l1
 * (lower) are fresh directories on it.  @io_only: just the I/O-bound
 * ones (read/write throughput, copy-up), for a disk-backed filesystem.
 */
static void bench_layers(const char *fs, const char *name, const char *l0,
			 const char *l1, long big, int io_only)
{
	static const int threads[] = { 1, 2, 4 };
	char *layers[2];
	struct result *r;
	int t, rep, i, k;

	mkdirs(l0);
	mkdirs(l1);
	fill(path("%s/big", l1), big, 0);
	fill(path("%s/wfile", l0), WSIZE, 0);
	touch(path("%s/small", l1));
	touch(path("%s/small2", l1));
	/* a lower file per target and repetition: each is copied once */
	for (t = 0; t < NTARGET; t++) {
		for (rep = 0; rep < REPS; rep++) {
			fill(path("%s/dense%d%d", l1, t, rep), WSIZE, 0);
			fill(path("%s/sparse%d%d", l1, t, rep), WSIZE, 1);
		}
	}
	layers[0] = (char *)l0;
	layers[1] = (char *)l1;
	mount_targets(name, layers, 2);
	read_rate(path("%s/big", l1), 1 << 20);	/* warm the page cache */

	for (i = 0; i < 3 && !io_only; i++) {
		r = result("pages/s", "%s: mmap read faults, %d thread%s", fs,
			   threads[i], threads[i] > 1 ? "s" : "");
		for (t = 0; t < NTARGET; t++)
			for (rep = 0; rep < REPS; rep++)
				r->v[t][rep] = fault_rate(path("%s/big",
					tdir(t, name, l1)), big,
					threads[i], 0, NULL);
	}
	/*
	 * On a disk: major faults with the page cache dropped, and the
	 * longest mmap+munmap another thread sees meanwhile (a fault that
	 * held the fault lock for its I/O would show up there).
	 */
	for (i = 0; i < 2 && io_only; i++) {
		int n = i ? 4 : 1;
		struct result *lat;
		double w;

		r = result("pages/s", "%s: mmap read faults, cold, %d thread%s",
			   fs, n, n > 1 ? "s" : "");
		lat = result("ms, lower is better",
			     "%s: longest mmap+munmap meanwhile, %d thread%s",
			     fs, n, n > 1 ? "s" : "");
		for (t = 0; t < NTARGET; t++) {
			for (rep = 0; rep < REPS; rep++) {
				drop_caches(3);
				r->v[t][rep] = fault_rate(path("%s/big",
					tdir(t, name, l1)), big, n, 0, &w);
				lat->v[t][rep] = w * 1000;
			}
		}
	}
	r = io_only ? NULL : result("pages/s", "%s: mmap shared write faults", fs);
	for (t = 0; t < NTARGET && r; t++)
		for (rep = 0; rep < REPS; rep++)
			r->v[t][rep] = fault_rate(path("%s/wfile",
				tdir(t, name, l0)), WSIZE, 1, 1, NULL);
	for (i = 0; i < 2; i++) {
		size_t bs = i ? 1 << 20 : 4096;

		r = result("MiB/s", "%s: read(2), %s buffer", fs,
			   i ? "1 MiB" : "4 KiB");
		for (t = 0; t < NTARGET; t++) {
			for (rep = 0; rep < REPS; rep++) {
				/* on a disk, read from the disk */
				if (io_only)
					drop_caches(3);
				r->v[t][rep] = read_rate(path("%s/big",
					tdir(t, name, l1)), bs);
			}
		}
		r = result("MiB/s", "%s: write(2), %s buffer", fs,
			   i ? "1 MiB" : "4 KiB");
		for (t = 0; t < NTARGET; t++)
			for (rep = 0; rep < REPS; rep++)
				r->v[t][rep] = write_rate(path("%s/wout",
					tdir(t, name, l0)), bs);
	}
	r = io_only ? NULL : result("ops/s", "%s: open+close of a lower file", fs);
	for (t = 0; t < NTARGET && r; t++)
		for (rep = 0; rep < REPS; rep++)
			r->v[t][rep] = open_close_rate(path("%s/small",
				tdir(t, name, l1)), 20000);
	r = io_only ? NULL : result("ops/s",
				    "%s: open+close of a lower file, 2 threads", fs);
	for (t = 0; t < NTARGET && r; t++)
		for (rep = 0; rep < REPS; rep++)
			r->v[t][rep] = par_rate(open_close_rate,
				path("%s/small", tdir(t, name, l1)),
				path("%s/small2", tdir(t, name, l1)), 20000);
	r = io_only ? NULL : result("ops/s", "%s: create+unlink", fs);
	for (t = 0; t < NTARGET && r; t++)
		for (rep = 0; rep < REPS; rep++)
			r->v[t][rep] = create_unlink_rate(
				tdir(t, name, l0), 5000);
	for (k = 0; k < 2; k++) {
		r = result("MiB/s", "%s: copy-up of 64 MiB, %s (native: cp)",
			   fs, k ? "sparse" : "dense");
		for (t = 0; t < NTARGET; t++) {
			for (rep = 0; rep < REPS; rep++) {
				char f[32], *copy;

				snprintf(f, sizeof(f), "%s%d%d",
					 k ? "sparse" : "dense", t, rep);
				if (io_only)
					drop_caches(3);
				if (t == NATIVE) {
					copy = path("%s/cp-%s", l0, f);
					r->v[t][rep] = cp_rate(path("%s/%s", l1, f),
							       copy, WSIZE);
				} else {
					copy = path("%s/%s", tdir(t, name, NULL), f);
					r->v[t][rep] = copy_up_rate(copy, WSIZE);
				}
				/* give the memory back */
				unlink(copy);
			}
		}
	}
	umount_targets(name);
}

/* ---- profiles ("aufs_bench profile", make profile) ---- */

#define TRACING		"/sys/kernel/tracing"
#define PROF_OPS	2000
#define PROF_TOP	25

static void put_trace(const char *file, const char *val)
{
	int fd = open(path("%s/%s", TRACING, file), O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("%s/%s", TRACING, file);
	close(fd);
}

static double read4k_rate(const char *p, int count)
{
	static char buf[4096];
	int fd = open(p, O_RDONLY), i;
	double t0 = now();

	if (fd < 0)
		die("%s", p);
	for (i = 0; i < count; i++)
		if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
			die("read %s", p);
	close(fd);
	return count / (now() - t0);
}

/* Listings of @dir per second, each right after a change in it. */
static double readdir_changed_ops(const char *dir, int count)
{
	double t0 = now();
	int i;

	for (i = 0; i < count; i++)
		readdir_changed_rate(dir);
	return count / (now() - t0);
}

/*
 * Run @fn @PROF_OPS times on @p with the function profiler on, and
 * print the functions that took the most time on this CPU, callees
 * included, per operation.
 */
static void profile_one(const char *what, int t,
			double (*fn)(const char *p, int count), const char *p)
{
	char line[512], name[256];
	unsigned long hits;
	double us;
	FILE *f;
	int n = 0;

	fn(p, 200);		/* warm */
	/* time on the CPU only, not time scheduled out */
	put_trace("options/sleep-time", "0");
	put_trace("function_profile_enabled", "1");
	fn(p, PROF_OPS);
	put_trace("function_profile_enabled", "0");
	printf("\n### %s: %s\n\n", what, tname[t]);
	printf("| function | calls per op | us per op, callees included |\n");
	printf("|---|---|---|\n");
	f = fopen(TRACING "/trace_stat/function0", "r");
	if (!f)
		die("trace_stat");
	while (fgets(line, sizeof(line), f) && n < PROF_TOP) {
		if (sscanf(line, " %255s %lu %lf", name, &hits, &us) != 3)
			continue;
		printf("| %s | %.2f | %.2f |\n", name, (double)hits / PROF_OPS,
		       us / PROF_OPS);
		n++;
	}
	fclose(f);
}

/*
 * Where a call of the rows furthest from native goes: warm stat,
 * open+close of a lower file, create+unlink, a 4 KiB read and a listing
 * of 500 names (250 on each branch) after a change, natively and through
 * both unions, on CPU 0.
 */
static int profile(void)
{
	char *layers[2] = { ROOT "/m/prof/p0", ROOT "/m/prof/p1" };
	cpu_set_t cpus;
	int t, i;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("sched_setaffinity");
	if (mount("nodev", TRACING, "tracefs", 0, NULL) && errno != EBUSY)
		die("tracefs");
	mkdirs(path("%s/a/b/c/d", layers[1]));
	touch(path("%s/a/b/c/d/e0", layers[1]));
	fill(path("%s/small", layers[1]), 4096, 0);
	mkdirs(path("%s/r", layers[0]));
	mkdirs(path("%s/r", layers[1]));
	mkdirs(ROOT "/m/prof/plainr");
	for (i = 0; i < 500; i++) {
		touch(path("%s/r/n%d", layers[i % 2], i));
		touch(path("%s/m/prof/plainr/n%d", ROOT, i));
	}
	mount_targets("prof", layers, 2);
	for (t = 0; t < NTARGET; t++) {
		char top[2048], low[2048], p[4096];

		/* path() recycles its buffers: keep our own copies */
		snprintf(top, sizeof(top), "%s", tdir(t, "prof", layers[0]));
		snprintf(low, sizeof(low), "%s", tdir(t, "prof", layers[1]));

		snprintf(p, sizeof(p), "%s/a/b/c/d/e0", low);
		profile_one("stat, 5 levels, warm", t, stat_rate, p);
		snprintf(p, sizeof(p), "%s/small", low);
		profile_one("open+close of a lower file", t, open_close_rate, p);
		profile_one("read(2), 4 KiB, of an open file", t, read4k_rate, p);
		snprintf(p, sizeof(p), "%s", top);
		profile_one("create+unlink", t, create_unlink_rate, p);
		snprintf(p, sizeof(p), "%s", t == NATIVE ? ROOT "/m/prof/plainr" :
			 path("%s/r", top));
		profile_one("readdir of 500 names after a change", t,
			    readdir_changed_ops, p);
	}
	umount_targets("prof");
	return 0;
}

int main(int argc, char **argv)
{
	/* 127: the most branches aufs takes */
	static const int nbr[] = { 1, 8, 32, 127 };
	char *layers[128];
	struct statfs sf;
	struct result *r;
	int t, rep, i, j;

	page = sysconf(_SC_PAGESIZE);
	mkdirs(ROOT);
	if (mount("tmpfs", ROOT, "tmpfs", 0, "size=90%"))
		die("tmpfs");
	mkdirs(ROOT "/empty");
	if (argc > 1 && !strcmp(argv[1], "profile"))
		return profile();

	/*
	 * Native paths on tmpfs are as deep as the unions'
	 * (ROOT/m/NAME/aufs/...): the walk of the names above a target is
	 * not what is measured.  The ext4 rows open a file once per run.
	 */
	bench_layers("tmpfs", "main", ROOT "/m/main/l0", ROOT "/m/main/l1",
		     BIG, 0);
	if (!statfs("/ext4", &sf) && sf.f_type == 0xEF53)
		bench_layers("ext4", "ext4", "/ext4/bench/l0",
			     "/ext4/bench/l1", BIG / 2, 1);
	else
		fprintf(stderr, "# no ext4 on /ext4: skipping the ext4 variant\n");

	/*
	 * readdir: 10000 names over 4 branches; native: one plain dir.
	 * Listed right after a change, and a second time unchanged.
	 */
	mkdirs(ROOT "/plain10k");
	for (i = 0; i < 4; i++) {
		layers[i] = strdup(path("%s/rd%d", ROOT, i));
		mkdirs(path("%s/d", layers[i]));
		for (j = 0; j < 2500; j++) {
			touch(path("%s/d/n%d_%d", layers[i], i, j));
			touch(path("%s/plain10k/n%d_%d", ROOT, i, j));
		}
	}
	mount_targets("rd", layers, 4);
	r = result("entries/s", "readdir, 10000 names over 4 branches, changed");
	for (t = 0; t < NTARGET; t++)
		for (rep = 0; rep < REPS; rep++)
			r->v[t][rep] = readdir_changed_rate(t == NATIVE ?
				ROOT "/plain10k" : path("%s/d", tdir(t, "rd", NULL)));
	r = result("entries/s", "readdir, 10000 names over 4 branches, again");
	for (t = 0; t < NTARGET; t++)
		for (rep = 0; rep < REPS; rep++)
			r->v[t][rep] = readdir_again_rate(t == NATIVE ?
				ROOT "/plain10k" : path("%s/d", tdir(t, "rd", NULL)));
	umount_targets("rd");

	/* stat of a 5-level path with N branches, the file on the lowest */
	for (i = 0; i < 4; i++) {
		char name[16];
		int n = nbr[i];

		snprintf(name, sizeof(name), "st%d", n);
		for (j = 0; j < n; j++) {
			layers[j] = strdup(path("%s/m/%s/%d", ROOT, name, j));
			mkdirs(path("%s/a/b/c/d", layers[j]));
		}
		for (j = 0; j < 200; j++)
			touch(path("%s/a/b/c/d/e%d", layers[n - 1], j));
		mount_targets(name, layers, n);
		r = result("ops/s", "stat, 5 levels, %d branch%s, cold", n,
			   n > 1 ? "es" : "");
		for (t = 0; t < NTARGET; t++) {
			for (rep = 0; rep < REPS; rep++) {
				double t0;

				if (t != NATIVE) {
					umount_targets(name);
					mount_targets(name, layers, n);
				}
				drop_caches(2);
				t0 = now();
				for (j = 0; j < 200; j++)
					stat_rate(path("%s/a/b/c/d/e%d",
						tdir(t, name, layers[n - 1]), j), 1);
				r->v[t][rep] = 200 / (now() - t0);
			}
		}
		r = result("ops/s", "stat, 5 levels, %d branch%s, warm", n,
			   n > 1 ? "es" : "");
		for (t = 0; t < NTARGET; t++)
			for (rep = 0; rep < REPS; rep++)
				r->v[t][rep] = stat_rate(path("%s/a/b/c/d/e0",
					tdir(t, name, layers[n - 1])), 20000);
		r = i ? NULL : result("ops/s",
				      "stat, 5 levels, %d branch, warm, 2 threads",
				      n);
		for (t = 0; t < NTARGET && r; t++)
			for (rep = 0; rep < REPS; rep++)
				r->v[t][rep] = par_rate(stat_rate,
					path("%s/a/b/c/d/e0",
					     tdir(t, name, layers[n - 1])),
					path("%s/a/b/c/d/e1",
					     tdir(t, name, layers[n - 1])),
					20000);
		umount_targets(name);
	}

	/* end to end: extract a tree, then find and read everything */
	mkdirs(ROOT "/src");
	for (i = 0; i < 40; i++) {
		mkdirs(path("%s/src/dir%d", ROOT, i));
		for (j = 0; j < 25; j++) {
			put_text(path("%s/src/dir%d/file%d.c", ROOT, i, j),
				 "int main(void)\n{\n\treturn 0;\n}\n");
		}
	}
	if (system("cd " ROOT " && tar -cf tree.tar src"))
		die("tar");
	mkdirs(ROOT "/w0");
	mkdirs(ROOT "/w1");
	layers[0] = ROOT "/w0";
	layers[1] = ROOT "/w1";
	mount_targets("wl", layers, 2);
	r = result("runs/s", "tar -x of 1000 files, then find + cat");
	for (t = 0; t < NTARGET; t++) {
		for (rep = 0; rep < REPS; rep++) {
			const char *d = path("%s/r%d", tdir(t, "wl", ROOT "/w0"), rep);

			mkdirs(d);
			r->v[t][rep] = run(path("cd %s && tar -xf %s/tree.tar && "
				"find . -type f -exec cat {} + > /dev/null", d, ROOT));
		}
	}
	umount_targets("wl");

	/* the table */
	printf("| metric | unit | native min / median | overlay min / median | aufs min / median | aufs/native | overlay/native | aufs/overlay |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (i = 0; i < nresults; i++) {
		double m[NTARGET];

		r = &results[i];
		for (t = 0; t < NTARGET; t++)
			m[t] = median(r->v[t]);
		printf("| %s | %s |", r->name, r->unit);
		for (t = 0; t < NTARGET; t++)
			printf(" %.4g / %.4g |", minimum(r->v[t]), m[t]);
		printf(" %.2f | %.2f | %.2f |\n", m[AUFS] / m[NATIVE],
		       m[OVL] / m[NATIVE], m[AUFS] / m[OVL]);
	}
	(void)tname;
	return 0;
}

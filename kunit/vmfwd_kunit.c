// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the aufs fault-forwarding lock (no mount needed).
 *
 * A fake VMA maps a stand-in "aufs file"; its vm_ops forward to fake
 * branch vm_ops whose handlers record what they see.  Both files are real
 * shmem files, so references can be counted.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "aufs.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* vm_fault_t is __bitwise: compare its bits as a plain number */
static unsigned int au_vmf(vm_fault_t ret)
{
	return (__force unsigned int)ret;
}

#define AU_TEST_THREADS		4
#define AU_TEST_FAULTS		20
#define AU_TEST_GATHER_WAIT	(30 * HZ)
#define AU_RETRY_FLAGS \
	(FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_RETRY_NOWAIT)

/**
 * struct au_fake_branch - what the fake branch handlers saw
 * @file: the stand-in aufs file
 * @h_file: the stand-in branch file
 * @ret: what the handlers return
 * @gather: with @gather handlers inside at once, all of them go on;
 *	until then each waits (at most %AU_TEST_GATHER_WAIT) on @gathered
 * @arrived: handlers that reached the gathering point
 * @gathered: completed when @gather handlers are inside
 * @gather_timeouts: handlers that gave up waiting for the others
 * @calls: handler calls
 * @saw_other_file: calls that found anything but @h_file in vm_file
 * @inside: handlers running now
 * @max_inside: most handlers seen running at once
 * @flags: vmf->flags of the last call
 * @opens: branch ->open calls
 * @closes: branch ->close calls
 * @unlock: handlers release the fault lock, as filemap_fault() does
 *	for I/O: they call ->fault_unlock as release_fault_lock() would
 * @unmap: after releasing the lock, the handler removes and frees the
 *	VMA, as a munmap() in another thread may then do
 * @test: the test, for @unmap
 * @file_at_unlock: vm_file right after ->fault_unlock returned
 * @nest: the handler forwards a second call (page_mkwrite) on the same
 *	VMA, with @unlock set for that one only
 * @file_after_inner: vm_file after the nested call returned
 * @nswap_after_inner: calls in flight after the nested call returned
 */
struct au_fake_branch {
	struct file *file;
	struct file *h_file;
	vm_fault_t ret;
	int gather;
	atomic_t arrived;
	struct completion gathered;
	atomic_t gather_timeouts;
	atomic_t calls;
	atomic_t saw_other_file;
	atomic_t inside;
	atomic_t max_inside;
	enum fault_flag flags;
	atomic_t opens;
	atomic_t closes;
	bool unlock;
	bool unmap;
	struct kunit *test;
	struct file *file_at_unlock;
	bool nest;
	struct file *file_after_inner;
	unsigned int nswap_after_inner;
};

static void au_test_vma_remove(struct vm_area_struct *vma);

static struct au_fake_branch *au_fake(struct vm_area_struct *vma)
{
	return vma->vm_private_data;
}

static vm_fault_t au_fake_handler(struct vm_fault *vmf)
{
	struct au_fake_branch *fb = au_fake(vmf->vma);
	int inside, max, arrived;

	atomic_inc(&fb->calls);
	fb->flags = vmf->flags;
	if (READ_ONCE(vmf->vma->vm_file) != fb->h_file)
		atomic_inc(&fb->saw_other_file);
	inside = atomic_inc_return(&fb->inside);
	max = atomic_read(&fb->max_inside);
	while (inside > max && !atomic_try_cmpxchg(&fb->max_inside, &max,
						   inside))
		;
	arrived = fb->gather ? atomic_inc_return(&fb->arrived) : 0;
	if (arrived && arrived <= fb->gather) {
		if (arrived == fb->gather)
			complete_all(&fb->gathered);
		else if (!wait_for_completion_timeout(&fb->gathered,
						      AU_TEST_GATHER_WAIT))
			atomic_inc(&fb->gather_timeouts);
	}
	if (READ_ONCE(vmf->vma->vm_file) != fb->h_file)
		atomic_inc(&fb->saw_other_file);
	atomic_dec(&fb->inside);
	if (fb->nest) {
		struct vm_fault inner = { .vma = vmf->vma, .flags = vmf->flags };

		fb->nest = false;
		fb->unlock = true;
		vmf->vma->vm_ops->page_mkwrite(&inner);
		fb->unlock = false;
		fb->file_after_inner = READ_ONCE(vmf->vma->vm_file);
		fb->nswap_after_inner = au_vmfwd_of(vmf->vma)->nswap;
	}
	if (fb->unlock) {
		struct vm_area_struct *vma = vmf->vma;

		vma->vm_ops->fault_unlock(vmf);
		fb->file_at_unlock = READ_ONCE(vma->vm_file);
		if (fb->unmap) {
			au_test_vma_remove(vma);
			kunit_kfree(fb->test, vma);
		}
	}
	return fb->ret;
}

static vm_fault_t au_fake_map_pages(struct vm_fault *vmf, pgoff_t start,
				    pgoff_t end)
{
	return au_fake_handler(vmf);
}

static void au_fake_open(struct vm_area_struct *vma)
{
	struct au_fake_branch *fb = au_fake(vma);

	if (vma->vm_file != fb->h_file)
		atomic_inc(&fb->saw_other_file);
	atomic_inc(&fb->opens);
}

static void au_fake_close(struct vm_area_struct *vma)
{
	struct au_fake_branch *fb = au_fake(vma);

	if (vma->vm_file != fb->h_file)
		atomic_inc(&fb->saw_other_file);
	atomic_inc(&fb->closes);
}

static const struct vm_operations_struct au_fake_ops = {
	.open		= au_fake_open,
	.close		= au_fake_close,
	.fault		= au_fake_handler,
	.map_pages	= au_fake_map_pages,
	.page_mkwrite	= au_fake_handler,
	.pfn_mkwrite	= au_fake_handler,
};

static const struct vm_operations_struct au_fake_fault_only_ops = {
	.fault		= au_fake_handler,
};

KUNIT_DEFINE_ACTION_WRAPPER(au_test_fput, fput, struct file *);

static struct file *au_test_file(struct kunit *test, const char *name)
{
	struct file *file = shmem_file_setup(name, PAGE_SIZE, 0);

	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, au_test_fput,
							file), 0);
	return file;
}

/* A fake VMA on @fb->file forwarding to @h_ops; freed by the test. */
static struct vm_area_struct *au_test_vma(struct kunit *test,
					  struct au_fake_branch *fb,
					  const struct vm_operations_struct *h_ops)
{
	struct vm_area_struct *vma = kunit_kzalloc(test, sizeof(*vma),
						   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vma);
	vma->vm_file = get_file(fb->file);
	vma->vm_private_data = fb;
	KUNIT_ASSERT_EQ(test, au_vmfwd_attach(vma, fb->file, fb->h_file,
					      h_ops), 0);
	return vma;
}

/* What the mm does when it removes a VMA. */
static void au_test_vma_remove(struct vm_area_struct *vma)
{
	vma->vm_ops->close(vma);
	fput(vma->vm_file);
	vma->vm_file = NULL;
}

static struct au_fake_branch *au_test_branch(struct kunit *test)
{
	struct au_fake_branch *fb = kunit_kzalloc(test, sizeof(*fb),
						  GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fb);
	fb->file = au_test_file(test, "aufs-kunit-file");
	fb->h_file = au_test_file(test, "aufs-kunit-h_file");
	return fb;
}

static void au_vmfwd_fault_sees_branch_file(struct kunit *test)
{
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	struct vm_fault vmf = { .vma = vma };

	KUNIT_EXPECT_EQ(test, au_vmf(vma->vm_ops->fault(&vmf)), au_vmf(0));
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->saw_other_file), 0);
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, fb->file);
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_private_data, (void *)fb);
	KUNIT_EXPECT_EQ(test, au_vmfwd_of(vma)->nswap, 0);
	au_test_vma_remove(vma);
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->closes), 1);
}

static void au_vmfwd_forwards_only_branch_ops(struct kunit *test)
{
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *full = au_test_vma(test, fb, &au_fake_ops);
	struct vm_area_struct *bare = au_test_vma(test, fb,
						  &au_fake_fault_only_ops);

	KUNIT_EXPECT_NOT_NULL(test, full->vm_ops->map_pages);
	KUNIT_EXPECT_NOT_NULL(test, full->vm_ops->page_mkwrite);
	KUNIT_EXPECT_NOT_NULL(test, bare->vm_ops->fault);
	KUNIT_EXPECT_NULL(test, bare->vm_ops->map_pages);
	KUNIT_EXPECT_NULL(test, bare->vm_ops->page_mkwrite);
	KUNIT_EXPECT_NULL(test, bare->vm_ops->pfn_mkwrite);
	KUNIT_EXPECT_NULL(test, bare->vm_ops->huge_fault);
	/*
	 * open and close are always aufs' own: they carry the VMA state;
	 * may_split too: it keeps faults out while the VMA is copied
	 */
	KUNIT_EXPECT_NOT_NULL(test, bare->vm_ops->open);
	KUNIT_EXPECT_NOT_NULL(test, bare->vm_ops->close);
	KUNIT_EXPECT_NOT_NULL(test, bare->vm_ops->may_split);
	au_test_vma_remove(full);
	au_test_vma_remove(bare);
}

/* The branch gets the fault flags as the mm set them, retry included. */
static void au_vmfwd_fault_flags_pass_through(struct kunit *test)
{
	static const enum fault_flag flags = FAULT_FLAG_WRITE |
		FAULT_FLAG_VMA_LOCK | FAULT_FLAG_USER |
		FAULT_FLAG_INTERRUPTIBLE | AU_RETRY_FLAGS;
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	struct vm_fault vmf = { .vma = vma, .flags = flags };

	vma->vm_ops->fault(&vmf);
	KUNIT_EXPECT_EQ(test, fb->flags, flags);
	vma->vm_ops->page_mkwrite(&vmf);
	KUNIT_EXPECT_EQ(test, fb->flags, flags);
	vma->vm_ops->map_pages(&vmf, 0, 1);
	KUNIT_EXPECT_EQ(test, fb->flags, flags);
	KUNIT_EXPECT_EQ(test, vmf.flags, flags);
	au_test_vma_remove(vma);
}

/*
 * A handler releases the fault lock (I/O, a fatal signal): the call
 * ends at ->fault_unlock, with the aufs file back in vm_file before the
 * lock goes, and the forwarder does not touch the VMA afterwards, which
 * may be freed at once (KASAN checks that in the KASAN run).
 */
static void au_vmfwd_lock_released_during_fault(struct kunit *test)
{
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	long file_refs = file_count(fb->file) - 1;	/* the VMA's goes */
	long h_file_refs = file_count(fb->h_file);
	struct vm_fault vmf = { .vma = vma, .flags = AU_RETRY_FLAGS };

	fb->unlock = true;
	fb->unmap = true;
	fb->test = test;
	fb->ret = VM_FAULT_RETRY;
	KUNIT_EXPECT_EQ(test, au_vmf(vma->vm_ops->fault(&vmf)),
			au_vmf(VM_FAULT_RETRY));
	KUNIT_EXPECT_PTR_EQ(test, fb->file_at_unlock, fb->file);
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->closes), 1);
	KUNIT_EXPECT_EQ(test, file_count(fb->file), file_refs);
	KUNIT_EXPECT_EQ(test, file_count(fb->h_file), h_file_refs);
}

/* Another forwarded call in flight keeps the branch file in vm_file. */
static void au_vmfwd_lock_released_with_another_call(struct kunit *test)
{
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	struct vm_fault vmf = { .vma = vma, .flags = AU_RETRY_FLAGS };

	fb->unlock = true;
	fb->ret = VM_FAULT_COMPLETED;
	au_vmfwd_enter(au_vmfwd_of(vma), vma);
	KUNIT_EXPECT_EQ(test, au_vmf(vma->vm_ops->page_mkwrite(&vmf)),
			au_vmf(VM_FAULT_COMPLETED));
	KUNIT_EXPECT_PTR_EQ(test, fb->file_at_unlock, fb->h_file);
	KUNIT_EXPECT_EQ(test, au_vmfwd_of(vma)->nswap, 1);
	au_vmfwd_exit(au_vmfwd_of(vma), vma);
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, fb->file);
	KUNIT_EXPECT_EQ(test, au_vmfwd_of(vma)->nswap, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&au_vmfwd_of(vma)->calls));
	au_test_vma_remove(vma);
}

/*
 * Two fault-type calls in flight on one VMA, the inner one releasing
 * the lock: ->fault_unlock ends that call only, the outer one keeps the
 * branch file in vm_file and ends normally.
 */
static void au_vmfwd_lock_released_by_one_of_two_calls(struct kunit *test)
{
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	struct vm_fault vmf = { .vma = vma, .flags = AU_RETRY_FLAGS };

	fb->nest = true;
	fb->ret = VM_FAULT_RETRY;
	KUNIT_EXPECT_EQ(test, au_vmf(vma->vm_ops->fault(&vmf)),
			au_vmf(VM_FAULT_RETRY));
	KUNIT_EXPECT_PTR_EQ(test, fb->file_at_unlock, fb->h_file);
	KUNIT_EXPECT_PTR_EQ(test, fb->file_after_inner, fb->h_file);
	KUNIT_EXPECT_EQ(test, fb->nswap_after_inner, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->calls), 2);
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, fb->file);
	KUNIT_EXPECT_EQ(test, au_vmfwd_of(vma)->nswap, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&au_vmfwd_of(vma)->calls));
	au_test_vma_remove(vma);
}

/*
 * The mm releases the lock in an aufs VMA outside any forwarded call
 * (swap-in of a private copy): nothing to undo, nothing changes.
 */
static void au_vmfwd_unlock_outside_a_call(struct kunit *test)
{
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	struct vm_fault vmf = { .vma = vma };

	vma->vm_ops->fault_unlock(&vmf);
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, fb->file);
	KUNIT_EXPECT_EQ(test, au_vmfwd_of(vma)->nswap, 0);
	au_test_vma_remove(vma);
}

static const vm_fault_t au_ret_cases[] = {
	0, VM_FAULT_NOPAGE, VM_FAULT_LOCKED, VM_FAULT_MAJOR | VM_FAULT_LOCKED,
	VM_FAULT_SIGBUS, VM_FAULT_OOM, VM_FAULT_HWPOISON, VM_FAULT_SIGSEGV,
	/* with the lock held: RETRY_NOWAIT, or ->page_mkwrite (exfat, nfs) */
	VM_FAULT_RETRY,
};

static void au_ret_case_desc(const vm_fault_t *ret, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "ret_%#x", au_vmf(*ret));
}

KUNIT_ARRAY_PARAM(au_ret, au_ret_cases, au_ret_case_desc);

static void au_vmfwd_return_codes_pass_through(struct kunit *test)
{
	const vm_fault_t *ret = test->param_value;
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	struct vm_fault vmf = { .vma = vma };

	fb->ret = *ret;
	KUNIT_EXPECT_EQ(test, au_vmf(vma->vm_ops->fault(&vmf)), au_vmf(*ret));
	KUNIT_EXPECT_EQ(test, au_vmf(vma->vm_ops->page_mkwrite(&vmf)),
			au_vmf(*ret));
	KUNIT_EXPECT_EQ(test, au_vmf(vma->vm_ops->pfn_mkwrite(&vmf)),
			au_vmf(*ret));
	KUNIT_EXPECT_EQ(test, au_vmf(vma->vm_ops->map_pages(&vmf, 0, 1)),
			au_vmf(*ret));
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, fb->file);
	KUNIT_EXPECT_EQ(test, au_vmfwd_of(vma)->nswap, 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&au_vmfwd_of(vma)->calls));
	au_test_vma_remove(vma);
}

struct au_fault_worker {
	struct vm_area_struct *vma;
	struct task_struct *task;
	struct completion done;
};

static int au_fault_worker_fn(void *data)
{
	struct au_fault_worker *w = data;
	int i;

	for (i = 0; i < AU_TEST_FAULTS; i++) {
		struct vm_fault vmf = {
			.vma = w->vma,
			.flags = FAULT_FLAG_VMA_LOCK | AU_RETRY_FLAGS,
		};

		w->vma->vm_ops->fault(&vmf);
	}
	complete(&w->done);
	/* kthread_stop() is who reaps us: wait for it */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/*
 * Stops the workers that started, whether the test ends normally or
 * by a failed assertion: they use the VMA and the fake branch, which
 * the test's resources free after this action ran.
 */
static void au_test_stop_workers(void *data)
{
	struct au_fault_worker *w = data;
	int i;

	for (i = 0; i < AU_TEST_THREADS && w[i].task; i++)
		kthread_stop_put(w[i].task);
}

/*
 * Threads fault on one VMA at once.  The handlers gather: each waits
 * inside the branch handler until all %AU_TEST_THREADS are inside, so
 * the forwarding lock is shown not to serialize them (had it, the first
 * would wait alone and time out), and every one of them sees the
 * branch file in vm_file while the others are inside too.
 */
static void au_vmfwd_parallel_faults(struct kunit *test)
{
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	struct au_fault_worker *w;
	int i;

	w = kunit_kcalloc(test, AU_TEST_THREADS, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							au_test_stop_workers,
							w), 0);
	fb->gather = AU_TEST_THREADS;
	init_completion(&fb->gathered);
	for (i = 0; i < AU_TEST_THREADS; i++) {
		struct task_struct *t;

		w[i].vma = vma;
		init_completion(&w[i].done);
		t = kthread_run(au_fault_worker_fn, &w[i], "aufs-kunit-%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		get_task_struct(t);
		w[i].task = t;
	}
	for (i = 0; i < AU_TEST_THREADS; i++)
		KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&w[i].done,
								  60 * HZ), 0);
	kunit_release_action(test, au_test_stop_workers, w);

	KUNIT_EXPECT_EQ(test, atomic_read(&fb->calls),
			AU_TEST_THREADS * AU_TEST_FAULTS);
	/* all handlers were inside at once, none gave up waiting */
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->gather_timeouts), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->max_inside), AU_TEST_THREADS);
	/* no handler ever found the aufs file in the VMA */
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->saw_other_file), 0);
	/* the last one out put the aufs file back, exactly once */
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, fb->file);
	KUNIT_EXPECT_EQ(test, au_vmfwd_of(vma)->nswap, 0);
	au_test_vma_remove(vma);
}

/* What __split_vma(), dup_mmap() and copy_vma() do to make a copy. */
static struct vm_area_struct *au_test_vma_copy(struct kunit *test,
					       struct vm_area_struct *vma)
{
	struct vm_area_struct *new = kunit_kzalloc(test, sizeof(*new),
						   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, new);
	memcpy(new, vma, sizeof(*new));
	get_file(new->vm_file);
	new->vm_ops->open(new);
	return new;
}

static void au_vmfwd_copy_gets_own_state(struct kunit *test)
{
	struct au_fake_branch *fb = au_test_branch(test);
	struct vm_area_struct *vma = au_test_vma(test, fb, &au_fake_ops);
	long file_refs = file_count(fb->file);
	long h_file_refs = file_count(fb->h_file);
	struct vm_area_struct *copy = au_test_vma_copy(test, vma);
	struct vm_fault vmf = { .vma = copy };

	KUNIT_EXPECT_PTR_NE(test, au_vmfwd_of(copy), au_vmfwd_of(vma));
	KUNIT_EXPECT_PTR_EQ(test, copy->vm_file, fb->file);
	KUNIT_EXPECT_EQ(test, file_count(fb->file), file_refs + 1);
	KUNIT_EXPECT_EQ(test, file_count(fb->h_file), h_file_refs);
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->opens), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->saw_other_file), 0);

	/* the copy forwards on its own; the original is untouched */
	au_vmfwd_enter(au_vmfwd_of(vma), vma);
	KUNIT_EXPECT_EQ(test, au_vmf(copy->vm_ops->fault(&vmf)), au_vmf(0));
	KUNIT_EXPECT_PTR_EQ(test, copy->vm_file, fb->file);
	KUNIT_EXPECT_PTR_EQ(test, vma->vm_file, fb->h_file);
	au_vmfwd_exit(au_vmfwd_of(vma), vma);

	au_test_vma_remove(copy);
	KUNIT_EXPECT_EQ(test, file_count(fb->file), file_refs);
	au_test_vma_remove(vma);
	KUNIT_EXPECT_EQ(test, atomic_read(&fb->closes), 2);
	KUNIT_EXPECT_EQ(test, file_count(fb->h_file), h_file_refs);
}

static struct kunit_case au_vmfwd_cases[] = {
	KUNIT_CASE(au_vmfwd_fault_sees_branch_file),
	KUNIT_CASE(au_vmfwd_forwards_only_branch_ops),
	KUNIT_CASE(au_vmfwd_fault_flags_pass_through),
	KUNIT_CASE(au_vmfwd_lock_released_during_fault),
	KUNIT_CASE(au_vmfwd_lock_released_with_another_call),
	KUNIT_CASE(au_vmfwd_lock_released_by_one_of_two_calls),
	KUNIT_CASE(au_vmfwd_unlock_outside_a_call),
	KUNIT_CASE_PARAM(au_vmfwd_return_codes_pass_through, au_ret_gen_params),
	KUNIT_CASE_SLOW(au_vmfwd_parallel_faults),
	KUNIT_CASE(au_vmfwd_copy_gets_own_state),
	{}
};

static struct kunit_suite au_vmfwd_suite = {
	.name = "aufs_vmfwd",
	.test_cases = au_vmfwd_cases,
};

kunit_test_suite(au_vmfwd_suite);

MODULE_DESCRIPTION("KUnit tests for the aufs fault-forwarding lock");
MODULE_LICENSE("GPL");

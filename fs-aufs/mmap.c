// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: mmap by forwarding page faults to the branch file.
 *
 * The aufs file stays in the VMA (so /proc/PID/maps, map_files and
 * /proc/PID/exe need no special case), and every vm_operations call is
 * forwarded to the branch file's own vm_ops with vma->vm_file pointing at
 * the branch file for the duration of the call.  The design, each of its
 * hard problems and why the solution holds are written up in
 * Documentation/filesystems/aufs/mmap.rst; in short:
 *
 * Not every mapping is forwarded: a branch whose ->mmap puts its own
 * file into the VMA or changes vm_flags keeps the VMA it set up, mapped
 * as a backing file is (see aufs_mmap()).
 *
 * Fault-forwarding lock.  Faults on one VMA run in parallel (per-VMA lock
 * or mmap_lock held for read).  The swap is counted per VMA: the first
 * call in sets vm_file to the branch file, the last one out sets it back,
 * and only these transitions take au_vmfwd.lock, a spinlock, so handlers
 * themselves run concurrently and no handler ever sees the aufs file.
 *
 * The fault lock may be dropped.  A handler may release mmap_lock or the
 * per-VMA lock to wait for I/O or on a fatal signal (filemap_fault(),
 * shmem_falloc_wait(), __folio_lock_or_retry()) through
 * release_fault_lock(), which calls ->fault_unlock with the lock still
 * held (the paths that drop it by hand are anonymous or hugetlb ones,
 * never inside a forwarded call).  Each forwarded fault-type call is
 * recorded in the VMA's state (struct au_vmfwd_call, on the caller's
 * stack); au_vmfwd_fault_unlock() finds the record of that vm_fault and
 * ends the call there, so the swap is undone while the VMA is still
 * safe to touch.  After the
 * handler returns, the forwarder touches nothing of the VMA if its call
 * was ended that way: the VMA may be gone.  The retry flags reach the
 * branch as the mm set them, and VM_FAULT_RETRY from a handler that did
 * not drop the lock (FAULT_FLAG_RETRY_NOWAIT, ->page_mkwrite) passes
 * through like any other result.
 *
 * Per-VMA state.  Each aufs VMA has its own struct au_vmfwd, reached
 * through vma->vm_ops (the branch may use vm_private_data; aufs leaves it
 * alone).  Split, fork and mremap copy a VMA and call ->open on the copy,
 * which gets its own state; ->close frees it.  A VMA is copied only
 * write-locked, so never with vm_file swapped: __split_vma() copies
 * before it write-locks, and ->may_split, which it calls first, takes
 * the lock for it.
 *
 * rmap.  The aufs file's f_mapping is the branch file's mapping (see
 * aufs_open()), so a forwarded VMA sits on the branch mapping's i_mmap
 * whichever file vm_file points at, and truncate, writeback, reclaim
 * and migration of the branch folios find it.  A VMA that is not
 * forwarded holds the branch's own file and hangs off its mapping.
 *
 * Lock ordering: au_vmfwd.lock is innermost; nothing is taken under it.
 *   mmap_lock or per-VMA lock (mm)
 *     au_vmfwd.lock
 */

#include <kunit/visibility.h>
#include <linux/backing-file.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "aufs.h"

static struct kmem_cache *au_vmfwd_cachep;

/**
 * au_vmfwd_of - forwarding state of an aufs VMA
 * @vma: a VMA whose vm_ops aufs installed
 *
 * Return: the state, found through @vma->vm_ops.
 */
struct au_vmfwd *au_vmfwd_of(const struct vm_area_struct *vma)
{
	return container_of(vma->vm_ops, struct au_vmfwd, ops);
}
EXPORT_SYMBOL_IF_KUNIT(au_vmfwd_of);

/* A forwarded call begins: the first one in swaps the branch file in. */
static void au_vmfwd_swap_in(struct au_vmfwd *fwd, struct vm_area_struct *vma)
{
	lockdep_assert_held(&fwd->lock);
	if (!fwd->nswap++)
		WRITE_ONCE(vma->vm_file, fwd->h_file);
}

/* A forwarded call ends: the last one out puts the aufs file back. */
static void au_vmfwd_swap_out(struct au_vmfwd *fwd, struct vm_area_struct *vma)
{
	lockdep_assert_held(&fwd->lock);
	if (!--fwd->nswap)
		WRITE_ONCE(vma->vm_file, fwd->file);
}

/**
 * au_vmfwd_enter - point the VMA at the branch file for a forwarded call
 * @fwd: forwarding state of @vma
 * @vma: the VMA
 *
 * For calls that cannot drop the fault lock (all but the fault-type
 * ones).  Pairs with au_vmfwd_exit().  Calls may nest and run in
 * parallel.
 */
void au_vmfwd_enter(struct au_vmfwd *fwd, struct vm_area_struct *vma)
{
	spin_lock(&fwd->lock);
	au_vmfwd_swap_in(fwd, vma);
	spin_unlock(&fwd->lock);
}
EXPORT_SYMBOL_IF_KUNIT(au_vmfwd_enter);

/**
 * au_vmfwd_exit - end a forwarded call
 * @fwd: forwarding state of @vma
 * @vma: the VMA
 *
 * The last call out points the VMA at the aufs file again.
 */
void au_vmfwd_exit(struct au_vmfwd *fwd, struct vm_area_struct *vma)
{
	spin_lock(&fwd->lock);
	au_vmfwd_swap_out(fwd, vma);
	spin_unlock(&fwd->lock);
}
EXPORT_SYMBOL_IF_KUNIT(au_vmfwd_exit);

/**
 * struct au_vmfwd_call - a forwarded fault-type call in flight
 * @list: in &au_vmfwd.calls
 * @vmf: the fault, as handed to the branch
 * @ended: au_vmfwd_fault_unlock() ended the call because the handler
 *	released the fault lock; the VMA may be gone.  Written and read by
 *	the faulting task only.
 */
struct au_vmfwd_call {
	struct list_head list;
	const struct vm_fault *vmf;
	bool ended;
};

static void au_vmfwd_fault_begin(struct vm_fault *vmf,
				 struct au_vmfwd_call *call)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vmf->vma);

	call->vmf = vmf;
	call->ended = false;
	spin_lock(&fwd->lock);
	list_add(&call->list, &fwd->calls);
	au_vmfwd_swap_in(fwd, vmf->vma);
	spin_unlock(&fwd->lock);
}

static vm_fault_t au_vmfwd_fault_end(struct vm_fault *vmf,
				     struct au_vmfwd_call *call, vm_fault_t ret)
{
	struct au_vmfwd *fwd;

	/* the lock was released: nothing of the VMA may be touched */
	if (call->ended) {
		WARN_ON_ONCE(!(ret & (VM_FAULT_RETRY | VM_FAULT_COMPLETED)));
		return ret;
	}
	fwd = au_vmfwd_of(vmf->vma);
	spin_lock(&fwd->lock);
	list_del(&call->list);
	au_vmfwd_swap_out(fwd, vmf->vma);
	spin_unlock(&fwd->lock);
	return ret;
}

/*
 * ->fault_unlock: the handler of @vmf is about to release the fault
 * lock; end its forwarded call now.  The mm also calls this for faults
 * it handles itself in an aufs VMA (swap-in of a private copy): no call
 * is recorded for those.
 */
static void au_vmfwd_fault_unlock(struct vm_fault *vmf)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vmf->vma);
	struct au_vmfwd_call *call;

	spin_lock(&fwd->lock);
	list_for_each_entry(call, &fwd->calls, list) {
		if (call->vmf == vmf) {
			list_del(&call->list);
			call->ended = true;
			au_vmfwd_swap_out(fwd, vmf->vma);
			break;
		}
	}
	spin_unlock(&fwd->lock);
}

static vm_fault_t au_vmfwd_fault(struct vm_fault *vmf)
{
	struct au_vmfwd_call call;

	au_vmfwd_fault_begin(vmf, &call);
	return au_vmfwd_fault_end(vmf, &call,
				  au_vmfwd_of(vmf->vma)->h_ops->fault(vmf));
}

static vm_fault_t au_vmfwd_page_mkwrite(struct vm_fault *vmf)
{
	struct au_vmfwd_call call;

	au_vmfwd_fault_begin(vmf, &call);
	return au_vmfwd_fault_end(vmf, &call,
				  au_vmfwd_of(vmf->vma)->h_ops->page_mkwrite(vmf));
}

static vm_fault_t au_vmfwd_pfn_mkwrite(struct vm_fault *vmf)
{
	struct au_vmfwd_call call;

	au_vmfwd_fault_begin(vmf, &call);
	return au_vmfwd_fault_end(vmf, &call,
				  au_vmfwd_of(vmf->vma)->h_ops->pfn_mkwrite(vmf));
}

static vm_fault_t au_vmfwd_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct au_vmfwd_call call;

	au_vmfwd_fault_begin(vmf, &call);
	return au_vmfwd_fault_end(vmf, &call,
				  au_vmfwd_of(vmf->vma)->h_ops->huge_fault(vmf,
									   order));
}

static vm_fault_t au_vmfwd_map_pages(struct vm_fault *vmf, pgoff_t start,
				     pgoff_t end)
{
	struct au_vmfwd_call call;

	au_vmfwd_fault_begin(vmf, &call);
	return au_vmfwd_fault_end(vmf, &call,
				  au_vmfwd_of(vmf->vma)->h_ops->map_pages(vmf,
									  start,
									  end));
}

/*
 * ->may_split: __split_vma() calls it under mmap_lock held for write,
 * then copies the VMA with vm_area_dup(), and only then write-locks the
 * VMA.  Write-lock it here: faults in flight under the per-VMA lock end
 * first, so the copy never catches the branch file in vm_file (and
 * vm_area_dup()'s ASSERT_EXCLUSIVE_WRITER(vm_file) holds).
 */
static int au_vmfwd_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	int ret;

	vma_start_write(vma);
	if (!fwd->h_ops->may_split)
		return 0;
	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->may_split(vma, addr);
	au_vmfwd_exit(fwd, vma);
	return ret;
}

static int au_vmfwd_mremap(struct vm_area_struct *vma)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	int ret;

	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->mremap(vma);
	au_vmfwd_exit(fwd, vma);
	return ret;
}

static int au_vmfwd_mprotect(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end, unsigned long newflags)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	int ret;

	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->mprotect(vma, start, end, newflags);
	au_vmfwd_exit(fwd, vma);
	return ret;
}

static unsigned long au_vmfwd_pagesize(struct vm_area_struct *vma)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	unsigned long ret;

	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->pagesize(vma);
	au_vmfwd_exit(fwd, vma);
	return ret;
}

static int au_vmfwd_access(struct vm_area_struct *vma, unsigned long addr,
			   void *buf, int len, int write)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	int ret;

	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->access(vma, addr, buf, len, write);
	au_vmfwd_exit(fwd, vma);
	return ret;
}

static const char *au_vmfwd_name(struct vm_area_struct *vma)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	const char *ret;

	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->name(vma);
	au_vmfwd_exit(fwd, vma);
	return ret;
}

static struct page *au_vmfwd_find_special_page(struct vm_area_struct *vma,
					       unsigned long addr)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	struct page *ret;

	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->find_special_page(vma, addr);
	au_vmfwd_exit(fwd, vma);
	return ret;
}

#ifdef CONFIG_NUMA
static int au_vmfwd_set_policy(struct vm_area_struct *vma,
			       struct mempolicy *new)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	int ret;

	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->set_policy(vma, new);
	au_vmfwd_exit(fwd, vma);
	return ret;
}

static struct mempolicy *au_vmfwd_get_policy(struct vm_area_struct *vma,
					     unsigned long addr, pgoff_t *ilx)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);
	struct mempolicy *ret;

	au_vmfwd_enter(fwd, vma);
	ret = fwd->h_ops->get_policy(vma, addr, ilx);
	au_vmfwd_exit(fwd, vma);
	return ret;
}
#endif

static void au_vmfwd_open(struct vm_area_struct *vma);
static void au_vmfwd_close(struct vm_area_struct *vma);

/*
 * A VMA's forwarding state.  Its vm_ops forward exactly the ops the branch
 * has, so that the mm sees the same capabilities (map_pages decides
 * whether faults may stay under the per-VMA lock, page_mkwrite whether
 * shared writable mappings track dirtying), plus open and close for the
 * state itself.  The ops never change once the state exists.
 */
static struct au_vmfwd *au_vmfwd_alloc(struct file *file, struct file *h_file,
				       const struct vm_operations_struct *h,
				       gfp_t gfp)
{
	const struct au_vmfwd tmpl = {
		.ops = {
			.open = au_vmfwd_open,
			.close = au_vmfwd_close,
			.may_split = au_vmfwd_may_split,
			.mremap = h->mremap ? au_vmfwd_mremap : NULL,
			.mprotect = h->mprotect ? au_vmfwd_mprotect : NULL,
			.fault = h->fault ? au_vmfwd_fault : NULL,
			.fault_unlock = au_vmfwd_fault_unlock,
			.huge_fault = h->huge_fault ? au_vmfwd_huge_fault : NULL,
			.map_pages = h->map_pages ? au_vmfwd_map_pages : NULL,
			.pagesize = h->pagesize ? au_vmfwd_pagesize : NULL,
			.page_mkwrite = h->page_mkwrite ?
					au_vmfwd_page_mkwrite : NULL,
			.pfn_mkwrite = h->pfn_mkwrite ?
				       au_vmfwd_pfn_mkwrite : NULL,
			.access = h->access ? au_vmfwd_access : NULL,
			.name = h->name ? au_vmfwd_name : NULL,
#ifdef CONFIG_NUMA
			.set_policy = h->set_policy ?
				      au_vmfwd_set_policy : NULL,
			.get_policy = h->get_policy ?
				      au_vmfwd_get_policy : NULL,
#endif
			.find_special_page = h->find_special_page ?
					     au_vmfwd_find_special_page : NULL,
		},
		.h_ops = h,
		.file = file,
		.h_file = h_file,
	};
	struct au_vmfwd *fwd = kmem_cache_alloc(au_vmfwd_cachep, gfp);

	if (!fwd)
		return NULL;
	memcpy(fwd, &tmpl, sizeof(*fwd));
	spin_lock_init(&fwd->lock);
	INIT_LIST_HEAD(&fwd->calls);
	return fwd;
}

/*
 * A copy of an aufs VMA (split, fork, mremap): give it state of its own.
 * ->open cannot fail, and the state is small: __GFP_NOFAIL.
 */
static void au_vmfwd_open(struct vm_area_struct *vma)
{
	const struct au_vmfwd *src = au_vmfwd_of(vma);
	struct au_vmfwd *fwd;

	fwd = au_vmfwd_alloc(src->file, src->h_file, src->h_ops,
			     GFP_KERNEL | __GFP_NOFAIL);
	/*
	 * Every copy is made of a write-locked VMA (->may_split locks it
	 * before __split_vma() copies; dup_mmap() and copy_vma() lock it
	 * themselves), so no forwarded call was in flight.  Should a copy
	 * ever catch the branch file, a reference on it, give the copy the
	 * aufs file: the copy is not visible yet, and the aufs file, pinned
	 * by the original, keeps the branch file alive.
	 */
	if (WARN_ON_ONCE(vma->vm_file != fwd->file)) {
		struct file *h_file = vma->vm_file;

		WRITE_ONCE(vma->vm_file, get_file(fwd->file));
		fput(h_file);
	}
	vma->vm_ops = &fwd->ops;
	if (fwd->h_ops->open) {
		au_vmfwd_enter(fwd, vma);
		fwd->h_ops->open(vma);
		au_vmfwd_exit(fwd, vma);
	}
}

/* The VMA goes away; the mm installs dummy vm_ops after this. */
static void au_vmfwd_close(struct vm_area_struct *vma)
{
	struct au_vmfwd *fwd = au_vmfwd_of(vma);

	if (fwd->h_ops->close) {
		au_vmfwd_enter(fwd, vma);
		fwd->h_ops->close(vma);
		au_vmfwd_exit(fwd, vma);
	}
	WARN_ON_ONCE(fwd->nswap || !list_empty(&fwd->calls));
	kmem_cache_free(au_vmfwd_cachep, fwd);
}

/**
 * au_vmfwd_attach - make a VMA forward to a branch file's vm_ops
 * @vma: a VMA whose vm_file is @file and whose vm_ops are @h_ops
 * @file: the aufs file
 * @h_file: the branch file @file reads from
 * @h_ops: the vm_ops the branch file's ->mmap installed
 *
 * Return: 0, or -ENOMEM with @vma unchanged.
 */
int au_vmfwd_attach(struct vm_area_struct *vma, struct file *file,
		    struct file *h_file, const struct vm_operations_struct *h_ops)
{
	struct au_vmfwd *fwd = au_vmfwd_alloc(file, h_file, h_ops, GFP_KERNEL);

	if (!fwd)
		return -ENOMEM;
	vma->vm_ops = &fwd->ops;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(au_vmfwd_attach);

/**
 * aufs_mmap - &file_operations.mmap for aufs regular files
 * @file: the aufs file
 * @vma: the new VMA, vm_file is @file
 *
 * The branch file's ->mmap sets the VMA up the way a backing file is
 * mapped (backing_file_mmap(): the VMA holds a reference on the branch
 * file for the call, the opener's credentials, the LSM's
 * mmap_backing_file hook), as if the branch file had been mapped
 * directly.  Then the aufs file goes back into the VMA and aufs forwards
 * every vm_ops call, unless the branch's ->mmap
 *  - put yet another file into the VMA (overlayfs, FUSE passthrough):
 *    faults go to that file's vm_ops with that file in vm_file;
 *  - changed vm_flags (DAX): mmap_region() may merge a VMA whose flags
 *    changed into a neighbour and free it without ->close, which would
 *    leak forwarding state.
 * In those two cases the VMA keeps the branch file: it is mapped as a
 * backing file, like an overlayfs mapping, and is not forwarded.
 *
 * hugetlbfs branches are refused: do_mmap() checks hugetlb alignment
 * and length on the file it is given, the aufs file, which is not a
 * hugetlbfs file, so the branch would get a VMA that is not aligned to
 * its page size.
 *
 * Return: 0 or a negative errno.  On failure the VMA holds a reference
 * on whatever file is in vm_file, which mmap_region() drops.
 */
int aufs_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct file *h_file = au_h_file_map(file);
	vm_flags_t flags = vma->vm_flags;
	struct backing_file_ctx ctx = {
		.cred = file->f_cred,
		.user_file = file,
		.accessed = au_file_accessed,
	};
	int err;

	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	if (is_file_hugepages(h_file))
		return -ENODEV;
	err = backing_file_mmap(h_file, vma, &ctx);
	if (err || vma->vm_file != h_file || vma->vm_flags != flags)
		return err;

	err = au_vmfwd_attach(vma, file, h_file, vma->vm_ops);
	if (err) {
		if (vma->vm_ops->close)
			vma->vm_ops->close(vma);
		return err;
	}
	/* the VMA's reference moves from the branch file to the aufs file */
	vma_set_file(vma, file);
	return 0;
}

/* What __get_unmapped_area() gives a file without ->get_unmapped_area. */
static unsigned long au_default_unmapped_area(struct file *file,
					      unsigned long addr,
					      unsigned long len,
					      unsigned long pgoff,
					      unsigned long flags)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (!addr && IS_ALIGNED(len, PMD_SIZE))
		return thp_get_unmapped_area(file, addr, len, pgoff, flags);
#endif
	return mm_get_unmapped_area(current->mm, file, addr, len, pgoff,
				    flags);
}

/**
 * aufs_get_unmapped_area - &file_operations.get_unmapped_area for files
 * @file: the aufs file being mapped
 * @addr: the caller's hint, or the fixed address
 * @len: length of the mapping
 * @pgoff: file offset of the mapping, in pages
 * @flags: MAP_* flags
 *
 * Where the branch would place a mapping of its own file: a tmpfs with
 * huge pages, and filesystems that use thp_get_unmapped_area() (ext4,
 * XFS), align a mapping of 2 MiB or more to a huge page, whatever its
 * length, so that the branch's large folios can be mapped by PMD through
 * aufs (->map_pages and ->huge_fault are forwarded).  A branch without
 * the hook gets what the core gives a file without one.  The branch's
 * function is given the branch file, which it may look into (shmem
 * checks that it is its own).  The branch file asked is the one the aufs
 * file has now; should a branch change make aufs_mmap() map another,
 * that one is mapped at this address all the same.  hugetlbfs branches
 * are refused here already, as aufs_mmap() refuses them.
 *
 * Return: the address, or a negative errno.
 */
unsigned long aufs_get_unmapped_area(struct file *file, unsigned long addr,
				     unsigned long len, unsigned long pgoff,
				     unsigned long flags)
{
	struct file *h_file = au_h_file_now(file);

	if (is_file_hugepages(h_file))
		addr = -ENODEV;
	else if (h_file->f_op->get_unmapped_area)
		addr = h_file->f_op->get_unmapped_area(h_file, addr, len, pgoff,
						       flags);
	else
		addr = au_default_unmapped_area(h_file, addr, len, pgoff,
						flags);
	fput(h_file);
	return addr;
}

/**
 * au_vmfwd_cache_init - create the cache of per-VMA forwarding state
 *
 * Return: 0 or -ENOMEM.
 */
int au_vmfwd_cache_init(void)
{
	au_vmfwd_cachep = KMEM_CACHE(au_vmfwd, SLAB_ACCOUNT);
	return au_vmfwd_cachep ? 0 : -ENOMEM;
}

/**
 * au_vmfwd_cache_destroy - destroy the cache of per-VMA forwarding state
 */
void au_vmfwd_cache_destroy(void)
{
	kmem_cache_destroy(au_vmfwd_cachep);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: directory listings kept for later opens.
 *
 * A merged listing (readdir.c) is immutable once built.  Besides the
 * open files that read it, a directory's dentry stack keeps the last one
 * (&au_dinfo.rdc), and a later open takes it if nothing it was built
 * from has changed since: the same branch table generation, the same
 * stack top, and on each branch directory the same i_version, read
 * before that directory was listed, and the same ctime.  ext4, xfs,
 * btrfs and tmpfs, which set SB_I_VERSION, advance a directory's
 * i_version at nearly every change of its entries (the VFS reports it
 * to nfsd as the change attribute), whether the change comes through
 * aufs or straight to the branch; a listing that involves a branch
 * filesystem without SB_I_VERSION is not kept.  The exceptions move the
 * ctime only: a RENAME_EXCHANGE on tmpfs (libfs), a btrfs snapshot.
 * aufs drops the listings of the parents of its own renames; such a
 * change made straight to a branch within the clock tick of the listing
 * is missed until the directory changes again or the listing is freed.
 * So is any change to a filesystem mounted with "-o iversion" that does
 * not maintain i_version itself (ramfs).
 *
 * Kept listings are on a memory-cgroup-aware LRU of the mount
 * (&au_sbinfo.rdlru), which its shrinker empties under memory pressure,
 * oldest first.  A stack that is freed drops its listing.
 *
 * Locking: &au_sbinfo.lock serializes the stores to &au_dinfo.rdc and
 * the LRU membership, and takes the LRU's lock inside it; the shrinker
 * runs under the LRU's lock and takes &au_sbinfo.lock with a trylock.
 * A lookup of &au_dinfo.rdc runs under RCU and takes its reference with
 * refcount_inc_not_zero(): the head of a listing is freed after a grace
 * period (au_rdcache_free()).
 *
 * Heads come from a cache of their own, allocated with
 * kmem_cache_alloc_lru(): that is what sets up the LRU's list for the
 * memory cgroup a head is charged to, before list_lru_add_obj() files it
 * there.
 */

#include <linux/iversion.h>
#include <linux/list_lru.h>
#include <linux/shrinker.h>

#include "aufs.h"

static struct kmem_cache *au_rdcache_cachep;

/**
 * au_rdcache_alloc - allocate the head of a listing
 * @sbi: the mount of the directory listed
 * @nh: number of branch directories it is built from
 *
 * Charged to the caller's memory cgroup, as the entries are.
 *
 * Return: a head with one reference and no entry, or %NULL.
 */
struct au_rdcache *au_rdcache_alloc(struct au_sbinfo *sbi, unsigned int nh)
{
	struct au_rdcache *rdc;

	rdc = kmem_cache_alloc_lru(au_rdcache_cachep, &sbi->rdlru,
				   GFP_KERNEL | __GFP_ZERO);
	if (!rdc)
		return NULL;
	rdc->ver = kcalloc(nh, sizeof(*rdc->ver), GFP_KERNEL_ACCOUNT);
	if (!rdc->ver && nh) {
		kmem_cache_free(au_rdcache_cachep, rdc);
		return NULL;
	}
	refcount_set(&rdc->ref, 1);
	INIT_LIST_HEAD(&rdc->lru);
	rdc->sbi = sbi;
	rdc->nh = nh;
	return rdc;
}

static void au_rdcache_free_rcu(struct rcu_head *rcu)
{
	struct au_rdcache *rdc = container_of(rcu, struct au_rdcache, rcu);

	kfree(rdc->ver);
	kmem_cache_free(au_rdcache_cachep, rdc);
}

/**
 * au_rdcache_free - free the head of a listing after an RCU grace period
 * @rdc: the head, its last reference gone and its entries freed
 *
 * au_rdcache_lookup() may still be reading it.
 */
void au_rdcache_free(struct au_rdcache *rdc)
{
	call_rcu(&rdc->rcu, au_rdcache_free_rcu);
}

/* Whether @rdc still lists @di's directory; the rwsem held shared. */
static bool au_rdcache_current(const struct au_rdcache *rdc,
			       const struct au_dinfo *di)
{
	unsigned int i, first = au_di_first(di);

	if (rdc->gen != READ_ONCE(rdc->sbi->gen) || rdc->first != first ||
	    rdc->nh != di->n - first)
		return false;
	for (i = first; i < di->n; i++) {
		const struct au_rdver *ver = &rdc->ver[i - first];
		struct inode *h_inode = d_inode(di->h[i].dentry);
		struct timespec64 ctime;

		if (!h_inode || IS_DEADDIR(h_inode) ||
		    inode_peek_iversion(h_inode) != ver->version)
			return false;
		ctime = inode_get_ctime(h_inode);
		if (!timespec64_equal(&ctime, &ver->ctime))
			return false;
	}
	return true;
}

/**
 * au_rdcache_lookup - the listing a dentry stack keeps, if current
 * @di: the stack of an aufs directory; the mount's rwsem held shared
 *
 * Return: the listing with a reference taken, or %NULL if @di keeps none
 * or one that no longer lists the directory.
 */
struct au_rdcache *au_rdcache_lookup(struct au_dinfo *di)
{
	struct au_rdcache *rdc;

	rcu_read_lock();
	rdc = rcu_dereference(di->rdc);
	if (rdc && (!au_rdcache_current(rdc, di) ||
		    !refcount_inc_not_zero(&rdc->ref)))
		rdc = NULL;
	rcu_read_unlock();
	return rdc;
}

/**
 * au_rdcache_keep - keep a new listing for later opens
 * @di: the stack of the aufs directory listed; the mount's rwsem held
 *	shared
 * @rdc: its listing, just built from @di, with &au_rdcache.keep set
 *
 * @di takes a reference on @rdc, in place of the listing it kept before.
 */
void au_rdcache_keep(struct au_dinfo *di, struct au_rdcache *rdc)
{
	struct au_sbinfo *sbi = rdc->sbi;
	struct au_rdcache *old;

	refcount_inc(&rdc->ref);
	spin_lock(&sbi->lock);
	old = rcu_dereference_protected(di->rdc, lockdep_is_held(&sbi->lock));
	if (old) {
		list_lru_del_obj(&sbi->rdlru, &old->lru);
		old->di = NULL;
	}
	rdc->di = di;
	list_lru_add_obj(&sbi->rdlru, &rdc->lru);
	rcu_assign_pointer(di->rdc, rdc);
	spin_unlock(&sbi->lock);
	au_rdcache_put(old);
}

/**
 * au_rdcache_drop - drop the listing a dentry stack holds
 * @di: the stack: about to be freed, or of a directory whose entries
 *	changed in a way its branch directory may not show
 */
void au_rdcache_drop(struct au_dinfo *di)
{
	struct au_sbinfo *sbi = NULL;
	struct au_rdcache *rdc;

	/* the shrinker may free the listing as soon as it is read */
	rcu_read_lock();
	rdc = rcu_dereference(di->rdc);
	if (rdc)
		sbi = rdc->sbi;
	rcu_read_unlock();
	if (!sbi)
		return;
	spin_lock(&sbi->lock);
	/* the shrinker may have taken it meanwhile */
	rdc = rcu_dereference_protected(di->rdc, lockdep_is_held(&sbi->lock));
	if (rdc) {
		list_lru_del_obj(&sbi->rdlru, &rdc->lru);
		rdc->di = NULL;
		RCU_INIT_POINTER(di->rdc, NULL);
	}
	spin_unlock(&sbi->lock);
	au_rdcache_put(rdc);
}

/*
 * The shrinker: takes kept listings off their stacks, oldest first.
 * Called with the LRU list's lock held, which au_rdcache_keep() and
 * au_rdcache_drop() take inside &au_sbinfo.lock: hence the trylock.
 */
static enum lru_status au_rdcache_isolate(struct list_head *item,
					  struct list_lru_one *list,
					  spinlock_t *lru_lock, void *arg)
{
	struct au_rdcache *rdc = container_of(item, struct au_rdcache, lru);
	struct au_sbinfo *sbi = rdc->sbi;

#ifdef __CHECKER__
	/*
	 * sparse reports any spin_trylock() of a spinlock_t followed by its
	 * spin_unlock() as a context imbalance: show it a plain lock.
	 */
	spin_lock(&sbi->lock);
#else
	if (!spin_trylock(&sbi->lock))
		return LRU_SKIP;
#endif
	RCU_INIT_POINTER(rdc->di->rdc, NULL);
	rdc->di = NULL;
	list_lru_isolate_move(list, item, arg);
	spin_unlock(&sbi->lock);
	return LRU_REMOVED;
}

static unsigned long au_rdcache_count(struct shrinker *shrink,
				      struct shrink_control *sc)
{
	struct au_sbinfo *sbi = shrink->private_data;

	return list_lru_shrink_count(&sbi->rdlru, sc);
}

static unsigned long au_rdcache_scan(struct shrinker *shrink,
				     struct shrink_control *sc)
{
	struct au_sbinfo *sbi = shrink->private_data;
	struct au_rdcache *rdc, *next;
	unsigned long freed;
	LIST_HEAD(dispose);

	freed = list_lru_shrink_walk(&sbi->rdlru, sc, au_rdcache_isolate,
				     &dispose);
	list_for_each_entry_safe(rdc, next, &dispose, lru) {
		list_del_init(&rdc->lru);
		au_rdcache_put(rdc);
	}
	return freed;
}

/**
 * au_rdcache_init - set up the LRU of kept listings and its shrinker
 * @sb: the union being mounted
 *
 * Return: 0, or -ENOMEM.
 */
int au_rdcache_init(struct super_block *sb)
{
	struct au_sbinfo *sbi = au_sbi(sb);
	struct shrinker *shrink;

	shrink = shrinker_alloc(SHRINKER_MEMCG_AWARE | SHRINKER_NUMA_AWARE,
				"aufs-rdcache:si_%x", au_si_id(sb));
	if (!shrink)
		return -ENOMEM;
	if (list_lru_init_memcg(&sbi->rdlru, shrink)) {
		shrinker_free(shrink);
		return -ENOMEM;
	}
	shrink->count_objects = au_rdcache_count;
	shrink->scan_objects = au_rdcache_scan;
	shrink->private_data = sbi;
	sbi->rdshrink = shrink;
	shrinker_register(shrink);
	return 0;
}

/**
 * au_rdcache_stop - stop the shrinker of kept listings
 * @sbi: the mount, being unmounted, before its dentries go
 */
void au_rdcache_stop(struct au_sbinfo *sbi)
{
	shrinker_free(sbi->rdshrink);
}

/**
 * au_rdcache_exit - free the LRU of kept listings
 * @sbi: the mount, after its dentries have gone (each dropped its
 *	listing)
 */
void au_rdcache_exit(struct au_sbinfo *sbi)
{
	/* @rdshrink was freed by au_rdcache_stop(): only a flag here */
	if (!sbi->rdshrink)
		return;
	WARN_ON_ONCE(list_lru_count(&sbi->rdlru));
	list_lru_destroy(&sbi->rdlru);
	sbi->rdshrink = NULL;
}

/**
 * au_rdcache_cache_init - create the cache of listing heads
 *
 * Return: 0 or -ENOMEM.
 */
int au_rdcache_cache_init(void)
{
	au_rdcache_cachep = KMEM_CACHE(au_rdcache, SLAB_ACCOUNT);
	return au_rdcache_cachep ? 0 : -ENOMEM;
}

/**
 * au_rdcache_cache_destroy - destroy the cache of listing heads
 */
void au_rdcache_cache_destroy(void)
{
	/* Wait for the heads freed by RCU before the cache goes. */
	rcu_barrier();
	kmem_cache_destroy(au_rdcache_cachep);
}

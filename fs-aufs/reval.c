// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: names changed straight on a branch (udba=reval).
 *
 * Users change branches beside a mounted union.  With udba=reval, the
 * default, a dentry is looked up again when a branch directory its
 * lookup read has changed since, so that a name made, removed or
 * replaced straight on a branch shows at the next walk through the
 * union.
 *
 * A lookup records, beside the name's stack (&au_dinfo.rec), which stack
 * of the parent it read and the i_version and ctime of each of these
 * branch directories, read under the directory's lock before it looked
 * in it (au_lookup_branches()); nothing for an "rr" branch, which nobody
 * changes.  ->d_revalidate() compares them, under RCU, without a lock
 * and without writing; a change sends the walk to the locked path,
 * which looks the name up again.  The same topmost object (the same
 * branch dentry, or none) makes the dentry current again, with the new
 * record; another makes the VFS drop the dentry and look the name up
 * afresh.  Open files keep what they opened.
 *
 * Limits: on a branch filesystem that keeps no change counter (ramfs)
 * only the ctime tells, so a change within the clock tick of the lookup
 * is seen at the next change of that directory, as are the changes
 * rdcache.c names; on NFS and FUSE, aufs reads the attributes the
 * client has cached, and a change another client makes may not show
 * until the dentry goes.  A
 * directory whose topmost part stays keeps the merge it has: a
 * directory of its name made or removed straight on a lower branch, or
 * an opaque marker made in it, shows once its dentry goes.  A directory
 * in use whose copy on the top branch is removed straight from it stays
 * that copy until it is no longer in use (its inode is found again by
 * the lower inode it was set up with); a file in use keeps showing the
 * removed copy's attributes through its inode, while its names get
 * stacks of what the branches hold.  A name whose topmost object
 * changes is dropped, and what is mounted on or below it with it
 * (d_invalidate()), as on NFS.
 *
 * Locking: the locked path holds the mount's rwsem shared, as a lookup
 * does, then the copy-up mutex of the name's inode, then each branch
 * directory's lock, shared, in turn.  A record is replaced whole with
 * xchg() and freed after a grace period.
 */

#include <linux/cred.h>
#include <linux/iversion.h>
#include <linux/namei.h>

#include "aufs.h"

/* ctime.tv_nsec of a record entry that is not a state */
#define AU_DVER_SKIP	(-1L)	/* an "rr" branch: never changed */
#define AU_DVER_DEAD	(-2L)	/* a directory removed from its branch */

/**
 * au_drec_alloc - allocate the record of a lookup
 * @parent: the stack of the directory the name is looked up in
 * @first: its first entry, as the lookup reads it
 *
 * Return: an empty record for @parent from @first on, or %NULL.
 */
struct au_drec *au_drec_alloc(const struct au_dinfo *parent,
			      unsigned int first)
{
	struct au_drec *rec;

	rec = kmalloc(struct_size(rec, ver, parent->n - first), GFP_KERNEL);
	if (rec) {
		rec->pdi = parent;
		rec->pfirst = first;
		rec->n = 0;
	}
	return rec;
}

/**
 * au_dver_read - record the state of a branch directory
 * @rec: the record of a lookup, not yet seen by any other task
 * @br: the branch of @h_dir
 * @h_dir: the next directory the lookup looks in
 *
 * Read under the directory's lock: a filesystem moves i_version and the
 * ctime before the dcache shows the change, under the lock held
 * exclusive, so that what the lookup finds next is at least as new as
 * what is recorded.  i_version is read raw, its "queried" bit included,
 * after a query on filesystems that keep it (so that the next change
 * moves it); on the others it moves only at the changes the filesystem
 * counts itself (the NFS client's change attribute).
 */
void au_dver_read(struct au_drec *rec, struct au_branch *br,
		  struct inode *h_dir)
{
	struct au_rdver *ver = &rec->ver[rec->n++];

	if (br->perm == AU_BR_RR || br->perm == AU_BR_RRWH) {
		ver->ctime.tv_nsec = AU_DVER_SKIP;
		return;
	}
	inode_lock_shared(h_dir);
	if (IS_I_VERSION(h_dir))
		inode_query_iversion(h_dir);
	ver->version = inode_peek_iversion_raw(h_dir);
	ver->ctime = inode_get_ctime(h_dir);
	if (IS_DEADDIR(h_dir))
		ver->ctime.tv_nsec = AU_DVER_DEAD;
	inode_unlock_shared(h_dir);
}

/* Whether @h_dir is as @ver recorded it; may run under RCU only. */
static bool au_dver_same(const struct au_rdver *ver,
			 const struct inode *h_dir)
{
	struct timespec64 ctime;

	if (ver->ctime.tv_nsec == AU_DVER_SKIP)
		return true;
	if (!h_dir)
		return false;
	if (IS_DEADDIR(h_dir))
		return ver->ctime.tv_nsec == AU_DVER_DEAD;
	if (inode_peek_iversion_raw(h_dir) != ver->version)
		return false;
	ctime = inode_get_ctime(h_dir);
	return timespec64_equal(&ctime, &ver->ctime);
}

/*
 * udba=reval: whether the parent directories the lookup of a name read
 * are as they were then, @pdi being the parent's stack now.  Runs under
 * RCU: stacks and records are freed after a grace period, a record is
 * replaced whole, and the branch dentries a live stack holds stay.
 */
static bool au_d_unchanged(const struct au_dinfo *di,
			   const struct au_dinfo *pdi)
{
	const struct au_drec *rec = rcu_dereference(di->rec);
	unsigned int i;

	if (!rec || rec->pdi != pdi || rec->pfirst != au_di_first(pdi) ||
	    rec->pfirst + rec->n > pdi->n)
		return false;
	for (i = 0; i < rec->n; i++) {
		struct dentry *h = pdi->h[rec->pfirst + i].dentry;

		if (!au_dver_same(&rec->ver[i], d_inode_rcu(h)))
			return false;
	}
	return true;
}

/*
 * Whether the lookup result @found is the object @dentry stands for: the
 * same topmost branch dentry, or none.  A directory whose topmost part
 * stays keeps the merge it has: dropping it would unmount what is
 * mounted below it (d_invalidate()), and a directory in use would be
 * spliced back with its stack anyway.  So would a directory whose
 * topmost object now is the one its inode was set up with (its copy on
 * the top branch removed behind the union's back): a new lookup finds
 * that inode again (au_iget()), and d_splice_alias() gives back this
 * dentry, so it stays.  A non-directory is dropped: the new dentry gets
 * a stack of what the branches hold, whatever inode it finds.
 */
static bool au_d_same_object(const struct dentry *dentry,
			     const struct au_dinfo *di,
			     const struct au_dinfo *found)
{
	struct inode *inode = d_inode(dentry);
	struct dentry *top;

	if (!inode)
		return found->n == 1;
	if (found->n == 1)
		return false;
	top = found->h[1].dentry;
	if (top == di->h[au_di_first(di)].dentry)
		return true;
	return S_ISDIR(inode->i_mode) && d_inode(top) == au_i(inode)->h_inode;
}

/*
 * udba=reval, a parent directory changed since @dentry was looked up:
 * look the name up again, under the copy-up mutex of its inode (a
 * copy-up makes the copy before it puts it in the stack).  A copy-up in
 * progress keeps the dentry as it is, with its record: the copy-up
 * changes the parent again when it is done, and the walk does not wait
 * for a copy of a large file.  The same object makes the dentry
 * current, with the new record; another makes the VFS drop it and look
 * the name up afresh.
 */
static int au_d_reval_lookup(struct dentry *dentry)
{
	struct super_block *sb = dentry->d_sb;
	struct au_sbinfo *sbi = au_sbi(sb);
	struct dentry *parent = dget_parent(dentry);
	struct inode *inode = d_inode(dentry);
	struct au_dinfo *di, *found = NULL;
	const struct cred *old_cred;
	struct name_snapshot name;
	struct au_drec *rec;
	int valid = 0;

	au_read_lock(sb);
	if (dentry->d_time != sbi->gen)
		goto out;
	if (inode && !mutex_trylock(&au_i(inode)->cu_mutex)) {
		valid = 1;
		goto out;
	}
	di = au_di(dentry);
	found = au_dinfo_alloc(au_di(parent)->n);
	valid = -ENOMEM;
	if (!found)
		goto out_unlock;
	take_dentry_name_snapshot(&name, dentry);
	old_cred = override_creds(sbi->cred);
	valid = au_lookup_branches(au_di(parent), sbi->branches, sbi->nbranch,
				   &name.name, &found, true);
	revert_creds(old_cred);
	release_dentry_name_snapshot(&name);
	if (valid || !au_d_same_object(dentry, di, found))
		goto out_unlock;
	valid = 1;
	/* the old record goes with @found, after a grace period */
	rec = rcu_dereference_protected(found->rec, true);
	if (rec) {
		rec = unrcu_pointer(xchg(&di->rec, RCU_INITIALIZER(rec)));
		RCU_INIT_POINTER(found->rec, rec);
	}
out_unlock:
	if (inode)
		mutex_unlock(&au_i(inode)->cu_mutex);
out:
	au_dinfo_free(found);
	au_read_unlock(sb);
	dput(parent);
	return valid;
}

/**
 * au_d_reval - whether a dentry still stands for what the branches hold
 * @dentry: an aufs dentry other than the root, current in this
 *	generation of the branch table
 * @flags: the lookup flags of ->d_revalidate()
 *
 * Return: 1 if it does, 0 if the VFS is to look its name up again,
 * -ECHILD to leave RCU-walk, or another negative errno.
 */
int au_d_reval(struct dentry *dentry, unsigned int flags)
{
	const struct au_dinfo *di, *pdi;
	bool same;

	rcu_read_lock();
	di = READ_ONCE(dentry->d_fsdata);
	pdi = READ_ONCE(READ_ONCE(dentry->d_parent)->d_fsdata);
	same = di && pdi && au_d_unchanged(di, pdi);
	rcu_read_unlock();
	if (same)
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;
	return au_d_reval_lookup(dentry);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: lookup through the branches.
 *
 * A name is looked up in each branch from the top down.  The first
 * branch that has it decides its type: a non-directory there hides
 * everything below; a directory there is merged with the same-named
 * directories below it, down to the first opaque one or a whiteout; a
 * non-directory below it is skipped.  A whiteout on a branch that
 * honours them ends the search, so the name is negative if nothing
 * above had it.
 *
 * Branch lookups run with the mounter's credentials: the caller's right
 * to search the aufs directory was checked against the top branch
 * directory before ->lookup() is called (see aufs_permission()).
 */

#include <linux/cred.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "aufs.h"

/**
 * au_dinfo_alloc - allocate a branch dentry stack
 * @n: room for this many lookup results; slot 0 comes on top of them
 *
 * Return: an empty stack (@first == @n == 1), or %NULL.
 */
struct au_dinfo *au_dinfo_alloc(unsigned int n)
{
	struct au_dinfo *di;

	di = kzalloc(struct_size_t(struct au_dinfo, h, n + 1), GFP_KERNEL);
	if (di) {
		di->first = 1;
		di->n = 1;
	}
	return di;
}

/**
 * au_dinfo_free - drop a branch dentry stack
 * @di: the stack, or %NULL; not attached to a dentry
 *
 * The memory goes after an RCU grace period: readers that take no lock
 * may still look at the stack a dentry had before a branch change.
 */
void au_dinfo_free(struct au_dinfo *di)
{
	struct au_drec *rec;
	unsigned int i;

	if (!di)
		return;
	au_rdcache_drop(di);
	rec = rcu_dereference_protected(di->rec, true);
	if (rec)
		kfree_rcu(rec, rcu);
	for (i = au_di_first(di); i < di->n; i++) {
		dput(di->h[i].dentry);
		au_br_put(di->h[i].br);
	}
	kfree_rcu(di, rcu);
}

/**
 * au_dinfo_attach - give a new dentry its branch dentry stack
 * @dentry: the aufs dentry, without a stack
 * @di: the stack, current in this generation (rwsem held)
 */
void au_dinfo_attach(struct dentry *dentry, struct au_dinfo *di)
{
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);

	di->dentry = dentry;
	spin_lock(&sbi->lock);
	list_add(&di->list, &sbi->dinfos);
	spin_unlock(&sbi->lock);
	dentry->d_time = READ_ONCE(sbi->gen);
	dentry->d_fsdata = di;
}

/**
 * au_dinfo_replace - give a dentry in use a new stack
 * @dentry: the aufs dentry
 * @di: its stack in the new branch table
 *
 * Called by a branch change, the mount's rwsem held exclusive, so no
 * operation looks at the old stack; readers that take no lock are done
 * with it after an RCU grace period.
 */
void au_dinfo_replace(struct dentry *dentry, struct au_dinfo *di)
{
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);
	struct au_dinfo *old = au_di(dentry);

	di->dentry = dentry;
	spin_lock(&sbi->lock);
	list_replace(&old->list, &di->list);
	spin_unlock(&sbi->lock);
	dentry->d_time = READ_ONCE(sbi->gen);
	/* the stack is whole before readers under RCU see it (reval.c) */
	smp_store_release(&dentry->d_fsdata, di);
	au_dinfo_free(old);
}

static void au_d_release(struct dentry *dentry)
{
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);
	struct au_dinfo *di = dentry->d_fsdata;

	if (!di)
		return;
	if (di->dentry) {
		spin_lock(&sbi->lock);
		list_del(&di->list);
		spin_unlock(&sbi->lock);
	}
	au_dinfo_free(di);
}

/*
 * A dentry looked up in an older generation of the branch table is
 * looked up again.  Dentries in use when the branches changed that
 * still stand for the same object were given new stacks then, and are
 * current.  A change starts a generation when it begins, so the rwsem
 * makes a walk wait for a change in progress; a refused change makes
 * the dentries that were current before current again.
 *
 * With udba=reval, a dentry is also looked up again when one of the
 * branch directories its lookup read has changed since (reval.c).
 */
static int au_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);
	int valid;

	if (unlikely(READ_ONCE(dentry->d_time) != READ_ONCE(sbi->gen))) {
		if (flags & LOOKUP_RCU)
			return -ECHILD;
		percpu_down_read(&sbi->rwsem);
		valid = dentry->d_time == sbi->gen;
		percpu_up_read(&sbi->rwsem);
		if (!valid)
			return 0;
	}
	if (!READ_ONCE(sbi->reval) || IS_ROOT(dentry))
		return 1;
	return au_d_reval(dentry, flags);
}

const struct dentry_operations au_dentry_ops = {
	.d_revalidate	= au_d_revalidate,
	.d_release	= au_d_release,
};

/* Add @h_dentry on @br below the entries of @di; takes the reference. */
static void au_dinfo_push(struct au_dinfo *di, struct au_branch *br,
			  struct dentry *h_dentry)
{
	au_br_get(br);
	di->h[di->n].br = br;
	di->h[di->n].dentry = h_dentry;
	di->n++;
}

/**
 * au_di_publish_top - put the top branch's dentry on top of a stack
 * @di: a stack whose slot 0 is free (@first is 1)
 * @br: the top branch
 * @h_dentry: the name on @br; the stack takes the reference
 *
 * Called once per stack, after copy-up or a create made the name on the
 * top branch, under the aufs parent's lock or the inode's copy-up mutex,
 * or on a stack no other task can reach yet (O_TMPFILE, a branch change).
 */
void au_di_publish_top(struct au_dinfo *di, struct au_branch *br,
		       struct dentry *h_dentry)
{
	au_br_get(br);
	di->h[0].br = br;
	di->h[0].dentry = h_dentry;
	/* h[0] is complete before readers see it; pairs with au_di_first() */
	smp_store_release(&di->first, 0);
}

/**
 * au_d_has_lower - whether removing a name needs a whiteout
 * @dentry: an aufs dentry
 *
 * True when a branch below the top one has the name, in a directory of
 * the parent's stack, before any whiteout of it.  Looks the branches up
 * with the mounter's credentials.
 *
 * Return: 1 if a whiteout is needed, 0 if not, or a negative errno.
 */
int au_d_has_lower(const struct dentry *dentry)
{
	const struct au_dinfo *pdi = au_di(dentry->d_parent);
	struct au_branch *wbr = au_wbr(dentry->d_sb);
	const struct qstr *name = &dentry->d_name;
	const struct cred *old_cred;
	unsigned int i;
	int ret = 0;

	old_cred = override_creds(au_sbi(dentry->d_sb)->cred);
	for (i = au_di_first(pdi); i < pdi->n && !ret; i++) {
		struct au_branch *br = pdi->h[i].br;
		struct dentry *h;

		if (br == wbr)
			continue;
		h = lookup_one_unlocked(mnt_idmap(br->path.mnt), name->name,
					pdi->h[i].dentry, name->len);
		/* removed behind the union's back: it holds no name */
		if (h == ERR_PTR(-ENOENT) &&
		    IS_DEADDIR(d_inode(pdi->h[i].dentry)))
			continue;
		if (IS_ERR(h)) {
			ret = PTR_ERR(h);
			break;
		}
		ret = d_is_positive(h);
		dput(h);
		/* a whiteout on the way hides whatever is below it */
		if (!ret && au_br_whable(br)) {
			ret = au_wh_test(br, pdi->h[i].dentry, name);
			if (ret > 0) {
				ret = 0;
				break;
			}
		}
	}
	revert_creds(old_cred);
	return ret;
}

/*
 * The name to look up on @br: @name, or the name a note of @dr_dir (a
 * renamed directory merged above, on @dr_br) gives for @br (dirren.c),
 * in @dr.
 */
static int au_lookup_name(struct dentry *dr_dir, struct au_branch *dr_br,
			  struct au_branch *br, struct au_dr_name *dr,
			  const struct qstr *name, const struct qstr **n)
{
	int ret;

	*n = name;
	if (!dr_dir)
		return 0;
	ret = au_dr_old_name(dr_br, dr_dir, br, dr);
	if (ret > 0)
		*n = &dr->name;
	return ret < 0 ? ret : 0;
}

/**
 * au_lookup_branches - look a name up in the branches of a directory
 * @parent: the directory's stack
 * @name: the name
 * @di: an empty stack with room for @parent's entries, filled here
 * @record: udba=reval is on
 *
 * Runs with the mounter's credentials, the mount's rwsem held.  With
 * @record, gives @di a record of the state of each directory of @parent
 * it looks in, read before it looks (reval.c), unless the record cannot
 * be allocated.
 * A branch directory removed behind the union's back holds no name.
 * A directory that holds notes of a rename (dirren.c) is merged with
 * the directories its notes name on the branches below it, looked up by
 * the names the notes give: one found under such a name is taken only
 * if it is the one its note names.  The notes of the lowest such
 * directory count, so that a copy made above one (by a copy-up to a
 * branch added later) keeps its merge.
 *
 * Return: 0 or a negative errno; @di holds what was found either way.
 */
int au_lookup_branches(const struct au_dinfo *parent,
		       const struct qstr *name, struct au_dinfo *di,
		       bool record)
{
	unsigned int i, first = au_di_first(parent);
	struct au_drec *rec = record ? au_drec_alloc(parent, first) : NULL;
	struct au_branch *dr_br = NULL;
	struct dentry *dr_dir = NULL;
	struct au_dr_name *dr = NULL;
	int err = 0;

	/* @di is new: no reader sees it before its record is whole */
	RCU_INIT_POINTER(di->rec, rec);
	for (i = first; i < parent->n; i++) {
		struct au_branch *br = parent->h[i].br;
		struct dentry *h_parent = parent->h[i].dentry;
		bool found = di->n > 1;
		const struct qstr *n;
		struct dentry *h;

		if (rec)
			au_dver_read(rec, br, d_inode(h_parent));
		err = au_lookup_name(dr_dir, dr_br, br, dr, name, &n);
		if (err)
			break;
		h = lookup_one_unlocked(mnt_idmap(br->path.mnt), n->name,
					h_parent, n->len);
		if (IS_ERR(h)) {
			/* removed behind the union's back: no name there */
			if (h == ERR_PTR(-ENOENT) &&
			    IS_DEADDIR(d_inode(h_parent)))
				continue;
			err = PTR_ERR(h);
			break;
		}

		if (d_is_negative(h) ||
		    (n != name && (!d_is_dir(h) ||
				   d_inode(h)->i_ino != dr->ino))) {
			/* not the directory a note names: not this name */
			dput(h);
		} else if (!found || d_is_dir(h)) {
			/* first hit, or a directory to merge below one */
			au_dinfo_push(di, br, h);
			if (!d_is_dir(h))
				break;
			if (au_dr_marked(br, h)) {
				err = -ENOMEM;
				if (!dr)
					dr = kmalloc(sizeof(*dr), GFP_KERNEL);
				if (!dr)
					break;
				dr_dir = h;
				dr_br = br;
			}
			err = au_wh_test_opaque(br, h);
			if (err)
				break;
		} else {
			/*
			 * A non-directory below a directory is hidden, and
			 * the directories below it merge: out-of-tree aufs
			 * reads such a tree so (overlayfs stops here).
			 */
			dput(h);
		}

		if (au_br_whable(br)) {
			err = au_wh_test(br, h_parent, n);
			if (err)
				break;
		}
	}
	kfree(dr);
	return err < 0 ? err : 0;
}

/**
 * aufs_lookup - &inode_operations.lookup for aufs directories
 * @dir: the aufs directory, locked by the caller
 * @dentry: the name to look up
 * @flags: lookup flags (unused)
 *
 * Return: %NULL or the alias @dentry was spliced to, or an ERR_PTR.
 */
struct dentry *aufs_lookup(struct inode *dir, struct dentry *dentry,
			   unsigned int flags)
{
	struct super_block *sb = dir->i_sb;
	const struct au_dinfo *parent;
	struct inode *inode = NULL;
	const struct cred *old_cred;
	struct au_dinfo *di;
	struct dentry *ret;
	int err;

	if (dentry->d_name.len > AUFS_MAX_NAMELEN)
		return ERR_PTR(-ENAMETOOLONG);
	if (au_wh_name(dentry->d_name.name, dentry->d_name.len))
		return ERR_PTR(-EPERM);

	au_read_lock(sb);
	parent = au_di(dentry->d_parent);
	di = au_dinfo_alloc(parent->n);
	err = -ENOMEM;
	if (!di)
		goto out;

	old_cred = override_creds(au_sbi(sb)->cred);
	err = au_lookup_branches(parent, &dentry->d_name, di,
				 READ_ONCE(au_sbi(sb)->reval));
	revert_creds(old_cred);
	if (err)
		goto out_free;

	if (di->n > 1) {
		inode = au_iget(sb, di->h[1].br, di->h[1].dentry);
		if (IS_ERR(inode)) {
			err = PTR_ERR(inode);
			goto out_free;
		}
	}
	au_dinfo_attach(dentry, di);
	ret = d_splice_alias(inode, dentry);
	au_read_unlock(sb);
	return ret;

out_free:
	au_dinfo_free(di);
out:
	au_read_unlock(sb);
	return ERR_PTR(err);
}

/**
 * au_lookup_root - build the branch dentry stack of the root
 * @sbi: the mount
 * @branches: a branch table, top first
 * @nbranch: number of branches in it
 * @dip: where the new stack goes
 *
 * The root merges every branch root down to the first opaque one.
 *
 * Return: 0 or a negative errno.
 */
int au_lookup_root(struct au_sbinfo *sbi, struct au_branch **branches,
		   unsigned int nbranch, struct au_dinfo **dip)
{
	const struct cred *old_cred;
	struct au_dinfo *di;
	unsigned int i;
	int err = 0;

	di = au_dinfo_alloc(nbranch);
	if (!di)
		return -ENOMEM;

	old_cred = override_creds(sbi->cred);
	for (i = 0; i < nbranch; i++) {
		struct au_branch *br = branches[i];

		au_dinfo_push(di, br, dget(br->path.dentry));
		err = au_wh_test_opaque(br, br->path.dentry);
		if (err) {
			err = err < 0 ? err : 0;
			break;
		}
	}
	revert_creds(old_cred);

	if (err) {
		au_dinfo_free(di);
		return err;
	}
	*dip = di;
	return 0;
}

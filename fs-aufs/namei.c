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
		di->room = n + 1;
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
 * Make room in *@dip, a stack no other task sees yet, for one more
 * entry: a directory moved to another parent (dirren.c) merges parts
 * on branches its parent has none on, up to @nbranch in all.
 */
static int au_dinfo_room(struct au_dinfo **dip, unsigned int nbranch)
{
	struct au_dinfo *di;

	if ((*dip)->n < (*dip)->room)
		return 0;
	if (WARN_ON_ONCE((*dip)->room > nbranch))
		return -EIO;
	di = krealloc(*dip, struct_size(di, h, nbranch + 1), GFP_KERNEL);
	if (!di)
		return -ENOMEM;
	di->room = nbranch + 1;
	*dip = di;
	return 0;
}

/*
 * The directories found so far that hold notes of a rename (dirren.c),
 * topmost first: the topmost one with a note for a branch names the
 * part there.  A copy made above one (by a copy-up to a branch added
 * later) has no notes and is not listed, so it keeps the merge; the
 * notes of a later rename, written in the top copy for every part, win
 * over the older ones of a part.
 */
struct au_dr_lookup {
	struct au_dr_name dr;
	unsigned int n;
	struct {
		struct au_branch *br;
		struct dentry *dir;
	} c[];
};

/* What the notes say of @br: 0, AU_DR_NAME, AU_DR_PATH or an errno. */
static int au_dr_lookup_note(struct au_dr_lookup *drl, struct au_branch *br)
{
	unsigned int k;
	int ret = 0;

	for (k = 0; k < drl->n && !ret; k++)
		ret = au_dr_note(drl->c[k].br, drl->c[k].dir, br, &drl->dr);
	return ret;
}

/**
 * au_lookup_branches - look a name up in the branches of a directory
 * @parent: the directory's stack
 * @branches: the branch table @parent is a stack of, top first
 * @nbranch: number of branches in it
 * @name: the name
 * @dip: an empty stack with room for @parent's entries, filled here;
 *	it may be replaced by a larger one
 * @record: udba=reval is on
 *
 * Runs with the mounter's credentials, the mount's rwsem held (or, in
 * a branch change, on the new table).  With @record, gives the stack a
 * record of the state of each directory of @parent it looks in, read
 * before it looks (reval.c), unless the record cannot be allocated.
 * A branch directory removed behind the union's back holds no name.
 *
 * A directory that holds notes of a rename (dirren.c) is merged with
 * the parts its notes name on the branches below it: a note of the
 * first form gives the name to look up in @parent's directory on that
 * branch, one of the second the part itself, found by its path from
 * the branch root, on branches @parent may have no directory on; a
 * part is taken only if it is the directory its note names.  Parts
 * found by a path are not cut by whiteouts above them: the notes name
 * what the directory merged when it moved.
 *
 * Return: 0 or a negative errno; *@dip holds what was found either way.
 */
int au_lookup_branches(const struct au_dinfo *parent,
		       struct au_branch **branches, unsigned int nbranch,
		       const struct qstr *name, struct au_dinfo **dip,
		       bool record)
{
	unsigned int i = au_di_first(parent), j;
	struct au_drec *rec = record ? au_drec_alloc(parent, i) : NULL;
	struct au_dr_lookup *drl = NULL;
	int err = 0;

	/* the stack is new: no reader sees it before its record is whole */
	RCU_INIT_POINTER((*dip)->rec, rec);
	for (j = 0; j < nbranch; j++) {
		struct au_branch *br = branches[j];
		struct dentry *h_parent = NULL;
		bool found = (*dip)->n > 1;
		const struct qstr *n = name;
		struct dentry *h = NULL;
		int note = 0;

		if (i < parent->n && parent->h[i].br == br)
			h_parent = parent->h[i++].dentry;
		else if (!drl && i == parent->n)
			break;	/* no directory and no note left to read */
		else if (!drl)
			continue;
		if (rec && h_parent)
			au_dver_read(rec, br, d_inode(h_parent));
		if (drl) {
			note = au_dr_lookup_note(drl, br);
			if (note < 0) {
				err = note;
				break;
			}
			if (note == AU_DR_NAME)
				n = &drl->dr.name;
			if (note == AU_DR_PATH)
				h = drl->dr.part;
		}
		if (note != AU_DR_PATH) {
			if (!h_parent)
				continue;
			h = lookup_one_unlocked(mnt_idmap(br->path.mnt),
						n->name, h_parent, n->len);
		}
		if (!h)	/* the path of a note names no part */
			goto wh;
		if (IS_ERR(h)) {
			/* removed behind the union's back: no name there */
			if (h == ERR_PTR(-ENOENT) &&
			    IS_DEADDIR(d_inode(h_parent)))
				continue;
			err = PTR_ERR(h);
			break;
		}

		if (d_is_negative(h) ||
		    (note && (!d_is_dir(h) ||
			      d_inode(h)->i_ino != drl->dr.ino))) {
			/* not the directory a note names: not this name */
			dput(h);
		} else if (!found || d_is_dir(h)) {
			/* first hit, or a directory to merge below one */
			err = au_dinfo_room(dip, nbranch);
			if (err) {
				dput(h);
				break;
			}
			au_dinfo_push(*dip, br, h);
			if (!d_is_dir(h))
				break;
			if (au_dr_marked(br, h)) {
				err = -ENOMEM;
				if (!drl)
					drl = kzalloc(struct_size(drl, c, nbranch),
						      GFP_KERNEL);
				if (!drl)
					break;
				drl->c[drl->n].br = br;
				drl->c[drl->n++].dir = h;
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

wh:
		/* a part a path names is not cut; a path naming none is */
		if (h_parent && (note != AU_DR_PATH || !h) &&
		    au_br_whable(br)) {
			err = au_wh_test(br, h_parent, n);
			if (err)
				break;
		}
	}
	kfree(drl);
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
	struct au_sbinfo *sbi;
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
	sbi = au_sbi(sb);
	parent = au_di(dentry->d_parent);
	di = au_dinfo_alloc(parent->n);
	err = -ENOMEM;
	if (!di)
		goto out;

	old_cred = override_creds(sbi->cred);
	err = au_lookup_branches(parent, sbi->branches, sbi->nbranch,
				 &dentry->d_name, &di, READ_ONCE(sbi->reval));
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

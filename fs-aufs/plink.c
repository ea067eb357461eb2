// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: pseudo-links, which keep hard links of a lower branch one file.
 *
 * Names that are hard links of one lower file share one aufs inode.
 * When one of them is copied up, the others stay on the lower branch,
 * yet the union must show them as that copy: same data, same inode
 * number, one lock list.  So a copy of a file with more than one link
 * gets a second name on the top branch, in ".wh..wh.plnk" at the branch
 * root, "INO.HINO" (the aufs inode number, the copy's inode number on
 * the branch), the name and place out-of-tree aufs uses.  The
 * pseudo-link is made in the work directory's transaction: before the
 * copy is renamed into place, and removed if that fails.  It keeps the
 * copy even after every name that was copied up is removed.
 *
 * The aufs inode of a pseudo-linked copy is pinned (one reference, on
 * au_sbinfo.plinks) until the union is unmounted or a branch change
 * deletes the branch of the copy or of the lower file: a lookup of
 * another name of the lower file then finds it (au_plink_iget()), and
 * opens, reads, stat and copy-ups of that name use the copy
 * (au_plink_path(), au_plink_find()).  Out-of-tree aufs pins them the
 * same way.
 *
 * A new mount does not read ".wh..wh.plnk": names not copied up show
 * the lower file again.  Pseudo-links are not removed: there is no
 * interface yet to turn them into real links (out-of-tree aufs has
 * /sys/fs/aufs/plink_maint for its auplink(8)).
 */

#include <linux/cred.h>
#include <linux/mount.h>
#include <linux/namei.h>

#include "aufs.h"

/* "INO.HINO": two 64-bit numbers in decimal */
#define AU_PLINK_NAME_LEN	(2 * 20 + 2)

static int au_plink_name(char *buf, const struct inode *inode,
			 const struct inode *h_inode)
{
	return snprintf(buf, AU_PLINK_NAME_LEN, "%lu.%lu", inode->i_ino,
			h_inode->i_ino);
}

/* The pseudo-link directory at the root of @br, or an ERR_PTR. */
static struct dentry *au_plink_dir(struct au_branch *br)
{
	struct dentry *dir;

	dir = lookup_one_unlocked(&nop_mnt_idmap, AUFS_WH_PLNK,
				  br->path.dentry, sizeof(AUFS_WH_PLNK) - 1);
	if (!IS_ERR(dir) && !d_is_dir(dir)) {
		dput(dir);
		dir = ERR_PTR(-ENOENT);
	}
	return dir;
}

/**
 * au_plink_wanted - whether a copy of an aufs inode needs a pseudo-link
 * @inode: the aufs inode
 *
 * Return: true if another name of the lower file @inode was set up from
 * may be copied up, or shown, later.
 */
bool au_plink_wanted(const struct inode *inode)
{
	const struct au_inode *ai = au_i(inode);

	return !S_ISDIR(inode->i_mode) && ai->h_inode->i_nlink > 1;
}

/*
 * Errors that leave a copy without a pseudo-link, not without a copy: a
 * branch that cannot hold hard links, or, on one whose inode
 * numbers are not unique, a name taken.  Others fail the copy-up.
 */
static bool au_plink_none(int err)
{
	return err == -EPERM || err == -EOPNOTSUPP || err == -EMLINK ||
	       err == -EEXIST;
}

/**
 * au_plink_link - give a copy being built its pseudo-link
 * @inode: the aufs inode the copy is for, its cu_mutex held
 * @wbr: the top branch, which the copy @tmp is on
 * @tmp: the copy, still in the work directory
 *
 * For a copy that needs one: the caller asked au_plink_wanted(), once
 * (the lower link count may change meanwhile).  A branch that cannot
 * hold hard links, or no more links of @tmp, gets none; so does a copy
 * whose name is taken (only on a branch whose inode numbers are not
 * unique): the other names then reach the copy only while a name of it
 * is in the dentry cache (au_plink_find()).
 * Called with write access to @wbr and the mounter's credentials.
 *
 * Return: the pseudo-link (a reference; give it to au_plink_unlink() if
 * the copy is discarded), %NULL if there is none, or an ERR_PTR.
 */
struct dentry *au_plink_link(struct inode *inode, struct au_branch *wbr,
			     struct dentry *tmp)
{
	char name[AU_PLINK_NAME_LEN];
	struct dentry *dir, *h;
	struct inode *hdir;
	int err, len;

	dir = au_plink_dir(wbr);
	if (IS_ERR(dir))
		return PTR_ERR(dir) == -ENOENT ? NULL : dir;
	len = au_plink_name(name, inode, d_inode(tmp));
	hdir = d_inode(dir);
	inode_lock_nested(hdir, I_MUTEX_PARENT);
	h = lookup_one(&nop_mnt_idmap, name, dir, len);
	err = PTR_ERR_OR_ZERO(h);
	/* HINO is alive (the name links it), so it is not @tmp's */
	if (!err && d_is_positive(h))
		err = -EEXIST;
	if (!err)
		err = vfs_link(tmp, &nop_mnt_idmap, hdir, h, NULL);
	inode_unlock(hdir);
	dput(dir);
	if (err) {
		if (!IS_ERR(h))
			dput(h);
		return au_plink_none(err) ? NULL : ERR_PTR(err);
	}
	return h;
}

/**
 * au_plink_unlink - remove the pseudo-link of a copy that was discarded
 * @plink: from au_plink_link(), or %NULL; the reference is consumed
 *
 * Called with write access to the branch and the mounter's credentials.
 * If the name cannot be removed, it is only a second name of a file
 * nobody else has (see the limits in design.rst).
 */
void au_plink_unlink(struct dentry *plink)
{
	struct dentry *dir;

	if (IS_ERR_OR_NULL(plink))
		return;
	dir = dget_parent(plink);
	inode_lock_nested(d_inode(dir), I_MUTEX_PARENT);
	if (plink->d_parent == dir && !d_unhashed(plink))
		vfs_unlink(&nop_mnt_idmap, d_inode(dir), plink, NULL);
	inode_unlock(d_inode(dir));
	dput(dir);
	dput(plink);
}

/**
 * au_plink_pin - keep the aufs inode of a pseudo-linked copy
 * @inode: the aufs inode, whose copy au_plink_link() linked
 *
 * Until the union is unmounted or the copy's branch deleted, so that a
 * lookup of another name of the lower file finds it.
 */
void au_plink_pin(struct inode *inode)
{
	struct au_sbinfo *sbi = au_sbi(inode->i_sb);
	struct au_inode *ai = au_i(inode);

	spin_lock(&sbi->lock);
	if (list_empty(&ai->plink)) {
		ihold(inode);
		list_add(&ai->plink, &sbi->plinks);
	}
	spin_unlock(&sbi->lock);
}

/* Whether @h_inode is the lower file @ai was set up from, or a copy. */
static bool au_plink_had(const struct au_inode *ai,
			 const struct inode *h_inode)
{
	const struct au_icopy *old;

	if (ai->h_inode == h_inode)
		return true;
	/* pairs with smp_store_release() in au_i_publish_upper() */
	if (smp_load_acquire(&ai->h_upper) == h_inode)
		return true;
	/* pairs with smp_store_release() in au_i_publish_upper() */
	old = smp_load_acquire(&ai->old);
	for (; old; old = old->next)
		if (old->h_inode == h_inode)
			return true;
	return false;
}

/**
 * au_plink_iget - the aufs inode a branch inode already belongs to
 * @sb: the aufs superblock
 * @h_inode: the topmost branch inode of a name being looked up
 *
 * A name whose topmost inode is a lower file with other links, or a
 * pseudo-linked copy (also one on an earlier top branch), belongs to
 * the pinned aufs inode set up from that lower file or holding that
 * copy.
 *
 * Return: that inode (a reference), or %NULL.
 */
struct inode *au_plink_iget(struct super_block *sb, struct inode *h_inode)
{
	struct au_sbinfo *sbi = au_sbi(sb);
	struct inode *found = NULL;
	struct au_inode *ai;

	if (S_ISDIR(h_inode->i_mode) || h_inode->i_nlink < 2)
		return NULL;
	spin_lock(&sbi->lock);
	list_for_each_entry(ai, &sbi->plinks, plink) {
		if (au_plink_had(ai, h_inode)) {
			found = &ai->vfs_inode;
			ihold(found);
			break;
		}
	}
	spin_unlock(&sbi->lock);
	return found;
}

/**
 * au_plink_find - a dentry of the copy an aufs inode stands for
 * @inode: an aufs inode
 * @h_upper: its copy (&au_inode.h_upper, or one replaced since)
 * @br: the branch of @h_upper
 *
 * The pseudo-link if there is one, else any name of the copy.  Called
 * with the mounter's credentials.
 *
 * Return: a positive, hashed dentry on @br (a reference), or
 * ERR_PTR(-ESTALE) if the copy has no name left or, on a branch without
 * pseudo-links, none in the dentry cache.
 */
struct dentry *au_plink_find(struct inode *inode, struct inode *h_upper,
			     struct au_branch *br)
{
	char name[AU_PLINK_NAME_LEN];
	struct dentry *dir, *h;
	int len;

	dir = au_plink_dir(br);
	if (!IS_ERR(dir)) {
		len = au_plink_name(name, inode, h_upper);
		h = lookup_one_unlocked(&nop_mnt_idmap, name, dir, len);
		dput(dir);
		if (!IS_ERR(h) && d_inode(h) == h_upper)
			return h;
		if (!IS_ERR(h))
			dput(h);
	}
	/* no pseudo-link: a name of it still on the branch, if cached */
	if (!READ_ONCE(h_upper->i_nlink))
		return ERR_PTR(-ESTALE);
	h = d_find_alias(h_upper);
	return h ?: ERR_PTR(-ESTALE);
}

/*
 * A copy with no name left is forgotten, so that every reader of the
 * inode sees the name's own object again and an open file stops trying
 * to move to it.  Under the cu_mutex, if free: this may run inside a
 * copy-up of the inode (an LSM looking at the name).
 */
static void au_plink_forget(struct inode *inode, struct inode *h_upper)
{
	struct au_inode *ai = au_i(inode);
	struct au_icopy *old;

	if (READ_ONCE(h_upper->i_nlink) || !mutex_trylock(&ai->cu_mutex))
		return;
	old = ai->h_upper == h_upper && !h_upper->i_nlink ?
	      kmalloc(sizeof(*old), GFP_KERNEL) : NULL;
	if (old)
		au_i_retire_upper(inode, old);
	mutex_unlock(&ai->cu_mutex);
}

/**
 * au_plink_path - the branch object a name shows
 * @dentry: a positive aufs dentry, the rwsem held
 * @path: set to the object
 * @br: set to its branch
 *
 * The topmost branch object of @dentry, or, for a non-directory whose
 * inode has a copy that another name made, that copy: a copy-up may
 * replace it meanwhile, but the inode keeps it referenced.  Only on a
 * branch that cannot hold hard links (no pseudo-link) may the copy be
 * out of reach: with no name left (the inode forgets it, see
 * au_plink_forget()), or with none in the dentry cache; the name then
 * shows its own object.
 *
 * Return: 0 with @path the topmost object of @dentry (no references:
 * the stack holds them), or 1 with @path the copy (references taken:
 * path_put() it).
 */
int au_plink_path(struct dentry *dentry, struct path *path,
		  struct au_branch **br)
{
	struct inode *inode = d_inode(dentry);
	struct inode *h_upper = NULL;
	const struct cred *old_cred;
	struct au_branch *h_br;
	struct dentry *h;

	au_h_path(dentry, path);
	*br = au_h_top(dentry)->br;
	if (!d_is_dir(dentry))
		h_upper = au_i_upper(inode, &h_br);
	if (likely(!h_upper || d_inode(path->dentry) == h_upper))
		return 0;
	old_cred = override_creds(au_sbi(dentry->d_sb)->cred);
	h = au_plink_find(inode, h_upper, h_br);
	revert_creds(old_cred);
	if (IS_ERR(h)) {
		au_plink_forget(inode, h_upper);
		return 0;
	}
	path->mnt = mntget(h_br->path.mnt);
	path->dentry = h;
	*br = h_br;
	return 1;
}

/**
 * au_plink_release - unpin aufs inodes of pseudo-linked copies
 * @sbi: the union
 * @ed: a committed branch change: unpin those whose copy or lower file
 *	is on a branch it deletes, and let the others forget earlier
 *	copies there; %NULL to unpin all (unmount)
 *
 * Called with the rwsem held exclusive, or at unmount.
 */
void au_plink_release(struct au_sbinfo *sbi, const struct au_br_edit *ed)
{
	struct au_inode *ai, *next;
	LIST_HEAD(gone);

	spin_lock(&sbi->lock);
	list_for_each_entry_safe(ai, next, &sbi->plinks, plink)
		if (!ed || au_br_edit_removes(ed, ai->br_upper) ||
		    au_br_edit_removes(ed, ai->br))
			list_move(&ai->plink, &gone);
	spin_unlock(&sbi->lock);
	/* pins are added under the rwsem held shared only */
	if (ed)
		list_for_each_entry(ai, &sbi->plinks, plink)
			au_i_forget_old(&ai->vfs_inode, ed);
	list_for_each_entry_safe(ai, next, &gone, plink) {
		list_del_init(&ai->plink);
		iput(&ai->vfs_inode);
	}
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: namespace operations on the top branch.
 *
 * Every change is made on the top branch, after copying up the parent
 * (and, for link and rename, the source).  Objects are created with the
 * caller's credentials, so they get the caller's owner as on a native
 * filesystem; whiteouts are made with the mounter's.
 *
 * Removing a name that exists below the top branch leaves a whiteout.
 * The whiteout is made before the name is removed from the top branch.
 * A name and its whiteout on one branch show the name and hide
 * everything below it, so every intermediate state after a crash is a
 * state the union had.  When the name is made again (create, mkdir,
 * link, rename), its whiteout is removed only after that, a directory
 * being marked opaque first, so the branch ends in the format of the
 * out-of-tree aufs, which answers such a pair with -EIO.  A change that
 * fails after it made a whiteout takes it back (but see au_do_remove()).
 *
 * A removed or renamed-over dentry is dropped, so the next lookup of the
 * name builds a fresh branch stack.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/mount.h>
#include <linux/namei.h>

#include "aufs.h"

/*
 * @h has just taken the name of @dentry in @h_parent on the top branch:
 * remove a whiteout of the name there (au_wh_settle()).  The change is
 * made already, and a failure leaves a pair that the union reads the
 * same: it is only logged.  The caller holds write access to the branch.
 */
static void au_settle(struct dentry *dentry, struct dentry *h_parent,
		      struct dentry *h)
{
	const struct cred *old_cred;
	int err;

	old_cred = override_creds(au_sbi(dentry->d_sb)->cred);
	err = au_wh_settle(h_parent, h, &dentry->d_name);
	revert_creds(old_cred);
	if (err)
		pr_warn_ratelimited("%pd2: its whiteout stays beside it: %pe\n",
				    h, ERR_PTR(err));
}

/* Copy up @dentry's parent; give its top branch path. */
static int au_upper_parent(struct dentry *dentry, struct path *h_parent)
{
	int err = au_copy_up(dentry->d_parent);

	if (!err)
		au_h_path(dentry->d_parent, h_parent);
	return err;
}

/* Return: 1 if the whiteout was made, 0 if it was there, or -errno. */
static int au_make_whiteout(struct dentry *dentry, struct dentry *h_parent)
{
	const struct cred *old_cred;
	int err;

	old_cred = override_creds(au_sbi(dentry->d_sb)->cred);
	err = au_wh_create(h_parent, &dentry->d_name);
	revert_creds(old_cred);
	return err;
}

/* Mark @dentry's top directory opaque; as au_make_whiteout(). */
static int au_make_opaque(struct dentry *dentry)
{
	const struct cred *old_cred;
	int err;

	old_cred = override_creds(au_sbi(dentry->d_sb)->cred);
	err = au_wh_make_opaque(au_h_dentry(dentry));
	revert_creds(old_cred);
	return err;
}

/*
 * A change that made a whiteout (or, with @opq, the opaque marker of
 * @dentry's top directory) failed: take it back, so that the branch is
 * as it was.  A whiteout is taken back only while the name it hides is
 * still on the top branch (au_wh_remove()).  Best effort: what stays
 * shows this aufs the same.
 */
static void au_take_back(struct dentry *dentry, struct dentry *h_parent,
			 bool opq)
{
	const struct cred *old_cred;
	int err;

	old_cred = override_creds(au_sbi(dentry->d_sb)->cred);
	if (opq)
		err = au_wh_remove_opaque(au_h_dentry(dentry));
	else
		err = au_wh_remove(h_parent, &dentry->d_name);
	revert_creds(old_cred);
	if (err)
		pr_warn_ratelimited("%pd2: a marker of a failed change stays: %pe\n",
				    dentry, ERR_PTR(err));
}

/* Give @dentry (negative) the new top branch object @h. */
static int au_instantiate(struct dentry *dentry, struct dentry *h)
{
	struct super_block *sb = dentry->d_sb;
	struct inode *inode;

	inode = au_iget(sb, au_wbr(sb), h);
	if (IS_ERR(inode)) {
		dput(h);
		return PTR_ERR(inode);
	}
	au_di_publish_top(au_di(dentry), au_wbr(sb), h);
	d_instantiate(dentry, inode);
	return 0;
}

/*
 * Create a regular file, directory, special file or symlink (@link) as
 * @dentry on the top branch.
 */
static int au_do_create(struct dentry *dentry, umode_t mode, dev_t rdev,
			const char *link)
{
	struct path hp;
	struct inode *hdir;
	struct dentry *h;
	int err;

	err = au_upper_parent(dentry, &hp);
	if (err)
		return err;
	hdir = d_inode(hp.dentry);
	err = mnt_want_write(hp.mnt);
	if (err)
		return err;
	inode_lock_nested(hdir, I_MUTEX_PARENT);
	h = au_h_lookup_new(hp.dentry, &dentry->d_name);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
		goto out_unlock;
	}
	switch (mode & S_IFMT) {
	case S_IFREG:
		err = vfs_create(mnt_idmap(hp.mnt), hdir, h, mode, true);
		break;
	case S_IFDIR:
		err = au_h_mkdir(hdir, &h, mode);
		break;
	case S_IFLNK:
		err = vfs_symlink(mnt_idmap(hp.mnt), hdir, h, link);
		break;
	default:
		err = vfs_mknod(mnt_idmap(hp.mnt), hdir, h, mode, rdev);
		break;
	}
out_unlock:
	inode_unlock(hdir);
	if (!IS_ERR(h) && !err && d_is_positive(h))
		au_settle(dentry, hp.dentry, h);
	mnt_drop_write(hp.mnt);
	if (IS_ERR(h))
		return err;
	if (err)
		goto out_dput;
	if (d_is_negative(h)) {
		err = -EIO;	/* the branch did not instantiate it */
		goto out_dput;
	}
	au_copy_attr(d_inode(dentry->d_parent));
	return au_instantiate(dentry, h);

out_dput:
	dput(h);
	return err;
}

static int au_create_object(struct dentry *dentry, umode_t mode, dev_t rdev,
			    const char *link)
{
	struct super_block *sb = dentry->d_sb;
	int err;

	au_read_lock(sb);
	err = au_d_current(dentry);
	if (!err)
		err = au_do_create(dentry, mode, rdev, link);
	au_read_unlock(sb);
	return err;
}

static int aufs_create(struct mnt_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode, bool excl)
{
	return au_create_object(dentry, mode | S_IFREG, 0, NULL);
}

static int aufs_mkdir(struct mnt_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode)
{
	return au_create_object(dentry, mode | S_IFDIR, 0, NULL);
}

static int aufs_mknod(struct mnt_idmap *idmap, struct inode *dir,
		      struct dentry *dentry, umode_t mode, dev_t rdev)
{
	return au_create_object(dentry, mode, rdev, NULL);
}

static int aufs_symlink(struct mnt_idmap *idmap, struct inode *dir,
			struct dentry *dentry, const char *link)
{
	return au_create_object(dentry, S_IFLNK | 0777, 0, link);
}

/*
 * O_TMPFILE: the branch makes an unnamed file in the parent's copy on
 * the top branch (au_h_tmpfile()); the aufs dentry gets it as its top,
 * so that linkat(2) links it on the branch (au_link()).  A top branch
 * without O_TMPFILE is refused before the parent is copied up.  Return:
 * the open file state for au_file_tmpfile(), or an ERR_PTR.
 */
static struct au_finfo *au_tmpfile(struct file *file, umode_t mode)
{
	struct dentry *dentry = file->f_path.dentry;
	struct super_block *sb = dentry->d_sb;
	struct au_branch *wbr = au_wbr(sb);
	struct au_finfo *fi;
	struct au_dinfo *di;
	struct inode *inode;
	struct file *h_file;
	struct path hp;
	int err;

	err = au_d_current(dentry->d_parent);
	if (err)
		return ERR_PTR(err);
	if (!wbr)
		return ERR_PTR(-EROFS);
	if (!d_inode(wbr->path.dentry)->i_op->tmpfile)
		return ERR_PTR(-EOPNOTSUPP);
	err = au_upper_parent(dentry, &hp);
	if (err)
		return ERR_PTR(err);
	di = au_dinfo_alloc(0);
	if (!di)
		return ERR_PTR(-ENOMEM);
	err = mnt_want_write(hp.mnt);
	if (err)
		goto out_free;
	h_file = au_h_tmpfile(file, &hp, wbr, mode);
	mnt_drop_write(hp.mnt);
	err = PTR_ERR_OR_ZERO(h_file);
	if (err)
		goto out_free;
	inode = au_iget(sb, wbr, h_file->f_path.dentry);
	if (IS_ERR(inode)) {
		fput(h_file);
		err = PTR_ERR(inode);
		goto out_free;
	}
	au_dinfo_attach(dentry, di);
	au_di_publish_top(di, wbr, dget(h_file->f_path.dentry));
	d_mark_tmpfile(file, inode);
	d_instantiate(dentry, inode);
	fi = au_file_tmpfile_prep(file, h_file, wbr);
	return fi;

out_free:
	au_dinfo_free(di);
	return ERR_PTR(err);
}

static int aufs_tmpfile(struct mnt_idmap *idmap, struct inode *dir,
			struct file *file, umode_t mode)
{
	struct super_block *sb = dir->i_sb;
	struct au_finfo *fi;

	au_read_lock(sb);
	fi = au_tmpfile(file, mode);
	au_read_unlock(sb);
	if (IS_ERR(fi))
		return PTR_ERR(fi);
	return au_file_tmpfile(file, fi);
}

static int au_link(struct dentry *old, struct inode *dir,
		   struct dentry *dentry)
{
	struct path hp, h_old;
	struct inode *hdir;
	struct dentry *h;
	int err;

	err = au_copy_up(old);
	if (err)
		return err;
	err = au_upper_parent(dentry, &hp);
	if (err)
		return err;
	au_h_path(old, &h_old);
	hdir = d_inode(hp.dentry);
	err = mnt_want_write(hp.mnt);
	if (err)
		return err;
	inode_lock_nested(hdir, I_MUTEX_PARENT);
	h = au_h_lookup_new(hp.dentry, &dentry->d_name);
	if (IS_ERR(h)) {
		err = PTR_ERR(h);
		goto out_unlock;
	}
	if (au_ino_is_kept(d_inode(old), au_wbr(old->d_sb),
			   d_inode(h_old.dentry)))
		au_ino_mark_dir(au_sbi(old->d_sb), mnt_idmap(hp.mnt),
				hp.dentry);
	err = vfs_link(h_old.dentry, mnt_idmap(hp.mnt), hdir, h, NULL);
out_unlock:
	inode_unlock(hdir);
	if (!IS_ERR(h) && !err && d_is_positive(h))
		au_settle(dentry, hp.dentry, h);
	mnt_drop_write(hp.mnt);
	if (IS_ERR(h))
		return err;
	if (err)
		goto out_dput;
	au_di_publish_top(au_di(dentry), au_wbr(dentry->d_sb), h);
	ihold(d_inode(old));
	d_instantiate(dentry, d_inode(old));
	au_copy_attr(d_inode(old));
	au_copy_attr(dir);
	return 0;

out_dput:
	dput(h);
	return err;
}

static int aufs_link(struct dentry *old, struct inode *dir,
		     struct dentry *dentry)
{
	struct super_block *sb = dentry->d_sb;
	int err;

	au_read_lock(sb);
	err = au_d_current(old) ?: au_d_current(dentry);
	if (!err)
		err = au_link(old, dir, dentry);
	au_read_unlock(sb);
	return err;
}

/*
 * Remove the top branch copy of @dentry from @hp, its parent there; a
 * directory is emptied of its whiteouts first.
 */
static int au_remove_upper(struct dentry *dentry, const struct path *hp,
			   bool isdir)
{
	struct dentry *h = dget(au_h_dentry(dentry));
	struct inode *hdir = d_inode(hp->dentry);
	int err;

	if (isdir) {
		const struct cred *old_cred;
		struct path h_path = { .mnt = hp->mnt, .dentry = h };

		old_cred = override_creds(au_sbi(dentry->d_sb)->cred);
		err = au_wh_clear_dir(&h_path);
		revert_creds(old_cred);
		if (err)
			goto out_dput;
	}
	inode_lock_nested(hdir, I_MUTEX_PARENT);
	if (h->d_parent != hp->dentry || d_unhashed(h)) {
		err = -ESTALE;	/* changed on the branch behind us */
		goto out_unlock;
	}
	if (isdir)
		err = vfs_rmdir(mnt_idmap(hp->mnt), hdir, h);
	else
		err = vfs_unlink(mnt_idmap(hp->mnt), hdir, h, NULL);
out_unlock:
	inode_unlock(hdir);
out_dput:
	dput(h);
	return err;
}

/* Remove @dentry: whiteout first if needed, then the top branch copy. */
static int au_do_remove(struct inode *dir, struct dentry *dentry, bool isdir)
{
	struct path hp;
	int err, made;

	if (isdir) {
		err = au_dir_empty(dentry);
		if (err)
			return err;
	}
	err = au_upper_parent(dentry, &hp);
	if (err)
		return err;
	/*
	 * No copy-up of this name may finish after it is gone: copy-up
	 * takes the same mutex and gives up on an unhashed dentry.  Like
	 * copy-up, take it before write access to the top branch.
	 */
	mutex_lock(&au_i(d_inode(dentry))->cu_mutex);
	err = mnt_want_write(hp.mnt);
	if (err)
		goto out_unlock_cu;
	err = au_d_has_lower(dentry);
	if (err > 0)
		err = au_make_whiteout(dentry, hp.dentry);
	if (err < 0)
		goto out_drop_write;
	made = err;
	err = 0;
	if (au_d_is_upper(dentry)) {
		err = au_remove_upper(dentry, &hp, isdir);
		/*
		 * A file stays: take its new whiteout back.  A directory
		 * keeps it: its top copy may have lost the whiteouts that
		 * hid its lower entries, which the whiteout still hides.
		 */
		if (err && made && !isdir)
			au_take_back(dentry, hp.dentry, false);
		if (err)
			goto out_drop_write;
	}
	WRITE_ONCE(au_di(dentry)->removed, true);
	d_drop(dentry);
out_drop_write:
	mnt_drop_write(hp.mnt);
out_unlock_cu:
	mutex_unlock(&au_i(d_inode(dentry))->cu_mutex);
	if (err)
		return err;

	if (isdir)
		clear_nlink(d_inode(dentry));
	else
		au_copy_attr(d_inode(dentry));
	au_copy_attr(dir);
	return 0;
}

static int au_remove(struct inode *dir, struct dentry *dentry, bool isdir)
{
	struct super_block *sb = dentry->d_sb;
	int err;

	au_read_lock(sb);
	err = au_d_current(dentry);
	if (!err)
		err = au_do_remove(dir, dentry, isdir);
	au_read_unlock(sb);
	return err;
}

static int aufs_unlink(struct inode *dir, struct dentry *dentry)
{
	return au_remove(dir, dentry, false);
}

static int aufs_rmdir(struct inode *dir, struct dentry *dentry)
{
	return au_remove(dir, dentry, true);
}

/* Whether any entry of @dentry's own stack is below the top branch. */
static bool au_d_merges_lower(const struct dentry *dentry)
{
	const struct au_dinfo *di = au_di(dentry);
	struct au_branch *wbr = au_wbr(dentry->d_sb);
	unsigned int i;

	for (i = au_di_first(di); i < di->n; i++)
		if (di->h[i].br != wbr)
			return true;
	return false;
}

/*
 * @dentry, whose top branch object is @h, is moving into the top branch
 * directory @h_dir (locked): mark it if @dentry shows a kept inode
 * number (ino.c).
 */
static void au_rename_mark(struct dentry *dentry, struct dentry *h,
			   const struct path *h_dir)
{
	struct super_block *sb = dentry->d_sb;

	if (d_really_is_positive(dentry) && d_really_is_positive(h) &&
	    au_ino_is_kept(d_inode(dentry), au_wbr(sb), d_inode(h)))
		au_ino_mark_dir(au_sbi(sb), mnt_idmap(h_dir->mnt),
				h_dir->dentry);
}

static int au_rename_upper(struct dentry *old, struct path *old_hp,
			   struct dentry *new, struct path *new_hp,
			   unsigned int flags)
{
	struct renamedata rd = {
		.old_mnt_idmap = mnt_idmap(old_hp->mnt),
		.old_dir = d_inode(old_hp->dentry),
		.new_mnt_idmap = mnt_idmap(new_hp->mnt),
		.new_dir = d_inode(new_hp->dentry),
		.flags = flags,
	};
	struct dentry *trap, *h_old, *h_new;
	int err;

	trap = lock_rename(old_hp->dentry, new_hp->dentry);
	if (IS_ERR(trap))
		return PTR_ERR(trap);
	h_old = au_h_dentry(old);
	h_new = lookup_one(mnt_idmap(new_hp->mnt), new->d_name.name,
			   new_hp->dentry, new->d_name.len);
	err = PTR_ERR_OR_ZERO(h_new);
	if (err)
		goto out_unlock;
	if (h_old->d_parent != old_hp->dentry || d_unhashed(h_old))
		err = -ESTALE;
	else if (trap == h_old)
		err = -EINVAL;
	else if (trap == h_new)
		err = -ENOTEMPTY;
	if (err)
		goto out_dput;
	au_rename_mark(old, h_old, new_hp);
	if (flags & RENAME_EXCHANGE)
		au_rename_mark(new, h_new, old_hp);
	rd.old_dentry = h_old;
	rd.new_dentry = h_new;
	err = vfs_rename(&rd);
out_dput:
	dput(h_new);
out_unlock:
	unlock_rename(old_hp->dentry, new_hp->dentry);
	return err;
}

/*
 * RENAME_EXCHANGE moves each object to the other's name and makes no
 * whiteout.  A directory landing on a name that a lower branch holds
 * would be merged with what the other object hid there: refuse that.
 */
static int au_exchange_check(const struct dentry *old,
			     const struct dentry *new)
{
	int ret = 0;

	if (d_is_dir(new) && au_d_merges_lower(new))
		return -EXDEV;
	if (d_is_dir(old))
		ret = au_d_has_lower(new);
	if (!ret && d_is_dir(new))
		ret = au_d_has_lower(old);
	return ret > 0 ? -EXDEV : ret;
}

/* The top branch parents of @old and @new, made there if needed. */
static int au_rename_parents(struct dentry *old, struct path *old_hp,
			     struct dentry *new, struct path *new_hp)
{
	int err = au_upper_parent(old, old_hp);

	return err ?: au_upper_parent(new, new_hp);
}

/*
 * A directory with notes moved on the top branch, but the whiteout of
 * its old name could not be made: move it back, or its lower parts
 * would show under both names.  If it cannot move back, it keeps its
 * notes under the new name, and the old dentry, which stands for the
 * moved copy, goes: both names show the lower parts.  Return: true if
 * it stays moved.
 */
static bool au_rename_back(struct dentry *old, struct path *old_hp,
			   struct path *new_hp, struct au_dr_undo *undo)
{
	/* the old name was freed on the branch just now; no flag: NFS takes none */
	int err = au_rename_upper(old, new_hp, old, old_hp, 0);

	if (!err)
		return false;
	pr_warn_ratelimited("%pd2: renamed on the branch, its old name not hidden: %pe\n",
			    old, ERR_PTR(err));
	au_dr_done(undo);
	WRITE_ONCE(au_di(old)->removed, true);
	d_drop(old);
	return true;
}

/*
 * @old is a directory with lower parts, which cannot move.  If the union
 * shows no entry in it, none of them is needed: its top copy moves as a
 * directory of the top branch alone would, and the whiteout of its name
 * hides them.  Otherwise, with dirren, its top copy moves with notes
 * that name them (dirren.c), not over an object (its whiteout, made
 * after the move, could fail once the object is gone); set @dirren.
 * Other such renames fail with -EXDEV: mv copies.
 */
static int au_rename_dir_check(struct dentry *old, struct dentry *new,
			       unsigned int flags, bool *dirren)
{
	int err;

	/* an exchange would leave the lower parts under the other name */
	if (flags & RENAME_EXCHANGE)
		return -EXDEV;
	err = au_dir_empty(old);
	if (err != -ENOTEMPTY)
		return err;
	if (!au_sbi(old->d_sb)->dirren || d_really_is_positive(new))
		return -EXDEV;
	*dirren = true;
	return 0;
}

/*
 * With dirren, a lookup of @new's name switches it per branch to the
 * names of @old's notes: see au_dr_name_used().  Return: 0, 1 if @old
 * takes back a name whose whiteout hid only its own parts, or a
 * negative errno (-EXDEV: the name is taken).
 */
static int au_rename_dir_target(struct dentry *old, struct dentry *new)
{
	const struct cred *old_cred;
	int err;

	old_cred = override_creds(au_sbi(new->d_sb)->cred);
	err = au_dr_name_used(old, new);
	revert_creds(old_cred);
	if (err == 1)
		return -EXDEV;
	return err == 2 ? 1 : err;
}

/* Remove the whiteout of @new's name, which @old takes back. */
static int au_rename_unhide(struct dentry *new, struct dentry *h_parent)
{
	const struct cred *old_cred;
	int err;

	old_cred = override_creds(au_sbi(new->d_sb)->cred);
	err = au_dr_unhide(h_parent, &new->d_name);
	revert_creds(old_cred);
	return err;
}

static int au_rename(struct inode *old_dir, struct dentry *old,
		     struct inode *new_dir, struct dentry *new,
		     unsigned int flags)
{
	struct au_dr_undo dr_undo = { };
	struct path old_hp, new_hp;
	struct au_inode *victim;
	bool new_wh = false, dirren = false, unhid = false;
	int made_wh = 0, made_opq = 0, back = 0;
	int err, old_wh;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (d_is_dir(old) && au_d_merges_lower(old)) {
		err = au_rename_dir_check(old, new, flags, &dirren);
		if (err)
			return err;
	}
	if (flags & RENAME_EXCHANGE) {
		/* Both names stay: no whiteout, but both must be on top. */
		err = au_exchange_check(old, new);
		if (err)
			return err;
		err = au_copy_up(old);
		if (err)
			return err;
		err = au_copy_up(new);
		if (err)
			return err;
		err = au_rename_parents(old, &old_hp, new, &new_hp);
		if (err)
			return err;
		err = mnt_want_write(old_hp.mnt);
		if (err)
			return err;
		err = au_rename_upper(old, &old_hp, new, &new_hp, flags);
		mnt_drop_write(old_hp.mnt);
		if (err)
			return err;
		au_copy_attr(old_dir);
		au_copy_attr(new_dir);
		return 0;
	}
	if (d_is_positive(new) && d_is_dir(new)) {
		err = au_dir_empty(new);
		if (err)
			return err;
		/*
		 * Not au_d_merges_lower(): an opaque top directory hides a
		 * lower one that the rename would unveil with the marker.
		 */
		err = au_d_has_lower(new);
		if (err < 0)
			return err;
		new_wh = err > 0;
	}

	if (dirren) {
		err = au_rename_dir_target(old, new);
		if (err < 0)
			return err;
		back = err;
	}
	err = au_copy_up(old);
	if (err)
		return err;
	err = au_rename_parents(old, &old_hp, new, &new_hp);
	if (err)
		return err;
	old_wh = au_d_has_lower(old);
	if (old_wh < 0)
		return old_wh;

	/*
	 * As in au_remove(): no copy-up of the name being replaced may
	 * finish after the rename, since it would meet the renamed file;
	 * it gives up on the unhashed dentry instead.
	 */
	victim = d_really_is_positive(new) ? au_i(d_inode(new)) : NULL;
	if (victim)
		mutex_lock(&victim->cu_mutex);
	/*
	 * With notes, the old name is hidden only after the move: until
	 * then a walk revalidating @old would find its lower parts alone
	 * and drop it while it moves.  Its copy-up mutex held until the
	 * whiteout is made makes au_d_reval() keep it.  There is no
	 * victim then (au_rename_dir_check()).
	 */
	if (dirren)
		mutex_lock(&au_i(d_inode(old))->cu_mutex);
	err = mnt_want_write(old_hp.mnt);
	if (err)
		goto out_unlock_cu;
	/*
	 * A directory renamed with notes (dirren.c) has them written
	 * first.  Its old name is hidden after it moves, and a name it
	 * takes back is unhidden before: a crash in between shows its
	 * lower parts under both names, never under neither.
	 */
	if (dirren) {
		const struct cred *old_cred;

		old_cred = override_creds(au_sbi(old->d_sb)->cred);
		err = au_dr_store(old, new->d_parent, &dr_undo);
		revert_creds(old_cred);
		if (err)
			goto out_drop_write;
	}
	if (old_wh && !dirren) {
		err = au_make_whiteout(old, old_hp.dentry);
		if (err < 0)
			goto out_take_back;
		made_wh = err;
	}
	if (back) {
		err = au_rename_unhide(new, new_hp.dentry);
		if (err)
			goto out_take_back;
		unhid = true;
	}
	/*
	 * A directory moved over one with lower parts must hide them: it
	 * is made opaque before it moves (it has no lower parts of its
	 * own).  The replaced directory's top copy is emptied of the
	 * whiteouts that hid its lower entries first: until the rename,
	 * a whiteout of its name hides them (removed by au_settle()
	 * after, kept if the rename fails, as rmdir keeps it).
	 */
	if (new_wh) {
		err = au_make_opaque(old);
		if (err < 0)
			goto out_take_back;
		made_opq = err;
	}
	if (d_is_positive(new) && d_is_dir(new) && au_d_is_upper(new)) {
		const struct cred *old_cred;
		struct path h_path;

		if (new_wh) {
			err = au_make_whiteout(new, new_hp.dentry);
			if (err < 0)
				goto out_take_back;
		}
		au_h_path(new, &h_path);
		old_cred = override_creds(au_sbi(new->d_sb)->cred);
		err = au_wh_clear_dir(&h_path);
		revert_creds(old_cred);
		if (err)
			goto out_take_back;
	}
	err = au_rename_upper(old, &old_hp, new, &new_hp, flags);
	if (err)
		goto out_take_back;
	if (old_wh && dirren) {
		err = au_make_whiteout(old, old_hp.dentry);
		if (err < 0) {
			/* a name taken back keeps the copy: no whiteout */
			if (au_rename_back(old, &old_hp, &new_hp, &dr_undo))
				unhid = false;
			goto out_take_back;
		}
		err = 0;
	}
	au_settle(new, new_hp.dentry, au_h_dentry(old));
	au_dr_done(&dr_undo);
	if (victim) {
		WRITE_ONCE(au_di(new)->removed, true);
		d_drop(new);
	}
	goto out_drop_write;

out_take_back:
	if (made_opq)
		au_take_back(old, NULL, true);
	if (made_wh)
		au_take_back(old, old_hp.dentry, false);
	if (unhid && au_make_whiteout(new, new_hp.dentry) < 0)
		pr_warn_ratelimited("%pd2: a name taken back is not hidden again\n",
				    new);
	if (dr_undo.made) {
		const struct cred *old_cred;

		old_cred = override_creds(au_sbi(old->d_sb)->cred);
		au_dr_undo(old, &dr_undo);
		revert_creds(old_cred);
	}
out_drop_write:
	mnt_drop_write(old_hp.mnt);
out_unlock_cu:
	if (dirren)
		mutex_unlock(&au_i(d_inode(old))->cu_mutex);
	if (victim)
		mutex_unlock(&victim->cu_mutex);
	if (err)
		return err;

	au_copy_attr(old_dir);
	au_copy_attr(new_dir);
	return 0;
}

static int aufs_rename(struct mnt_idmap *idmap, struct inode *old_dir,
		       struct dentry *old, struct inode *new_dir,
		       struct dentry *new, unsigned int flags)
{
	struct super_block *sb = old->d_sb;
	int err;

	au_read_lock(sb);
	err = au_d_current(old) ?: au_d_current(new);
	if (!err)
		err = au_rename(old_dir, old, new_dir, new, flags);
	/*
	 * A RENAME_EXCHANGE on tmpfs (libfs) moves no directory i_version,
	 * so listings kept of the parents go after every rename, failed or
	 * not: simpler than telling the cases apart, and cheap (rdcache.c).
	 */
	au_rdcache_drop(au_di(old->d_parent));
	au_rdcache_drop(au_di(new->d_parent));
	au_read_unlock(sb);
	return err;
}

/**
 * aufs_dir_fsync - &file_operations.fsync for aufs directories
 * @file: the aufs directory
 * @start: first byte, passed on
 * @end: last byte, passed on
 * @datasync: passed on
 *
 * Changes to a directory of the union are made on the top branch only:
 * the directory is synced there (a file created or renamed through the
 * union is durable after fsync() of the file and of its directory, the
 * idiom of databases, package managers and editors).  A directory that
 * has no copy on the top branch holds no change of the union's: nothing
 * to write, as on overlayfs.  The branch directory is opened with the
 * mounter's credentials, as for a listing.
 *
 * Return: 0 or what the branch's fsync returns.
 */
int aufs_dir_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct dentry *dentry = file->f_path.dentry;
	struct super_block *sb = dentry->d_sb;
	const struct cred *old_cred;
	struct path h_path = {};
	struct file *h_file;
	int err;

	au_read_lock(sb);
	if (au_d_is_upper(dentry)) {
		au_h_path(dentry, &h_path);
		path_get(&h_path);
	}
	au_read_unlock(sb);
	if (!h_path.dentry)
		return 0;
	old_cred = override_creds(au_sbi(sb)->cred);
	h_file = dentry_open(&h_path, O_RDONLY | O_DIRECTORY, current_cred());
	revert_creds(old_cred);
	path_put(&h_path);
	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	err = vfs_fsync_range(h_file, start, end, datasync);
	fput(h_file);
	return err;
}

const struct inode_operations au_dir_iops = {
	.lookup		= aufs_lookup,
	.create		= aufs_create,
	.link		= aufs_link,
	.unlink		= aufs_unlink,
	.symlink	= aufs_symlink,
	.mkdir		= aufs_mkdir,
	.rmdir		= aufs_rmdir,
	.mknod		= aufs_mknod,
	.rename		= aufs_rename,
	.tmpfile	= aufs_tmpfile,
	.permission	= aufs_permission,
	.getattr	= aufs_getattr,
	.setattr	= aufs_setattr,
	.listxattr	= aufs_listxattr,
	.get_inode_acl	= aufs_get_inode_acl,
	.get_acl	= aufs_get_acl,
	.set_acl	= aufs_set_acl,
	.fileattr_get	= aufs_fileattr_get,
	.fileattr_set	= aufs_fileattr_set,
};

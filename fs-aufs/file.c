// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: regular files.
 *
 * Opening an aufs file opens the topmost branch file as a backing file
 * (see fs/backing-file.c) with the mounter's credentials, after copying a
 * lower file up if it is opened for writing; reads and writes go to it
 * with the aufs file's position.  A file opened on a lower branch moves
 * to the copy when the name is copied up later (by another opener), as
 * long as it has not been mapped; mmap forwards to the branch file the
 * file has when it is first mapped, for good (mmap.c).
 *
 * Locking: au_finfo.lock protects the branch file pointer and the mapped
 * flag; it is taken alone.  Every I/O holds a reference on the branch
 * file it uses, so a move never frees a file in use.
 */

#include <linux/backing-file.h>
#include <linux/cred.h>
#include <linux/fs_stack.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/splice.h>

#include "aufs.h"

/* Open flags that fcntl(F_SETFL) may change on the aufs file. */
#define AU_SETFL_MASK	(O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT | \
			 O_NOATIME)

/*
 * The F_SETFL flags a branch file on @br takes from the aufs file's
 * @flags.  A branch aufs may not write (ro, rr, ro+wh), and every
 * branch of a union mounted read-only, gets O_NOATIME too, see
 * au_file_noatime().  A branch made rw later (mod:, remount,rw) gets
 * its atimes back at the next call on the file.
 */
static unsigned int au_h_setfl(unsigned int flags, const struct au_branch *br,
			       const struct super_block *sb)
{
	flags &= AU_SETFL_MASK;
	if (READ_ONCE(br->noatime) || sb_rdonly(sb))
		flags |= O_NOATIME;
	return flags;
}

/* Give @h_file the F_SETFL flags @flags, as setfl() would. */
static void au_h_file_setfl(struct file *h_file, unsigned int flags)
{
	if ((READ_ONCE(h_file->f_flags) & AU_SETFL_MASK) == flags)
		return;
	spin_lock(&h_file->f_lock);
	h_file->f_flags = (h_file->f_flags & ~AU_SETFL_MASK) | flags;
	h_file->f_iocb_flags = iocb_flags(h_file);
	spin_unlock(&h_file->f_lock);
}

static struct au_finfo *au_fi(const struct file *file)
{
	return file->private_data;
}

/* Whether @file counts as a writer on its branch (au_br_file_get()). */
static bool au_fi_writes(const struct file *file, const struct au_finfo *fi)
{
	return (file->f_mode & FMODE_WRITE) && !fi->trunc;
}

/*
 * Open the branch file @h_path on @br for the aufs file @file, with
 * @flags, as the mounter, as overlayfs opens its real files: the opener
 * was checked on the aufs file (permission, security_file_open()); the
 * branch file is labelled and checked by the LSM for the mounter
 * (security_file_alloc() and security_file_open() both run under the
 * mounter's credentials).  The mounter's own permission to open the
 * branch file is not checked: the branches are the mounter's to serve.
 * Checking the opener on the branch file would hold it to rules about
 * paths it never named (a Landlock domain whose rules allow paths of the
 * union would be refused every branch file).
 */
static struct file *au_h_open_path(struct file *file, unsigned int flags,
				   const struct path *h_path,
				   const struct au_branch *br)
{
	struct super_block *sb = file_inode(file)->i_sb;
	const struct cred *old_cred;
	struct file *h_file;

	flags &= ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
	old_cred = override_creds(au_sbi(sb)->cred);
	h_file = backing_file_open(file, flags, h_path, current_cred());
	revert_creds(old_cred);
	if (!IS_ERR(h_file))
		au_h_file_setfl(h_file, au_h_setfl(file->f_flags, br, sb));
	return h_file;
}

/* The same for the topmost branch file of @dentry, opened with @flags. */
static struct file *au_h_open(struct file *file, struct dentry *dentry,
			      unsigned int flags, struct au_branch **br)
{
	struct path h_path;
	struct file *h_file;
	int ref;

	/* another name's copy if there is one (plink.c) */
	ref = au_plink_path(dentry, &h_path, br);
	h_file = au_h_open_path(file, flags, &h_path, *br);
	if (ref)
		path_put(&h_path);
	return h_file;
}

/*
 * Make @h_file on @br (of the aufs name @dentry) the branch file of
 * @file, unless @file has been mapped (a mapping never changes branch
 * file, and neither does the f_mapping its VMAs hang off), is open for
 * writing (its writes stay where the earlier ones went, and
 * mmap_region() counts a writable mapping on the f_mapping it read
 * before ->mmap), or already uses it.  Consumes the references on
 * @h_file and @dentry.
 *
 * The superseded branch file stays referenced, on @fi->old, until the
 * aufs file is released: the core reads file->f_mapping once and goes on
 * using it across sleeps (sync_file_range(), cachestat(2)), and that
 * mapping lives in the old branch inode.  Its branch is no longer
 * counted as in use by the file.  Without memory for that, or once a
 * file has moved AU_FILE_MOVES times, the file stays where it is.
 *
 * The caller counted the file on @br (au_br_file_get()) while it held
 * the rwsem, so a branch change never deletes @br under a file moving
 * there; the count is the file's if it moves, and dropped if not.
 */
static void au_file_move(struct file *file, struct dentry *dentry,
			 struct file *h_file, struct au_branch *br)
{
	struct au_finfo *fi = au_fi(file);
	struct au_branch *old_br = NULL;
	struct au_file_old *old;

	if (file->f_mode & FMODE_WRITE)
		goto out;
	old = kmalloc(sizeof(*old), GFP_KERNEL);
	if (!old)
		goto out;
	spin_lock(&fi->lock);
	if (!fi->mapped && fi->nold < AU_FILE_MOVES &&
	    file_inode(fi->h_file) != file_inode(h_file)) {
		swap(fi->h_file, h_file);
		swap(fi->dentry, dentry);
		old_br = fi->br;
		fi->br = br;
		br = NULL;
		old->h_file = h_file;
		old->next = fi->old;
		fi->old = old;
		fi->nold++;
		h_file = NULL;
		old = NULL;
		WRITE_ONCE(file->f_mapping, fi->h_file->f_mapping);
	}
	spin_unlock(&fi->lock);
	kfree(old);
out:
	if (br)
		au_br_file_put(br, false);
	if (old_br) {
		au_br_file_put(old_br, false);
		/* writeback errors are counted from now on, as at open */
		spin_lock(&file->f_lock);
		file->f_wb_err = filemap_sample_wb_err(file->f_mapping);
		spin_unlock(&file->f_lock);
	}
	if (h_file)
		fput(h_file);
	dput(dentry);
}

/*
 * Whether the opener of @file may read the branch file @dentry shows
 * (au_h_open()): opening a branch file for aufs checks no permission,
 * and a file that moves must not reach what its opener could not open.
 */
static int au_file_may_move(struct file *file, struct dentry *dentry)
{
	const struct cred *old_cred;
	struct au_branch *br;
	struct path h_path;
	int ref, err;

	ref = au_plink_path(dentry, &h_path, &br);
	old_cred = override_creds(file->f_cred);
	err = inode_permission(mnt_idmap(h_path.mnt), d_inode(h_path.dentry),
			       MAY_READ);
	revert_creds(old_cred);
	if (ref)
		path_put(&h_path);
	return err;
}

/*
 * The name was copied up after @file was opened on a lower branch, or a
 * branch change shows another file under it: move @file there if its
 * opener may read that file.  Otherwise, and on failure, @file stays
 * where it is.
 */
static void au_file_refresh(struct file *file, struct dentry *dentry)
{
	struct super_block *sb = dentry->d_sb;
	struct au_branch *br;
	struct file *h_file;
	int err;

	au_read_lock(sb);
	err = au_file_may_move(file, dentry);
	if (err) {
		/* not again for this branch file: see au_h_file_get() */
		spin_lock(&au_fi(file)->lock);
		au_fi(file)->refused = au_h_inode(d_inode(dentry));
		spin_unlock(&au_fi(file)->lock);
	}
	h_file = err ? ERR_PTR(err) :
		 au_h_open(file, dentry, file->f_flags, &br);
	/* before the rwsem goes: au_br_edit_busy() must see the file */
	if (!IS_ERR(h_file))
		au_br_file_get(br, false);
	au_read_unlock(sb);
	if (IS_ERR(h_file)) {
		dput(dentry);
		return;
	}
	au_file_move(file, dentry, h_file, br);
}

/*
 * The branches changed since @file chose its branch file (refrof): if
 * its name now shows another regular file, move @file there.  The name
 * is looked up through the VFS, as the user would; the rwsem is not
 * held for that.  Files open for writing and mapped files stay; so do a
 * file whose name was removed, and one whose name is now hidden or not a
 * regular file.
 */
static void au_file_regen(struct file *file)
{
	struct au_sbinfo *sbi = au_sbi(file->f_path.dentry->d_sb);
	unsigned long gen = READ_ONCE(sbi->gen);
	struct au_finfo *fi = au_fi(file);
	struct dentry *parent, *dentry;
	struct name_snapshot name;
	const struct cred *old_cred;
	bool removed;

	WRITE_ONCE(fi->gen, gen);
	if (!READ_ONCE(sbi->refrof) || (file->f_mode & FMODE_WRITE) ||
	    READ_ONCE(fi->mapped))
		return;
	/* a removed name: a new file of that name is another file */
	rcu_read_lock();
	removed = READ_ONCE(au_di(file->f_path.dentry)->removed);
	rcu_read_unlock();
	if (removed)
		return;
	parent = dget_parent(file->f_path.dentry);
	take_dentry_name_snapshot(&name, file->f_path.dentry);
	old_cred = override_creds(file->f_cred);
	dentry = lookup_one_unlocked(&nop_mnt_idmap, name.name.name, parent,
				     name.name.len);
	revert_creds(old_cred);
	release_dentry_name_snapshot(&name);
	dput(parent);
	if (IS_ERR(dentry))
		return;
	if (d_is_reg(dentry))
		au_file_refresh(file, dentry);
	else
		dput(dentry);
}

/*
 * A reference on the branch file to do I/O on, moved to the copy-up if
 * there was one, and with the F_SETFL flags of the aufs file (and
 * O_NOATIME on a branch aufs may not write, au_h_setfl()): setfl()
 * changes only the file it is called on, so they are handed on here, as
 * overlayfs does.  FMODE_CAN_ODIRECT of the aufs file is the branch
 * file's, so setfl() already refused what the branch would.  @regen
 * also moves the file after a branch change (see au_file_regen()).  An
 * ERR_PTR if a truncating open that was never truncated could not take
 * its copy (au_file_untrunc()).
 */
static int au_file_untrunc(struct file *file);

static struct file *au_h_file_get(struct file *file, bool regen)
{
	struct au_finfo *fi = au_fi(file);
	unsigned int flags = READ_ONCE(file->f_flags);
	struct dentry *dentry = NULL;
	struct inode *h_inode;
	struct file *h_file;

	if (unlikely(READ_ONCE(fi->trunc))) {
		int err = au_file_untrunc(file);

		if (err)
			return ERR_PTR(err);
	}
	if (regen && unlikely(READ_ONCE(fi->gen) !=
			      READ_ONCE(au_sbi(file->f_path.dentry->d_sb)->gen)))
		au_file_regen(file);

	/*
	 * One lock round trip when nothing moved, the common case.  The
	 * file the name shows is the copy of its inode if another name
	 * was copied up (au_h_open()); a copy-up after a branch change
	 * may replace it, and branch inodes are freed after a grace
	 * period.
	 */
	spin_lock(&fi->lock);
	rcu_read_lock();
	h_inode = au_h_inode(d_inode(fi->dentry));
	if (!fi->mapped && !(file->f_mode & FMODE_WRITE) &&
	    file_inode(fi->h_file) != h_inode && h_inode != fi->refused) {
		dentry = dget(fi->dentry);
		h_file = NULL;
	} else {
		h_file = get_file(fi->h_file);
		flags = au_h_setfl(flags, fi->br, file_inode(file)->i_sb);
	}
	rcu_read_unlock();
	spin_unlock(&fi->lock);
	if (dentry) {
		au_file_refresh(file, dentry);
		spin_lock(&fi->lock);
		h_file = get_file(fi->h_file);
		flags = au_h_setfl(flags, fi->br, file_inode(file)->i_sb);
		spin_unlock(&fi->lock);
	}

	au_h_file_setfl(h_file, flags);
	return h_file;
}

/**
 * au_h_file_now - the branch file an aufs file has now
 * @file: the aufs file
 *
 * Unlike au_h_file_get(), neither moves the file after a branch change
 * nor takes the copy of a truncating open that was never truncated.
 *
 * Return: the branch file, with a reference the caller puts.
 */
struct file *au_h_file_now(struct file *file)
{
	struct au_finfo *fi = au_fi(file);
	struct file *h_file;

	spin_lock(&fi->lock);
	h_file = get_file(fi->h_file);
	spin_unlock(&fi->lock);
	return h_file;
}

/**
 * au_h_file_map - the branch file to map, pinned to the aufs file
 * @file: the aufs file
 *
 * From now on the aufs file keeps this branch file until it is released.
 * A truncating open for writing that was never truncated cannot be
 * mapped (see au_open()).
 *
 * Return: the branch file, the aufs file holding the reference, or
 * ERR_PTR(-EACCES).
 */
struct file *au_h_file_map(struct file *file)
{
	struct au_finfo *fi = au_fi(file);
	struct file *h_file;

	spin_lock(&fi->lock);
	/* a reader reads the lower file, see au_file_untrunc() */
	if (fi->trunc && !(file->f_mode & FMODE_WRITE))
		fi->trunc = false;
	if (fi->trunc || fi->nomap) {
		h_file = ERR_PTR(-EACCES);
	} else {
		fi->mapped = true;
		h_file = fi->h_file;
	}
	spin_unlock(&fi->lock);
	return h_file;
}

/*
 * Fill @fi, but for @fi->trunc, to make @h_file on @br the branch file
 * of @file, and count @file on @br.  Called with the rwsem held.
 */
static void au_fi_init(struct file *file, struct au_finfo *fi,
		       struct file *h_file, struct au_branch *br)
{
	struct dentry *dentry = file->f_path.dentry;

	spin_lock_init(&fi->lock);
	fi->h_file = h_file;
	fi->dentry = dget(dentry);
	fi->br = br;
	au_br_file_get(br, au_fi_writes(file, fi));
	fi->gen = au_sbi(dentry->d_sb)->gen;
}

/* Give @file, being opened, @fi from au_fi_init(). */
static void au_file_attach(struct file *file, struct au_finfo *fi)
{
	file->private_data = fi;
	/*
	 * Mappings of this file sit on the branch mapping's i_mmap, where
	 * truncate, writeback and reclaim of the branch folios look.  It
	 * changes only with the branch file, which never changes once the
	 * file has been mapped (see mmap.c).
	 */
	file->f_mapping = fi->h_file->f_mapping;
	/* do_dentry_open() sampled the aufs inode's own mapping */
	file->f_wb_err = filemap_sample_wb_err(file->f_mapping);
	file->f_mode |= fi->h_file->f_mode & FMODE_CAN_ODIRECT;
}

/*
 * open(O_TRUNC) of a name that is not on the top branch copies nothing at
 * ->open: the VFS truncates after ->open (handle_truncate()), and the
 * open may still fail before that (an LSM's post-open check such as IMA
 * appraisal, security_file_truncate(), a running binary): a file whose
 * open failed must not have been emptied, nor copied.  Until the
 * truncation the aufs file reads the lower file (@fi->trunc); nothing
 * else can use it, it is not installed yet.  The truncation
 * (au_setattr()) copies only the data that survives and hands the file
 * its branch file on the top branch (au_file_trunc_done()), opened
 * before the union shows the truncated file.
 *
 * Only open(2) and its relatives truncate after ->open.  A kernel user
 * that opens with O_TRUNC through dentry_open() gets no truncation, on
 * aufs as on any filesystem (ksmbd truncates by path next, which copies
 * the name up).  Such a file open for
 * reading only goes on reading the lower file, as any reader does; one
 * open for writing takes the whole copy at its first use
 * (au_file_untrunc()), but keeps the f_mapping it had, the lower
 * file's, and cannot be mapped (-EACCES): mmap_region() counts a
 * writable mapping on the f_mapping it reads before ->mmap and again
 * after, and the file may be in use by then.
 */
static int au_open(struct file *file)
{
	struct dentry *dentry = file->f_path.dentry;
	unsigned int flags = file->f_flags;
	struct au_branch *br;
	struct au_finfo *fi;
	struct file *h_file;
	bool trunc;
	int err;

	err = au_d_current(dentry);
	if (err)
		return err;
	fi = kzalloc(sizeof(*fi), GFP_KERNEL);
	if (!fi)
		return -ENOMEM;
	/* Writers get the copy on the top branch. */
	trunc = (flags & O_TRUNC) && !au_d_is_upper(dentry);
	/* the top branch decides about O_DIRECT, see au_file_open_copy() */
	if (trunc)
		flags = (flags & ~(O_ACCMODE | O_DIRECT)) | O_RDONLY;
	else if (file->f_mode & FMODE_WRITE)
		err = au_copy_up(dentry);
	if (err) {
		kfree(fi);
		return err;
	}
	h_file = au_h_open(file, dentry, flags, &br);
	if (IS_ERR(h_file)) {
		kfree(fi);
		return PTR_ERR(h_file);
	}
	fi->trunc = trunc;
	au_fi_init(file, fi, h_file, br);
	au_file_attach(file, fi);
	if (trunc)
		file->f_mode |= FMODE_CAN_ODIRECT;
	return 0;
}

/* O_TMPFILE: finish_open() calls this instead of aufs_open(). */
static int au_tmpfile_open(struct inode *inode, struct file *file)
{
	au_file_attach(file, file->private_data);
	return 0;
}

/**
 * au_h_tmpfile - make the branch file of an O_TMPFILE open of the union
 * @file: the aufs file being opened, its dentry not instantiated yet
 * @h_parent: the directory on the top branch @br to make it in
 * @br: the top branch
 * @mode: its mode
 *
 * The branch's own O_TMPFILE makes an unnamed file with the caller's
 * credentials, as objects the caller creates are made, and opens it as
 * the branch file of @file, for the mounter, as other branch files are
 * opened (au_h_open_path()).  It is linkable unless @file has O_EXCL.
 * The caller holds write access to the branch.
 *
 * Return: the branch file, or an ERR_PTR.
 */
struct file *au_h_tmpfile(struct file *file, const struct path *h_parent,
			  const struct au_branch *br, umode_t mode)
{
	unsigned int flags = file->f_flags & ~(O_CREAT | O_NOCTTY | O_TRUNC);
	/* @file is not open yet: no f_inode */
	struct super_block *sb = file->f_path.dentry->d_sb;
	struct file *h_file;

	h_file = backing_tmpfile_open(file, flags, h_parent, mode,
				      au_sbi(sb)->cred);
	if (!IS_ERR(h_file))
		au_h_file_setfl(h_file, au_h_setfl(file->f_flags, br, sb));
	return h_file;
}

/**
 * au_file_tmpfile_prep - the open file state of an O_TMPFILE open
 * @file: the aufs file, its dentry instantiated
 * @h_file: its branch file, from au_h_tmpfile(); taken
 * @br: the top branch
 *
 * Called with the rwsem held; au_file_tmpfile() finishes the open
 * without it.
 *
 * Return: the state, or ERR_PTR(-ENOMEM) with @h_file put.
 */
struct au_finfo *au_file_tmpfile_prep(struct file *file, struct file *h_file,
				      struct au_branch *br)
{
	struct au_finfo *fi = kzalloc(sizeof(*fi), GFP_KERNEL);

	if (!fi) {
		fput(h_file);
		return ERR_PTR(-ENOMEM);
	}
	au_fi_init(file, fi, h_file, br);
	return fi;
}

/**
 * au_file_tmpfile - open an aufs file made with O_TMPFILE
 * @file: the aufs file, its dentry instantiated
 * @fi: from au_file_tmpfile_prep(); taken
 *
 * finish_open() runs without the rwsem: it may wait for a fanotify
 * listener, whose own opens of the union take the rwsem.
 *
 * Return: 0 or a negative errno.
 */
int au_file_tmpfile(struct file *file, struct au_finfo *fi)
{
	int err;

	file->private_data = fi;
	err = finish_open(file, file->f_path.dentry, au_tmpfile_open);
	/* not opened: ->release() will not run, the state is ours */
	if (!(file->f_mode & FMODE_OPENED)) {
		au_br_file_put(fi->br, au_fi_writes(file, fi));
		fput(fi->h_file);
		dput(fi->dentry);
		kfree(fi);
		file->private_data = NULL;
	}
	return err;
}

/**
 * au_file_trunc_pending - whether a truncation finishes an open of @file
 * @file: the file of an ATTR_OPEN truncation (&iattr.ia_file)
 *
 * Return: true if @file is an aufs file opened with O_TRUNC on a lower
 * branch that has no branch file on the top branch yet (see au_open()).
 */
bool au_file_trunc_pending(const struct file *file)
{
	return file->f_op == &au_file_fops && au_fi(file)->trunc;
}

/**
 * au_file_open_copy - open a copy being made for a truncating open
 * @file: the aufs file, au_file_trunc_pending()
 * @h_path: the copy, in the work directory of the top branch @br
 * @br: the top branch
 *
 * The copy is opened before it is moved into place, so that nothing can
 * fail once the union shows it (see au_open()).  The branch file stays
 * valid across the move: the rename moves its dentry.
 *
 * Return: the branch file, or an ERR_PTR.
 */
struct file *au_file_open_copy(struct file *file, const struct path *h_path,
			       const struct au_branch *br)
{
	return au_h_open_path(file, file->f_flags, h_path, br);
}

/**
 * au_file_open_top - open the top-branch file of a truncating open
 * @file: the aufs file, au_file_trunc_pending()
 * @dentry: its name, now on the top branch
 * @br: set to the branch of the branch file
 *
 * Return: the branch file, or an ERR_PTR.
 */
struct file *au_file_open_top(struct file *file, struct dentry *dentry,
			      struct au_branch **br)
{
	return au_h_open(file, dentry, file->f_flags, br);
}

/*
 * Hand @file, au_file_trunc_pending(), its branch file @h_file on @br,
 * under the rwsem.  A file already in use (@oldp) keeps the superseded
 * branch file on @fi->old until it is released, and its f_mapping, that
 * file's (see au_open()); *@oldp is taken.  If another thread settled
 * @file meanwhile, @h_file is dropped.
 */
static void au_file_settle(struct file *file, struct file *h_file,
			   struct au_branch *br, struct au_file_old **oldp)
{
	struct au_finfo *fi = au_fi(file);
	struct au_branch *old_br;

	spin_lock(&fi->lock);
	if (!fi->trunc) {
		spin_unlock(&fi->lock);
		fput(h_file);
		return;
	}
	au_br_file_get(br, file->f_mode & FMODE_WRITE);
	swap(fi->h_file, h_file);
	old_br = fi->br;
	fi->br = br;
	fi->trunc = false;
	fi->gen = au_sbi(file_inode(file)->i_sb)->gen;
	if (oldp) {
		(*oldp)->h_file = h_file;
		(*oldp)->next = fi->old;
		fi->old = *oldp;
		fi->nold++;
		fi->nomap = true;
		*oldp = NULL;
		h_file = NULL;
	} else {
		file->f_mapping = fi->h_file->f_mapping;
		file->f_wb_err = filemap_sample_wb_err(file->f_mapping);
	}
	spin_unlock(&fi->lock);
	spin_lock(&file->f_lock);
	file->f_mode &= ~FMODE_CAN_ODIRECT;
	file->f_mode |= READ_ONCE(fi->h_file->f_mode) & FMODE_CAN_ODIRECT;
	spin_unlock(&file->f_lock);
	au_br_file_put(old_br, false);
	if (h_file)
		fput(h_file);
}

/**
 * au_file_trunc_done - hand a truncating open its top-branch file
 * @file: the aufs file, au_file_trunc_pending(), not installed yet
 * @h_file: its branch file on the top branch; consumed
 * @br: the branch of @h_file
 *
 * Called under the rwsem, once the truncation is made.  The branch file
 * @file read until now is released: nobody else has seen @file.
 */
void au_file_trunc_done(struct file *file, struct file *h_file,
			struct au_branch *br)
{
	au_file_settle(file, h_file, br, NULL);
	file_ra_state_init(&file->f_ra, file->f_mapping->host->i_mapping);
}

/*
 * A truncating open whose truncation never came (see au_open()): a
 * reader reads the lower file from now on, as any reader does; a writer
 * takes the whole copy on the top branch before its first use.
 * Return: 0 or a negative errno, with @file left as it was.
 */
static int au_file_untrunc(struct file *file)
{
	struct dentry *dentry = file->f_path.dentry;
	struct super_block *sb = dentry->d_sb;
	struct au_finfo *fi = au_fi(file);
	struct au_file_old *old;
	struct au_branch *br;
	struct file *h_file;
	int err;

	if (!(file->f_mode & FMODE_WRITE)) {
		spin_lock(&fi->lock);
		fi->trunc = false;
		spin_unlock(&fi->lock);
		return 0;
	}
	old = kmalloc(sizeof(*old), GFP_KERNEL);
	if (!old)
		return -ENOMEM;
	au_read_lock(sb);
	err = au_d_current(dentry) ?: au_copy_up(dentry);
	h_file = err ? ERR_PTR(err) : au_file_open_top(file, dentry, &br);
	err = PTR_ERR_OR_ZERO(h_file);
	if (!err)
		au_file_settle(file, h_file, br, &old);
	au_read_unlock(sb);
	kfree(old);
	return err;
}

static int aufs_open(struct inode *inode, struct file *file)
{
	int err;

	au_read_lock(inode->i_sb);
	err = au_open(file);
	au_read_unlock(inode->i_sb);
	return err;
}

static int aufs_release(struct inode *inode, struct file *file)
{
	struct au_finfo *fi = au_fi(file);
	struct au_file_old *old;

	fput(fi->h_file);
	dput(fi->dentry);
	au_br_file_put(fi->br, au_fi_writes(file, fi));
	while ((old = fi->old)) {
		fi->old = old->next;
		fput(old->h_file);
		kfree(old);
	}
	kfree(fi);
	return 0;
}

/**
 * au_file_accessed - &backing_file_ctx.accessed for aufs files
 * @file: the aufs file
 *
 * The branch updated its inode's times (read, mmap): show them.
 */
void au_file_accessed(struct file *file)
{
	struct inode *inode = file_inode(file);

	fsstack_copy_attr_times(inode, au_h_inode(inode));
}

static ssize_t aufs_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp;
	struct backing_file_ctx ctx = {
		.cred = file->f_cred,
		.user_file = file,
		.accessed = au_file_accessed,
	};

	struct file *h_file;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	h_file = au_h_file_get(file, true);
	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	ret = backing_file_read_iter(h_file, iter, iocb, iocb->ki_flags, &ctx);
	fput(h_file);
	return ret;
}

/* After a write to the branch file: size and times follow it. */
static void aufs_file_end_write(struct file *file, loff_t pos, ssize_t ret)
{
	au_copy_attr(file_inode(file));
}

static ssize_t aufs_write_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp;
	struct backing_file_ctx ctx = {
		.cred = file->f_cred,
		.user_file = file,
		.end_write = aufs_file_end_write,
	};
	struct inode *inode = file_inode(file);
	struct file *h_file;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	h_file = au_h_file_get(file, false);
	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	/* As for a native write: file_remove_privs() needs it. */
	inode_lock(inode);
	ret = backing_file_write_iter(h_file, iter, iocb, iocb->ki_flags,
				      &ctx);
	inode_unlock(inode);
	fput(h_file);
	return ret;
}

static ssize_t aufs_splice_write(struct pipe_inode_info *pipe,
				 struct file *out, loff_t *ppos, size_t len,
				 unsigned int flags)
{
	struct backing_file_ctx ctx = {
		.cred = out->f_cred,
		.user_file = out,
		.end_write = aufs_file_end_write,
	};
	struct inode *inode = file_inode(out);
	struct file *h_file = au_h_file_get(out, false);
	ssize_t ret;

	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	inode_lock(inode);
	ret = backing_file_splice_write(pipe, h_file, ppos, len, flags, &ctx);
	inode_unlock(inode);
	fput(h_file);
	return ret;
}

static int aufs_fsync(struct file *file, loff_t start, loff_t end,
		      int datasync)
{
	struct file *h_file = au_h_file_get(file, false);
	int err;

	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	err = vfs_fsync_range(h_file, start, end, datasync);
	fput(h_file);
	return err;
}

/*
 * close(2) of a descriptor: the branch file's own ->flush, forwarded as
 * overlayfs forwards it but with the opener's credentials, as for reads
 * and writes (overlayfs uses the mounter's).
 * NFS writes back and reports write errors there (close-to-open), FUSE
 * passes the close on to its server, which may fail it (and waits for
 * it, uninterruptibly, as on FUSE itself).  It runs for every close of a
 * descriptor, with the descriptor table as @id.  The branch file the
 * aufs file has now is flushed, without moving it after a branch change
 * or taking the copy of an unused truncating open (au_open()): neither
 * has anything to flush.  Branch files a read-only file moved away from
 * are not flushed again; they were only read.
 */
static int aufs_flush(struct file *file, fl_owner_t id)
{
	struct file *h_file = au_h_file_now(file);
	const struct cred *old_cred;
	int err = 0;

	if (h_file->f_op->flush) {
		old_cred = override_creds(file->f_cred);
		err = h_file->f_op->flush(h_file, id);
		revert_creds(old_cred);
	}
	fput(h_file);
	return err;
}

static long aufs_fallocate(struct file *file, int mode, loff_t offset,
			   loff_t len)
{
	struct inode *inode = file_inode(file);
	struct file *h_file = au_h_file_get(file, false);
	long ret;

	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	inode_lock(inode);
	ret = vfs_fallocate(h_file, mode, offset, len);
	au_copy_attr(inode);
	inode_unlock(inode);
	fput(h_file);
	return ret;
}

/*
 * posix_fadvise(2), readahead(2) and MADV_WILLNEED: the advice is for the
 * branch file, whose readahead state reads use.  generic_fadvise() on
 * the aufs file would hand the aufs file to the branch's ->readahead,
 * which may read its private_data (NFS, FUSE), as overlayfs notes.
 */
static int aufs_fadvise(struct file *file, loff_t offset, loff_t len,
			int advice)
{
	struct file *h_file = au_h_file_get(file, true);
	const struct cred *old_cred;
	int err;

	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	old_cred = override_creds(file->f_cred);
	err = vfs_fadvise(h_file, offset, len, advice);
	revert_creds(old_cred);
	/*
	 * vma_has_recency() asks the file in vm_file for FMODE_NOREUSE:
	 * give the aufs file the branch file's, so that it does not matter
	 * which of the two a reader finds during a forwarded fault.
	 */
	if (!err) {
		spin_lock(&file->f_lock);
		file->f_mode = (file->f_mode & ~FMODE_NOREUSE) |
			       (READ_ONCE(h_file->f_mode) & FMODE_NOREUSE);
		spin_unlock(&file->f_lock);
	}
	fput(h_file);
	return err;
}

/* The branch files of @in (see au_h_file_get() for @regen) and @out. */
static int au_h_files_get(struct file *in, bool regen, struct file *out,
			  struct file **h_in, struct file **h_out)
{
	*h_in = au_h_file_get(in, regen);
	if (IS_ERR(*h_in))
		return PTR_ERR(*h_in);
	*h_out = au_h_file_get(out, false);
	if (IS_ERR(*h_out)) {
		fput(*h_in);
		return PTR_ERR(*h_out);
	}
	return 0;
}

/*
 * FICLONE, FICLONERANGE and FIDEDUPERANGE between aufs files: done by the
 * branch files when the branch can (same branch filesystem, reflink
 * support), refused as the branch refuses it otherwise.
 */
static loff_t aufs_remap_file_range(struct file *in, loff_t pos_in,
				    struct file *out, loff_t pos_out,
				    loff_t len, unsigned int flags)
{
	struct inode *inode = file_inode(out);
	struct file *h_in, *h_out;
	loff_t ret;
	int err;

	if (flags & ~(REMAP_FILE_DEDUP | REMAP_FILE_CAN_SHORTEN))
		return -EINVAL;
	if (in->f_op != &au_file_fops)
		return -EXDEV;
	/*
	 * Deduplication rewrites the extents of the destination's branch
	 * file.  The VFS lets the owner dedupe into a file opened
	 * read-only, which may be on a lower branch: only a file opened for
	 * writing, which lives on a writable branch, may be the destination.
	 */
	if ((flags & REMAP_FILE_DEDUP) && !(out->f_mode & FMODE_WRITE))
		return -EPERM;
	err = au_h_files_get(in, false, out, &h_in, &h_out);
	if (err)
		return err;
	inode_lock(inode);
	if (flags & REMAP_FILE_DEDUP)
		ret = vfs_dedupe_file_range_one(h_in, pos_in, h_out, pos_out,
						len, flags);
	else
		ret = vfs_clone_file_range(h_in, pos_in, h_out, pos_out, len,
					   flags);
	au_copy_attr(inode);
	inode_unlock(inode);
	fput(h_out);
	fput(h_in);
	return ret;
}

/*
 * copy_file_range(2) between aufs files (the VFS calls this only for
 * two of them): done by the branch files, so a branch that copies on its
 * own does (a clone on XFS or btrfs, a copy by the server on NFS, CIFS
 * or FUSE, also between two of their filesystems where they can).
 * Branch files the branch cannot copy between (two filesystems, for
 * most) are copied by splice, as the VFS copies between two files of
 * one filesystem that has no such method: the VFS calls this one for
 * any two aufs files, and its error would be the call's.  As for a
 * write, with the credentials of the destination's opener.
 */
static ssize_t aufs_copy_file_range(struct file *in, loff_t pos_in,
				    struct file *out, loff_t pos_out,
				    size_t len, unsigned int flags)
{
	struct inode *inode = file_inode(out);
	const struct cred *old_cred;
	struct file *h_in, *h_out;
	ssize_t ret;
	int err;

	err = au_h_files_get(in, true, out, &h_in, &h_out);
	if (err)
		return err;
	old_cred = override_creds(out->f_cred);
	inode_lock(inode);
	ret = vfs_copy_file_range(h_in, pos_in, h_out, pos_out, len, flags);
	/*
	 * As nfsd does: the branch made no copy (FUSE may have updated the
	 * destination's times and modes first), so the range is copied.
	 */
	if ((ret == -EXDEV || ret == -EOPNOTSUPP) &&
	    !(flags & COPY_FILE_SPLICE))
		ret = vfs_copy_file_range(h_in, pos_in, h_out, pos_out, len,
					  flags | COPY_FILE_SPLICE);
	au_copy_attr(inode);
	inode_unlock(inode);
	revert_creds(old_cred);
	if (ret > 0)
		au_file_accessed(in);
	fput(h_out);
	fput(h_in);
	return ret;
}

static ssize_t aufs_splice_read(struct file *in, loff_t *ppos,
				struct pipe_inode_info *pipe, size_t len,
				unsigned int flags)
{
	struct backing_file_ctx ctx = {
		.cred = in->f_cred,
		.user_file = in,
		.accessed = au_file_accessed,
	};

	struct file *h_file = au_h_file_get(in, false);
	ssize_t ret;

	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	ret = backing_file_splice_read(h_file, ppos, pipe, len, flags, &ctx);
	fput(h_file);
	return ret;
}

/*
 * The branch file's own llseek knows its size, holes and data.  Calls on
 * one aufs file are serialized by the VFS (f_pos_lock, FMODE_ATOMIC_POS),
 * and the branch file's position is used by nothing else, so handing the
 * position over and back needs no lock of its own.
 */
static loff_t aufs_llseek(struct file *file, loff_t offset, int whence)
{
	struct file *h_file = au_h_file_get(file, true);
	loff_t ret;

	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	h_file->f_pos = file->f_pos;
	ret = vfs_llseek(h_file, offset, whence);
	file->f_pos = h_file->f_pos;
	fput(h_file);
	return ret;
}

const struct file_operations au_file_fops = {
	.open		= aufs_open,
	.release	= aufs_release,
	.llseek		= aufs_llseek,
	.read_iter	= aufs_read_iter,
	.splice_read	= aufs_splice_read,
	.write_iter	= aufs_write_iter,
	.splice_write	= aufs_splice_write,
	.fsync		= aufs_fsync,
	.flush		= aufs_flush,
	.fallocate	= aufs_fallocate,
	.copy_file_range = aufs_copy_file_range,
	.remap_file_range = aufs_remap_file_range,
	.mmap		= aufs_mmap,
	.get_unmapped_area = aufs_get_unmapped_area,
	.fadvise	= aufs_fadvise,
};

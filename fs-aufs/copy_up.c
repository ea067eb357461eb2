// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: copy-up to the top branch.
 *
 * Before a name from a lower branch is changed, it is copied to the top
 * branch, its parent directories first.  Every copy is built in the work
 * directory (".wh..wh.orph" at the top branch root, the mounter's, 0700,
 * without ACLs): data (cloned where the branches share extents, holes
 * staying holes, then fsync), xattrs and POSIX ACLs, owner, mode and
 * times, the union's inode number of the name unless the copy gets a
 * pseudo-link (au_ino_keep()), and only then renamed into place (inode flags such as
 * append-only follow the rename, see au_cu_fileattr()).  So a half-made
 * copy is never visible in the union, a crash leaves it in the
 * work directory (emptied at the next mount), and an error leaves the
 * union as it was.  Nothing is inherited from the directory the copy
 * lands in: the copy carries exactly the lower object's ACLs.
 *
 * A copy-up for truncate(2) or ftruncate(2) that shrinks the file
 * copies only the data that survives: the copy is built at the new size
 * with the truncation's times, so truncating a large lower file neither
 * takes the time of a whole copy nor needs room for it on the top
 * branch.  open(O_TRUNC) copies in the same way, at the truncation the
 * VFS makes after ->open (see au_open()).
 *
 * Copy-up runs with the mounter's credentials, as an LSM adjusts them
 * (security_inode_copy_up()): it must be able to read the lower object
 * and give the copy its owner.  The caller has already been allowed to
 * make the change that needs the copy (aufs_permission(),
 * setattr_prepare()).  Xattrs pass security_inode_copy_up_xattr();
 * "security.evm" is copied only where EVM accepts it (a portable
 * signature), never an HMAC, which seals the lower inode.
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs_stack.h>
#include <linux/fileattr.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/xattr.h>

#include "aufs.h"

/*
 * How much one splice call copies: bounds the time between checks for a
 * fatal signal and for a waiting branch change.
 */
#define AU_CU_CHUNK	SZ_1M

/* How much one clone call shares: as AU_CU_CHUNK, for a clone. */
#define AU_CU_CLONE_CHUNK	SZ_64M

/* How many times one copy-up gives way to branch changes, at most. */
#define AU_CU_YIELDS	8

/**
 * struct au_cu_req - one copy-up of one name
 * @len: at most this many bytes of data (see au_copy_up_open())
 * @may_yield: give way to a waiting branch change (see au_cu_data())
 * @yielded: set when the copy was given up for that
 * @file: an aufs file to open the copy for before it is moved into
 *	place, or NULL (see au_copy_up_open())
 * @h_file: set to that branch file
 */
struct au_cu_req {
	loff_t len;
	bool may_yield;
	bool yielded;
	struct file *file;
	struct file *h_file;
};

static atomic_t au_cu_seq = ATOMIC_INIT(0);

static int au_cu_acl(const struct path *lower, struct dentry *upper,
		     const char *name)
{
	struct posix_acl *acl;
	int err;

	acl = vfs_get_acl(mnt_idmap(lower->mnt), lower->dentry, name);
	if (IS_ERR_OR_NULL(acl)) {
		err = PTR_ERR_OR_ZERO(acl);
		/* none, or none possible */
		if (err == -ENODATA || err == -EOPNOTSUPP)
			err = 0;
		return err;
	}
	err = vfs_set_acl(&nop_mnt_idmap, upper, name, acl);
	posix_acl_release(acl);
	return err;
}

static int au_cu_xattrs(const struct path *lower, struct dentry *upper)
{
	struct dentry *h = lower->dentry;
	ssize_t size, vsize;
	char *names, *name, *value = NULL;
	int err = 0;

	size = vfs_listxattr(h, NULL, 0);
	if (size <= 0)
		return size == -EOPNOTSUPP ? 0 : size;
	names = kvmalloc(size, GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	size = vfs_listxattr(h, names, size);
	for (name = names; size > 0 && name < names + size && !err;
	     name += strlen(name) + 1) {
		/*
		 * POSIX ACLs go through the ACL API below; aufs' own names
		 * are aufs' to set (au_ino_keep()), and under noxino nobody's.
		 */
		if (is_posix_acl_xattr(name) ||
		    !strncmp(name, AUFS_XATTR_PFX, strlen(AUFS_XATTR_PFX)))
			continue;
		err = security_inode_copy_up_xattr(h, name);
		/*
		 * -ECANCELED: the LSM keeps it off the copy.  security.evm
		 * goes only where EVM says it may (a portable signature):
		 * an HMAC seals the lower inode, and without EVM nobody
		 * vouches for it.
		 */
		if (err == -ECANCELED ||
		    (err && !strcmp(name, XATTR_NAME_EVM))) {
			err = 0;
			continue;
		}
		if (err && err != -EOPNOTSUPP)
			break;
		err = 0;
		vsize = vfs_getxattr(mnt_idmap(lower->mnt), h, name, NULL, 0);
		if (vsize < 0) {
			err = vsize;
			break;
		}
		kvfree(value);
		value = kvmalloc(vsize ?: 1, GFP_KERNEL);
		if (!value) {
			err = -ENOMEM;
			break;
		}
		vsize = vfs_getxattr(mnt_idmap(lower->mnt), h, name, value,
				     vsize);
		if (vsize < 0) {
			err = vsize;
			break;
		}
		err = vfs_setxattr(&nop_mnt_idmap, upper, name, value, vsize,
				   0);
		/* a name the top branch cannot hold is left behind */
		if (err == -EOPNOTSUPP)
			err = 0;
	}
	kvfree(value);
	kvfree(names);
	if (!err && size < 0)
		err = size;
	if (!err)
		err = au_cu_acl(lower, upper, XATTR_NAME_POSIX_ACL_ACCESS);
	if (!err && d_is_dir(upper))
		err = au_cu_acl(lower, upper, XATTR_NAME_POSIX_ACL_DEFAULT);
	return err;
}

/* Give @upper the xattrs, owner, mode and times of @lower. */
static int au_cu_attrs(const struct path *lower, struct dentry *upper)
{
	struct inode *h_inode = d_inode(lower->dentry);
	struct inode *inode = d_inode(upper);
	struct iattr attr = {
		.ia_valid = ATTR_UID | ATTR_GID,
		.ia_vfsuid = VFSUIDT_INIT(h_inode->i_uid),
		.ia_vfsgid = VFSGIDT_INIT(h_inode->i_gid),
	};
	int err;

	err = au_cu_xattrs(lower, upper);
	if (err)
		return err;

	inode_lock(inode);
	err = notify_change(&nop_mnt_idmap, upper, &attr, NULL);
	if (!err && !S_ISLNK(h_inode->i_mode)) {
		/* After chown, which may clear set-id bits. */
		attr.ia_valid = ATTR_MODE;
		attr.ia_mode = h_inode->i_mode;
		err = notify_change(&nop_mnt_idmap, upper, &attr, NULL);
	}
	if (!err) {
		attr.ia_valid = ATTR_ATIME | ATTR_MTIME | ATTR_ATIME_SET |
				ATTR_MTIME_SET;
		attr.ia_atime = inode_get_atime(h_inode);
		attr.ia_mtime = inode_get_mtime(h_inode);
		err = notify_change(&nop_mnt_idmap, upper, &attr, NULL);
	}
	inode_unlock(inode);
	return err;
}

/* Give up for a fatal signal, or for a waiting branch change (see below). */
static int au_cu_yield(struct au_sbinfo *sbi, struct au_cu_req *req)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	if (req->may_yield && au_change_waiting(sbi)) {
		req->yielded = true;
		return -EAGAIN;
	}
	return 0;
}

/*
 * Clone what it can of @in to @out, from 0, when both are on one
 * filesystem that shares extents (XFS, btrfs): no data is copied.  A
 * whole copy is cloned to its end; a truncated one (@size short of the
 * end of @in) up to its last whole block.  A clone that fails leaves in
 * @out what it cloned, the data of @in.  Not from a read-only mount: a
 * clone may change the lower inode (XFS marks it as sharing extents).
 *
 * Return: how much was cloned, or a negative errno to give up with.
 */
static loff_t au_cu_clone(struct au_sbinfo *sbi, struct au_cu_req *req,
			  struct file *in, struct file *out, loff_t size)
{
	loff_t pos = 0;

	if (__mnt_is_readonly(in->f_path.mnt))
		return 0;
	while (pos < size) {
		loff_t n;
		int err = au_cu_yield(sbi, req);

		if (err)
			return err;
		n = vfs_clone_file_range(in, pos, out, pos,
					 min_t(loff_t, size - pos,
					       AU_CU_CLONE_CHUNK),
					 REMAP_FILE_CAN_SHORTEN);
		if (n <= 0)
			break;
		pos += n;
	}
	return pos;
}

/*
 * Copy the data of @in to @out, of the same size, skipping holes, after
 * cloning what can be (au_cu_clone()).  A branch change waiting for
 * @sbi's rwsem makes it give up between two chunks, with @req->yielded
 * set, if @req allows (au_copy_up_open()).
 */
static int au_cu_data(struct au_sbinfo *sbi, struct au_cu_req *req,
		      struct file *in, struct file *out, loff_t size)
{
	loff_t pos = au_cu_clone(sbi, req, in, out, size);

	if (pos < 0)
		return pos;
	while (pos < size) {
		loff_t data, hole, ipos, opos;

		data = vfs_llseek(in, pos, SEEK_DATA);
		if (data == -ENXIO)
			break;
		if (data < 0) {
			data = pos;
			hole = size;
		} else {
			hole = vfs_llseek(in, data, SEEK_HOLE);
			if (hole < 0 || hole > size)
				hole = size;
		}
		ipos = data;
		opos = data;
		while (ipos < hole) {
			ssize_t n;
			int err = au_cu_yield(sbi, req);

			if (err)
				return err;
			n = do_splice_direct(in, &ipos, out, &opos,
					     min_t(loff_t, hole - ipos,
						   AU_CU_CHUNK), 0);
			if (n < 0)
				return n;
			if (!n)
				return -EIO;
		}
		pos = hole;
	}
	return vfs_fsync(out, 0);
}

/*
 * Remove an unfinished copy from the work directory.  If the branch cannot
 * be written any more, the next mount removes it.
 */
static void au_cu_discard(struct au_sbinfo *sbi, struct dentry *tmp)
{
	struct vfsmount *mnt = sbi->wbr->path.mnt;
	struct inode *dir = d_inode(sbi->workdir);

	if (!mnt_want_write(mnt)) {
		inode_lock_nested(dir, I_MUTEX_PARENT);
		if (tmp->d_parent == sbi->workdir && !d_unhashed(tmp)) {
			if (d_is_dir(tmp))
				vfs_rmdir(&nop_mnt_idmap, dir, tmp);
			else
				vfs_unlink(&nop_mnt_idmap, dir, tmp, NULL);
		}
		inode_unlock(dir);
		mnt_drop_write(mnt);
	}
	dput(tmp);
}

/*
 * Create an object of the type of @h_inode in the work directory, for
 * the mounter only: a regular file is empty, a symlink points to @link.
 * The caller holds write access to the top branch.
 */
static struct dentry *au_cu_create_tmp(struct au_sbinfo *sbi,
				       const struct inode *h_inode,
				       const char *link)
{
	struct dentry *work = sbi->workdir;
	struct inode *dir = d_inode(work);
	umode_t type = h_inode->i_mode & S_IFMT;
	struct dentry *tmp;
	char name[32];
	int err, len;

	len = snprintf(name, sizeof(name), "cu.%x",
		       (unsigned int)atomic_inc_return(&au_cu_seq));
	inode_lock_nested(dir, I_MUTEX_PARENT);
	tmp = lookup_one(&nop_mnt_idmap, name, work, len);
	if (IS_ERR(tmp))
		goto out;
	switch (type) {
	case S_IFREG:
		err = vfs_create(&nop_mnt_idmap, dir, tmp, S_IFREG | 0600, true);
		break;
	case S_IFDIR:
		err = au_h_mkdir(dir, &tmp, 0700);
		break;
	case S_IFLNK:
		err = vfs_symlink(&nop_mnt_idmap, dir, tmp, link);
		break;
	default:
		err = vfs_mknod(&nop_mnt_idmap, dir, tmp, type | 0600,
				h_inode->i_rdev);
		break;
	}
	if (!err && d_is_negative(tmp))
		err = -EIO;	/* the branch did not instantiate it */
	if (err) {
		dput(tmp);
		tmp = ERR_PTR(err);
	}
out:
	inode_unlock(dir);
	return tmp;
}

/* Give the regular file @tmp in the work directory @size. */
static int au_cu_size(struct dentry *tmp, loff_t size)
{
	struct iattr attr = { .ia_valid = ATTR_SIZE, .ia_size = size };
	int err;

	/* Size first: ranges never written stay holes. */
	inode_lock(d_inode(tmp));
	err = notify_change(&nop_mnt_idmap, tmp, &attr, NULL);
	inode_unlock(d_inode(tmp));
	return err;
}

/* Give @tmp the current time as mtime and ctime, as a truncation does. */
static int au_cu_touch(struct dentry *tmp)
{
	struct iattr attr = { .ia_valid = ATTR_MTIME | ATTR_CTIME };
	int err;

	inode_lock(d_inode(tmp));
	err = notify_change(&nop_mnt_idmap, tmp, &attr, NULL);
	inode_unlock(d_inode(tmp));
	return err;
}

/* Fill the regular file @tmp in the work directory from @lower. */
static int au_cu_fill(struct au_sbinfo *sbi, struct au_cu_req *req,
		      const struct path *lower, struct dentry *tmp, loff_t size)
{
	struct path tmp_path = { .mnt = sbi->wbr->path.mnt, .dentry = tmp };
	struct file *in, *out;
	int err;

	in = dentry_open(lower, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(in))
		return PTR_ERR(in);
	/* reading the lower file for the copy is not an access to it */
	au_file_noatime(in);
	out = dentry_open(&tmp_path, O_WRONLY | O_LARGEFILE, current_cred());
	err = PTR_ERR_OR_ZERO(out);
	if (!err) {
		err = au_cu_data(sbi, req, in, out, size);
		fput(out);
	}
	fput(in);
	return err;
}

/*
 * Build a copy of @lower in the work directory.  Write access to the top
 * branch is taken around the metadata changes only: do_splice_direct()
 * takes sb_writers itself.
 */
static struct dentry *au_cu_build(struct au_sbinfo *sbi,
				  struct au_cu_req *req,
				  const struct path *lower)
{
	struct inode *h_inode = d_inode(lower->dentry);
	struct vfsmount *mnt = sbi->wbr->path.mnt;
	loff_t size = S_ISREG(h_inode->i_mode) ?
		      min(i_size_read(h_inode), req->len) : 0;
	DEFINE_DELAYED_CALL(done);
	const char *link = NULL;
	struct dentry *tmp;
	int err;

	if (S_ISLNK(h_inode->i_mode)) {
		link = vfs_get_link(lower->dentry, &done);
		if (IS_ERR(link))
			return ERR_CAST(link);
	}
	err = mnt_want_write(mnt);
	if (err) {
		do_delayed_call(&done);
		return ERR_PTR(err);
	}
	tmp = au_cu_create_tmp(sbi, h_inode, link);
	if (!IS_ERR(tmp) && size)
		err = au_cu_size(tmp, size);
	mnt_drop_write(mnt);
	do_delayed_call(&done);
	if (IS_ERR(tmp))
		return tmp;

	if (!err && size)
		err = au_cu_fill(sbi, req, lower, tmp, size);
	if (!err) {
		err = mnt_want_write(mnt);
		if (!err) {
			err = au_cu_attrs(lower, tmp);
			/* a truncated copy: the truncation's times */
			if (!err && S_ISREG(h_inode->i_mode) &&
			    size < i_size_read(h_inode))
				err = au_cu_touch(tmp);
			mnt_drop_write(mnt);
		}
	}
	if (err) {
		au_cu_discard(sbi, tmp);
		return ERR_PTR(err);
	}
	return tmp;
}

/*
 * A copy-up changes nothing in the directory it lands in, as the union
 * shows it: give the directory back the atime and mtime it had before
 * the copy arrived (its ctime moves, as on overlayfs).  Called with
 * @h_parent locked and write access to the branch; a failure leaves
 * only the times changed, so it is not reported.
 */
static void au_cu_keep_dir_times(struct dentry *h_parent,
				 const struct timespec64 *atime,
				 const struct timespec64 *mtime)
{
	struct iattr attr = {
		.ia_valid = ATTR_ATIME | ATTR_MTIME | ATTR_ATIME_SET |
			    ATTR_MTIME_SET,
		.ia_atime = *atime,
		.ia_mtime = *mtime,
	};

	notify_change(&nop_mnt_idmap, h_parent, &attr, NULL);
}

/* Rename the finished copy @tmp to @name in @h_parent. */
static int au_cu_move(struct au_sbinfo *sbi, struct dentry *tmp,
		      struct dentry *h_parent, const struct qstr *name)
{
	struct dentry *work = sbi->workdir;
	struct renamedata rd = {
		.old_mnt_idmap = &nop_mnt_idmap,
		.old_dir = d_inode(work),
		.old_dentry = tmp,
		.new_mnt_idmap = &nop_mnt_idmap,
		.new_dir = d_inode(h_parent),
	};
	struct vfsmount *mnt = sbi->wbr->path.mnt;
	struct dentry *trap, *target;
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return err;
	trap = lock_rename(work, h_parent);
	if (IS_ERR(trap)) {
		mnt_drop_write(mnt);
		return PTR_ERR(trap);
	}
	target = au_h_lookup_new(h_parent, name);
	err = PTR_ERR_OR_ZERO(target);
	if (!err) {
		struct inode *dir = d_inode(h_parent);
		struct timespec64 atime = inode_get_atime(dir);
		struct timespec64 mtime = inode_get_mtime(dir);

		if (trap == tmp || trap == target || tmp->d_parent != work)
			err = -EIO;
		if (!err) {
			au_ino_mark_dir(sbi, &nop_mnt_idmap, h_parent);
			rd.new_dentry = target;
			err = vfs_rename(&rd);
		}
		if (!err)
			au_cu_keep_dir_times(h_parent, &atime, &mtime);
		dput(target);
	}
	unlock_rename(work, h_parent);
	mnt_drop_write(mnt);
	return err;
}

/* The inode flags a copy keeps (the aufs inode shows them, AU_I_FLAGS). */
#define AU_CU_FS_FLAGS	(FS_SYNC_FL | FS_NOATIME_FL | FS_APPEND_FL | \
			 FS_IMMUTABLE_FL)
/* Those without which the copy would allow what the lower file refuses. */
#define AU_CU_FS_PROT	(FS_APPEND_FL | FS_IMMUTABLE_FL)

/*
 * The flags of AU_CU_FS_FLAGS the lower object @lower has.  Some
 * filesystems set S_NOATIME or S_SYNC on every inode without such flags
 * (NFS, FUSE) and cannot answer FS_IOC_GETFLAGS: for them only the
 * append-only and immutable bits of the inode count.
 */
static u32 au_cu_lower_flags(const struct path *lower)
{
	struct inode *h_inode = d_inode(lower->dentry);
	struct fileattr fa = {};
	u32 flags = 0;

	if (!(h_inode->i_flags & (S_SYNC | S_NOATIME | S_APPEND |
				  S_IMMUTABLE)))
		return 0;
	if (!vfs_fileattr_get(lower->dentry, &fa))
		return fa.flags & AU_CU_FS_FLAGS;
	if (h_inode->i_flags & S_APPEND)
		flags |= FS_APPEND_FL;
	if (h_inode->i_flags & S_IMMUTABLE)
		flags |= FS_IMMUTABLE_FL;
	return flags;
}

/*
 * Give the copy @upper, in place, the flags of AU_CU_FS_FLAGS the lower
 * object @lower has, leaving its other flags (ext4's extents flag) as
 * they are.  Append-only and immutable objects cannot be renamed, so
 * this comes after the move.  A top branch that cannot hold append-only
 * or immutable fails the copy-up (-EPERM): the copy would allow what the
 * lower object refuses.  Sync and noatime are kept where the top branch
 * takes them with the others.
 */
static int au_cu_fileattr(struct au_branch *wbr, const struct path *lower,
			  struct dentry *upper)
{
	u32 want = au_cu_lower_flags(lower);
	static const u32 masks[] = { AU_CU_FS_FLAGS, AU_CU_FS_PROT };
	struct fileattr cur = {};
	unsigned int i;
	int err;

	if (!want)
		return 0;
	err = mnt_want_write(wbr->path.mnt);
	if (err)
		return err;
	err = vfs_fileattr_get(upper, &cur);
	for (i = 0; !err && i < ARRAY_SIZE(masks); i++) {
		struct fileattr fa = {};

		if (i && !(want & masks[i]))
			break;
		fileattr_fill_flags(&fa, (cur.flags & ~AU_CU_FS_FLAGS) |
					 (want & masks[i]));
		err = vfs_fileattr_set(&nop_mnt_idmap, upper, &fa);
		if (err != -EOPNOTSUPP && err != -EINVAL)
			break;
		err = 0;
		if (i + 1 == ARRAY_SIZE(masks))
			err = -EOPNOTSUPP;
	}
	mnt_drop_write(wbr->path.mnt);
	if (err == -ENOIOCTLCMD || err == -ENOTTY || err == -EOPNOTSUPP)
		err = (want & AU_CU_FS_PROT) ? -EPERM : 0;
	return err;
}

/*
 * Take the copy @upper, moved to @h_parent, out of the branch again: its
 * flags could not be set.  If that fails too, the copy stays there,
 * without them; the union does not show it until the name is looked up
 * again.
 */
static void au_cu_unmove(struct au_branch *wbr, struct dentry *upper,
			 struct dentry *h_parent)
{
	struct inode *dir = d_inode(h_parent);
	int err;

	err = mnt_want_write(wbr->path.mnt);
	if (err)
		goto out;
	inode_lock_nested(dir, I_MUTEX_PARENT);
	err = -ESTALE;
	if (upper->d_parent == h_parent && !d_unhashed(upper)) {
		if (d_is_dir(upper))
			err = vfs_rmdir(&nop_mnt_idmap, dir, upper);
		else
			err = vfs_unlink(&nop_mnt_idmap, dir, upper, NULL);
	}
	inode_unlock(dir);
	mnt_drop_write(wbr->path.mnt);
out:
	if (err)
		pr_warn_ratelimited("aufs: a copy of %pd without its inode flags stays on the top branch (%d)\n",
				    upper, err);
}

/*
 * Hard links on a lower branch share one aufs inode.  When one name was
 * copied up already, the others become links to that copy (@h, its
 * pseudo-link or another name of it), so the inode keeps standing for
 * one file.
 */
static struct dentry *au_cu_link_alias(struct au_sbinfo *sbi,
				       struct au_branch *wbr,
				       struct dentry *h,
				       struct dentry *h_parent,
				       const struct qstr *name)
{
	struct inode *dir = d_inode(h_parent);
	struct timespec64 atime, mtime;
	struct dentry *new;
	int err;

	err = mnt_want_write(wbr->path.mnt);
	if (err)
		return ERR_PTR(err);
	inode_lock_nested(dir, I_MUTEX_PARENT);
	atime = inode_get_atime(dir);
	mtime = inode_get_mtime(dir);
	new = au_h_lookup_new(h_parent, name);
	err = PTR_ERR_OR_ZERO(new);
	if (!err) {
		au_ino_mark_dir(sbi, &nop_mnt_idmap, h_parent);
		err = vfs_link(h, &nop_mnt_idmap, dir, new, NULL);
	}
	if (!err)
		au_cu_keep_dir_times(h_parent, &atime, &mtime);
	inode_unlock(dir);
	mnt_drop_write(wbr->path.mnt);
	if (err) {
		if (!IS_ERR(new))
			dput(new);
		return ERR_PTR(err);
	}
	return new;
}

/*
 * Build a copy of @lower, give it a pseudo-link if it needs one
 * (plink.c) and move it into place; on failure nothing is left.
 */
static struct dentry *au_cu_new(struct au_sbinfo *sbi, struct au_cu_req *req,
				struct inode *inode, const struct path *lower,
				struct dentry *h_parent,
				const struct qstr *name)
{
	struct au_branch *wbr = sbi->wbr;
	struct dentry *upper, *plink;
	bool plinked;
	int err;

	upper = au_cu_build(sbi, req, lower);
	if (IS_ERR(upper))
		return upper;
	if (req->file && d_is_reg(upper)) {
		struct path h_path = { .mnt = wbr->path.mnt, .dentry = upper };
		struct file *h_file = au_file_open_copy(req->file, &h_path, wbr);

		if (IS_ERR(h_file)) {
			au_cu_discard(sbi, upper);
			return ERR_CAST(h_file);
		}
		req->h_file = h_file;
	}
	err = mnt_want_write(wbr->path.mnt);
	if (err) {
		plink = NULL;
		goto fail;
	}
	/*
	 * A pseudo-linked copy is a file of its own at the next mount,
	 * which does not read pseudo-links: it keeps no number.  Decided
	 * once: the lower link count may change meanwhile.
	 */
	plinked = au_plink_wanted(inode);
	if (!plinked)
		au_ino_keep(inode, upper);
	plink = plinked ? au_plink_link(inode, wbr, upper) : NULL;
	mnt_drop_write(wbr->path.mnt);
	err = PTR_ERR_OR_ZERO(plink);
	if (!err)
		err = au_cu_move(sbi, upper, h_parent, name);
	if (!err) {
		err = au_cu_fileattr(wbr, lower, upper);
		if (err)
			au_cu_unmove(wbr, upper, h_parent);
	}
	if (err)
		goto fail;
	if (plink) {
		au_plink_pin(inode);
		dput(plink);
	}
	return upper;

fail:
	if (!IS_ERR_OR_NULL(plink) && !mnt_want_write(wbr->path.mnt)) {
		au_plink_unlink(plink);
		mnt_drop_write(wbr->path.mnt);
	} else if (!IS_ERR_OR_NULL(plink)) {
		dput(plink);
	}
	if (req->h_file) {
		fput(req->h_file);
		req->h_file = NULL;
	}
	au_cu_discard(sbi, upper);
	return ERR_PTR(err);
}

static int au_cu_one(struct dentry *dentry, struct dentry *parent,
		     struct au_cu_req *req)
{
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);
	struct au_branch *wbr = au_wbr(dentry->d_sb);
	struct dentry *h_parent = au_h_dentry(parent);
	struct inode *inode = d_inode(dentry);
	struct au_inode *ai = au_i(inode);
	struct dentry *h = NULL, *upper;
	struct au_icopy *old = NULL;
	struct path lower;

	au_h_path(dentry, &lower);
	if (ai->h_upper) {
		/* a copy replaced is kept (au_i_publish_upper()) */
		old = kmalloc(sizeof(*old), GFP_KERNEL);
		if (!old)
			return -ENOMEM;
		/*
		 * Another name of this inode was copied up: what the union
		 * shows under every name is that copy.  Only one with no
		 * name left is not (see au_plink_path()); one out of reach
		 * is not copied again, which would make two files of one.
		 */
		h = au_plink_find(inode, ai->h_upper, ai->br_upper);
		if (IS_ERR(h) && ai->h_upper->i_nlink) {
			kfree(old);
			return PTR_ERR(h);
		}
		if (IS_ERR(h)) {
			h = NULL;
		} else {
			lower.mnt = ai->br_upper->path.mnt;
			lower.dentry = h;
		}
	}
	if (h && ai->br_upper == wbr) {
		/* on the top branch: one more name of it */
		upper = au_cu_link_alias(sbi, wbr, h, h_parent,
					 &dentry->d_name);
	} else {
		/*
		 * On a lower branch (a copy made before a prepend:) or none:
		 * a new copy, never a link into a lower branch.
		 */
		upper = au_cu_new(sbi, req, inode, &lower, h_parent,
				  &dentry->d_name);
	}
	dput(h);
	if (IS_ERR(upper)) {
		kfree(old);
		return PTR_ERR(upper);
	}

	au_di_publish_top(au_di(dentry), wbr, upper);
	au_i_publish_upper(inode, wbr, d_inode(upper), old);
	return 0;
}

/*
 * An LSM may give the copy another context than the mounter's (SELinux:
 * the label of the lower object); it hands back credentials for that.
 */
static int au_cu_as_lsm_says(struct dentry *dentry, struct dentry *parent,
			     struct au_cu_req *req)
{
	const struct cred *old_cred = NULL;
	struct cred *cred = NULL;
	int err;

	err = security_inode_copy_up(dentry, &cred);
	if (err) {
		/* a stacked LSM may have made them before another failed */
		if (cred)
			put_cred(cred);
		return err;
	}
	if (cred)
		old_cred = override_creds(cred);
	err = au_cu_one(dentry, parent, req);
	if (cred) {
		revert_creds(old_cred);
		put_cred(cred);
	}
	return err;
}

/*
 * Copy up @dentry, whose parent is already on the top branch, with at
 * most @req->len bytes of its data.
 */
static int au_copy_up_one(struct dentry *dentry, struct au_cu_req *req)
{
	struct super_block *sb = dentry->d_sb;
	struct au_inode *ai = au_i(d_inode(dentry));
	const struct cred *old_cred;
	struct dentry *parent;
	int err = 0;

	parent = dget_parent(dentry);
	mutex_lock(&ai->cu_mutex);
	/* A removed name must not come back (see au_remove()). */
	if (d_unhashed(dentry)) {
		err = -ENOENT;
	} else if (!au_d_is_upper(dentry)) {
		old_cred = override_creds(au_sbi(sb)->cred);
		err = au_cu_as_lsm_says(dentry, parent, req);
		revert_creds(old_cred);
	}
	mutex_unlock(&ai->cu_mutex);
	dput(parent);
	return err;
}

/**
 * au_copy_up_open - make sure a name exists on the top branch, truncated
 * @dentry: a positive aufs dentry
 * @len: the size a regular file is truncated to: when it is shorter
 *	than the file, the copy gets the first @len bytes, that size and
 *	the current mtime and ctime, as the truncation would give it.
 *	LLONG_MAX for a whole copy.
 * @file: NULL, or the aufs file of @dentry, a truncating open
 *	(au_file_trunc_pending()): a copy made of @dentry is opened for
 *	it before it is moved into place
 * @h_file: set to that branch file, or NULL if no copy was made
 *	(@dentry was on the top branch, or became a link to a copy on
 *	it); unused if @file is NULL
 *
 * Ancestors are copied up first, topmost first, one at a time (no
 * recursion: the depth of the tree is the user's), and whole.
 *
 * The caller holds the rwsem shared, once.  A copy of a large file does
 * not keep a branch change waiting for it, and the union frozen behind
 * that change: between two chunks of data (AU_CU_CHUNK) the copy gives
 * way to a waiting change, dropping its work file and the rwsem, and
 * then starts again, or fails with -ESTALE if the change was made (the
 * VFS retries path-based calls once with a fresh lookup; calls on a
 * file descriptor return it).  A copy gives way AU_CU_YIELDS times at
 * most; after that, a change waits for it to end.
 *
 * Concurrent copy-ups of one inode are serialized by its cu_mutex; a
 * name already on the top branch returns at once, whatever @len.  A
 * name whose hard-link sibling was copied up to this top branch already
 * becomes a link to that copy, with all of its data, not truncated; a
 * copy on an earlier top branch is copied again, at @len.
 *
 * Return: 0, -EROFS if the union has no writable top branch, -ENOENT if
 * the name was removed meanwhile, -ESTALE if a branch change was made
 * meanwhile, or another negative errno with the union unchanged.
 */
int au_copy_up_open(struct dentry *dentry, loff_t len, struct file *file,
		    struct file **h_file)
{
	struct super_block *sb = dentry->d_sb;
	unsigned int yields = 0;
	int err = 0;

	if (file)
		*h_file = NULL;
	/* no work directory: mounted read-only (the VFS refuses first) */
	if (!au_wbr(sb) || !au_sbi(sb)->workdir)
		return -EROFS;
	while (!err && !au_d_is_upper(dentry)) {
		struct dentry *d = dget(dentry), *parent;
		struct au_cu_req req = {
			.may_yield = yields < AU_CU_YIELDS,
		};
		unsigned long commits;

		/* the topmost ancestor that is not on the top branch yet */
		for (;;) {
			parent = dget_parent(d);
			if (au_d_is_upper(parent))
				break;
			dput(d);
			d = parent;
		}
		dput(parent);
		if (d == dentry) {
			req.len = len;
			req.file = file;
		} else {
			req.len = LLONG_MAX;
		}
		err = au_copy_up_one(d, &req);
		if (req.h_file)
			*h_file = req.h_file;
		dput(d);
		if (!req.yielded)
			continue;
		/*
		 * A branch change is waiting for the rwsem: the copy was
		 * given up, with its cu_mutex, so let the change run.  If it
		 * was refused, nothing changed and the copy starts again;
		 * if it was made, every stack the caller checked is stale.
		 */
		yields++;
		commits = READ_ONCE(au_sbi(sb)->commits);
		err = au_read_let_change(sb);
		if (!err && READ_ONCE(au_sbi(sb)->commits) != commits)
			err = -ESTALE;
		if (!err && fatal_signal_pending(current))
			err = -EINTR;
	}
	return err;
}

/**
 * au_copy_up_trunc - make sure a name exists on the top branch, truncated
 * @dentry: a positive aufs dentry
 * @len: as for au_copy_up_open()
 *
 * Return: as au_copy_up_open().
 */
int au_copy_up_trunc(struct dentry *dentry, loff_t len)
{
	return au_copy_up_open(dentry, len, NULL, NULL);
}

/**
 * au_copy_up - make sure a name exists on the top branch
 * @dentry: a positive aufs dentry
 *
 * A whole copy: see au_copy_up_open().
 *
 * Return: as au_copy_up_open().
 */
int au_copy_up(struct dentry *dentry)
{
	return au_copy_up_trunc(dentry, LLONG_MAX);
}

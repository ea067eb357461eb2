// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: extended attributes, passed through to the topmost branch.
 *
 * Reading goes to the topmost branch object; a change copies the name up
 * first and changes the copy.  The VFS has already checked the caller
 * against the aufs inode (xattr_permission()), and the branch checks the
 * caller again.  POSIX ACLs are not passed through yet: the VFS handles
 * them through ->get_acl/->set_acl, which aufs does not have.
 */

#include <linux/mount.h>
#include <linux/xattr.h>

#include "aufs.h"

/*
 * A dentry without its inode yet is one aufs is instantiating, under the
 * rwsem (aufs_lookup(), the create and link operations): an LSM that
 * labels inodes from xattrs (Smack, SELinux) reads them from its
 * d_instantiate hook.  Taking the rwsem again there would be a recursive
 * read lock, which a queued branch change turns into a deadlock.  The
 * syscalls reach ->get only through positive dentries.
 */
static int au_xattr_get(const struct xattr_handler *handler,
			struct dentry *dentry, struct inode *inode,
			const char *name, void *buffer, size_t size)
{
	bool locked = d_really_is_positive(dentry);
	struct au_branch *br;
	struct path h_path;
	int ref = 0, err;

	if (locked) {
		au_read_lock(dentry->d_sb);
		/* another name's copy if there is one (plink.c) */
		ref = au_plink_path(dentry, &h_path, &br);
	} else {
		/* d_make_root() instantiates before the stack is attached */
		if (!dentry->d_fsdata)
			return -ENODATA;
		lockdep_assert_held_read(&au_sbi(dentry->d_sb)->rwsem);
		au_h_path(dentry, &h_path);
	}
	err = vfs_getxattr(mnt_idmap(h_path.mnt), h_path.dentry, name, buffer,
			   size);
	if (ref)
		path_put(&h_path);
	if (locked)
		au_read_unlock(dentry->d_sb);
	return err;
}

static int au_do_xattr_set(struct dentry *dentry, struct inode *inode,
			   const char *name, const void *value, size_t size,
			   int flags)
{
	struct path h_path;
	int err;

	err = au_d_current(dentry) ?: au_copy_up(dentry);
	if (err)
		return err;
	au_h_path(dentry, &h_path);
	err = mnt_want_write(h_path.mnt);
	if (err)
		return err;
	if (value)
		err = vfs_setxattr(mnt_idmap(h_path.mnt), h_path.dentry, name,
				   value, size, flags);
	else
		err = vfs_removexattr(mnt_idmap(h_path.mnt), h_path.dentry,
				      name);
	mnt_drop_write(h_path.mnt);
	au_copy_attr(inode);
	return err;
}

static int au_xattr_set(const struct xattr_handler *handler,
			struct mnt_idmap *idmap, struct dentry *dentry,
			struct inode *inode, const char *name,
			const void *value, size_t size, int flags)
{
	int err;

	au_read_lock(dentry->d_sb);
	err = au_do_xattr_set(dentry, inode, name, value, size, flags);
	au_read_unlock(dentry->d_sb);
	return err;
}

/**
 * aufs_listxattr - &inode_operations.listxattr for every aufs inode
 * @dentry: the aufs dentry
 * @list: where the names go
 * @size: room in @list, or 0 to ask for the size
 *
 * Return: the size of the list, or a negative errno.
 */
ssize_t aufs_listxattr(struct dentry *dentry, char *list, size_t size)
{
	struct au_branch *br;
	struct path h_path;
	ssize_t ret;
	int ref;

	au_read_lock(dentry->d_sb);
	/* another name's copy if there is one (plink.c) */
	ref = au_plink_path(dentry, &h_path, &br);
	ret = vfs_listxattr(h_path.dentry, list, size);
	if (ref)
		path_put(&h_path);
	au_read_unlock(dentry->d_sb);
	return ret;
}

static const struct xattr_handler au_xattr_handler = {
	.prefix	= "",	/* every name */
	.get	= au_xattr_get,
	.set	= au_xattr_set,
};

const struct xattr_handler * const au_xattr_handlers[] = {
	&au_xattr_handler,
	NULL
};

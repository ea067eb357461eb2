// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: extended attributes, passed through to the topmost branch.
 *
 * Reading goes to the topmost branch object; a change copies the name up
 * first and changes the copy.  The VFS has already checked the caller
 * against the aufs inode (xattr_permission()), and the branch checks the
 * caller again.
 *
 * aufs' own xattrs on branch objects (AUFS_XATTR_PFX) are not shown:
 * they are not listed, read as absent (-ENODATA) and cannot be set or
 * removed (-EPERM).
 *
 * POSIX ACLs reach aufs through ->get_acl and ->set_acl, in the same
 * way: the ACL of the topmost branch object, and a change to a copy.
 * The superblock has SB_POSIXACL, so the VFS leaves the umask to the
 * branch, which applies it or a default ACL as it would natively; and
 * aufs inodes cache no ACL (ACL_DONT_CACHE), since the one they show
 * changes with a copy-up.  Permission checks use the ACLs of the branch
 * object (aufs_permission()).
 */

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/slab.h>
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

/* Drop aufs' own names from the @len bytes of @list; the new length. */
static ssize_t au_xattr_list_own(char *list, ssize_t len)
{
	size_t plen = strlen(AUFS_XATTR_PFX);
	char *name = list, *end = list + len;

	while (name < end) {
		size_t nlen = strnlen(name, end - name);

		/* with its NUL, if the branch gave one */
		if (nlen < end - name)
			nlen++;

		if (strncmp(name, AUFS_XATTR_PFX, plen)) {
			name += nlen;
			continue;
		}
		memmove(name, name + nlen, end - name - nlen);
		end -= nlen;
	}
	return end - list;
}

/*
 * The branch's list did not fit in @size bytes, but the one the union
 * shows, without aufs' own names, may: list into a buffer of the
 * branch's size and copy what is left.
 */
static ssize_t au_listxattr_tight(struct dentry *h_dentry, char *list,
				  size_t size)
{
	ssize_t len = vfs_listxattr(h_dentry, NULL, 0);
	char *buf;

	if (len <= 0)
		return len;
	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	len = vfs_listxattr(h_dentry, buf, len);
	if (len > 0) {
		len = au_xattr_list_own(buf, len);
		if ((size_t)len > size)
			len = -ERANGE;
		else
			memcpy(list, buf, len);
	}
	kvfree(buf);
	return len;
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
	if (ret == -ERANGE && size)
		ret = au_listxattr_tight(h_path.dentry, list, size);
	if (ref)
		path_put(&h_path);
	au_read_unlock(dentry->d_sb);
	/* the size asked for may count aufs' own names: room to spare */
	if (ret > 0 && size)
		ret = au_xattr_list_own(list, ret);
	return ret;
}

/* Clear the set-group-ID bit of the branch object @h_dentry. */
static int au_h_kill_sgid(struct dentry *h_dentry)
{
	struct iattr attr = { .ia_valid = ATTR_KILL_SGID };
	int err;

	inode_lock(d_inode(h_dentry));
	err = notify_change(&nop_mnt_idmap, h_dentry, &attr, NULL);
	inode_unlock(d_inode(h_dentry));
	return err;
}

/**
 * aufs_get_inode_acl - &inode_operations.get_inode_acl for aufs inodes
 * @inode: the aufs inode
 * @type: %ACL_TYPE_ACCESS or %ACL_TYPE_DEFAULT
 * @rcu: called in RCU path walk
 *
 * For the callers that judge an aufs inode themselves (generic_permission()
 * of a filesystem stacked on aufs, ksmbd): the ACL of the topmost branch
 * inode.  In RCU path walk only the ACL that inode has cached, as
 * aufs_permission() reads it there: a branch change frees what it
 * replaces after a grace period.
 *
 * Return: the ACL, %NULL if there is none, or an ERR_PTR; in RCU path
 * walk, what get_cached_acl_rcu() returns.
 */
struct posix_acl *aufs_get_inode_acl(struct inode *inode, int type, bool rcu)
{
	struct super_block *sb = inode->i_sb;
	struct posix_acl *acl;

	if (!IS_ENABLED(CONFIG_FS_POSIX_ACL))
		return NULL;
	if (rcu)
		return get_cached_acl_rcu(au_h_inode(inode), type);
	au_read_lock(sb);
	acl = get_inode_acl(au_h_inode(inode), type);
	au_read_unlock(sb);
	return acl;
}

/* aufs_get_acl() with the rwsem held. */
static struct posix_acl *au_get_acl(struct dentry *dentry, int type)
{
	const struct cred *old_cred;
	struct posix_acl *acl;
	struct au_branch *br;
	struct path h_path;
	int ref;

	/* another name's copy if there is one (plink.c) */
	ref = au_plink_path(dentry, &h_path, &br);
	old_cred = override_creds(au_sbi(dentry->d_sb)->cred);
	acl = vfs_get_acl(mnt_idmap(h_path.mnt), h_path.dentry,
			  posix_acl_xattr_name(type));
	revert_creds(old_cred);
	if (ref)
		path_put(&h_path);
	return acl == ERR_PTR(-ENODATA) ? NULL : acl;
}

/**
 * aufs_get_acl - &inode_operations.get_acl for every aufs inode
 * @idmap: idmap of the aufs mount
 * @dentry: the aufs dentry
 * @type: %ACL_TYPE_ACCESS or %ACL_TYPE_DEFAULT
 *
 * The ACL of the topmost branch object, read as the mounter: the VFS has
 * let the LSM judge the caller on the aufs dentry.
 *
 * Return: the ACL, %NULL if there is none, or an ERR_PTR.
 */
struct posix_acl *aufs_get_acl(struct mnt_idmap *idmap,
			       struct dentry *dentry, int type)
{
	struct posix_acl *acl;

	au_read_lock(dentry->d_sb);
	acl = au_get_acl(dentry, type);
	au_read_unlock(dentry->d_sb);
	return acl;
}

/**
 * aufs_set_acl - &inode_operations.set_acl for every aufs inode
 * @idmap: idmap of the aufs mount
 * @dentry: the aufs dentry
 * @acl: the new ACL, or %NULL to remove it
 * @type: %ACL_TYPE_ACCESS or %ACL_TYPE_DEFAULT
 *
 * The VFS has checked the caller on the aufs inode (owner, LSM).  The
 * name is copied up and the copy's ACL set as the mounter; the branch
 * updates the mode from an access ACL.
 *
 * Return: 0 or a negative errno.
 */
int aufs_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		 struct posix_acl *acl, int type)
{
	struct super_block *sb = dentry->d_sb;
	const char *name = posix_acl_xattr_name(type);
	struct inode *inode = d_inode(dentry);
	const struct cred *old_cred;
	struct path h_path;
	bool kill_sgid;
	int err;

	/* judged on the caller's credentials, before the mounter's */
	kill_sgid = acl && type == ACL_TYPE_ACCESS &&
		    (inode->i_mode & S_ISGID) &&
		    !in_group_or_capable(idmap, inode,
					 i_gid_into_vfsgid(idmap, inode));
	au_read_lock(sb);
	err = au_d_current(dentry);
	if (err)
		goto out;
	if (!au_wbr(sb)) {
		err = -EROFS;
		goto out;
	}
	/*
	 * Removing an ACL that a lower object does not have copies
	 * nothing up, and succeeds, as it does on a native filesystem.
	 */
	if (!acl && !au_d_is_upper(dentry)) {
		struct posix_acl *cur = au_get_acl(dentry, type);

		if (IS_ERR(cur) && PTR_ERR(cur) != -EOPNOTSUPP)
			err = PTR_ERR(cur);
		if (IS_ERR_OR_NULL(cur))
			goto out;
		posix_acl_release(cur);
	}
	err = au_copy_up(dentry);
	if (err)
		goto out;
	au_h_path(dentry, &h_path);
	err = mnt_want_write(h_path.mnt);
	if (err)
		goto out;
	old_cred = override_creds(au_sbi(sb)->cred);
	if (acl)
		err = vfs_set_acl(mnt_idmap(h_path.mnt), h_path.dentry, name,
				  acl);
	else
		err = vfs_remove_acl(mnt_idmap(h_path.mnt), h_path.dentry,
				     name);
	/*
	 * The branch updated the mode as the mounter, who keeps the
	 * set-group-ID bit that the caller's change clears
	 * (posix_acl_update_mode()): clear it, as overlayfs does.
	 */
	if (!err && kill_sgid)
		err = au_h_kill_sgid(h_path.dentry);
	revert_creds(old_cred);
	mnt_drop_write(h_path.mnt);
	au_copy_attr(inode);
out:
	au_read_unlock(sb);
	return err;
}

static int au_xattr_own_get(const struct xattr_handler *handler,
			    struct dentry *dentry, struct inode *inode,
			    const char *name, void *buffer, size_t size)
{
	return -ENODATA;
}

static int au_xattr_own_set(const struct xattr_handler *handler,
			    struct mnt_idmap *idmap, struct dentry *dentry,
			    struct inode *inode, const char *name,
			    const void *value, size_t size, int flags)
{
	return -EPERM;
}

/* aufs' own names: before the handler of every name */
static const struct xattr_handler au_xattr_own_handler = {
	.prefix	= AUFS_XATTR_PFX,
	.get	= au_xattr_own_get,
	.set	= au_xattr_own_set,
};

static const struct xattr_handler au_xattr_handler = {
	.prefix	= "",	/* every name */
	.get	= au_xattr_get,
	.set	= au_xattr_set,
};

const struct xattr_handler * const au_xattr_handlers[] = {
	&au_xattr_own_handler,
	&au_xattr_handler,
	NULL
};

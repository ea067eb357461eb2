// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: inodes.
 *
 * An aufs inode stands for the topmost branch inode of a name.  Inodes
 * are hashed by that branch inode, so hard links on a branch stay hard
 * links in the union and a name keeps its inode while it is cached.
 * Attributes are copied from the branch inode when the inode is set up
 * and whenever it is stat'ed; getattr reports the branch's own values
 * with the aufs device and inode number.
 */

#include <linux/fs_stack.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "aufs.h"

static struct kmem_cache *au_inode_cachep;

static void au_inode_init_once(void *obj)
{
	struct au_inode *ai = obj;

	inode_init_once(&ai->vfs_inode);
}

/**
 * au_inode_cache_init - create the aufs inode cache
 *
 * Return: 0 or -ENOMEM.
 */
int au_inode_cache_init(void)
{
	au_inode_cachep = kmem_cache_create("aufs_inode",
					    sizeof(struct au_inode), 0,
					    SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					    au_inode_init_once);
	return au_inode_cachep ? 0 : -ENOMEM;
}

/**
 * au_inode_cache_destroy - destroy the aufs inode cache
 */
void au_inode_cache_destroy(void)
{
	/* Wait for inodes freed by RCU before the cache goes. */
	rcu_barrier();
	kmem_cache_destroy(au_inode_cachep);
}

/**
 * au_alloc_inode - &super_operations.alloc_inode
 * @sb: the aufs superblock
 *
 * Return: a new inode, or %NULL.
 */
struct inode *au_alloc_inode(struct super_block *sb)
{
	struct au_inode *ai = alloc_inode_sb(sb, au_inode_cachep, GFP_KERNEL);

	if (!ai)
		return NULL;
	ai->h_inode = NULL;
	ai->br = NULL;
	return &ai->vfs_inode;
}

/**
 * au_free_inode - &super_operations.free_inode
 * @inode: the inode, unused by anyone
 */
void au_free_inode(struct inode *inode)
{
	kmem_cache_free(au_inode_cachep, au_i(inode));
}

/**
 * au_evict_inode - &super_operations.evict_inode: drop the branch inode
 * @inode: the inode
 */
void au_evict_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	iput(au_i(inode)->h_inode);
	au_i(inode)->h_inode = NULL;
}

/**
 * au_ino - the aufs inode number of a branch inode
 * @br: the branch the inode lives on
 * @h_ino: the branch inode number
 *
 * The branch id fills the low bits, so equal inode numbers on two
 * branches stay apart in the union.  A branch inode number too large to
 * shift is folded; such numbers can then collide.
 *
 * Return: the inode number.
 */
u64 au_ino(const struct au_branch *br, u64 h_ino)
{
	u64 hi = h_ino >> (64 - AUFS_BRANCH_ID_BITS);

	return ((h_ino ^ hi) << AUFS_BRANCH_ID_BITS) | br->id;
}

static int aufs_permission(struct mnt_idmap *idmap, struct inode *inode,
			   int mask)
{
	struct au_inode *ai = au_i(inode);

	/* No write path yet: the union is read-only whatever its branches. */
	if ((mask & MAY_WRITE) && !special_file(inode->i_mode))
		return -EROFS;
	return inode_permission(mnt_idmap(ai->br->path.mnt), ai->h_inode,
				mask);
}

static int aufs_getattr(struct mnt_idmap *idmap, const struct path *path,
			struct kstat *stat, u32 request_mask,
			unsigned int flags)
{
	struct dentry *dentry = path->dentry;
	struct inode *inode = d_inode(dentry);
	struct path h_path;
	int err;

	au_h_path(dentry, &h_path);
	/* The VFS already ran the security check if it asks for none. */
	if (flags & AT_GETATTR_NOSEC)
		err = vfs_getattr_nosec(&h_path, stat, request_mask, flags);
	else
		err = vfs_getattr(&h_path, stat, request_mask, flags);
	if (err)
		return err;
	fsstack_copy_attr_all(inode, d_inode(h_path.dentry));
	fsstack_copy_inode_size(inode, d_inode(h_path.dentry));

	stat->dev = inode->i_sb->s_dev;
	stat->ino = inode->i_ino;
	/* A merged directory's link count says nothing: "unknown", as find(1) expects. */
	if (S_ISDIR(inode->i_mode) && au_di(dentry)->n > 1)
		stat->nlink = 1;
	return 0;
}

static int aufs_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
			struct iattr *attr)
{
	return -EROFS;
}

static const char *aufs_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	if (!dentry)
		return ERR_PTR(-ECHILD);
	return vfs_get_link(au_h_dentry(dentry), done);
}

static const struct inode_operations au_dir_iops = {
	.lookup		= aufs_lookup,
	.permission	= aufs_permission,
	.getattr	= aufs_getattr,
	.setattr	= aufs_setattr,
};

static const struct inode_operations au_file_iops = {
	.permission	= aufs_permission,
	.getattr	= aufs_getattr,
	.setattr	= aufs_setattr,
};

static const struct inode_operations au_symlink_iops = {
	.get_link	= aufs_get_link,
	.permission	= aufs_permission,
	.getattr	= aufs_getattr,
	.setattr	= aufs_setattr,
};

static const struct inode_operations au_special_iops = {
	.permission	= aufs_permission,
	.getattr	= aufs_getattr,
	.setattr	= aufs_setattr,
};

struct au_iget_key {
	struct au_branch *br;
	struct inode *h_inode;
};

static int au_iget_test(struct inode *inode, void *data)
{
	struct au_iget_key *key = data;

	return au_i(inode)->h_inode == key->h_inode;
}

static int au_iget_set(struct inode *inode, void *data)
{
	struct au_iget_key *key = data;
	struct au_inode *ai = au_i(inode);

	/* The caller holds a dentry of @h_inode: it cannot go away. */
	ihold(key->h_inode);
	ai->h_inode = key->h_inode;
	ai->br = key->br;
	inode->i_ino = au_ino(key->br, key->h_inode->i_ino);
	return 0;
}

/**
 * au_iget - the aufs inode for a branch inode
 * @sb: the aufs superblock
 * @br: the branch @h_inode lives on
 * @h_inode: the topmost branch inode of a name
 *
 * Return: a referenced inode, or an ERR_PTR.
 */
struct inode *au_iget(struct super_block *sb, struct au_branch *br,
		      struct inode *h_inode)
{
	struct au_iget_key key = { .br = br, .h_inode = h_inode };
	umode_t mode = h_inode->i_mode;
	struct inode *inode;

	inode = iget5_locked(sb, (unsigned long)h_inode, au_iget_test,
			     au_iget_set, &key);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW))
		return inode;

	inode->i_mode = mode & S_IFMT;
	switch (mode & S_IFMT) {
	case S_IFDIR:
		inode->i_op = &au_dir_iops;
		inode->i_fop = &au_dir_fops;
		break;
	case S_IFREG:
		inode->i_op = &au_file_iops;
		inode->i_fop = &au_file_fops;
		break;
	case S_IFLNK:
		inode->i_op = &au_symlink_iops;
		break;
	default:
		inode->i_op = &au_special_iops;
		init_special_inode(inode, mode, h_inode->i_rdev);
		break;
	}
	fsstack_copy_attr_all(inode, h_inode);
	fsstack_copy_inode_size(inode, h_inode);
	unlock_new_inode(inode);
	return inode;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: inodes.
 *
 * An aufs inode stands for the topmost branch inode of a name.  Inodes
 * are hashed by that branch inode, so hard links on a branch stay hard
 * links in the union and a name keeps its inode while it is cached.
 * Attributes are copied from the branch inode when the inode is set up
 * and whenever it is stat'ed; getattr reports the branch's own values
 * with the aufs device and inode number.  So are the inode flags the
 * VFS checks itself (AU_I_FLAGS): a lower file that may only be
 * appended to, or not changed at all, stays so through the union.
 */

#include <linux/fiemap.h>
#include <linux/file.h>
#include <linux/fileattr.h>
#include <linux/fs_stack.h>
#include <linux/namei.h>
#include <linux/security.h>
#include <linux/slab.h>

#include "aufs.h"

static struct kmem_cache *au_inode_cachep;

/* The inode flags an aufs inode takes from its branch inode. */
#define AU_I_FLAGS	(S_SYNC | S_NOATIME | S_APPEND | S_IMMUTABLE)

/* fsstack_copy_attr_all(), and the flags of AU_I_FLAGS. */
static void au_copy_attr_all(struct inode *inode, const struct inode *h_inode)
{
	fsstack_copy_attr_all(inode, h_inode);
	inode_set_flags(inode, h_inode->i_flags & AU_I_FLAGS, AU_I_FLAGS);
}

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
	ai->h_upper = NULL;
	ai->br = NULL;
	ai->br_upper = NULL;
	ai->old = NULL;
	seqcount_init(&ai->upper_seq);
	mutex_init(&ai->cu_mutex);
	INIT_LIST_HEAD(&ai->plink);
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
	struct au_icopy *old = au_i(inode)->old;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	/*
	 * The pointers stay: ->permission() may still run on this inode in
	 * RCU path walk, and branch inodes are freed after an RCU grace
	 * period too.
	 */
	iput(au_i(inode)->h_inode);
	iput(au_i(inode)->h_upper);
	au_br_put(au_i(inode)->br);
	au_br_put(au_i(inode)->br_upper);
	while (old) {
		struct au_icopy *next = old->next;

		iput(old->h_inode);
		au_br_put(old->br);
		kfree(old);
		old = next;
	}
}

/*
 * Set the copy of an inode and its branch as one pair for au_i_upper().
 * Writers are serialized by the cu_mutex, or by the rwsem held
 * exclusive; references are the caller's business.
 */
static void au_i_set_upper(struct au_inode *ai, struct inode *h_upper,
			   struct au_branch *br)
{
	preempt_disable();
	write_seqcount_begin(&ai->upper_seq);
	WRITE_ONCE(ai->br_upper, br);
	/* pairs with smp_load_acquire() in au_h_inode() */
	smp_store_release(&ai->h_upper, h_upper);
	write_seqcount_end(&ai->upper_seq);
	preempt_enable();
}

/**
 * au_i_publish_upper - record the copy of an inode on the top branch
 * @inode: the aufs inode, its cu_mutex held
 * @br: the top branch
 * @h_upper: the copy
 * @old: room to keep a copy on an earlier top branch, or %NULL if the
 *	inode has none; consumed
 *
 * The first copy on @br wins: another name of the lower file copied up
 * later is linked to it.  A copy on an earlier top branch (before a
 * prepend:), or one that has no name left, is replaced and kept on
 * &au_inode.old.
 */
void au_i_publish_upper(struct inode *inode, struct au_branch *br,
			struct inode *h_upper, struct au_icopy *old)
{
	struct au_inode *ai = au_i(inode);

	/* a copy without a name left (no pseudo-link) is replaced */
	if (ai->h_upper && ai->br_upper == br && ai->h_upper->i_nlink) {
		kfree(old);
		return;
	}
	if (ai->h_upper) {
		old->h_inode = ai->h_upper;
		old->br = ai->br_upper;
		old->next = ai->old;
		/* pairs with smp_load_acquire() in au_plink_had() */
		smp_store_release(&ai->old, old);
	} else {
		kfree(old);
	}
	ihold(h_upper);
	au_br_get(br);
	au_i_set_upper(ai, h_upper, br);
	au_copy_attr(inode);
}

/**
 * au_i_retire_upper - forget the copy of an inode
 * @inode: the aufs inode, its cu_mutex held; it has a copy
 * @old: room to keep the copy on &au_inode.old; consumed
 *
 * For a copy with no name left (plink.c): the inode stands for its own
 * branch object again, and the next copy-up makes a new copy.
 */
void au_i_retire_upper(struct inode *inode, struct au_icopy *old)
{
	struct au_inode *ai = au_i(inode);

	old->h_inode = ai->h_upper;
	old->br = ai->br_upper;
	old->next = ai->old;
	/* pairs with smp_load_acquire() in au_plink_had() */
	smp_store_release(&ai->old, old);
	au_i_set_upper(ai, NULL, NULL);
	au_copy_attr(inode);
}

/**
 * au_i_forget_old - drop the earlier copies a branch change deletes
 * @inode: the aufs inode
 * @ed: a committed branch change, the rwsem held exclusive: nobody reads
 *	&au_inode.old meanwhile
 *
 * So that a deleted branch is not kept busy by a copy nobody can reach.
 */
void au_i_forget_old(struct inode *inode, const struct au_br_edit *ed)
{
	struct au_icopy **p = &au_i(inode)->old, *old;

	while ((old = *p)) {
		if (!au_br_edit_removes(ed, old->br)) {
			p = &old->next;
			continue;
		}
		*p = old->next;
		iput(old->h_inode);
		au_br_put(old->br);
		kfree(old);
	}
}

/**
 * au_i_set_top - move a directory inode to another branch directory
 * @inode: an aufs directory inode in use
 * @br: the branch of @h_inode
 * @h_inode: the directory now on top of the name
 *
 * A branch change may put another branch directory on top of a
 * directory in use (the root, a working directory).  Called with the
 * mount's rwsem held exclusive; ->permission() in RCU path walk may
 * still see the old branch inode, which is freed after a grace period.
 * The inode number stays.  A copy on the old top branch is forgotten.
 */
void au_i_set_top(struct inode *inode, struct au_branch *br,
		  struct inode *h_inode)
{
	struct au_inode *ai = au_i(inode);
	struct inode *old = ai->h_inode, *old_upper = ai->h_upper;
	struct au_branch *old_br = ai->br, *old_br_upper = ai->br_upper;

	if (au_h_inode(inode) == h_inode)
		return;
	remove_inode_hash(inode);
	ihold(h_inode);
	au_br_get(br);
	WRITE_ONCE(ai->br, br);
	WRITE_ONCE(ai->h_inode, h_inode);
	/* a copy-up of the directory is made again if needed */
	au_i_set_upper(ai, NULL, NULL);
	__insert_inode_hash(inode, (unsigned long)h_inode);
	au_copy_attr_all(inode, h_inode);
	iput(old);
	iput(old_upper);
	au_br_put(old_br);
	au_br_put(old_br_upper);
}

/**
 * au_copy_attr - refresh the attributes of an aufs inode
 * @inode: the aufs inode
 *
 * Copies mode, owner, times, link count, size and the inode flags of
 * AU_I_FLAGS from the topmost branch inode.
 */
void au_copy_attr(struct inode *inode)
{
	struct inode *h_inode = au_h_inode(inode);

	au_copy_attr_all(inode, h_inode);
	fsstack_copy_inode_size(inode, h_inode);
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

/*
 * The topmost branch inode and the branch it is on.  In RCU path walk
 * a branch change may be replacing them (au_i_set_top()): either pair
 * is fine there, and both stay readable until a grace period ends.
 */
static struct inode *au_h_inode_br(const struct inode *inode,
				   struct au_branch **br)
{
	const struct au_inode *ai = au_i(inode);
	struct inode *h_upper = au_i_upper(inode, br);

	if (h_upper && *br)
		return h_upper;
	*br = READ_ONCE(ai->br);
	return READ_ONCE(ai->h_inode);
}

static int au_permission(struct inode *inode, int mask)
{
	struct au_branch *br, *wbr = au_wbr(inode->i_sb);
	struct inode *h_inode = au_h_inode_br(inode, &br);
	int err;

	if ((mask & MAY_WRITE) && !special_file(inode->i_mode) && br != wbr) {
		if (!wbr)
			return -EROFS;
		/*
		 * The change will be made to a copy on the top branch with
		 * the owner, mode and ACLs of the lower object: judge it as
		 * the branch would if it were writable (generic_permission()
		 * skips inode_permission()'s read-only check, not the ACLs),
		 * then let the branch check the rest.
		 */
		err = generic_permission(mnt_idmap(br->path.mnt), h_inode, mask);
		if (err)
			return err;
		mask &= ~(MAY_WRITE | MAY_APPEND);
	}
	return inode_permission(mnt_idmap(br->path.mnt), h_inode, mask);
}

/**
 * aufs_permission - &inode_operations.permission for every aufs inode
 * @idmap: idmap of the aufs mount
 * @inode: the aufs inode
 * @mask: MAY_* bits
 *
 * Checks the caller against the topmost branch inode.  A write to a name
 * that is only on a lower branch will go to a copy with the same owner
 * and mode, so it is checked against this inode's attributes.
 *
 * Return: 0 or a negative errno (-EROFS in a read-only union).
 */
int aufs_permission(struct mnt_idmap *idmap, struct inode *inode, int mask)
{
	int err;

	/* RCU path walk: a branch change frees what it replaces by RCU */
	if (mask & MAY_NOT_BLOCK)
		return au_permission(inode, mask);
	au_read_lock(inode->i_sb);
	err = au_permission(inode, mask);
	au_read_unlock(inode->i_sb);
	return err;
}

static int au_getattr(const struct path *path, struct kstat *stat,
		      u32 request_mask, unsigned int flags)
{
	struct dentry *dentry = path->dentry;
	struct inode *inode = d_inode(dentry);
	struct au_branch *br;
	struct path h_path;
	int ref, err;

	/* another name's copy if there is one (plink.c) */
	ref = au_plink_path(dentry, &h_path, &br);
	/* The VFS already ran the security check if it asks for none. */
	if (flags & AT_GETATTR_NOSEC)
		err = vfs_getattr_nosec(&h_path, stat, request_mask, flags);
	else
		err = vfs_getattr(&h_path, stat, request_mask, flags);
	if (!err) {
		au_copy_attr_all(inode, d_inode(h_path.dentry));
		fsstack_copy_inode_size(inode, d_inode(h_path.dentry));
	}
	if (ref)
		path_put(&h_path);
	if (err)
		return err;

	stat->dev = inode->i_sb->s_dev;
	stat->ino = inode->i_ino;
	/* A merged directory's link count says nothing: "unknown", as find(1) expects. */
	if (S_ISDIR(inode->i_mode) &&
	    au_di(dentry)->n - au_di_first(au_di(dentry)) > 1)
		stat->nlink = 1;
	return 0;
}

/**
 * aufs_getattr - &inode_operations.getattr for every aufs inode
 * @idmap: idmap of the aufs mount
 * @path: the aufs path
 * @stat: where the attributes go
 * @request_mask: STATX_* wanted
 * @flags: AT_* flags
 *
 * The topmost branch's attributes, with the aufs device and inode number.
 *
 * Return: 0 or a negative errno.
 */
int aufs_getattr(struct mnt_idmap *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct super_block *sb = path->dentry->d_sb;
	int err;

	au_read_lock(sb);
	err = au_getattr(path, stat, request_mask, flags);
	au_read_unlock(sb);
	return err;
}

/* What truncate(2) and ftruncate(2) ask, and nothing else. */
#define AU_ATTR_TRUNCATE	(ATTR_SIZE | ATTR_MTIME | ATTR_CTIME | \
				 ATTR_FILE | ATTR_OPEN)

/* Whether @attr only shrinks @dentry, which is not on the top branch. */
static bool au_setattr_shrinks(struct dentry *dentry,
			       const struct iattr *attr)
{
	return (attr->ia_valid & ATTR_SIZE) &&
	       !(attr->ia_valid & ~AU_ATTR_TRUNCATE) &&
	       !au_d_is_upper(dentry) && d_is_reg(dentry) &&
	       attr->ia_size < i_size_read(au_h_inode(d_inode(dentry)));
}

/* Make the change @attr to @dentry, which is on the top branch. */
static int au_setattr_top(struct dentry *dentry, struct iattr *attr)
{
	struct path h_path;
	int err;

	/* The branch recomputes set-id clearing from its own mode. */
	if (attr->ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID))
		attr->ia_valid &= ~ATTR_MODE;
	/*
	 * ia_file is the aufs file; the branch must not see it, nor
	 * ATTR_OPEN: no branch file was opened with O_TRUNC.
	 */
	attr->ia_valid &= ~(ATTR_FILE | ATTR_OPEN);

	au_h_path(dentry, &h_path);
	err = mnt_want_write(h_path.mnt);
	if (err)
		return err;
	/* As do_truncate() callers do: no truncation of a running binary. */
	if (attr->ia_valid & ATTR_SIZE)
		err = get_write_access(d_inode(h_path.dentry));
	if (!err) {
		inode_lock(d_inode(h_path.dentry));
		err = notify_change(mnt_idmap(h_path.mnt), h_path.dentry, attr,
				    NULL);
		inode_unlock(d_inode(h_path.dentry));
		if (attr->ia_valid & ATTR_SIZE)
			put_write_access(d_inode(h_path.dentry));
	}
	mnt_drop_write(h_path.mnt);
	au_copy_attr(d_inode(dentry));
	return err;
}

/*
 * The truncation that ends open(O_TRUNC) of a name that was not on the
 * top branch (handle_truncate()), whose aufs file still reads the lower
 * file (see au_open()).  The file gets its branch file on the top branch
 * before the union shows the truncation, so nothing can fail after it:
 * a copy of only what survives is opened in the work directory and then
 * moved into place, or, for a name that is on the top branch by now (or
 * whose hard-link sibling is) or one whose set-id bits the truncation
 * clears, the file on the top branch is opened and then truncated.
 */
static int au_setattr_open(struct dentry *dentry, struct iattr *attr)
{
	struct file *file = attr->ia_file, *h_file;
	struct au_branch *br;
	int err;

	if (au_setattr_shrinks(dentry, attr)) {
		err = au_copy_up_open(dentry, attr->ia_size, file, &h_file);
		if (err)
			return err;
		if (h_file) {
			au_file_trunc_done(file, h_file, au_wbr(dentry->d_sb));
			au_copy_attr(d_inode(dentry));
			return 0;
		}
	}
	err = au_copy_up(dentry);
	if (err)
		return err;
	h_file = au_file_open_top(file, dentry, &br);
	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	err = au_setattr_top(dentry, attr);
	if (err) {
		fput(h_file);
		return err;
	}
	au_file_trunc_done(file, h_file, br);
	return 0;
}

static int au_setattr(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int err;

	err = setattr_prepare(&nop_mnt_idmap, dentry, attr);
	if (err)
		return err;
	if ((attr->ia_valid & ATTR_OPEN) && (attr->ia_valid & ATTR_FILE) &&
	    au_file_trunc_pending(attr->ia_file))
		return au_setattr_open(dentry, attr);
	/*
	 * Shrinking a lower file copies only what survives: the copy is
	 * built at the new size, with new times, and moved into place as
	 * the last step, so it is the whole change and nothing can fail
	 * after the union shows it.  A hard-link sibling copied up before
	 * is linked whole, and truncated below like any top-branch file.
	 */
	if (au_setattr_shrinks(dentry, attr)) {
		err = au_copy_up_trunc(dentry, attr->ia_size);
		if (err)
			return err;
		if (i_size_read(au_h_inode(inode)) == attr->ia_size) {
			au_copy_attr(inode);
			return 0;
		}
	}
	err = au_copy_up(dentry);
	if (err)
		return err;
	return au_setattr_top(dentry, attr);
}

/**
 * aufs_setattr - &inode_operations.setattr for every aufs inode
 * @idmap: idmap of the aufs mount
 * @dentry: the aufs dentry
 * @attr: the change
 *
 * Copies the name up and changes the copy.
 *
 * Return: 0 or a negative errno.
 */
int aufs_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		 struct iattr *attr)
{
	struct super_block *sb = dentry->d_sb;
	int err;

	au_read_lock(sb);
	err = au_d_current(dentry);
	if (!err)
		err = au_setattr(dentry, attr);
	au_read_unlock(sb);
	return err;
}

/*
 * The branch symlink is the top entry of the stack, which a branch
 * change never drops from a dentry in use, so the body stays valid
 * after the rwsem is released.
 */
static const char *aufs_get_link(struct dentry *dentry, struct inode *inode,
				 struct delayed_call *done)
{
	const char *link;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	au_read_lock(dentry->d_sb);
	link = vfs_get_link(au_h_dentry(dentry), done);
	au_read_unlock(dentry->d_sb);
	return link;
}

/*
 * file_update_time() on an aufs file.  A write through a shared mapping
 * of a branch without ->page_mkwrite (tmpfs) ends in
 * fault_dirty_shared_page(), which updates the times of vm_file: the
 * aufs file, the forwarded fault being over.  The times belong to the
 * branch inode (the aufs inode shows them); other time updates (atime)
 * stay on the aufs inode, as before.  The caller holds write access to
 * the aufs mount only: a file mapped shared and writable was opened for
 * writing, so it lives on the top branch, which is writable.
 */
static int aufs_update_time(struct inode *inode, int flags)
{
	struct inode *h_inode = au_h_inode(inode);
	int err;

	if (!(flags & (S_MTIME | S_CTIME | S_VERSION)))
		return generic_update_time(inode, flags);
	err = inode_update_time(h_inode, flags);
	fsstack_copy_attr_times(inode, h_inode);
	return err;
}

/*
 * An LSM judges the mounter's ioctl on the branch object, as overlayfs
 * has it judged (there is no inode hook for it); the caller's was judged
 * on the aufs file.  Called with the mounter's credentials.
 */
static int au_h_fileattr_check(const struct path *h_path,
			       const struct fileattr *fa, bool set)
{
	struct file *h_file;
	unsigned int cmd;
	int err;

	h_file = dentry_open(h_path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	if (set)
		cmd = fa->fsx_valid ? FS_IOC_FSSETXATTR : FS_IOC_SETFLAGS;
	else
		cmd = fa->fsx_valid ? FS_IOC_FSGETXATTR : FS_IOC_GETFLAGS;
	err = security_file_ioctl(h_file, cmd, 0);
	fput(h_file);
	return err;
}

/**
 * aufs_fileattr_get - &inode_operations.fileattr_get, files and directories
 * @dentry: the aufs dentry
 * @fa: where the attributes go
 *
 * The flags and extended attributes (lsattr, FS_IOC_FSGETXATTR) of the
 * topmost branch object, read as the mounter.
 *
 * Return: 0, -ENOTTY if that branch has none, or another negative errno.
 */
int aufs_fileattr_get(struct dentry *dentry, struct fileattr *fa)
{
	struct super_block *sb = dentry->d_sb;
	const struct cred *old_cred;
	struct au_branch *br;
	struct path h_path;
	int ref, err;

	au_read_lock(sb);
	/* another name's copy if there is one (plink.c) */
	ref = au_plink_path(dentry, &h_path, &br);
	old_cred = override_creds(au_sbi(sb)->cred);
	err = au_h_fileattr_check(&h_path, fa, false);
	if (!err)
		err = vfs_fileattr_get(h_path.dentry, fa);
	revert_creds(old_cred);
	if (ref)
		path_put(&h_path);
	au_read_unlock(sb);
	return err == -ENOIOCTLCMD ? -ENOTTY : err;
}

/**
 * aufs_fileattr_set - &inode_operations.fileattr_set, files and directories
 * @idmap: idmap of the aufs mount
 * @dentry: the aufs dentry
 * @fa: the new attributes
 *
 * vfs_fileattr_set() has checked the caller on the aufs inode (owner,
 * CAP_LINUX_IMMUTABLE).  The name is copied up and the copy changed as
 * the mounter.
 *
 * Return: 0, -ENOTTY if the top branch has no such attributes, or
 * another negative errno.
 */
int aufs_fileattr_set(struct mnt_idmap *idmap, struct dentry *dentry,
		      struct fileattr *fa)
{
	struct super_block *sb = dentry->d_sb;
	const struct cred *old_cred;
	struct path h_path;
	int err;

	au_read_lock(sb);
	err = au_d_current(dentry) ?: au_copy_up(dentry);
	if (err)
		goto out;
	au_h_path(dentry, &h_path);
	err = mnt_want_write(h_path.mnt);
	if (err)
		goto out;
	old_cred = override_creds(au_sbi(sb)->cred);
	err = au_h_fileattr_check(&h_path, fa, true);
	if (!err)
		err = vfs_fileattr_set(mnt_idmap(h_path.mnt), h_path.dentry, fa);
	revert_creds(old_cred);
	mnt_drop_write(h_path.mnt);
	au_copy_attr(d_inode(dentry));
out:
	au_read_unlock(sb);
	return err == -ENOIOCTLCMD ? -ENOTTY : err;
}

/*
 * FIEMAP of the branch file the name shows, as the mounter, as overlayfs
 * forwards it: the caller opened the aufs file.  The extents are copied
 * to the caller's buffer, which may fault on anything: the rwsem is not
 * held for that, a reference on the branch inode is.
 */
static int aufs_fiemap(struct inode *inode, struct fiemap_extent_info *fieinfo,
		       u64 start, u64 len)
{
	struct super_block *sb = inode->i_sb;
	const struct cred *old_cred;
	struct inode *h_inode;
	int err;

	au_read_lock(sb);
	h_inode = igrab(au_h_inode(inode));
	au_read_unlock(sb);
	if (!h_inode)
		return -ESTALE;
	err = -EOPNOTSUPP;
	if (h_inode->i_op->fiemap) {
		old_cred = override_creds(au_sbi(sb)->cred);
		err = h_inode->i_op->fiemap(h_inode, fieinfo, start, len);
		revert_creds(old_cred);
	}
	iput(h_inode);
	return err;
}

static const struct inode_operations au_file_iops = {
	.permission	= aufs_permission,
	.getattr	= aufs_getattr,
	.setattr	= aufs_setattr,
	.listxattr	= aufs_listxattr,
	.get_inode_acl	= aufs_get_inode_acl,
	.get_acl	= aufs_get_acl,
	.set_acl	= aufs_set_acl,
	.update_time	= aufs_update_time,
	.fiemap		= aufs_fiemap,
	.fileattr_get	= aufs_fileattr_get,
	.fileattr_set	= aufs_fileattr_set,
};

static const struct inode_operations au_symlink_iops = {
	.get_link	= aufs_get_link,
	.permission	= aufs_permission,
	.getattr	= aufs_getattr,
	.setattr	= aufs_setattr,
	.listxattr	= aufs_listxattr,
};

static const struct inode_operations au_special_iops = {
	.permission	= aufs_permission,
	.getattr	= aufs_getattr,
	.setattr	= aufs_setattr,
	.listxattr	= aufs_listxattr,
	.get_inode_acl	= aufs_get_inode_acl,
	.get_acl	= aufs_get_acl,
	.set_acl	= aufs_set_acl,
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
	au_br_get(key->br);
	ai->br = key->br;
	inode->i_ino = au_ino(key->br, key->h_inode->i_ino);
	return 0;
}

/**
 * au_iget - the aufs inode for a branch inode
 * @sb: the aufs superblock
 * @br: the branch @h_dentry lives on
 * @h_dentry: the topmost branch object of a name, positive
 *
 * The inode number is the one a copy-up kept on @h_dentry, if any
 * (ino.c), else made of the branch inode's (au_ino()).
 *
 * Return: a referenced inode, or an ERR_PTR.
 */
struct inode *au_iget(struct super_block *sb, struct au_branch *br,
		      struct dentry *h_dentry)
{
	struct inode *h_inode = d_inode(h_dentry);
	struct au_iget_key key = { .br = br, .h_inode = h_inode };
	umode_t mode = h_inode->i_mode;
	struct inode *inode;

	/* another name of a pseudo-linked file (plink.c) */
	inode = au_plink_iget(sb, h_inode);
	if (inode)
		return inode;
	inode = iget5_locked(sb, (unsigned long)h_inode, au_iget_test,
			     au_iget_set, &key);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW))
		return inode;

	inode->i_mode = mode & S_IFMT;
#ifdef CONFIG_FS_POSIX_ACL
	/* the ACL shown changes with a copy-up: ask aufs_get_acl() */
	if (!S_ISLNK(mode)) {
		inode->i_acl = ACL_DONT_CACHE;
		inode->i_default_acl = ACL_DONT_CACHE;
	}
#endif
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
	inode->i_ino = au_ino_kept(br, h_dentry) ?: inode->i_ino;
	au_copy_attr_all(inode, h_inode);
	fsstack_copy_inode_size(inode, h_inode);
	unlock_new_inode(inode);
	return inode;
}

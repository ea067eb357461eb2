// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: inode numbers that outlive a copy-up.
 *
 * The inode number of a name is made of its topmost branch inode's
 * (au_ino()).  A copy-up moves the name to another inode, so the number
 * would change once the aufs inode is evicted, or at the next mount:
 * tar, rsync, find -samefile and git's index would see another file.  A
 * copy-up therefore leaves on the copy the number the union showed for
 * it (AUFS_XATTR_INO), and au_iget() gives the copy that number
 * (au_ino_kept()).
 *
 * Hard links of a lower file share one aufs inode, and a copy of one of
 * them gets a pseudo-link (plink.c) that keeps the names one file while
 * the union is mounted.  A new mount does not read pseudo-links: the
 * copy is then a file of its own, and the names not copied up show the
 * lower file.  Such a copy keeps no number, so that the two files do
 * not share one; it takes its own at the next mount.
 *
 * A listing gives d_ino without looking each name up.  A branch
 * directory that holds (or held) an object whose number in the union is
 * not the one made of its own inode's (a copy, kept or pseudo-linked)
 * carries the marker AUFS_XATTR_IMPURE, set before the object arrives,
 * by a copy-up, a link or a rename through the union
 * (au_ino_mark_dir()).  Only in marked directories does readdir.c look
 * the names up, to read their numbers (au_ino_shown()).
 *
 * Both xattrs are aufs' own (xattr.c hides them).  They are read only
 * on branches that were "rw" when they joined the union
 * (&au_branch.ino_trusted), the ones the mounter lets aufs write to:
 * a read-only layer may come from anywhere (an image, a FUSE daemon that
 * answers any xattr), and could otherwise give a file the number of
 * another one.  On an rw branch they are trusted as its other trusted.*
 * xattrs are, with one check: a kept number that names the branch
 * holding it (its low bits) is ignored, so that it never equals the
 * number of another inode of that branch.
 *
 * Ids are handed out in order while the union is mounted (au_br_alloc()
 * does not reuse the id of a branch deleted meanwhile until it must),
 * but a new mount numbers its branches 0 to n - 1: the same numbers
 * come back at the next mount only with the list given at this mount,
 * not edited since.
 *
 * Limits: numbers are kept where the top branch holds trusted.* xattrs
 * (tmpfs, ext4, XFS, btrfs; not vfat or NFS).  With another branch
 * list, or once the lower object is removed
 * straight on its branch and its inode number handed out again, a kept
 * number may equal the number of another file.  A branch that joins
 * a union as a read-only layer shows its copies with their own
 * numbers.  An object moved into a directory straight on a branch, not
 * through the union, may be listed with its own number until its
 * directory is marked.
 *
 * "noxino", given at mount, turns it all off: nothing is written, no
 * kept number or marker is read, and a name's number is the one made of
 * its topmost branch inode's, as out-of-tree aufs without its table.  A
 * pseudo-linked copy is then listed with its own number while stat
 * shows the pinned inode's.  A remount does not change it: cached
 * inodes would keep the numbers they have while listings stopped
 * reading them.
 */

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/xattr.h>

#include "aufs.h"

/**
 * au_ino_kept - the inode number a copy-up kept on a branch object
 * @br: the branch @h_dentry is on
 * @h_dentry: a positive branch dentry
 *
 * Read without the caller's credentials or an LSM check: it is aufs'
 * own metadata.
 *
 * Return: the number, or 0 if @h_dentry keeps none (or one naming @br),
 * @br was not "rw" when it joined the union, or the union was mounted
 * with "noxino".
 */
u64 au_ino_kept(const struct au_branch *br, struct dentry *h_dentry)
{
	u64 mask = BIT_ULL(AUFS_BRANCH_ID_BITS) - 1;
	__le64 raw;
	u64 ino;

	if (!br->sbi->xino || !br->ino_trusted ||
	    __vfs_getxattr(h_dentry, d_inode(h_dentry), AUFS_XATTR_INO, &raw,
			   sizeof(raw)) != sizeof(raw))
		return 0;
	ino = le64_to_cpu(raw);
	if ((ino & mask) == br->id || ino != (unsigned long)ino)
		return 0;
	return ino;
}

/**
 * au_ino_shown - the number of a branch object's inode in the union
 * @sb: the aufs superblock
 * @br: the branch @h_dentry is on
 * @h_dentry: a positive branch dentry
 *
 * For d_ino: the number of the pinned aufs inode of a pseudo-linked
 * file (plink.c), else the number a copy-up kept (au_ino_kept()).
 *
 * Return: that number, or 0 for the one made of the branch inode's.
 */
u64 au_ino_shown(struct super_block *sb, const struct au_branch *br,
		 struct dentry *h_dentry)
{
	struct inode *inode = au_plink_iget(sb, d_inode(h_dentry));
	u64 ino;

	if (!inode)
		return au_ino_kept(br, h_dentry);
	ino = inode->i_ino;
	iput(inode);
	return ino;
}

/**
 * au_ino_keep - leave the union's inode number on a copy
 * @inode: the aufs inode being copied up
 * @upper: its copy on the top branch, not in place yet
 *
 * A top branch that cannot hold the xattr (no xattrs, no room, an LSM
 * that says no) makes a copy that takes its own number once @inode
 * goes.  The copy is complete either way: that is no reason to fail
 * the copy-up.  The caller holds write access to the top branch.
 */
void au_ino_keep(struct inode *inode, struct dentry *upper)
{
	__le64 raw = cpu_to_le64(inode->i_ino);
	int err;

	if (!au_sbi(inode->i_sb)->xino)
		return;
	err = vfs_setxattr(&nop_mnt_idmap, upper, AUFS_XATTR_INO, &raw,
			   sizeof(raw), 0);
	if (err && err != -EOPNOTSUPP)
		pr_warn_ratelimited("aufs: the copy of inode %lu keeps no inode number (%d)\n",
				    inode->i_ino, err);
}

/**
 * au_ino_is_kept - whether an aufs inode shows a kept number
 * @inode: the aufs inode
 * @br: the branch of @h_inode
 * @h_inode: its branch inode there
 *
 * Return: true if @inode's number is not the one made of @h_inode's.
 */
bool au_ino_is_kept(const struct inode *inode, const struct au_branch *br,
		    const struct inode *h_inode)
{
	return inode->i_ino != (unsigned long)au_ino(br, h_inode->i_ino);
}

/**
 * au_ino_mark_dir - mark a branch directory as holding kept numbers
 * @sbi: the union
 * @idmap: the idmap of the branch mount
 * @h_dir: the branch directory, locked by the caller, which holds write
 *	access to its branch
 *
 * Called before an object with a kept number arrives in @h_dir, so that
 * a listing that shows it also finds the marker.  Setting it is a
 * change of the directory's xattrs: its ctime and i_version move (kept
 * listings and udba=reval records of it are renewed) and inotify
 * reports IN_ATTRIB, once per directory.  A marker that cannot be set
 * (an append-only directory, an LSM that refuses) leaves d_ino of that
 * object the number of its branch inode.
 */
void au_ino_mark_dir(struct au_sbinfo *sbi, struct mnt_idmap *idmap,
		     struct dentry *h_dir)
{
	struct inode *dir = d_inode(h_dir);
	const struct cred *old_cred;
	int err;

	if (!sbi->xino ||
	    __vfs_getxattr(h_dir, dir, AUFS_XATTR_IMPURE, NULL, 0) >= 0)
		return;
	old_cred = override_creds(sbi->cred);
	err = __vfs_setxattr_locked(idmap, h_dir, AUFS_XATTR_IMPURE, "y", 1, 0,
				    NULL);
	revert_creds(old_cred);
	if (err && err != -EOPNOTSUPP)
		pr_warn_ratelimited("aufs: %pd: no mark of kept inode numbers (%d)\n",
				    h_dir, err);
}

/**
 * au_ino_dir_marked - whether a branch directory may hold kept numbers
 * @br: the branch of @h_dir
 * @h_dir: the branch directory
 *
 * Return: true if au_ino_mark_dir() marked it, @br was "rw" when it
 * joined the union, and the union was not mounted with "noxino".
 */
bool au_ino_dir_marked(const struct au_branch *br, struct dentry *h_dir)
{
	return br->sbi->xino && br->ino_trusted &&
	       __vfs_getxattr(h_dir, d_inode(h_dir), AUFS_XATTR_IMPURE,
			      NULL, 0) >= 0;
}

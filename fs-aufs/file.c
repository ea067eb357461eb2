// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: regular files.
 *
 * Opening an aufs file opens the topmost branch file as a backing file
 * (see fs/backing-file.c) with the opener's credentials, after copying a
 * lower file up if it is opened for writing; reads and writes go to it
 * with the aufs file's position.  The branch file is the aufs file's
 * private data for the whole life of the aufs file, and mmap forwards to
 * it (mmap.c).
 */

#include <linux/backing-file.h>
#include <linux/fs_stack.h>
#include <linux/splice.h>

#include "aufs.h"

static struct file *au_h_file(const struct file *file)
{
	return file->private_data;
}

static int aufs_open(struct inode *inode, struct file *file)
{
	struct dentry *dentry = file->f_path.dentry;
	struct path h_path;
	struct file *h_file;
	int flags = file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC);
	int err;

	/* Writers get the copy on the top branch; O_TRUNC needs no data. */
	if ((file->f_mode & FMODE_WRITE) || (file->f_flags & O_TRUNC)) {
		err = au_copy_up(dentry, !(file->f_flags & O_TRUNC));
		if (err)
			return err;
	}
	au_h_path(dentry, &h_path);
	h_file = backing_file_open(file, flags, &h_path, current_cred());
	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	file->private_data = h_file;
	/*
	 * Mappings of this file sit on the branch mapping's i_mmap, where
	 * truncate, writeback and reclaim of the branch folios look.  Set
	 * once, never changed while the file lives (see mmap.c).
	 */
	file->f_mapping = h_file->f_mapping;
	file->f_mode |= h_file->f_mode & FMODE_CAN_ODIRECT;
	return 0;
}

static int aufs_release(struct inode *inode, struct file *file)
{
	fput(au_h_file(file));
	return 0;
}

static void aufs_file_accessed(struct file *file)
{
	struct inode *inode = file_inode(file);

	fsstack_copy_attr_times(inode, file_inode(au_h_file(file)));
}

static ssize_t aufs_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp;
	struct backing_file_ctx ctx = {
		.cred = file->f_cred,
		.user_file = file,
		.accessed = aufs_file_accessed,
	};

	if (!iov_iter_count(iter))
		return 0;
	return backing_file_read_iter(au_h_file(file), iter, iocb,
				      iocb->ki_flags, &ctx);
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
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	/* As for a native write: file_remove_privs() needs it. */
	inode_lock(inode);
	ret = backing_file_write_iter(au_h_file(file), iter, iocb,
				      iocb->ki_flags, &ctx);
	inode_unlock(inode);
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
	ssize_t ret;

	inode_lock(inode);
	ret = backing_file_splice_write(pipe, au_h_file(out), ppos, len,
					flags, &ctx);
	inode_unlock(inode);
	return ret;
}

static int aufs_fsync(struct file *file, loff_t start, loff_t end,
		      int datasync)
{
	return vfs_fsync_range(au_h_file(file), start, end, datasync);
}

static long aufs_fallocate(struct file *file, int mode, loff_t offset,
			   loff_t len)
{
	struct inode *inode = file_inode(file);
	long ret;

	inode_lock(inode);
	ret = vfs_fallocate(au_h_file(file), mode, offset, len);
	au_copy_attr(inode);
	inode_unlock(inode);
	return ret;
}

static ssize_t aufs_splice_read(struct file *in, loff_t *ppos,
				struct pipe_inode_info *pipe, size_t len,
				unsigned int flags)
{
	struct backing_file_ctx ctx = {
		.cred = in->f_cred,
		.user_file = in,
		.accessed = aufs_file_accessed,
	};

	return backing_file_splice_read(au_h_file(in), ppos, pipe, len, flags,
					&ctx);
}

/*
 * The branch file's own llseek knows its size, holes and data.  Calls on
 * one aufs file are serialized by the VFS (f_pos_lock, FMODE_ATOMIC_POS),
 * and the branch file's position is used by nothing else, so handing the
 * position over and back needs no lock of its own.
 */
static loff_t aufs_llseek(struct file *file, loff_t offset, int whence)
{
	struct file *h_file = au_h_file(file);
	loff_t ret;

	h_file->f_pos = file->f_pos;
	ret = vfs_llseek(h_file, offset, whence);
	file->f_pos = h_file->f_pos;
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
	.fallocate	= aufs_fallocate,
	.mmap		= aufs_mmap,
};

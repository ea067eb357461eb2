/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * aufs: a union of directories ("branches") seen as one tree.
 *
 * Shared types and the interfaces used across fs/aufs/ files.
 *
 * Object model:
 *   super_block  -> struct au_sbinfo: the branch table, top branch first.
 *   dentry       -> struct au_dinfo: the branch dentries this name stands
 *                   for, top first.  A non-directory has one; a directory
 *                   has one per branch down to the first opaque one.
 *   inode        -> struct au_inode: the topmost branch inode.
 *   file (reg)   -> the branch file it reads from (file->private_data);
 *                   its f_mapping is the branch file's mapping.
 *   VMA          -> struct au_vmfwd, reached through vma->vm_ops.
 *   file (dir)   -> struct au_rdcache, the merged listing.
 *
 * Locking: the branch table is set up in fill_super and does not change
 * while the filesystem is mounted, so it is read without a lock.  Lookup
 * runs with the aufs parent's i_rwsem held by the VFS and takes each
 * branch parent's i_rwsem (through lookup_one_unlocked()) after it:
 *
 *   aufs dir i_rwsem
 *     branch dir i_rwsem
 */
#ifndef _FS_AUFS_AUFS_H
#define _FS_AUFS_AUFS_H

#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mm_types.h>
#include <linux/path.h>

#define AUFS_NAME		"aufs"
#define AUFS_SUPER_MAGIC	0x61756673	/* "aufs" */

/* Most branches one mount may have; branch ids use 7 bits of i_ino. */
#define AUFS_BRANCH_MAX		127
#define AUFS_BRANCH_ID_BITS	7

/* On-disk names, compatible with branches made by out-of-tree aufs. */
#define AUFS_WH_PFX		".wh."
#define AUFS_WH_PFX_LEN		(sizeof(AUFS_WH_PFX) - 1)
#define AUFS_WH_OPQ		".wh..wh..opq"

/**
 * enum au_br_perm - what aufs may do to a branch
 * @AU_BR_RW: writable; whiteouts in it are honoured
 * @AU_BR_RO: read-only; holds no whiteouts, none are looked for
 * @AU_BR_RR: really read-only (e.g. a squashfs): like @AU_BR_RO, and
 *	aufs may assume it never changes underneath
 * @AU_BR_ROWH: read-only, but whiteouts in it are honoured
 */
enum au_br_perm {
	AU_BR_RW,
	AU_BR_RO,
	AU_BR_RR,
	AU_BR_ROWH,
};

/**
 * struct au_br_spec - one parsed DIR[=PERM] element of a branch list
 * @path: the directory as the user wrote it (points into the parsed string)
 * @perm: the permission, defaulted when the user gave none
 */
struct au_br_spec {
	const char *path;
	enum au_br_perm perm;
};

/**
 * struct au_branch - one member of the union
 * @path: the branch root; holds a reference for the life of the mount
 * @perm: what aufs may do to it
 * @id: number unique within the mount, part of every inode number that
 *	comes from this branch
 */
struct au_branch {
	struct path path;
	enum au_br_perm perm;
	unsigned int id;
};

/**
 * struct au_sbinfo - per-mount state
 * @branches: @nbranch branches, index 0 is the top
 * @nbranch: number of branches
 * @cred: the mounter's credentials, used to look up and list branch
 *	directories below the top one (see Documentation/filesystems/aufs)
 */
struct au_sbinfo {
	struct au_branch *branches;
	unsigned int nbranch;
	const struct cred *cred;
};

/**
 * struct au_hdentry - a name on one branch
 * @br: the branch
 * @dentry: the branch's dentry (a reference is held)
 */
struct au_hdentry {
	struct au_branch *br;
	struct dentry *dentry;
};

/**
 * struct au_dinfo - the branch dentries behind one aufs dentry
 * @n: number of entries in @h; 0 for a negative dentry
 * @opaque: the lowest entry is an opaque directory or a non-directory:
 *	nothing below it belongs to this name
 * @h: branch dentries, topmost first
 */
struct au_dinfo {
	unsigned int n;
	bool opaque;
	struct au_hdentry h[];
};

/**
 * struct au_inode - aufs inode
 * @h_inode: the topmost branch inode (a reference is held)
 * @br: the branch @h_inode lives on
 * @vfs_inode: the VFS inode
 */
struct au_inode {
	struct inode *h_inode;
	struct au_branch *br;
	struct inode vfs_inode;
};

/**
 * struct au_vmfwd - forwarding state of one aufs VMA (see mmap.c)
 * @ops: the VMA's vm_ops: forwarders for the ops @h_ops has, plus
 *	open and close
 * @h_ops: the vm_ops the branch file's ->mmap installed
 * @file: the aufs file, in vm_file while no call is forwarded
 * @h_file: the branch file, in vm_file while calls are forwarded
 * @lock: serializes changes of @nswap and the vm_file swap
 * @nswap: number of forwarded calls in flight on the VMA
 */
struct au_vmfwd {
	const struct vm_operations_struct ops;
	const struct vm_operations_struct *h_ops;
	struct file *file;
	struct file *h_file;
	spinlock_t lock;		/* see au_vmfwd_enter() */
	unsigned int nswap;
};

static inline struct au_sbinfo *au_sbi(const struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct au_inode *au_i(const struct inode *inode)
{
	return container_of(inode, struct au_inode, vfs_inode);
}

static inline struct au_dinfo *au_di(const struct dentry *dentry)
{
	return dentry->d_fsdata;
}

/* The topmost branch dentry and its path; @dentry must be positive. */
static inline struct dentry *au_h_dentry(const struct dentry *dentry)
{
	return au_di(dentry)->h[0].dentry;
}

static inline void au_h_path(const struct dentry *dentry, struct path *path)
{
	const struct au_hdentry *h = &au_di(dentry)->h[0];

	path->mnt = h->br->path.mnt;
	path->dentry = h->dentry;
}

/* branch.c */
int au_br_perm_parse(const char *str, enum au_br_perm *perm);
const char *au_br_perm_str(enum au_br_perm perm);
int au_br_spec_parse(char *str, struct au_br_spec *specs,
		     struct p_log *log);
int au_br_table_init(struct au_sbinfo *sbi, const struct au_br_spec *specs,
		     unsigned int n, struct p_log *log);
void au_br_table_free(struct au_sbinfo *sbi);
bool au_br_whable(const struct au_branch *br);

/* whiteout.c */
bool au_wh_name(const char *name, unsigned int len);
int au_wh_test(struct au_branch *br, struct dentry *h_parent,
	       const struct qstr *name);
int au_wh_test_opaque(struct au_branch *br, struct dentry *h_dir);

/* namei.c */
extern const struct dentry_operations au_dentry_ops;
struct au_dinfo *au_dinfo_alloc(unsigned int n);
void au_dinfo_free(struct au_dinfo *di);
int au_lookup_root(struct super_block *sb, struct au_dinfo **dip);
struct dentry *aufs_lookup(struct inode *dir, struct dentry *dentry,
			   unsigned int flags);

/* inode.c */
int au_inode_cache_init(void);
void au_inode_cache_destroy(void);
struct inode *au_alloc_inode(struct super_block *sb);
void au_free_inode(struct inode *inode);
void au_evict_inode(struct inode *inode);
struct inode *au_iget(struct super_block *sb, struct au_branch *br,
		      struct inode *h_inode);
u64 au_ino(const struct au_branch *br, u64 h_ino);

/* file.c */
extern const struct file_operations au_file_fops;

/* mmap.c */
int aufs_mmap(struct file *file, struct vm_area_struct *vma);
int au_vmfwd_attach(struct vm_area_struct *vma, struct file *file,
		    struct file *h_file,
		    const struct vm_operations_struct *h_ops);
struct au_vmfwd *au_vmfwd_of(const struct vm_area_struct *vma);
void au_vmfwd_enter(struct au_vmfwd *fwd, struct vm_area_struct *vma);
void au_vmfwd_exit(struct au_vmfwd *fwd, struct vm_area_struct *vma);
int au_vmfwd_cache_init(void);
void au_vmfwd_cache_destroy(void);

/* readdir.c */
extern const struct file_operations au_dir_fops;

#endif /* _FS_AUFS_AUFS_H */

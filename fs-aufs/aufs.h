/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * aufs: a union of directories ("branches") seen as one tree.
 *
 * Shared types and the interfaces used across fs/aufs/ files.
 *
 * Names: an h_ prefix ("hidden") marks an object of a branch, below the
 * union: h_dentry, h_inode, h_file, h_path are the dentry, inode, file and
 * path on a branch that an aufs dentry, inode or file stands for.  Names
 * without it are aufs' own objects.
 *
 * Object model:
 *   super_block  -> struct au_sbinfo: the branch table, top branch first.
 *   dentry       -> struct au_dinfo: the branch dentries this name stands
 *                   for, top first.  A non-directory has one; a directory
 *                   has one per branch that holds a directory of the
 *                   name, down to the first opaque one or whiteout.
 *   inode        -> struct au_inode: the topmost branch inode.
 *   file (reg)   -> struct au_finfo: the branch file it reads from; its
 *                   f_mapping is the branch file's mapping.
 *   VMA          -> struct au_vmfwd, reached through vma->vm_ops.
 *   file (dir)   -> struct au_rdcache, the merged listing, shared with
 *                   later opens while the directory does not change
 *                   (readdir.c).
 *
 * Locking: au_sbinfo.rwsem (a percpu_rw_semaphore: shared holds write
 * only a per-CPU counter) guards the branch table and every dentry's
 * branch stack.  Each aufs operation that uses them holds it shared; a
 * branch change (remount.c) holds it exclusive, so it never runs beside
 * a lookup, an open, a copy-up or a listing (a copy-up of a large file
 * gives way to a waiting change and starts again after it).  Faults,
 * reads and writes of open files do not take it: they use the branch
 * file the aufs file holds.  The VFS holds aufs inode locks around
 * lookup and namespace operations; aufs takes its rwsem and then branch
 * locks inside them.
 * Copy-up of a name takes its parent's copy-up first and releases it
 * before taking its own cu_mutex, so no two cu_mutexes are ever held
 * together:
 *
 *   s_umount (VFS, remount only)
 *     aufs dir i_rwsem (VFS)
 *       au_sbinfo.rwsem (shared; exclusive for a branch change)
 *         au_inode.cu_mutex (copy_up.c; au_remove(), au_rename(): victim,
 *                            or the directory renamed with notes;
 *                            reval.c: the name looked up again, trylock)
 *           top branch sb_writers (mnt_want_write())
 *             au_branch.dr_lock (dirren.c: the top branch's)
 *               top branch dir i_rwsem, or lock_rename(workdir, dir)
 *                 branch inode i_rwsem (notify_change, vfs_* of the branch)
 *   au_sbinfo.lock, then dentry->d_lock (remount.c walks the stacks),
 *   or the lock of &au_sbinfo.rdlru (rdcache.c; its shrinker takes
 *   au_sbinfo.lock inside that one, with a trylock); it also guards
 *   the pinned inodes of plink.c, with nothing under it.
 *   d_instantiate() and d_splice_alias() run with the rwsem held; an
 *   LSM that labels inodes from xattrs (Smack, SELinux) reads them
 *   through aufs from there, and au_xattr_get() does not take it again.
 *   au_finfo.lock is taken alone; au_tops_lock (whiteout.c) only
 *   around rename_lock (is_subdir()).
 *   A loop device's lo_mutex (au_br_check_loop()) is taken with no aufs
 *   lock held: the loop driver holds it across I/O that may read aufs.
 *
 * Within one generation of the branch table, the topmost branch entry
 * of a dentry and inode changes at most once, from a lower branch to the
 * top branch (copy-up, create): readers use au_di_first()/au_h_inode(),
 * which pair with the publishing stores.  A branch change replaces the
 * stacks of dentries in use while it holds the rwsem exclusive; stacks
 * are freed after an RCU grace period for the readers that do not take
 * the rwsem (au_h_file_get()).
 */
#ifndef _FS_AUFS_AUFS_H
#define _FS_AUFS_AUFS_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/list_lru.h>
#include <linux/percpu-rwsem.h>
#include <linux/percpu_counter.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/seqlock.h>
#include <linux/fs_context.h>
#include <linux/magic.h>
#include <linux/mm_types.h>
#include <linux/path.h>
#include <linux/xattr.h>

#define AUFS_NAME		"aufs"

/* Most branches one mount may have; branch ids use 7 bits of i_ino. */
#define AUFS_BRANCH_MAX		127
#define AUFS_BRANCH_ID_BITS	7

/* On-disk names, compatible with branches made by out-of-tree aufs. */
#define AUFS_WH_PFX		".wh."
#define AUFS_WH_PFX_LEN		(sizeof(AUFS_WH_PFX) - 1)
#define AUFS_WH_OPQ		".wh..wh..opq"
#define AUFS_WH_ORPH		".wh..wh.orph"
#define AUFS_WH_PLNK		".wh..wh.plnk"
/*
 * Names of aufs' own xattrs on branch objects, never shown through the
 * union (xattr.c).  AUFS_XATTR_INO holds the union's inode number of an
 * object made by a copy-up (ino.c), little-endian, 8 bytes.
 */
#define AUFS_XATTR_PFX		XATTR_TRUSTED_PREFIX "aufs."
#define AUFS_XATTR_INO		AUFS_XATTR_PFX "ino"
/* On a branch directory that may hold such objects (ino.c): "y". */
#define AUFS_XATTR_IMPURE	AUFS_XATTR_PFX "impure"
/*
 * The longest name aufs serves.  This aufs needs room for ".wh." only;
 * the limit is out-of-tree aufs', which needs room for a name whited out
 * twice plus a dot and four hex digits, so that a branch works the same
 * under both.  Longer names on a branch are listed by readdir, but
 * looking them up gives -ENAMETOOLONG.
 */
#define AUFS_MAX_NAMELEN	(NAME_MAX - 2 * AUFS_WH_PFX_LEN - 1 - 4)

/**
 * enum au_br_perm - what aufs may do to a branch
 * @AU_BR_RW: writable; whiteouts in it are honoured
 * @AU_BR_RO: read-only; holds no whiteouts, none are looked for
 * @AU_BR_RR: really read-only (e.g. a squashfs): like @AU_BR_RO, and
 *	udba=reval does not look for changes made directly on it
 * @AU_BR_ROWH: read-only, but whiteouts in it are honoured
 * @AU_BR_RRWH: really read-only, but whiteouts in it are honoured
 */
enum au_br_perm {
	AU_BR_RW,
	AU_BR_RO,
	AU_BR_RR,
	AU_BR_ROWH,
	AU_BR_RRWH,
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
 * struct au_fs_context - mount options being gathered
 * @br: the br= value, %NULL until given
 * @verbs: branch changes asked for by a remount (remount.c), in order
 * @nverbs: number of entries on @verbs
 * @refrof: 1 for "refrof", 0 for "norefrof", -1 if neither was given
 * @udba: 1 for "udba=reval", 0 for "udba=none", -1 if not given
 * @xino: 0 for "noxino" (at mount only), -1 if not given
 * @dirren: 1 for "dirren", 0 for "nodirren" (at mount only), -1 if
 *	neither was given
 */
struct au_fs_context {
	char *br;
	struct list_head verbs;
	unsigned int nverbs;
	int refrof;
	int udba;
	int xino;
	int dirren;
};

/**
 * struct au_dr_set - a sorted set of inode numbers (dirren.c)
 * @rcu: frees a set replaced, for its readers under RCU
 * @n: how many
 * @ino: the numbers, ascending
 */
struct au_dr_set {
	struct rcu_head rcu;
	size_t n;
	u64 ino[];
};

/**
 * struct au_branch - one member of the union
 * @path: the branch root; holds a reference for the life of the mount
 * @perm: what aufs may do to it; read under the rwsem (a change stages
 *	new permissions before it commits or gives up)
 * @noatime: @perm is not rw, as committed; read without the rwsem, by
 *	file I/O (file.c: the branch's atimes are left alone)
 * @ino_trusted: the branch was rw when it joined the union: inode numbers
 *	kept on it are read (ino.c); a later mod: does not change it, so
 *	that numbers shown do not change while the union is mounted
 * @id: number unique among the mount's live branches, part of every
 *	inode number that comes from this branch
 * @ref: held by the branch table, and by every dentry stack and inode
 *	that uses the branch; a deleted branch goes when its last user
 *	does.  An open file counted in @nfiles keeps the branch in the
 *	table instead, and takes no reference.
 * @nfiles: open aufs files whose branch file is on this branch (mapped
 *	files stay open): a branch with any cannot be deleted.  Per-CPU, so
 *	that open and close do not write a line of the branch: counted up
 *	only under the rwsem held shared.  A branch change sums it under
 *	the rwsem held exclusive, when a sum can only miss a close made
 *	meanwhile (and refuse the change)
 * @nwrite: of @nfiles, those open for writing: a branch with any cannot
 *	become read-only.  Per-CPU, as @nfiles.  syncfs sums it under the
 *	rwsem held shared: a new writer is counted on the top branch,
 *	which syncfs syncs anyway; on any other branch the count only goes
 *	down, and a sum can only be too high
 * @sbi: the mount, for the release of @id
 * @dr_set: inode numbers of the directories of this branch that hold
 *	notes of a directory rename (dirren.c), read when the branch joins
 *	a union with dirren, or %NULL; replaced as a whole under @dr_lock,
 *	read under RCU
 * @dr_lock: serializes changes of @dr_set and of its list on the branch
 * @dr_name: the branch as the notes of a renamed directory name it
 *	("" if it cannot be named), set when it joins the union
 */
struct au_branch {
	struct path path;
	enum au_br_perm perm;
	bool noatime;
	bool ino_trusted;
	unsigned int id;
	refcount_t ref;
	struct percpu_counter nfiles;
	struct percpu_counter nwrite;
	struct au_sbinfo *sbi;
	struct au_dr_set __rcu *dr_set;
	struct mutex dr_lock;	/* see above */
	char dr_name[48];
};

/**
 * struct au_sbinfo - per-mount state
 * @rwsem: shared by operations, exclusive for a branch change (see the
 *	lock order above).  Per-CPU: taking it shared writes no cache line
 *	other CPUs write, and a change first waits for an RCU grace period
 * @nchanging: branch changes (and a remount,rw making the work
 *	directory) waiting for @rwsem (au_write_lock()), for a copy-up to
 *	give way to
 * @nlocked: times @rwsem was taken exclusive, for a copy-up that gave
 *	way to wait for (au_read_let_change())
 * @branches: @nbranch branches, index 0 is the top; replaced as a whole
 *	by a branch change
 * @nbranch: number of branches
 * @wbr: the top branch if it is "rw" (the union is writable), or %NULL
 * @workdir: ".wh..wh.orph" at the root of @wbr, where copy-up builds
 *	files; %NULL without @wbr, and while a union mounted read-only
 *	has not been remounted rw
 * @gen: generation of the branch table, bumped by every branch change;
 *	a dentry whose d_time differs is looked up again
 * @commits: number of branch changes made (not refused), for a copy-up
 *	that gave way to one (au_copy_up_open())
 * @refrof: open files move to the file a branch change unveils
 * @reval: "udba=reval": a dentry is looked up again when a branch
 *	directory its lookup read has changed since (au_d_revalidate())
 * @xino: a copy keeps the inode number of its name (ino.c); off with
 *	"noxino", given at mount only
 * @dirren: a directory with lower parts can be renamed (dirren.c); off
 *	with "nodirren", given at mount only
 * @cred: the mounter's credentials, used to look up and list branch
 *	directories, and for copy-up and whiteouts
 * @lock: protects @dinfos, @plinks, @ids, @next_id, and each stack's
 *	listing and its place on @rdlru (readdir.c)
 * @dinfos: every dentry stack of the mount, for a branch change
 * @plinks: aufs inodes of pseudo-linked copies, pinned (plink.c)
 * @ids: branch ids in use
 * @next_id: where the search for a free id starts (au_br_alloc())
 * @rdlru: the directory listings stacks hold for later opens, for
 *	@rdshrink (rdcache.c)
 * @rdshrink: frees listings on @rdlru under memory pressure; %NULL
 *	until @rdlru is set up.  Freed at unmount before the dentries go
 *	(au_rdcache_stop()), and then only tells that @rdlru is set up
 * @kobj: the mount's directory in /sys/fs/aufs, or %NULL
 * @opts: the branch list as /proc/mounts shows it, rendered by each
 *	branch change: show_options runs under namespace_sem and must not
 *	wait for @rwsem (read it under RCU)
 *
 * @branches, @nbranch, @workdir and the permissions of the branches
 * change only under @rwsem held exclusive.  @wbr and @gen are also read
 * without it, with READ_ONCE().
 */
struct au_sbinfo {
	struct percpu_rw_semaphore rwsem;
	atomic_t nchanging;
	unsigned long nlocked;
	struct au_branch **branches;
	unsigned int nbranch;
	struct au_branch *wbr;
	struct dentry *workdir;
	unsigned long gen;
	unsigned long commits;
	bool refrof;
	bool reval;
	bool xino;
	bool dirren;
	const struct cred *cred;
	spinlock_t lock;	/* see above */
	struct list_head dinfos;
	struct list_head plinks;
	DECLARE_BITMAP(ids, AUFS_BRANCH_MAX);
	unsigned int next_id;
	struct list_lru rdlru;
	struct shrinker *rdshrink;
	struct kobject *kobj;
	struct au_opts __rcu *opts;
};

/**
 * struct au_opts - a rendered branch list
 * @rcu: for freeing after show_options readers
 * @str: "br=DIR=PERM:...", escaped as seq_path() does
 */
struct au_opts {
	struct rcu_head rcu;
	char str[];
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

struct au_rdent;
struct au_rdchunk;

/**
 * struct au_rdver - the state of a branch directory a listing or a
 *	lookup read
 * @version: its i_version, as the listing (inode_query_iversion()) or
 *	the lookup (raw, reval.c) reads it
 * @ctime: its ctime, for the entry changes some filesystems make without
 *	moving i_version (a RENAME_EXCHANGE on tmpfs)
 */
struct au_rdver {
	u64 version;
	struct timespec64 ctime;
};

/**
 * struct au_drec - the branch directories the lookup of a name read
 * @rcu: for freeing after the readers under RCU
 * @pdi: the parent's stack the lookup read
 * @pfirst: that stack's first entry then
 * @n: number of its directories read, from @pfirst on
 * @ver: the state of each, read before the lookup in it (reval.c)
 */
struct au_drec {
	struct rcu_head rcu;
	const struct au_dinfo *pdi;
	unsigned int pfirst;
	unsigned int n;
	struct au_rdver ver[];
};

/**
 * struct au_rdcache - the merged listing of one directory (readdir.c)
 * @ref: held by each open file that reads it, and by @di
 * @rcu: for freeing the head after lookups under RCU
 * @lru: in &au_sbinfo.rdlru while @di holds it
 * @sbi: the mount
 * @di: the stack that holds it, or %NULL
 * @n: number of entries
 * @ents: entries in listing order
 * @chunks: the memory of every entry, shown or not
 * @gen: the branch table generation it was built in
 * @first: au_di_first() of the stack it was built from
 * @nh: number of branch directories it was built from
 * @keep: every branch directory had an i_version: may be shared
 * @ver: @nh change marks, of each branch directory from @first on, read
 *	before it was listed
 */
struct au_rdcache {
	refcount_t ref;
	struct rcu_head rcu;
	struct list_head lru;
	struct au_sbinfo *sbi;
	struct au_dinfo *di;
	unsigned int n;
	struct au_rdent **ents;
	struct au_rdchunk *chunks;
	unsigned long gen;
	unsigned int first;
	unsigned int nh;
	bool keep;
	struct au_rdver *ver;
};

/**
 * struct au_dinfo - the branch dentries behind one aufs dentry
 * @first: index in @h of the topmost entry.  Slot 0 is kept for the top
 *	branch: lookup fills @h from index 1, and @first is 1 until copy-up
 *	or a create fills slot 0 and publishes 0 (once, with release
 *	semantics; read it with au_di_first()).
 * @n: end of the entries in @h; @first == @n for a negative dentry
 * @room: number of entries @h has room for
 * @dentry: the aufs dentry, once the stack is attached to it
 * @list: in &au_sbinfo.dinfos while attached
 * @rcu: for freeing after the readers that hold no lock
 * @next: the stack a branch change in progress has built for @dentry
 * @removed: the name was unlinked or renamed over through aufs: open
 *	files of it never move to another file of that name
 * @rdc: the directory's last listing, for the next open to share if
 *	still current (readdir.c), or %NULL
 * @rec: what the lookup of the name read, for udba=reval (reval.c), or
 *	%NULL; replaced whole, read under RCU
 * @h: branch dentries, topmost first; each holds a branch reference
 */
struct au_dinfo {
	unsigned int first;
	unsigned int n;
	unsigned int room;
	struct dentry *dentry;
	struct list_head list;
	struct rcu_head rcu;
	struct au_dinfo *next;
	bool removed;
	struct au_rdcache __rcu *rdc;
	struct au_drec __rcu *rec;
	struct au_hdentry h[];
};

/**
 * struct au_icopy - a copy an aufs inode had on an earlier top branch
 * @next: the one before it
 * @h_inode: the copy (a reference is held)
 * @br: its branch (a reference is held)
 */
struct au_icopy {
	struct au_icopy *next;
	struct inode *h_inode;
	struct au_branch *br;
};

/**
 * struct au_inode - aufs inode
 * @h_inode: the topmost branch inode when the inode was set up (a
 *	reference is held); the inode is hashed by it
 * @h_upper: the copy of the object on the top branch, or %NULL; set with
 *	release semantics (a reference is held).  A copy-up after a
 *	branch change replaces it with a copy on the new top; a branch
 *	change clears it for a directory (au_i_set_top()).
 * @br: the branch @h_inode lives on (a reference is held)
 * @br_upper: the branch @h_upper lives on (a reference is held)
 * @upper_seq: makes @h_upper and @br_upper one pair for readers that
 *	take no lock (au_i_upper()); writers are serialized by the
 *	cu_mutex or the rwsem held exclusive
 * @old: the copies @h_upper replaced, newest first, kept until eviction:
 *	readers under the shared rwsem may still use one, and a name whose
 *	topmost object is one of them still stands for this inode
 *	(au_plink_iget())
 * @cu_mutex: serializes copy-up of this inode
 * @plink: in &au_sbinfo.plinks while pinned, else empty (plink.c)
 * @vfs_inode: the VFS inode
 */
struct au_inode {
	struct inode *h_inode;
	struct inode *h_upper;
	struct au_branch *br;
	struct au_branch *br_upper;
	seqcount_t upper_seq;
	struct au_icopy *old;
	struct mutex cu_mutex;		/* see au_copy_up() */
	struct list_head plink;
	struct inode vfs_inode;
};

/* how many times an open file follows copy-ups and branch changes */
#define AU_FILE_MOVES	16

/**
 * struct au_file_old - a branch file an aufs file no longer uses
 * @next: the one superseded before
 * @h_file: the branch file (a reference is held)
 */
struct au_file_old {
	struct au_file_old *next;
	struct file *h_file;
};

/**
 * struct au_finfo - an open aufs regular file
 * @h_file: the branch file I/O goes to (a reference is held)
 * @dentry: the aufs name whose topmost file @h_file is: the file's own,
 *	or the one a branch change unveiled (a reference is held)
 * @br: the branch of @h_file (counted in its &au_branch.nfiles, which
 *	keeps it in the branch table)
 * @old: branch files @h_file superseded, kept until release (the core
 *	may still use the f_mapping it read from the file before a move)
 * @nold: how many are on @old; at AU_FILE_MOVES the file no longer moves
 * @refused: the branch inode a move to was refused (the opener may not
 *	read it); compared only, no reference is held
 * @lock: protects @h_file, @dentry, @br, @old, @nold, @refused, @mapped,
 *	@trunc and @nomap
 * @mapped: the file has been mapped: @h_file never changes again
 * @trunc: opened with O_TRUNC on a lower branch, and not truncated yet:
 *	@h_file is the lower file opened for reading (see au_open())
 * @nomap: a file open for writing that took its branch file on the top
 *	branch after it was in use: its f_mapping is still the first
 *	one's, and it cannot be mapped (see au_open())
 * @gen: the branch table generation @h_file was chosen in
 */
struct au_finfo {
	struct file *h_file;
	struct dentry *dentry;
	struct au_branch *br;
	struct au_file_old *old;
	unsigned int nold;
	const struct inode *refused;
	spinlock_t lock;	/* see file.c */
	bool mapped;
	bool trunc;
	bool nomap;
	unsigned long gen;
};

/**
 * struct au_vmfwd - forwarding state of one aufs VMA (see mmap.c)
 * @ops: the VMA's vm_ops: forwarders for the ops @h_ops has, plus
 *	open and close
 * @h_ops: the vm_ops the branch file's ->mmap installed
 * @file: the aufs file, in vm_file while no call is forwarded
 * @h_file: the branch file, in vm_file while calls are forwarded
 * @lock: protects @nswap, @calls and the vm_file swap
 * @nswap: number of forwarded calls in flight on the VMA
 * @calls: the fault-type calls among them (struct au_vmfwd_call), for
 *	->fault_unlock
 */
struct au_vmfwd {
	const struct vm_operations_struct ops;
	const struct vm_operations_struct *h_ops;
	struct file *file;
	struct file *h_file;
	spinlock_t lock;		/* see above */
	unsigned int nswap;
	struct list_head calls;
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

/* Index of the topmost entry of @di; pairs with au_di_publish_top(). */
static inline unsigned int au_di_first(const struct au_dinfo *di)
{
	/* pairs with smp_store_release() in au_di_publish_top() */
	return smp_load_acquire(&di->first);
}

/* The topmost branch entry of a positive dentry. */
static inline const struct au_hdentry *au_h_top(const struct dentry *dentry)
{
	const struct au_dinfo *di = au_di(dentry);

	return &di->h[au_di_first(di)];
}

static inline struct dentry *au_h_dentry(const struct dentry *dentry)
{
	return au_h_top(dentry)->dentry;
}

static inline void au_h_path(const struct dentry *dentry, struct path *path)
{
	const struct au_hdentry *h = au_h_top(dentry);

	path->mnt = h->br->path.mnt;
	path->dentry = h->dentry;
}

/* The topmost branch inode; pairs with the copy-up that sets h_upper. */
static inline struct inode *au_h_inode(const struct inode *inode)
{
	const struct au_inode *ai = au_i(inode);

	/* pairs with smp_store_release() in au_i_publish_upper() */
	return smp_load_acquire(&ai->h_upper) ?: ai->h_inode;
}

/*
 * The copy of an aufs inode and its branch, as one pair, or %NULL.  Both
 * stay referenced, also after a replacement (&au_inode.old), while the
 * caller holds the rwsem shared; a branch change drops those on a
 * deleted branch, and the copy of a directory whose top it moves.
 */
static inline struct inode *au_i_upper(const struct inode *inode,
				       struct au_branch **br)
{
	const struct au_inode *ai = au_i(inode);
	struct inode *h_upper;
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&ai->upper_seq);
		h_upper = READ_ONCE(ai->h_upper);
		*br = READ_ONCE(ai->br_upper);
	} while (read_seqcount_retry(&ai->upper_seq, seq));
	return h_upper;
}

/* The top branch, which receives every change, or %NULL if read-only. */
static inline struct au_branch *au_wbr(const struct super_block *sb)
{
	return READ_ONCE(au_sbi(sb)->wbr);
}

/* Hold the branch table of @sb steady for an operation. */
static inline void au_read_lock(const struct super_block *sb)
{
	percpu_down_read(&au_sbi(sb)->rwsem);
}

static inline void au_read_unlock(const struct super_block *sb)
{
	percpu_up_read(&au_sbi(sb)->rwsem);
}

/*
 * -ESTALE if @dentry stands for what the branches showed before the
 * last branch change (see au_d_revalidate()); the VFS looks it up
 * again.  Called with the rwsem held.
 */
static inline int au_d_current(const struct dentry *dentry)
{
	return dentry->d_time == au_sbi(dentry->d_sb)->gen ? 0 : -ESTALE;
}

/* Whether @dentry (positive) already lives on the top branch. */
static inline bool au_d_is_upper(const struct dentry *dentry)
{
	struct au_branch *wbr = au_wbr(dentry->d_sb);

	return wbr && au_h_top(dentry)->br == wbr;
}

/**
 * struct au_br_edit - a branch change being prepared (branch.c)
 * @sbi: the mount, its rwsem held exclusive from au_br_edit_begin() to
 *	au_br_edit_end()
 * @branches: the new table; holds a reference on each branch
 * @perm: the new permission of each branch of @branches
 * @nbranch: number of branches in @branches
 * @removed: branches deleted from the table; holds their references
 * @nremoved: number of branches in @removed
 * @workdir: the work directory for the new top branch, or %NULL
 * @opts: the new table rendered for /proc/mounts, or %NULL
 * @staged: the permissions of @perm are on the branches already, the old
 *	ones kept in @old_perm (see au_br_edit_stage())
 * @committed: the new table is in place
 * @locked: the rwsem is held: false only for the table a mount starts
 *	with, which nobody else can see yet
 * @old_perm: the permission each branch of @branches had before
 */
struct au_br_edit {
	struct au_sbinfo *sbi;
	struct au_branch *branches[AUFS_BRANCH_MAX];
	enum au_br_perm perm[AUFS_BRANCH_MAX];
	enum au_br_perm old_perm[AUFS_BRANCH_MAX];
	unsigned int nbranch;
	struct au_branch *removed[AUFS_BRANCH_MAX];
	unsigned int nremoved;
	struct dentry *workdir;
	struct au_opts *opts;
	bool staged;
	bool committed;
	bool locked;
};

/* branch.c */
int au_br_perm_parse(const char *str, enum au_br_perm *perm,
		     struct p_log *log);
const char *au_br_perm_str(enum au_br_perm perm);
int au_br_spec_parse(char *str, struct au_br_spec *specs,
		     struct p_log *log);
int au_br_lookup(const char *name, struct path *path, struct p_log *log);
int au_br_check_loop(const struct path *path, const char *name,
		     struct p_log *log);
struct au_sbinfo *au_sbinfo_alloc(void);
void au_sbinfo_free(struct au_sbinfo *sbi);
void au_write_lock(struct au_sbinfo *sbi);
void au_write_unlock(struct au_sbinfo *sbi);
bool au_change_waiting(struct au_sbinfo *sbi);
int au_read_let_change(struct super_block *sb);
int au_br_table_init(struct au_sbinfo *sbi, const struct au_br_spec *specs,
		     unsigned int n, struct p_log *log);
bool au_br_whable(const struct au_branch *br);
void au_br_get(struct au_branch *br);
void au_br_put(struct au_branch *br);
void au_br_file_get(struct au_branch *br, bool write);
void au_br_file_put(struct au_branch *br, bool write);
void au_br_edit_begin(struct au_br_edit *ed, struct au_sbinfo *sbi);
int au_br_edit_add(struct au_br_edit *ed, unsigned int index,
		   const struct path *path, enum au_br_perm perm,
		   const char *name, struct p_log *log);
int au_br_edit_del(struct au_br_edit *ed, const struct path *path,
		   const char *name, struct p_log *log);
int au_br_edit_mod(struct au_br_edit *ed, const struct path *path,
		   enum au_br_perm perm, const char *name, struct p_log *log);
int au_br_edit_busy(const struct au_br_edit *ed, struct p_log *log);
bool au_br_edit_removes(const struct au_br_edit *ed,
			const struct au_branch *br);
int au_br_edit_render(struct au_br_edit *ed);
void au_br_edit_stage(struct au_br_edit *ed);
void au_br_edit_commit(struct au_br_edit *ed);
void au_br_edit_end(struct au_br_edit *ed);

/* whiteout.c */
bool au_wh_name(const char *name, unsigned int len);
int au_wh_create(struct dentry *h_parent, const struct qstr *name);
int au_wh_remove(struct dentry *h_parent, const struct qstr *name);
int au_wh_make_opaque(struct dentry *h_dir);
int au_wh_remove_opaque(struct dentry *h_dir);
int au_wh_settle(struct dentry *h_parent, struct dentry *h,
		 const struct qstr *name);
struct dentry *au_h_lookup_new(struct dentry *h_parent,
			       const struct qstr *name);
int au_h_mkdir(struct inode *dir, struct dentry **hp, umode_t mode);
int au_wh_clear_dir(const struct path *h_path);
struct dentry *au_workdir_setup(struct fs_context *fc, struct au_sbinfo *sbi,
				const struct path *root);
struct dentry *au_workdir_get(struct dentry *work);
void au_workdir_put(struct dentry *work);
void au_workdir_check_released(const struct au_sbinfo *sbi);
int au_wh_test(struct au_branch *br, struct dentry *h_parent,
	       const struct qstr *name);
int au_wh_test_opaque(struct au_branch *br, struct dentry *h_dir);

/* namei.c */
extern const struct dentry_operations au_dentry_ops;
struct au_dinfo *au_dinfo_alloc(unsigned int n);
void au_dinfo_free(struct au_dinfo *di);
void au_dinfo_attach(struct dentry *dentry, struct au_dinfo *di);
void au_dinfo_replace(struct dentry *dentry, struct au_dinfo *di);
int au_lookup_branches(const struct au_dinfo *parent,
		       struct au_branch **branches, unsigned int nbranch,
		       const struct qstr *name, struct au_dinfo **dip,
		       bool record);
void au_di_publish_top(struct au_dinfo *di, struct au_branch *br,
		       struct dentry *h_dentry);
int au_d_has_lower(const struct dentry *dentry);
int au_lookup_root(struct au_sbinfo *sbi, struct au_branch **branches,
		   unsigned int nbranch, struct au_dinfo **dip);
struct dentry *aufs_lookup(struct inode *dir, struct dentry *dentry,
			   unsigned int flags);

/**
 * struct au_dr_name - what a note of a renamed directory says (dirren.c)
 * @ino: the inode number of the part it names, on its branch
 * @name: the name of that part, in @buf (a note of the first form)
 * @part: the part, found by the path a note of the second form gives,
 *	or %NULL if that path names no such part; a reference is held
 * @buf: room for the name
 */
struct au_dr_name {
	u64 ino;
	struct qstr name;
	struct dentry *part;
	char buf[NAME_MAX + 1];
};

/* What au_dr_note() found for a branch, besides 0 (no note) */
enum {
	AU_DR_NAME = 1,	/* look the part up by &au_dr_name.name */
	AU_DR_PATH,	/* the part is &au_dr_name.part */
};

/**
 * struct au_dr_old - a note a rename replaced (dirren.c)
 * @data: what it held, or %NULL
 * @len: its length
 */
struct au_dr_old {
	u8 *data;
	int len;
};

/**
 * struct au_dr_undo - the notes a rename wrote, to take them back
 * @di: the stack of the directory renamed
 * @made: the indexes in @di of the parts whose notes were made
 * @old: per index in @di, the note a made one replaced
 */
struct au_dr_undo {
	const struct au_dinfo *di;
	unsigned long *made;
	struct au_dr_old *old;
};

/* dirren.c */
int au_dr_br_init(struct au_branch *br, bool dirren);
void au_dr_br_fin(struct au_branch *br);
bool au_dr_marked(struct au_branch *br, struct dentry *h_dir);
int au_dr_note(struct au_branch *wbr, struct dentry *h_dir,
	       struct au_branch *br, struct au_dr_name *dr);
int au_dr_store(struct dentry *dentry, const struct dentry *new_parent,
		struct au_dr_undo *undo);
void au_dr_undo(struct dentry *dentry, struct au_dr_undo *undo);
void au_dr_done(struct au_dr_undo *undo);
int au_dr_name_used(const struct dentry *old, const struct dentry *new);
int au_dr_unhide(struct dentry *h_parent, const struct qstr *name);

/* ino.c */
u64 au_ino_kept(const struct au_branch *br, struct dentry *h_dentry);
u64 au_ino_shown(struct super_block *sb, const struct au_branch *br,
		 struct dentry *h_dentry);
void au_ino_keep(struct inode *inode, struct dentry *upper);
bool au_ino_is_kept(const struct inode *inode, const struct au_branch *br,
		    const struct inode *h_inode);
void au_ino_mark_dir(struct au_sbinfo *sbi, struct mnt_idmap *idmap,
		     struct dentry *h_dir);
bool au_ino_dir_marked(const struct au_branch *br, struct dentry *h_dir);

/* reval.c */
struct au_drec *au_drec_alloc(const struct au_dinfo *parent,
			      unsigned int first);
void au_dver_read(struct au_drec *rec, struct au_branch *br,
		  struct inode *h_dir);
int au_d_reval(struct dentry *dentry, unsigned int flags);

/* inode.c */
int au_inode_cache_init(void);
void au_inode_cache_destroy(void);
struct inode *au_alloc_inode(struct super_block *sb);
void au_free_inode(struct inode *inode);
void au_evict_inode(struct inode *inode);
struct inode *au_iget(struct super_block *sb, struct au_branch *br,
		      struct dentry *h_dentry);
void au_i_publish_upper(struct inode *inode, struct au_branch *br,
			struct inode *h_upper, struct au_icopy *old);
void au_i_retire_upper(struct inode *inode, struct au_icopy *old);
void au_i_forget_old(struct inode *inode, const struct au_br_edit *ed);
void au_i_set_top(struct inode *inode, struct au_branch *br,
		  struct inode *h_inode);
void au_copy_attr(struct inode *inode);
u64 au_ino(const struct au_branch *br, u64 h_ino);
int aufs_permission(struct mnt_idmap *idmap, struct inode *inode, int mask);
int aufs_getattr(struct mnt_idmap *idmap, const struct path *path,
		 struct kstat *stat, u32 request_mask, unsigned int flags);
int aufs_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		 struct iattr *attr);
int aufs_fileattr_get(struct dentry *dentry, struct fileattr *fa);
int aufs_fileattr_set(struct mnt_idmap *idmap, struct dentry *dentry,
		      struct fileattr *fa);

/* plink.c */
struct dentry *au_plink_link(struct inode *inode, struct au_branch *wbr,
			     struct dentry *tmp);
void au_plink_unlink(struct dentry *plink);
void au_plink_pin(struct inode *inode);
bool au_plink_wanted(const struct inode *inode);
struct inode *au_plink_iget(struct super_block *sb, struct inode *h_inode);
struct dentry *au_plink_find(struct inode *inode, struct inode *h_upper,
			     struct au_branch *br);
int au_plink_path(struct dentry *dentry, struct path *path,
		  struct au_branch **br);
void au_plink_release(struct au_sbinfo *sbi, const struct au_br_edit *ed);

/* copy_up.c */
int au_copy_up_open(struct dentry *dentry, loff_t len, struct file *file,
		    struct file **h_file);
int au_copy_up_trunc(struct dentry *dentry, loff_t len);
int au_copy_up(struct dentry *dentry);

/* dir.c */
extern const struct inode_operations au_dir_iops;
int aufs_dir_fsync(struct file *file, loff_t start, loff_t end, int datasync);

/* file.c */
extern const struct file_operations au_file_fops;
struct file *au_h_file_now(struct file *file);
struct file *au_h_file_map(struct file *file);
bool au_file_trunc_pending(const struct file *file);
struct file *au_h_tmpfile(struct file *file, const struct path *h_parent,
			  const struct au_branch *br, umode_t mode);
struct au_finfo *au_file_tmpfile_prep(struct file *file, struct file *h_file,
				      struct au_branch *br);
int au_file_tmpfile(struct file *file, struct au_finfo *fi);
struct file *au_file_open_copy(struct file *file, const struct path *h_path,
			       const struct au_branch *br);
struct file *au_file_open_top(struct file *file, struct dentry *dentry,
			      struct au_branch **br);
void au_file_trunc_done(struct file *file, struct file *h_file,
			struct au_branch *br);
void au_file_accessed(struct file *file);

/* mmap.c */
int aufs_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long aufs_get_unmapped_area(struct file *file, unsigned long addr,
				     unsigned long len, unsigned long pgoff,
				     unsigned long flags);
int au_vmfwd_attach(struct vm_area_struct *vma, struct file *file,
		    struct file *h_file,
		    const struct vm_operations_struct *h_ops);
struct au_vmfwd *au_vmfwd_of(const struct vm_area_struct *vma);
void au_vmfwd_enter(struct au_vmfwd *fwd, struct vm_area_struct *vma);
void au_vmfwd_exit(struct au_vmfwd *fwd, struct vm_area_struct *vma);
int au_vmfwd_cache_init(void);
void au_vmfwd_cache_destroy(void);

/* xattr.c */
extern const struct xattr_handler * const au_xattr_handlers[];
ssize_t aufs_listxattr(struct dentry *dentry, char *list, size_t size);
struct posix_acl *aufs_get_inode_acl(struct inode *inode, int type, bool rcu);
struct posix_acl *aufs_get_acl(struct mnt_idmap *idmap,
			       struct dentry *dentry, int type);
int aufs_set_acl(struct mnt_idmap *idmap, struct dentry *dentry,
		 struct posix_acl *acl, int type);

/* remount.c */
int au_remount_parse(struct fs_context *fc, struct fs_parameter *param);
int au_remount(struct fs_context *fc);
void au_remount_free(struct fs_context *fc);

/* sysfs.c */

/**
 * au_si_id - the number that names a mount to aufs tools
 * @sb: the union
 *
 * Return: the union's device number as stat(1) prints it with %D, which
 * names /sys/fs/aufs/si_<id> and is "si=<id>" in /proc/mounts (hex).
 */
static inline u32 au_si_id(const struct super_block *sb)
{
	return new_encode_dev(sb->s_dev);
}

int au_sysfs_init(void);
void au_sysfs_exit(void);
int au_sysfs_add(struct super_block *sb);
void au_sysfs_del(struct au_sbinfo *sbi);
void au_sysfs_update(struct au_sbinfo *sbi);

/* readdir.c */
extern const struct file_operations au_dir_fops;
int au_dir_empty(struct dentry *dentry);
void au_rdcache_put(struct au_rdcache *rdc);

/* rdcache.c */
struct au_rdcache *au_rdcache_alloc(struct au_sbinfo *sbi, unsigned int nh);
void au_rdcache_free(struct au_rdcache *rdc);
struct au_rdcache *au_rdcache_lookup(struct au_dinfo *di);
void au_rdcache_keep(struct au_dinfo *di, struct au_rdcache *rdc);
void au_rdcache_drop(struct au_dinfo *di);
int au_rdcache_init(struct super_block *sb);
void au_rdcache_stop(struct au_sbinfo *sbi);
void au_rdcache_exit(struct au_sbinfo *sbi);
int au_rdcache_cache_init(void);
void au_rdcache_cache_destroy(void);

/**
 * au_file_noatime - keep reads of a branch file from writing its atime
 * @h_file: a file aufs opened on a branch
 *
 * Sets O_NOATIME after the branch's ->open, as F_SETFL would: the branch
 * filesystem never sees it at open (FUSE hands open flags to its server,
 * which may refuse O_NOATIME on a file it does not own), and no owner
 * check applies (dentry_open() and backing_file_open() skip may_open(),
 * where open(2) makes it).  Used on branches aufs may not write, whose
 * atimes are not the union's to change, and for the copy-up's read of a
 * lower file.
 */
static inline void au_file_noatime(struct file *h_file)
{
	spin_lock(&h_file->f_lock);
	h_file->f_flags |= O_NOATIME;
	h_file->f_iocb_flags = iocb_flags(h_file);
	spin_unlock(&h_file->f_lock);
}

#endif /* _FS_AUFS_AUFS_H */

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: the branch table.
 *
 * A branch list is written "DIR[=PERM]:DIR[=PERM]...", the top branch
 * first.  au_br_spec_parse() splits it without touching any path, so the
 * syntax can be tested on its own; au_br_table_init() resolves the paths
 * and checks that they make a sane union.
 *
 * Branches are reference-counted objects.  The table is an array of
 * them that a branch change (struct au_br_edit) replaces as a whole under
 * the mount's rwsem: it builds the new table on the side, checks it, and
 * either puts it in place or drops it, so a change that fails at any
 * point leaves the mount exactly as it was.  A deleted branch stays
 * alive while a dentry stack, an inode or an open file still uses it.
 */

#include <kunit/visibility.h>
#include <linux/blkdev.h>
#include <linux/cred.h>
#include <linux/loop.h>
#include <linux/magic.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/rcupdate.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "aufs.h"

static const char *const au_br_perm_names[] = {
	[AU_BR_RW]	= "rw",
	[AU_BR_RO]	= "ro",
	[AU_BR_RR]	= "rr",
	[AU_BR_ROWH]	= "ro+wh",
	[AU_BR_RRWH]	= "rr+wh",
};

/*
 * Branch attributes of out-of-tree aufs that this one does not have,
 * with the reason a branch that asks for one is refused.
 */
static const struct {
	const char *name;
	const char *why;
} au_br_attr_refused[] = {
	{ "coo_reg", "no copy-up on open" },
	{ "coo_all", "no copy-up on open" },
	{ "moo",     "no move-up on open" },
	{ "fhsm",    "no file-based hierarchical storage management" },
	{ "icex",    "errors copying xattrs up are never ignored" },
	{ "icexsec", "errors copying xattrs up are never ignored" },
	{ "icexsys", "errors copying xattrs up are never ignored" },
	{ "icextr",  "errors copying xattrs up are never ignored" },
	{ "icexusr", "errors copying xattrs up are never ignored" },
	{ "icexoth", "errors copying xattrs up are never ignored" },
};

static bool au_tok_is(const char *tok, size_t len, const char *name)
{
	return strlen(name) == len && !strncmp(tok, name, len);
}

/* One "+ATTR" of @str: set *@wh, or refuse it with a reason in @log. */
static int au_br_attr_parse(const char *str, const char *tok, size_t len,
			    enum au_br_perm base, bool *wh, struct p_log *log)
{
	unsigned int i;

	if (au_tok_is(tok, len, "wh")) {
		if (base == AU_BR_RW)
			return inval_plog(log, "branch permission '%s': rw whiteouts always count",
					  str);
		*wh = true;
		return 0;
	}
	/* whiteouts are never hard links here (AUFS_WH_PFX files) */
	if (au_tok_is(tok, len, "nolwh")) {
		if (base != AU_BR_RW)
			return inval_plog(log, "branch permission '%s': nolwh is for rw only",
					  str);
		return 0;
	}
	/* branch roots are never pinned: accepted, as out-of-tree aufs does */
	if (au_tok_is(tok, len, "unpin"))
		return 0;
	for (i = 0; i < ARRAY_SIZE(au_br_attr_refused); i++)
		if (au_tok_is(tok, len, au_br_attr_refused[i].name))
			return inval_plog(log, "branch permission '%s': %s (+%s)",
					  str, au_br_attr_refused[i].why,
					  au_br_attr_refused[i].name);
	return inval_plog(log, "unknown branch permission '%s'", str);
}

/**
 * au_br_perm_parse - parse a branch permission
 * @str: "rw", "ro" or "rr", then any number of "+ATTR"
 * @perm: where the result goes
 * @log: where a reason for a refusal is reported
 *
 * The attributes are those of out-of-tree aufs: "wh" on "ro" and "rr"
 * makes the whiteouts of the branch count; "nolwh" (on "rw") and "unpin"
 * ask for what this aufs always does and change nothing; the others
 * name features this aufs does not have and are refused, as is "wh" on
 * "rw".  Case matters.
 *
 * Return: 0, or -EINVAL with a reason in @log.
 */
int au_br_perm_parse(const char *str, enum au_br_perm *perm,
		     struct p_log *log)
{
	const char *tok = strchrnul(str, '+');
	enum au_br_perm base;
	bool wh = false;
	int err;

	if (au_tok_is(str, tok - str, "rw"))
		base = AU_BR_RW;
	else if (au_tok_is(str, tok - str, "ro"))
		base = AU_BR_RO;
	else if (au_tok_is(str, tok - str, "rr"))
		base = AU_BR_RR;
	else
		return inval_plog(log, "unknown branch permission '%s'", str);

	while (*tok) {
		const char *end = strchrnul(++tok, '+');

		err = au_br_attr_parse(str, tok, end - tok, base, &wh, log);
		if (err)
			return err;
		tok = end;
	}
	if (wh)
		base = base == AU_BR_RO ? AU_BR_ROWH : AU_BR_RRWH;
	*perm = base;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_perm_parse);

/**
 * au_br_perm_str - the name of a branch permission
 * @perm: the permission
 *
 * Return: the name, as au_br_perm_parse() accepts it.
 */
const char *au_br_perm_str(enum au_br_perm perm)
{
	return au_br_perm_names[perm];
}
EXPORT_SYMBOL_IF_KUNIT(au_br_perm_str);

/**
 * au_br_whable - whether whiteouts on a branch count
 * @br: the branch
 *
 * Return: true if whiteouts on @br hide names of lower branches.
 */
bool au_br_whable(const struct au_branch *br)
{
	return br->perm == AU_BR_RW || br->perm == AU_BR_ROWH ||
	       br->perm == AU_BR_RRWH;
}

/**
 * au_br_spec_parse - split a branch list into branch specifications
 * @str: "DIR[=PERM]:DIR[=PERM]...", top first; cut up in place
 * @specs: room for %AUFS_BRANCH_MAX results
 * @log: where a reason for a failure is reported
 *
 * The permission is whatever follows the last '=' of an element, so a
 * directory name may hold '=' as long as a permission is given.  Without
 * one, the top branch is "rw" and the others "ro".  One trailing ':' is
 * allowed; any other empty element is refused.  Nothing here looks a
 * path up.
 *
 * Return: the number of branches, or -EINVAL with a reason in @log.
 */
int au_br_spec_parse(char *str, struct au_br_spec *specs, struct p_log *log)
{
	unsigned int n = 0;
	char *elem;

	if (!*str)
		return inval_plog(log, "br= needs at least one branch");

	while ((elem = strsep(&str, ":"))) {
		struct au_br_spec *spec;
		char *perm;

		if (!*elem) {
			/* a trailing ':', as out-of-tree aufs takes it */
			if (!str && n)
				break;
			return inval_plog(log, "empty branch in branch list");
		}
		if (n == AUFS_BRANCH_MAX)
			return inval_plog(log, "more than %d branches",
					  AUFS_BRANCH_MAX);
		spec = &specs[n];
		spec->perm = n ? AU_BR_RO : AU_BR_RW;
		perm = strrchr(elem, '=');
		if (perm) {
			*perm++ = '\0';
			if (au_br_perm_parse(perm, &spec->perm, log))
				return -EINVAL;
			if (!*elem)
				return inval_plog(log,
						  "branch with permission '%s' has no directory",
						  perm);
		}
		spec->path = elem;
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_spec_parse);

/**
 * au_br_lookup - resolve a branch directory
 * @name: the directory as the user wrote it (symlinks are followed)
 * @path: where the result goes; the caller puts it
 * @log: where a reason for a failure is reported
 *
 * A name that does not lead to a directory is a bad option: -EINVAL
 * with the reason.  Any other failure of the walk (no memory, an I/O
 * error, a signal) is passed on as it is, with the reason logged.
 *
 * Return: 0, or a negative errno with a reason in @log.
 */
int au_br_lookup(const char *name, struct path *path, struct p_log *log)
{
	int err = kern_path(name, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, path);

	switch (err) {
	case 0:
		return 0;
	case -ENOENT:
		return inval_plog(log, "branch '%s': no such directory", name);
	case -ENOTDIR:
		return inval_plog(log, "branch '%s': not a directory", name);
	case -ELOOP:
	case -ENAMETOOLONG:
	case -EACCES:
		return inval_plog(log, "branch '%s': cannot be looked up (%pe)",
				  name, ERR_PTR(err));
	}
	error_plog(log, "branch '%s': cannot be looked up (%pe)", name,
		   ERR_PTR(err));
	return err;
}

/* How many loop devices stacked on each other au_br_check_loop() follows. */
#define AU_LOOP_DEPTH	8

/**
 * au_br_check_loop - refuse a branch that a loop device serves from a union
 * @path: the branch directory
 * @name: the directory as the user wrote it
 * @log: where a reason for a refusal is reported
 *
 * A branch on a loop device whose backing file is read through a
 * stacking filesystem (this union, or an overlayfs or another union
 * that may read this one) would be served from the union: a branch
 * change reads the branch under the exclusive rwsem, the loop worker's
 * read of its file may wait for that rwsem (au_file_regen()).  A loop
 * device on a file of a filesystem on a loop device, or on another loop
 * device, is followed.  Out-of-tree aufs refuses the same.  The check
 * is made when the branch is added: a LOOP_CHANGE_FD later is not seen.
 * Call it without the rwsem: loop_backing_file() takes the loop
 * device's lo_mutex, held across I/O that may read the union.
 *
 * Return: 0, -EINVAL with a reason in @log, or -EINTR.
 */
int au_br_check_loop(const struct path *path, const char *name,
		     struct p_log *log)
{
	struct file *(*backing)(struct block_device *bdev);
	struct block_device *bdev = path->mnt->mnt_sb->s_bdev;
	struct file *file = NULL, *next;
	unsigned int depth;
	int err = 0;

	backing = symbol_get(loop_backing_file);
	if (!backing)
		return 0;	/* no loop driver, no loop devices */
	for (depth = 0; bdev && !err; depth++) {
		struct super_block *sb;

		if (depth == AU_LOOP_DEPTH) {
			err = inval_plog(log, "branch '%s': loop devices stacked more than %d deep",
					 name, AU_LOOP_DEPTH);
			break;
		}
		/* @file, if any, keeps @bdev open */
		next = backing(bdev);
		if (file)
			fput(file);
		file = next;
		if (IS_ERR_OR_NULL(file)) {
			err = PTR_ERR_OR_ZERO(file);
			file = NULL;
			break;
		}
		sb = file->f_path.mnt->mnt_sb;
		if (sb->s_stack_depth)
			err = inval_plog(log, "branch '%s': loop device on a file of %s (stacked)",
					 name, sb->s_type->name);
		/* a loop device on a block device: follow that one */
		bdev = S_ISBLK(file_inode(file)->i_mode) ?
		       I_BDEV(file->f_mapping->host) : sb->s_bdev;
	}
	if (file)
		fput(file);
	symbol_put(loop_backing_file);
	return err;
}

static void au_br_edit_start(struct au_br_edit *ed, struct au_sbinfo *sbi,
			     bool lock);

/**
 * au_br_table_init - resolve branch specifications into the branch table
 * @sbi: the mount's state; its table must be empty
 * @specs: @n parsed specifications, top first
 * @n: number of branches, 1 to %AUFS_BRANCH_MAX
 * @log: where a reason for a failure is reported
 *
 * Every path must name a directory, not served through a loop device
 * from a stacking filesystem (au_br_check_loop()); no two branches may
 * be the same directory or lie one inside the other.  On failure
 * nothing is kept.
 *
 * Return: 0, or -EINVAL with a reason in @log (-ENOMEM without one).
 */
int au_br_table_init(struct au_sbinfo *sbi, const struct au_br_spec *specs,
		     unsigned int n, struct p_log *log)
{
	struct au_br_edit *ed = kmalloc(sizeof(*ed), GFP_KERNEL);
	struct path *paths = kcalloc(n, sizeof(*paths), GFP_KERNEL);
	unsigned int i, got;
	int err = -ENOMEM;

	if (!ed || !paths)
		goto out;
	/* resolved first: a path may lead through another union */
	for (got = 0, err = 0; got < n; got++) {
		err = au_br_lookup(specs[got].path, &paths[got], log);
		if (err)
			break;
		err = au_br_check_loop(&paths[got], specs[got].path, log);
		if (err) {
			got++;
			break;
		}
	}
	if (err)
		goto out_put;
	/* nobody can take the rwsem before fill_super ends: no grace period */
	au_br_edit_start(ed, sbi, false);
	for (i = 0; i < n && !err; i++)
		err = au_br_edit_add(ed, i, &paths[i], specs[i].perm,
				     specs[i].path, log);
	if (!err)
		err = au_br_edit_render(ed);
	if (!err)
		au_br_edit_commit(ed);
	au_br_edit_end(ed);
out_put:
	for (i = 0; i < got; i++)
		path_put(&paths[i]);
out:
	kfree(paths);
	kfree(ed);
	return err;
}

/**
 * au_sbinfo_alloc - allocate the state of a mount
 *
 * Return: an empty state with its locks set up, or %NULL.
 */
struct au_sbinfo *au_sbinfo_alloc(void)
{
	struct au_sbinfo *sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);

	if (!sbi)
		return NULL;
	sbi->branches = kcalloc(AUFS_BRANCH_MAX, sizeof(*sbi->branches),
				GFP_KERNEL);
	if (!sbi->branches || percpu_init_rwsem(&sbi->rwsem)) {
		kfree(sbi->branches);
		kfree(sbi);
		return NULL;
	}
	atomic_set(&sbi->nchanging, 0);
	spin_lock_init(&sbi->lock);
	INIT_LIST_HEAD(&sbi->dinfos);
	INIT_LIST_HEAD(&sbi->plinks);
	sbi->gen = 1;
	sbi->refrof = true;
	sbi->reval = true;
	sbi->xino = true;
	sbi->dirren = true;
	return sbi;
}
EXPORT_SYMBOL_IF_KUNIT(au_sbinfo_alloc);

/**
 * au_write_lock - take a mount's rwsem exclusive, for a branch change
 * @sbi: the mount
 *
 * Counted in &au_sbinfo.nchanging until it is taken: a copy-up gives
 * way to a change that waits (au_change_waiting()), and waits for
 * &au_sbinfo.nlocked to move (au_read_let_change()).  The first take
 * after a while waits for an RCU grace period.
 */
void au_write_lock(struct au_sbinfo *sbi)
{
	atomic_inc(&sbi->nchanging);
	percpu_down_write(&sbi->rwsem);
	atomic_dec(&sbi->nchanging);
	WRITE_ONCE(sbi->nlocked, sbi->nlocked + 1);
	/* the store before the waiter check: pairs with wait_var_event() */
	smp_mb();
	wake_up_var(&sbi->nlocked);
}

/**
 * au_write_unlock - release a mount's rwsem taken by au_write_lock()
 * @sbi: the mount
 */
void au_write_unlock(struct au_sbinfo *sbi)
{
	percpu_up_write(&sbi->rwsem);
}

/**
 * au_change_waiting - whether a branch change waits for the rwsem
 * @sbi: the mount, its rwsem held shared
 *
 * A branch change, or a remount,rw making the work directory.
 *
 * Return: true if one waits, until it has the rwsem.
 */
bool au_change_waiting(struct au_sbinfo *sbi)
{
	return atomic_read(&sbi->nchanging);
}

/**
 * au_read_let_change - let a waiting branch change run
 * @sb: the aufs superblock, its rwsem held shared once, and
 *	au_change_waiting() seen true under it
 *
 * Releases the rwsem and takes it again once the change has had it.  A
 * change that waits for the rwsem first waits for an RCU grace period,
 * during which taking the rwsem shared again would still succeed: wait
 * until a change holds it instead.  None could take it while the rwsem
 * was held shared, so the first one to take it is the one that waited.
 * A fatal signal ends the wait early; the rwsem is held again either way.
 *
 * Return: 0, or -EINTR for a fatal signal.
 */
int au_read_let_change(struct super_block *sb)
{
	struct au_sbinfo *sbi = au_sbi(sb);
	unsigned long nlocked = READ_ONCE(sbi->nlocked);
	int err;

	/* held shared: the change cannot have taken the rwsem yet */
	WARN_ON_ONCE(!atomic_read(&sbi->nchanging));
	au_read_unlock(sb);
	err = wait_var_event_killable(&sbi->nlocked,
				      READ_ONCE(sbi->nlocked) != nlocked);
	au_read_lock(sb);
	return err;
}

/**
 * au_sbinfo_free - drop the state of a mount
 * @sbi: the state, or %NULL; no dentry, inode or file uses it any more
 */
void au_sbinfo_free(struct au_sbinfo *sbi)
{
	unsigned int i;

	if (!sbi)
		return;
	au_workdir_put(sbi->workdir);
	au_workdir_check_released(sbi);
	for (i = 0; i < sbi->nbranch; i++)
		au_br_put(sbi->branches[i]);
	kfree(sbi->branches);
	kfree(rcu_access_pointer(sbi->opts));
	if (sbi->cred)
		put_cred(sbi->cred);
	WARN_ON_ONCE(!list_empty(&sbi->dinfos));
	WARN_ON_ONCE(!list_empty(&sbi->plinks));
	WARN_ON_ONCE(!bitmap_empty(sbi->ids, AUFS_BRANCH_MAX));
	percpu_free_rwsem(&sbi->rwsem);
	kfree(sbi);
}
EXPORT_SYMBOL_IF_KUNIT(au_sbinfo_free);

/**
 * au_br_get - take a reference on a branch
 * @br: the branch
 */
void au_br_get(struct au_branch *br)
{
	refcount_inc(&br->ref);
}
EXPORT_SYMBOL_IF_KUNIT(au_br_get);

/**
 * au_br_put - drop a reference on a branch
 * @br: the branch, or %NULL
 *
 * The last reference frees the branch and its id, and releases the
 * branch directory.  Sleeps.
 */
void au_br_put(struct au_branch *br)
{
	if (!br || !refcount_dec_and_test(&br->ref))
		return;
	WARN_ON_ONCE(percpu_counter_sum(&br->nfiles));
	percpu_counter_destroy(&br->nfiles);
	percpu_counter_destroy(&br->nwrite);
	spin_lock(&br->sbi->lock);
	__clear_bit(br->id, br->sbi->ids);
	spin_unlock(&br->sbi->lock);
	au_dr_br_fin(br);
	path_put(&br->path);
	/* ->permission() in RCU path walk may still compare the pointer */
	kfree_rcu_mightsleep(br);
}
EXPORT_SYMBOL_IF_KUNIT(au_br_put);

/**
 * au_br_file_get - count an open file on a branch
 * @br: the branch of the file's branch file, in the mount's table
 * @write: the file is open for writing
 *
 * Called with the rwsem held shared.  The count keeps @br in the table
 * (au_br_edit_busy()) until au_br_file_put(), so no reference is taken.
 */
void au_br_file_get(struct au_branch *br, bool write)
{
	lockdep_assert_held_read(&br->sbi->rwsem);
	percpu_counter_inc(&br->nfiles);
	if (write)
		percpu_counter_inc(&br->nwrite);
}
EXPORT_SYMBOL_IF_KUNIT(au_br_file_get);

/**
 * au_br_file_put - undo au_br_file_get()
 * @br: the branch
 * @write: as given to au_br_file_get()
 */
void au_br_file_put(struct au_branch *br, bool write)
{
	if (write)
		percpu_counter_dec(&br->nwrite);
	/* the last use of @br: a change may delete it from here on */
	percpu_counter_dec(&br->nfiles);
}
EXPORT_SYMBOL_IF_KUNIT(au_br_file_put);

/* Free a branch never given an id; either counter may be unset. */
static void au_br_discard(struct au_branch *br)
{
	percpu_counter_destroy(&br->nfiles);
	percpu_counter_destroy(&br->nwrite);
	kfree(br);
}

/* A new branch on @path with a free id and its dirren state, or an ERR_PTR. */
static struct au_branch *au_br_alloc(struct au_sbinfo *sbi,
				     const struct path *path,
				     enum au_br_perm perm)
{
	struct au_branch *br = kzalloc(sizeof(*br), GFP_KERNEL);
	unsigned int id;
	int err;

	if (!br)
		return ERR_PTR(-ENOMEM);
	if (percpu_counter_init(&br->nfiles, 0, GFP_KERNEL))
		goto nomem;
	if (percpu_counter_init(&br->nwrite, 0, GFP_KERNEL))
		goto nomem;
	/*
	 * The next id after the last one handed out, not the first free
	 * one: inode numbers kept on copies (ino.c) may still name the id
	 * of a branch deleted meanwhile, and a new branch that took it
	 * would give its inodes the same numbers.
	 */
	spin_lock(&sbi->lock);
	id = find_next_zero_bit(sbi->ids, AUFS_BRANCH_MAX, sbi->next_id);
	if (id >= AUFS_BRANCH_MAX)
		id = find_first_zero_bit(sbi->ids, AUFS_BRANCH_MAX);
	if (id < AUFS_BRANCH_MAX) {
		__set_bit(id, sbi->ids);
		sbi->next_id = id + 1;
	}
	spin_unlock(&sbi->lock);
	if (id >= AUFS_BRANCH_MAX) {
		au_br_discard(br);
		return ERR_PTR(-EBUSY);
	}
	br->path = *path;
	path_get(&br->path);
	br->perm = perm;
	br->noatime = perm != AU_BR_RW;
	br->ino_trusted = perm == AU_BR_RW;
	br->id = id;
	br->sbi = sbi;
	refcount_set(&br->ref, 1);
	err = au_dr_br_init(br, sbi->dirren);
	if (err) {
		au_br_put(br);
		return ERR_PTR(err);
	}
	return br;

nomem:
	au_br_discard(br);
	return ERR_PTR(-ENOMEM);
}

/*
 * Pseudo filesystems whose files answer by the credentials of the file
 * (kallsyms_show_value(file->f_cred) in /proc and /sys) or are the
 * kernel's own controls: aufs opens branch files as the mounter, so a
 * reader of the union would get the mounter's answers.  Out-of-tree
 * aufs refuses them too.
 */
static bool au_br_pseudo(const struct super_block *sb)
{
	switch (sb->s_magic) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
		return true;
	}
	return false;
}

/*
 * Whether @path may join the branches of @ed: not aufs, not a pseudo
 * filesystem (see au_br_pseudo()), not idmapped, not a filesystem that
 * folds names (case-insensitive or casefolded: ".WH.x" would hide "x"
 * there, and a name and its whiteout could be two spellings), not an
 * automount point, not the same as or nested with another branch.
 */
static int au_br_check(const struct au_br_edit *ed, const struct path *path,
		       const char *name, struct p_log *log)
{
	unsigned int i;

	if (path->mnt->mnt_sb->s_magic == AUFS_SUPER_MAGIC)
		/* one lock class for both levels: lockdep cannot tell them apart */
		return inval_plog(log, "branch '%s': aufs cannot be a branch of aufs",
				  name);
	if (au_br_pseudo(path->mnt->mnt_sb))
		return inval_plog(log, "branch '%s': %s is not supported as a branch",
				  name, path->mnt->mnt_sb->s_type->name);
	if (is_idmapped_mnt(path->mnt))
		return inval_plog(log, "branch '%s': idmapped mounts are not supported",
				  name);
	if (sb_has_encoding(path->mnt->mnt_sb) ||
	    (path->dentry->d_flags & (DCACHE_OP_HASH | DCACHE_OP_COMPARE)))
		return inval_plog(log, "branch '%s': its filesystem folds names",
				  name);
	if (path->dentry->d_flags & (DCACHE_NEED_AUTOMOUNT |
				     DCACHE_MANAGE_TRANSIT))
		return inval_plog(log, "branch '%s': automount points are not supported",
				  name);
	for (i = 0; i < ed->nbranch; i++) {
		const struct path *other = &ed->branches[i]->path;

		if (path_equal(path, other))
			return inval_plog(log, "branch '%s' is already branch %u",
					  name, i);
		if (path_is_under(path, other))
			return inval_plog(log, "branch '%s' is inside branch %u",
					  name, i);
		if (path_is_under(other, path))
			return inval_plog(log, "branch %u is inside branch '%s'",
					  i, name);
	}
	return 0;
}

/*
 * au_br_edit_begin(), or for the table a mount starts with (@lock
 * false): the superblock is not set up yet, so nobody else reads @sbi.
 */
static void au_br_edit_start(struct au_br_edit *ed, struct au_sbinfo *sbi,
			     bool lock)
{
	unsigned int i;

	if (lock)
		au_write_lock(sbi);
	ed->locked = lock;
	WRITE_ONCE(sbi->gen, sbi->gen + 1);
	ed->sbi = sbi;
	ed->nbranch = sbi->nbranch;
	ed->nremoved = 0;
	ed->workdir = NULL;
	ed->opts = NULL;
	ed->staged = false;
	ed->committed = false;
	for (i = 0; i < sbi->nbranch; i++) {
		ed->branches[i] = sbi->branches[i];
		ed->perm[i] = sbi->branches[i]->perm;
		au_br_get(ed->branches[i]);
	}
}

/**
 * au_br_edit_begin - start a branch change
 * @ed: the change
 * @sbi: the mount
 *
 * Takes @sbi's rwsem exclusive and starts a new generation, so that a
 * path walk meeting a cached dentry waits for the change to end
 * (au_d_revalidate()).  The new table starts as a copy of the current
 * one.  End the change with au_br_edit_end(), committed or not.
 */
void au_br_edit_begin(struct au_br_edit *ed, struct au_sbinfo *sbi)
{
	au_br_edit_start(ed, sbi, true);
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_begin);

/**
 * au_br_edit_add - add a branch to a change
 * @ed: the change
 * @index: where the new branch goes, 0 (top) to the number of branches
 *	(bottom)
 * @path: the branch directory
 * @perm: its permission
 * @name: @path as the user wrote it, for messages
 * @log: where a reason for a failure is reported
 *
 * Return: 0, -EINVAL with a reason in @log, -EBUSY when every branch id
 * is still held by deleted branches in use, or -ENOMEM.
 */
int au_br_edit_add(struct au_br_edit *ed, unsigned int index,
		   const struct path *path, enum au_br_perm perm,
		   const char *name, struct p_log *log)
{
	struct au_branch *br;
	int err;

	if (index > ed->nbranch)
		return inval_plog(log, "branch index %u out of range 0..%u",
				  index, ed->nbranch);
	if (ed->nbranch == AUFS_BRANCH_MAX)
		return inval_plog(log, "more than %d branches",
				  AUFS_BRANCH_MAX);
	err = au_br_check(ed, path, name, log);
	if (err)
		return err;
	br = au_br_alloc(ed->sbi, path, perm);
	if (IS_ERR(br)) {
		if (PTR_ERR(br) == -EBUSY)
			error_plog(log, "no free branch id: deleted branches still in use");
		return PTR_ERR(br);
	}
	memmove(&ed->branches[index + 1], &ed->branches[index],
		(ed->nbranch - index) * sizeof(ed->branches[0]));
	memmove(&ed->perm[index + 1], &ed->perm[index],
		(ed->nbranch - index) * sizeof(ed->perm[0]));
	ed->branches[index] = br;
	ed->perm[index] = perm;
	ed->nbranch++;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_add);

static int au_br_edit_find(const struct au_br_edit *ed,
			   const struct path *path, const char *name,
			   struct p_log *log)
{
	unsigned int i;

	for (i = 0; i < ed->nbranch; i++)
		if (path_equal(path, &ed->branches[i]->path))
			return i;
	return inval_plog(log, "'%s' is not a branch", name);
}

/**
 * au_br_edit_del - delete a branch in a change
 * @ed: the change
 * @path: the branch directory
 * @name: @path as the user wrote it, for messages
 * @log: where a reason for a failure is reported
 *
 * Whether the branch is busy is checked by au_br_edit_busy().
 *
 * Return: 0, or -EINVAL with a reason in @log.
 */
int au_br_edit_del(struct au_br_edit *ed, const struct path *path,
		   const char *name, struct p_log *log)
{
	int i = au_br_edit_find(ed, path, name, log);

	if (i < 0)
		return i;
	if (ed->nbranch == 1)
		return inval_plog(log, "'%s' is the last branch", name);
	ed->removed[ed->nremoved++] = ed->branches[i];
	ed->nbranch--;
	memmove(&ed->branches[i], &ed->branches[i + 1],
		(ed->nbranch - i) * sizeof(ed->branches[0]));
	memmove(&ed->perm[i], &ed->perm[i + 1],
		(ed->nbranch - i) * sizeof(ed->perm[0]));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_del);

/**
 * au_br_edit_mod - change the permission of a branch in a change
 * @ed: the change
 * @path: the branch directory
 * @perm: the new permission
 * @name: @path as the user wrote it, for messages
 * @log: where a reason for a failure is reported
 *
 * Return: 0, or -EINVAL with a reason in @log.
 */
int au_br_edit_mod(struct au_br_edit *ed, const struct path *path,
		   enum au_br_perm perm, const char *name, struct p_log *log)
{
	int i = au_br_edit_find(ed, path, name, log);

	if (i < 0)
		return i;
	ed->perm[i] = perm;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_mod);

/**
 * au_br_edit_removes - whether a change deletes a branch
 * @ed: the change
 * @br: a branch
 *
 * Return: true if @br is in the table now and not in the new one.
 */
bool au_br_edit_removes(const struct au_br_edit *ed,
			const struct au_branch *br)
{
	unsigned int i;

	for (i = 0; i < ed->nremoved; i++)
		if (ed->removed[i] == br)
			return true;
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_removes);

/**
 * au_br_edit_busy - whether open files forbid a change
 * @ed: the change
 * @log: where a reason for a failure is reported
 *
 * A deleted branch must have no open file (mapped files stay open); a
 * writable branch made read-only must have no file open for writing.
 * Dentries in use are checked by the caller, which knows the dcache.
 * Called with the rwsem held exclusive, so no file is counted meanwhile.
 *
 * Return: 0, or -EBUSY with a reason in @log.
 */
int au_br_edit_busy(const struct au_br_edit *ed, struct p_log *log)
{
	unsigned int i;

	/* exact but for closes made meanwhile: opens wait for the rwsem */
	for (i = 0; i < ed->nremoved; i++) {
		struct au_branch *br = ed->removed[i];
		s64 n = percpu_counter_sum(&br->nfiles);

		if (n) {
			error_plog(log, "branch '%pd' is busy: %lld open files",
				   br->path.dentry, n);
			return -EBUSY;
		}
	}
	for (i = 0; i < ed->nbranch; i++) {
		struct au_branch *br = ed->branches[i];
		s64 n;

		if (br->perm != AU_BR_RW || ed->perm[i] == AU_BR_RW)
			continue;
		n = percpu_counter_sum(&br->nwrite);
		if (n) {
			error_plog(log, "branch '%pd' is busy: %lld files open for writing",
				   br->path.dentry, n);
			return -EBUSY;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_busy);

/**
 * au_br_edit_render - render the new table of a change for /proc/mounts
 * @ed: the change, its verbs applied
 *
 * Directories are written as d_path() gives them now, with ':', '=',
 * ',' and white space escaped as seq_path() does.
 *
 * Return: 0 or -ENOMEM.
 */
int au_br_edit_render(struct au_br_edit *ed)
{
	static const char esc[] = ":=, \t\n\\";
	/* room for a path of PATH_MAX with every byte escaped */
	const size_t room = 4 * PATH_MAX;
	size_t len = sizeof("br=");
	struct au_opts *opts;
	unsigned int i;
	char *tmp;
	int err = -ENOMEM;

	tmp = kmalloc(room, GFP_KERNEL);
	opts = kmalloc(struct_size(opts, str, len), GFP_KERNEL);
	if (!tmp || !opts)
		goto out;
	strscpy(opts->str, "br=", len);
	for (i = 0; i < ed->nbranch; i++) {
		const char *perm = au_br_perm_str(ed->perm[i]);
		struct au_opts *bigger;
		char *dir, *end;

		/* d_path() fills the end, mangle_path() copies to the front */
		dir = d_path(&ed->branches[i]->path, tmp, room);
		if (IS_ERR(dir)) {
			err = PTR_ERR(dir);
			goto out;
		}
		end = mangle_path(tmp, dir, esc);
		if (!end) {
			err = -ENAMETOOLONG;
			goto out;
		}
		*end = '\0';
		len += strlen(tmp) + strlen(perm) + 2;
		bigger = krealloc(opts, struct_size(opts, str, len), GFP_KERNEL);
		if (!bigger)
			goto out;
		opts = bigger;
		if (i)
			strcat(opts->str, ":");
		strcat(opts->str, tmp);
		strcat(opts->str, "=");
		strcat(opts->str, perm);
	}
	ed->opts = opts;
	opts = NULL;
	err = 0;
out:
	kfree(opts);
	kfree(tmp);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_render);

/**
 * au_br_edit_stage - give the branches of a change their new permissions
 * @ed: the change, checked by au_br_edit_busy()
 *
 * Lookups for the new table (remount.c) must see whiteouts as the new
 * permissions say.  Only operations holding the rwsem look at the
 * permissions, so this is invisible until the change is committed;
 * au_br_edit_end() puts the old ones back if it is not.
 */
void au_br_edit_stage(struct au_br_edit *ed)
{
	unsigned int i;

	for (i = 0; i < ed->nbranch; i++) {
		ed->old_perm[i] = ed->branches[i]->perm;
		ed->branches[i]->perm = ed->perm[i];
	}
	ed->staged = true;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_stage);

/**
 * au_br_edit_commit - put the new table of a change in place
 * @ed: the change; cannot fail from here on
 *
 * The permissions, the top branch and the work directory change with
 * the table.  Every dentry cached before is looked up again
 * (au_d_revalidate()) unless the change gives it a stack in the new
 * table (au_dinfo_replace(), after this).  @ed keeps the old table,
 * which au_br_edit_end() drops.
 */
void au_br_edit_commit(struct au_br_edit *ed)
{
	struct au_sbinfo *sbi = ed->sbi;
	unsigned int i, nold = sbi->nbranch;

	/* au_br_edit_busy() was 0: nothing can be counted or closed since */
	for (i = 0; i < ed->nremoved; i++)
		WARN_ON_ONCE(percpu_counter_sum(&ed->removed[i]->nfiles));
	for (i = 0; i < ed->nbranch; i++) {
		ed->branches[i]->perm = ed->perm[i];
		WRITE_ONCE(ed->branches[i]->noatime, ed->perm[i] != AU_BR_RW);
	}
	for (i = 0; i < max(nold, ed->nbranch); i++)
		swap(sbi->branches[i], ed->branches[i]);
	swap(sbi->nbranch, ed->nbranch);
	swap(sbi->workdir, ed->workdir);
	ed->opts = rcu_replace_pointer(sbi->opts, ed->opts,
				       !ed->locked ||
				       lockdep_is_held_type(&sbi->rwsem, 0));
	WRITE_ONCE(sbi->wbr, sbi->branches[0]->perm == AU_BR_RW ?
		   sbi->branches[0] : NULL);
	WRITE_ONCE(sbi->commits, sbi->commits + 1);
	ed->committed = true;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_commit);

/*
 * A refused change changed nothing: every dentry that was current when
 * it began is current again.  The generation itself stays: it only
 * grows, so that an open file that read it meanwhile (au_file_regen())
 * is not taken for current after a later change.  No dentry got the new
 * generation: lookups wait for the rwsem, held exclusive.
 */
static void au_br_edit_undo_gen(struct au_sbinfo *sbi)
{
	unsigned long gen = sbi->gen;
	struct au_dinfo *di;

	spin_lock(&sbi->lock);
	list_for_each_entry(di, &sbi->dinfos, list)
		if (di->dentry->d_time == gen - 1)
			WRITE_ONCE(di->dentry->d_time, gen);
	spin_unlock(&sbi->lock);
}

/**
 * au_br_edit_end - finish a branch change
 * @ed: the change
 *
 * Releases the rwsem and drops what the change holds: the old table if
 * the change was committed, the new one if not, and the deleted
 * branches.  A change that was not committed leaves every dentry as
 * current as it was.
 */
void au_br_edit_end(struct au_br_edit *ed)
{
	unsigned int i;

	if (!ed->committed) {
		if (ed->staged)
			for (i = 0; i < ed->nbranch; i++)
				ed->branches[i]->perm = ed->old_perm[i];
		au_br_edit_undo_gen(ed->sbi);
	}
	if (ed->locked)
		au_write_unlock(ed->sbi);
	au_workdir_put(ed->workdir);
	if (ed->opts)
		kfree_rcu(ed->opts, rcu);
	for (i = 0; i < ed->nbranch; i++)
		au_br_put(ed->branches[i]);
	for (i = 0; i < ed->nremoved; i++)
		au_br_put(ed->removed[i]);
}
EXPORT_SYMBOL_IF_KUNIT(au_br_edit_end);

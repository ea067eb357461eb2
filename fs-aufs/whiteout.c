// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: whiteouts and opaque directories.
 *
 * On a branch whose permission honours whiteouts (rw, ro+wh), a file
 * named ".wh.NAME" hides NAME in every lower branch, and a directory that
 * holds ".wh..wh..opq" hides every lower directory of the same name.
 * Names that start with ".wh." belong to aufs and are never shown.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "aufs.h"

/**
 * au_wh_name - whether a name is reserved for aufs' own use
 * @name: the name
 * @len: its length
 *
 * Return: true if @name starts with ".wh.".
 */
bool au_wh_name(const char *name, unsigned int len)
{
	return len >= AUFS_WH_PFX_LEN &&
	       !memcmp(name, AUFS_WH_PFX, AUFS_WH_PFX_LEN);
}

/* ".wh.@name"; the caller has checked that it fits NAME_MAX. */
static char *au_wh_name_alloc(const struct qstr *name)
{
	return kasprintf(GFP_KERNEL, AUFS_WH_PFX "%.*s", name->len,
			 name->name);
}

/*
 * Is there a marker @name (a whiteout, the opaque marker) in @h_dir?
 * Markers are regular files; anything else of that name is a damaged
 * branch, reported as real aufs does (-EIO) rather than taken for a
 * marker.  Caller holds no lock on @h_dir.
 */
static int au_h_marker_exists(struct au_branch *br, struct dentry *h_dir,
			      const char *name, unsigned int len)
{
	struct dentry *h;
	int ret = 0;

	h = lookup_one_unlocked(mnt_idmap(br->path.mnt), name, h_dir, len);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (d_is_reg(h)) {
		ret = 1;
	} else if (d_is_positive(h)) {
		pr_warn_ratelimited("%pd2 is not a regular file, so not a whiteout (branch %pd)\n",
				    h, br->path.dentry);
		ret = -EIO;
	}
	dput(h);
	return ret;
}

/**
 * au_wh_test - look for the whiteout of a name
 * @br: the branch @h_parent is on; must honour whiteouts
 * @h_parent: branch directory, unlocked
 * @name: the name whose whiteout is looked for
 *
 * A name too long to have a whiteout has none.
 *
 * Return: 1 if ".wh.@name" exists, 0 if not, -EIO if ".wh.@name" is
 * not a regular file, or another negative errno.
 */
int au_wh_test(struct au_branch *br, struct dentry *h_parent,
	       const struct qstr *name)
{
	unsigned int len = AUFS_WH_PFX_LEN + name->len;
	char *whname;
	int ret;

	if (len > NAME_MAX)
		return 0;
	whname = au_wh_name_alloc(name);
	if (!whname)
		return -ENOMEM;
	ret = au_h_marker_exists(br, h_parent, whname, len);
	kfree(whname);
	return ret;
}

/**
 * au_wh_test_opaque - whether a branch directory is opaque
 * @br: the branch @h_dir is on
 * @h_dir: branch directory, unlocked
 *
 * Return: 1 if @h_dir is opaque, 0 if not (always 0 on a branch that does
 * not honour whiteouts), -EIO if the marker is not a regular file, or
 * another negative errno.
 */
int au_wh_test_opaque(struct au_branch *br, struct dentry *h_dir)
{
	if (!au_br_whable(br))
		return 0;
	return au_h_marker_exists(br, h_dir, AUFS_WH_OPQ,
				sizeof(AUFS_WH_OPQ) - 1);
}

/**
 * au_h_lookup_new - look up a name that aufs is about to create on a branch
 * @h_parent: the branch directory, locked by the caller
 * @name: the name
 *
 * Return: a negative dentry, ERR_PTR(-EEXIST) if the branch has the name
 * (it was changed behind aufs' back), or another ERR_PTR.
 */
struct dentry *au_h_lookup_new(struct dentry *h_parent,
			       const struct qstr *name)
{
	struct dentry *h = lookup_one(&nop_mnt_idmap, name->name, h_parent,
				      name->len);

	if (!IS_ERR(h) && d_is_positive(h)) {
		dput(h);
		return ERR_PTR(-EEXIST);
	}
	return h;
}

/**
 * au_h_mkdir - make a directory on a branch
 * @dir: the parent directory, locked by the caller
 * @hp: in, the negative branch dentry to make it as; out, the dentry of
 *	the new directory
 * @mode: its mode
 *
 * Some filesystems (NFS without a file handle in the reply, FUSE when the
 * server answers with a directory it already has) leave the dentry given
 * to vfs_mkdir() unhashed and negative although the directory was made:
 * then it is looked up again, as overlayfs does.
 *
 * Return: 0, -EIO if the new directory cannot be found, or another
 * negative errno; on failure *@hp is unchanged.
 */
int au_h_mkdir(struct inode *dir, struct dentry **hp, umode_t mode)
{
	struct dentry *h = *hp, *d;
	int err;

	err = vfs_mkdir(&nop_mnt_idmap, dir, h, mode);
	if (err || !d_unhashed(h))
		return err;
	d = lookup_one(&nop_mnt_idmap, h->d_name.name, h->d_parent,
		       h->d_name.len);
	if (IS_ERR(d))
		return PTR_ERR(d);
	if (!d_is_dir(d)) {
		pr_warn_ratelimited("%pd2 made, but not found again\n", d);
		dput(d);
		return -EIO;
	}
	dput(h);
	*hp = d;
	return 0;
}

/*
 * Create an empty regular file @name in @h_dir, locked here with
 * @subclass; fine if it exists.  Return: 1 if it was made, 0 if it was
 * there, or a negative errno.
 */
static int au_h_create_marker(struct dentry *h_dir, const char *name,
			      unsigned int len, unsigned int subclass)
{
	struct mnt_idmap *idmap = &nop_mnt_idmap;
	struct inode *dir = d_inode(h_dir);
	struct dentry *h;
	int err;

	inode_lock_nested(dir, subclass);
	h = lookup_one(idmap, name, h_dir, len);
	err = PTR_ERR_OR_ZERO(h);
	if (!err && d_is_negative(h))
		err = vfs_create(idmap, dir, h, S_IFREG | 0444, true) ?: 1;
	if (!IS_ERR(h))
		dput(h);
	inode_unlock(dir);
	return err;
}

/* Unlink the marker @name in @h_dir, locked by the caller, if a file. */
static int au_h_unlink_marker(struct dentry *h_dir, const char *name,
			      unsigned int len)
{
	struct dentry *h = lookup_one(&nop_mnt_idmap, name, h_dir, len);
	int err = PTR_ERR_OR_ZERO(h);

	if (!err && d_is_reg(h))
		err = vfs_unlink(&nop_mnt_idmap, d_inode(h_dir), h, NULL);
	if (!IS_ERR(h))
		dput(h);
	return err;
}

/**
 * au_wh_create - hide a name of the lower branches
 * @h_parent: directory on the top branch, unlocked
 * @name: the name to hide
 *
 * Creates ".wh.@name" in @h_parent.  Runs with the mounter's credentials;
 * the caller holds write access to the top branch.
 *
 * Return: 1 if the whiteout was made, 0 if it was there, or a negative
 * errno.
 */
int au_wh_create(struct dentry *h_parent, const struct qstr *name)
{
	unsigned int len = AUFS_WH_PFX_LEN + name->len;
	char *whname;
	int err;

	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	whname = au_wh_name_alloc(name);
	if (!whname)
		return -ENOMEM;
	err = au_h_create_marker(h_parent, whname, len, I_MUTEX_PARENT);
	kfree(whname);
	return err;
}

/**
 * au_wh_remove - take back a whiteout au_wh_create() made
 * @h_parent: directory on the top branch, unlocked
 * @name: the name it hid
 *
 * For a change that failed after it made the whiteout: the branch is
 * left as it was.  Only while @name is still in @h_parent: a name gone
 * from the top branch (a change that failed half-way there, or made
 * behind aufs' back) keeps its whiteout, which still hides the lower
 * name the caller removed.  Runs with the mounter's credentials; the
 * caller holds write access to the top branch.
 *
 * Return: 0, -ESTALE if @name is gone, or another negative errno.
 */
int au_wh_remove(struct dentry *h_parent, const struct qstr *name)
{
	unsigned int len = AUFS_WH_PFX_LEN + name->len;
	struct inode *dir = d_inode(h_parent);
	struct dentry *h;
	char *whname;
	int err;

	whname = au_wh_name_alloc(name);
	if (!whname)
		return -ENOMEM;
	inode_lock_nested(dir, I_MUTEX_PARENT);
	h = lookup_one(&nop_mnt_idmap, name->name, h_parent, name->len);
	err = PTR_ERR_OR_ZERO(h);
	if (!err && d_is_negative(h))
		err = -ESTALE;
	if (!err)
		err = au_h_unlink_marker(h_parent, whname, len);
	if (!IS_ERR(h))
		dput(h);
	inode_unlock(dir);
	kfree(whname);
	return err;
}

/**
 * au_wh_make_opaque - mark a directory of the top branch opaque
 * @h_dir: the directory, unlocked
 *
 * Runs with the mounter's credentials; the caller holds write access to
 * the top branch.
 *
 * Return: 1 if the marker was made, 0 if it was there, or a negative
 * errno.
 */
int au_wh_make_opaque(struct dentry *h_dir)
{
	return au_h_create_marker(h_dir, AUFS_WH_OPQ, sizeof(AUFS_WH_OPQ) - 1,
				  I_MUTEX_PARENT);
}

/**
 * au_wh_remove_opaque - take back the marker au_wh_make_opaque() made
 * @h_dir: the directory, unlocked
 *
 * Return: 0 or a negative errno.
 */
int au_wh_remove_opaque(struct dentry *h_dir)
{
	struct inode *dir = d_inode(h_dir);
	int err;

	inode_lock_nested(dir, I_MUTEX_PARENT);
	err = au_h_unlink_marker(h_dir, AUFS_WH_OPQ, sizeof(AUFS_WH_OPQ) - 1);
	inode_unlock(dir);
	return err;
}

/**
 * au_wh_settle - remove the whiteout of a name the top branch holds again
 * @h_parent: directory on the top branch, unlocked
 * @h: the object the name holds there now
 * @name: the name
 *
 * A name and its whiteout on one branch show the name and hide what is
 * below it (au_lookup_branches()), so a create or rename over a whiteout
 * is complete, and every crash state is one this aufs showed, before
 * this runs.  The out-of-tree aufs answers such a pair with -EIO (it
 * leaves the same pair when it crashes there: it also makes the name
 * before it removes the whiteout), so the whiteout is removed
 * afterwards, a directory being marked opaque first, since the whiteout
 * hid the lower directories of its name.  Nothing is done unless @h is
 * still the name in @h_parent: a branch changed behind aufs' back keeps
 * its whiteout.  Runs with the mounter's credentials; the caller holds
 * write access to the top branch and the aufs parent's lock, so no
 * other change of the union reaches the name meanwhile.
 *
 * Return: 0, or a negative errno with the whiteout (and maybe the
 * marker) left in place, which shows this aufs the same.
 */
int au_wh_settle(struct dentry *h_parent, struct dentry *h,
		 const struct qstr *name)
{
	unsigned int len = AUFS_WH_PFX_LEN + name->len;
	struct inode *dir = d_inode(h_parent);
	struct dentry *wh;
	char *whname;
	int err;

	if (len > NAME_MAX)
		return 0;
	whname = au_wh_name_alloc(name);
	if (!whname)
		return -ENOMEM;
	inode_lock_nested(dir, I_MUTEX_PARENT);
	wh = lookup_one(&nop_mnt_idmap, whname, h_parent, len);
	err = PTR_ERR_OR_ZERO(wh);
	if (err || d_is_negative(wh))
		goto out_unlock;
	if (!d_is_reg(wh)) {
		err = -EIO;	/* not a whiteout: a damaged branch, left alone */
		goto out_unlock;
	}
	if (h->d_parent != h_parent || d_unhashed(h) ||
	    !d_same_name(h, h_parent, name)) {
		err = -ESTALE;	/* changed on the branch behind us */
		goto out_unlock;
	}
	if (d_is_dir(h)) {
		err = au_h_create_marker(h, AUFS_WH_OPQ,
					 sizeof(AUFS_WH_OPQ) - 1,
					 I_MUTEX_CHILD);
		if (err < 0)
			goto out_unlock;
	}
	err = vfs_unlink(&nop_mnt_idmap, dir, wh, NULL);
out_unlock:
	inode_unlock(dir);
	if (!IS_ERR(wh))
		dput(wh);
	kfree(whname);
	return err;
}

/* Names read from a branch directory. */
struct au_names {
	struct dir_context ctx;
	struct list_head list;
	bool only_wh;
	int err;
};

struct au_name {
	struct list_head list;
	unsigned int len;
	char name[];
};

static bool au_names_fill(struct dir_context *ctx, const char *name, int len,
			  loff_t offset, u64 ino, unsigned int type)
{
	struct au_names *names = container_of(ctx, struct au_names, ctx);
	struct au_name *n;

	if (is_dot_dotdot(name, len))
		return true;
	if (names->only_wh && !au_wh_name(name, len))
		return true;
	n = kmalloc(struct_size(n, name, len + 1), GFP_KERNEL);
	if (!n) {
		names->err = -ENOMEM;
		return false;
	}
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->len = len;
	list_add_tail(&n->list, &names->list);
	return true;
}

/* See au_unlink_names(); @dir is locked. */
static int au_unlink_one(struct inode *dir, struct dentry *h, bool all)
{
	int err;

	if (d_is_negative(h) || (!all && !d_is_reg(h)))
		return 0;
	if (!d_is_dir(h))
		return vfs_unlink(&nop_mnt_idmap, dir, h, NULL);
	/* a directory copy-up cut short leaves it empty */
	err = vfs_rmdir(&nop_mnt_idmap, dir, h);
	if (err == -ENOTEMPTY) {
		pr_warn("%pd2 is not empty, left as it is\n", h);
		err = 0;
	}
	return err;
}

/*
 * Remove the entries of @h_dir that @names lists: regular files, and
 * with @all (the work directory) also symlinks, special files and empty
 * directories, what a copy-up cut short leaves there.
 */
static int au_unlink_names(struct dentry *h_dir, struct au_names *names,
			   bool all)
{
	struct inode *dir = d_inode(h_dir);
	struct au_name *n, *next;
	int err = names->err;

	inode_lock_nested(dir, I_MUTEX_PARENT);
	list_for_each_entry_safe(n, next, &names->list, list) {
		struct dentry *h;

		if (!err) {
			h = lookup_one(&nop_mnt_idmap, n->name, h_dir, n->len);
			if (IS_ERR(h))
				err = PTR_ERR(h);
			else
				err = au_unlink_one(dir, h, all);
			if (!IS_ERR(h))
				dput(h);
		}
		kfree(n);
	}
	inode_unlock(dir);
	return err;
}

static int au_read_names(const struct path *h_path, struct au_names *names)
{
	struct file *file;
	int err;

	names->ctx.actor = au_names_fill;
	INIT_LIST_HEAD(&names->list);
	file = dentry_open(h_path, O_RDONLY | O_DIRECTORY, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	err = iterate_dir(file, &names->ctx);
	fput(file);
	return err;
}

/**
 * au_wh_clear_dir - remove the whiteouts in a top branch directory
 * @h_path: the directory on the top branch, unlocked
 *
 * Before an empty aufs directory is removed, its top branch copy may
 * still hold whiteouts and the opaque marker.  Runs with the mounter's
 * credentials.
 *
 * Return: 0 or a negative errno.
 */
int au_wh_clear_dir(const struct path *h_path)
{
	struct au_names names = { .only_wh = true };
	int err;

	err = au_read_names(h_path, &names);
	if (err)
		names.err = err;
	return au_unlink_names(h_path->dentry, &names, false);
}

/*
 * Copies in flight sit in the work directory: only the mounter may look
 * into it.  One found with another owner, other permission bits or an
 * ACL (planted by a user who may write the branch root, or given a
 * default ACL of the root by mkdir) is made the mounter's, 0700, without
 * ACLs, before it is emptied.  @h is a directory; its parent is not
 * locked.
 */
static int au_workdir_own(struct dentry *h)
{
	struct inode *inode = d_inode(h);
	struct iattr attr = {
		.ia_valid = ATTR_UID | ATTR_GID | ATTR_MODE,
		.ia_vfsuid = VFSUIDT_INIT(current_fsuid()),
		.ia_vfsgid = VFSGIDT_INIT(current_fsgid()),
		.ia_mode = S_IFDIR | 0700,
	};
	static const char *const acls[] = {
		XATTR_NAME_POSIX_ACL_ACCESS, XATTR_NAME_POSIX_ACL_DEFAULT,
	};
	int i, err;

	for (i = 0; i < ARRAY_SIZE(acls); i++) {
		err = vfs_remove_acl(&nop_mnt_idmap, h, acls[i]);
		if (err && err != -ENODATA && err != -EOPNOTSUPP)
			return err;
	}
	if (uid_eq(inode->i_uid, current_fsuid()) &&
	    gid_eq(inode->i_gid, current_fsgid()) &&
	    (inode->i_mode & 07777) == 0700)
		return 0;
	inode_lock(inode);
	err = notify_change(&nop_mnt_idmap, h, &attr, NULL);
	inode_unlock(inode);
	return err;
}

/**
 * struct au_top - a claim of a union on its writable top branch
 * @list: in au_tops
 * @root: the branch root (a reference is held)
 * @work: the work directory the claim goes with, once set up; compared
 *	only (the union's reference on it pins it)
 * @sbi: the union
 * @count: references of the union on @work that hold the claim
 *
 * One union at a time builds copies in a work directory and writes a
 * tree: another one emptying the work directory at mount would remove
 * copies in flight, and two unions writing one tree would each change
 * it behind the other's back.  A union may hold several claims on one
 * root while a change sets up a new work directory there.
 */
struct au_top {
	struct list_head list;
	struct dentry *root;
	const struct dentry *work;
	const struct au_sbinfo *sbi;
	unsigned int count;
};

static LIST_HEAD(au_tops);
static DEFINE_SPINLOCK(au_tops_lock);

/* Whether @a and @b are the same tree or one holds the other. */
static bool au_top_overlaps(struct dentry *a, struct dentry *b)
{
	return a->d_sb == b->d_sb && (is_subdir(a, b) || is_subdir(b, a));
}

/*
 * Claim @root as the writable top of @sbi: -EBUSY if another union's
 * writable top is @root, inside it or around it.  The claim is handed
 * on to au_workdir_init(), which drops it if it fails.
 */
static int au_workdir_claim(struct dentry *root, struct au_sbinfo *sbi)
{
	struct au_top *t, *new = kzalloc(sizeof(*new), GFP_KERNEL);
	int err = 0;

	if (!new)
		return -ENOMEM;
	spin_lock(&au_tops_lock);
	list_for_each_entry(t, &au_tops, list)
		if (t->sbi != sbi && au_top_overlaps(t->root, root)) {
			err = -EBUSY;
			break;
		}
	if (!err) {
		new->root = dget(root);
		new->sbi = sbi;
		new->count = 1;
		list_add(&new->list, &au_tops);
		new = NULL;
	}
	spin_unlock(&au_tops_lock);
	kfree(new);
	return err;
}

/*
 * The claim of @sbi on @root that waits for its work directory, or with
 * @work set, one that goes with @work.
 */
static struct au_top *au_top_find(const struct dentry *root,
				  const struct dentry *work,
				  const struct au_sbinfo *sbi)
{
	struct au_top *t;

	lockdep_assert_held(&au_tops_lock);
	list_for_each_entry(t, &au_tops, list)
		if (work ? t->work == work :
		    t->root == root && t->sbi == sbi && !t->work)
			return t;
	return NULL;
}

/* Drop one count of a claim; the dentry to put once it is gone, or NULL. */
static struct dentry *au_top_release(const struct dentry *root,
				     const struct dentry *work,
				     const struct au_sbinfo *sbi)
{
	struct dentry *put = NULL;
	struct au_top *t;

	spin_lock(&au_tops_lock);
	t = au_top_find(root, work, sbi);
	if (!WARN_ON_ONCE(!t) && !--t->count) {
		list_del(&t->list);
		put = t->root;
	} else {
		t = NULL;
	}
	spin_unlock(&au_tops_lock);
	kfree(t);
	return put;
}

/**
 * au_workdir_get - another reference on a work directory
 * @work: the work directory of a union
 *
 * Return: @work, which holds the union's claim on its branch once more.
 */
struct dentry *au_workdir_get(struct dentry *work)
{
	struct au_top *t;

	spin_lock(&au_tops_lock);
	t = au_top_find(NULL, work, NULL);
	if (!WARN_ON_ONCE(!t))
		t->count++;
	spin_unlock(&au_tops_lock);
	return dget(work);
}

/**
 * au_workdir_put - drop a reference on a work directory
 * @work: from au_workdir_setup() or au_workdir_get(), or %NULL
 *
 * The last one lets another union take the branch as its top.
 */
void au_workdir_put(struct dentry *work)
{
	if (!work)
		return;
	dput(au_top_release(NULL, work, NULL));
	dput(work);
}

/**
 * au_workdir_check_released - warn about claims a gone union left behind
 * @sbi: a union whose work directories were all put
 */
void au_workdir_check_released(const struct au_sbinfo *sbi)
{
	struct au_top *t;
	bool left = false;

	spin_lock(&au_tops_lock);
	list_for_each_entry(t, &au_tops, list)
		left |= t->sbi == sbi;
	spin_unlock(&au_tops_lock);
	WARN_ONCE(left, "aufs: a claim on a top branch outlived its union\n");
}

/*
 * Look up, or make, the directory @name of aufs at the top branch root
 * @root, and make it the mounter's, 0700, without ACLs
 * (au_workdir_own()).  What it holds is kept.  The caller holds write
 * access to the branch and runs with the mounter's credentials.
 */
static struct dentry *au_root_dir(const struct path *root, const char *name)
{
	struct inode *dir = d_inode(root->dentry);
	struct dentry *h;
	int err;

	inode_lock_nested(dir, I_MUTEX_PARENT);
	h = lookup_one(&nop_mnt_idmap, name, root->dentry, strlen(name));
	err = PTR_ERR_OR_ZERO(h);
	if (!err && d_is_negative(h))
		err = au_h_mkdir(dir, &h, 0700);
	if (!err && !d_is_dir(h))
		err = -ENOTDIR;
	inode_unlock(dir);
	if (!err)
		err = au_workdir_own(h);
	if (err) {
		if (!IS_ERR(h))
			dput(h);
		return ERR_PTR(err);
	}
	return h;
}

/*
 * Set up the work directory at @root, claimed by @sbi; on failure the
 * claim is dropped.  Runs with the mounter's credentials.
 */
static struct dentry *au_workdir_init(const struct path *root,
				      struct au_sbinfo *sbi)
{
	struct au_names names = {};
	struct dentry *h, *plnk;
	struct path work;
	int err;

	err = mnt_want_write(root->mnt);
	if (err) {
		dput(au_top_release(root->dentry, NULL, sbi));
		return ERR_PTR(err);
	}
	h = au_root_dir(root, AUFS_WH_ORPH);
	err = PTR_ERR_OR_ZERO(h);
	if (err)
		goto out;
	/* pseudo-links stay: other names of their files may be on it */
	plnk = au_root_dir(root, AUFS_WH_PLNK);
	err = PTR_ERR_OR_ZERO(plnk);
	if (!IS_ERR(plnk))
		dput(plnk);
	if (err)
		goto out;

	work.mnt = root->mnt;
	work.dentry = h;
	err = au_read_names(&work, &names);
	if (err)
		names.err = err;
	err = au_unlink_names(h, &names, true);
out:
	mnt_drop_write(root->mnt);
	if (!err) {
		spin_lock(&au_tops_lock);
		au_top_find(root->dentry, NULL, sbi)->work = h;
		spin_unlock(&au_tops_lock);
		return h;
	}
	dput(au_top_release(root->dentry, NULL, sbi));
	if (!IS_ERR(h))
		dput(h);
	return ERR_PTR(err);
}

/**
 * au_workdir_setup - set up the work directory on the top branch
 * @fc: the mount or remount, for reasons
 * @sbi: the union
 * @root: the root of its new writable top branch
 *
 * Copy-up builds copies in ".wh..wh.orph" at the top branch root and
 * renames them into place, so a half-made copy is never visible.  The
 * branch is claimed first: a branch that is, lies inside or holds the
 * writable top of another union is refused before anything is touched.
 * The work directory is made the mounter's, mode 0700, without ACLs,
 * whatever it was found as, and what a crash left there is removed.
 * The pseudo-link directory ".wh..wh.plnk" (plink.c) beside it is made
 * the mounter's, 0700, without ACLs the same way, and keeps what it
 * holds.
 * The work directory holds the claim: drop it with au_workdir_put().
 *
 * Return: the work directory, ERR_PTR(-EBUSY) or ERR_PTR(-EINVAL) with
 * a reason in @fc's log, or ERR_PTR(-ENOMEM), ERR_PTR(-ENOSPC) or
 * ERR_PTR(-EDQUOT) when the branch or the kernel is short of room.
 */
struct dentry *au_workdir_setup(struct fs_context *fc, struct au_sbinfo *sbi,
				const struct path *root)
{
	const struct cred *old_cred;
	struct dentry *work;
	int err;

	err = au_workdir_claim(root->dentry, sbi);
	if (err == -EBUSY)
		errorfc(fc, "branch '%pd' overlaps the top branch of another union",
			root->dentry);
	if (err)
		return ERR_PTR(err);
	old_cred = override_creds(sbi->cred);
	work = au_workdir_init(root, sbi);
	revert_creds(old_cred);
	if (IS_ERR(work)) {
		err = PTR_ERR(work);
		errorfc(fc, "branch '%pd': cannot set up %s and %s: %pe",
			root->dentry, AUFS_WH_ORPH, AUFS_WH_PLNK, work);
		/* a lack of memory or space is not a bad option */
		if (err != -ENOMEM && err != -ENOSPC && err != -EDQUOT)
			err = -EINVAL;
		return ERR_PTR(err);
	}
	return work;
}

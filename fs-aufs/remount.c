// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: branch changes at run time (remount).
 *
 * Verbs, given as remount options (or fsconfig keys on a reconfigure
 * context), applied in order and all-or-nothing:
 *   add:INDEX:DIR[=PERM]   a new branch that gets index INDEX
 *   ins:INDEX:DIR[=PERM]   the same
 *   append:DIR[=PERM]      a new bottom branch
 *   prepend:DIR[=PERM]     a new top branch
 *   del:DIR                delete a branch
 *   mod:DIR=PERM           change a branch's permission
 * A new branch without a permission is "rw" at index 0, "ro" elsewhere,
 * as at mount time.
 *
 * A change holds the mount's rwsem exclusive.  It builds the new table
 * (branch.c), then a new branch dentry stack for every dentry in use:
 * unused dentries are pruned first and looked up afresh later, since
 * the change starts a new generation (au_d_revalidate()); a refused
 * change makes the dentries that were current before it current again
 * (au_br_edit_end()).  A dentry in
 * use that still stands for the same object gets its new stack; one
 * that now shows another object stays as it was, and the VFS looks its
 * name up again.  The change fails with -EBUSY, changing nothing, if a
 * deleted branch has an open file or a non-directory in use, or if a
 * directory in use (the root, a working directory, an open directory, a
 * mount point) would disappear or stop being a directory.
 */

#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs_parser.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "aufs.h"

enum au_verb_op {
	AU_VERB_ADD,
	AU_VERB_DEL,
	AU_VERB_MOD,
};

/**
 * struct au_verb - one branch change verb of a remount
 * @list: in &au_fs_context.verbs
 * @op: what to do
 * @index: for %AU_VERB_ADD, the new branch's index; -1 for the bottom
 * @perm: the permission (%AU_VERB_ADD, %AU_VERB_MOD)
 * @has_perm: @perm was given
 * @dir: the directory as written (points into @buf)
 * @path: @dir resolved, when the remount runs
 * @buf: the verb as given, then a copy of its argument that @dir
 *	points into
 */
struct au_verb {
	struct list_head list;
	enum au_verb_op op;
	int index;
	enum au_br_perm perm;
	bool has_perm;
	const char *dir;
	struct path path;
	char buf[];
};

static const struct {
	const char *prefix;
	enum au_verb_op op;
	bool indexed;
	int index;
} au_verb_names[] = {
	{ "add:",	AU_VERB_ADD,	true,	0 },
	{ "ins:",	AU_VERB_ADD,	true,	0 },
	{ "append:",	AU_VERB_ADD,	false,	-1 },
	{ "prepend:",	AU_VERB_ADD,	false,	0 },
	{ "del:",	AU_VERB_DEL,	false,	0 },
	{ "mod:",	AU_VERB_MOD,	false,	0 },
};

/* Fill @v from the text after its prefix: [INDEX:]DIR[=PERM]. */
static int au_verb_split(struct fs_context *fc, struct au_verb *v,
			 char *arg, bool indexed)
{
	char *perm;

	if (indexed) {
		char *colon = strchr(arg, ':');
		unsigned int index;

		if (!colon)
			return invalfc(fc, "'%s': expected INDEX:DIR", v->buf);
		*colon = '\0';
		if (kstrtouint(arg, 10, &index) || index >= AUFS_BRANCH_MAX)
			return invalfc(fc, "'%s': bad branch index '%s'",
				       v->buf, arg);
		v->index = index;
		*colon = ':';
		arg = colon + 1;
	}
	perm = strrchr(arg, '=');
	if (perm) {
		if (v->op == AU_VERB_DEL)
			return invalfc(fc, "'%s': del takes no permission",
				       v->buf);
		if (au_br_perm_parse(perm + 1, &v->perm, &fc->log))
			return -EINVAL;
		v->has_perm = true;
		*perm = '\0';
	} else if (v->op == AU_VERB_MOD) {
		return invalfc(fc, "'%s': mod needs DIR=PERM", v->buf);
	}
	if (!*arg)
		return invalfc(fc, "'%s': no directory", v->buf);
	v->dir = arg;
	return 0;
}

/**
 * au_remount_parse - take a branch change verb
 * @fc: the fs_context
 * @param: a parameter; legacy mount data splits "add:1:/d=rw" at the
 *	first '=', fsconfig may pass it whole as a flag.  Out-of-tree aufs
 *	also takes "add=1:/d=rw", which arrives as key "add".
 *
 * Return: 0 if @param was a verb, -ENOPARAM if it is not one, or
 * -EINVAL with a reason in the log.
 */
int au_remount_parse(struct fs_context *fc, struct fs_parameter *param)
{
	struct au_fs_context *ctx = fc->fs_private;
	const char *value = NULL;
	struct au_verb *v;
	unsigned int i;
	size_t len;
	int err;

	for (i = 0; i < ARRAY_SIZE(au_verb_names); i++) {
		const char *prefix = au_verb_names[i].prefix;

		if (str_has_prefix(param->key, prefix))
			break;
		/* the text after the prefix starts at the same offset */
		if (param->type == fs_value_is_string &&
		    strlen(param->key) == strlen(prefix) - 1 &&
		    !strncmp(param->key, prefix, strlen(prefix) - 1))
			break;
	}
	if (i == ARRAY_SIZE(au_verb_names))
		return -ENOPARAM;
	if (fc->purpose != FS_CONTEXT_FOR_RECONFIGURE)
		return invalfc(fc, "'%s' changes branches: only on remount",
			       param->key);
	if (param->type == fs_value_is_string)
		value = param->string;
	else if (param->type != fs_value_is_flag)
		return invalfc(fc, "'%s': bad value", param->key);
	if (ctx->nverbs == AUFS_BRANCH_MAX * 2)
		return invalfc(fc, "too many branch changes at once");

	/* the verb whole, for messages, then a copy to cut up */
	len = strlen(param->key) + (value ? strlen(value) + 1 : 0) + 1;
	/* charged: a context is filled before the right to remount is checked */
	v = kzalloc(struct_size(v, buf, 2 * len), GFP_KERNEL_ACCOUNT);
	if (!v)
		return -ENOMEM;
	snprintf(v->buf, len, "%s%s%s", param->key, value ? "=" : "",
		 value ?: "");
	strscpy(v->buf + len, v->buf + strlen(au_verb_names[i].prefix), len);
	v->op = au_verb_names[i].op;
	v->index = au_verb_names[i].index;
	err = au_verb_split(fc, v, v->buf + len, au_verb_names[i].indexed);
	if (err) {
		kfree(v);
		return err;
	}
	list_add_tail(&v->list, &ctx->verbs);
	ctx->nverbs++;
	return 0;
}

/**
 * au_remount_free - drop the verbs of a context
 * @fc: the fs_context
 */
void au_remount_free(struct fs_context *fc)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct au_verb *v, *next;

	list_for_each_entry_safe(v, next, &ctx->verbs, list) {
		path_put(&v->path);
		kfree(v);
	}
	INIT_LIST_HEAD(&ctx->verbs);
	ctx->nverbs = 0;
}

/*
 * "br=" on a remount is accepted only unchanged (mount(8) may repeat the
 * options of /proc/mounts); branches change through the verbs.
 */
static int au_remount_check_br(struct fs_context *fc, struct au_sbinfo *sbi)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct au_br_spec *specs;
	struct path *paths;
	int i, n, got = 0;
	char *br;
	int err;

	br = kstrdup(ctx->br, GFP_KERNEL);
	specs = kcalloc(AUFS_BRANCH_MAX, sizeof(*specs), GFP_KERNEL);
	paths = kcalloc(AUFS_BRANCH_MAX, sizeof(*paths), GFP_KERNEL);
	err = -ENOMEM;
	if (!br || !specs || !paths)
		goto out;
	n = au_br_spec_parse(br, specs, &fc->log);
	err = n;
	if (n < 0)
		goto out;
	/* resolved first: a path may lead through this very union */
	for (err = 0; got < n && !err; got++)
		err = kern_path(specs[got].path, LOOKUP_FOLLOW, &paths[got]);
	if (err)
		got--;
	/* a name that leads nowhere is a changed br=; anything else is not */
	if (err && err != -ENOENT && err != -ENOTDIR && err != -ELOOP &&
	    err != -ENAMETOOLONG && err != -EACCES)
		goto out;
	percpu_down_read(&sbi->rwsem);
	if (!err && n != sbi->nbranch)
		err = -EINVAL;
	for (i = 0; i < n && !err; i++)
		if (!path_equal(&paths[i], &sbi->branches[i]->path) ||
		    specs[i].perm != sbi->branches[i]->perm)
			err = -EINVAL;
	percpu_up_read(&sbi->rwsem);
	if (err)
		err = invalfc(fc, "br= cannot change on remount: use the verbs");
out:
	for (i = 0; i < got; i++)
		path_put(&paths[i]);
	kfree(paths);
	kfree(specs);
	kfree(br);
	return err;
}

/* Resolve the directories of the verbs, before any lock is taken. */
static int au_remount_resolve(struct fs_context *fc)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct au_verb *v;
	int err;

	list_for_each_entry(v, &ctx->verbs, list) {
		err = au_br_lookup(v->dir, &v->path, &fc->log);
		if (!err && v->op == AU_VERB_ADD)
			err = au_br_check_loop(&v->path, v->dir, &fc->log);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A branch added at run time must be stacked less deep than the union.
 * The union's depth is fixed at mount: filesystems stacked on it counted
 * on it, and a branch as deep as the union may be stacked on the union
 * itself (an overlayfs whose lower layer is the union), whose lookups
 * would then wait for themselves.
 */
static int au_remount_check_depth(struct fs_context *fc,
				  const struct au_verb *v)
{
	int depth = v->path.mnt->mnt_sb->s_stack_depth;
	int max = fc->root->d_sb->s_stack_depth;

	if (depth < max)
		return 0;
	return invalfc(fc, "branch '%s' is stacked %d deep, not less than the union (%d)",
		       v->dir, depth, max);
}

static int au_remount_apply(struct fs_context *fc, struct au_br_edit *ed)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct au_verb *v;
	int err = 0;

	list_for_each_entry(v, &ctx->verbs, list) {
		unsigned int index;
		enum au_br_perm perm;

		switch (v->op) {
		case AU_VERB_ADD:
			err = au_remount_check_depth(fc, v);
			if (err)
				return err;
			index = v->index < 0 ? ed->nbranch : v->index;
			perm = v->has_perm ? v->perm :
			       index ? AU_BR_RO : AU_BR_RW;
			err = au_br_edit_add(ed, index, &v->path, perm, v->dir,
					     &fc->log);
			break;
		case AU_VERB_DEL:
			err = au_br_edit_del(ed, &v->path, v->dir, &fc->log);
			break;
		case AU_VERB_MOD:
			err = au_br_edit_mod(ed, &v->path, v->perm, v->dir,
					     &fc->log);
			break;
		}
		if (err)
			return err;
	}
	return 0;
}

/* Whether the union is read-only once @fc is applied. */
static bool au_remount_rdonly(const struct fs_context *fc)
{
	if (fc->sb_flags_mask & SB_RDONLY)
		return fc->sb_flags & SB_RDONLY;
	return sb_rdonly(fc->root->d_sb);
}

/*
 * The work directory for the new top branch.  A union that is read-only
 * has none: making one writes to the branch.
 */
static int au_remount_workdir(struct fs_context *fc, struct au_br_edit *ed)
{
	struct au_sbinfo *sbi = ed->sbi;
	struct au_branch *top = ed->branches[0];
	struct dentry *work;

	if (ed->perm[0] != AU_BR_RW || au_remount_rdonly(fc))
		return 0;
	if (sbi->wbr == top && sbi->workdir) {
		ed->workdir = au_workdir_get(sbi->workdir);
		return 0;
	}
	work = au_workdir_setup(fc, sbi, &top->path);
	if (IS_ERR(work))
		return PTR_ERR(work);
	ed->workdir = work;
	return 0;
}

/*
 * remount,rw of a union mounted read-only with a writable top branch:
 * make the work directory it did not make at mount.
 */
static int au_remount_rw(struct fs_context *fc, struct au_sbinfo *sbi)
{
	struct dentry *work;
	int err = 0;

	/*
	 * Only a branch change (under s_umount, which the caller holds)
	 * sets @wbr and @workdir: without work to do, no exclusive rwsem,
	 * which would make copy-ups in progress give way for nothing.
	 */
	if (au_remount_rdonly(fc) || !sbi->wbr || sbi->workdir)
		return 0;
	au_write_lock(sbi);
	if (sbi->wbr && !sbi->workdir) {
		work = au_workdir_setup(fc, sbi, &sbi->wbr->path);
		if (IS_ERR(work))
			err = PTR_ERR(work);
		else
			sbi->workdir = work;
	}
	au_write_unlock(sbi);
	return err;
}

/**
 * struct au_inuse - a dentry in use during a branch change
 * @dentry: the dentry (a reference is held)
 * @depth: its depth below the root, to build parents first
 * @replace: its new stack (in the old stack's @next) is to be attached
 */
struct au_inuse {
	struct dentry *dentry;
	unsigned int depth;
	bool replace;
};

/**
 * struct au_refresh - the dentries in use, and their new stacks
 * @ents: @n dentries
 * @n: number of entries in @ents
 */
struct au_refresh {
	struct au_inuse *ents;
	unsigned int n;
};

static int au_inuse_cmp(const void *a, const void *b)
{
	const struct au_inuse *x = a, *y = b;

	return (x->depth > y->depth) - (x->depth < y->depth);
}

/*
 * The depth of @dentry below the root.  A rename that the branches made
 * before the change began may still move dentries (vfs_rename() calls
 * d_move() after ->rename() returned and let go of the rwsem): walk under
 * rename_lock, and under RCU, which keeps a parent moved away from
 * readable.  A depth gone wrong meanwhile is caught by au_refresh_one().
 */
static unsigned int au_d_depth(struct dentry *dentry)
{
	unsigned int seq, depth;
	struct dentry *d;

	rcu_read_lock();
	do {
		seq = read_seqbegin(&rename_lock);
		depth = 0;
		for (d = dentry; !IS_ROOT(d); d = READ_ONCE(d->d_parent))
			depth++;
	} while (read_seqretry(&rename_lock, seq));
	rcu_read_unlock();
	return depth;
}

/* Whether @dentry no longer is @name in @parent (d_move() meanwhile). */
static bool au_d_moved(struct dentry *dentry, const struct dentry *parent,
		       const struct qstr *name)
{
	bool moved;

	spin_lock(&dentry->d_lock);
	moved = dentry->d_parent != parent ||
		dentry->d_name.len != name->len ||
		memcmp(dentry->d_name.name, name->name, name->len);
	spin_unlock(&dentry->d_lock);
	return moved;
}

/* Take a reference on every dentry of @sbi in use. */
static int au_refresh_collect(struct au_sbinfo *sbi, struct au_refresh *rf)
{
	unsigned int n = 0, room = 0, i;
	struct au_dinfo *di;

	/* dentries are not added meanwhile: lookups wait for the rwsem */
	spin_lock(&sbi->lock);
	list_for_each_entry(di, &sbi->dinfos, list)
		room++;
	spin_unlock(&sbi->lock);
	rf->ents = kvcalloc(room, sizeof(*rf->ents), GFP_KERNEL);
	if (!rf->ents)
		return -ENOMEM;

	spin_lock(&sbi->lock);
	list_for_each_entry(di, &sbi->dinfos, list) {
		struct dentry *d = di->dentry;

		if (n == room)
			break;
		spin_lock(&d->d_lock);
		if (d_count(d) > 0) {
			dget_dlock(d);
			rf->ents[n++].dentry = d;
		}
		spin_unlock(&d->d_lock);
	}
	spin_unlock(&sbi->lock);
	rf->n = n;

	for (i = 0; i < n; i++)
		rf->ents[i].depth = au_d_depth(rf->ents[i].dentry);
	sort(rf->ents, n, sizeof(*rf->ents), au_inuse_cmp, NULL);
	return 0;
}

/* Whether @dentry, in use, keeps something of a deleted branch. */
static bool au_refresh_pins(const struct au_br_edit *ed,
			    const struct dentry *dentry)
{
	const struct au_dinfo *di = au_di(dentry);
	const struct au_inode *ai;
	unsigned int i;

	for (i = au_di_first(di); i < di->n; i++)
		if (au_br_edit_removes(ed, di->h[i].br))
			return true;
	if (d_really_is_negative(dentry))
		return false;
	ai = au_i(d_inode(dentry));
	return au_br_edit_removes(ed, ai->br) ||
	       (ai->br_upper && au_br_edit_removes(ed, ai->br_upper));
}

/*
 * A file without a name (unlinked, or made with O_TMPFILE) has no name
 * to be looked up by again: if its object is on the branch that stays
 * the top one, it keeps it, and changes through it (fchmod(2),
 * ftruncate(2), linkat(2) of an O_TMPFILE file) go on.  Otherwise it
 * goes stale: they fail with -ESTALE.
 */
static int au_refresh_unnamed(const struct au_br_edit *ed,
			      struct au_inuse *ent)
{
	struct dentry *dentry = ent->dentry;
	struct au_dinfo *old = au_di(dentry), *di;

	if (d_really_is_negative(dentry) || d_is_dir(dentry) ||
	    au_di_first(old) || ed->branches[0] != old->h[0].br ||
	    ed->perm[0] != AU_BR_RW)
		return 0;
	di = au_dinfo_alloc(0);
	if (!di)
		return -ENOMEM;
	di->removed = old->removed;
	au_di_publish_top(di, old->h[0].br, dget(old->h[0].dentry));
	old->next = di;
	ent->replace = true;
	return 0;
}

/* Build the new stack of one dentry in use, its parent's built. */
static int au_refresh_one(struct fs_context *fc, struct au_br_edit *ed,
			  struct au_inuse *ent)
{
	struct dentry *dentry = ent->dentry;
	struct au_dinfo *old = au_di(dentry), *di;
	struct name_snapshot name;
	bool isdir = d_is_dir(dentry);
	int err = 0;

	/* removed names (an open unlinked file, a removed cwd) stay so */
	if (d_unhashed(dentry) && !IS_ROOT(dentry)) {
		if (!au_refresh_pins(ed, dentry))
			return au_refresh_unnamed(ed, ent);
		errorfc(fc, "'%pd' is in use on a deleted branch", dentry);
		return -EBUSY;
	}
	if (IS_ROOT(dentry)) {
		err = au_lookup_root(ed->sbi, ed->branches, ed->nbranch, &di);
		if (err)
			return err;
	} else {
		/* a reference: d_move() may still give @dentry another one */
		struct dentry *p = dget_parent(dentry);
		struct au_dinfo *parent = au_di(p)->next;

		di = parent ? au_dinfo_alloc(parent->n) : NULL;
		if (di) {
			take_dentry_name_snapshot(&name, dentry);
			err = au_lookup_branches(parent, ed->branches,
						 ed->nbranch, &name.name, &di,
						 READ_ONCE(ed->sbi->reval));
			/* a stack for the name it had is no stack for it */
			if (!err && au_d_moved(dentry, p, &name.name))
				parent = NULL;
			release_dentry_name_snapshot(&name);
		}
		dput(p);
		if (!parent) {
			au_dinfo_free(di);
			errorfc(fc, "'%pd' moved during the branch change",
				dentry);
			return -EBUSY;
		}
		if (!di)
			return -ENOMEM;
		if (err) {
			au_dinfo_free(di);
			return err;
		}
	}

	if (isdir) {
		/* a directory in use stays, with what the branches hold now */
		if (di->n == 1 || !d_is_dir(di->h[1].dentry)) {
			au_dinfo_free(di);
			errorfc(fc, "directory '%pd' is in use and would disappear",
				dentry);
			return -EBUSY;
		}
	} else if (d_really_is_positive(dentry)) {
		if (au_refresh_pins(ed, dentry)) {
			au_dinfo_free(di);
			errorfc(fc, "'%pd' is in use on a deleted branch",
				dentry);
			return -EBUSY;
		}
		/* another object now: looked up again (au_d_revalidate()) */
		if (di->n == 1 ||
		    di->h[1].dentry != old->h[au_di_first(old)].dentry) {
			au_dinfo_free(di);
			return 0;
		}
	} else if (di->n > 1) {
		au_dinfo_free(di);
		return 0;
	}
	old->next = di;
	ent->replace = true;
	return 0;
}

/*
 * The options that are flags of the mount, once the remount can no
 * longer fail.  A dentry looked up under udba=none has its record for
 * udba=reval all the same (au_lookup_branches()).
 */
static void au_remount_flags(struct au_sbinfo *sbi,
			     const struct au_fs_context *ctx)
{
	if (ctx->refrof >= 0)
		WRITE_ONCE(sbi->refrof, ctx->refrof);
	if (ctx->udba >= 0)
		WRITE_ONCE(sbi->reval, ctx->udba);
}

/*
 * The new stacks wait in old->next until the change is committed or
 * dropped.  After a commit every dentry in use is current unless it now
 * shows another object; after a refusal every dentry is as it was.
 */
static void au_refresh_end(struct au_refresh *rf,
			   const struct au_br_edit *ed, bool commit)
{
	unsigned int i;

	for (i = 0; i < rf->n; i++) {
		struct au_inuse *ent = &rf->ents[i];
		struct dentry *d = ent->dentry;
		struct au_dinfo *di = au_di(d)->next;

		au_di(d)->next = NULL;
		if (!commit) {
			/* nothing changed: the old stack is as right as it was */
			au_dinfo_free(di);
			continue;
		}
		if (d_really_is_positive(d))
			au_i_forget_old(d_inode(d), ed);
		if (!ent->replace)
			continue;
		if (d_is_dir(d))
			au_i_set_top(d_inode(d), di->h[1].br,
				     d_inode(di->h[1].dentry));
		au_dinfo_replace(d, di);
	}
}

static void au_refresh_free(struct au_refresh *rf)
{
	unsigned int i;

	for (i = 0; i < rf->n; i++)
		dput(rf->ents[i].dentry);
	kvfree(rf->ents);
}

static int au_remount_change(struct fs_context *fc, struct super_block *sb)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct au_sbinfo *sbi = au_sbi(sb);
	struct au_refresh rf = {};
	const struct cred *old_cred;
	struct au_br_edit *ed;
	unsigned int i;
	int err;

	ed = kmalloc(sizeof(*ed), GFP_KERNEL);
	if (!ed)
		return -ENOMEM;
	au_br_edit_begin(ed, sbi);
	err = au_remount_apply(fc, ed);
	if (err)
		goto out_edit_end;
	err = au_br_edit_busy(ed, &fc->log);
	if (err)
		goto out_edit_end;
	err = au_br_edit_render(ed);
	if (err)
		goto out_edit_end;
	err = au_remount_workdir(fc, ed);
	if (err)
		goto out_edit_end;
	/* unused dentries go: they are looked up again if needed */
	shrink_dcache_sb(sb);
	err = au_refresh_collect(sbi, &rf);
	if (err)
		goto out_edit_end;
	au_br_edit_stage(ed);
	old_cred = override_creds(sbi->cred);
	for (i = 0; i < rf.n && !err; i++)
		err = au_refresh_one(fc, ed, &rf.ents[i]);
	revert_creds(old_cred);
	if (err)
		goto out_refresh_end;
	au_br_edit_commit(ed);
	au_plink_release(sbi, ed);
	au_remount_flags(sbi, ctx);
out_refresh_end:
	au_refresh_end(&rf, ed, !err);
out_edit_end:
	au_br_edit_end(ed);
	kfree(ed);
	/* @rf is still empty if the change failed before it was collected */
	au_refresh_free(&rf);
	/* what still pins a deleted branch is in use (stale) or gone now */
	shrink_dcache_sb(sb);
	return err;
}

/**
 * au_remount - &fs_context_operations.reconfigure
 * @fc: the reconfigure context; s_umount held by the VFS
 *
 * Return: 0, or a negative errno with the mount unchanged.
 */
int au_remount(struct fs_context *fc)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct super_block *sb = fc->root->d_sb;
	struct au_sbinfo *sbi = au_sbi(sb);
	int err;

	if (ctx->br) {
		err = au_remount_check_br(fc, sbi);
		if (err)
			return err;
	}
	if (list_empty(&ctx->verbs)) {
		err = au_remount_rw(fc, sbi);
		if (err)
			return err;
		au_remount_flags(sbi, ctx);
		return 0;
	}
	err = au_remount_resolve(fc);
	if (err)
		return err;
	err = au_remount_change(fc, sb);
	if (err)
		return err;
	au_sysfs_update(sbi);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for branch changes of a whole union (remount.c): what a
 * refused change leaves behind, and what a committed one gives the
 * dentries in use.  The union is an internal aufs mount (in no
 * namespace) over directories the test makes below "/", which branch
 * options can name; the change goes through the union's fs_context, as
 * a remount does.  "/" must be the initial rootfs (a kunit.py boot, an
 * initramfs): on a system root the suite skips, it leaves its
 * directories behind.
 */

#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_struct.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "aufs.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* the dentries in use a test watches: root, "dir", "dir/file" */
#define AU_RT_USED	3

/**
 * struct au_rt_seen - one dentry in use as it was before a change
 * @dentry: the aufs dentry (a reference is held)
 * @di: its branch stack
 * @first: the stack's topmost index
 * @n: the stack's end
 * @h: the stack's branch dentries
 */
struct au_rt_seen {
	struct dentry *dentry;
	struct au_dinfo *di;
	unsigned int first;
	unsigned int n;
	struct dentry *h[4];
};

/**
 * struct au_rt - state of one test
 * @dir: "/aufs_remount_kt.N", holding b0, b1, b2 and nb
 * @name: its path
 * @mnt: the union of b0 (rw) and b1 (ro)
 * @used: dentries in use in the union
 */
struct au_rt {
	struct path dir;
	char name[32];
	struct vfsmount *mnt;
	struct au_rt_seen used[AU_RT_USED];
};

static atomic_t au_rt_seq = ATOMIC_INIT(0);

/* Make @name (a directory, or with @file a regular file) below @parent. */
static struct dentry *au_rt_make(struct kunit *test, struct dentry *parent,
				 const char *name, bool file)
{
	struct au_rt *rt = test->priv;
	struct inode *dir = d_inode(parent);
	struct dentry *d;
	int err;

	err = mnt_want_write(rt->dir.mnt);
	KUNIT_ASSERT_EQ(test, err, 0);
	inode_lock_nested(dir, I_MUTEX_PARENT);
	d = lookup_one_len(name, parent, strlen(name));
	err = PTR_ERR_OR_ZERO(d);
	if (!err && file)
		err = vfs_create(&nop_mnt_idmap, dir, d, S_IFREG | 0644, true);
	else if (!err)
		err = vfs_mkdir(&nop_mnt_idmap, dir, d, 0755);
	inode_unlock(dir);
	mnt_drop_write(rt->dir.mnt);
	if (err && !IS_ERR(d))
		dput(d);
	KUNIT_ASSERT_EQ(test, err, 0);
	return d;
}

static void au_rt_remember(struct au_rt_seen *seen, struct dentry *dentry)
{
	const struct au_dinfo *di = au_di(dentry);
	unsigned int i;

	seen->dentry = dentry;
	seen->di = au_di(dentry);
	seen->first = au_di_first(di);
	seen->n = di->n;
	for (i = 0; i < di->n && i < ARRAY_SIZE(seen->h); i++)
		seen->h[i] = di->h[i].dentry;
}

static int au_rt_init(struct kunit *test)
{
	struct file_system_type *type = get_fs_type("aufs");
	struct au_rt *rt = kunit_kzalloc(test, sizeof(*rt), GFP_KERNEL);
	struct dentry *d, *parent, *b1, *dir;
	char opts[128];
	struct path path;
	int err;

	if (!rt || !type) {
		if (type)
			module_put(type->owner);
		return -ENOMEM;
	}
	test->priv = rt;
	get_fs_root(current->fs, &path);
	if (strcmp(path.mnt->mnt_sb->s_type->name, "rootfs")) {
		path_put(&path);
		module_put(type->owner);
		kunit_skip(test, "\"/\" is not the initial rootfs");
	}
	snprintf(rt->name, sizeof(rt->name), "aufs_remount_kt.%d",
		 atomic_inc_return(&au_rt_seq));
	rt->dir.mnt = path.mnt;
	rt->dir.dentry = au_rt_make(test, path.dentry, rt->name, false);
	dput(path.dentry);
	dput(au_rt_make(test, rt->dir.dentry, "b0", false));
	b1 = au_rt_make(test, rt->dir.dentry, "b1", false);
	dput(au_rt_make(test, rt->dir.dentry, "b2", false));
	dput(au_rt_make(test, rt->dir.dentry, "nb", false));
	dir = au_rt_make(test, b1, "dir", false);
	dput(au_rt_make(test, dir, "file", true));
	dput(dir);
	dput(b1);

	snprintf(opts, sizeof(opts), "br=/%s/b0=rw:/%s/b1=ro", rt->name,
		 rt->name);
	rt->mnt = vfs_kern_mount(type, 0, "aufs", opts);
	module_put(type->owner);
	if (IS_ERR(rt->mnt)) {
		err = PTR_ERR(rt->mnt);
		rt->mnt = NULL;
		return err;
	}

	/* the root, a directory and a file in use */
	err = vfs_path_lookup(rt->mnt->mnt_root, rt->mnt, "dir/file", 0,
			      &path);
	if (err)
		return err;
	d = path.dentry;
	parent = dget_parent(d);
	au_rt_remember(&rt->used[0], dget(rt->mnt->mnt_root));
	au_rt_remember(&rt->used[1], parent);
	au_rt_remember(&rt->used[2], d);
	mntput(path.mnt);
	return 0;
}

static void au_rt_exit(struct kunit *test)
{
	struct au_rt *rt = test->priv;
	unsigned int i;

	if (!rt)
		return;
	for (i = 0; i < AU_RT_USED; i++)
		dput(rt->used[i].dentry);
	if (rt->mnt)
		mntput(rt->mnt);
	path_put(&rt->dir);
}

/**
 * struct au_rt_verb - one remount option of a change
 * @key: the verb ("del", "append", ...)
 * @dir: a directory of the test's own ("b0", "nb", ...)
 * @perm: the permission to give, or %NULL
 */
struct au_rt_verb {
	const char *key;
	const char *dir;
	const char *perm;
};

/*
 * Reconfigure the union with the verbs @v (up to a %NULL key), in one
 * change, as "mount -o remount,VERB,VERB" does.
 */
static int au_rt_change(struct kunit *test, const struct au_rt_verb *v)
{
	struct au_rt *rt = test->priv;
	struct super_block *sb = rt->mnt->mnt_sb;
	struct fs_context *fc;
	char arg[64];
	int err = 0;

	fc = fs_context_for_reconfigure(rt->mnt->mnt_root, 0, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(fc));
	for (; v->key && !err; v++) {
		/* a verb is one key, "del:DIR", as in a remount string */
		snprintf(arg, sizeof(arg), "%s:/%s/%s%s%s", v->key, rt->name,
			 v->dir, v->perm ? "=" : "", v->perm ?: "");
		err = vfs_parse_fs_string(fc, arg, NULL, 0);
	}
	if (!err) {
		down_write(&sb->s_umount);
		err = fc->ops->reconfigure(fc);
		up_write(&sb->s_umount);
	}
	put_fs_context(fc);
	return err;
}

/* Every dentry in use has its stack and is current, as before. */
static void au_rt_expect_unchanged(struct kunit *test)
{
	struct au_rt *rt = test->priv;
	struct au_sbinfo *sbi = au_sbi(rt->mnt->mnt_sb);
	unsigned int i, j;

	for (i = 0; i < AU_RT_USED; i++) {
		struct au_rt_seen *seen = &rt->used[i];
		struct dentry *d = seen->dentry;
		const struct au_dinfo *di = au_di(d);

		KUNIT_EXPECT_PTR_EQ(test, di, seen->di);
		KUNIT_EXPECT_EQ(test, au_di_first(di), seen->first);
		KUNIT_EXPECT_EQ(test, di->n, seen->n);
		for (j = 0; j < di->n && j < ARRAY_SIZE(seen->h); j++)
			KUNIT_EXPECT_PTR_EQ(test, di->h[j].dentry, seen->h[j]);
		KUNIT_EXPECT_EQ(test, d->d_time, sbi->gen);
		KUNIT_EXPECT_EQ(test, d->d_op->d_revalidate(d, 0), 1);
	}
	KUNIT_EXPECT_EQ(test, sbi->nbranch, 2U);
	KUNIT_EXPECT_EQ(test, sbi->branches[0]->perm, AU_BR_RW);
	KUNIT_EXPECT_EQ(test, sbi->branches[1]->perm, AU_BR_RO);
	KUNIT_EXPECT_PTR_EQ(test, sbi->wbr, sbi->branches[0]);
}

/* Verbs refused before anything is staged: directories not branches. */
static void au_remount_refused_verb_changes_nothing(struct kunit *test)
{
	static const struct au_rt_verb del_nb[] = { { "del", "nb" }, {} };
	static const struct au_rt_verb mod_nb[] = {
		{ "mod", "nb", "ro" }, {}
	};
	static const struct au_rt_verb nested[] = {
		{ "append", "b2", "ro" }, { "append", "b1/dir", "ro" }, {}
	};
	static const struct au_rt_verb mod_b1[] = {
		{ "mod", "b1", "ro" }, {}
	};
	KUNIT_EXPECT_EQ(test, au_rt_change(test, del_nb), -EINVAL);
	KUNIT_EXPECT_EQ(test, au_rt_change(test, mod_nb), -EINVAL);
	KUNIT_EXPECT_EQ(test, au_rt_change(test, nested), -EINVAL);
	au_rt_expect_unchanged(test);
	/* and the verbs were refused for what they name, not their form */
	KUNIT_EXPECT_EQ(test, au_rt_change(test, mod_b1), 0);
}

/*
 * Refused after the new permissions were staged and new stacks built:
 * deleting b1 would take "dir", in use, away.  The permissions come
 * back, the stacks built are dropped, and so is the verb before the
 * refused one.
 */
static void au_remount_refused_late_changes_nothing(struct kunit *test)
{
	static const struct au_rt_verb del_b1[] = {
		{ "mod", "b0", "ro" }, { "append", "b2", "ro" },
		{ "del", "b1" }, {}
	};

	KUNIT_EXPECT_EQ(test, au_rt_change(test, del_b1), -EBUSY);
	au_rt_expect_unchanged(test);
}

/*
 * A committed change gives every dentry in use that still stands for
 * the same object a stack in the new table, current in the new
 * generation.
 */
static void au_remount_committed_change_restacks(struct kunit *test)
{
	static const struct au_rt_verb append_b2[] = {
		{ "append", "b2", "ro" }, {}
	};
	struct au_rt *rt = test->priv;
	struct au_sbinfo *sbi = au_sbi(rt->mnt->mnt_sb);
	unsigned long gen = sbi->gen;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, au_rt_change(test, append_b2), 0);
	KUNIT_EXPECT_EQ(test, sbi->nbranch, 3U);
	KUNIT_EXPECT_GT(test, sbi->gen, gen);
	for (i = 0; i < AU_RT_USED; i++) {
		struct au_rt_seen *seen = &rt->used[i];
		struct dentry *d = seen->dentry;

		KUNIT_EXPECT_EQ(test, d->d_time, sbi->gen);
		KUNIT_EXPECT_EQ(test, d->d_op->d_revalidate(d, 0), 1);
		KUNIT_EXPECT_PTR_EQ(test, au_h_dentry(d), seen->h[seen->first]);
	}
	/* the root now reaches b2 too */
	KUNIT_EXPECT_EQ(test, au_di(rt->used[0].dentry)->n,
			rt->used[0].n + 1);
}

static struct kunit_case au_remount_cases[] = {
	KUNIT_CASE(au_remount_refused_verb_changes_nothing),
	KUNIT_CASE(au_remount_refused_late_changes_nothing),
	KUNIT_CASE(au_remount_committed_change_restacks),
	{}
};

static struct kunit_suite au_remount_suite = {
	.name		= "aufs_remount",
	.init		= au_rt_init,
	.exit		= au_rt_exit,
	.test_cases	= au_remount_cases,
};

kunit_test_suite(au_remount_suite);

MODULE_DESCRIPTION("KUnit tests for aufs branch changes of a union");
MODULE_LICENSE("GPL");

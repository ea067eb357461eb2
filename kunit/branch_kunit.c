// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the aufs branch table and branch changes, on
 * directories of an internal tmpfs mount (no aufs mount needed).
 */

#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>

#include "aufs.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define AU_KT_DIRS	(AUFS_BRANCH_MAX + 2)

/**
 * struct au_kt - state of one test
 * @mnt: the suite's tmpfs
 * @top: a directory of its own for the test
 * @dirs: @AU_KT_DIRS directories below @top
 * @sbi: a mount state without a mount
 * @ed: a branch change
 */
struct au_kt {
	struct vfsmount *mnt;
	struct dentry *top;
	struct path dirs[AU_KT_DIRS];
	struct au_sbinfo *sbi;
	struct au_br_edit *ed;
};

static struct vfsmount *au_kt_mnt;
/* reasons for refusals go to the kernel log */
static struct p_log au_kt_log = { .prefix = "aufs_branch" };
static atomic_t au_kt_seq = ATOMIC_INIT(0);

KUNIT_DEFINE_ACTION_WRAPPER(au_kt_dput, dput, struct dentry *);

/* Frees the mount state the test holds at its end, which it may swap. */
static void au_kt_sbinfo_free(void *data)
{
	struct au_kt *kt = data;

	au_sbinfo_free(kt->sbi);
}

/* A new directory @name in @parent; the test's resources put it. */
static struct dentry *au_kt_mkdir(struct kunit *test, struct dentry *parent,
				  const char *name)
{
	struct inode *dir = d_inode(parent);
	struct dentry *d;
	int err;

	inode_lock_nested(dir, I_MUTEX_PARENT);
	d = lookup_one_len(name, parent, strlen(name));
	if (IS_ERR(d)) {
		inode_unlock(dir);
		KUNIT_FAIL_AND_ABORT(test, "lookup of %s: %pe", name, d);
	}
	err = vfs_mkdir(&nop_mnt_idmap, dir, d, 0755);
	inode_unlock(dir);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, au_kt_dput, d),
			0);
	KUNIT_ASSERT_EQ(test, err, 0);
	return d;
}

static int au_kt_suite_init(struct kunit_suite *suite)
{
	struct file_system_type *type = get_fs_type("tmpfs");

	if (!type)
		return -ENODEV;
	au_kt_mnt = kern_mount(type);
	module_put(type->owner);
	return PTR_ERR_OR_ZERO(au_kt_mnt);
}

static void au_kt_suite_exit(struct kunit_suite *suite)
{
	kern_unmount(au_kt_mnt);
}

/*
 * Everything a test holds is a KUnit resource, released in the reverse
 * order of its making, whether the test or this init ends early: the
 * mount state goes before the directories, so the table's references
 * are the last and every branch id comes back.
 */
static int au_kt_init(struct kunit *test)
{
	struct au_kt *kt = kunit_kzalloc(test, sizeof(*kt), GFP_KERNEL);
	char name[16];
	unsigned int i;

	if (!kt)
		return -ENOMEM;
	kt->mnt = au_kt_mnt;
	snprintf(name, sizeof(name), "t%d", atomic_inc_return(&au_kt_seq));
	kt->top = au_kt_mkdir(test, au_kt_mnt->mnt_root, name);
	for (i = 0; i < AU_KT_DIRS; i++) {
		snprintf(name, sizeof(name), "d%u", i);
		kt->dirs[i].mnt = au_kt_mnt;
		kt->dirs[i].dentry = au_kt_mkdir(test, kt->top, name);
	}
	kt->sbi = au_sbinfo_alloc();
	if (!kt->sbi || kunit_add_action_or_reset(test, au_kt_sbinfo_free, kt))
		return -ENOMEM;
	kt->ed = kunit_kzalloc(test, sizeof(*kt->ed), GFP_KERNEL);
	if (!kt->ed)
		return -ENOMEM;
	test->priv = kt;
	return 0;
}

/* Give @kt's mount the branches dirs[0..n), top first, committed. */
static void au_kt_table(struct kunit *test, unsigned int n)
{
	struct au_kt *kt = test->priv;
	unsigned int i;

	au_br_edit_begin(kt->ed, kt->sbi);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, au_br_edit_add(kt->ed, i, &kt->dirs[i],
						     i ? AU_BR_RO : AU_BR_RW,
						     "dir", &au_kt_log), 0);
	au_br_edit_commit(kt->ed);
	au_br_edit_end(kt->ed);
}

/* Whether branch @index of @kt's mount is dirs[@dir]. */
static bool au_kt_is(struct au_kt *kt, unsigned int index, unsigned int dir)
{
	return index < kt->sbi->nbranch &&
	       path_equal(&kt->sbi->branches[index]->path, &kt->dirs[dir]);
}

static void au_branch_add_at_every_index(struct kunit *test)
{
	struct au_kt *kt = test->priv;
	unsigned int index, i, j;

	au_kt_table(test, 3);
	for (index = 0; index <= 3; index++) {
		struct au_branch *added;

		au_br_edit_begin(kt->ed, kt->sbi);
		KUNIT_ASSERT_EQ(test, au_br_edit_add(kt->ed, index,
						     &kt->dirs[10],
						     AU_BR_RR, "d10", &au_kt_log), 0);
		au_br_edit_commit(kt->ed);
		au_br_edit_end(kt->ed);

		KUNIT_ASSERT_EQ(test, kt->sbi->nbranch, 4U);
		/* the others keep their order around the new one */
		for (i = 0, j = 0; i < 4; i++) {
			if (i == index) {
				KUNIT_EXPECT_TRUE(test, au_kt_is(kt, i, 10));
				continue;
			}
			KUNIT_EXPECT_TRUE(test, au_kt_is(kt, i, j));
			j++;
		}
		added = kt->sbi->branches[index];
		KUNIT_EXPECT_EQ(test, added->perm, AU_BR_RR);
		KUNIT_EXPECT_PTR_EQ(test, kt->sbi->wbr,
				    index ? kt->sbi->branches[0] : NULL);

		au_br_edit_begin(kt->ed, kt->sbi);
		KUNIT_ASSERT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[10],
						     "d10", &au_kt_log), 0);
		au_br_edit_commit(kt->ed);
		au_br_edit_end(kt->ed);
		KUNIT_ASSERT_EQ(test, kt->sbi->nbranch, 3U);
	}
	/* past the bottom */
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 4, &kt->dirs[10],
					     AU_BR_RO, "d10", &au_kt_log), -EINVAL);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_EQ(test, kt->sbi->nbranch, 3U);
}

static void au_branch_del_shifts_indexes(struct kunit *test)
{
	static const unsigned int victims[] = { 0, 2, 4 };	/* top, middle, bottom */
	struct au_kt *kt = test->priv;
	unsigned int v, i, j;

	for (v = 0; v < ARRAY_SIZE(victims); v++) {
		au_sbinfo_free(kt->sbi);
		kt->sbi = au_sbinfo_alloc();
		/* the resource frees kt->sbi: never leave it freed */
		KUNIT_ASSERT_NOT_NULL(test, kt->sbi);
		au_kt_table(test, 5);

		au_br_edit_begin(kt->ed, kt->sbi);
		KUNIT_ASSERT_EQ(test, au_br_edit_del(kt->ed,
						     &kt->dirs[victims[v]],
						     "victim", &au_kt_log), 0);
		au_br_edit_commit(kt->ed);
		au_br_edit_end(kt->ed);

		KUNIT_ASSERT_EQ(test, kt->sbi->nbranch, 4U);
		for (i = 0, j = 0; i < 4; i++, j++) {
			if (j == victims[v])
				j++;
			KUNIT_EXPECT_TRUE(test, au_kt_is(kt, i, j));
		}
		/* a new top that is read-only leaves the union read-only */
		KUNIT_EXPECT_PTR_EQ(test, kt->sbi->wbr,
				    victims[v] ? kt->sbi->branches[0] : NULL);
	}
}

static void au_branch_del_last_or_unknown(struct kunit *test)
{
	struct au_kt *kt = test->priv;

	au_kt_table(test, 1);
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_EXPECT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[0], "d0", &au_kt_log),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[1], "d1", &au_kt_log),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, au_br_edit_mod(kt->ed, &kt->dirs[1], AU_BR_RO,
					     "d1", &au_kt_log), -EINVAL);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_TRUE(test, au_kt_is(kt, 0, 0));
}

static void au_branch_rejects_duplicate_and_nested(struct kunit *test)
{
	struct au_kt *kt = test->priv;
	struct path inner = { .mnt = kt->mnt };
	struct path outer = { .mnt = kt->mnt, .dentry = kt->top };

	au_kt_table(test, 2);
	inner.dentry = au_kt_mkdir(test, kt->dirs[1].dentry, "inner");

	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 2, &kt->dirs[0], AU_BR_RO,
					     "dup", &au_kt_log), -EINVAL);
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 0, &inner, AU_BR_RW,
					     "inner", &au_kt_log), -EINVAL);
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 2, &outer, AU_BR_RO,
					     "outer", &au_kt_log), -EINVAL);
	/* a deleted branch may come back in the same change */
	KUNIT_EXPECT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[1], "d1", &au_kt_log),
			0);
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 0, &inner, AU_BR_RW,
					     "inner", &au_kt_log), 0);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_EQ(test, kt->sbi->nbranch, 2U);
	KUNIT_EXPECT_TRUE(test, au_kt_is(kt, 1, 1));
}

static void au_branch_limit(struct kunit *test)
{
	struct au_kt *kt = test->priv;

	au_kt_table(test, AUFS_BRANCH_MAX);
	KUNIT_ASSERT_EQ(test, kt->sbi->nbranch, (unsigned int)AUFS_BRANCH_MAX);
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 0,
					     &kt->dirs[AUFS_BRANCH_MAX],
					     AU_BR_RO, "one more", &au_kt_log),
			-EINVAL);
	/* one out, one in */
	KUNIT_EXPECT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[5], "d5",
					     &au_kt_log), 0);
	/* the deleted branch keeps its id until the change is over */
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 0,
					     &kt->dirs[AUFS_BRANCH_MAX],
					     AU_BR_RO, "one more", &au_kt_log),
			-EBUSY);
	au_br_edit_commit(kt->ed);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_EQ(test, kt->sbi->nbranch, (unsigned int)AUFS_BRANCH_MAX - 1);
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 0,
					     &kt->dirs[AUFS_BRANCH_MAX],
					     AU_BR_RO, "one more", &au_kt_log), 0);
	au_br_edit_commit(kt->ed);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_EQ(test, kt->sbi->nbranch, (unsigned int)AUFS_BRANCH_MAX);
	KUNIT_EXPECT_TRUE(test, au_kt_is(kt, 0, AUFS_BRANCH_MAX));
	/* the new branch took the id the deleted one gave back */
	KUNIT_EXPECT_EQ(test, kt->sbi->branches[0]->id, 5U);
}

static void au_branch_generation_bumps(struct kunit *test)
{
	struct au_kt *kt = test->priv;
	unsigned long gen;

	au_kt_table(test, 2);
	gen = kt->sbi->gen;
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_EXPECT_EQ(test, au_br_edit_mod(kt->ed, &kt->dirs[1], AU_BR_ROWH,
					     "d1", &au_kt_log), 0);
	au_br_edit_commit(kt->ed);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_EQ(test, kt->sbi->gen, gen + 1);
	KUNIT_EXPECT_EQ(test, kt->sbi->branches[1]->perm, AU_BR_ROWH);

	/*
	 * a refused change moves the generation on too (it never goes
	 * back), and gives current dentries the new one (selftests)
	 */
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_EXPECT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[9], "d9", &au_kt_log),
			-EINVAL);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_EQ(test, kt->sbi->gen, gen + 2);
}

/* Count an open file on @br, as an open does: with the rwsem held shared. */
static void au_kt_file_get(struct au_kt *kt, struct au_branch *br, bool write)
{
	percpu_down_read(&kt->sbi->rwsem);
	au_br_file_get(br, write);
	percpu_up_read(&kt->sbi->rwsem);
}

static void au_branch_busy(struct kunit *test)
{
	struct au_kt *kt = test->priv;
	struct au_branch *br;

	au_kt_table(test, 3);
	br = kt->sbi->branches[1];

	/* an open file (or a mapping: the file stays open) */
	au_kt_file_get(kt, br, false);
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_ASSERT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[1], "d1", &au_kt_log),
			0);
	KUNIT_EXPECT_EQ(test, au_br_edit_busy(kt->ed, &au_kt_log), -EBUSY);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_PTR_EQ(test, kt->sbi->branches[1], br);
	au_br_file_put(br, false);

	/* closed: the same change goes through */
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_ASSERT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[1], "d1", &au_kt_log),
			0);
	KUNIT_EXPECT_EQ(test, au_br_edit_busy(kt->ed, &au_kt_log), 0);
	au_br_edit_end(kt->ed);

	/* rw -> ro needs no writer; ro -> rw and a reader do not matter */
	br = kt->sbi->branches[0];
	au_kt_file_get(kt, br, true);
	au_kt_file_get(kt, kt->sbi->branches[2], false);
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_ASSERT_EQ(test, au_br_edit_mod(kt->ed, &kt->dirs[2], AU_BR_RW,
					     "d2", &au_kt_log), 0);
	KUNIT_EXPECT_EQ(test, au_br_edit_busy(kt->ed, &au_kt_log), 0);
	KUNIT_ASSERT_EQ(test, au_br_edit_mod(kt->ed, &kt->dirs[0], AU_BR_RO,
					     "d0", &au_kt_log), 0);
	KUNIT_EXPECT_EQ(test, au_br_edit_busy(kt->ed, &au_kt_log), -EBUSY);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_EQ(test, br->perm, AU_BR_RW);
	KUNIT_EXPECT_EQ(test, kt->sbi->branches[2]->perm, AU_BR_RO);
	au_br_file_put(kt->sbi->branches[2], false);
	au_br_file_put(br, true);
}

static void au_branch_rollback(struct kunit *test)
{
	struct au_kt *kt = test->priv;
	struct au_branch *before[4];
	unsigned int i;

	au_kt_table(test, 4);
	for (i = 0; i < 4; i++)
		before[i] = kt->sbi->branches[i];

	/* add, del, mod, then a verb that fails: nothing may stay */
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_ASSERT_EQ(test, au_br_edit_add(kt->ed, 0, &kt->dirs[20],
					     AU_BR_RW, "d20", &au_kt_log), 0);
	KUNIT_ASSERT_EQ(test, au_br_edit_add(kt->ed, 5, &kt->dirs[21],
					     AU_BR_RR, "d21", &au_kt_log), 0);
	KUNIT_ASSERT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[2], "d2", &au_kt_log),
			0);
	KUNIT_ASSERT_EQ(test, au_br_edit_mod(kt->ed, &kt->dirs[3], AU_BR_ROWH,
					     "d3", &au_kt_log), 0);
	/* the new permissions are staged for the lookups of the change */
	au_br_edit_stage(kt->ed);
	KUNIT_EXPECT_EQ(test, before[3]->perm, AU_BR_ROWH);
	KUNIT_EXPECT_EQ(test, au_br_edit_add(kt->ed, 1, &kt->dirs[0],
					     AU_BR_RO, "d0 again", &au_kt_log),
			-EINVAL);
	au_br_edit_end(kt->ed);

	KUNIT_ASSERT_EQ(test, kt->sbi->nbranch, 4U);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_PTR_EQ(test, kt->sbi->branches[i], before[i]);
		KUNIT_EXPECT_EQ(test, before[i]->perm,
				i ? AU_BR_RO : AU_BR_RW);
		/* only the table holds the branches again */
		KUNIT_EXPECT_EQ(test, refcount_read(&before[i]->ref), 1U);
	}
	KUNIT_EXPECT_PTR_EQ(test, kt->sbi->wbr, before[0]);
	/* the ids the added branches took are free again */
	KUNIT_EXPECT_EQ(test, bitmap_weight(kt->sbi->ids, AUFS_BRANCH_MAX),
			4U);
}

static void au_branch_deleted_lives_while_used(struct kunit *test)
{
	struct au_kt *kt = test->priv;
	struct au_branch *br;
	unsigned int id;

	au_kt_table(test, 2);
	br = kt->sbi->branches[1];
	id = br->id;
	/* a user of the branch that does not make it busy (an inode) */
	au_br_get(br);
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_ASSERT_EQ(test, au_br_edit_del(kt->ed, &kt->dirs[1], "d1", &au_kt_log),
			0);
	KUNIT_ASSERT_EQ(test, au_br_edit_busy(kt->ed, &au_kt_log), 0);
	au_br_edit_commit(kt->ed);
	au_br_edit_end(kt->ed);
	KUNIT_EXPECT_EQ(test, kt->sbi->nbranch, 1U);
	/* still there, with its id: a new branch gets another */
	KUNIT_EXPECT_EQ(test, refcount_read(&br->ref), 1U);
	KUNIT_EXPECT_TRUE(test, test_bit(id, kt->sbi->ids));
	au_br_edit_begin(kt->ed, kt->sbi);
	KUNIT_ASSERT_EQ(test, au_br_edit_add(kt->ed, 1, &kt->dirs[1], AU_BR_RO,
					     "d1", &au_kt_log), 0);
	KUNIT_EXPECT_NE(test, kt->ed->branches[1]->id, id);
	au_br_edit_end(kt->ed);
	au_br_put(br);
	KUNIT_EXPECT_FALSE(test, test_bit(id, kt->sbi->ids));
}

static struct kunit_case au_branch_cases[] = {
	KUNIT_CASE(au_branch_add_at_every_index),
	KUNIT_CASE(au_branch_del_shifts_indexes),
	KUNIT_CASE(au_branch_del_last_or_unknown),
	KUNIT_CASE(au_branch_rejects_duplicate_and_nested),
	KUNIT_CASE(au_branch_limit),
	KUNIT_CASE(au_branch_generation_bumps),
	KUNIT_CASE(au_branch_busy),
	KUNIT_CASE(au_branch_rollback),
	KUNIT_CASE(au_branch_deleted_lives_while_used),
	{}
};

static struct kunit_suite au_branch_suite = {
	.name		= "aufs_branch",
	.suite_init	= au_kt_suite_init,
	.suite_exit	= au_kt_suite_exit,
	.init		= au_kt_init,
	.test_cases	= au_branch_cases,
};

kunit_test_suite(au_branch_suite);

MODULE_DESCRIPTION("KUnit tests for the aufs branch table");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: the branch list in sysfs.
 *
 * Each mount has a directory /sys/fs/aufs/si_<dev>, where <dev> is the
 * union's device number in hex as stat(1) prints it with %D.  It holds
 * one read-only file br<N> per branch, N being the branch index (0 is
 * the top), that reads "DIR=PERM".  The files follow branch changes.
 * DIR is the branch path as the reader's root sees it; a reader whose
 * root does not reach the branch (another mount namespace, a chroot)
 * gets ENOENT, as /proc/mounts leaves out what the reader cannot reach.
 * Documentation/ABI/testing/sysfs-fs-aufs describes the files.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs_struct.h>
#include <linux/kobject.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "aufs.h"

/**
 * struct au_sysfs - the sysfs directory of one mount
 * @kobj: the directory
 * @sbi: the mount; valid while the directory is listed (the mount
 *	removes it before it goes)
 */
struct au_sysfs {
	struct kobject kobj;
	struct au_sbinfo *sbi;
};

static struct kset *au_kset;
static char au_br_names[AUFS_BRANCH_MAX][8];
static struct kobj_attribute au_br_attrs[AUFS_BRANCH_MAX];
static struct attribute *au_br_attr_list[AUFS_BRANCH_MAX + 1];

static struct au_sbinfo *au_sysfs_sbi(struct kobject *kobj)
{
	return container_of(kobj, struct au_sysfs, kobj)->sbi;
}

static ssize_t au_br_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct au_sbinfo *sbi = au_sysfs_sbi(kobj);
	unsigned int index = attr - au_br_attrs;
	ssize_t ret = -ENOENT;
	struct path root;
	char *tmp, *dir;

	tmp = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	get_fs_root(current->fs, &root);
	percpu_down_read(&sbi->rwsem);
	if (index < sbi->nbranch) {
		const struct au_branch *br = sbi->branches[index];

		/* d_path() names what the root cannot reach from /, too */
		if (path_is_under(&br->path, &root)) {
			dir = d_path(&br->path, tmp, PATH_MAX);
			ret = IS_ERR(dir) ? PTR_ERR(dir) :
			      sysfs_emit(buf, "%s=%s\n", dir,
					 au_br_perm_str(br->perm));
		}
	}
	percpu_up_read(&sbi->rwsem);
	path_put(&root);
	kfree(tmp);
	return ret;
}

static umode_t au_br_visible(struct kobject *kobj, struct attribute *attr,
			     int n)
{
	return n < READ_ONCE(au_sysfs_sbi(kobj)->nbranch) ? attr->mode : 0;
}

static const struct attribute_group au_br_group = {
	.attrs		= au_br_attr_list,
	.is_visible	= au_br_visible,
};

static void au_sysfs_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct au_sysfs, kobj));
}

static const struct kobj_type au_sysfs_ktype = {
	.release	= au_sysfs_release,
	.sysfs_ops	= &kobj_sysfs_ops,
};

/**
 * au_sysfs_add - list a new mount in sysfs
 * @sb: the aufs superblock, its branch table set up
 *
 * Return: 0 or a negative errno.
 */
int au_sysfs_add(struct super_block *sb)
{
	struct au_sbinfo *sbi = au_sbi(sb);
	struct au_sysfs *s;
	int err;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->sbi = sbi;
	s->kobj.kset = au_kset;
	err = kobject_init_and_add(&s->kobj, &au_sysfs_ktype, NULL, "si_%x",
				   au_si_id(sb));
	if (!err)
		err = sysfs_create_group(&s->kobj, &au_br_group);
	if (err) {
		kobject_put(&s->kobj);
		return err;
	}
	sbi->kobj = &s->kobj;
	return 0;
}

/**
 * au_sysfs_update - follow a branch change
 * @sbi: the mount
 */
void au_sysfs_update(struct au_sbinfo *sbi)
{
	if (sbi->kobj && sysfs_update_group(sbi->kobj, &au_br_group))
		pr_warn("cannot update the branch files in sysfs\n");
}

/**
 * au_sysfs_del - remove a mount from sysfs
 * @sbi: the mount; no branch file is being read when this returns
 */
void au_sysfs_del(struct au_sbinfo *sbi)
{
	if (!sbi->kobj)
		return;
	kobject_del(sbi->kobj);
	kobject_put(sbi->kobj);
	sbi->kobj = NULL;
}

/**
 * au_sysfs_init - create /sys/fs/aufs
 *
 * Return: 0 or -ENOMEM.
 */
int au_sysfs_init(void)
{
	unsigned int i;

	for (i = 0; i < AUFS_BRANCH_MAX; i++) {
		struct kobj_attribute *a = &au_br_attrs[i];

		snprintf(au_br_names[i], sizeof(au_br_names[i]), "br%u", i);
		sysfs_attr_init(&a->attr);
		a->attr.name = au_br_names[i];
		a->attr.mode = 0444;
		a->show = au_br_show;
		au_br_attr_list[i] = &a->attr;
	}
	au_kset = kset_create_and_add(AUFS_NAME, NULL, fs_kobj);
	return au_kset ? 0 : -ENOMEM;
}

/**
 * au_sysfs_exit - remove /sys/fs/aufs
 */
void au_sysfs_exit(void)
{
	kset_unregister(au_kset);
}

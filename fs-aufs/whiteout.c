// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: whiteouts and opaque directories.
 *
 * On a branch whose permission honours whiteouts (rw, ro+wh), a file
 * named ".wh.NAME" hides NAME in every lower branch, and a directory that
 * holds ".wh..wh..opq" hides every lower directory of the same name.
 * Names that start with ".wh." belong to aufs and are never shown.
 */

#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/namei.h>
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

/* Is there a positive @name in @h_dir?  Caller holds no lock on @h_dir. */
static int au_h_name_exists(struct au_branch *br, struct dentry *h_dir,
			    const char *name, unsigned int len)
{
	struct dentry *h;
	int ret;

	h = lookup_one_unlocked(mnt_idmap(br->path.mnt), name, h_dir, len);
	if (IS_ERR(h))
		return PTR_ERR(h);
	ret = d_is_positive(h);
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
 * Return: 1 if ".wh.@name" exists, 0 if not, or a negative errno.
 */
int au_wh_test(struct au_branch *br, struct dentry *h_parent,
	       const struct qstr *name)
{
	unsigned int len = AUFS_WH_PFX_LEN + name->len;
	char *whname;
	int ret;

	if (len > NAME_MAX)
		return 0;
	whname = kmalloc(len + 1, GFP_KERNEL);
	if (!whname)
		return -ENOMEM;
	memcpy(whname, AUFS_WH_PFX, AUFS_WH_PFX_LEN);
	memcpy(whname + AUFS_WH_PFX_LEN, name->name, name->len);
	whname[len] = '\0';
	ret = au_h_name_exists(br, h_parent, whname, len);
	kfree(whname);
	return ret;
}

/**
 * au_wh_test_opaque - whether a branch directory is opaque
 * @br: the branch @h_dir is on
 * @h_dir: branch directory, unlocked
 *
 * Return: 1 if @h_dir is opaque, 0 if not (always 0 on a branch that does
 * not honour whiteouts), or a negative errno.
 */
int au_wh_test_opaque(struct au_branch *br, struct dentry *h_dir)
{
	if (!au_br_whable(br))
		return 0;
	return au_h_name_exists(br, h_dir, AUFS_WH_OPQ,
				sizeof(AUFS_WH_OPQ) - 1);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: mount options, superblock, module init.
 *
 * Mount options (fs_parser):
 *   br=DIR[=PERM]:DIR[=PERM]...   the branches, top first (required)
 * Every rejected option fails with -EINVAL and a one-line reason in the
 * fs_context log, which mount(2) users find in dmesg and fsconfig(2)
 * users read from the context fd.
 */

#include <linux/cred.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>

#include "aufs.h"

/**
 * struct au_fs_context - mount options being gathered
 * @br: the br= value, %NULL until given
 */
struct au_fs_context {
	char *br;
};

enum au_opt {
	AU_OPT_BR,
};

static const struct fs_parameter_spec au_fs_parameters[] = {
	fsparam_string_empty("br", AU_OPT_BR),
	{}
};

static int aufs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, au_fs_parameters, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case AU_OPT_BR:
		if (ctx->br)
			return invalfc(fc, "br= given more than once");
		if (!*param->string)
			return invalfc(fc, "br= needs at least one branch");
		ctx->br = param->string;
		param->string = NULL;
		break;
	}
	return 0;
}

static int au_sbinfo_init(struct au_sbinfo *sbi, struct fs_context *fc)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct au_br_spec *specs;
	char *br;
	int n, err;

	if (!ctx->br)
		return invalfc(fc, "no branches: give br=DIR[=PERM]:...");

	/* The parse cuts the string up: keep the option intact. */
	br = kstrdup(ctx->br, GFP_KERNEL);
	specs = kcalloc(AUFS_BRANCH_MAX, sizeof(*specs), GFP_KERNEL);
	err = -ENOMEM;
	if (!br || !specs)
		goto out;

	n = au_br_spec_parse(br, specs, &fc->log);
	err = n;
	if (n < 0)
		goto out;
	err = au_br_table_init(sbi, specs, n, &fc->log);
out:
	kfree(specs);
	kfree(br);
	return err;
}

static void au_sbinfo_free(struct au_sbinfo *sbi)
{
	if (!sbi)
		return;
	dput(sbi->workdir);
	au_br_table_free(sbi);
	if (sbi->cred)
		put_cred(sbi->cred);
	kfree(sbi);
}

static int aufs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);
	int err;

	err = vfs_statfs(&sbi->branches[0].path, buf);
	if (!err)
		buf->f_type = AUFS_SUPER_MAGIC;
	return err;
}

static int aufs_show_options(struct seq_file *m, struct dentry *root)
{
	struct au_sbinfo *sbi = au_sbi(root->d_sb);
	unsigned int i;

	seq_puts(m, ",br=");
	for (i = 0; i < sbi->nbranch; i++) {
		const struct au_branch *br = &sbi->branches[i];

		if (i)
			seq_putc(m, ':');
		/* ':', '=' and ',' would split the list: escape them. */
		seq_path(m, &br->path, ":=, \t\n\\");
		seq_printf(m, "=%s", au_br_perm_str(br->perm));
	}
	return 0;
}

static const struct super_operations au_sops = {
	.alloc_inode	= au_alloc_inode,
	.free_inode	= au_free_inode,
	.evict_inode	= au_evict_inode,
	.drop_inode	= generic_delete_inode,
	.statfs		= aufs_statfs,
	.show_options	= aufs_show_options,
};

static int aufs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct au_sbinfo *sbi;
	struct au_dinfo *di;
	struct inode *root;
	unsigned int i;
	int depth = 0;
	int err;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	sb->s_fs_info = sbi;

	err = au_sbinfo_init(sbi, fc);
	if (err)
		return err;
	sbi->cred = get_cred(fc->cred);

	sb->s_maxbytes = 0;
	for (i = 0; i < sbi->nbranch; i++) {
		struct super_block *h_sb = sbi->branches[i].path.mnt->mnt_sb;

		depth = max(depth, h_sb->s_stack_depth);
		sb->s_maxbytes = max(sb->s_maxbytes, h_sb->s_maxbytes);
	}
	sb->s_stack_depth = depth + 1;
	if (sb->s_stack_depth > FILESYSTEM_MAX_STACK_DEPTH)
		return invalfc(fc, "branches are stacked too deep");

	sb->s_magic = AUFS_SUPER_MAGIC;
	sb->s_op = &au_sops;
	sb->s_d_op = &au_dentry_ops;
	sb->s_xattr = au_xattr_handlers;
	sb->s_time_gran = 1;

	if (sbi->branches[0].perm == AU_BR_RW) {
		const struct cred *old_cred = override_creds(sbi->cred);

		err = au_workdir_init(sbi);
		revert_creds(old_cred);
		if (err)
			return invalfc(fc, "branch '%pd': cannot set up %s: %d",
				       sbi->branches[0].path.dentry,
				       AUFS_WH_ORPH, err);
	}

	err = au_lookup_root(sb, &di);
	if (err)
		return err;
	root = au_iget(sb, &sbi->branches[0],
		       d_inode(sbi->branches[0].path.dentry));
	if (IS_ERR(root)) {
		au_dinfo_free(di);
		return PTR_ERR(root);
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root) {
		au_dinfo_free(di);
		return -ENOMEM;
	}
	sb->s_root->d_fsdata = di;
	return 0;
}

static int aufs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, aufs_fill_super);
}

static void aufs_free_fc(struct fs_context *fc)
{
	struct au_fs_context *ctx = fc->fs_private;

	if (ctx)
		kfree(ctx->br);
	kfree(ctx);
}

static const struct fs_context_operations au_context_ops = {
	.parse_param	= aufs_parse_param,
	.get_tree	= aufs_get_tree,
	.free		= aufs_free_fc,
};

static int aufs_init_fs_context(struct fs_context *fc)
{
	struct au_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	fc->fs_private = ctx;
	fc->ops = &au_context_ops;
	return 0;
}

static void aufs_kill_sb(struct super_block *sb)
{
	struct au_sbinfo *sbi = au_sbi(sb);

	kill_anon_super(sb);
	au_sbinfo_free(sbi);
}

static struct file_system_type aufs_fs_type = {
	.owner			= THIS_MODULE,
	.name			= AUFS_NAME,
	.init_fs_context	= aufs_init_fs_context,
	.parameters		= au_fs_parameters,
	.kill_sb		= aufs_kill_sb,
};
MODULE_ALIAS_FS(AUFS_NAME);

static int __init aufs_init(void)
{
	int err;

	err = au_inode_cache_init();
	if (err)
		return err;
	err = au_vmfwd_cache_init();
	if (err)
		goto out_inode;
	err = register_filesystem(&aufs_fs_type);
	if (err)
		goto out_vmfwd;
	return 0;

out_vmfwd:
	au_vmfwd_cache_destroy();
out_inode:
	au_inode_cache_destroy();
	return err;
}

static void __exit aufs_exit(void)
{
	unregister_filesystem(&aufs_fs_type);
	au_vmfwd_cache_destroy();
	au_inode_cache_destroy();
}

module_init(aufs_init);
module_exit(aufs_exit);

MODULE_DESCRIPTION("aufs: union of directories");
MODULE_LICENSE("GPL");

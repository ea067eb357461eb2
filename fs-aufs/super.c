// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: mount options, superblock, module init.
 *
 * Mount options (fs_parser):
 *   br=DIR[=PERM]:DIR[=PERM]...   the branches, top first (required);
 *                                 also spelled dirs= and br:, and may be
 *                                 given in several parts (au_br_append())
 *   refrof / norefrof             whether open files follow a branch
 *                                 change (default refrof)
 *   udba=reval|none               whether changes made straight to a
 *                                 branch are looked for (default reval)
 *   si=ID                         this mount's ID on a remount;
 *                                 ignored at mount time
 * and the options of out-of-tree aufs in au_opt_compat[].
 * Remount also takes the branch change verbs of remount.c.
 * Every rejected option fails with -EINVAL and a one-line reason in the
 * fs_context log, which mount(2) users find in dmesg and fsconfig(2)
 * users read from the context fd.
 */

#include <linux/cred.h>
#include <linux/fs_parser.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/statfs.h>

#include "aufs.h"

enum au_opt {
	AU_OPT_BR,
	AU_OPT_REFROF,
	AU_OPT_NOREFROF,
	AU_OPT_SI,
	AU_OPT_UDBA,
	AU_OPT_NOXINO,
	AU_OPT_DIRREN,
};

static const struct fs_parameter_spec au_fs_parameters[] = {
	fsparam_string_empty("br", AU_OPT_BR),
	fsparam_string_empty("dirs", AU_OPT_BR),
	fsparam_flag("refrof", AU_OPT_REFROF),
	fsparam_flag("norefrof", AU_OPT_NOREFROF),
	fsparam_string("si", AU_OPT_SI),
	fsparam_string("udba", AU_OPT_UDBA),
	fsparam_flag("noxino", AU_OPT_NOXINO),
	fsparam_flag_no("dirren", AU_OPT_DIRREN),
	{}
};

#define AU_NO_XINO	"no inode number table (xino): a copy keeps its number in an xattr, noxino turns that off"
#define AU_NO_RDCACHE	"no tuning of the readdir cache: a listing is kept while its directory does not change"
#define AU_OBSOLETE	"an obsolete option of out-of-tree aufs, which ignores it"

/*
 * The options of out-of-tree aufs.  An entry without @why asks for what
 * this aufs does anyway and is accepted: as a flag if @value is NULL,
 * else with exactly @value.  An entry with @why names a behaviour this
 * aufs does not have, and refuses any other use of @name with it.
 * Documentation/filesystems/aufs/overview.rst has the table for users.
 */
static const struct au_opt_compat {
	const char *name;
	const char *value;
	const char *why;
} au_opt_compat[] = {
	/*
	 * /proc/mounts shows it among the options; tools that remount with
	 * that line pass it on.  The atime policy is the mount's, set by
	 * mount(2) flags: ignored here, as out-of-tree aufs ignores it.
	 */
	{ "relatime" },
	{ "notrunc_xino" },
	{ "notrunc_xib" },
	{ "xino",	  NULL, AU_NO_XINO },
	{ "trunc_xino",	  NULL, AU_NO_XINO },
	{ "itrunc_xino",  NULL, AU_NO_XINO },
	{ "trunc_xib",	  NULL, AU_NO_XINO },
	{ "plink" },
	{ "noplink",	  NULL, "pseudo-links are always on" },
	{ "list_plink",	  NULL, "pseudo-links cannot be listed" },
	{ "clean_plink",  NULL, "pseudo-links cannot be removed by hand" },
	{ "noshwh" },
	{ "shwh",	  NULL, "whiteouts are never shown" },
	{ "dio" },
	{ "nodio",	  NULL, "O_DIRECT always goes to the branch" },
	{ "acl" },
	{ "noacl",	  NULL, "the POSIX ACLs of the branches always count" },
	{ "dirperm1" },
	{ "nodirperm1",	  NULL, "permission is that of the topmost object: only dirperm1" },
	{ "create",	  "tdp" },
	{ "create",	  "top-down-parent" },
	{ "create",	  NULL, "new names go to the top branch: only create=tdp" },
	{ "create_policy", "tdp" },
	{ "create_policy", "top-down-parent" },
	{ "create_policy", NULL, "new names go to the top branch: only create=tdp" },
	{ "cpup",	  "tdp" },
	{ "cpup",	  "top-down-parent" },
	{ "cpup",	  NULL, "copy-up goes to the top branch: only cpup=tdp" },
	{ "copyup",	  "tdp" },
	{ "copyup",	  "top-down-parent" },
	{ "copyup",	  NULL, "copy-up goes to the top branch: only cpup=tdp" },
	{ "copyup_policy", "tdp" },
	{ "copyup_policy", "top-down-parent" },
	{ "copyup_policy", NULL, "copy-up goes to the top branch: only cpup=tdp" },
	{ "nosum" },
	{ "sum",	  NULL, "statfs reports the top branch: only nosum" },
	{ "wsum",	  NULL, "statfs reports the top branch: only nosum" },
	{ "noverbose" },
	{ "quiet" },
	{ "q" },
	{ "silent" },
	{ "verbose",	  NULL, "no verbose mode" },
	{ "v",		  NULL, "no verbose mode" },
	{ "nowarn_perm" },
	{ "warn_perm",	  NULL, "no warning about branch owners and modes" },
	{ "diropq",	  NULL, "no choice of when directories are made opaque" },
	{ "dirwh",	  NULL, "no background removal of whiteouts (dirwh)" },
	{ "rdcache",	  NULL, AU_NO_RDCACHE },
	{ "rdblk",	  NULL, AU_NO_RDCACHE },
	{ "rdhash",	  NULL, AU_NO_RDCACHE },
	{ "fhsm_sec",	  NULL, "no file-based hierarchical storage management" },
	/* obsolete in out-of-tree aufs, which takes them and does nothing */
	{ "nodlgt",	  NULL, AU_OBSOLETE },
	{ "debug",	  NULL, AU_OBSOLETE },
	{ "delete",	  NULL, AU_OBSOLETE },
	{ "imap",	  NULL, AU_OBSOLETE },
};

/*
 * -ENOPARAM if @param is none of au_opt_compat[], else 0 if it is
 * accepted, or -EINVAL with the reason.
 */
static int au_parse_compat(struct fs_context *fc, struct fs_parameter *param)
{
	const struct au_opt_compat *c, *refused = NULL;
	bool string = param->type == fs_value_is_string;
	bool known = false, flag = false;

	for (c = au_opt_compat; c < au_opt_compat + ARRAY_SIZE(au_opt_compat);
	     c++) {
		if (strcmp(c->name, param->key))
			continue;
		known = true;
		if (c->why) {
			refused = c;
		} else if (!c->value) {
			flag = true;
			if (param->type == fs_value_is_flag)
				break;
		} else if (string && !strcmp(c->value, param->string)) {
			break;
		}
	}
	if (!known)
		return -ENOPARAM;
	if (c < au_opt_compat + ARRAY_SIZE(au_opt_compat)) {
		/* SB_POSIXACL depends on it (aufs_fill_super()) */
		if (!strcmp(c->name, "acl") && !IS_ENABLED(CONFIG_FS_POSIX_ACL))
			return invalfc(fc, "'acl': no POSIX ACLs in this kernel");
		return 0;
	}
	if (refused)
		return invalfc(fc, "'%s%s%s': %s", param->key,
			       string ? "=" : "", string ? param->string : "",
			       refused->why);
	return invalfc(fc, "'%s': %s", param->key,
		       flag ? "takes no value" : "bad value");
}

/* The longest branch list taken, in bytes. */
#define AU_BR_LIST_MAX	SZ_64K

/*
 * Add "@dir[=@perm]" to the branch list: br=, dirs= and br: may come in
 * several parts, which add up (fsconfig(2) takes values of at most 255
 * bytes).  One trailing ':' of a part is dropped, as au_br_spec_parse()
 * drops it.  The list is charged to the caller: a context is filled
 * before anything checks the right to mount.
 */
static int au_br_append(struct fs_context *fc, const char *dir,
			const char *perm)
{
	struct au_fs_context *ctx = fc->fs_private;
	size_t old = ctx->br ? strlen(ctx->br) : 0;
	size_t len = strlen(dir) + (perm ? strlen(perm) + 1 : 0);
	char *br;

	if (!len)
		return invalfc(fc, "br= needs at least one branch");
	if (old && ctx->br[old - 1] == ':')
		old--;
	if (old + len + 2 > AU_BR_LIST_MAX)
		return invalfc(fc, "branch list longer than %d bytes",
			       AU_BR_LIST_MAX);
	br = kmalloc(old + len + 2, GFP_KERNEL_ACCOUNT);
	if (!br)
		return -ENOMEM;
	snprintf(br, old + len + 2, "%.*s%s%s%s%s", (int)old,
		 ctx->br ?: "", old ? ":" : "", dir, perm ? "=" : "",
		 perm ?: "");
	kfree(ctx->br);
	ctx->br = br;
	return 0;
}

/*
 * Out-of-tree aufs spells the branch list "br:DIR...": the generic
 * parsers (mount(2) data, and mount(8) through fsconfig(2)) cut it at its
 * first '=' into a key "br:DIR" and the rest.
 */
static int au_parse_br_colon(struct fs_context *fc,
			     struct fs_parameter *param)
{
	switch (param->type) {
	case fs_value_is_flag:
		return au_br_append(fc, param->key + 3, NULL);
	case fs_value_is_string:
		return au_br_append(fc, param->key + 3, param->string);
	default:
		return invalfc(fc, "'%s': bad value", param->key);
	}
}

static int aufs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	char si[16];
	int opt;

	opt = au_remount_parse(fc, param);
	if (opt != -ENOPARAM)
		return opt;
	if (str_has_prefix(param->key, "br:"))
		return au_parse_br_colon(fc, param);
	opt = au_parse_compat(fc, param);
	if (opt != -ENOPARAM)
		return opt;
	opt = fs_parse(fc, au_fs_parameters, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case AU_OPT_BR:
		return au_br_append(fc, param->string, NULL);
	case AU_OPT_REFROF:
	case AU_OPT_NOREFROF:
		ctx->refrof = opt == AU_OPT_REFROF;
		break;
	case AU_OPT_SI:
		/*
		 * mount(8) and aufs tools may repeat /proc/mounts.  A new
		 * mount gets an ID of its own: the one of the line it was
		 * copied from is ignored, as out-of-tree aufs ignores it.
		 */
		if (fc->purpose != FS_CONTEXT_FOR_RECONFIGURE) {
			warnfc(fc, "si=%s ignored: aufs gives each mount its own",
			       param->string);
			break;
		}
		snprintf(si, sizeof(si), "%x", au_si_id(fc->root->d_sb));
		if (strcmp(param->string, si))
			return invalfc(fc, "si=%s is not this mount (si=%s)",
				       param->string, si);
		break;
	case AU_OPT_NOXINO:
		/*
		 * At mount only (ino.c): a remount may repeat it, as
		 * /proc/mounts shows it, but not turn it on.
		 */
		if (fc->purpose == FS_CONTEXT_FOR_RECONFIGURE &&
		    au_sbi(fc->root->d_sb)->xino)
			return invalfc(fc, "'noxino': at mount only; this mount keeps numbers");
		ctx->xino = 0;
		break;
	case AU_OPT_DIRREN:
		/*
		 * At mount only: the set of renamed directories is read
		 * when a branch joins (dirren.c).  A remount may repeat
		 * what the mount has, as /proc/mounts shows it.
		 */
		if (fc->purpose == FS_CONTEXT_FOR_RECONFIGURE &&
		    au_sbi(fc->root->d_sb)->dirren == result.negated)
			return invalfc(fc, "'%s': at mount only",
				       param->key);
		ctx->dirren = !result.negated;
		break;
	case AU_OPT_UDBA:
		if (!strcmp(param->string, "reval"))
			ctx->udba = 1;
		else if (!strcmp(param->string, "none"))
			ctx->udba = 0;
		else if (!strcmp(param->string, "notify"))
			return invalfc(fc, "'udba=notify': branches are not watched");
		else
			return invalfc(fc, "'udba=%s': bad value: reval or none",
				       param->string);
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

static int aufs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);
	int err;

	au_read_lock(dentry->d_sb);
	err = vfs_statfs(&sbi->branches[0]->path, buf);
	au_read_unlock(dentry->d_sb);
	if (!err) {
		buf->f_type = AUFS_SUPER_MAGIC;
		buf->f_namelen = min_t(long, buf->f_namelen,
				       AUFS_MAX_NAMELEN);
	}
	return err;
}

/*
 * Runs under namespace_sem, which a branch change may wait for below
 * the rwsem (a mount on a branch directory): print the list rendered by
 * the last change instead of taking the rwsem.
 */
static int aufs_show_options(struct seq_file *m, struct dentry *root)
{
	struct au_sbinfo *sbi = au_sbi(root->d_sb);
	struct au_opts *opts;

	seq_printf(m, ",si=%x", au_si_id(root->d_sb));
	rcu_read_lock();
	opts = rcu_dereference(sbi->opts);
	if (opts) {
		seq_putc(m, ',');
		seq_puts(m, opts->str);
	}
	rcu_read_unlock();
	/* what out-of-tree aufs would do otherwise (au_opt_compat[]) */
	if (!sbi->xino)
		seq_puts(m, ",noxino");
	if (!sbi->dirren)
		seq_puts(m, ",nodirren");
	seq_printf(m, ",udba=%s,dirperm1",
		   READ_ONCE(sbi->reval) ? "reval" : "none");
	if (!READ_ONCE(sbi->refrof))
		seq_puts(m, ",norefrof");
	return 0;
}

/*
 * syncfs(2) and "sync -f" on the union: write back the branches the
 * union writes to, the top branch and any other one that a file opened
 * for writing still writes (the old top after a prepend:; a deleted
 * branch such a file still writes is not in the table, and is left to
 * sync(2)).  As on overlayfs, the waiting pass does it (sync_filesystem()
 * makes both passes on a branch), and sync(2) skips the union
 * (SB_I_SKIP_SYNC): it reaches the branches on its own.  A writeback
 * error recorded earlier on a branch's superblock is not reported by
 * syncfs(2) on the union, as on overlayfs.
 *
 * Lock order: the union's s_umount (held by the caller), the rwsem,
 * released before a branch's s_umount is taken.
 */
static int aufs_sync_fs(struct super_block *sb, int wait)
{
	struct au_sbinfo *sbi = au_sbi(sb);
	struct vfsmount **mnts;
	unsigned int i, j, n = 0;
	int err = 0;

	if (!wait)
		return 0;
	mnts = kcalloc(AUFS_BRANCH_MAX, sizeof(*mnts), GFP_KERNEL);
	if (!mnts)
		return -ENOMEM;
	au_read_lock(sb);
	for (i = 0; i < sbi->nbranch; i++) {
		struct au_branch *br = sbi->branches[i];

		if (br != sbi->wbr && !percpu_counter_sum(&br->nwrite))
			continue;
		for (j = 0; j < n; j++)
			if (mnts[j]->mnt_sb == br->path.mnt->mnt_sb)
				break;
		if (j == n)
			mnts[n++] = mntget(br->path.mnt);
	}
	au_read_unlock(sb);
	for (i = 0; i < n; i++) {
		struct super_block *h_sb = mnts[i]->mnt_sb;
		int e;

		down_read(&h_sb->s_umount);
		e = sync_filesystem(h_sb);
		up_read(&h_sb->s_umount);
		err = err ?: e;
		mntput(mnts[i]);
	}
	kfree(mnts);
	return err;
}

static const struct super_operations au_sops = {
	.alloc_inode	= au_alloc_inode,
	.free_inode	= au_free_inode,
	.evict_inode	= au_evict_inode,
	.drop_inode	= generic_delete_inode,
	.statfs		= aufs_statfs,
	.sync_fs	= aufs_sync_fs,
	.show_options	= aufs_show_options,
};

static int aufs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct au_fs_context *ctx = fc->fs_private;
	struct au_sbinfo *sbi;
	struct au_branch *top;
	struct au_dinfo *di;
	struct inode *root;
	unsigned int i;
	int depth = 0;
	int err;

	sbi = au_sbinfo_alloc();
	if (!sbi)
		return -ENOMEM;
	sb->s_fs_info = sbi;
	err = au_rdcache_init(sb);
	if (err)
		return err;
	if (ctx->refrof >= 0)
		sbi->refrof = ctx->refrof;
	if (ctx->udba >= 0)
		sbi->reval = ctx->udba;
	if (ctx->xino >= 0)
		sbi->xino = ctx->xino;
	if (ctx->dirren >= 0)
		sbi->dirren = ctx->dirren;

	err = au_sbinfo_init(sbi, fc);
	if (err)
		return err;
	sbi->cred = get_cred(fc->cred);

	sb->s_maxbytes = 0;
	for (i = 0; i < sbi->nbranch; i++) {
		struct super_block *h_sb = sbi->branches[i]->path.mnt->mnt_sb;

		depth = max(depth, h_sb->s_stack_depth);
		sb->s_maxbytes = max(sb->s_maxbytes, h_sb->s_maxbytes);
	}
	sb->s_stack_depth = depth + 1;
	if (sb->s_stack_depth > FILESYSTEM_MAX_STACK_DEPTH)
		return invalfc(fc, "branches are stacked too deep");

	sb->s_magic = AUFS_SUPER_MAGIC;
	sb->s_iflags |= SB_I_SKIP_SYNC;
	sb->s_op = &au_sops;
	sb->s_d_op = &au_dentry_ops;
	sb->s_xattr = au_xattr_handlers;
	/* the branches apply the umask or a default ACL (xattr.c) */
	if (IS_ENABLED(CONFIG_FS_POSIX_ACL))
		sb->s_flags |= SB_POSIXACL;
	sb->s_time_gran = 1;

	/*
	 * A union mounted read-only writes nothing to its branches: the
	 * work directory is made at remount,rw (au_remount()).
	 */
	top = sbi->branches[0];
	if (top->perm == AU_BR_RW && !sb_rdonly(sb)) {
		struct dentry *work = au_workdir_setup(fc, sbi, &top->path);

		if (IS_ERR(work))
			return PTR_ERR(work);
		sbi->workdir = work;
	}

	err = au_lookup_root(sbi, sbi->branches, sbi->nbranch, &di);
	if (err)
		return err;
	root = au_iget(sb, top, top->path.dentry);
	if (IS_ERR(root)) {
		au_dinfo_free(di);
		return PTR_ERR(root);
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root) {
		au_dinfo_free(di);
		return -ENOMEM;
	}
	au_dinfo_attach(sb->s_root, di);
	return au_sysfs_add(sb);
}

static int aufs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, aufs_fill_super);
}

static void aufs_free_fc(struct fs_context *fc)
{
	struct au_fs_context *ctx = fc->fs_private;

	if (!ctx)
		return;
	au_remount_free(fc);
	kfree(ctx->br);
	kfree(ctx);
}

static const struct fs_context_operations au_context_ops = {
	.parse_param	= aufs_parse_param,
	.get_tree	= aufs_get_tree,
	.reconfigure	= au_remount,
	.free		= aufs_free_fc,
};

static int aufs_init_fs_context(struct fs_context *fc)
{
	struct au_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	INIT_LIST_HEAD(&ctx->verbs);
	ctx->refrof = -1;
	ctx->udba = -1;
	ctx->xino = -1;
	ctx->dirren = -1;
	fc->fs_private = ctx;
	fc->ops = &au_context_ops;
	return 0;
}

static void aufs_kill_sb(struct super_block *sb)
{
	struct au_sbinfo *sbi = au_sbi(sb);

	if (sbi) {
		au_sysfs_del(sbi);
		/* before the VFS evicts the inodes */
		au_plink_release(sbi, NULL);
		au_rdcache_stop(sbi);
	}
	kill_anon_super(sb);
	if (sbi)
		au_rdcache_exit(sbi);
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
	err = au_rdcache_cache_init();
	if (err)
		goto out_vmfwd;
	err = au_sysfs_init();
	if (err)
		goto out_rdcache;
	err = register_filesystem(&aufs_fs_type);
	if (err)
		goto out_sysfs;
	return 0;

out_sysfs:
	au_sysfs_exit();
out_rdcache:
	au_rdcache_cache_destroy();
out_vmfwd:
	au_vmfwd_cache_destroy();
out_inode:
	au_inode_cache_destroy();
	return err;
}

static void __exit aufs_exit(void)
{
	unregister_filesystem(&aufs_fs_type);
	au_sysfs_exit();
	au_rdcache_cache_destroy();
	au_vmfwd_cache_destroy();
	au_inode_cache_destroy();
}

module_init(aufs_init);
module_exit(aufs_exit);

MODULE_DESCRIPTION("aufs: union of directories");
MODULE_LICENSE("GPL");

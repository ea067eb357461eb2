// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: merged directory listing.
 *
 * The first getdents on an open aufs directory (and the first after a
 * seek to 0) takes the merged listing of every branch directory behind
 * it, top first:
 *   - a name is shown once, with the type and inode of its topmost copy;
 *   - ".wh.NAME" on a branch that honours whiteouts hides NAME in the
 *     branches below it (not in its own branch: there NAME wins);
 *   - names starting with ".wh." are never shown.
 * Any ".wh.NAME" hides NAME here, as in out-of-tree aufs, even one that
 * is not a regular file (which lookup reports as -EIO).  The listing is
 * charged to the memory cgroup of the task that builds it: a listing of
 * a huge directory counts against the lister, not the system.
 * Positions 0 and 1 are "." and ".."; position 2 + i is listing entry i,
 * so positions stay valid across calls however small the user's buffer
 * is, and telldir/seekdir work.
 *
 * A listing is immutable once built.  The open file holds a reference,
 * and so does the directory's dentry stack, for later opens while it is
 * current (rdcache.c).
 *
 * Listing runs under the aufs directory's i_rwsem (shared, held by the
 * VFS) and the mount's rwsem (shared), and takes each branch directory's
 * i_rwsem (shared) inside them.
 */

#include <linux/cred.h>
#include <linux/file.h>
#include <linux/iversion.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "aufs.h"

/**
 * struct au_rdent - one name of a merged listing
 * @node: in &au_rdbuild.root, keyed by name
 * @list: in &au_rdbuild.visible if the name is shown
 * @ino: aufs inode number for d_ino
 * @bindex: index of the branch the name was found on
 * @type: DT_* type
 * @whiteout: a whiteout from branch @bindex: hides the name below it
 * @len: length of @name
 * @name: the name, not NUL-terminated
 */
struct au_rdent {
	struct rb_node node;
	struct list_head list;
	u64 ino;
	unsigned int bindex;
	unsigned char type;
	bool whiteout;
	unsigned int len;
	char name[];
};

/* State while one branch directory is being read. */
struct au_rdbuild {
	struct dir_context ctx;
	struct rb_root root;
	struct list_head visible;
	struct list_head hidden;
	unsigned int count;
	struct au_branch *br;
	unsigned int bindex;
	bool rdonly;
	int err;
};

static int au_rdent_cmp(const char *name, unsigned int len,
			const struct au_rdent *ent)
{
	int cmp = memcmp(name, ent->name, min(len, ent->len));

	if (cmp)
		return cmp;
	return len < ent->len ? -1 : len > ent->len;
}

static struct au_rdent *au_rdent_find(struct au_rdbuild *b, const char *name,
				      unsigned int len, struct rb_node ***linkp,
				      struct rb_node **parentp)
{
	struct rb_node **link = &b->root.rb_node, *parent = NULL;

	while (*link) {
		struct au_rdent *ent = rb_entry(*link, struct au_rdent, node);
		int cmp = au_rdent_cmp(name, len, ent);

		if (!cmp)
			return ent;
		parent = *link;
		link = cmp < 0 ? &parent->rb_left : &parent->rb_right;
	}
	*linkp = link;
	*parentp = parent;
	return NULL;
}

static int au_rdent_add(struct au_rdbuild *b, const char *name,
			unsigned int len, u64 h_ino, unsigned int type,
			bool whiteout)
{
	struct rb_node **link, *parent;
	struct au_rdent *ent;

	ent = au_rdent_find(b, name, len, &link, &parent);
	if (ent) {
		/* NAME and .wh.NAME on one branch: NAME wins there. */
		if (ent->whiteout && !whiteout && ent->bindex == b->bindex) {
			ent->whiteout = false;
			ent->ino = au_ino(b->br, h_ino);
			ent->type = type;
			list_move_tail(&ent->list, &b->visible);
			b->count++;
		}
		return 0;
	}

	ent = kmalloc(struct_size(ent, name, len), GFP_KERNEL_ACCOUNT);
	if (!ent)
		return -ENOMEM;
	memcpy(ent->name, name, len);
	ent->len = len;
	ent->ino = au_ino(b->br, h_ino);
	ent->bindex = b->bindex;
	ent->type = type;
	ent->whiteout = whiteout;
	rb_link_node(&ent->node, parent, link);
	rb_insert_color(&ent->node, &b->root);
	if (whiteout) {
		list_add_tail(&ent->list, &b->hidden);
	} else {
		list_add_tail(&ent->list, &b->visible);
		b->count++;
	}
	return 0;
}

static bool au_rdfill(struct dir_context *ctx, const char *name, int len,
		      loff_t offset, u64 h_ino, unsigned int type)
{
	struct au_rdbuild *b = container_of(ctx, struct au_rdbuild, ctx);

	if (is_dot_dotdot(name, len))
		return true;
	if (au_wh_name(name, len)) {
		name += AUFS_WH_PFX_LEN;
		len -= AUFS_WH_PFX_LEN;
		/* .wh..wh.* are aufs' own files, not whiteouts of a name. */
		if (!au_br_whable(b->br) || !len || au_wh_name(name, len))
			return true;
		b->err = au_rdent_add(b, name, len, h_ino, DT_UNKNOWN, true);
	} else {
		b->err = au_rdent_add(b, name, len, h_ino, type, false);
	}
	return !b->err;
}

static int au_rdbuild_branch(struct au_rdbuild *b, const struct path *h_path)
{
	struct file *h_file;
	int err;

	h_file = dentry_open(h_path, O_RDONLY | O_DIRECTORY, current_cred());
	if (IS_ERR(h_file))
		return PTR_ERR(h_file);
	/*
	 * listing a branch aufs may not write, or any branch of a union
	 * mounted read-only, must not write its atime
	 */
	if (b->br->perm != AU_BR_RW || b->rdonly)
		au_file_noatime(h_file);
	err = iterate_dir(h_file, &b->ctx);
	fput(h_file);
	return err ?: b->err;
}

/**
 * au_rdcache_put - drop a reference on a listing
 * @rdc: the listing, or %NULL
 */
void au_rdcache_put(struct au_rdcache *rdc)
{
	struct au_rdent *ent, *next;

	if (!rdc || !refcount_dec_and_test(&rdc->ref))
		return;
	list_for_each_entry_safe(ent, next, &rdc->all, list)
		kfree(ent);
	kvfree(rdc->ents);
	au_rdcache_free(rdc);
}

static struct au_rdcache *au_rdcache_build(struct dentry *dentry)
{
	const struct au_dinfo *di = au_di(dentry);
	unsigned int first = au_di_first(di);
	struct au_rdbuild b = {
		.ctx.actor = au_rdfill,
		.root = RB_ROOT,
		.visible = LIST_HEAD_INIT(b.visible),
		.hidden = LIST_HEAD_INIT(b.hidden),
		.rdonly = sb_rdonly(dentry->d_sb),
	};
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);
	const struct cred *old_cred;
	struct au_rdcache *rdc;
	struct au_rdent *ent;
	unsigned int i;
	int err = 0;

	rdc = au_rdcache_alloc(sbi, di->n - first);
	if (!rdc)
		return ERR_PTR(-ENOMEM);
	rdc->gen = READ_ONCE(sbi->gen);
	rdc->first = first;
	rdc->keep = true;

	old_cred = override_creds(sbi->cred);
	for (i = first; i < di->n && !err; i++) {
		struct path h_path = {
			.mnt = di->h[i].br->path.mnt,
			.dentry = di->h[i].dentry,
		};
		struct inode *h_inode = d_inode(h_path.dentry);

		/* before the listing: a change meanwhile makes it stale */
		if (h_inode && IS_I_VERSION(h_inode))
			rdc->version[i - first] = inode_query_iversion(h_inode);
		else
			rdc->keep = false;
		b.br = di->h[i].br;
		b.bindex = i;
		b.ctx.pos = 0;
		err = au_rdbuild_branch(&b, &h_path);
	}
	revert_creds(old_cred);

	if (!err) {
		rdc->ents = kvmalloc_array(b.count, sizeof(*rdc->ents),
					   GFP_KERNEL_ACCOUNT);
		if (!rdc->ents && b.count)
			err = -ENOMEM;
	}
	if (!err)
		list_for_each_entry(ent, &b.visible, list)
			rdc->ents[rdc->n++] = ent;
	list_splice(&b.visible, &rdc->all);
	list_splice(&b.hidden, &rdc->all);
	if (err) {
		au_rdcache_put(rdc);
		return ERR_PTR(err);
	}
	return rdc;
}

/**
 * au_dir_empty - whether a directory of the union shows no entry
 * @dentry: the aufs directory
 *
 * Return: 0 if empty, -ENOTEMPTY if not, or another negative errno.
 */
int au_dir_empty(struct dentry *dentry)
{
	struct au_rdcache *rdc = au_rdcache_build(dentry);
	int err;

	if (IS_ERR(rdc))
		return PTR_ERR(rdc);
	err = rdc->n ? -ENOTEMPTY : 0;
	au_rdcache_put(rdc);
	return err;
}

/*
 * The listing of @dentry: the one its stack holds if still current, else
 * a new one, which the stack then holds if it may be shared.  Taken
 * under the rwsem, emitted without: dir_emit() faults.
 */
static struct au_rdcache *au_rdcache_get(struct dentry *dentry)
{
	struct super_block *sb = dentry->d_sb;
	struct au_rdcache *rdc;

	au_read_lock(sb);
	rdc = au_rdcache_lookup(au_di(dentry));
	if (!rdc) {
		rdc = au_rdcache_build(dentry);
		if (!IS_ERR(rdc) && rdc->keep)
			au_rdcache_keep(au_di(dentry), rdc);
	}
	au_read_unlock(sb);
	return rdc;
}

static int aufs_iterate_shared(struct file *file, struct dir_context *ctx)
{
	struct au_rdcache *rdc = file->private_data;

	if (!dir_emit_dots(file, ctx))
		return 0;
	if (!rdc) {
		rdc = au_rdcache_get(file->f_path.dentry);
		if (IS_ERR(rdc))
			return PTR_ERR(rdc);
		file->private_data = rdc;
	}
	while (ctx->pos - 2 < rdc->n) {
		struct au_rdent *ent = rdc->ents[ctx->pos - 2];

		if (!dir_emit(ctx, ent->name, ent->len, ent->ino, ent->type))
			break;
		ctx->pos++;
	}
	return 0;
}

/*
 * Seeking to 0 (rewinddir) drops the file's listing: the next read takes
 * a current one.
 */
static loff_t aufs_dir_llseek(struct file *file, loff_t offset, int whence)
{
	loff_t pos = generic_file_llseek_size(file, offset, whence,
					      U32_MAX, U32_MAX);

	if (pos == 0) {
		au_rdcache_put(file->private_data);
		file->private_data = NULL;
	}
	return pos;
}

static int aufs_dir_release(struct inode *inode, struct file *file)
{
	au_rdcache_put(file->private_data);
	return 0;
}

const struct file_operations au_dir_fops = {
	.read		= generic_read_dir,
	.iterate_shared	= aufs_iterate_shared,
	.llseek		= aufs_dir_llseek,
	.fsync		= aufs_dir_fsync,
	.release	= aufs_dir_release,
};

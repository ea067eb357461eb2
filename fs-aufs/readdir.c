// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: merged directory listing.
 *
 * The first getdents on an open aufs directory (and the first after a
 * seek to 0) takes the merged listing of every branch directory behind
 * it, top first:
 *   - a name is shown once, with the type and inode number of its
 *     topmost copy (a number a copy-up kept, in a directory marked as
 *     holding some: ino.c);
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
#include <linux/namei.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "aufs.h"

/**
 * struct au_rdent - one name of a merged listing
 * @hnode: in &au_rdbuild.hash while the listing is built
 * @list: in &au_rdbuild.visible if the name is shown, else in
 *	&au_rdbuild.hidden
 * @ino: aufs inode number for d_ino
 * @bindex: index of the branch the name was found on
 * @type: DT_* type
 * @whiteout: a whiteout from branch @bindex: hides the name below it
 * @len: length of @name
 * @name: the name, not NUL-terminated
 */
struct au_rdent {
	struct hlist_node hnode;
	struct list_head list;
	u64 ino;
	unsigned int bindex;
	unsigned char type;
	bool whiteout;
	unsigned short len;
	char name[];
};

/**
 * struct au_rdchunk - memory the entries of a listing are carved from
 * @next: the chunk filled before
 * @size: bytes in @data
 * @used: bytes of @data handed out
 * @data: the entries
 *
 * Chunks double in size from AU_RDCHUNK_MIN to a page: a listing of a
 * few names takes little more than they need, and a listing of
 * thousands is built and freed in a few calls instead of one per name.
 */
struct au_rdchunk {
	struct au_rdchunk *next;
	unsigned int size;
	unsigned int used;
	char data[] __aligned(sizeof(u64));
};

#define AU_RDCHUNK_MIN	256U

/*
 * State while the branch directories are read.  Names are looked up in
 * @hash, of 1 << @hbits buckets, which grows with the number of names
 * until an allocation fails (@nogrow).  Names are hashed with hsiphash
 * under @key, random for each listing, so that names on a branch cannot
 * be chosen to fall into one bucket.
 */
struct au_rdbuild {
	struct dir_context ctx;
	struct hlist_head *hash;
	unsigned int hbits;
	bool nogrow;
	hsiphash_key_t key;
	unsigned int nents;
	struct au_rdchunk *chunks;
	size_t chunk_size;
	struct list_head visible;
	struct list_head hidden;
	unsigned int count;
	struct au_branch *br;
	unsigned int bindex;
	bool rdonly;
	int err;
};

#define AU_RDHASH_MIN_BITS	6U
#define AU_RDHASH_MAX_BITS	20U

static struct au_rdent *au_rdent_alloc(struct au_rdbuild *b, unsigned int len)
{
	size_t size = ALIGN(struct_size_t(struct au_rdent, name, len),
			    sizeof(u64));
	struct au_rdchunk *c = b->chunks;
	struct au_rdent *ent;

	if (!c || c->size - c->used < size) {
		size_t csize = max(b->chunk_size, struct_size(c, data, size));

		c = kmalloc(csize, GFP_KERNEL_ACCOUNT);
		if (!c)
			return NULL;
		c->next = b->chunks;
		c->size = csize - offsetof(struct au_rdchunk, data);
		c->used = 0;
		b->chunks = c;
		b->chunk_size = min_t(size_t, b->chunk_size * 2, PAGE_SIZE);
	}
	ent = (struct au_rdent *)(c->data + c->used);
	c->used += size;
	return ent;
}

static void au_rdchunks_free(struct au_rdchunk *c)
{
	while (c) {
		struct au_rdchunk *next = c->next;

		kfree(c);
		c = next;
	}
}

static struct hlist_head *au_rdhash_bucket(struct au_rdbuild *b,
					   const char *name, unsigned int len)
{
	return &b->hash[hsiphash(name, len, &b->key) >> (32 - b->hbits)];
}

/*
 * Make the hash table 4 times larger once it holds 4 times as many names
 * as it has buckets.  Without memory for it, the table stays as it is
 * for the rest of the listing: slower, not wrong.
 */
static void au_rdhash_grow(struct au_rdbuild *b)
{
	unsigned int bits = min(b->hbits + 2, AU_RDHASH_MAX_BITS);
	struct list_head *lists[] = { &b->visible, &b->hidden };
	struct hlist_head *hash;
	struct au_rdent *ent;
	unsigned int i;

	if (b->nents <= 4U << b->hbits || b->hbits >= AU_RDHASH_MAX_BITS ||
	    b->nogrow)
		return;
	hash = kvmalloc_array(1U << bits, sizeof(*hash),
			      GFP_KERNEL_ACCOUNT | __GFP_NORETRY | __GFP_NOWARN);
	if (!hash) {
		b->nogrow = true;
		return;
	}
	for (i = 0; i < 1U << bits; i++)
		INIT_HLIST_HEAD(&hash[i]);
	kvfree(b->hash);
	b->hash = hash;
	b->hbits = bits;
	for (i = 0; i < ARRAY_SIZE(lists); i++)
		list_for_each_entry(ent, lists[i], list)
			hlist_add_head(&ent->hnode,
				       au_rdhash_bucket(b, ent->name, ent->len));
}

static int au_rdent_add(struct au_rdbuild *b, const char *name,
			unsigned int len, u64 h_ino, unsigned int type,
			bool whiteout)
{
	struct hlist_head *head = au_rdhash_bucket(b, name, len);
	struct au_rdent *ent;

	hlist_for_each_entry(ent, head, hnode) {
		if (ent->len != len || memcmp(ent->name, name, len))
			continue;
		/* NAME and .wh.NAME on one branch: NAME wins there. */
		if (ent->whiteout && !whiteout && ent->bindex == b->bindex) {
			ent->whiteout = false;
			ent->ino = (unsigned long)au_ino(b->br, h_ino);
			ent->type = type;
			list_move_tail(&ent->list, &b->visible);
			b->count++;
		}
		return 0;
	}

	ent = au_rdent_alloc(b, len);
	if (!ent)
		return -ENOMEM;
	memcpy(ent->name, name, len);
	ent->len = len;
	/* i_ino is what stat shows: as wide as unsigned long */
	ent->ino = (unsigned long)au_ino(b->br, h_ino);
	ent->bindex = b->bindex;
	ent->type = type;
	ent->whiteout = whiteout;
	hlist_add_head(&ent->hnode, head);
	if (whiteout) {
		list_add_tail(&ent->list, &b->hidden);
	} else {
		list_add_tail(&ent->list, &b->visible);
		b->count++;
	}
	b->nents++;
	au_rdhash_grow(b);
	return 0;
}

static bool au_rdfill(struct dir_context *ctx, const char *name, int len,
		      loff_t offset, u64 h_ino, unsigned int type)
{
	struct au_rdbuild *b = container_of(ctx, struct au_rdbuild, ctx);

	if (is_dot_dotdot(name, len))
		return true;
	/* what getdents would refuse to return (verify_dirent_name()) */
	if (len <= 0 || len > NAME_MAX) {
		b->err = -EIO;
		return false;
	}
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

/*
 * d_ino of the names found in a branch directory marked as holding kept
 * inode numbers (ino.c): the number the name shows through the union
 * (au_ino_shown()), looked up once the directory has been read.  A name
 * that cannot be looked up (removed meanwhile, an I/O error) is listed
 * with the number of its branch inode, as a listing that does not look
 * names up would list it.
 *
 * A file with other links, no kept number and no pinned inode may be a
 * pseudo-linked copy between its move into place and its pinning
 * (copy_up.c): the number it will show is not known yet, so the listing
 * is not kept for later opens.
 *
 * Return: 0, 1 if the listing must not be kept, or -EINTR.
 */
static int au_rdent_kept_ino(struct au_rdbuild *b, struct super_block *sb,
			     const struct au_dinfo *di,
			     const unsigned long *marked)
{
	struct au_rdent *ent;
	int ret = 0;

	list_for_each_entry(ent, &b->visible, list) {
		const struct au_hdentry *h = &di->h[ent->bindex];
		struct dentry *d;
		u64 ino = 0;

		if (!test_bit(ent->bindex, marked))
			continue;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		d = lookup_one_unlocked(mnt_idmap(h->br->path.mnt), ent->name,
					h->dentry, ent->len);
		if (IS_ERR(d))
			continue;
		if (d_really_is_positive(d)) {
			ino = au_ino_shown(sb, h->br, d);
			if (!ino && !d_is_dir(d) && d_inode(d)->i_nlink > 1)
				ret = 1;
		}
		dput(d);
		if (ino)
			ent->ino = ino;
	}
	return ret;
}

/**
 * au_rdcache_put - drop a reference on a listing
 * @rdc: the listing, or %NULL
 */
void au_rdcache_put(struct au_rdcache *rdc)
{
	if (!rdc || !refcount_dec_and_test(&rdc->ref))
		return;
	au_rdchunks_free(rdc->chunks);
	kvfree(rdc->ents);
	au_rdcache_free(rdc);
}

/*
 * The listing of @dentry, with the numbers of names that have kept one
 * (ino.c) if @ino, else only the names (au_dir_empty()).
 */
static struct au_rdcache *au_rdcache_build(struct dentry *dentry, bool ino)
{
	const struct au_dinfo *di = au_di(dentry);
	unsigned int first = au_di_first(di);
	struct au_rdbuild b = {
		.ctx.actor = au_rdfill,
		.hbits = AU_RDHASH_MIN_BITS,
		.chunk_size = AU_RDCHUNK_MIN,
		.visible = LIST_HEAD_INIT(b.visible),
		.hidden = LIST_HEAD_INIT(b.hidden),
		.rdonly = sb_rdonly(dentry->d_sb),
	};
	struct au_sbinfo *sbi = au_sbi(dentry->d_sb);
	DECLARE_BITMAP(marked, AUFS_BRANCH_MAX) = {};
	const struct cred *old_cred;
	struct au_rdcache *rdc;
	struct au_rdent *ent;
	unsigned int i;
	int err = 0;

	get_random_bytes(&b.key, sizeof(b.key));
	b.hash = kvmalloc_array(1U << b.hbits, sizeof(*b.hash),
				GFP_KERNEL_ACCOUNT);
	if (!b.hash)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < 1U << b.hbits; i++)
		INIT_HLIST_HEAD(&b.hash[i]);
	rdc = au_rdcache_alloc(sbi, di->n - first);
	if (!rdc) {
		kvfree(b.hash);
		return ERR_PTR(-ENOMEM);
	}
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

		/*
		 * Before the listing, under the directory's lock: a change
		 * moves them before its entry shows, with the lock held
		 * exclusive, so a change meanwhile makes the listing stale.
		 */
		if (h_inode && IS_I_VERSION(h_inode)) {
			inode_lock_shared(h_inode);
			rdc->ver[i - first].version =
				inode_query_iversion(h_inode);
			rdc->ver[i - first].ctime = inode_get_ctime(h_inode);
			inode_unlock_shared(h_inode);
		} else {
			rdc->keep = false;
		}
		b.br = di->h[i].br;
		b.bindex = i;
		b.ctx.pos = 0;
		err = au_rdbuild_branch(&b, &h_path);
		/* removed behind the union's back: it holds no name */
		if (err == -ENOENT && h_inode && IS_DEADDIR(h_inode)) {
			err = 0;
			rdc->keep = false;
		} else if (!err && ino &&
			   au_ino_dir_marked(di->h[i].br, h_path.dentry)) {
			/* after the read: marked before an object arrives */
			__set_bit(i, marked);
		}
	}
	if (!err && !bitmap_empty(marked, AUFS_BRANCH_MAX)) {
		err = au_rdent_kept_ino(&b, dentry->d_sb, di, marked);
		if (err > 0) {
			err = 0;
			rdc->keep = false;
		}
	}
	revert_creds(old_cred);
	kvfree(b.hash);

	if (!err) {
		rdc->ents = kvmalloc_array(b.count, sizeof(*rdc->ents),
					   GFP_KERNEL_ACCOUNT);
		if (!rdc->ents && b.count)
			err = -ENOMEM;
	}
	if (!err)
		list_for_each_entry(ent, &b.visible, list)
			rdc->ents[rdc->n++] = ent;
	rdc->chunks = b.chunks;
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
	struct au_rdcache *rdc = au_rdcache_build(dentry, false);
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
		rdc = au_rdcache_build(dentry, true);
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

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: renaming a directory that has lower parts (dirren).
 *
 * A directory of the union is the merge of directories of one name on
 * several branches.  Its lower parts cannot be renamed (their branches
 * may be read-only), so a rename moves the top copy alone and leaves
 * in it, for each branch below that holds a part, a note naming that
 * part: its name and its inode number on that branch.  A lookup that
 * finds the top copy looks each such branch up by the name in the note,
 * and takes what it finds only if it is the directory the note names
 * (same inode number).
 *
 * The notes are those of out-of-tree aufs, so a branch moves between
 * the two (Documentation/filesystems/aufs/overview.rst):
 *
 * - "<top copy>/.wh..wh..dr.<branch>", one per lower branch, where
 *   <branch> is "2_<fsid>" ("%08x-%08x") or "3_<dev>" ("%02x%02x", or
 *   "%03x:%05x" for larger numbers), then "_<inode number of the branch
 *   root>"; it holds a big-endian 32-bit magic AUFS_DR_MAGIC, 4 bytes of
 *   padding, the part's big-endian 64-bit inode number, its name length
 *   in one byte and 7 bytes of padding, then the name;
 * - ".wh..wh.hino" at the root of the branch holding the top copies:
 *   the big-endian 64-bit inode numbers of the directories that hold
 *   notes.  A lookup reads notes only in those (the set is read when
 *   the branch joins the union, &au_branch.dr_set).
 *
 * The lower parts are found in the directory of the same parent, so a
 * directory with lower parts is renamed within its parent only, and to
 * a name no branch holds: the note switches the name per branch, and a
 * whiteout or an object of the new name below would cut or join the
 * merge.  Other such renames fail with -EXDEV (mv then copies), as
 * without dirren.  A note is written, and synced, before the rename:
 * until the rename it names the name the part has.
 */

#include <linux/bsearch.h>
#include <linux/namei.h>
#include <linux/sort.h>
#include <linux/statfs.h>
#include <linux/unaligned.h>

#include "aufs.h"

#define AUFS_DR_MAGIC	('a' << 24 | 'd' << 16 | 'r' << 8 | 0x01)
#define AUFS_DR_HDR	24	/* magic, pad, ino, name length, pad */
#define AUFS_DR_HINO	".wh..wh.hino"
#define AUFS_DR_PFX	".wh..wh..dr."

/* More than any tree holds; bounds what a damaged list makes aufs read. */
#define AUFS_DR_HINO_MAX	(8 << 20)

static int au_dr_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* A set of @n inode numbers, or %NULL. */
static struct au_dr_set *au_dr_set_alloc(size_t n)
{
	struct au_dr_set *set;

	set = kvmalloc(struct_size(set, ino, n), GFP_KERNEL_ACCOUNT);
	if (set)
		set->n = n;
	return set;
}

/* Read the list at @br's root into a sorted set: @br->dr_set. */
static int au_dr_set_load(struct au_branch *br)
{
	struct au_dr_set *set = NULL;
	struct path p = { .mnt = br->path.mnt };
	struct file *f;
	loff_t pos = 0, size;
	size_t i, n;
	int err;

	p.dentry = lookup_one_unlocked(mnt_idmap(p.mnt), AUFS_DR_HINO,
				       br->path.dentry,
				       sizeof(AUFS_DR_HINO) - 1);
	if (IS_ERR(p.dentry)) {
		err = PTR_ERR(p.dentry);
		if (err == -ENOMEM)
			return err;
		pr_warn("%pd2/" AUFS_DR_HINO ": cannot be read, ignored: %pe\n",
			br->path.dentry, p.dentry);
		return 0;
	}
	err = 0;
	if (d_is_negative(p.dentry))
		goto out_dput;
	err = -EIO;
	if (!d_is_reg(p.dentry))
		goto out_dput;
	f = dentry_open(&p, O_RDONLY | O_LARGEFILE, current_cred());
	err = PTR_ERR(f);
	if (IS_ERR(f))
		goto out_dput;
	au_file_noatime(f);
	size = i_size_read(file_inode(f));
	if (size > AUFS_DR_HINO_MAX || size % sizeof(u64))
		pr_warn("%pd2: %lld bytes, read %lld\n", p.dentry, size,
			round_down(min_t(loff_t, size, AUFS_DR_HINO_MAX),
				   sizeof(u64)));
	n = min_t(loff_t, size, AUFS_DR_HINO_MAX) / sizeof(u64);
	err = -ENOMEM;
	set = au_dr_set_alloc(n);
	if (!set)
		goto out_fput;
	err = 0;
	while (pos < n * sizeof(u64)) {
		ssize_t got = kernel_read(f, (char *)set->ino + pos,
					  n * sizeof(u64) - pos, &pos);

		if (got < 0) {
			err = got;
			goto out_fput;
		}
		if (!got)	/* cut short meanwhile: what was read */
			break;
		cond_resched();
	}
	n = pos / sizeof(u64);
	set->n = n;
	for (i = 0; i < n; i++)
		set->ino[i] = be64_to_cpu((__force __be64)set->ino[i]);
	sort(set->ino, n, sizeof(u64), au_dr_cmp, NULL);
	rcu_assign_pointer(br->dr_set, set);
	set = NULL;
out_fput:
	fput(f);
out_dput:
	/*
	 * A list that cannot be read lists nothing: the directories it
	 * named show their top copies alone until it is mended.
	 */
	if (err && err != -ENOMEM) {
		pr_warn("%pd2: cannot be read, ignored: %pe\n", p.dentry,
			ERR_PTR(err));
		err = 0;
	}
	dput(p.dentry);
	kvfree(set);
	return err;
}

/**
 * au_dr_br_init - give a new branch its dirren state
 * @br: the branch, not in any table yet
 * @dirren: the mount renames directories with lower parts
 *
 * Names the branch as the notes do (from its filesystem id or device,
 * and its root's inode number); a branch that has neither cannot be
 * named, and a directory with a part on it is not renamed.  With
 * @dirren, a branch the union may write reads the set of its
 * directories that hold notes, as the mounter.  A list that cannot be
 * read is ignored with a warning.
 *
 * Return: 0, or -ENOMEM.
 */
int au_dr_br_init(struct au_branch *br, bool dirren)
{
	struct dentry *root = br->path.dentry;
	const struct cred *old_cred;
	struct kstatfs st;
	dev_t dev;
	int len = 0, err;

	mutex_init(&br->dr_lock);
	if (!vfs_statfs(&br->path, &st) &&
	    (st.f_fsid.val[0] || st.f_fsid.val[1])) {
		len = snprintf(br->dr_name, sizeof(br->dr_name), "2_%08x-%08x",
			       st.f_fsid.val[0], st.f_fsid.val[1]);
	} else if (root->d_sb->s_dev) {
		dev = root->d_sb->s_dev;
		if (MAJOR(dev) <= 0xff && MINOR(dev) <= 0xff)
			len = snprintf(br->dr_name, sizeof(br->dr_name),
				       "3_%02x%02x", MAJOR(dev), MINOR(dev));
		else
			len = snprintf(br->dr_name, sizeof(br->dr_name),
				       "3_%03x:%05x", MAJOR(dev), MINOR(dev));
	}
	if (len)
		snprintf(br->dr_name + len, sizeof(br->dr_name) - len, "_%lu",
			 d_inode(root)->i_ino);
	if (!dirren || br->perm != AU_BR_RW)
		return 0;
	/* as the mounter; a branch of a new mount: the mounter is current */
	old_cred = br->sbi->cred ? override_creds(br->sbi->cred) : NULL;
	err = au_dr_set_load(br);
	if (old_cred)
		revert_creds(old_cred);
	return err;
}

/**
 * au_dr_br_fin - drop a branch's dirren state
 * @br: the branch, on its last reference
 */
void au_dr_br_fin(struct au_branch *br)
{
	kvfree(rcu_dereference_protected(br->dr_set, true));
	mutex_destroy(&br->dr_lock);
}

/**
 * au_dr_marked - whether a directory found first may hold notes
 * @br: the branch of @h_dir
 * @h_dir: the directory
 *
 * Return: true if its inode number is in @br's set.
 */
bool au_dr_marked(struct au_branch *br, struct dentry *h_dir)
{
	u64 ino = d_inode(h_dir)->i_ino;
	struct au_dr_set *set;
	bool ret = false;

	if (!rcu_access_pointer(br->dr_set))
		return false;
	rcu_read_lock();
	set = rcu_dereference(br->dr_set);
	if (set)
		ret = !!bsearch(&ino, set->ino, set->n, sizeof(u64), au_dr_cmp);
	rcu_read_unlock();
	return ret;
}

/* Add @ino to @br's set, under @br->dr_lock; false if out of memory. */
static bool au_dr_set_add(struct au_branch *br, u64 ino)
{
	struct au_dr_set *old, *set;
	size_t i = 0, n = 0;

	old = rcu_dereference_protected(br->dr_set,
					lockdep_is_held(&br->dr_lock));
	if (old)
		n = old->n;
	set = au_dr_set_alloc(n + 1);
	if (!set)
		return false;
	while (i < n && old->ino[i] < ino) {
		set->ino[i] = old->ino[i];
		i++;
	}
	set->ino[i] = ino;
	if (i < n)
		memcpy(set->ino + i + 1, old->ino + i, (n - i) * sizeof(u64));
	rcu_assign_pointer(br->dr_set, set);
	if (old)
		kvfree_rcu(old, rcu);
	return true;
}

/* ".wh..wh..dr.<@br's name>" in @buf; false if @br has no name. */
static bool au_dr_note_name(const struct au_branch *br, char *buf,
			    size_t size)
{
	if (!br->dr_name[0])
		return false;
	snprintf(buf, size, AUFS_DR_PFX "%s", br->dr_name);
	return true;
}

/*
 * Read the note @h (positive) into @dr.  A note that is not whole, or
 * names what no directory can be called, names nothing: a crash while
 * it was written left it so, before the rename it was written for.
 */
static int au_dr_note_read(const struct path *h, struct au_dr_name *dr)
{
	u8 hdr[AUFS_DR_HDR];
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	u8 len;

	if (!d_is_reg(h->dentry))
		goto bad;
	f = dentry_open(h, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(f))
		return PTR_ERR(f);
	au_file_noatime(f);
	n = kernel_read(f, hdr, sizeof(hdr), &pos);
	len = n == sizeof(hdr) ? hdr[16] : 0;
	if (len && get_unaligned_be32(hdr) == AUFS_DR_MAGIC)
		n = kernel_read(f, dr->buf, len, &pos);
	fput(f);
	if (n < 0)
		return n;
	if (!len || get_unaligned_be32(hdr) != AUFS_DR_MAGIC || n != len)
		goto bad;
	dr->buf[len] = '\0';
	/* a name the union could show, and no name of aufs' own */
	if (len > AUFS_MAX_NAMELEN || strnlen(dr->buf, len) != len ||
	    strchr(dr->buf, '/') || !strcmp(dr->buf, ".") ||
	    !strcmp(dr->buf, "..") || au_wh_name(dr->buf, len))
		goto bad;
	dr->ino = get_unaligned_be64(hdr + 8);
	dr->name = (struct qstr)QSTR_INIT(dr->buf, len);
	return 1;

bad:
	pr_warn_ratelimited("%pd2: not a note of a renamed directory, ignored\n",
			    h->dentry);
	return 0;
}

/**
 * au_dr_old_name - the name a renamed directory has on a lower branch
 * @wbr: the branch of @h_dir
 * @h_dir: the directory found first, in @wbr's set (au_dr_marked())
 * @br: a branch below
 * @dr: filled with the name and the inode number of the part on @br
 *
 * Runs with the mounter's credentials.
 *
 * Return: 1 if @h_dir holds a note for @br, 0 if not, or a negative
 * errno.
 */
int au_dr_old_name(struct au_branch *wbr, struct dentry *h_dir,
		   struct au_branch *br, struct au_dr_name *dr)
{
	char name[sizeof(AUFS_DR_PFX) + sizeof(br->dr_name)];
	struct path h;
	int ret;

	if (!au_dr_note_name(br, name, sizeof(name)))
		return 0;
	h.mnt = wbr->path.mnt;
	h.dentry = lookup_one_unlocked(mnt_idmap(h.mnt), name, h_dir,
				       strlen(name));
	if (IS_ERR(h.dentry)) {
		ret = PTR_ERR(h.dentry);
		/* @h_dir was removed behind the union's back */
		return ret == -ENOENT ? 0 : ret;
	}
	ret = d_is_positive(h.dentry) ? au_dr_note_read(&h, dr) : 0;
	dput(h.dentry);
	return ret;
}

/*
 * Add the inode number of @h_dir, a directory on @wbr, to the set of
 * @wbr, on the branch first.  The caller holds write access to @wbr.
 * The list is written at its last whole entry: a torn write (a crash)
 * leaves a tail the next one overwrites.
 */
static int au_dr_note_dir(struct au_branch *wbr, struct dentry *h_dir)
{
	struct dentry *root = wbr->path.dentry;
	u64 ino = d_inode(h_dir)->i_ino;
	__be64 v = cpu_to_be64(ino);
	struct path p = { .mnt = wbr->path.mnt };
	struct file *f;
	loff_t pos;
	ssize_t n;
	int err;

	mutex_lock(&wbr->dr_lock);
	if (au_dr_marked(wbr, h_dir)) {
		mutex_unlock(&wbr->dr_lock);
		return 0;
	}
	inode_lock_nested(d_inode(root), I_MUTEX_PARENT);
	p.dentry = lookup_one(mnt_idmap(p.mnt), AUFS_DR_HINO, root,
			      sizeof(AUFS_DR_HINO) - 1);
	err = PTR_ERR_OR_ZERO(p.dentry);
	if (!err && d_is_negative(p.dentry))
		err = vfs_create(mnt_idmap(p.mnt), d_inode(root), p.dentry,
				 S_IFREG | 0600, true);
	inode_unlock(d_inode(root));
	if (IS_ERR(p.dentry))
		goto out;
	if (err)
		goto out_dput;
	/* a damaged list: no note can be listed, the rename is not made */
	err = -EXDEV;
	if (!d_is_reg(p.dentry))
		goto out_dput;
	f = dentry_open(&p, O_WRONLY | O_LARGEFILE, current_cred());
	err = PTR_ERR(f);
	if (IS_ERR(f))
		goto out_dput;
	pos = round_down(i_size_read(file_inode(f)), sizeof(v));
	n = __kernel_write(f, &v, sizeof(v), &pos);
	err = n == sizeof(v) ? vfs_fsync(f, 0) : n < 0 ? n : -EIO;
	fput(f);
	if (!err && !au_dr_set_add(wbr, ino))
		err = -ENOMEM;
out_dput:
	dput(p.dentry);
out:
	mutex_unlock(&wbr->dr_lock);
	return err;
}

/*
 * Write the note for @part, a lower part on @br, in @h_dir (the top
 * copy on @wbr, locked).  Return: 1 if it was made, 0 if an equal one
 * is there, or a negative errno.
 */
static int au_dr_note_write(struct au_branch *wbr, struct dentry *h_dir,
			    struct au_branch *br, struct dentry *part)
{
	char name[sizeof(AUFS_DR_PFX) + sizeof(br->dr_name)];
	struct mnt_idmap *idmap = mnt_idmap(wbr->path.mnt);
	struct inode *dir = d_inode(h_dir);
	struct name_snapshot old;
	struct au_dr_name *dr;
	struct path p = { .mnt = wbr->path.mnt };
	u8 *data = NULL;
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	int len, err;

	if (!au_dr_note_name(br, name, sizeof(name)))
		return -EXDEV;
	dr = kmalloc(sizeof(*dr), GFP_KERNEL);
	if (!dr)
		return -ENOMEM;
	take_dentry_name_snapshot(&old, part);
	p.dentry = lookup_one(idmap, name, h_dir, strlen(name));
	err = PTR_ERR_OR_ZERO(p.dentry);
	if (err)
		goto out;
	if (d_is_positive(p.dentry)) {
		err = au_dr_note_read(&p, dr);
		if (err < 0)
			goto out_dput;
		if (err > 0 && dr->ino == d_inode(part)->i_ino &&
		    dr->name.len == old.name.len &&
		    !memcmp(dr->buf, old.name.name, old.name.len)) {
			err = 0;
			goto out_dput;
		}
		/* a stale note: it named no part of this directory */
		err = vfs_unlink(idmap, dir, p.dentry, NULL);
		if (err)
			goto out_dput;
		dput(p.dentry);
		p.dentry = lookup_one(idmap, name, h_dir, strlen(name));
		err = PTR_ERR_OR_ZERO(p.dentry);
		if (err)
			goto out;
	}
	err = vfs_create(idmap, dir, p.dentry, S_IFREG | 0600, true);
	if (err)
		goto out_dput;
	len = AUFS_DR_HDR + old.name.len;
	err = -ENOMEM;
	data = kzalloc(len, GFP_KERNEL);
	if (!data)
		goto out_unlink;
	put_unaligned_be32(AUFS_DR_MAGIC, data);
	put_unaligned_be64(d_inode(part)->i_ino, data + 8);
	data[16] = old.name.len;
	memcpy(data + AUFS_DR_HDR, old.name.name, old.name.len);
	f = dentry_open(&p, O_WRONLY | O_LARGEFILE, current_cred());
	err = PTR_ERR(f);
	if (IS_ERR(f))
		goto out_unlink;
	n = __kernel_write(f, data, len, &pos);
	/* whole on the disk before the rename it is for */
	err = n == len ? vfs_fsync(f, 0) : n < 0 ? n : -EIO;
	fput(f);
	if (!err) {
		err = 1;
		goto out_dput;
	}
out_unlink:
	vfs_unlink(idmap, dir, p.dentry, NULL);
out_dput:
	dput(p.dentry);
out:
	kfree(data);
	release_dentry_name_snapshot(&old);
	kfree(dr);
	return err;
}

/*
 * Remove the notes of the branches @made (indexes into @di) from @h_dir;
 * best effort: a note left names the name its part still has.
 */
static void au_dr_take_back(struct au_branch *wbr, struct dentry *h_dir,
			    const struct au_dinfo *di, unsigned long *made)
{
	char name[sizeof(AUFS_DR_PFX) + sizeof(wbr->dr_name)];
	struct mnt_idmap *idmap = mnt_idmap(wbr->path.mnt);
	struct dentry *h;
	unsigned int i;

	for_each_set_bit(i, made, di->n) {
		au_dr_note_name(di->h[i].br, name, sizeof(name));
		h = lookup_one(idmap, name, h_dir, strlen(name));
		if (IS_ERR(h))
			continue;
		if (d_is_positive(h))
			vfs_unlink(idmap, d_inode(h_dir), h, NULL);
		dput(h);
	}
}

/**
 * au_dr_store - write the notes of a directory about to be renamed
 * @dentry: the directory, copied up, with lower parts; its parent locked
 * @undo: set to what au_dr_undo() takes back
 *
 * Runs with the mounter's credentials; the caller holds write access
 * to the top branch.  On an error, nothing is left.
 *
 * Return: 0 or a negative errno (-EXDEV: a part's branch has no name).
 */
int au_dr_store(struct dentry *dentry, struct au_dr_undo *undo)
{
	const struct au_dinfo *di = au_di(dentry);
	struct au_branch *wbr = au_wbr(dentry->d_sb);
	struct dentry *h_dir = au_h_dentry(dentry);
	unsigned int i;
	int err;

	undo->made = bitmap_zalloc(di->n, GFP_KERNEL);
	if (!undo->made)
		return -ENOMEM;
	undo->di = di;
	err = au_dr_note_dir(wbr, h_dir);
	if (err)
		goto out;
	inode_lock_nested(d_inode(h_dir), I_MUTEX_PARENT);
	for (i = au_di_first(di); i < di->n && err >= 0; i++) {
		if (di->h[i].br == wbr)
			continue;
		err = au_dr_note_write(wbr, h_dir, di->h[i].br,
				       di->h[i].dentry);
		if (err > 0)
			__set_bit(i, undo->made);
	}
	if (err < 0)
		au_dr_take_back(wbr, h_dir, di, undo->made);
	inode_unlock(d_inode(h_dir));
	if (err > 0)
		err = 0;
out:
	if (err) {
		bitmap_free(undo->made);
		undo->made = NULL;
	}
	return err;
}

/**
 * au_dr_undo - take back the notes of a rename that failed
 * @dentry: the directory given to au_dr_store()
 * @undo: what au_dr_store() set; freed here
 */
void au_dr_undo(struct dentry *dentry, struct au_dr_undo *undo)
{
	struct au_branch *wbr = au_wbr(dentry->d_sb);
	struct dentry *h_dir = au_h_dentry(dentry);

	if (!undo->made)
		return;
	inode_lock_nested(d_inode(h_dir), I_MUTEX_PARENT);
	au_dr_take_back(wbr, h_dir, undo->di, undo->made);
	inode_unlock(d_inode(h_dir));
	au_dr_done(undo);
}

/**
 * au_dr_done - forget what au_dr_store() set, after a rename
 * @undo: what au_dr_store() set
 */
void au_dr_done(struct au_dr_undo *undo)
{
	bitmap_free(undo->made);
	undo->made = NULL;
}

/* Whether @h, on @br, is a lower part of the directory of stack @di. */
static bool au_dr_is_part(const struct au_dinfo *di, struct au_branch *br,
			  struct dentry *h)
{
	unsigned int i;

	for (i = au_di_first(di); i < di->n; i++)
		if (di->h[i].br == br &&
		    d_inode(di->h[i].dentry) == d_inode(h))
			return true;
	return false;
}

/**
 * au_dr_name_used - whether a directory with notes may take a name
 * @old: the directory, with lower parts
 * @new: its new name
 *
 * A note switches the name a lookup uses, per branch: a branch that
 * holds the new name, or its whiteout, would join or cut the merge.  An
 * object of the name on the top branch is the one the rename replaces.
 * The one exception is the name's whiteout on the top branch when all
 * the branches below hold under that name are parts of @old: @old
 * takes back a name it had, the whiteout hid only its own parts, and
 * it goes (au_dr_unhide()) instead of making @old opaque.
 *
 * Return: 0 if the name is free, 2 if @old takes it back, 1 if it is
 * taken, or a negative errno.  Runs with the mounter's credentials.
 */
int au_dr_name_used(const struct dentry *old, const struct dentry *new)
{
	const struct au_dinfo *parent = au_di(new->d_parent);
	struct au_branch *wbr = au_wbr(new->d_sb);
	const struct qstr *name = &new->d_name;
	bool wh_top = false, parts = false;
	unsigned int i;
	int ret = 0;

	for (i = au_di_first(parent); i < parent->n && !ret; i++) {
		struct au_branch *br = parent->h[i].br;
		struct dentry *h;

		h = lookup_one_unlocked(mnt_idmap(br->path.mnt), name->name,
					parent->h[i].dentry, name->len);
		if (IS_ERR(h)) {
			if (h == ERR_PTR(-ENOENT) &&
			    IS_DEADDIR(d_inode(parent->h[i].dentry)))
				continue;
			return PTR_ERR(h);
		}
		if (d_is_positive(h) && br != wbr) {
			if (d_is_dir(h) && au_dr_is_part(au_di(old), br, h))
				parts = true;
			else
				ret = 1;
		}
		dput(h);
		if (ret || !au_br_whable(br))
			continue;
		ret = au_wh_test(br, parent->h[i].dentry, name);
		if (ret > 0 && br == wbr) {
			wh_top = true;
			ret = 0;
		}
	}
	if (ret)
		return ret;
	if (parts && !wh_top)
		return 1;
	return wh_top ? 2 : 0;
}

/**
 * au_dr_unhide - remove the whiteout of a name a directory takes back
 * @h_parent: the top branch directory the name is in, unlocked
 * @name: the name (au_dr_name_used() returned 2 for it)
 *
 * Runs with the mounter's credentials; the caller holds write access to
 * the top branch.
 *
 * Return: 0 or a negative errno (-ESTALE: the branch changed).
 */
int au_dr_unhide(struct dentry *h_parent, const struct qstr *name)
{
	struct inode *dir = d_inode(h_parent);
	char whname[NAME_MAX + 1];
	struct dentry *h, *wh;
	int len, err;

	len = snprintf(whname, sizeof(whname), AUFS_WH_PFX "%.*s", name->len,
		       name->name);
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	inode_lock_nested(dir, I_MUTEX_PARENT);
	h = lookup_one(&nop_mnt_idmap, name->name, h_parent, name->len);
	err = PTR_ERR_OR_ZERO(h);
	if (err)
		goto out_unlock;
	wh = lookup_one(&nop_mnt_idmap, whname, h_parent, len);
	err = PTR_ERR_OR_ZERO(wh);
	if (err)
		goto out_dput;
	if (d_is_positive(h) || !d_is_reg(wh))
		err = -ESTALE;
	else
		err = vfs_unlink(&nop_mnt_idmap, dir, wh, NULL);
	dput(wh);
out_dput:
	dput(h);
out_unlock:
	inode_unlock(dir);
	return err;
}

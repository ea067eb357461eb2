// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: renaming a directory that has lower parts (dirren).
 *
 * A directory of the union is the merge of directories of one name on
 * several branches.  Its lower parts cannot be renamed (their branches
 * may be read-only), so a rename moves the top copy alone and leaves
 * in it, for each branch below that holds a part, a note naming that
 * part and giving its inode number on that branch.  A lookup that finds
 * the top copy takes, on each such branch, what the note names only if
 * it is a directory of that number.
 *
 * A note names its part in one of two forms:
 *
 * - by its name, when the part is in the directory of the parent on
 *   its branch and the rename is within that parent: the name is
 *   looked up there instead of the new one.  This form is out-of-tree
 *   aufs', so a branch moves between the two;
 * - by its path from the branch root, for any other part, as after a
 *   rename to another parent (a note of the first form written for one
 *   would name nothing until the rename): the path is walked from the
 *   root, name by name, as a lookup through the union walks, through
 *   directories only and not into mounts on the branch.  Out-of-tree
 *   aufs does not know this form: it fails a lookup of the directory.
 *
 * On the branch (Documentation/filesystems/aufs/overview.rst):
 *
 * - "<top copy>/.wh..wh..dr.<branch>", one per lower branch, where
 *   <branch> is "2_<fsid>" ("%08x-%08x") or "3_<dev>" ("%02x%02x", or
 *   "%03x:%05x" for larger numbers), then "_<inode number of the branch
 *   root>"; it holds a big-endian 32-bit magic (AUFS_DR_MAGIC for a
 *   name, AUFS_DR_MAGIC_PATH for a path), 4 bytes of padding, the part's
 *   big-endian 64-bit inode number, the length of the name in one byte
 *   or of the path in two (big-endian), padding up to 24 bytes, then
 *   the name or the path;
 * - ".wh..wh.hino" at the root of the branch holding the top copies:
 *   the big-endian 64-bit inode numbers of the directories that hold
 *   notes.  A lookup reads notes only in those (the set is read when
 *   the branch joins the union, &au_branch.dr_set).
 *
 * A directory with lower parts is renamed only to a name that no branch
 * holds in the new parent, and that no whiteout hides there: a note of
 * the first form switches the name per branch, and a whiteout or an
 * object of the new name below would cut or join the merge.  Other such
 * renames fail with -EXDEV (mv then copies), as without dirren.  A note
 * is written, and synced, before the rename: until the rename it names
 * the part where it is.
 */

#include <linux/bsearch.h>
#include <linux/namei.h>
#include <linux/sort.h>
#include <linux/statfs.h>
#include <linux/unaligned.h>

#include "aufs.h"

#define AUFS_DR_MAGIC	('a' << 24 | 'd' << 16 | 'r' << 8 | 0x01)
/* not 'a' 'd' 'r' 2: the out-of-tree aufs keeps that for itself */
#define AUFS_DR_MAGIC_PATH ('a' << 24 | 'd' << 16 | 'p' << 8 | 0x01)
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

/* Whether @name (@len bytes) is a name the union could show. */
static bool au_dr_name_ok(const char *name, size_t len)
{
	return len && len <= AUFS_MAX_NAMELEN && !memchr(name, '/', len) &&
	       !memchr(name, '\0', len) &&
	       !(len == 1 && name[0] == '.') &&
	       !(len == 2 && name[0] == '.' && name[1] == '.') &&
	       !au_wh_name(name, len);
}

/* Whether @path (@len bytes) is a path of such names, joined by '/'. */
static bool au_dr_path_ok(const char *path, size_t len)
{
	const char *end = path + len, *slash;

	if (!len || len >= PATH_MAX)
		return false;
	for (;;) {
		slash = memchr(path, '/', end - path);
		if (!au_dr_name_ok(path, (slash ?: end) - path))
			return false;
		if (!slash)
			return true;
		path = slash + 1;
	}
}

/*
 * Walk @path (checked: names joined by '/') down from @br's root, name
 * by name, as a lookup through the union does: through directories
 * only (no symbolic link), and not into what is mounted on the branch.
 * Return: the directory it names (a reference), %NULL if it names none,
 * or an ERR_PTR.
 */
static struct dentry *au_dr_walk(struct au_branch *br, const char *path)
{
	struct mnt_idmap *idmap = mnt_idmap(br->path.mnt);
	struct dentry *d = dget(br->path.dentry), *next;
	const char *slash;
	size_t len;

	for (;;) {
		slash = strchr(path, '/');
		len = slash ? slash - path : strlen(path);
		next = lookup_one_unlocked(idmap, path, d, len);
		/* a directory removed behind the union's back holds nothing */
		if (next == ERR_PTR(-ENOENT) && IS_DEADDIR(d_inode(d)))
			next = NULL;
		dput(d);
		if (IS_ERR_OR_NULL(next))
			return next;
		if (!d_is_dir(next)) {
			dput(next);
			return NULL;
		}
		if (!slash)
			return next;
		d = next;
		path = slash + 1;
	}
}

/*
 * The part @path (checked) names on @br, if it is a directory numbered
 * @ino, in @dr->part; %NULL if it names nothing else.
 */
static int au_dr_part_find(struct au_branch *br, const char *path, u64 ino,
			   struct au_dr_name *dr)
{
	struct dentry *d = au_dr_walk(br, path);

	dr->part = NULL;
	if (IS_ERR(d))
		return PTR_ERR(d);
	if (d && d_inode(d)->i_ino == ino)
		dr->part = dget(d);
	dput(d);
	return 0;
}

/*
 * Read the note @h (positive), for a part on @br, into @dr.  A note
 * that is not whole, or names what no directory can be called, names
 * nothing: a crash while it was written left it so, before the rename
 * it was written for.
 *
 * Return: AU_DR_NAME or AU_DR_PATH (au_dr_note()), 0 for such a note,
 * or a negative errno.
 */
static int au_dr_note_read(const struct path *h, struct au_branch *br,
			   struct au_dr_name *dr)
{
	u8 hdr[AUFS_DR_HDR];
	char *path = NULL;
	struct file *f;
	loff_t pos = 0;
	size_t len = 0;
	ssize_t n;
	u32 magic;
	int ret;

	if (!d_is_reg(h->dentry))
		goto bad;
	f = dentry_open(h, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(f))
		return PTR_ERR(f);
	au_file_noatime(f);
	n = kernel_read(f, hdr, sizeof(hdr), &pos);
	magic = n == sizeof(hdr) ? get_unaligned_be32(hdr) : 0;
	if (magic == AUFS_DR_MAGIC) {
		len = hdr[16];
		if (len)
			n = kernel_read(f, dr->buf, len, &pos);
	} else if (magic == AUFS_DR_MAGIC_PATH) {
		len = get_unaligned_be16(hdr + 16);
		path = len && len < PATH_MAX ? kmalloc(len + 1, GFP_KERNEL) :
		       NULL;
		n = path ? kernel_read(f, path, len, &pos) :
		    len && len < PATH_MAX ? -ENOMEM : 0;
	}
	fput(f);
	ret = n < 0 ? n : 0;
	if (ret || !len || n != len)
		goto out;
	dr->ino = get_unaligned_be64(hdr + 8);
	if (magic == AUFS_DR_MAGIC) {
		/* a name the union could show, and no name of aufs' own */
		if (!au_dr_name_ok(dr->buf, len))
			goto out;
		dr->buf[len] = '\0';
		dr->name = (struct qstr)QSTR_INIT(dr->buf, len);
		return AU_DR_NAME;
	}
	if (!au_dr_path_ok(path, len))
		goto out;
	path[len] = '\0';
	ret = au_dr_part_find(br, path, dr->ino, dr);
	kfree(path);
	return ret ?: AU_DR_PATH;

out:
	kfree(path);
	if (ret)
		return ret;
bad:
	pr_warn_ratelimited("%pd2: not a note of a renamed directory, ignored\n",
			    h->dentry);
	return 0;
}

/**
 * au_dr_note - what a renamed directory's note says of a lower branch
 * @wbr: the branch of @h_dir
 * @h_dir: a directory in @wbr's set (au_dr_marked())
 * @br: a branch below
 * @dr: filled with what the note for @br says
 *
 * Runs with the mounter's credentials.
 *
 * Return: 0 if @h_dir holds no note for @br, or none that can be read;
 * AU_DR_NAME if the part is to be looked up by @dr->name; AU_DR_PATH if
 * the note named the part by its path from @br's root: @dr->part is it,
 * or %NULL if that path holds no directory of the noted number; or a
 * negative errno.  @dr->ino is the noted number.
 */
int au_dr_note(struct au_branch *wbr, struct dentry *h_dir,
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
	ret = d_is_positive(h.dentry) ? au_dr_note_read(&h, br, dr) : 0;
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

/* The directory of stack @di on @br, or %NULL. */
static struct dentry *au_dr_dir_on(const struct au_dinfo *di,
				   const struct au_branch *br)
{
	unsigned int i;

	for (i = au_di_first(di); i < di->n; i++)
		if (di->h[i].br == br)
			return di->h[i].dentry;
	return NULL;
}

/*
 * The note for @part, a lower part on @br of a directory moving from
 * @old_parent into @new_parent: in *@data, *@len bytes.  A part in the
 * directory of both parents on its branch (a rename within the parent)
 * is named by its name (the first form, which out-of-tree aufs reads);
 * any other by its path from @br's root (the second form).  A note of
 * the first form written before a move to another parent would name
 * nothing until the move, and the directory would show its parts under
 * neither name after a crash in between; one of the second form names
 * the part from anywhere.  Either is checked to lead back to the part.
 */
static int au_dr_note_make(const struct au_dinfo *old_parent,
			   const struct au_dinfo *new_parent,
			   struct au_branch *br, struct dentry *part,
			   u8 **data, int *len)
{
	struct dentry *h_parent = au_dr_dir_on(new_parent, br), *p, *found;
	char *buf, *root, *path, *rpath;
	struct name_snapshot name;
	size_t rlen;
	int err;

	p = dget_parent(part);
	if (h_parent && d_inode(p) == d_inode(h_parent) &&
	    h_parent == au_dr_dir_on(old_parent, br)) {
		take_dentry_name_snapshot(&name, part);
		found = lookup_one_unlocked(mnt_idmap(br->path.mnt),
					    name.name.name, p, name.name.len);
		err = PTR_ERR_OR_ZERO(found);
		if (!err && found != part)
			err = -EXDEV;
		if (!IS_ERR(found))
			dput(found);
		*len = AUFS_DR_HDR + name.name.len;
		*data = err ? NULL : kzalloc(*len, GFP_KERNEL);
		if (*data) {
			put_unaligned_be32(AUFS_DR_MAGIC, *data);
			(*data)[16] = name.name.len;
			memcpy(*data + AUFS_DR_HDR, name.name.name,
			       name.name.len);
		}
		release_dentry_name_snapshot(&name);
		dput(p);
		if (err)
			return err;
		goto out;
	}
	dput(p);

	err = -ENOMEM;
	buf = __getname();
	root = __getname();
	if (!buf || !root)
		goto out_free;
	err = -EXDEV;
	path = dentry_path_raw(part, buf, PATH_MAX);
	rpath = dentry_path_raw(br->path.dentry, root, PATH_MAX);
	if (IS_ERR(path) || IS_ERR(rpath))
		goto out_free;
	rlen = strcmp(rpath, "/") ? strlen(rpath) : 0;
	if (strncmp(path, rpath, rlen) || path[rlen] != '/')
		goto out_free;
	path += rlen + 1;
	if (!au_dr_path_ok(path, strlen(path)))
		goto out_free;
	/* what a lookup will find: the part, or the move is refused */
	found = au_dr_walk(br, path);
	err = PTR_ERR_OR_ZERO(found);
	if (err)
		goto out_free;
	err = found == part ? 0 : -EXDEV;
	dput(found);
	if (err)
		goto out_free;
	*len = AUFS_DR_HDR + strlen(path);
	*data = kzalloc(*len, GFP_KERNEL);
	if (*data) {
		put_unaligned_be32(AUFS_DR_MAGIC_PATH, *data);
		put_unaligned_be16(strlen(path), *data + 16);
		memcpy(*data + AUFS_DR_HDR, path, strlen(path));
	}
out_free:
	if (root)
		__putname(root);
	if (buf)
		__putname(buf);
	if (err)
		return err;
out:
	if (!*data)
		return -ENOMEM;
	put_unaligned_be64(d_inode(part)->i_ino, *data + 8);
	return 0;
}

/* Up to @size bytes of the note @h in @buf: the count or an errno. */
static ssize_t au_dr_note_get(const struct path *h, u8 *buf, size_t size)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	if (!d_is_reg(h->dentry))
		return -EIO;
	f = dentry_open(h, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, size, &pos);
	fput(f);
	return n;
}

/*
 * Make the note @p hold @data (@len bytes), synced: whole on the disk
 * before the rename it is for.  The note is written over in place, so
 * it needs no new inode (a copy-on-write filesystem still needs room
 * for its data, as does a note that grows).  No other task reads the
 * notes of a directory while it is renamed: its dentry is cached, and
 * a walk that revalidates it waits on its copy-up mutex.
 */
static int au_dr_note_fill(const struct path *p, const u8 *data, int len)
{
	struct inode *inode = d_inode(p->dentry);
	struct iattr attr = { .ia_valid = ATTR_SIZE, .ia_size = len };
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	int err;

	f = dentry_open(p, O_WRONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = __kernel_write(f, data, len, &pos);
	err = n == len ? 0 : n < 0 ? n : -EIO;
	if (!err && i_size_read(inode) > len) {
		inode_lock(inode);
		err = notify_change(mnt_idmap(p->mnt), p->dentry, &attr, NULL);
		inode_unlock(inode);
	}
	if (!err)
		err = vfs_fsync(f, 0);
	fput(f);
	return err;
}

/* Make the note @p (negative, in @dir, locked) hold @data (@len bytes). */
static int au_dr_note_put(struct mnt_idmap *idmap, struct inode *dir,
			  const struct path *p, const u8 *data, int len)
{
	int err;

	err = vfs_create(idmap, dir, p->dentry, S_IFREG | 0600, true);
	if (err)
		return err;
	err = au_dr_note_fill(p, data, len);
	if (err)
		vfs_unlink(idmap, dir, p->dentry, NULL);
	return err;
}

/*
 * Write the note @data (@len bytes) for a part on @br in @h_dir (the
 * top copy on @wbr, locked).  A note there that says something else (it
 * named the part from where the directory was) is written over; what
 * it held goes to @old, for au_dr_take_back().
 *
 * Return: 1 if the note was made, 0 if an equal one is there, or a
 * negative errno (the note there, if any, is put back as it was).
 */
static int au_dr_note_write(struct au_branch *wbr, struct dentry *h_dir,
			    struct au_branch *br, const u8 *data, int len,
			    struct au_dr_old *old)
{
	char name[sizeof(AUFS_DR_PFX) + sizeof(br->dr_name)];
	struct mnt_idmap *idmap = mnt_idmap(wbr->path.mnt);
	struct path p = { .mnt = wbr->path.mnt };
	ssize_t n;
	u8 *buf;
	int err;

	if (!au_dr_note_name(br, name, sizeof(name)))
		return -EXDEV;
	p.dentry = lookup_one(idmap, name, h_dir, strlen(name));
	if (IS_ERR(p.dentry))
		return PTR_ERR(p.dentry);
	if (d_is_negative(p.dentry)) {
		err = au_dr_note_put(idmap, d_inode(h_dir), &p, data, len);
		goto out;
	}
	/* not a note this aufs wrote: left alone, the rename is not made */
	err = -EXDEV;
	if (!d_is_reg(p.dentry) || d_inode(p.dentry)->i_nlink != 1 ||
	    i_size_read(d_inode(p.dentry)) > AUFS_DR_HDR + PATH_MAX)
		goto out;
	err = -ENOMEM;
	buf = kmalloc(AUFS_DR_HDR + PATH_MAX, GFP_KERNEL);
	if (!buf)
		goto out;
	n = au_dr_note_get(&p, buf, AUFS_DR_HDR + PATH_MAX);
	err = n < 0 ? n : 0;
	if (err || (n == len && !memcmp(buf, data, len))) {
		kfree(buf);
		dput(p.dentry);
		return err;
	}
	err = au_dr_note_fill(&p, data, len);
	if (err) {
		if (au_dr_note_fill(&p, buf, n))
			pr_warn_ratelimited("%pd2/%s: damaged\n", h_dir, name);
		kfree(buf);
	} else {
		old->data = buf;
		old->len = n;
	}
out:
	dput(p.dentry);
	return err ?: 1;
}

/*
 * Take back the notes @undo made in @h_dir (locked): remove each, or
 * put back what one held before; best effort, with a warning.
 */
static void au_dr_take_back(struct au_branch *wbr, struct dentry *h_dir,
			    struct au_dr_undo *undo)
{
	char name[sizeof(AUFS_DR_PFX) + sizeof(wbr->dr_name)];
	struct mnt_idmap *idmap = mnt_idmap(wbr->path.mnt);
	const struct au_dinfo *di = undo->di;
	struct path p = { .mnt = wbr->path.mnt };
	struct au_dr_old *old;
	unsigned int i;
	int err;

	for_each_set_bit(i, undo->made, di->n) {
		old = &undo->old[i];
		au_dr_note_name(di->h[i].br, name, sizeof(name));
		p.dentry = lookup_one(idmap, name, h_dir, strlen(name));
		err = PTR_ERR_OR_ZERO(p.dentry);
		if (err)
			goto warn;
		if (d_is_negative(p.dentry))
			err = -ENOENT;
		else if (old->data)
			err = au_dr_note_fill(&p, old->data, old->len);
		else
			err = vfs_unlink(idmap, d_inode(h_dir), p.dentry, NULL);
		dput(p.dentry);
warn:
		if (err)
			pr_warn_ratelimited("%pd2/%s: not taken back: %pe\n",
					    h_dir, name, ERR_PTR(err));
	}
}

/**
 * au_dr_store - write the notes of a directory about to be renamed
 * @dentry: the directory, copied up, with lower parts; its parent locked
 * @new_parent: the directory it moves into, locked
 * @undo: set to what au_dr_undo() takes back
 *
 * Runs with the mounter's credentials; the caller holds write access
 * to the top branch.  On an error, the notes are as they were.
 *
 * Return: 0 or a negative errno (-EXDEV: a part's branch has no name,
 * or a part cannot be named by its path).
 */
int au_dr_store(struct dentry *dentry, const struct dentry *new_parent,
		struct au_dr_undo *undo)
{
	const struct au_dinfo *di = au_di(dentry);
	struct au_branch *wbr = au_wbr(dentry->d_sb);
	struct dentry *h_dir = au_h_dentry(dentry);
	unsigned int i;
	u8 **data;
	int *len;
	int err;

	data = kcalloc(di->n, sizeof(*data), GFP_KERNEL);
	len = kcalloc(di->n, sizeof(*len), GFP_KERNEL);
	undo->made = bitmap_zalloc(di->n, GFP_KERNEL);
	undo->old = kcalloc(di->n, sizeof(*undo->old), GFP_KERNEL);
	undo->di = di;
	err = -ENOMEM;
	if (!data || !len || !undo->made || !undo->old)
		goto out;
	/* first: no lower branch is walked with the top copy locked */
	for (i = au_di_first(di); i < di->n; i++) {
		if (di->h[i].br == wbr)
			continue;
		err = au_dr_note_make(au_di(dentry->d_parent),
				      au_di(new_parent), di->h[i].br,
				      di->h[i].dentry, &data[i], &len[i]);
		if (err)
			goto out;
	}
	err = au_dr_note_dir(wbr, h_dir);
	if (err)
		goto out;
	inode_lock_nested(d_inode(h_dir), I_MUTEX_PARENT);
	for (i = au_di_first(di); i < di->n && err >= 0; i++) {
		if (di->h[i].br == wbr)
			continue;
		err = au_dr_note_write(wbr, h_dir, di->h[i].br, data[i],
				       len[i], &undo->old[i]);
		if (err > 0)
			__set_bit(i, undo->made);
	}
	if (err < 0)
		au_dr_take_back(wbr, h_dir, undo);
	inode_unlock(d_inode(h_dir));
	if (err > 0)
		err = 0;
out:
	if (data)
		for (i = 0; i < di->n; i++)
			kfree(data[i]);
	kfree(data);
	kfree(len);
	if (err)
		au_dr_done(undo);
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
	au_dr_take_back(wbr, h_dir, undo);
	inode_unlock(d_inode(h_dir));
	au_dr_done(undo);
}

/**
 * au_dr_done - forget what au_dr_store() set, after a rename
 * @undo: what au_dr_store() set
 */
void au_dr_done(struct au_dr_undo *undo)
{
	unsigned int i;

	if (undo->old)
		for (i = 0; i < undo->di->n; i++)
			kfree(undo->old[i].data);
	kfree(undo->old);
	undo->old = NULL;
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

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: names changed straight on a branch (udba=reval).
 *
 * Users change branches beside a mounted union.  With udba=reval, the
 * default, a dentry is looked up again when a branch directory its
 * lookup read has changed since, so that a name made, removed or
 * replaced straight on a branch shows at the next walk through the
 * union.
 *
 * A lookup records in the name's stack which stack of the parent it
 * read (&au_dinfo.pdi, .pfirst, .pn) and the i_version and ctime of each
 * of these branch directories, read before it looked in it
 * (au_lookup_branches()).  ->d_revalidate() compares them, under RCU,
 * without a lock and without writing; a change sends the walk to the
 * locked path, which looks the name up again.  The same branch dentries
 * make the dentry current again, with the new state recorded; another
 * result makes the VFS drop the dentry and look the name up afresh.
 * Open files keep what they opened.
 *
 * Limits: on a branch filesystem without SB_I_VERSION only the ctime
 * tells, so a change within the clock tick of the lookup is seen at the
 * next change of that directory, as are the changes rdcache.c names.  A
 * directory in use (a working directory, an open directory) whose lower
 * branch directories change keeps its merge while it is in use: the VFS
 * splices the new lookup to it.  An opaque marker made straight inside
 * a directory shows once the directory's parent changes or its dentry
 * goes: the lookup of the directory's name decided what it merges.
 *
 * Locking: &au_dinfo.pseq makes the record one for the readers under
 * RCU; the locked path runs under the mount's rwsem held shared, as a
 * lookup does, and takes &au_dinfo.pseq inside it.
 */

#include <linux/cred.h>
#include <linux/iversion.h>
#include <linux/namei.h>

#include "aufs.h"

/**
 * au_dver_read - record the state of a branch directory
 * @ver: where it goes
 * @h_dir: the directory, about to be looked in
 *
 * A change of its entries afterwards moves its i_version (on filesystems
 * that keep one, see rdcache.c) or its ctime.
 */
void au_dver_read(struct au_rdver *ver, struct inode *h_dir)
{
	ver->version = IS_I_VERSION(h_dir) ? inode_query_iversion(h_dir) : 0;
	ver->ctime = inode_get_ctime(h_dir);
}

/* Whether @h_dir is as @ver recorded it; may run under RCU only. */
static bool au_dver_same(const struct au_rdver *ver,
			 const struct inode *h_dir)
{
	struct timespec64 ctime;

	if (!h_dir || IS_DEADDIR(h_dir))
		return false;
	if (IS_I_VERSION(h_dir) && inode_peek_iversion(h_dir) != ver->version)
		return false;
	ctime = inode_get_ctime(h_dir);
	return timespec64_equal(&ctime, &ver->ctime);
}

/*
 * udba=reval: whether the parent directories the lookup of a name read
 * are as they were then, @pdi being the parent's stack now.  Runs under
 * RCU: stacks are freed after a grace period, and the branch dentries a
 * live stack holds stay.  A read that races with au_d_reval_lookup()
 * may see a mix of two records until the seqlock sends it round again:
 * each field is read once, and each value ever stored is within bounds
 * (@pn never exceeds @pmax), so the mix indexes nothing out of them.
 */
static bool au_d_unchanged(const struct au_dinfo *di,
			   const struct au_dinfo *pdi)
{
	unsigned int seq, i, pfirst, pn;
	bool same;

	do {
		seq = read_seqbegin(&di->pseq);
		pfirst = READ_ONCE(di->pfirst);
		pn = READ_ONCE(di->pn);
		same = READ_ONCE(di->pdi) == pdi &&
		       pfirst == au_di_first(pdi) && pfirst + pn <= pdi->n;
		for (i = 0; same && i < pn; i++) {
			struct dentry *h = pdi->h[pfirst + i].dentry;

			same = au_dver_same(&di->pver[i], d_inode_rcu(h));
		}
	} while (read_seqretry(&di->pseq, seq));
	return same;
}

/* Whether the lookup result @found is the object @dentry stands for. */
static bool au_d_same_stack(const struct dentry *dentry,
			    const struct au_dinfo *di,
			    const struct au_dinfo *found)
{
	unsigned int i, first = au_di_first(di);

	if (d_really_is_negative(dentry))
		return found->n == 1;
	if (found->n == 1 || found->h[1].dentry != di->h[first].dentry)
		return false;
	if (!d_is_dir(dentry))
		return true;
	/* a directory: merged with the same directories below */
	if (found->n - 1 != di->n - first)
		return false;
	for (i = 2; i < found->n; i++)
		if (found->h[i].dentry != di->h[first + i - 1].dentry)
			return false;
	return true;
}

/*
 * udba=reval, a parent directory changed since @dentry was looked up:
 * look the name up again.  The same result makes the dentry current,
 * with the directories' new state recorded; another result makes the
 * VFS drop it and look the name up afresh.
 */
static int au_d_reval_lookup(struct dentry *dentry)
{
	struct super_block *sb = dentry->d_sb;
	struct au_sbinfo *sbi = au_sbi(sb);
	struct dentry *parent = dget_parent(dentry);
	struct au_dinfo *di, *found = NULL;
	const struct cred *old_cred;
	struct name_snapshot name;
	int valid = 0;

	au_read_lock(sb);
	if (dentry->d_time != sbi->gen)
		goto out;
	di = au_di(dentry);
	found = au_dinfo_alloc(au_di(parent)->n);
	valid = -ENOMEM;
	if (!found)
		goto out;
	take_dentry_name_snapshot(&name, dentry);
	old_cred = override_creds(sbi->cred);
	valid = au_lookup_branches(au_di(parent), &name.name, found);
	revert_creds(old_cred);
	release_dentry_name_snapshot(&name);
	if (valid || !au_d_same_stack(dentry, di, found))
		goto out;
	valid = 1;
	if (found->pdi && found->pn <= di->pmax) {
		write_seqlock(&di->pseq);
		WRITE_ONCE(di->pdi, found->pdi);
		WRITE_ONCE(di->pfirst, found->pfirst);
		WRITE_ONCE(di->pn, found->pn);
		memcpy(di->pver, found->pver, found->pn * sizeof(*di->pver));
		write_sequnlock(&di->pseq);
	}
out:
	au_dinfo_free(found);
	au_read_unlock(sb);
	dput(parent);
	return valid;
}

/**
 * au_d_reval - whether a dentry still stands for what the branches hold
 * @dentry: an aufs dentry other than the root, current in this
 *	generation of the branch table
 * @flags: the lookup flags of ->d_revalidate()
 *
 * Return: 1 if it does, 0 if the VFS is to look its name up again,
 * -ECHILD to leave RCU-walk, or another negative errno.
 */
int au_d_reval(struct dentry *dentry, unsigned int flags)
{
	const struct au_dinfo *di, *pdi;
	bool same;

	rcu_read_lock();
	di = READ_ONCE(dentry->d_fsdata);
	pdi = READ_ONCE(READ_ONCE(dentry->d_parent)->d_fsdata);
	same = di && pdi && au_d_unchanged(di, pdi);
	rcu_read_unlock();
	if (same)
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;
	return au_d_reval_lookup(dentry);
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * aufs: the branch table.
 *
 * A branch list is written "DIR[=PERM]:DIR[=PERM]...", the top branch
 * first.  au_br_spec_parse() splits it without touching any path, so the
 * syntax can be tested on its own; au_br_table_init() resolves the paths
 * and checks that they make a sane union.
 */

#include <kunit/visibility.h>
#include <linux/cred.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "aufs.h"

static const char *const au_br_perm_names[] = {
	[AU_BR_RW]	= "rw",
	[AU_BR_RO]	= "ro",
	[AU_BR_RR]	= "rr",
	[AU_BR_ROWH]	= "ro+wh",
};

/**
 * au_br_perm_parse - parse a branch permission
 * @str: "rw", "ro", "rr" or "ro+wh"
 * @perm: where the result goes
 *
 * Return: 0, or -EINVAL for anything else.
 */
int au_br_perm_parse(const char *str, enum au_br_perm *perm)
{
	int i = match_string(au_br_perm_names, ARRAY_SIZE(au_br_perm_names),
			     str);

	if (i < 0)
		return -EINVAL;
	*perm = i;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_perm_parse);

/**
 * au_br_perm_str - the name of a branch permission
 * @perm: the permission
 *
 * Return: the name, as au_br_perm_parse() accepts it.
 */
const char *au_br_perm_str(enum au_br_perm perm)
{
	return au_br_perm_names[perm];
}
EXPORT_SYMBOL_IF_KUNIT(au_br_perm_str);

/**
 * au_br_whable - whether whiteouts on a branch count
 * @br: the branch
 *
 * Return: true if whiteouts on @br hide names of lower branches.
 */
bool au_br_whable(const struct au_branch *br)
{
	return br->perm == AU_BR_RW || br->perm == AU_BR_ROWH;
}

/**
 * au_br_spec_parse - split a branch list into branch specifications
 * @str: "DIR[=PERM]:DIR[=PERM]...", top first; cut up in place
 * @specs: room for %AUFS_BRANCH_MAX results
 * @log: where a reason for a failure is reported
 *
 * The permission is whatever follows the last '=' of an element, so a
 * directory name may hold '=' as long as a permission is given.  Without
 * one, the top branch is "rw" and the others "ro".  Nothing here looks a
 * path up.
 *
 * Return: the number of branches, or -EINVAL with a reason in @log.
 */
int au_br_spec_parse(char *str, struct au_br_spec *specs, struct p_log *log)
{
	unsigned int n = 0;
	char *elem;

	if (!*str)
		return inval_plog(log, "br= needs at least one branch");

	while ((elem = strsep(&str, ":"))) {
		struct au_br_spec *spec;
		char *perm;

		if (!*elem)
			return inval_plog(log, "empty branch in branch list");
		if (n == AUFS_BRANCH_MAX)
			return inval_plog(log, "more than %d branches",
					  AUFS_BRANCH_MAX);
		spec = &specs[n];
		spec->perm = n ? AU_BR_RO : AU_BR_RW;
		perm = strrchr(elem, '=');
		if (perm) {
			*perm++ = '\0';
			if (au_br_perm_parse(perm, &spec->perm))
				return inval_plog(log,
						  "unknown branch permission '%s'",
						  perm);
			if (!*elem)
				return inval_plog(log,
						  "branch with permission '%s' has no directory",
						  perm);
		}
		spec->path = elem;
		n++;
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(au_br_spec_parse);

static int au_br_check(const struct au_sbinfo *sbi, unsigned int bindex,
		       const struct au_br_spec *specs, struct p_log *log)
{
	const struct path *path = &sbi->branches[bindex].path;
	unsigned int i;

	for (i = 0; i < bindex; i++) {
		const struct path *other = &sbi->branches[i].path;

		if (path_equal(path, other))
			return inval_plog(log, "branch '%s' is the same directory as branch '%s'",
					  specs[bindex].path, specs[i].path);
		if (path_is_under(path, other))
			return inval_plog(log, "branch '%s' is inside branch '%s'",
					  specs[bindex].path, specs[i].path);
		if (path_is_under(other, path))
			return inval_plog(log, "branch '%s' is inside branch '%s'",
					  specs[i].path, specs[bindex].path);
	}
	return 0;
}

/**
 * au_br_table_init - resolve branch specifications into the branch table
 * @sbi: the mount's state; its table must be empty
 * @specs: @n parsed specifications, top first
 * @n: number of branches, 1 to %AUFS_BRANCH_MAX
 * @log: where a reason for a failure is reported
 *
 * Every path must name a directory; no two branches may be the same
 * directory or lie one inside the other.  On failure nothing is kept.
 *
 * Return: 0, or -EINVAL with a reason in @log (-ENOMEM without one).
 */
int au_br_table_init(struct au_sbinfo *sbi, const struct au_br_spec *specs,
		     unsigned int n, struct p_log *log)
{
	unsigned int i;
	int err = 0;

	sbi->branches = kcalloc(n, sizeof(*sbi->branches), GFP_KERNEL);
	if (!sbi->branches)
		return -ENOMEM;

	for (i = 0; i < n; i++) {
		struct au_branch *br = &sbi->branches[i];

		err = kern_path(specs[i].path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
				&br->path);
		if (err) {
			err = inval_plog(log, "branch '%s': %s", specs[i].path,
					 err == -ENOENT ? "no such directory" :
					 err == -ENOTDIR ? "not a directory" :
					 "cannot be looked up");
			break;
		}
		sbi->nbranch = i + 1;
		if (br->path.mnt->mnt_sb->s_magic == AUFS_SUPER_MAGIC) {
			/* one lock class for both levels: lockdep cannot tell them apart */
			err = inval_plog(log, "branch '%s': aufs cannot be a branch of aufs",
					 specs[i].path);
			break;
		}
		if (is_idmapped_mnt(br->path.mnt)) {
			err = inval_plog(log, "branch '%s': idmapped mounts are not supported",
					 specs[i].path);
			break;
		}
		br->perm = specs[i].perm;
		br->id = i;
		err = au_br_check(sbi, i, specs, log);
		if (err)
			break;
	}
	if (err)
		au_br_table_free(sbi);
	return err;
}

/**
 * au_br_table_free - drop every branch
 * @sbi: the mount's state
 */
void au_br_table_free(struct au_sbinfo *sbi)
{
	unsigned int i;

	for (i = 0; i < sbi->nbranch; i++)
		path_put(&sbi->branches[i].path);
	kfree(sbi->branches);
	sbi->branches = NULL;
	sbi->nbranch = 0;
}

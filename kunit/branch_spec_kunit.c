// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the aufs branch list parser (no mount needed).
 */

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "aufs.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/**
 * struct au_spec_case - one branch list and what parsing it must give
 * @desc: case name
 * @input: the br= value
 * @nbr: branches expected, or a negative errno
 * @paths: expected directories, ':'-joined
 * @perms: expected permissions, ':'-joined
 */
struct au_spec_case {
	const char *desc;
	const char *input;
	int nbr;
	const char *paths;
	const char *perms;
};

static const struct au_spec_case au_spec_cases[] = {
	{ "one_branch_defaults_to_rw", "/a", 1, "/a", "rw" },
	{ "lower_branches_default_to_ro", "/a:/b:/c", 3, "/a:/b:/c", "rw:ro:ro" },
	{ "every_permission", "/a=rw:/b=ro:/c=rr:/d=ro+wh:/e=rr+wh", 5,
	  "/a:/b:/c:/d:/e", "rw:ro:rr:ro+wh:rr+wh" },
	{ "attributes_that_change_nothing", "/a=rw+nolwh:/b=ro+unpin:/c=rr+unpin+wh",
	  3, "/a:/b:/c", "rw:ro:rr+wh" },
	{ "wh_given_twice", "/a=ro+wh+wh", 1, "/a", "ro+wh" },
	{ "trailing_separator", "/a:/b:", 2, "/a:/b", "rw:ro" },
	{ "top_may_be_read_only", "/a=ro:/b=rw", 2, "/a:/b", "ro:rw" },
	{ "relative_paths_kept", "up:low=rr", 2, "up:low", "rw:rr" },
	{ "equals_sign_in_directory", "/a=b=ro", 1, "/a=b", "ro" },
	{ "empty_list", "", -EINVAL },
	{ "empty_first_branch", ":/a", -EINVAL },
	{ "empty_middle_branch", "/a::/b", -EINVAL },
	{ "two_trailing_separators", "/a::", -EINVAL },
	{ "wh_on_a_writable_branch", "/a=rw+wh", -EINVAL },
	{ "nolwh_on_a_read_only_branch", "/a=ro+nolwh", -EINVAL },
	{ "copy_up_on_open", "/a=rw+coo_reg", -EINVAL },
	{ "ignoring_xattr_errors", "/a=rw+icex", -EINVAL },
	{ "empty_attribute", "/a=ro+", -EINVAL },
	{ "attribute_without_permission", "/a=+wh", -EINVAL },
	{ "unknown_permission", "/a=rx", -EINVAL },
	{ "empty_permission", "/a=", -EINVAL },
	{ "permission_is_case_sensitive", "/a=RW", -EINVAL },
	{ "permission_without_directory", "=rw", -EINVAL },
	{ "permission_with_trailing_junk", "/a=ro+whx", -EINVAL },
	{ "only_separators", ":::", -EINVAL },
};

static void au_spec_case_desc(const struct au_spec_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(au_spec, au_spec_cases, au_spec_case_desc);

static char *au_test_strdup(struct kunit *test, const char *s)
{
	char *dup = kunit_kstrdup(test, s, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, dup);
	return dup;
}

static struct au_br_spec *au_test_specs(struct kunit *test)
{
	struct au_br_spec *specs;

	specs = kunit_kcalloc(test, AUFS_BRANCH_MAX, sizeof(*specs),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, specs);
	return specs;
}

static struct p_log au_test_log = { .prefix = "aufs-kunit" };

static void au_spec_parse_table(struct kunit *test)
{
	const struct au_spec_case *c = test->param_value;
	struct au_br_spec *specs = au_test_specs(test);
	char *paths, *perms;
	int i, n;

	n = au_br_spec_parse(au_test_strdup(test, c->input), specs,
			     &au_test_log);
	KUNIT_ASSERT_EQ(test, n, c->nbr);
	if (n < 0)
		return;

	paths = au_test_strdup(test, c->paths);
	perms = au_test_strdup(test, c->perms);
	for (i = 0; i < n; i++) {
		const char *want_path = strsep(&paths, ":");
		const char *want_perm = strsep(&perms, ":");

		KUNIT_ASSERT_NOT_NULL(test, want_path);
		KUNIT_ASSERT_NOT_NULL(test, want_perm);
		KUNIT_EXPECT_STREQ(test, specs[i].path, want_path);
		KUNIT_EXPECT_STREQ(test, au_br_perm_str(specs[i].perm),
				   want_perm);
	}
	KUNIT_EXPECT_NULL(test, paths);
	KUNIT_EXPECT_NULL(test, perms);
}

/* "/b0:/b1:..." with @n branches. */
static char *au_test_list(struct kunit *test, int n)
{
	char *list = kunit_kzalloc(test, n * 6 + 1, GFP_KERNEL);
	int i, len = 0;

	KUNIT_ASSERT_NOT_NULL(test, list);
	for (i = 0; i < n; i++)
		len += sprintf(list + len, "%s/b%d", i ? ":" : "", i);
	return list;
}

static void au_spec_parse_most_branches(struct kunit *test)
{
	struct au_br_spec *specs = au_test_specs(test);
	char *list = au_test_list(test, AUFS_BRANCH_MAX);

	KUNIT_ASSERT_EQ(test, au_br_spec_parse(list, specs, &au_test_log),
			AUFS_BRANCH_MAX);
	KUNIT_EXPECT_STREQ(test, specs[0].path, "/b0");
	KUNIT_EXPECT_EQ(test, specs[0].perm, AU_BR_RW);
	KUNIT_EXPECT_STREQ(test, specs[AUFS_BRANCH_MAX - 1].path, "/b126");
	KUNIT_EXPECT_EQ(test, specs[AUFS_BRANCH_MAX - 1].perm, AU_BR_RO);
}

static void au_spec_parse_too_many_branches(struct kunit *test)
{
	struct au_br_spec *specs = au_test_specs(test);
	char *list = au_test_list(test, AUFS_BRANCH_MAX + 1);

	KUNIT_EXPECT_EQ(test, au_br_spec_parse(list, specs, &au_test_log),
			-EINVAL);
}

static void au_perm_names_round_trip(struct kunit *test)
{
	static const enum au_br_perm perms[] = {
		AU_BR_RW, AU_BR_RO, AU_BR_RR, AU_BR_ROWH, AU_BR_RRWH,
	};
	enum au_br_perm got;
	int i;

	for (i = 0; i < ARRAY_SIZE(perms); i++) {
		KUNIT_ASSERT_EQ(test, au_br_perm_parse(au_br_perm_str(perms[i]),
						       &got, &au_test_log), 0);
		KUNIT_EXPECT_EQ(test, got, perms[i]);
	}
	KUNIT_EXPECT_EQ(test, au_br_perm_parse("wh", &got, &au_test_log),
			-EINVAL);
}

static struct kunit_case au_branch_spec_cases[] = {
	KUNIT_CASE_PARAM(au_spec_parse_table, au_spec_gen_params),
	KUNIT_CASE(au_spec_parse_most_branches),
	KUNIT_CASE(au_spec_parse_too_many_branches),
	KUNIT_CASE(au_perm_names_round_trip),
	{}
};

static struct kunit_suite au_branch_spec_suite = {
	.name = "aufs_branch_spec",
	.test_cases = au_branch_spec_cases,
};

kunit_test_suite(au_branch_spec_suite);

MODULE_DESCRIPTION("KUnit tests for the aufs branch list parser");
MODULE_LICENSE("GPL");

/*
 * A temporary directory per test program (static: one per file that
 * includes this), under $TMPDIR or /tmp, removed with its contents.
 */
#ifndef ESD_TESTS_UNIT_TMPDIR_H
#define ESD_TESTS_UNIT_TMPDIR_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static char tmpdir[PATH_MAX];

/* Creates tmpdir as $TMPDIR/esd-<name>-<random>. 0 or -1. */
static inline int unit_tmpdir_make(const char *name)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/esd-%s-XXXXXX", /* mkdtemp */
		 t != NULL && t[0] != '\0' ? t : "/tmp", name);
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static inline int unit_tmpdir_rm_entry(const char *path, const struct stat *st,
				       int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes tmpdir and everything in it. */
static inline int unit_tmpdir_remove(void)
{
	return nftw(tmpdir, unit_tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif

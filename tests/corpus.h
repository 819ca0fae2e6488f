/* SPDX-License-Identifier: MIT */
/*
 * corpus.h - replaying a fuzz target's checked-in corpus as test cases: the
 * seed files of a folder, sorted by name, and a seed's bytes. Each corpus
 * test (test_corpus, test_sim_corpus, test_trace, test_live_corpus) registers
 * one cmocka case per seed with its path as the case's state.
 */
#ifndef EPCMM_TESTS_CORPUS_H
#define EPCMM_TESTS_CORPUS_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Largest seed read (libFuzzer's default -max_len is far below it). */
#define CORPUS_MAX_SEED (1 << 22)

static inline int corpus_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths of @dir's files (dot files left out), sorted; NULL if @dir is missing. */
static inline char **corpus_list(const char *dir, size_t *nr)
{
	DIR *d = opendir(dir);
	char **paths = NULL;
	struct dirent *de;
	size_t n = 0;

	*nr = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		paths = realloc(paths, (n + 1) * sizeof(*paths));
		if (!paths || asprintf(&paths[n], "%s/%s", dir, de->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	qsort(paths, n, sizeof(*paths), corpus_cmp);
	*nr = n;
	return paths;
}

static inline void corpus_free(char **paths, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(paths[i]);
	free(paths);
}

/* The seed's file name (the last component of @path). */
static inline const char *corpus_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* The bytes of seed @path (free() them); fails the case if it cannot be read. */
static inline uint8_t *corpus_read(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = malloc(CORPUS_MAX_SEED + 1);
	size_t n;

	if (!f || !data)
		fail_msg("cannot read the seed %s", path);
	n = fread(data, 1, CORPUS_MAX_SEED + 1, f);
	fclose(f);
	if (n > CORPUS_MAX_SEED)
		fail_msg("seed %s is larger than %d bytes", path, CORPUS_MAX_SEED);
	*size = n;
	return data;
}

/* Fail unless @dir holds at least @min seeds. */
static inline void corpus_check_size(const char *dir, size_t min)
{
	size_t n;
	char **paths = corpus_list(dir, &n);

	if (n < min)
		fail_msg("%zu seeds in %s, expected at least %zu", n, dir, min);
	corpus_free(paths, n);
}

/*
 * Run cmocka group @group: the @nr_fixed cases of @fixed, then one case per
 * seed of @dir, named @prefix and the file name, running @fn with the seed's
 * path as its state. @teardown (may be NULL) runs after the group.
 * Return: cmocka's result.
 */
static inline int corpus_run(const char *group, const struct CMUnitTest *fixed, size_t nr_fixed,
			     const char *dir, const char *prefix, CMUnitTestFunction fn,
			     CMFixtureFunction teardown)
{
	size_t n;
	char **seeds = corpus_list(dir, &n);
	struct CMUnitTest *tests = calloc(nr_fixed + n, sizeof(*tests));
	int ret;

	if (!tests)
		abort();
	memcpy(tests, fixed, nr_fixed * sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		char *name;

		if (asprintf(&name, "%s%s", prefix, corpus_name(seeds[i])) < 0)
			abort();
		tests[nr_fixed + i] = (struct CMUnitTest){
			.name = name, .test_func = fn, .initial_state = seeds[i]};
	}
	ret = _cmocka_run_group_tests(group, tests, nr_fixed + n, NULL, teardown);
	for (size_t i = 0; i < n; i++)
		free((char *)tests[nr_fixed + i].name);
	corpus_free(seeds, n);
	free(tests);
	return ret;
}

#endif

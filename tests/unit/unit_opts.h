/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the option-parsing tests: the argument vector they build (a
 * program name, then a NULL-terminated list of strings taken from a
 * va_list, so each test writes its command line inline as
 * parse(..., "--opt", "value", NULL)), and the check that a program's
 * --help text names every option and fits a terminal. Header-only,
 * included by the test programs that parse options.
 */
#ifndef XDPFLOW_TESTS_UNIT_OPTS_H
#define XDPFLOW_TESTS_UNIT_OPTS_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "unit.h"

/* Fills argv (room for max + 2 pointers) with prog and then the strings of
 * ap up to its NULL, at most max of them, and ends it with NULL; its count
 * into *argc. Returns NULL when the whole list fitted, else the first
 * string left out. */
static inline const char *unit_argv(char **argv, int *argc, int max,
				    const char *prog, va_list ap)
{
	const char *a;
	int n = 0;

	argv[n++] = (char *)prog;
	while ((a = va_arg(ap, const char *)) && n <= max)
		argv[n++] = (char *)a;
	argv[n] = NULL;
	*argc = n;
	return a;
}

/* Fails the test unless the usage text buf names every one of names[0..n)
 * and each of its lines ends in a newline within 79 columns. */
static inline void unit_check_usage(const char *buf, const char *const *names,
				    size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strstr(buf, names[i]))
			fail_msg("--help lacks %s", names[i]);
	/* Lines fit a terminal. */
	for (const char *line = buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl - line <= 79);
	}
}

#endif

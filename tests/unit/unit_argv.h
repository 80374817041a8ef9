/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The argument vector the option-parsing tests build: a program name, then
 * a NULL-terminated list of strings taken from a va_list, so each test
 * writes its command line inline as parse(..., "--opt", "value", NULL).
 * Header-only, included by the test programs that parse options.
 */
#ifndef XDPFLOW_TESTS_UNIT_ARGV_H
#define XDPFLOW_TESTS_UNIT_ARGV_H

#include <stdarg.h>
#include <stddef.h>

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

#endif

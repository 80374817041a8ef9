// SPDX-License-Identifier: Apache-2.0
/*
 * The log line formats: text with and without an exporter, JSON with the
 * exporter or null, quotes, backslashes, control and non-ASCII bytes
 * escaped so every line is valid ASCII JSON, a trailing newline not doubled,
 * and the level filter. stderr is redirected to a temporary file.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"

static char out[8192];

/* Runs the logging in fn with stderr in a file; leaves its text in out. */
static void capture(void (*fn)(void))
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(f);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void lines(void)
{
	pr_warn_exp("198.18.0.1", "error_template: template %u: %s", 256,
		    "bad");
	pr_info("running\n");
	pr_debug("not shown");
	pr_err("quote \" backslash \\ tab \t bell \a high \xc3\xa9");
}

static void test_text(void **state)
{
	(void)state;
	log_set_level(LOG_LVL_INFO);
	log_set_format(LOG_FMT_TEXT);
	capture(lines);
	assert_string_equal(
		out,
		"xdpflow: warning: exporter 198.18.0.1: error_template: template 256: bad\n"
		"xdpflow: info: running\n"
		"xdpflow: error: quote \" backslash \\ tab \t bell \a high \xc3\xa9\n");
}

/* Checks that line (up to its newline) is {"ts":"<RFC 3339 ms UTC>" then
 * rest; returns the next line. */
static char *json_line(char *line, const char *rest)
{
	char *nl = strchr(line, '\n');
	const char *ts = line + 7;

	assert_non_null(nl);
	*nl = '\0';
	assert_int_equal(strncmp(line, "{\"ts\":\"", 7), 0);
	for (int i = 0; i < 23; i++)
		assert_true(i == 4 || i == 7	 ? ts[i] == '-'
			    : i == 10		 ? ts[i] == 'T'
			    : i == 13 || i == 16 ? ts[i] == ':'
			    : i == 19		 ? ts[i] == '.'
				      : (ts[i] >= '0' && ts[i] <= '9'));
	assert_int_equal(ts[23], 'Z');
	assert_string_equal(ts + 24, rest);
	return nl + 1;
}

static void test_json(void **state)
{
	char *l;

	(void)state;
	log_set_level(LOG_LVL_INFO);
	log_set_format(LOG_FMT_JSON);
	capture(lines);
	log_set_format(LOG_FMT_TEXT);
	l = json_line(out,
		      "\",\"level\":\"warning\",\"msg\":\"error_template: "
		      "template 256: bad\",\"exporter\":\"198.18.0.1\"}");
	l = json_line(l,
		      "\",\"level\":\"info\",\"msg\":\"running\","
		      "\"exporter\":null}");
	l = json_line(l,
		      "\",\"level\":\"error\",\"msg\":\"quote \\\" backslash "
		      "\\\\ tab \\u0009 bell \\u0007 high \\u00c3\\u00a9\","
		      "\"exporter\":null}");
	assert_string_equal(l, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * The command-line machinery every xdpflow program shares: defaults from
 * the option tables, getopt_long's arrays and dispatch loop with the
 * one-line error messages, the --help row printer, and the setters and
 * parsers for integers, byte sizes, words and strings (see cli.h).
 */
#include "common/cli.h"

#include <errno.h>
#include <string.h>

int cli_bad(const struct cli_opt *d, const char *arg, const char *why,
	    char *err, size_t errlen)
{
	if (d->name)
		snprintf(err, errlen, "bad value '%s' for --%s: %s", arg,
			 d->name, why);
	else
		snprintf(err, errlen, "bad value '%s' for -%c: %s", arg,
			 d->short_name, why);
	return -EINVAL;
}

static int out_of_range(const struct cli_opt *d, const char *arg, char *err,
			size_t errlen)
{
	char why[96];

	snprintf(why, sizeof(why), "out of range %llu..%llu",
		 (unsigned long long)d->min, (unsigned long long)d->max);
	return cli_bad(d, arg, why, err, errlen);
}

/* Decimal digits with an optional K/M/G suffix when suffix is set. */
static int parse_num(const struct cli_opt *d, const char *arg, bool suffix,
		     uint64_t *out, char *err, size_t errlen)
{
	uint64_t v = 0, mult = 1;
	const char *p = arg;

	if (*p < '0' || *p > '9')
		return cli_bad(d, arg, "not a number", err, errlen);
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return out_of_range(d, arg, err, errlen);
		v = v * 10 + digit;
	}
	if (suffix && *p) {
		switch (*p) {
		case 'k':
		case 'K':
			mult = 1ULL << 10;
			break;
		case 'm':
		case 'M':
			mult = 1ULL << 20;
			break;
		case 'g':
		case 'G':
			mult = 1ULL << 30;
			break;
		default:
			return cli_bad(d, arg,
				       "not a number (suffixes K, M, G)", err,
				       errlen);
		}
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
	}
	if (*p)
		return cli_bad(d, arg, "not a number", err, errlen);
	if (v > UINT64_MAX / mult)
		return out_of_range(d, arg, err, errlen);
	v *= mult;
	if (v < d->min || v > d->max)
		return out_of_range(d, arg, err, errlen);
	*out = v;
	return 0;
}

int cli_parse_uint(const struct cli_opt *d, const char *arg, uint64_t *out,
		   char *err, size_t errlen)
{
	return parse_num(d, arg, false, out, err, errlen);
}

int cli_parse_bytes(const struct cli_opt *d, const char *arg, uint64_t *out,
		    char *err, size_t errlen)
{
	return parse_num(d, arg, true, out, err, errlen);
}

int cli_pick(const struct cli_opt *d, const char *arg,
	     const struct cli_choice *c, size_t n, const char *words, int *out,
	     char *err, size_t errlen)
{
	char why[96];

	for (size_t i = 0; i < n; i++) {
		if (strcmp(arg, c[i].word) == 0) {
			*out = c[i].value;
			return 0;
		}
	}
	snprintf(why, sizeof(why), "expected %s", words);
	return cli_bad(d, arg, why, err, errlen);
}

static void *field(void *target, const struct cli_opt *d)
{
	return (char *)target + d->off;
}

int cli_set_uint(void *target, const struct cli_opt *d, const char *arg,
		 char *err, size_t errlen)
{
	uint64_t v;
	int rc = cli_parse_uint(d, arg, &v, err, errlen);

	if (!rc)
		*(unsigned *)field(target, d) = (unsigned)v;
	return rc;
}

int cli_set_ulong(void *target, const struct cli_opt *d, const char *arg,
		  char *err, size_t errlen)
{
	uint64_t v;
	int rc = cli_parse_uint(d, arg, &v, err, errlen);

	if (!rc)
		*(unsigned long *)field(target, d) = (unsigned long)v;
	return rc;
}

int cli_set_u64(void *target, const struct cli_opt *d, const char *arg,
		char *err, size_t errlen)
{
	return cli_parse_uint(d, arg, (uint64_t *)field(target, d), err,
			      errlen);
}

int cli_set_bytes(void *target, const struct cli_opt *d, const char *arg,
		  char *err, size_t errlen)
{
	uint64_t v;
	int rc = cli_parse_bytes(d, arg, &v, err, errlen);

	if (!rc)
		*(unsigned long *)field(target, d) = (unsigned long)v;
	return rc;
}

int cli_set_str(void *target, const struct cli_opt *d, const char *arg,
		char *err, size_t errlen)
{
	if (!*arg)
		return cli_bad(d, arg, "empty", err, errlen);
	*(const char **)field(target, d) = arg;
	return 0;
}

int cli_set_any_str(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	(void)err, (void)errlen;
	*(const char **)field(target, d) = arg;
	return 0;
}

int cli_set_help(void *target, const struct cli_opt *d, const char *arg,
		 char *err, size_t errlen)
{
	(void)target, (void)d, (void)arg, (void)err, (void)errlen;
	return CLI_HELP;
}

int cli_set_version(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	(void)target, (void)d, (void)arg, (void)err, (void)errlen;
	return CLI_VERSION;
}

int cli_add_prop(const struct cli_opt *d, const char *arg, const char **props,
		 size_t *n, size_t max, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	char why[64];

	if (!eq || eq == arg)
		return cli_bad(d, arg, "expected property=value", err, errlen);
	if (*n >= max) {
		snprintf(why, sizeof(why), "too many properties (at most %zu)",
			 max);
		return cli_bad(d, arg, why, err, errlen);
	}
	props[(*n)++] = arg;
	return 0;
}

static int set_log_level(void *target, const struct cli_opt *d, const char *arg,
			 char *err, size_t errlen)
{
	static const struct cli_choice c[] = {
		{ "err", LOG_LVL_ERR },	  { "error", LOG_LVL_ERR },
		{ "warn", LOG_LVL_WARN }, { "warning", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};
	int v, rc = cli_pick(d, arg, c, 6, "err, warn, info or debug", &v, err,
			     errlen);

	if (!rc)
		*(enum log_level *)target = (enum log_level)v;
	return rc;
}

static const struct cli_opt std_rows[] = {
	{ "log-level", 0, "LEVEL", "info", set_log_level, 0, 0, 0,
	  "err, warn, info or debug" },
	{ "help", 'h', NULL, NULL, cli_set_help, 0, 0, 0,
	  "print this help and exit" },
	{ "version", 'V', NULL, NULL, cli_set_version, 0, 0, 0,
	  "print the version and exit" },
};

struct cli_table cli_std_table(enum log_level *lvl)
{
	return (struct cli_table){ std_rows,
				   sizeof(std_rows) / sizeof(std_rows[0]),
				   lvl };
}

int cli_defaults(const struct cli_table *t, size_t nt, char *err, size_t errlen)
{
	int rc = 0;

	for (size_t k = 0; k < nt; k++) {
		for (size_t i = 0; i < t[k].n; i++) {
			const struct cli_opt *d = &t[k].opts[i];
			char why[256];

			/* Keep going: one bad row must not leave the rest of
			 * the struct without its defaults. */
			if (d->def &&
			    d->set(t[k].target, d, d->def, why, sizeof(why)) <
				    0 &&
			    !rc) {
				snprintf(err, errlen, "%s", why);
				rc = -EINVAL;
			}
		}
	}
	return rc;
}

/* The getopt value of row i of all tables. */
static int val_of(const struct cli_opt *d, size_t i)
{
	return d->short_name ? (unsigned char)d->short_name : 256 + (int)i;
}

int cli_getopt(const struct cli_table *t, size_t nt,
	       struct option longopts[CLI_MAX_OPTS + 1],
	       char shortopts[CLI_SHORTOPTS_LEN])
{
	size_t nl = 0, ns = 0, i = 0;

	shortopts[ns++] = ':';
	for (size_t k = 0; k < nt; k++) {
		for (size_t j = 0; j < t[k].n; j++, i++) {
			const struct cli_opt *d = &t[k].opts[j];

			if (i >= CLI_MAX_OPTS) {
				shortopts[0] = '\0';
				memset(longopts, 0, sizeof(longopts[0]));
				return -EINVAL;
			}
			if (d->name)
				longopts[nl++] = (struct option){
					.name = d->name,
					.has_arg = d->arg ? required_argument
							  : no_argument,
					.flag = NULL,
					.val = val_of(d, i),
				};
			if (d->short_name) {
				shortopts[ns++] = d->short_name;
				if (d->arg)
					shortopts[ns++] = ':';
			}
		}
	}
	memset(&longopts[nl], 0, sizeof(longopts[nl]));
	shortopts[ns] = '\0';
	return 0;
}

int cli_apply(const struct cli_table *t, size_t nt, int val, const char *arg,
	      char *err, size_t errlen)
{
	size_t i = 0;

	for (size_t k = 0; k < nt; k++) {
		for (size_t j = 0; j < t[k].n; j++, i++) {
			if (val_of(&t[k].opts[j], i) != val)
				continue;
			if (t[k].given && j < 64)
				*t[k].given |= 1ULL << j;
			return t[k].opts[j].set(t[k].target, &t[k].opts[j],
						arg ? arg : "", err, errlen);
		}
	}
	return -ENOENT;
}

bool cli_given(const struct cli_table *t, const char *name)
{
	for (size_t j = 0; t->given && j < t->n && j < 64; j++)
		if (t->opts[j].name && strcmp(t->opts[j].name, name) == 0)
			return *t->given & (1ULL << j);
	return false;
}

int cli_parse(const struct cli_table *t, size_t nt, int argc, char **argv,
	      char *err, size_t errlen)
{
	struct option longopts[CLI_MAX_OPTS + 1];
	char shortopts[CLI_SHORTOPTS_LEN];
	int c, action = CLI_RUN;

	if (cli_getopt(t, nt, longopts, shortopts)) {
		snprintf(err, errlen, "more than %d options", CLI_MAX_OPTS);
		return -EINVAL;
	}
	opterr = 0;
	optind = 0; /* full re-initialisation, so parsing can run again */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const char *opt = argv[optind - 1];
		int rc;

		if (c == '?') {
			if (optopt && optopt < 256 && opt[0] == '-' &&
			    opt[1] != '-')
				snprintf(err, errlen, "unknown option '-%c'",
					 optopt);
			else
				snprintf(err, errlen,
					 "unknown option '%s' (see --help)",
					 opt);
			return -EINVAL;
		}
		if (c == ':') {
			snprintf(err, errlen, "option '%s' needs a value", opt);
			return -EINVAL;
		}
		rc = cli_apply(t, nt, c, optarg, err, errlen);
		if (rc == -ENOENT) /* getopt and the tables disagree */
			snprintf(err, errlen, "unknown option '%s'", opt);
		if (rc < 0)
			return -EINVAL;
		if (rc & CLI_NOW)
			return rc & ~CLI_NOW;
		if (rc > 0 && (action == CLI_RUN || rc < action))
			action = rc;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)",
			 argv[optind]);
		return -EINVAL;
	}
	return action;
}

/* Writes s wrapped at width, each line after the first indented by ind. */
static void wrap(FILE *f, const char *s, int col, int ind, int width)
{
	while (*s) {
		int room = width - col, n = (int)strlen(s);

		if (n > room) {
			n = room;
			while (n > 0 && s[n] != ' ')
				n--;
			if (n == 0)
				n = room;
		}
		fprintf(f, "%.*s\n", n, s);
		s += n;
		while (*s == ' ')
			s++;
		if (*s)
			fprintf(f, "%*s", ind, "");
		col = ind;
	}
}

void cli_usage_row(FILE *f, const struct cli_opt *d,
		   const struct cli_layout *lay)
{
	static const struct cli_layout std = { 32, true, "default:" };
	enum { WIDTH = 79 };
	const char *arg = d->arg ? d->arg : "", *sp = d->arg ? " " : "";
	char head[80], text[512];
	int n;

	if (!lay)
		lay = &std;
	if (d->short_name && d->name)
		n = snprintf(head, sizeof(head), "  -%c, --%s%s%s",
			     d->short_name, d->name, sp, arg);
	else if (d->name)
		n = snprintf(head, sizeof(head), "%s--%s%s%s",
			     lay->letter_room ? "      " : "  ", d->name, sp,
			     arg);
	else
		n = snprintf(head, sizeof(head), "  -%c%s%s", d->short_name, sp,
			     arg);
	if (d->def)
		snprintf(text, sizeof(text), "%s (%s %s)", d->help,
			 lay->def_word, d->def);
	else
		snprintf(text, sizeof(text), "%s", d->help);
	if (n >= lay->col - 1)
		fprintf(f, "%s\n%*s", head, lay->col, "");
	else
		fprintf(f, "%-*s", lay->col, head);
	wrap(f, text, lay->col, lay->col, WIDTH);
}

void cli_usage(FILE *f, const struct cli_opt *opts, size_t n,
	       const struct cli_layout *lay)
{
	for (size_t i = 0; i < n; i++)
		cli_usage_row(f, &opts[i], lay);
}

// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the generated protobuf encoders: the input bytes
 * become a struct flow_rec (every member, padding included; a short input
 * leaves the rest zero), which encode_pb and encode_pb_legacy must encode
 * byte for byte as protobuf-c's packer does (encode_pbc_flow,
 * encode_pbc_legacy), into a full buffer and into one the input's next
 * byte sizes (both -ENOSPC alike when it is short). The bytes after that,
 * when there are any, drive an enrichment: its speeds, AS numbers and
 * has_*_as flags first, then its strings, NUL-separated, in struct order
 * (a missing one NULL, an empty one ""); the enriched encoders (both
 * schemas, and JSON, full or short buffer alike) are checked the same way.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "encode/encode.h"
#include "encode/encode_pbc.h"

#define MAX_IN (1u << 16) /* longer inputs are cut */
#define BUF_LEN (2 * MAX_IN + ENCODE_MAX_LEN)

typedef ssize_t (*enr_fn)(const struct flow_rec *, const struct flow_enriched *,
			  uint8_t *, size_t);

static void compare(enr_fn fast, enr_fn ref, const struct flow_rec *r,
		    const struct flow_enriched *e, size_t cap)
{
	static uint8_t a[BUF_LEN], b[BUF_LEN];
	ssize_t na = fast(r, e, a, cap);
	ssize_t nb = ref(r, e, b, cap);

	if (na != nb || (na < 0 && na != -ENOSPC) ||
	    (na > 0 && memcmp(a, b, (size_t)na)))
		__builtin_trap();
}

/* JSON into a full buffer and into cap bytes: the same line or -ENOSPC. */
static void json_same(const struct flow_rec *r, const struct flow_enriched *e,
		      size_t cap)
{
	static uint8_t a[6 * BUF_LEN], b[6 * BUF_LEN];
	ssize_t na = encode_json_enriched(r, e, a, sizeof(a));
	ssize_t nb = encode_json_enriched(r, e, b, cap);

	if (na <= 0 || a[na - 1] != '\n' ||
	    (nb != -ENOSPC && (nb != na || memcmp(a, b, (size_t)na))) ||
	    (nb == -ENOSPC && (size_t)na <= cap))
		__builtin_trap();
}

/* The enrichment the bytes at p (n of them) describe; strings point into
 * store, which has room for n + 1 bytes. */
static void enr_from(struct flow_enriched *e, const uint8_t *p, size_t n,
		     char *store)
{
	struct flow_str *strs[] = {
		&e->src_country,       &e->dst_country,
		&e->src_as_name,       &e->dst_as_name,
		&e->src_net_name,      &e->dst_net_name,
		&e->src_net_role,      &e->dst_net_role,
		&e->src_net_site,      &e->dst_net_site,
		&e->src_net_region,    &e->dst_net_region,
		&e->src_net_tenant,    &e->dst_net_tenant,
		&e->in_if_name,	       &e->out_if_name,
		&e->in_if_description, &e->out_if_description,
		&e->exporter_name,     &e->exporter_group,
		&e->exporter_role,     &e->exporter_site,
		&e->exporter_region,   &e->exporter_tenant,
	};
	size_t k = n < 26 ? n : 26, off = 0;
	uint8_t scal[26] = { 0 };

	memset(e, 0, sizeof(*e));
	memcpy(scal, p, k);
	memcpy(&e->in_if_speed, scal, 8);
	memcpy(&e->out_if_speed, scal + 8, 8);
	memcpy(&e->src_as, scal + 16, 4);
	memcpy(&e->dst_as, scal + 20, 4);
	e->has_src_as = scal[24] & 1;
	e->has_dst_as = scal[25] & 1;
	p += k;
	n -= k;
	memcpy(store, p, n);
	store[n] = 0;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]) && off <= n;
	     i++) {
		size_t len = strlen(store + off);

		*strs[i] = (struct flow_str){ store + off, (uint32_t)len };
		off += len + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char store[MAX_IN + 1];
	struct flow_enriched enr;
	struct flow_rec rec;
	size_t cap = ENCODE_MAX_LEN;

	if (size > MAX_IN)
		size = MAX_IN;
	memset(&rec, 0, sizeof(rec));
	memcpy(&rec, data, size < sizeof(rec) ? size : sizeof(rec));
	compare(encode_pb_enriched, encode_pbc_flow_enriched, &rec, NULL,
		ENCODE_MAX_LEN);
	compare(encode_pb_legacy_enriched, encode_pbc_legacy_enriched, &rec,
		NULL, ENCODE_MAX_LEN);
	/* A byte past the record picks a short buffer. */
	if (size <= sizeof(rec))
		return 0;
	cap = (size_t)data[sizeof(rec)] * 4;
	compare(encode_pb_enriched, encode_pbc_flow_enriched, &rec, NULL, cap);
	compare(encode_pb_legacy_enriched, encode_pbc_legacy_enriched, &rec,
		NULL, cap);
	/* The rest, if any, is an enrichment: short caps then reach into its
	 * strings too (the byte times 4 or, past 1 KB of strings, times 64). */
	if (size <= sizeof(rec) + 1)
		return 0;
	enr_from(&enr, data + sizeof(rec) + 1, size - sizeof(rec) - 1, store);
	if (size - sizeof(rec) > 1024)
		cap = (size_t)data[sizeof(rec)] * 64;
	compare(encode_pb_enriched, encode_pbc_flow_enriched, &rec, &enr,
		BUF_LEN);
	compare(encode_pb_legacy_enriched, encode_pbc_legacy_enriched, &rec,
		&enr, BUF_LEN);
	compare(encode_pb_enriched, encode_pbc_flow_enriched, &rec, &enr, cap);
	compare(encode_pb_legacy_enriched, encode_pbc_legacy_enriched, &rec,
		&enr, cap);
	json_same(&rec, &enr, cap);
	return 0;
}

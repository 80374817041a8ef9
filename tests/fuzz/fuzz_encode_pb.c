// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the generated protobuf encoders: the input bytes
 * become a struct flow_rec (every member, padding included; a short input
 * leaves the rest zero), which encode_pb and encode_pb_legacy must encode
 * byte for byte as protobuf-c's packer does (encode_pbc_flow,
 * encode_pbc_legacy), into a full buffer and into one the input's last
 * byte sizes (both -ENOSPC alike when it is short).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "encode/encode.h"
#include "encode/encode_pbc.h"

typedef ssize_t (*enc_fn)(const struct flow_rec *, uint8_t *, size_t);

static void compare(enc_fn fast, enc_fn ref, const struct flow_rec *r,
		    size_t cap)
{
	static uint8_t a[ENCODE_MAX_LEN], b[ENCODE_MAX_LEN];
	ssize_t na = fast(r, a, cap);
	ssize_t nb = ref(r, b, cap);

	if (na != nb || (na < 0 && na != -ENOSPC) ||
	    (na > 0 && memcmp(a, b, (size_t)na)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_rec rec;
	size_t cap = ENCODE_MAX_LEN;

	memset(&rec, 0, sizeof(rec));
	memcpy(&rec, data, size < sizeof(rec) ? size : sizeof(rec));
	compare(encode_pb, encode_pbc_flow, &rec, ENCODE_MAX_LEN);
	compare(encode_pb_legacy, encode_pbc_legacy, &rec, ENCODE_MAX_LEN);
	/* A byte past the record picks a short buffer. */
	if (size > sizeof(rec)) {
		cap = (size_t)data[sizeof(rec)] * 4;
		compare(encode_pb, encode_pbc_flow, &rec, cap);
		compare(encode_pb_legacy, encode_pbc_legacy, &rec, cap);
	}
	return 0;
}

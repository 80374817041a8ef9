/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The --templates-file format (user/decode/nf_persist.c): saving the
 * NetFlow v9/IPFIX templates and sampler state of one or more nf_state
 * stores to one file, and loading it back. Included by nf_persist.c,
 * decode.c and the fuzz target tests/fuzz/fuzz_netflow.c (which builds
 * valid files with nf_persist_crc32).
 */
#ifndef XDPFLOW_DECODE_NF_PERSIST_H
#define XDPFLOW_DECODE_NF_PERSIST_H

#include <stddef.h>
#include <stdint.h>

struct nf_state;

/* Saves every template and sampler of the n stores to path, atomically
 * (written to path.tmp, then renamed). Returns 0 or -errno. */
int nf_persist_save(const struct nf_state *const *nfs, size_t n,
		    const char *path);

/* Loads what nf_persist_save wrote into nf. A missing file is not an error
 * (returns 0); a corrupt or truncated one returns -EINVAL and loads
 * nothing; -ENOMEM or another -errno otherwise. */
int nf_persist_load(struct nf_state *nf, const char *path);

/* Parses a templates file image buf[0..len) into nf, loading nothing
 * unless all of it is valid. Loading does not mark nf dirty. Returns 0,
 * -EINVAL or -ENOMEM. */
int nf_persist_load_buf(struct nf_state *nf, const uint8_t *buf, size_t len);

/* The templates file's checksum (CRC-32, IEEE) of p[0..n). */
uint32_t nf_persist_crc32(const uint8_t *p, size_t n);

#endif

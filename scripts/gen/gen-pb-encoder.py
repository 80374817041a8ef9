#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes xdpflow's fast protobuf encoders: straight-line C that packs a
struct flow_rec (user/common/flow.h), and the struct flow_enriched beside
it, as a FlowMessage body, with no allocation and no intermediate
protobuf-c struct.

Input: the FileDescriptorSet of one proto file (`protoc --descriptor_set_out`;
read with a small wire-format reader below, so the build needs no Python
package), and MAPS below: for every field of the message, which flow_rec
member, flow_enriched member (or C expression) fills it. A field the
proto has and MAPS lacks, a mapping whose field is gone, or a kind that
does not match the field's type stops the build, so the encoder cannot
silently fall behind the .proto.

Output: NAME.pb-enc.h and NAME.pb-enc.c. The .c defines
  uint8_t *<prefix>_body(const struct flow_rec *rec,
                         const struct flow_enriched *enr, uint8_t *p);
which writes every field of bounded size (all but the enrichment strings
and the other enr_* fields) at p and returns its end, exactly as
protobuf-c's protobuf_c_message_pack writes the message that
user/encode/encode_pbc.c builds from the same record: fields in
field-number order, proto3 zero fields absent, repeated scalars packed,
enums as int32 varints. enr may be NULL (not enriched). When the message
has enr_* fields (they must be numbered above every other field, so they
close the body), the .c also defines
  size_t <prefix>_enr_len(const struct flow_enriched *enr);
  uint8_t *<prefix>_enr(const struct flow_enriched *enr, uint8_t *p);
  uint8_t *<prefix>_enr_to(const struct flow_enriched *enr, uint8_t *p,
                           uint8_t *end);
the exact length of those fields (from the strings' known lengths) and their writer, which writes exactly that many bytes after the body, and a writer that needs no measuring first: it stops (NULL) when a field might not fit before end.
The header declares them, <PREFIX>_WORST (the largest body without the
enr_* fields) and <prefix>_fields[], the field numbers written, which
tests/unit/test_encode_fast.c compares with protobuf-c's descriptor.

usage: gen-pb-encoder.py DESCRIPTOR_SET PROTO_NAME OUT_DIR
"""
import os
import sys

# --- The mapping: proto field name -> how flow_rec fills it ---------------
#
# Kinds (the proto type each requires). Expressions may use rec (never NULL)
# and enr (NULL when the flow is not enriched).
#   ('u32', expr)      uint32  varint, absent when 0
#   ('u64', expr)      uint64  varint, absent when 0
#   ('enum', expr)     enum    int32 varint (sign-extended), absent when 0
#   ('zero', why)      any scalar flow_rec has no source for: always 0, so
#                      always absent (proto3), as protobuf-c writes it
#   ('addr', member)   bytes   struct flow_addr; len 4 or 16, else absent
#   ('rep_u32', array, count, max)    repeated uint32, packed
#   ('rep_enum', array, count, max)   repeated enum, packed, int32 varints
#   ('rep_addr', array, count, max)   repeated bytes of struct flow_addr
#                                     (a bad len gives an empty entry)
#   ('rep_b16', array, count, max)    repeated bytes of uint8_t[16]
# count is clamped to max, as encode_pbc.c does.
# Enrichment kinds, read from the struct flow_enriched only, written only
# when enr is not NULL (after the body, by <prefix>_enr):
#   ('enr_str', member)  string  struct flow_str (length known, never
#                                measured here), any length; absent when
#                                its len is 0
#   ('enr_u64', member)  uint64  varint, absent when 0
NS = '1000000000ULL'


def enr_as(side):
    """An AS number: the enrichment's when its AS precedence chose one
    (has_src_as/has_dst_as, 0 included), else the record's."""
    return ('u32', '(enr && enr->has_%s_as ? enr->%s_as : rec->%s_as)' %
            (side, side, side))


def enr_fields(names, kind):
    return {n: (kind, n) for n in names.split()}


MAPS = {
    'flow': {
        'message': 'flowpb.FlowMessage',
        'prefix': 'encode_pbgen_flow',
        'fields': {
            'type': ('enum', 'rec->type'),
            'time_received_ns': ('u64', 'rec->time_received_ns'),
            'sequence_num': ('u32', 'rec->sequence_num'),
            'sampling_rate': ('u64', 'rec->sampling_rate'),
            'sampler_address': ('addr', 'rec->sampler_address'),
            'time_flow_start_ns': ('u64', 'rec->time_flow_start_ns'),
            'time_flow_end_ns': ('u64', 'rec->time_flow_end_ns'),
            'bytes': ('u64', 'rec->bytes'),
            'packets': ('u64', 'rec->packets'),
            'src_addr': ('addr', 'rec->src_addr'),
            'dst_addr': ('addr', 'rec->dst_addr'),
            'etype': ('u32', 'rec->etype'),
            'proto': ('u32', 'rec->proto'),
            'src_port': ('u32', 'rec->src_port'),
            'dst_port': ('u32', 'rec->dst_port'),
            'in_if': ('u32', 'rec->in_if'),
            'out_if': ('u32', 'rec->out_if'),
            'src_mac': ('u64', 'rec->src_mac'),
            'dst_mac': ('u64', 'rec->dst_mac'),
            'src_vlan': ('u32', 'rec->src_vlan'),
            'dst_vlan': ('u32', 'rec->dst_vlan'),
            'vlan_id': ('u32', 'rec->vlan_id'),
            'ip_tos': ('u32', 'rec->ip_tos'),
            'forwarding_status': ('u32', 'rec->forwarding_status'),
            'ip_ttl': ('u32', 'rec->ip_ttl'),
            'ip_flags': ('u32', 'rec->ip_flags'),
            'tcp_flags': ('u32', 'rec->tcp_flags'),
            'icmp_type': ('u32', 'rec->icmp_type'),
            'icmp_code': ('u32', 'rec->icmp_code'),
            'ipv6_flow_label': ('u32', 'rec->ipv6_flow_label'),
            'fragment_id': ('u32', 'rec->fragment_id'),
            'fragment_offset': ('u32', 'rec->fragment_offset'),
            'src_as': enr_as('src'),
            'dst_as': enr_as('dst'),
            'next_hop': ('addr', 'rec->next_hop'),
            'next_hop_as': ('u32', 'rec->next_hop_as'),
            'src_net': ('u32', 'rec->src_net'),
            'dst_net': ('u32', 'rec->dst_net'),
            'bgp_next_hop': ('addr', 'rec->bgp_next_hop'),
            'bgp_communities': ('rep_u32', 'rec->bgp_communities',
                                'rec->n_communities', 'FLOW_MAX_COMMUNITIES'),
            'as_path': ('rep_u32', 'rec->as_path', 'rec->n_as_path',
                        'FLOW_MAX_AS_PATH'),
            'mpls_ttl': ('rep_u32', 'rec->mpls_ttl', 'rec->n_mpls_ttl',
                         'FLOW_MAX_MPLS'),
            'mpls_label': ('rep_u32', 'rec->mpls_label', 'rec->n_mpls',
                           'FLOW_MAX_MPLS'),
            'mpls_ip': ('rep_addr', 'rec->mpls_ip', 'rec->n_mpls_ip',
                        'FLOW_MAX_MPLS'),
            'observation_domain_id': ('u32', 'rec->observation_domain_id'),
            'observation_point_id': ('u32', 'rec->observation_point_id'),
            'layer_stack': ('rep_enum', 'rec->layer_stack', 'rec->n_layers',
                            'FLOW_MAX_LAYERS'),
            'layer_size': ('rep_u32', 'rec->layer_size', 'rec->n_layers',
                           'FLOW_MAX_LAYERS'),
            'ipv6_routing_header_addresses': ('rep_b16', 'rec->srv6_addr',
                                              'rec->n_srv6', 'FLOW_MAX_SRV6'),
            'ipv6_routing_header_seg_left':
                ('u32', 'rec->ipv6_routing_header_seg_left'),
            'sampler_id': ('u32', 'rec->sampler_id'),
            'sampler_port': ('u32', 'rec->sampler_port'),
            **enr_fields('src_country dst_country src_as_name dst_as_name '
                         'src_net_name dst_net_name src_net_role dst_net_role '
                         'src_net_site dst_net_site src_net_region '
                         'dst_net_region src_net_tenant dst_net_tenant '
                         'in_if_name out_if_name in_if_description '
                         'out_if_description exporter_name exporter_group '
                         'exporter_role exporter_site exporter_region '
                         'exporter_tenant', 'enr_str'),
            **enr_fields('in_if_speed out_if_speed', 'enr_u64'),
        },
    },
    'flow_legacy': {
        'message': 'flowprotob.FlowMessage',
        'prefix': 'encode_pbgen_legacy',
        'fields': {
            # Types outside the enum are unknown to flow-pipeline too.
            'Type': ('enum', '(rec->type <= FLOW_TYPE_IPFIX ? rec->type : 0)'),
            'TimeReceived': ('u64', 'rec->time_received_ns / ' + NS),
            'SequenceNum': ('u32', 'rec->sequence_num'),
            'SamplingRate': ('u64', 'rec->sampling_rate'),
            'FlowDirection': ('zero', 'flow_rec carries no direction'),
            'SamplerAddress': ('addr', 'rec->sampler_address'),
            'TimeFlowStart': ('u64', 'rec->time_flow_start_ns / ' + NS),
            'TimeFlowEnd': ('u64', 'rec->time_flow_end_ns / ' + NS),
            'Bytes': ('u64', 'rec->bytes'),
            'Packets': ('u64', 'rec->packets'),
            'SrcAddr': ('addr', 'rec->src_addr'),
            'DstAddr': ('addr', 'rec->dst_addr'),
            'Etype': ('u32', 'rec->etype'),
            'Proto': ('u32', 'rec->proto'),
            'SrcPort': ('u32', 'rec->src_port'),
            'DstPort': ('u32', 'rec->dst_port'),
            'InIf': ('u32', 'rec->in_if'),
            'OutIf': ('u32', 'rec->out_if'),
            'IPTos': ('u32', 'rec->ip_tos'),
            'ForwardingStatus': ('u32', 'rec->forwarding_status'),
            'IPTTL': ('u32', 'rec->ip_ttl'),
            'TCPFlags': ('u32', 'rec->tcp_flags'),
            'IcmpType': ('u32', 'rec->icmp_type'),
            'IcmpCode': ('u32', 'rec->icmp_code'),
            'IPv6FlowLabel': ('u32', 'rec->ipv6_flow_label'),
            # No enrichment fields in this schema, but the enrichment's AS
            # numbers replace the record's here too.
            'SrcAS': enr_as('src'),
            'DstAS': enr_as('dst'),
        },
    },
}

# descriptor.proto constants
T_UINT64, T_UINT32, T_STRING, T_BYTES, T_ENUM = 4, 13, 9, 12, 14
L_REPEATED = 3
KIND_TYPE = {
    'u32': T_UINT32, 'u64': T_UINT64, 'enum': T_ENUM, 'addr': T_BYTES,
    'rep_u32': T_UINT32, 'rep_enum': T_ENUM, 'rep_addr': T_BYTES,
    'rep_b16': T_BYTES, 'enr_str': T_STRING, 'enr_u64': T_UINT64,
}


def die(msg):
    sys.stderr.write('gen-pb-encoder: %s\n' % msg)
    sys.exit(1)


# --- A minimal protobuf wire reader, enough for descriptor.proto ----------
def varint(buf, i):
    v = shift = 0
    while True:
        if i >= len(buf) or shift > 63:
            die('truncated or bad varint in the descriptor set')
        b = buf[i]
        i += 1
        v |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def fields_of(buf):
    """Yields (number, value) of a message: ints for varints, bytes for
    length-delimited; fixed32/64 are skipped."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = None, i + 8
        elif wt == 5:
            v, i = None, i + 4
        else:
            die('unexpected wire type %d in the descriptor set' % wt)
        yield num, v


def parse_field(buf):
    f = {'packed': None, 'proto3_optional': False, 'label': 1}
    for num, v in fields_of(buf):
        if num == 1:
            f['name'] = v.decode()
        elif num == 3:
            f['number'] = v
        elif num == 4:
            f['label'] = v
        elif num == 5:
            f['type'] = v
        elif num == 8:  # FieldOptions
            for on, ov in fields_of(v):
                if on == 2:
                    f['packed'] = bool(ov)
        elif num == 17:
            f['proto3_optional'] = bool(v)
    return f


def messages(fds):
    """{full message name: (syntax, [fields])} of every top-level message."""
    out = {}
    for num, fbuf in fields_of(fds):
        if num != 1:
            continue
        pkg, syntax, msgs = '', 'proto2', []
        for fn, fv in fields_of(fbuf):
            if fn == 2:
                pkg = fv.decode()
            elif fn == 4:
                msgs.append(fv)
            elif fn == 12:
                syntax = fv.decode()
        for mbuf in msgs:
            name, flds = None, []
            for mn, mv in fields_of(mbuf):
                if mn == 1:
                    name = mv.decode()
                elif mn == 2:
                    flds.append(parse_field(mv))
            out[(pkg + '.' if pkg else '') + name] = (syntax, flds)
    return out


# --- Code generation -------------------------------------------------------
def key_bytes(number, wire_type):
    k = (number << 3) | wire_type
    out = []
    while k >= 0x80:
        out.append((k & 0x7f) | 0x80)
        k >>= 7
    out.append(k)
    return out


def put_key(number, wire_type, ind):
    kb = key_bytes(number, wire_type)
    return ''.join('%s*p++ = 0x%02x;\n' % (ind, b) for b in kb)


def gen_field(f, m):
    """C statements for field f (descriptor) from mapping m, and the C
    expression of its worst-case size."""
    kind, num, name = m[0], f['number'], f['name']
    klen = len(key_bytes(num, 0))
    t = '\t'
    c = '%s/* %s = %d */\n' % (t, name, num)
    if kind == 'zero':
        c += '%s/* always 0, so absent: %s */\n' % (t, m[1])
        return c, '0'
    if kind in ('u32', 'u64', 'enum'):
        ctype = 'uint64_t' if kind == 'u64' else 'uint32_t'
        put = {'u32': 'pbgen_u32', 'u64': 'pbgen_u64',
               'enum': 'pbgen_enum'}[kind]
        c += '%s{\n%s\tconst %s v = %s;\n\n' % (t, t, ctype, m[1])
        c += '%s\tif (v) {\n' % t
        c += put_key(num, 0, t + '\t\t')
        c += '%s\t\tp = %s(p, v);\n%s\t}\n%s}\n' % (t, put, t, t)
        worst = {'u32': 5, 'u64': 10, 'enum': 10}[kind]
        return c, str(klen + worst)
    if kind == 'addr':
        c += '%sif (pbgen_addr_ok(&%s)) {\n' % (t, m[1])
        c += put_key(num, 2, t + '\t')
        c += '%s\tp = pbgen_bytes(p, %s.b, %s.len);\n%s}\n' % (
            t, m[1], m[1], t)
        return c, str(klen + 1 + 16)
    arr, cnt, mx = m[1], m[2], m[3]
    c += '%s{\n%s\tconst size_t n = pbgen_clamp(%s, %s);\n\n' % (t, t, cnt, mx)
    if kind in ('rep_u32', 'rep_enum'):
        put = 'pbgen_u32' if kind == 'rep_u32' else 'pbgen_enum'
        per = 5 if kind == 'rep_u32' else 10
        c += '%s\tif (n) {\n' % t
        c += '%s\t\tuint8_t *start;\n\n' % t
        c += put_key(num, 2, t + '\t\t')
        c += '%s\t\tstart = p++;\n' % t
        c += '%s\t\tfor (size_t i = 0; i < n; i++)\n' % t
        c += '%s\t\t\tp = %s(p, %s[i]);\n' % (t, put, arr)
        c += '%s\t\tp = pbgen_packed_len(start, p);\n' % t
        c += '%s\t}\n%s}\n' % (t, t)
        return c, '(%d + 2 + %d * %s)' % (klen, per, mx)
    if kind == 'rep_addr':
        c += '%s\tfor (size_t i = 0; i < n; i++) {\n' % t
        c += put_key(num, 2, t + '\t\t')
        c += ('%s\t\tp = pbgen_bytes(p, %s[i].b,\n%s\t\t\t\t pbgen_addr_ok(&%s[i]) ?'
              ' %s[i].len : 0);\n') % (t, arr, t, arr, arr)
        c += '%s\t}\n%s}\n' % (t, t)
        return c, '(%d + 1 + 16) * %s' % (klen, mx)
    if kind == 'rep_b16':
        c += '%s\tfor (size_t i = 0; i < n; i++) {\n' % t
        c += put_key(num, 2, t + '\t\t')
        c += '%s\t\tp = pbgen_bytes(p, %s[i], 16);\n' % (t, arr)
        c += '%s\t}\n%s}\n' % (t, t)
        return c, '(%d + 1 + 16) * %s' % (klen, mx)
    die('unknown kind %s' % kind)


def gen_enr_field(f, m):
    """For enr_* field f (mapping m): C
    statements adding its exact length to n (in <prefix>_enr_len), C
    statements writing it (in <prefix>_enr), and the same writing it only
    when it surely fits before end (in <prefix>_enr_to: its key, a varint
    of at most 10 bytes and its bytes), returning NULL otherwise."""
    kind, num, name = m[0], f['number'], f['name']
    klen = len(key_bytes(num, 0))
    t = '\t'
    member = 'enr->' + m[1]
    size = '%s/* %s = %d */\n' % (t, name, num)
    put = size
    if kind == 'enr_str':
        ln = member + '.len'
        size += '%sif (%s)\n' % (t, ln)
        size += '%s\tn += %d + pbgen_u64_len(%s) + %s;\n' % (
            t, klen, ln, ln)
        put += '%sif (%s) {\n' % (t, ln)
        put += put_key(num, 2, t + '\t')
        put += '%s\tp = pbgen_u64(p, %s);\n' % (t, ln)
        put += '%s\tp = pbgen_copy(p, %s.s, %s);\n%s}\n' % (
            t, member, ln, t)
        return size, put, put.replace(
            '%sif (%s) {\n' % (t, ln),
            '%sif (%s) {\n%s\tif ((size_t)(end - p) < %d + (size_t)%s)\n'
            '%s\t\treturn NULL;\n' % (t, ln, t, klen + 10, ln, t))
    if kind == 'enr_u64':
        size += '%sif (%s)\n' % (t, member)
        size += '%s\tn += %d + pbgen_u64_len(%s);\n' % (t, klen, member)
        put += '%sif (%s) {\n' % (t, member)
        put += put_key(num, 0, t + '\t')
        put += '%s\tp = pbgen_u64(p, %s);\n%s}\n' % (t, member, t)
        return size, put, put.replace(
            '%sif (%s) {\n' % (t, member),
            '%sif (%s) {\n%s\tif (end - p < %d)\n%s\t\treturn NULL;\n'
            % (t, member, t, klen + 10, t))
    die('unknown kind %s' % kind)


def worst_expr(terms):
    """Sums the numeric terms; keeps those naming FLOW_MAX_* symbolic."""
    num = sum(int(w) for w in terms if w.isdigit())
    sym = [w for w in terms if not w.isdigit()]
    return ' + \\\n\t '.join([str(num)] + sym)


def check(name, syntax, flds, mp):
    if syntax != 'proto3':
        die('%s: only proto3 is supported (zero = absent)' % name)
    have = {f['name'] for f in flds}
    for fname in sorted(set(mp) - have):
        die('%s: mapping for %s, which the proto no longer has' % (name, fname))
    for f in flds:
        m = mp.get(f['name'])
        if m is None:
            die('%s: field %s = %d has no mapping (flow_rec or '
                'flow_enriched) in %s' %
                (name, f['name'], f['number'], __file__))
        if f['proto3_optional']:
            die('%s: %s: optional fields are not supported' % (name, f['name']))
        rep = f['label'] == L_REPEATED
        if m[0] == 'zero':
            if rep or f['type'] not in (T_UINT32, T_UINT64, T_ENUM):
                die('%s: %s: zero needs a scalar' % (name, f['name']))
            continue
        if m[0] not in KIND_TYPE:
            die('%s: %s: unknown kind %s' % (name, f['name'], m[0]))
        if KIND_TYPE[m[0]] != f['type'] or rep != m[0].startswith('rep_'):
            die('%s: %s: kind %s does not fit proto type %d label %d' %
                (name, f['name'], m[0], f['type'], f['label']))
        if m[0] in ('rep_u32', 'rep_enum') and f['packed'] is False:
            die('%s: %s: unpacked repeated scalars are not supported' %
                (name, f['name']))
    # The enr_* fields close the body (protobuf-c writes in field-number
    # order), so that the bounded part can be written first and the
    # unbounded strings after it, measured exactly.
    enr = [f['number'] for f in flds if mp[f['name']][0].startswith('enr_')]
    other = [f for f in flds if not mp[f['name']][0].startswith('enr_')]
    for f in other:
        if enr and f['number'] > min(enr):
            die('%s: %s = %d is numbered above an enrichment field (%d): '
                'enr_* fields must come last' %
                (name, f['name'], f['number'], min(enr)))


# Helpers of the generated code, each emitted only when used (clang rejects
# unused static functions); a helper may use those before it.
HELPERS = [
    ('pbgen_clamp', r'''
static inline size_t pbgen_clamp(size_t n, size_t max)
{
	return n < max ? n : max;
}
'''),
    ('pbgen_addr_ok', r'''
static inline int pbgen_addr_ok(const struct flow_addr *a)
{
	/* Only 4 and 16 are valid lengths; anything else is absent. */
	return a->len == 4 || a->len == 16;
}
'''),
    ('pbgen_u64', r'''
static inline uint8_t *pbgen_u64(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}
'''),
    ('pbgen_u64_len', r'''
/* The length of v as a varint. */
static inline size_t pbgen_u64_len(uint64_t v)
{
	return 1 + (size_t)(63 - __builtin_clzll(v | 1)) / 7;
}
'''),
    ('pbgen_u32', r'''
static inline uint8_t *pbgen_u32(uint8_t *p, uint32_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}
'''),
    ('pbgen_enum', r'''
/* Enums are int32 on the wire: negative values take 10 bytes. */
static inline uint8_t *pbgen_enum(uint8_t *p, uint32_t v)
{
	if (v & 0x80000000u)
		return pbgen_u64(p, (uint64_t)(int64_t)(int32_t)v);
	return pbgen_u32(p, v);
}
'''),
    ('pbgen_bytes', r'''
/* Writes len (at most 16) bytes of b, which holds 16: all 16 are copied, a
 * fixed-size copy being cheaper than a variable one, so up to 16 - len bytes
 * past the returned end are scribbled (the worst case counts them). */
static inline uint8_t *pbgen_bytes(uint8_t *p, const uint8_t *b, size_t len)
{
	*p++ = (uint8_t)len;
	memcpy(p, b, 16);
	return p + len;
}
'''),
    ('pbgen_copy', r'''
/* Copies len bytes of s to p and returns the end: short strings (most
 * names) inline, as two overlapping fixed-size moves that read and write
 * only the len bytes; longer ones through memcpy. */
static inline uint8_t *pbgen_copy(uint8_t *p, const char *s, size_t len)
{
	if (len >= 8 && len <= 16) {
		memcpy(p, s, 8);
		memcpy(p + len - 8, s + len - 8, 8);
	} else if (len >= 4 && len < 8) {
		memcpy(p, s, 4);
		memcpy(p + len - 4, s + len - 4, 4);
	} else if (len < 4) {
		if (len >= 2) {
			memcpy(p, s, 2);
			memcpy(p + len - 2, s + len - 2, 2);
		} else if (len) {
			*p = (uint8_t)*s;
		}
	} else {
		memcpy(p, s, len);
	}
	return p + len;
}
'''),
    ('pbgen_packed_len', r'''
/* Closes a packed field whose payload was written after one byte kept for
 * its length at start: a payload of 128 bytes or more (at most 160 here)
 * needs a 2-byte length, so it moves up by one. Returns the new end. */
static inline uint8_t *pbgen_packed_len(uint8_t *start, uint8_t *end)
{
	size_t len = (size_t)(end - start - 1);

	if (len < 0x80) {
		*start = (uint8_t)len;
		return end;
	}
	memmove(start + 2, start + 1, len);
	start[0] = (uint8_t)(len | 0x80);
	start[1] = (uint8_t)(len >> 7);
	return end + 1;
}
'''),
]


def runtime_for(body):
    """The HELPERS body uses, directly or through another helper."""
    used, text = set(), body
    for name, code in reversed(HELPERS):
        if name + '(' in text:
            used.add(name)
            text += code
    return ''.join(code for name, code in HELPERS if name in used)


def main():
    if len(sys.argv) != 4:
        die('usage: gen-pb-encoder.py DESCRIPTOR_SET PROTO_NAME OUT_DIR')
    fds_path, pname, outdir = sys.argv[1:]
    if pname not in MAPS:
        die('no mapping for proto %s' % pname)
    spec = MAPS[pname]
    with open(fds_path, 'rb') as fh:
        msgs = messages(fh.read())
    if spec['message'] not in msgs:
        die('%s: message %s not found' % (fds_path, spec['message']))
    syntax, flds = msgs[spec['message']]
    check(spec['message'], syntax, flds, spec['fields'])
    flds = sorted(flds, key=lambda f: f['number'])  # protobuf-c's order

    pre = spec['prefix']
    PRE = pre.upper()
    maps = spec['fields']
    body, worst = '', []
    enr_size, enr_put, enr_to = '', '', ''
    for f in flds:
        m = maps[f['name']]
        if m[0].startswith('enr_'):
            sz, put, to = gen_enr_field(f, m)
            enr_size += sz + '\n'
            enr_put += put + '\n'
            enr_to += to + '\n'
            continue
        c, w = gen_field(f, m)
        body += c + '\n'
        worst.append(w)
    if 'enr' not in body:
        body = '\t(void)enr; /* no field of this body reads it */\n\n' + body
    has_enr = bool(enr_put)
    guard = 'XDPFLOW_GEN_%s_PB_ENC_H' % pname.upper()
    banner = ('/* SPDX-License-Identifier: Apache-2.0 */\n'
              '/* Generated by scripts/gen/gen-pb-encoder.py from %s (%s):'
              ' do not edit. */\n' % (pname + '.proto', spec['message']))
    enr_decl = ''
    if has_enr:
        enr_decl = '''
/* The message has enrichment fields (%(pre)s_enr_len, %(pre)s_enr,
 * %(pre)s_enr_to). */
#define %(PRE)s_HAS_ENR 1

/* The exact length of enr's enrichment fields (enr not NULL), those that
 * close the body. */
size_t %(pre)s_enr_len(const struct flow_enriched *enr);

/* Writes enr's enrichment fields at p, the end of the body: exactly the
 * bytes %(pre)s_enr_len counted, nothing past them. Returns the end. */
uint8_t *%(pre)s_enr(const struct flow_enriched *enr, uint8_t *p);

/* The same without measuring first, for a buffer that ends at end (p <=
 * end): writes the bytes %(pre)s_enr writes and returns their end, or
 * returns NULL as soon as a field might not fit (a field is written only
 * when its key, a 10-byte varint and its bytes fit), having written
 * nothing at or past end. */
uint8_t *%(pre)s_enr_to(const struct flow_enriched *enr, uint8_t *p,
		       uint8_t *end);
''' % dict(pre=pre, PRE=PRE)
    h = banner + '''/*
 * Fast encoder of %(msg)s: struct flow_rec, and the struct flow_enriched
 * beside it, straight to the message body, byte for byte what protobuf-c
 * packs for the same record.
 */
#ifndef %(guard)s
#define %(guard)s

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

/* The largest body %(pre)s_body can write (enrichment strings, which
 * have no bound, are not part of it). */
#define %(PRE)s_WORST \\
	(%(worst)s)

/* Writes the message body of rec and enr (NULL: not enriched) at p (room
 * for %(PRE)s_WORST bytes) and returns the end of what it wrote: every
 * field but the enrichment fields that close the message. Addresses are
 * copied 16 bytes at a time, so bytes past the returned end may be
 * overwritten too (the worst case counts them). */
uint8_t *%(pre)s_body(const struct flow_rec *rec,
		      const struct flow_enriched *enr, uint8_t *p);
%(enr_decl)s
/* The field numbers this encoder handles, ascending (fields that are
 * always zero included): every field of the message. */
extern const uint32_t %(pre)s_fields[];
extern const size_t %(pre)s_n_fields;

#endif
''' % dict(msg=spec['message'], guard=guard, pre=pre, PRE=PRE,
           worst=worst_expr(worst), enr_decl=enr_decl)
    c = banner + '#include "%s.pb-enc.h"\n\n#include <string.h>\n' % pname
    c += runtime_for(body + enr_size + enr_put) + '\n'
    c += 'const uint32_t %s_fields[] = {\n' % pre
    c += ''.join('\t%d, /* %s */\n' % (f['number'], f['name']) for f in flds)
    c += '};\n\nconst size_t %s_n_fields = sizeof(%s_fields) / sizeof(%s_fields[0]);\n\n' % (pre, pre, pre)
    c += ('uint8_t *%s_body(const struct flow_rec *rec,\n'
          '\t\t      const struct flow_enriched *enr, uint8_t *p)\n{\n' % pre)
    c += body
    c += '\treturn p;\n}\n'
    if has_enr:
        c += ('\nsize_t %s_enr_len(const struct flow_enriched *enr)'
              '\n{\n\tsize_t n = 0;\n\n' % pre)
        c += enr_size + '\treturn n;\n}\n'
        c += ('\nuint8_t *%s_enr(const struct flow_enriched *enr, '
              'uint8_t *p)\n{\n' % pre)
        c += enr_put + '\treturn p;\n}\n'
        c += ('\nuint8_t *%s_enr_to(const struct flow_enriched *enr, '
              'uint8_t *p,\n\t\t       uint8_t *end)\n{\n' % pre)
        c += enr_to + '\treturn p;\n}\n'
    os.makedirs(outdir, exist_ok=True)
    for ext, text in (('h', h), ('c', c)):
        path = os.path.join(outdir, '%s.pb-enc.%s' % (pname, ext))
        with open(path + '.tmp', 'w') as fh:
            fh.write(text)
        os.replace(path + '.tmp', path)


if __name__ == '__main__':
    main()

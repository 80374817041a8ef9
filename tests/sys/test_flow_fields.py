# SPDX-License-Identifier: Apache-2.0
"""The Python helpers that write and read FlowMessage know every field of
proto/flow.proto: stack.py's hand-written encoder has each field under its
proto number (enrichment strings and speeds included, 1010 and up), a flow
with every enrichment field set survives the round trip through protoc's
own parser, and xflow.py's list of enrichment fields is the proto's."""
import stack
import xflow


def proto_fields(pbdir):
    return {f.name: f for f in
            xflow.pb_module(pbdir).FlowMessage.DESCRIPTOR.fields}


def test_encoder_numbers_match_proto(pbdir):
    tables = (stack._SCALARS, stack._ADDRS, stack._REPEATED,
              stack._REPEATED_ADDRS, stack._STRINGS)
    known = {k: v for t in tables for k, v in t.items()}
    fields = proto_fields(pbdir)
    assert sorted(known) == sorted(fields)
    for name, f in fields.items():
        assert known[name] == f.number, name
    strings = {n for n, f in fields.items() if f.type == f.TYPE_STRING}
    assert strings == set(stack._STRINGS)


def test_enrich_fields_are_the_protos(pbdir):
    fields = proto_fields(pbdir)
    enr = {n for n, f in fields.items() if f.number >= 1010}
    assert set(xflow.ENRICH_FIELDS) == enr
    assert len(xflow.ENRICH_FIELDS) == len(enr) == 26
    assert {n for n in enr if fields[n].type == fields[n].TYPE_STRING} == \
        set(xflow.ENRICH_STRING_FIELDS)


def test_enriched_round_trip(pbdir):
    f = stack.make_flow(7)
    names = sorted(stack._STRINGS)
    for i, name in enumerate(names):
        # text, a quote and a backslash, non-ASCII, 1- and 2-byte lengths
        f[name] = f'{name} "é" \\ {i}' + "x" * (i * 7)
    f["src_country"] = b"FR"  # bytes are taken as they are
    f["in_if_speed"] = 100_000_000_000
    f["out_if_speed"] = 2**64 - 1
    f["exporter_tenant"] = ""  # absent
    m = xflow.pb_module(pbdir).FlowMessage()
    m.ParseFromString(stack.encode_flow(f))
    d = xflow.pb_to_dict(m)
    for name in names:
        want = f[name].decode() if isinstance(f[name], bytes) else f[name]
        if want:
            assert d[name] == want, name
        else:
            assert name not in d, name
    assert d["in_if_speed"] == 100_000_000_000
    assert d["out_if_speed"] == 2**64 - 1
    assert d["sequence_num"] == f["sequence_num"]
    # Without enrichment, no enrichment key at all.
    m.ParseFromString(stack.encode_flow(stack.make_flow(7)))
    assert not set(xflow.pb_to_dict(m)) & set(xflow.ENRICH_FIELDS)

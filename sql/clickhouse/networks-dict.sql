-- SPDX-License-Identifier: Apache-2.0
-- Optional: xdpflow's networks file (user/enrich/networks_file.h) as a
-- ClickHouse dictionary, for operators who enrich at query time rather than
-- (or besides) with xdpflow-enrich / xdpflowd --enrich. It gives the answers
-- the enrichment writes into src_net_* / dst_net_*: the networks file
-- merges attributes per attribute (a /24 naming only a tenant keeps its
-- /16's site) while the IP_TRIE layout returns the longest match's row
-- only, so the dictionary reads the merged view that
-- scripts/gen/gen-networks-dict.py writes from the same file, loaded into
-- networks_source:
--
--   clickhouse-client --multiquery < sql/clickhouse/networks-dict.sql
--   scripts/gen/gen-networks-dict.py networks.csv networks-dict.csv
--   clickhouse-client --query 'TRUNCATE TABLE networks_source'
--   clickhouse-client --query 'INSERT INTO networks_source FORMAT CSVWithNames' < networks-dict.csv
--   clickhouse-client --query 'SYSTEM RELOAD DICTIONARY networks'
--
-- (the same three steps after each change of the networks file; without
-- the RELOAD the dictionary picks the change up within its LIFETIME). On a
-- cluster, run them on every server.
--
-- Lookups take flows_raw's IPv6 columns as they are (IPv4 is stored mapped,
-- which the dictionary matches against IPv4 prefixes); an address no prefix
-- holds gives '' and 0:
--   SELECT dictGet('networks', 'tenant', SrcAddr) AS tenant,
--          sum(Bytes * greatest(SamplingRate, 1)) AS bytes
--   FROM flows_raw GROUP BY tenant ORDER BY bytes DESC;
-- tests/sys/test_clickhouse_dict.py holds its answers to the C library's.

CREATE TABLE IF NOT EXISTS networks_source
(
    prefix String,
    name String,
    role String,
    site String,
    region String,
    tenant String,
    asn UInt32,
    country String
)
ENGINE = MergeTree
ORDER BY prefix;

CREATE DICTIONARY IF NOT EXISTS networks
(
    prefix String,
    name String,
    role String,
    site String,
    region String,
    tenant String,
    asn UInt32,
    country String
)
PRIMARY KEY prefix
SOURCE(CLICKHOUSE(TABLE 'networks_source'))
LAYOUT(IP_TRIE)
LIFETIME(MIN 60 MAX 300);

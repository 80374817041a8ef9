-- SPDX-License-Identifier: Apache-2.0
-- Optional indexes for drill-down by host ("what did 198.18.3.4 talk to in
-- the last hour", "top ports of this server"): btree on each address with
-- the time. Not applied by xdpflow-insert: each costs about as much per row
-- as the rest of the insert (measured: ingest rate halves with both).
-- Apply by hand: psql "$PGURI" -f sql/postgres/optional/host_indexes.sql
CREATE INDEX IF NOT EXISTS flows_src_addr_time ON flows (src_addr, time_received);
CREATE INDEX IF NOT EXISTS flows_dst_addr_time ON flows (dst_addr, time_received);

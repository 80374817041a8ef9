-- SPDX-License-Identifier: Apache-2.0
-- xdpflow flows table for PostgreSQL (>= 12): one row per FlowMessage
-- (proto/flow.proto), written by xdpflow-insert with binary COPY. Declarative
-- partitioning by day on time_received (UTC days; see 002_partitions.sql),
-- with a default partition that catches rows outside the prepared days.
-- Types: times are timestamptz (NULL when the message leaves them at 0),
-- addresses inet (NULL when absent), counters, sampling rate, AS numbers,
-- interface indexes and other full 32-bit fields bigint; small fields
-- integer. Unsigned values above a column's signed range are stored with the
-- same bits (two's complement), never rejected. Idempotent: xdpflow-insert
-- runs it at every start.

CREATE TABLE IF NOT EXISTS flows (
	time_received timestamptz NOT NULL,
	time_flow_start timestamptz,
	time_flow_end timestamptz,
	type integer NOT NULL DEFAULT 0, -- 1 sFlow v5, 2 NetFlow v5, 3 NetFlow v9, 4 IPFIX
	sequence_num bigint NOT NULL DEFAULT 0,
	sampling_rate bigint NOT NULL DEFAULT 0,
	sampler_address inet,
	sampler_port integer NOT NULL DEFAULT 0,
	sampler_id bigint NOT NULL DEFAULT 0,
	observation_domain_id bigint NOT NULL DEFAULT 0,
	observation_point_id bigint NOT NULL DEFAULT 0,
	bytes bigint NOT NULL DEFAULT 0,   -- as exported, not multiplied by sampling_rate
	packets bigint NOT NULL DEFAULT 0,
	etype integer NOT NULL DEFAULT 0,
	proto integer NOT NULL DEFAULT 0,
	src_addr inet,
	dst_addr inet,
	src_port integer NOT NULL DEFAULT 0,
	dst_port integer NOT NULL DEFAULT 0,
	src_net integer NOT NULL DEFAULT 0,
	dst_net integer NOT NULL DEFAULT 0,
	src_as bigint NOT NULL DEFAULT 0,
	dst_as bigint NOT NULL DEFAULT 0,
	next_hop inet,
	next_hop_as bigint NOT NULL DEFAULT 0,
	bgp_next_hop inet,
	in_if bigint NOT NULL DEFAULT 0,
	out_if bigint NOT NULL DEFAULT 0,
	src_mac macaddr,
	dst_mac macaddr,
	src_vlan integer NOT NULL DEFAULT 0,
	dst_vlan integer NOT NULL DEFAULT 0,
	vlan_id integer NOT NULL DEFAULT 0,
	ip_tos integer NOT NULL DEFAULT 0,
	ip_ttl integer NOT NULL DEFAULT 0,
	ip_flags integer NOT NULL DEFAULT 0,
	tcp_flags integer NOT NULL DEFAULT 0,
	forwarding_status integer NOT NULL DEFAULT 0,
	icmp_type integer NOT NULL DEFAULT 0,
	icmp_code integer NOT NULL DEFAULT 0,
	ipv6_flow_label integer NOT NULL DEFAULT 0,
	fragment_id bigint NOT NULL DEFAULT 0,
	fragment_offset integer NOT NULL DEFAULT 0,
	bgp_communities bigint[],
	as_path bigint[],
	mpls_label integer[],
	mpls_ttl integer[],
	mpls_ip inet[],
	layer_stack integer[], -- FlowMessage.LayerStack values
	layer_size integer[],
	ipv6_routing_header_addresses inet[],
	ipv6_routing_header_seg_left integer NOT NULL DEFAULT 0
) PARTITION BY RANGE (time_received);

CREATE TABLE IF NOT EXISTS flows_default PARTITION OF flows DEFAULT;

-- Time ranges, and top-N queries over them (top talkers, ports, exporters
-- for the last hour: an aggregate over a time range): BRIN suits the
-- append-mostly time column and costs almost nothing per row. Btree indexes
-- on addresses cost about as much per row as the rest of the insert (they
-- halve the ingest rate), so they are opt-in: sql/postgres/optional/.
CREATE INDEX IF NOT EXISTS flows_time_brin ON flows USING brin (time_received)
	WITH (pages_per_range = 32);

COMMENT ON TABLE flows IS 'xdpflow: one row per FlowMessage (proto/flow.proto), daily partitions';

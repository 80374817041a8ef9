-- SPDX-License-Identifier: Apache-2.0
-- Enrichment columns of flows (issue 9; FlowMessage fields 1010-1045 of
-- proto/flow.proto, written by xdpflow-enrich or xdpflowd --enrich). Added
-- with ALTER TABLE ... ADD COLUMN IF NOT EXISTS, so one statement creates
-- them on a new database and upgrades a database made before they existed
-- (a metadata-only change: no partition is rewritten; partitions inherit
-- the columns). xdpflow-insert runs this file when any column it writes is
-- missing.
--
-- Strings are text and NULL when the flow carries none (the field is absent
-- or empty): "not enriched" then costs one bit per row, and dashboards group
-- by the column and drop NULL or show it as "unknown" (coalesce). Interface
-- speeds are bigint bit/s, NULL when unknown (0 on the wire), so
-- bits/s / speed never divides by zero. Country codes are as the source
-- gives them (ISO 3166-1 alpha-2 from MaxMind-format databases).
-- src_as / dst_as keep their meaning: enrichment may have filled them.

ALTER TABLE flows
	ADD COLUMN IF NOT EXISTS src_country text,
	ADD COLUMN IF NOT EXISTS dst_country text,
	ADD COLUMN IF NOT EXISTS src_as_name text,
	ADD COLUMN IF NOT EXISTS dst_as_name text,
	ADD COLUMN IF NOT EXISTS src_net_name text,
	ADD COLUMN IF NOT EXISTS dst_net_name text,
	ADD COLUMN IF NOT EXISTS src_net_role text,
	ADD COLUMN IF NOT EXISTS dst_net_role text,
	ADD COLUMN IF NOT EXISTS src_net_site text,
	ADD COLUMN IF NOT EXISTS dst_net_site text,
	ADD COLUMN IF NOT EXISTS src_net_region text,
	ADD COLUMN IF NOT EXISTS dst_net_region text,
	ADD COLUMN IF NOT EXISTS src_net_tenant text,
	ADD COLUMN IF NOT EXISTS dst_net_tenant text,
	ADD COLUMN IF NOT EXISTS in_if_name text,
	ADD COLUMN IF NOT EXISTS out_if_name text,
	ADD COLUMN IF NOT EXISTS in_if_description text,
	ADD COLUMN IF NOT EXISTS out_if_description text,
	ADD COLUMN IF NOT EXISTS in_if_speed bigint, -- bit/s
	ADD COLUMN IF NOT EXISTS out_if_speed bigint,
	ADD COLUMN IF NOT EXISTS exporter_name text,
	ADD COLUMN IF NOT EXISTS exporter_group text,
	ADD COLUMN IF NOT EXISTS exporter_role text,
	ADD COLUMN IF NOT EXISTS exporter_site text,
	ADD COLUMN IF NOT EXISTS exporter_region text,
	ADD COLUMN IF NOT EXISTS exporter_tenant text;

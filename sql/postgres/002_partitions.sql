-- SPDX-License-Identifier: Apache-2.0
-- Daily partitions of flows and retention. flows_maintain(retention_days,
-- days_ahead) creates the partitions flows_pYYYYMMDD for yesterday up to
-- days_ahead days after today (UTC), moving any rows of those days out of
-- flows_default first so the attach succeeds, and, when retention_days > 0,
-- drops partitions of days before today - retention_days and deletes such
-- rows from flows_default. Safe to run concurrently (advisory lock) and as
-- often as wanted; xdpflow-insert runs it at start and then hourly.

CREATE OR REPLACE FUNCTION flows_maintain(retention_days integer DEFAULT 0,
					  days_ahead integer DEFAULT 2)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
	today date := (now() AT TIME ZONE 'UTC')::date;
	d date;
	part text;
	lo timestamptz;
	hi timestamptz;
	r record;
	changed integer := 0;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('xdpflow.flows_maintain'));
	FOR d IN SELECT generate_series(today - 1, today + greatest(days_ahead, 0), interval '1 day')::date
	LOOP
		part := 'flows_p' || to_char(d, 'YYYYMMDD');
		CONTINUE WHEN to_regclass(quote_ident(part)) IS NOT NULL;
		lo := d::timestamp AT TIME ZONE 'UTC';
		hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
		EXECUTE format('CREATE TABLE %I (LIKE flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
		EXECUTE format('WITH m AS (DELETE FROM flows_default WHERE time_received >= %L AND time_received < %L RETURNING *) '
			       'INSERT INTO %I SELECT * FROM m', lo, hi, part);
		EXECUTE format('ALTER TABLE flows ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
		changed := changed + 1;
	END LOOP;

	IF retention_days > 0 THEN
		FOR r IN SELECT c.relname
			 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			 WHERE i.inhparent = 'flows'::regclass AND c.relname ~ '^flows_p[0-9]{8}$'
		LOOP
			IF to_date(substr(r.relname, 8), 'YYYYMMDD') < today - retention_days THEN
				EXECUTE format('DROP TABLE %I', r.relname);
				changed := changed + 1;
			END IF;
		END LOOP;
		DELETE FROM flows_default
		WHERE time_received < (today - retention_days)::timestamp AT TIME ZONE 'UTC';
	END IF;
	RETURN changed;
END
$fn$;

-- SPDX-License-Identifier: Apache-2.0
-- Exactly-once bookkeeping for xdpflow-insert. kafka_offsets holds, per
-- topic and partition, the offset of the next message to read; it is updated
-- in the same transaction as the rows those messages produced, and the
-- inserter resumes from it when it is assigned a partition. dead_letter keeps
-- the messages that could not be decoded, raw, with where they came from.

CREATE TABLE IF NOT EXISTS kafka_offsets (
	topic text NOT NULL,
	partition integer NOT NULL,
	next_offset bigint NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (topic, partition)
);

CREATE TABLE IF NOT EXISTS dead_letter (
	id bigserial PRIMARY KEY,
	received_at timestamptz NOT NULL DEFAULT now(),
	topic text NOT NULL,
	partition integer NOT NULL,
	kafka_offset bigint NOT NULL,
	reason text NOT NULL,
	payload bytea,
	UNIQUE (topic, partition, kafka_offset)
);

-- Moves the offsets of a batch forward, inside the batch's transaction.
-- Partition i's batch covers messages p_first[i] .. p_next[i]-1. If another
-- inserter has already stored an offset past p_first[i] (it wrote some of
-- these messages: a zombie after a rebalance), nothing is changed for that
-- partition and it counts as a conflict: the caller must roll back. Returns
-- the number of conflicts (0: commit). Rows are locked in array order: pass
-- partitions sorted so concurrent callers cannot deadlock.
CREATE OR REPLACE FUNCTION kafka_offsets_advance(p_topic text, p_partitions integer[],
						 p_first bigint[], p_next bigint[])
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
	i integer;
	cur bigint;
	conflicts integer := 0;
BEGIN
	FOR i IN 1 .. coalesce(array_length(p_partitions, 1), 0)
	LOOP
		INSERT INTO kafka_offsets (topic, partition, next_offset)
		VALUES (p_topic, p_partitions[i], p_first[i])
		ON CONFLICT DO NOTHING;
		SELECT next_offset INTO cur FROM kafka_offsets
		WHERE topic = p_topic AND partition = p_partitions[i] FOR UPDATE;
		IF cur > p_first[i] THEN
			conflicts := conflicts + 1;
		ELSE
			UPDATE kafka_offsets SET next_offset = p_next[i], updated_at = now()
			WHERE topic = p_topic AND partition = p_partitions[i];
		END IF;
	END LOOP;
	RETURN conflicts;
END
$fn$;

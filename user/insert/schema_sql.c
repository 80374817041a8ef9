// SPDX-License-Identifier: Apache-2.0
/*
 * The PostgreSQL schema embedded at build time: the files
 * sql/postgres/0NN_name.sql, in name order, as one NUL-terminated string
 * (pgstore_schema_sql). The Makefile rebuilds this object when any of those
 * files changes; a new file must be added to the list below.
 */
#include "insert/pgstore.h"

__asm__(".section .rodata\n"
	".global pgstore_schema_sql\n"
	".type pgstore_schema_sql, @object\n"
	"pgstore_schema_sql:\n"
	".incbin \"sql/postgres/001_flows.sql\"\n"
	".byte 10\n"
	".incbin \"sql/postgres/002_partitions.sql\"\n"
	".byte 10\n"
	".incbin \"sql/postgres/003_offsets.sql\"\n"
	".byte 10\n"
	".incbin \"sql/postgres/004_enrichment.sql\"\n"
	".byte 0\n"
	".size pgstore_schema_sql, . - pgstore_schema_sql\n"
	".previous\n");

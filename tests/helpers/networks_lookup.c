// SPDX-License-Identifier: Apache-2.0
/*
 * Test tool: what xdpflow's enrichment library answers for addresses, so
 * that tests/sys/test_clickhouse_dict.py can hold ClickHouse's `networks`
 * dictionary to the same answers. Loads a networks file
 * (user/enrich/networks_file.h), then reads one IPv4 or IPv6 address per
 * line on stdin and prints, tab-separated, the address and the merged
 * record of its longest prefix: name, role, site, region, tenant, asn,
 * country (empty fields and asn 0 when unset or when no prefix holds it).
 *
 * usage: networks-lookup NETWORKS.csv < ADDRESSES
 * Exit 0; 1 when the file does not load or an address does not parse; 2 on
 * a bad command line.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/flow.h"
#include "enrich/networks_file.h"

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

int main(int argc, char **argv)
{
	struct enrich_networks *nets = NULL;
	char err[512], line[256];
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: networks-lookup NETWORKS.csv\n");
		return 2;
	}
	if (enrich_networks_load(argv[1], &nets, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		struct flow_addr a = { 0 };
		const struct enrich_net *r;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (inet_pton(AF_INET, line, a.b) == 1) {
			a.len = 4;
		} else if (inet_pton(AF_INET6, line, a.b) == 1) {
			a.len = 16;
		} else {
			fprintf(stderr, "'%s' is not an address\n", line);
			rc = 1;
			break;
		}
		r = enrich_networks_lookup(nets, &a);
		if (r)
			printf("%s\t%s\t%s\t%s\t%s\t%s\t%u\t%s\n", line,
			       or_empty(r->name), or_empty(r->role),
			       or_empty(r->site), or_empty(r->region),
			       or_empty(r->tenant), r->asn,
			       or_empty(r->country));
		else
			printf("%s\t\t\t\t\t\t0\t\n", line);
	}
	enrich_networks_free(nets);
	return rc;
}

// SPDX-License-Identifier: Apache-2.0
/* Addresses of struct flow_addr as text (see flow.h). */
#include <arpa/inet.h>
#include <stdio.h>

#include "common/flow.h"

const char *flow_addr_str(const struct flow_addr *a, char *buf, size_t len)
{
	if (a->len == 4)
		return inet_ntop(AF_INET, a->b, buf, (socklen_t)len);
	if (a->len == 16)
		return inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	snprintf(buf, len, "other-exporters");
	return buf;
}

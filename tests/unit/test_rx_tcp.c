// SPDX-License-Identifier: Apache-2.0
/*
 * rx_tcp_frame, the framing of IPFIX over TCP: whole messages by their
 * length field, more bytes wanted for a partial header or body, -EPROTO for
 * a version other than 10 or a length below the header, and never a length
 * beyond what is there, at every cut of a stream of two messages.
 */
#include "unit.h"

#include <errno.h>

#include "rx/rx_tcp.h"

static void hdr(uint8_t *p, uint16_t ver, uint16_t len)
{
	memset(p, 0, 16);
	p[0] = (uint8_t)(ver >> 8);
	p[1] = (uint8_t)ver;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
}

static void test_frame(void **state)
{
	uint8_t s[16 + 40 + 16] = { 0 };

	(void)state;
	hdr(s, 10, 56);
	hdr(s + 56, 10, 16);
	for (size_t cut = 0; cut <= sizeof(s); cut++)
		assert_int_equal(rx_tcp_frame(s, cut), cut < 56 ? 0 : 56);
	for (size_t cut = 0; cut <= 16; cut++)
		assert_int_equal(rx_tcp_frame(s + 56, cut), cut < 16 ? 0 : 16);
}

static void test_not_ipfix(void **state)
{
	uint8_t s[64];

	(void)state;
	hdr(s, 9, 24);
	assert_int_equal(rx_tcp_frame(s, 3), 0); /* not known yet */
	assert_int_equal(rx_tcp_frame(s, 4), -EPROTO);
	hdr(s, 10, 15);
	assert_int_equal(rx_tcp_frame(s, sizeof(s)), -EPROTO);
	hdr(s, 10, 0);
	assert_int_equal(rx_tcp_frame(s, sizeof(s)), -EPROTO);
	hdr(s, 10, 0xffff);
	assert_int_equal(rx_tcp_frame(s, sizeof(s)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_not_ipfix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

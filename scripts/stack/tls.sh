#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The local stack's test certificates: a self-signed CA and a server
# certificate it signs for localhost and 127.0.0.1, used by the broker's TLS
# and SASL_SSL listeners (scripts/stack/kafka.sh) and by PostgreSQL's ssl=on
# (scripts/stack/postgres.sh). `make DIR` creates DIR/ca.pem, DIR/ca.key,
# DIR/server.pem (certificate) and DIR/server.key (unencrypted PKCS#8 key,
# as Kafka's PEM keystore wants it) once; later calls keep them. For tests
# only: the keys are not protected by anything but the folder's mode.
set -euo pipefail

say() { echo "tls: $*" >&2; }

make_certs() {
	local d=$1
	if [ -s "$d/ca.pem" ] && [ -s "$d/server.pem" ] && [ -s "$d/server.key" ]; then
		return 0
	fi
	command -v openssl >/dev/null || { say "openssl not found (run scripts/deps.sh)"; return 1; }
	mkdir -p "$d"
	chmod 700 "$d"
	local tmp
	tmp=$(mktemp -d "$d/.new.XXXXXX")
	if ! (
		set -e
		cd "$tmp"
		openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
			-subj "/CN=xdpflow test CA" -keyout ca.key -out ca.pem \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
			-keyout key.tmp -out server.csr
		printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
			"basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 3650 -sha256 -extfile server.ext -out server.pem
		openssl pkcs8 -topk8 -nocrypt -in key.tmp -out server.key
		rm -f key.tmp server.csr server.ext ca.srl
	) >"$tmp/openssl.log" 2>&1; then
		say "could not make the certificates: see $tmp/openssl.log"
		return 1
	fi
	chmod 600 "$tmp"/*.key
	rm -f "$tmp/openssl.log"
	mv "$tmp"/* "$d"/
	rmdir "$tmp"
	say "made a test CA and a server certificate in $d"
}

case "${1:-}" in
make)
	[ -n "${2:-}" ] || { echo "usage: $0 make DIR" >&2; exit 2; }
	make_certs "$2"
	;;
*)
	echo "usage: $0 make DIR" >&2
	exit 2
	;;
esac

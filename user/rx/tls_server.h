/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server side of TLS for IPFIX over TLS (RFC 7011 §10.4 and §11,
 * IANA port 4740), through OpenSSL, for the TCP listener's connections:
 * a context built once from PEM files, and non-blocking connections that
 * the listener reads like its plain sockets.
 *
 * With a CA file, every exporter must present a certificate that chains to
 * it (mutual authentication, as RFC 7011 §11 asks); without one, only the
 * collector is authenticated. TLS 1.2 or later; no session tickets (the
 * server never writes after the handshake).
 */
#ifndef XDPFLOW_RX_TLS_SERVER_H
#define XDPFLOW_RX_TLS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_server;
struct tls_conn;

/* What a read did, besides bytes. */
enum tls_read_status {
	TLS_READ_DATA = 0,   /* bytes were read (the return value) */
	TLS_READ_AGAIN = 1,  /* nothing now: wait for the socket */
	TLS_READ_EOF = 2,    /* the peer closed (close_notify or TCP end) */
	TLS_READ_FAILED = 3, /* handshake or record failure: reason set */
};

/* A context from the certificate chain cert (PEM), its private key key
 * (PEM) and, when ca is not NULL, the CA bundle (PEM) exporters'
 * certificates must chain to. NULL with a one-line reason in err
 * ("could not load the certificate FILE: ..."). */
struct tls_server *tls_server_new(const char *cert, const char *key,
				  const char *ca, char *err, size_t errlen);

/* Frees s (NULL is fine); its connections must be freed first. */
void tls_server_free(struct tls_server *s);

/* A TLS connection over the accepted, non-blocking socket fd (not owned:
 * the caller closes it after tls_conn_free), or NULL (out of memory). */
struct tls_conn *tls_conn_new(struct tls_server *s, int fd);

/* Frees c (NULL is fine). No close_notify is sent: the listener only ends
 * connections that ended or failed. */
void tls_conn_free(struct tls_conn *c);

/* Runs the handshake as far as the socket allows, then reads up to len
 * decrypted bytes into buf. Returns the bytes read (status DATA) or 0
 * with *status AGAIN, EOF or FAILED (then reason, reason_len bytes, says
 * why: "certificate verify failed", "wrong version number", ...). */
size_t tls_conn_read(struct tls_conn *c, void *buf, size_t len,
		     enum tls_read_status *status, char *reason,
		     size_t reason_len);

/* Whether the last read stopped because OpenSSL must write (the
 * handshake's reply did not fit in the socket buffer): the caller then
 * waits for the socket to be writable as well as readable. */
bool tls_conn_wants_write(const struct tls_conn *c);

/* Whether decrypted bytes are held inside OpenSSL (read from the socket
 * already, so a readiness wait would not report them). */
bool tls_conn_pending(const struct tls_conn *c);

#endif

// SPDX-License-Identifier: Apache-2.0
/*
 * IPFIX over TLS, the server side (see tls_server.h), on OpenSSL 3. Each
 * connection is an SSL object in accept state over the caller's
 * non-blocking socket; SSL_read drives the handshake, so the caller has a
 * single read path whatever state the connection is in.
 */
#include "rx/tls_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

struct tls_server {
	SSL_CTX *ctx;
};

struct tls_conn {
	SSL *ssl;
	bool want_write;
};

/* The reason of OpenSSL's last error for what ("could not load ..."). */
static void last_error(char *err, size_t errlen, const char *what,
		       const char *file)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(err, errlen, "could not load %s %s: %s", what, file,
		 r ? r : "unknown OpenSSL error");
	ERR_clear_error();
}

struct tls_server *tls_server_new(const char *cert, const char *key,
				  const char *ca, char *err, size_t errlen)
{
	struct tls_server *s = calloc(1, sizeof(*s));

	if (!s || !(s->ctx = SSL_CTX_new(TLS_server_method()))) {
		snprintf(err, errlen, "could not create a TLS context: %s",
			 s ? "OpenSSL failed" : strerror(ENOMEM));
		free(s);
		return NULL;
	}
	ERR_clear_error();
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	/* The server never writes after the handshake: no tickets. */
	SSL_CTX_set_num_tickets(s->ctx, 0);
	SSL_CTX_set_session_cache_mode(s->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(s->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Exporters often close without close_notify: an end like TCP's (a
	 * message cut short is still counted as truncated by the framing). */
	SSL_CTX_set_options(s->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (SSL_CTX_use_certificate_chain_file(s->ctx, cert) != 1) {
		last_error(err, errlen, "the certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1 &&
	    ERR_GET_REASON(ERR_peek_error()) != X509_R_KEY_VALUES_MISMATCH) {
		last_error(err, errlen, "the private key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(s->ctx) != 1) {
		snprintf(err, errlen,
			 "the private key %s does not match the certificate %s",
			 key, cert);
		ERR_clear_error();
		goto fail;
	}
	if (ca) {
		if (SSL_CTX_load_verify_locations(s->ctx, ca, NULL) != 1) {
			last_error(err, errlen, "the CA file", ca);
			goto fail;
		}
		SSL_CTX_set_verify(s->ctx,
				   SSL_VERIFY_PEER |
					   SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
				   NULL);
	}
	return s;

fail:
	tls_server_free(s);
	return NULL;
}

void tls_server_free(struct tls_server *s)
{
	if (!s)
		return;
	SSL_CTX_free(s->ctx);
	free(s);
}

struct tls_conn *tls_conn_new(struct tls_server *s, int fd)
{
	struct tls_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ssl = SSL_new(s->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
		ERR_clear_error();
		tls_conn_free(c);
		return NULL;
	}
	SSL_set_accept_state(c->ssl);
	return c;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	free(c);
}

/* Why the connection failed, for the log. */
static void failure(const struct tls_conn *c, int code, int saved_errno,
		    char *reason, size_t len)
{
	unsigned long e = ERR_get_error();
	long vr = SSL_get_verify_result(c->ssl);
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (code == SSL_ERROR_SYSCALL && !e)
		snprintf(reason, len, "%s",
			 saved_errno ? strerror(saved_errno)
				     : "connection ended in the handshake");
	else if (vr != X509_V_OK)
		snprintf(reason, len, "%s (%s)",
			 r ? r : "certificate verify failed",
			 X509_verify_cert_error_string(vr));
	else
		snprintf(reason, len, "%s", r ? r : "TLS error");
	ERR_clear_error();
}

size_t tls_conn_read(struct tls_conn *c, void *buf, size_t len,
		     enum tls_read_status *status, char *reason,
		     size_t reason_len)
{
	size_t got = 0;
	int rc, code;

	ERR_clear_error();
	errno = 0;
	c->want_write = false;
	rc = SSL_read_ex(c->ssl, buf, len, &got);
	if (rc == 1) {
		*status = TLS_READ_DATA;
		return got;
	}
	code = SSL_get_error(c->ssl, rc);
	switch (code) {
	case SSL_ERROR_WANT_WRITE:
		c->want_write = true;
		/* fall through */
	case SSL_ERROR_WANT_READ:
		*status = TLS_READ_AGAIN;
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		*status = TLS_READ_EOF;
		return 0;
	default:
		break;
	}
	*status = TLS_READ_FAILED;
	failure(c, code, errno, reason, reason_len);
	return 0;
}

bool tls_conn_wants_write(const struct tls_conn *c)
{
	return c->want_write;
}

bool tls_conn_pending(const struct tls_conn *c)
{
	return SSL_pending(c->ssl) > 0;
}

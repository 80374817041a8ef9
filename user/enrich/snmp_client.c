// SPDX-License-Identifier: Apache-2.0
/*
 * SNMP polling with net-snmp (contract and the library's global state in
 * snmp_client.h). Uses the single-session API (snmp_sess_*), synchronous
 * requests with the caller's timeout and retries, numeric OIDs only.
 */
#include "enrich/snmp_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "common/log.h"

/* IF-MIB ifXTable columns, ifTable fallbacks and SNMPv2-MIB sysName.0. */
static const oid oid_if_name[] = { 1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1 };
static const oid oid_if_alias[] = { 1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18 };
static const oid oid_if_high_speed[] = { 1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15 };
static const oid oid_if_descr[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1, 2 };
static const oid oid_if_speed[] = { 1, 3, 6, 1, 2, 1, 2, 2, 1, 5 };
static const oid oid_sys_name[] = { 1, 3, 6, 1, 2, 1, 1, 5, 0 };

#define BULK_REPETITIONS 32
/* ifSpeed's value for "higher than it can tell". */
#define IF_SPEED_SATURATED 4294967295ULL

enum col { COL_NAME, COL_ALIAS, COL_SPEED, COL_SPEED_BPS };

/* A column to walk: its OID, and which field it fills. */
struct column {
	const oid *col;
	size_t len;
	enum col which;
};

#define COLUMN(o, w) ((struct column){ (o), sizeof(o) / sizeof(oid), (w) })

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

/* net-snmp's log, one level down (our own messages say what failed). */
static int log_cb(int major, int minor, void *server, void *client)
{
	const struct snmp_log_message *m = server;
	size_t n;

	(void)major;
	(void)minor;
	(void)client;
	if (!m || !m->msg)
		return 0;
	n = strcspn(m->msg, "\n");
	pr_debug("net-snmp: %.*s", (int)n, m->msg);
	return 0;
}

static void lib_init(void)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
			       NETSNMP_DS_LIB_QUICK_PRINT, 1);
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
			       log_cb, NULL);
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	/* No MIB files: every OID here is numeric. */
	netsnmp_set_mib_directory("");
	init_snmp("xdpflow");
}

/* Length of the printable UTF-8 sequence at s[0..len), or 0 when the byte
 * at s starts none (controls and DEL included). */
static size_t utf8_seq(const uint8_t *s, size_t len)
{
	uint8_t c = s[0];
	size_t n;
	uint32_t cp, min;

	if (c >= 0x20 && c < 0x7f)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp < 0xa0))
		return 0;
	return n;
}

char *snmp_client_clean_str(const uint8_t *s, size_t len, bool *nomem)
{
	char *out;
	size_t o = 0;

	while (len && s[len - 1] == 0)
		len--;
	if (!len)
		return NULL;
	out = malloc((len < SNMP_CLIENT_STR_MAX ? len : SNMP_CLIENT_STR_MAX) +
		     1);
	if (!out) {
		*nomem = true;
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s + i, len - i);

		if (!n) {
			if (o + 1 > SNMP_CLIENT_STR_MAX)
				break;
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n > SNMP_CLIENT_STR_MAX)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = 0;
	return out;
}

void snmp_device_clear(struct snmp_device *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->ifs[i].name);
		free(d->ifs[i].alias);
	}
	free(d->ifs);
	free(d->sysname);
	memset(d, 0, sizeof(*d));
}

/* The entry of ifindex in d (kept sorted), added if need be; NULL when
 * d is full (max) or out of memory (*nomem). */
static struct snmp_if *dev_if(struct snmp_device *d, size_t *cap, size_t max,
			      uint32_t ifindex, bool *nomem)
{
	size_t lo = 0, hi = d->n;

	/* Walks come in increasing order: try the end first. */
	if (d->n && d->ifs[d->n - 1].ifindex < ifindex) {
		lo = d->n;
	} else {
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (d->ifs[mid].ifindex == ifindex)
				return &d->ifs[mid];
			if (d->ifs[mid].ifindex < ifindex)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (d->n >= max)
		return NULL;
	if (d->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct snmp_if *n = realloc(d->ifs, nc * sizeof(*n));

		if (!n) {
			*nomem = true;
			return NULL;
		}
		d->ifs = n;
		*cap = nc;
	}
	memmove(&d->ifs[lo + 1], &d->ifs[lo], (d->n - lo) * sizeof(*d->ifs));
	d->ifs[lo] = (struct snmp_if){ .ifindex = ifindex };
	d->n++;
	return &d->ifs[lo];
}

/* A Gauge32-like value of vb, or false for another type. */
static bool vb_uint(const netsnmp_variable_list *vb, uint64_t *v)
{
	switch (vb->type) {
	case ASN_GAUGE:
	case ASN_COUNTER:
	case ASN_TIMETICKS:
		if (!vb->val.integer || vb->val_len < sizeof(long))
			return false;
		*v = (uint32_t)*vb->val.integer;
		return true;
	case ASN_INTEGER:
		if (!vb->val.integer || vb->val_len < sizeof(long) ||
		    *vb->val.integer < 0)
			return false;
		*v = (uint64_t)*vb->val.integer;
		return true;
	default:
		return false;
	}
}

/* A string value of vb (NULL: empty, another type or out of memory). */
static char *vb_str(const netsnmp_variable_list *vb, bool *nomem)
{
	if (vb->type != ASN_OCTET_STR || !vb->val.string)
		return NULL;
	return snmp_client_clean_str(vb->val.string, vb->val_len, nomem);
}

/* Maps a failed request to -errno and a reason. */
static int req_error(void *sess, int status, const netsnmp_pdu *resp, char *err,
		     size_t errlen)
{
	int liberr = 0, snmperr = 0;
	char *msg = NULL;

	if (status == STAT_TIMEOUT) {
		snprintf(err, errlen,
			 "no answer (agent down or wrong "
			 "community)");
		return -ETIMEDOUT;
	}
	if (status == STAT_SUCCESS && resp) {
		snprintf(err, errlen, "agent error: %s",
			 snmp_errstring((int)resp->errstat));
		return resp->errstat == SNMP_ERR_AUTHORIZATIONERROR ? -EACCES
								    : -EPROTO;
	}
	snmp_sess_error(sess, &liberr, &snmperr, &msg);
	snprintf(err, errlen, "%s", msg ? msg : "SNMP error");
	free(msg);
	switch (snmperr) {
	case SNMPERR_TIMEOUT:
		return -ETIMEDOUT;
	case SNMPERR_AUTHENTICATION_FAILURE:
	case SNMPERR_UNKNOWN_USER_NAME:
	case SNMPERR_UNSUPPORTED_SEC_LEVEL:
	case SNMPERR_DECRYPTION_ERR:
	case SNMPERR_USM_AUTHENTICATIONFAILURE:
	case SNMPERR_USM_UNKNOWNSECURITYNAME:
	case SNMPERR_USM_UNSUPPORTEDSECURITYLEVEL:
	case SNMPERR_USM_DECRYPTIONERROR:
	case SNMPERR_USM_NOTINTIMEWINDOW:
		return -EACCES;
	case SNMPERR_MALLOC:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Walks one ifXTable or ifTable column into d with GETBULK; *found gets
 * how many of its entries had a usable value. */
static int walk(void *sess, const struct snmp_target *t, struct column cl,
		struct snmp_device *d, size_t *cap, size_t *found, char *err,
		size_t errlen)
{
	const oid *col = cl.col;
	const size_t col_len = cl.len;
	const enum col which = cl.which;
	oid cur[MAX_OID_LEN];
	size_t cur_len = col_len;
	bool nomem = false;

	*found = 0;
	memcpy(cur, col, col_len * sizeof(oid));
	for (unsigned req = 0; req < SNMP_CLIENT_MAX_REQUESTS; req++) {
		netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
		netsnmp_pdu *resp = NULL;
		netsnmp_variable_list *vb;
		bool done = false;
		size_t got = 0;
		int status;

		if (t->stop && atomic_load(t->stop)) {
			snprintf(err, errlen, "stopped");
			return -ECANCELED;
		}
		if (!pdu)
			return -ENOMEM;
		pdu->non_repeaters = 0;
		pdu->max_repetitions = BULK_REPETITIONS;
		snmp_add_null_var(pdu, cur, cur_len);
		status = snmp_sess_synch_response(sess, pdu, &resp);
		if (status != STAT_SUCCESS || !resp ||
		    resp->errstat != SNMP_ERR_NOERROR) {
			int ret = req_error(sess, status, resp, err, errlen);

			if (resp)
				snmp_free_pdu(resp);
			return ret;
		}
		for (vb = resp->variables; vb && !done;
		     vb = vb->next_variable) {
			struct snmp_if *e;
			uint64_t v;

			if (vb->type == SNMP_ENDOFMIBVIEW ||
			    vb->type == SNMP_NOSUCHOBJECT ||
			    vb->type == SNMP_NOSUCHINSTANCE ||
			    vb->name_length <= col_len ||
			    snmp_oid_ncompare(vb->name, vb->name_length, col,
					      col_len, col_len) != 0) {
				done = true;
				break;
			}
			if (vb->name_length > MAX_OID_LEN ||
			    snmp_oid_compare(vb->name, vb->name_length, cur,
					     cur_len) <= 0) {
				snmp_free_pdu(resp);
				snprintf(err, errlen,
					 "walk does not advance (bad agent)");
				return -EPROTO;
			}
			memcpy(cur, vb->name, vb->name_length * sizeof(oid));
			cur_len = vb->name_length;
			got++;
			/* ifIndex is one sub-identifier, 1..2^31-1. */
			if (vb->name_length != col_len + 1 ||
			    vb->name[col_len] == 0 ||
			    vb->name[col_len] > INT32_MAX)
				continue;
			e = dev_if(d, cap, t->max_ifs,
				   (uint32_t)vb->name[col_len], &nomem);
			if (!e) {
				if (nomem)
					break;
				continue; /* max_ifs reached: skip */
			}
			switch (which) {
			case COL_NAME:
				if (!e->name && (e->name = vb_str(vb, &nomem)))
					(*found)++;
				break;
			case COL_ALIAS:
				if (!e->alias &&
				    (e->alias = vb_str(vb, &nomem)))
					(*found)++;
				break;
			case COL_SPEED:
				if (vb_uint(vb, &v)) {
					e->speed_bps = v * 1000000ULL;
					(*found)++;
				}
				break;
			case COL_SPEED_BPS:
				if (vb_uint(vb, &v) &&
				    v != IF_SPEED_SATURATED && !e->speed_bps) {
					e->speed_bps = v;
					(*found)++;
				}
				break;
			}
		}
		snmp_free_pdu(resp);
		if (nomem)
			return -ENOMEM;
		if (done || !got)
			return 0;
	}
	snprintf(err, errlen, "walk longer than %d requests",
		 SNMP_CLIENT_MAX_REQUESTS);
	return -EPROTO;
}

/* GETs sysName.0 into d->sysname (left NULL when the agent has none). */
static int get_sysname(void *sess, struct snmp_device *d, char *err,
		       size_t errlen)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
	netsnmp_pdu *resp = NULL;
	bool nomem = false;
	int status;

	if (!pdu)
		return -ENOMEM;
	snmp_add_null_var(pdu, oid_sys_name, OID_LENGTH(oid_sys_name));
	status = snmp_sess_synch_response(sess, pdu, &resp);
	if (status != STAT_SUCCESS || !resp ||
	    (resp->errstat != SNMP_ERR_NOERROR &&
	     resp->errstat != SNMP_ERR_NOSUCHNAME)) {
		int ret = req_error(sess, status, resp, err, errlen);

		if (resp)
			snmp_free_pdu(resp);
		return ret;
	}
	if (resp->errstat == SNMP_ERR_NOERROR && resp->variables)
		d->sysname = vb_str(resp->variables, &nomem);
	snmp_free_pdu(resp);
	return nomem ? -ENOMEM : 0;
}

/* Fills the v3 fields of s from c. */
static int set_usm(netsnmp_session *s, const struct snmp_cred *c, char *err,
		   size_t errlen)
{
	s->version = SNMP_VERSION_3;
	s->securityName = (char *)c->user;
	s->securityNameLen = strlen(c->user);
	s->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	if (c->auth == SNMP_AUTH_NONE)
		return 0;
	if (c->auth == SNMP_AUTH_SHA256) {
		s->securityAuthProto = usmHMAC192SHA256AuthProtocol;
		s->securityAuthProtoLen =
			OID_LENGTH(usmHMAC192SHA256AuthProtocol);
	} else {
		s->securityAuthProto = usmHMACSHA1AuthProtocol;
		s->securityAuthProtoLen = OID_LENGTH(usmHMACSHA1AuthProtocol);
	}
	s->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
			(const u_char *)c->auth_pass, strlen(c->auth_pass),
			s->securityAuthKey,
			&s->securityAuthKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot derive the v3 auth key");
		return -EINVAL;
	}
	s->securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
	if (c->priv == SNMP_PRIV_NONE)
		return 0;
	s->securityPrivProto = usmAESPrivProtocol;
	s->securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
	s->securityPrivKeyLen = USM_PRIV_KU_LEN;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
			(const u_char *)c->priv_pass, strlen(c->priv_pass),
			s->securityPrivKey,
			&s->securityPrivKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot derive the v3 priv key");
		return -EINVAL;
	}
	s->securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
	return 0;
}

/* "udp:A:port" or "udp6:[A]:port" for net-snmp. */
static void peer_name(const struct snmp_target *t, char *buf, size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	char a[INET6_ADDRSTRLEN] = "";

	if (t->addr.len == 4 ||
	    (t->addr.len == 16 && !memcmp(t->addr.b, mapped, 12))) {
		inet_ntop(AF_INET,
			  t->addr.len == 4 ? t->addr.b : t->addr.b + 12, a,
			  sizeof(a));
		snprintf(buf, len, "udp:%s:%u", a, t->port);
	} else {
		inet_ntop(AF_INET6, t->addr.b, a, sizeof(a));
		snprintf(buf, len, "udp6:[%s]:%u", a, t->port);
	}
}

static int poll_locked(const struct snmp_target *t, struct snmp_device *out,
		       char *err, size_t errlen)
{
	const struct snmp_cred *c = t->cred;
	netsnmp_session s;
	char peer[64];
	void *sess;
	size_t cap = 0, names = 0, speeds = 0, found;
	int ret;

	snmp_sess_init(&s);
	peer_name(t, peer, sizeof(peer));
	s.peername = peer;
	s.timeout = (long)t->timeout_ms * 1000L;
	s.retries = (int)t->retries;
	if (c->version == SNMP_V3) {
		ret = set_usm(&s, c, err, errlen);
		if (ret)
			return ret;
	} else {
		s.version = SNMP_VERSION_2c;
		s.community = (u_char *)c->community;
		s.community_len = strlen(c->community);
	}
	/* For v3 this probes the agent's engine ID (bounded by the same
	 * timeout and retries). */
	sess = snmp_sess_open(&s);
	if (!sess) {
		int liberr = 0, snmperr = 0;
		char *msg = NULL;

		snmp_error(&s, &liberr, &snmperr, &msg);
		snprintf(err, errlen, "cannot open a session to %s: %s", peer,
			 msg ? msg : "SNMP error");
		free(msg);
		if (snmperr == SNMPERR_TIMEOUT)
			return -ETIMEDOUT;
		if (snmperr == SNMPERR_MALLOC)
			return -ENOMEM;
		if (snmperr == SNMPERR_UNKNOWN_USER_NAME ||
		    snmperr == SNMPERR_AUTHENTICATION_FAILURE ||
		    snmperr == SNMPERR_USM_AUTHENTICATIONFAILURE ||
		    snmperr == SNMPERR_USM_UNKNOWNSECURITYNAME)
			return -EACCES;
		return -EIO;
	}
	ret = get_sysname(sess, out, err, errlen);
	if (!ret)
		ret = walk(sess, t, COLUMN(oid_if_name, COL_NAME), out, &cap,
			   &names, err, errlen);
	if (!ret)
		ret = walk(sess, t, COLUMN(oid_if_alias, COL_ALIAS), out, &cap,
			   &found, err, errlen);
	if (!ret)
		ret = walk(sess, t, COLUMN(oid_if_high_speed, COL_SPEED), out,
			   &cap, &speeds, err, errlen);
	/* No ifXTable: the ifTable's names and speeds. */
	if (!ret && !names)
		ret = walk(sess, t, COLUMN(oid_if_descr, COL_NAME), out, &cap,
			   &found, err, errlen);
	if (!ret && !speeds)
		ret = walk(sess, t, COLUMN(oid_if_speed, COL_SPEED_BPS), out,
			   &cap, &found, err, errlen);
	snmp_sess_close(sess);
	return ret;
}

int snmp_client_poll(const struct snmp_target *t, struct snmp_device *out,
		     char *err, size_t errlen)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (t->addr.len != 4 && t->addr.len != 16) {
		snprintf(err, errlen, "no agent address");
		return -EINVAL;
	}
	pthread_once(&lib_once, lib_init);
	pthread_mutex_lock(&lib_lock);
	ret = poll_locked(t, out, err, errlen);
	pthread_mutex_unlock(&lib_lock);
	return ret;
}

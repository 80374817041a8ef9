// SPDX-License-Identifier: Apache-2.0
/* The decode stage's front door: context lifetime and dispatch by version. */
#include "decode/decode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "decode/decode_internal.h"
#include "decode/nf_fields.h"
#include "decode/nf_persist.h"
#include "decode/nf_state.h"

void decode_config_defaults(struct decode_config *cfg)
{
	cfg->max_templates = 65536;
	cfg->max_held_sets = 4096;
	cfg->max_held_bytes = 16u << 20;
	cfg->held_max_age_ns = 30ULL * 1000000000ULL;
	cfg->max_exporters = 65536;
	cfg->biflow = DECODE_BIFLOW_SPLIT;
}

struct decode_ctx *decode_ctx_new(const struct decode_config *cfg)
{
	struct decode_ctx *ctx = calloc(1, sizeof(*ctx));
	struct nf_state_bounds b = {
		.max_templates = cfg->max_templates,
		.max_held_sets = cfg->max_held_sets,
		.max_held_bytes = cfg->max_held_bytes,
		.held_max_age_ns = cfg->held_max_age_ns,
	};

	if (!ctx)
		return NULL;
	ctx->biflow_split = cfg->biflow == DECODE_BIFLOW_SPLIT;
	ctx->batch = calloc(DECODE_BATCH, sizeof(*ctx->batch));
	if (!ctx->batch)
		goto err_ctx;
	if (dstats_init(&ctx->stats, cfg->max_exporters))
		goto err_ctx;
	ctx->nf = nf_state_new(&b);
	if (!ctx->nf)
		goto err_stats;
	return ctx;

err_stats:
	dstats_fini(&ctx->stats);
err_ctx:
	free(ctx->batch);
	free(ctx);
	return NULL;
}

void decode_ctx_free(struct decode_ctx *ctx)
{
	if (!ctx)
		return;
	nf_state_free(ctx->nf);
	dstats_fini(&ctx->stats);
	free(ctx->batch);
	free(ctx);
}

const struct dstats_table *decode_stats(const struct decode_ctx *ctx)
{
	return &ctx->stats;
}

void decode_expire(struct decode_ctx *ctx, uint64_t now_ns)
{
	nf_fields_expire(ctx, now_ns);
}

void decode_drop_held(struct decode_ctx *ctx)
{
	nf_fields_drop_held(ctx);
}

int decode_templates_save(struct decode_ctx *const *ctxs, size_t n,
			  const char *path)
{
	const struct nf_state *nfs[64];

	if (n > sizeof(nfs) / sizeof(nfs[0]))
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		nfs[i] = ctxs[i]->nf;
	return nf_persist_save(nfs, n, path);
}

struct foreach_arg {
	void (*fn)(const struct decode_template *t, void *arg);
	void *arg;
};

static void foreach_one(const struct nf_tmpl *t, void *arg)
{
	const struct foreach_arg *a = arg;
	const struct nf_key *k = &t->node.key;
	struct decode_field f[NF_MAX_FIELDS];
	struct decode_template d = {
		.exporter = { .len = k->alen },
		.version = k->ver,
		.domain = k->domain,
		.id = k->tid,
		.options = t->options,
		.nscope = t->nscope,
		.nfields = t->nfields,
		.fields = f,
		.seen_ns = t->seen_ns,
	};

	memcpy(d.exporter.b, k->addr, sizeof(d.exporter.b));
	for (uint16_t i = 0; i < t->nfields && i < NF_MAX_FIELDS; i++)
		f[i] = (struct decode_field){ t->fields[i].pen, t->fields[i].ie,
					      t->fields[i].len };
	a->fn(&d, a->arg);
}

void decode_templates_foreach(const struct decode_ctx *ctx,
			      void (*fn)(const struct decode_template *t,
					 void *arg),
			      void *arg)
{
	struct foreach_arg a = { fn, arg };

	nf_state_foreach_tmpl(ctx->nf, foreach_one, &a);
}

bool decode_templates_dirty(struct decode_ctx *ctx)
{
	return nf_state_dirty(ctx->nf);
}

int decode_templates_load(struct decode_ctx *ctx, const char *path)
{
	return nf_persist_load(ctx->nf, path);
}

int decode_templates_load_buf(struct decode_ctx *ctx, const uint8_t *buf,
			      size_t len)
{
	return nf_persist_load_buf(ctx->nf, buf, len);
}

int decode_datagram(struct decode_ctx *ctx, const struct datagram *dg,
		    struct flow_sink *sink)
{
	struct exporter_stats *es = dstats_get(&ctx->stats, &dg->exporter);
	uint32_t version;

	es->c[DSTAT_PACKETS]++;
	/* NetFlow/IPFIX carry a 16-bit version, sFlow a 32-bit one. */
	if (dg->len < 4) {
		dstats_error(es, DSTAT_ERR_TRUNCATED, "%zu-byte datagram",
			     dg->len);
		return -EINVAL;
	}
	version = be32_at(dg->data);
	if (dg->hint != DECODE_NETFLOW && version == 5)
		return sflow_decode(ctx, dg, es, sink);

	switch (be16_at(dg->data)) {
	case 5:
		if (dg->hint != DECODE_SFLOW)
			return nf5_decode(ctx, dg, es, sink);
		break;
	case 9:
		if (dg->hint != DECODE_SFLOW)
			return nf9_decode(ctx, dg, es, sink);
		break;
	case 10:
		if (dg->hint != DECODE_SFLOW)
			return ipfix_decode(ctx, dg, es, sink);
		break;
	}
	dstats_error(es, DSTAT_ERR_VERSION, "version 0x%08x on a%s listener",
		     version,
		     dg->hint == DECODE_SFLOW	  ? "n sflow"
		     : dg->hint == DECODE_NETFLOW ? " netflow"
						  : " flow");
	return -EPROTONOSUPPORT;
}

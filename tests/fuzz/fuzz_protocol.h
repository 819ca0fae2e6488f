/* SPDX-License-Identifier: MIT */
/*
 * fuzz_protocol.h - the wire protocol fuzz target's logic, shared by the
 * libFuzzer binary (fuzz_protocol.c) and the corpus replay test
 * (tests/test_live_corpus.c).
 *
 * Input: a byte stream as a client would send it: messages back to back,
 * each a 16-byte header and up to `len` payload bytes (cut short at the end
 * of the input). Each goes to live_session_handle() of a fresh session on a
 * small EPC (MANUAL mode, 64 pages), as the daemon's connection thread would
 * hand it over; a fatal reply ends the stream, as it closes a connection.
 *
 * Properties (abort() on violation):
 *  - every reply has the magic, the version, the request's type with the
 *    reply bit, a status of 0 or -1..-4095, and a payload only on success
 *    (but for the EDMM calls that report their progress whatever it is);
 *  - a header that fails epcmm_proto_check_hdr() gets a fatal reply;
 *  - after the session is destroyed, the root's misc.current is
 *    "sgx_epc 0\n": whatever the input created was freed with it.
 *
 * The instance is created once, lazily; fuzz_protocol_teardown() frees it.
 */
#ifndef EPCMM_FUZZ_PROTOCOL_H
#define EPCMM_FUZZ_PROTOCOL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epcmm.h"
#include "proto.h"
#include "session.h"

#define FUZZ_PROTO_PAGES 64

struct fuzz_protocol {
	struct epc *epc;
	struct live_server srv;
	struct epcmm_wr out;
};

static inline struct fuzz_protocol *fuzz_protocol_instance(struct fuzz_protocol **slot)
{
	static const struct epc_section_desc sec = {0x100000, FUZZ_PROTO_PAGES * 4096, 0};
	struct epc_config cfg = {
		.nr_nodes = 1,
		.sections = &sec,
		.nr_sections = 1,
		.background = EPC_BACKGROUND_MANUAL,
	};
	struct fuzz_protocol *f = *slot;

	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	if (!f || epc_create2(&cfg, sizeof(cfg), &f->epc) || epc_sanitize_wait(f->epc) ||
	    live_server_init(&f->srv, f->epc, &cfg))
		abort();
	*slot = f;
	return f;
}

static inline void fuzz_protocol_teardown(struct fuzz_protocol **slot)
{
	struct fuzz_protocol *f = *slot;

	if (!f)
		return;
	live_server_fini(&f->srv);
	epc_destroy(f->epc);
	epcmm_wr_free(&f->out);
	free(f);
	*slot = NULL;
}

static inline int fuzz_protocol_one(struct fuzz_protocol **slot, const uint8_t *data, size_t size)
{
	struct fuzz_protocol *f = fuzz_protocol_instance(slot);
	struct live_session *s;
	char text[64];
	size_t off = 0;

	if (live_session_create(&f->srv, 0, &s))
		abort();
	while (size - off >= sizeof(struct epcmm_msg_hdr)) {
		struct epcmm_msg_hdr h, rh;
		uint8_t *payload;
		size_t n;
		int ret, bad;

		memcpy(&h, data + off, sizeof(h));
		off += sizeof(h);
		bad = epcmm_proto_check_hdr(&h, false, 0);
		n = bad ? 0 : h.len <= size - off ? h.len : size - off;
		if (!bad)
			h.len = (uint32_t)n; /* the input ended inside the payload */
		payload = malloc(n ? n : 1); /* its own allocation: ASan sees overreads */
		if (!payload)
			abort();
		memcpy(payload, data + off, n);
		off += n;
		ret = live_session_handle(s, &h, payload, &rh, &f->out);
		free(payload);
		if (rh.magic != EPCMM_PROTO_MAGIC || rh.version != EPCMM_PROTO_VERSION ||
		    !(rh.type & EPCMM_MSG_REPLY) ||
		    (rh.type & ~EPCMM_MSG_REPLY) != (h.type & ~EPCMM_MSG_REPLY) || rh.status > 0 ||
		    rh.status < -4095 ||
		    (rh.status && rh.len && !epcmm_msg_reports_progress(rh.type)) ||
		    rh.len != f->out.len)
			abort();
		if (bad && !ret)
			abort(); /* a bad header must close the connection */
		if (ret)
			break;
	}
	live_session_destroy(s);
	if (epc_cgroup_read(epc_cgroup_root(f->epc), "misc.current", text, sizeof(text)) < 0 ||
	    strcmp(text, "sgx_epc 0\n"))
		abort();
	return 0;
}

#endif

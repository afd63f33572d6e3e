/*
 * conv_out: chunked writer into the host scratch buffer (see conv_out.h).
 */
#include "conv_out.h"

/* Windows are reserved in chunks of this size so that small values do not
 * each cost a host call. */
#define CONV_OUT_CHUNK 1024

static void conv_out_commit(conv_out_t *o) {
        if (o->win && o->pos > o->win)
                o->host->buf_commit(o->buf, (size_t)(o->pos - o->win));
        o->win = o->pos;
}

void conv_out_begin(conv_out_t *o, const rdcp_host_t *host, rdcp_buf_t *buf) {
        size_t len;
        o->host = host;
        o->buf = buf;
        o->win = o->pos = o->end = NULL;
        o->failed = 0;
        host->buf_data(buf, &len);
        o->start = len;
}

int conv_out_grow(conv_out_t *o, size_t need) {
        size_t size = need > CONV_OUT_CHUNK ? need : CONV_OUT_CHUNK;
        char *win;
        if (o->failed)
                return -1;
        /* Commit first: reserving may move the buffer. */
        conv_out_commit(o);
        win = o->host->buf_reserve(o->buf, size);
        if (!win) {
                /* An empty window sends every later write here. */
                o->failed = 1;
                o->win = o->pos = o->end = NULL;
                return -1;
        }
        o->win = o->pos = win;
        o->end = win + size;
        return 0;
}

rdcp_err_t conv_out_end(conv_out_t *o, rdcp_bytes_t *out) {
        size_t len;
        const char *data;
        conv_out_commit(o);
        if (o->failed)
                return RDCP_ERR_NOMEM;
        data = o->host->buf_data(o->buf, &len);
        if (!data || len == o->start) {
                out->ptr = "";
                out->len = 0;
                return RDCP_OK;
        }
        out->ptr = data + o->start;
        out->len = len - o->start;
        return RDCP_OK;
}

/*
 * conv_out: serialized output of a converter, written straight into the
 * host's scratch buffer. The hot path (JsonConverter.from_data) writes
 * through a reserved window with plain memcpy and commits it to the buffer
 * only when the window is full or the record is done, so there is neither
 * a host call per byte nor a malloc per record.
 *
 * Out of memory is sticky: writes after it are dropped and the writer
 * checks o->failed once at the end, which keeps the encoders free of an
 * error branch per byte.
 */
#ifndef RDC_CONV_OUT_H
#define RDC_CONV_OUT_H

#include <stddef.h>
#include <string.h>
#include <rdconnect/plugin.h>

typedef struct conv_out {
        const rdcp_host_t *host;
        rdcp_buf_t *buf;
        char *win;    /**< start of the reserved, uncommitted window */
        char *pos;    /**< next byte to write in the window */
        char *end;    /**< end of the window */
        size_t start; /**< buffer length when this output began */
        int failed;   /**< set on OOM; later writes are dropped */
} conv_out_t;

/** Starts an output at the current end of buf. */
void conv_out_begin(conv_out_t *o, const rdcp_host_t *host, rdcp_buf_t *buf);

/** Slow path of conv_out_need(): commits and reserves a new window.
 *  @returns 0, or -1 on OOM (and sets o->failed). */
int conv_out_grow(conv_out_t *o, size_t need);

/** Makes room for need bytes at o->pos. @returns 0, or -1 on OOM. */
static inline int conv_out_need(conv_out_t *o, size_t need) {
        if ((size_t)(o->end - o->pos) >= need)
                return 0;
        return conv_out_grow(o, need);
}

static inline void conv_out_write(conv_out_t *o, const void *ptr, size_t len) {
        if (len == 0 || conv_out_need(o, len))
                return;
        memcpy(o->pos, ptr, len);
        o->pos += len;
}

static inline void conv_out_byte(conv_out_t *o, char c) {
        if (conv_out_need(o, 1))
                return;
        *o->pos++ = c;
}

/** Writes a string literal without its terminating NUL. */
#define conv_out_lit(o, lit) conv_out_write((o), (lit), sizeof(lit) - 1)

/** Writes a NUL-terminated string. */
static inline void conv_out_str(conv_out_t *o, const char *str) {
        conv_out_write(o, str, strlen(str));
}

/** Commits what was written and points out at it (never {NULL, 0}: an
 *  empty output is an empty byte string, not a Kafka null).
 *  @returns RDCP_OK, or RDCP_ERR_NOMEM if any write failed. */
rdcp_err_t conv_out_end(conv_out_t *o, rdcp_bytes_t *out);

#endif

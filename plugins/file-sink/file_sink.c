/*
 * file-sink: Kafka Connect's FileStreamSink rebuilt on the rdconnect plugin
 * ABI. Every record value becomes one line of a file (or of stdout).
 *
 * Value rendering:
 *  - STRING and BYTES: the raw bytes, as Kafka writes them.
 *  - null: "null", as Java's PrintStream.println(Object) does.
 *  - integers: decimal; booleans: true/false.
 *  - floating point: the shortest text that reads back as the same
 *    value (%.{15..17}g, float32 {6..9}), with ".0" added to integral
 *    values so they stay recognisable as floats. Java's Double.toString
 *    differs for large and small magnitudes ("1.0E10"); matching it
 *    exactly is not worth the code. NaN and infinities print as Java
 *    prints them: NaN, Infinity, -Infinity.
 *  - ARRAY, MAP, STRUCT: JSON (Java prints Struct{a=1} and {k=v}, which
 *    nothing can parse back). Strings inside are JSON-escaped, bytes
 *    inside are base64 strings (as JsonConverter writes them), map keys
 *    that are not strings become the JSON string of their rendering, and
 *    a STRUCT without a matching schema renders as an array.
 *
 * What we do better than Kafka's version: one task (see task_configs), one
 * write(2) per put() batch instead of one per record, fsync on flush so data is
 * durable before the host commits consumer offsets, and a file that was
 * deleted or renamed away is re-created at the next flush.
 *
 * Write errors never lose data: the host commits consumer offsets only
 * after flush() succeeds, so flush() fails whenever a byte put so far is
 * not written and synced. Disk full and quota (ENOSPC, EDQUOT) are
 * RDCP_ERR_RETRIABLE: the operator may free space. Bytes a short write did
 * get out stay in the file and only the rest is written again, so a retry
 * neither tears nor duplicates a line. Everything else (EROFS, EBADF,
 * EFBIG, EIO, a failed fsync) is fatal; then the bytes written since the
 * last successful flush are cut off the file again when the task ends,
 * because their records were not committed and are delivered again.
 */
#define _GNU_SOURCE
#include <rdconnect/plugin.h>

#include "one_task.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FSINK_CLASS "org.apache.kafka.connect.file.FileStreamSinkConnector"

/* First size of the line buffer; it grows for larger batches. */
#define FSINK_WRITE_AT (256 * 1024)
/* A buffer grown past this by a huge batch is released once written. */
#define FSINK_KEEP_MAX (4 * FSINK_WRITE_AT)
/* Nesting limit of ARRAY/MAP/STRUCT values: bounds the recursion. */
#define FSINK_MAX_DEPTH 64

typedef struct fsink_task {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
        char *path; /* NULL: stdout */
        int fd;
        char *buf; /* rendered lines not yet written */
        size_t len;
        size_t size;
        int regular;          /* fd is a regular file (sync, cut back) */
        uint64_t written_end; /* file size after our last write */
        uint64_t flushed_end; /* file size after the last good fsync */
        int sync_warned;      /* told that the file cannot be synced */
} fsink_task_t;

static const char *fsink_name(const fsink_task_t *t) {
        return t->path ? t->path : "standard output";
}

/* ---------------------------------------------------------- connector */

/* The connector is one_task.h's. Kafka returns tasks.max identical
 * configs, so several tasks append to the same file and their lines
 * interleave at random. One task keeps each partition's records in order
 * and never mixes partial writes. */

/* --------------------------------------------------------- the buffer */

/* @returns a pointer to room for size more bytes, or NULL on OOM. */
static char *fsink_reserve(fsink_task_t *t, size_t size) {
        /* !t->buf: even an empty append needs a non-NULL pointer. */
        if (t->size - t->len < size || !t->buf) {
                size_t want = t->size ? t->size : FSINK_WRITE_AT;
                while (want - t->len < size)
                        want *= 2;
                char *grown = t->host->realloc(t->buf, want);
                if (!grown)
                        return NULL;
                t->buf = grown;
                t->size = want;
        }
        return t->buf + t->len;
}

static int fsink_append(fsink_task_t *t, const void *ptr, size_t size) {
        char *dst = fsink_reserve(t, size);
        if (!dst)
                return -1;
        if (size)
                memcpy(dst, ptr, size);
        t->len += size;
        return 0;
}

static int fsink_append_str(fsink_task_t *t, const char *str) {
        return fsink_append(t, str, strlen(str));
}

/* The symbolic name of the errno values an operator is likely to see. */
static const char *fsink_errno_name(int err) {
        switch (err) {
        case ENOSPC:
                return "ENOSPC";
        case EDQUOT:
                return "EDQUOT";
        case EIO:
                return "EIO";
        case EROFS:
                return "EROFS";
        case EBADF:
                return "EBADF";
        case EFBIG:
                return "EFBIG";
        case EPIPE:
                return "EPIPE";
        case EACCES:
                return "EACCES";
        case ENOENT:
                return "ENOENT";
        case EAGAIN:
                return "EAGAIN";
        default:
                return "errno";
        }
}

/* Whether an operator (or time) can clear the error while the task keeps
 * its data: a full disk or quota, a missing directory or permission of a
 * file being re-created, a full non-blocking stdout. An I/O error means
 * the device may have lost what it was given, and EFBIG, EROFS, EBADF,
 * EPIPE do not go away by waiting. */
static int fsink_retriable(int err) {
        return err == ENOSPC || err == EDQUOT || err == EAGAIN ||
               err == EWOULDBLOCK || err == ENOMEM || err == ENOENT ||
               err == EACCES;
}

/* Describes a failed file operation in errstr. @returns its status. */
static rdcp_err_t fsink_error(const fsink_task_t *t, const char *what, int err,
                              char *errstr, size_t errstr_size) {
        int retriable = fsink_retriable(err);
        snprintf(errstr, errstr_size, "cannot %s '%s': %s (%s %d); %s", what,
                 fsink_name(t), strerror(err), fsink_errno_name(err), err,
                 retriable ? "retrying, nothing is committed until it works"
                           : "the task fails; records not flushed are "
                             "delivered again after a restart");
        return retriable ? RDCP_ERR_RETRIABLE : RDCP_ERR_FATAL;
}

/* Writes the buffer; what could not be written stays for the next try.
 * *written: bytes that got out in this call. */
static rdcp_err_t fsink_write_out(fsink_task_t *t, size_t *written,
                                  char *errstr, size_t errstr_size) {
        size_t done = 0;
        int err = 0;
        while (done < t->len) {
                ssize_t n = write(t->fd, t->buf + done, t->len - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        err = n < 0 ? errno : EIO;
                        break;
                }
                done += (size_t)n;
        }
        if (done) {
                memmove(t->buf, t->buf + done, t->len - done);
                t->len -= done;
                t->written_end += done;
        }
        if (written)
                *written = done;
        if (err)
                return fsink_error(t, "write to", err, errstr, errstr_size);
        if (t->size > FSINK_KEEP_MAX) {
                t->host->free(t->buf);
                t->buf = NULL;
                t->size = 0;
        }
        return RDCP_OK;
}

/* fsync. A failed fsync may have dropped the data it was to write (the
 * kernel can report the error once and call the pages clean), so
 * retrying could commit offsets of lost lines: it is fatal. EINVAL,
 * ENOTSUP and EROFS say the file cannot be synced at all (pipes,
 * terminals, some special file systems): the data is written, which is
 * all such a file offers. */
static rdcp_err_t fsink_sync(fsink_task_t *t, char *errstr,
                             size_t errstr_size) {
        int err = fsync(t->fd) == 0 ? 0 : errno;
        if (err == EINVAL || err == ENOTSUP || err == EROFS) {
                if (t->regular && !t->sync_warned)
                        t->host->log(t->ctx, RDCP_LOG_WARN,
                                     "'%s' cannot be synced (%s): lines are "
                                     "written but may not survive a crash of "
                                     "the machine",
                                     fsink_name(t), strerror(err));
                t->sync_warned = 1;
                err = 0;
        }
        if (!err) {
                t->flushed_end = t->written_end;
                return RDCP_OK;
        }
        snprintf(errstr, errstr_size,
                 "cannot sync '%s': %s (%s %d); what was written since the "
                 "last flush may not be on disk, so the task fails and those "
                 "records are delivered again after a restart",
                 fsink_name(t), strerror(err), fsink_errno_name(err), err);
        return RDCP_ERR_FATAL;
}

/* Cuts off what was written after the last good flush: the host did not
 * commit those records, so they come again and would be duplicated (or a
 * torn last line would stay). Only when nobody else appended meanwhile. */
static void fsink_cut_unflushed(fsink_task_t *t) {
        struct stat st;
        if (!t->regular || t->fd < 0 || t->written_end <= t->flushed_end)
                return;
        if (fstat(t->fd, &st) != 0 || (uint64_t)st.st_size != t->written_end) {
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "'%s' changed under the sink; leaving the %" PRIu64
                             " byte(s) written since the last flush (their "
                             "records are delivered again)",
                             t->path, t->written_end - t->flushed_end);
                return;
        }
        if (ftruncate(t->fd, (off_t)t->flushed_end) != 0) {
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "cannot cut '%s' back to %" PRIu64
                             " bytes: %s; the records after it are delivered "
                             "again and may appear twice",
                             t->path, t->flushed_end, strerror(errno));
                return;
        }
        t->host->log(t->ctx, RDCP_LOG_WARN,
                     "cut %" PRIu64 " byte(s) not flushed off '%s' (back to "
                     "%" PRIu64 " bytes): their records were not committed "
                     "and are delivered again",
                     t->written_end - t->flushed_end, t->path, t->flushed_end);
        t->written_end = t->flushed_end;
}

/* ---------------------------------------------------------- rendering */

/* Shortest decimal text that parses back to the same value. */
static void fsink_format_float(double value, int single, char *out,
                               size_t size) {
        if (isnan(value)) {
                snprintf(out, size, "NaN");
                return;
        }
        if (isinf(value)) {
                snprintf(out, size, value > 0 ? "Infinity" : "-Infinity");
                return;
        }
        for (int digits = single ? 6 : 15; digits <= (single ? 9 : 17);
             digits++) {
                snprintf(out, size, "%.*g", digits, value);
                if (single ? strtof(out, NULL) == (float)value
                           : strtod(out, NULL) == value)
                        break;
        }
        if (strspn(out, "-0123456789") == strlen(out))
                strncat(out, ".0", size - strlen(out) - 1);
}

static int fsink_append_json_string(fsink_task_t *t, const char *ptr,
                                    size_t len) {
        static const char hex[] = "0123456789abcdef";
        /* Worst case: every byte becomes \u00XX. */
        char *out = fsink_reserve(t, len * 6 + 2);
        char *start = out;
        if (!out)
                return -1;
        *out++ = '"';
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)ptr[i];
                const char *esc = c == '"'    ? "\\\""
                                  : c == '\\' ? "\\\\"
                                  : c == '\n' ? "\\n"
                                  : c == '\r' ? "\\r"
                                  : c == '\t' ? "\\t"
                                  : c == '\b' ? "\\b"
                                  : c == '\f' ? "\\f"
                                              : NULL;
                if (esc) {
                        memcpy(out, esc, 2);
                        out += 2;
                } else if (c < 0x20) {
                        memcpy(out, "\\u00", 4);
                        out[4] = hex[c >> 4];
                        out[5] = hex[c & 0xf];
                        out += 6;
                } else {
                        *out++ = (char)c;
                }
        }
        *out++ = '"';
        t->len += (size_t)(out - start);
        return 0;
}

static int fsink_append_base64(fsink_task_t *t, const unsigned char *ptr,
                               size_t len) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "abcdefghijklmnopqrstuvwxyz"
                                       "0123456789+/";
        char *out = fsink_reserve(t, (len + 2) / 3 * 4 + 2);
        char *start = out;
        if (!out)
                return -1;
        *out++ = '"';
        for (size_t i = 0; i < len; i += 3) {
                uint32_t group = (uint32_t)ptr[i] << 16;
                if (i + 1 < len)
                        group |= (uint32_t)ptr[i + 1] << 8;
                if (i + 2 < len)
                        group |= ptr[i + 2];
                out[0] = alphabet[group >> 18];
                out[1] = alphabet[(group >> 12) & 0x3f];
                out[2] = i + 1 < len ? alphabet[(group >> 6) & 0x3f] : '=';
                out[3] = i + 2 < len ? alphabet[group & 0x3f] : '=';
                out += 4;
        }
        *out++ = '"';
        t->len += (size_t)(out - start);
        return 0;
}

static rdcp_err_t fsink_render_json(fsink_task_t *t, const rdcp_data_t *data,
                                    int depth, char *errstr,
                                    size_t errstr_size);

/* A map key must be a JSON string: other keys become the string of their
 * own JSON rendering, e.g. {"1":...} or {"[1,2]":...}. */
static rdcp_err_t fsink_render_key(fsink_task_t *t, const rdcp_data_t *key,
                                   int depth, char *errstr,
                                   size_t errstr_size) {
        if (key->kind == RDCP_DATA_STRING)
                return fsink_render_json(t, key, depth, errstr, errstr_size);
        size_t mark = t->len;
        rdcp_err_t err = fsink_render_json(t, key, depth, errstr, errstr_size);
        if (err)
                return err;
        size_t text_len = t->len - mark;
        char *text = t->host->malloc(text_len ? text_len : 1);
        if (!text)
                goto nomem;
        memcpy(text, t->buf + mark, text_len);
        t->len = mark;
        int failed = fsink_append_json_string(t, text, text_len);
        t->host->free(text);
        if (!failed)
                return RDCP_OK;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        return RDCP_ERR_NOMEM;
}

/* Renders the elements of an ARRAY, MAP or STRUCT between open and close.
 * names: STRUCT field names (one per element), or NULL. */
static rdcp_err_t fsink_render_list(fsink_task_t *t, const rdcp_data_t *data,
                                    const rdcp_field_t *names, int depth,
                                    char *errstr, size_t errstr_size) {
        int is_map = data->kind == RDCP_DATA_MAP;
        int is_object = is_map || names;
        size_t cnt = data->u.list.cnt;
        size_t step = is_map ? 2 : 1;
        rdcp_err_t err = RDCP_OK;

        if (is_map && cnt % 2) {
                snprintf(errstr, errstr_size,
                         "MAP value has an odd element count (%zu)", cnt);
                return RDCP_ERR_DATA;
        }
        if (fsink_append_str(t, is_object ? "{" : "["))
                goto nomem;
        for (size_t i = 0; i < cnt && !err; i += step) {
                const rdcp_data_t *elem = &data->u.list.elems[i];
                if (i > 0 && fsink_append_str(t, ","))
                        goto nomem;
                if (is_map) {
                        err = fsink_render_key(t, elem++, depth, errstr,
                                               errstr_size);
                        if (err)
                                break;
                } else if (names) {
                        const char *name = names[i].name ? names[i].name : "";
                        if (fsink_append_json_string(t, name, strlen(name)))
                                goto nomem;
                }
                if (is_object && fsink_append_str(t, ":"))
                        goto nomem;
                err = fsink_render_json(t, elem, depth, errstr, errstr_size);
        }
        if (err)
                return err;
        if (fsink_append_str(t, is_object ? "}" : "]"))
                goto nomem;
        return RDCP_OK;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        return RDCP_ERR_NOMEM;
}

static rdcp_err_t fsink_render_json(fsink_task_t *t, const rdcp_data_t *data,
                                    int depth, char *errstr,
                                    size_t errstr_size) {
        char number[40];
        const rdcp_schema_t *schema = data->schema;
        int failed;

        if (depth > FSINK_MAX_DEPTH) {
                snprintf(errstr, errstr_size,
                         "value nested deeper than %d levels", FSINK_MAX_DEPTH);
                return RDCP_ERR_DATA;
        }
        switch (data->kind) {
        case RDCP_DATA_NULL:
                failed = fsink_append_str(t, "null");
                break;
        case RDCP_DATA_BOOL:
                failed = fsink_append_str(t, data->u.b ? "true" : "false");
                break;
        case RDCP_DATA_INT:
                snprintf(number, sizeof(number), "%" PRId64, data->u.i);
                failed = fsink_append_str(t, number);
                break;
        case RDCP_DATA_FLOAT:
                fsink_format_float(data->u.f,
                                   schema &&
                                           schema->type == RDCP_SCHEMA_FLOAT32,
                                   number, sizeof(number));
                failed = fsink_append_str(t, number);
                break;
        case RDCP_DATA_STRING:
                failed = fsink_append_json_string(t, data->u.bytes.ptr,
                                                  data->u.bytes.len);
                break;
        case RDCP_DATA_BYTES:
                failed = fsink_append_base64(t, data->u.bytes.ptr,
                                             data->u.bytes.len);
                break;
        case RDCP_DATA_ARRAY:
        case RDCP_DATA_MAP:
                return fsink_render_list(t, data, NULL, depth + 1, errstr,
                                         errstr_size);
        case RDCP_DATA_STRUCT: {
                int named = schema && schema->type == RDCP_SCHEMA_STRUCT &&
                            schema->fields &&
                            schema->field_cnt == data->u.list.cnt;
                return fsink_render_list(t, data, named ? schema->fields : NULL,
                                         depth + 1, errstr, errstr_size);
        }
        default:
                snprintf(errstr, errstr_size, "unknown value kind %" PRIu32,
                         data->kind);
                return RDCP_ERR_DATA;
        }
        if (!failed)
                return RDCP_OK;
        snprintf(errstr, errstr_size, "out of memory");
        return RDCP_ERR_NOMEM;
}

/* One record value as one line. */
static rdcp_err_t fsink_render_line(fsink_task_t *t, const rdcp_data_t *value,
                                    char *errstr, size_t errstr_size) {
        if (value->kind == RDCP_DATA_STRING || value->kind == RDCP_DATA_BYTES) {
                if (fsink_append(t, value->u.bytes.ptr, value->u.bytes.len))
                        goto nomem;
        } else {
                rdcp_err_t err =
                        fsink_render_json(t, value, 0, errstr, errstr_size);
                if (err)
                        return err;
        }
        if (fsink_append(t, "\n", 1))
                goto nomem;
        return RDCP_OK;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        return RDCP_ERR_NOMEM;
}

/* ---------------------------------------------------------------- task */

static rdcp_err_t fsink_open(fsink_task_t *t, char *errstr,
                             size_t errstr_size) {
        struct stat st;
        int fd = open(t->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                int err = errno;
                snprintf(errstr, errstr_size,
                         "cannot open '%s' for appending: %s (%s %d)", t->path,
                         strerror(err), fsink_errno_name(err), err);
                return fsink_retriable(err) ? RDCP_ERR_RETRIABLE
                                            : RDCP_ERR_FATAL;
        }
        if (t->fd >= 0)
                close(t->fd);
        t->fd = fd;
        /* What is in the file already was not written by this task. */
        t->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        t->written_end = t->flushed_end = t->regular ? (uint64_t)st.st_size : 0;
        return RDCP_OK;
}

/* A file deleted or renamed away (log rotation) is re-created: writing on
 * into an unlinked or renamed inode would hide the data from the user.
 * What went into the old file is synced first: flush() vouches for it. */
static rdcp_err_t fsink_reopen_if_moved(fsink_task_t *t, char *errstr,
                                        size_t errstr_size) {
        struct stat by_path, by_fd;
        if (!t->path || fstat(t->fd, &by_fd) != 0)
                return RDCP_OK;
        if (stat(t->path, &by_path) == 0) {
                if (by_path.st_dev == by_fd.st_dev &&
                    by_path.st_ino == by_fd.st_ino)
                        return RDCP_OK;
        } else if (errno != ENOENT) {
                return RDCP_OK;
        }
        if (t->written_end > t->flushed_end) {
                rdcp_err_t err = fsink_sync(t, errstr, errstr_size);
                if (err)
                        return err;
        }
        t->host->log(t->ctx, RDCP_LOG_INFO,
                     "'%s' was removed or replaced; re-opening it", t->path);
        return fsink_open(t, errstr, errstr_size);
}

static void fsink_task_destroy(void *opaque) {
        fsink_task_t *t = opaque;
        /* Lines not flushed are dropped on purpose: their consumer offsets
         * were not committed, so they are delivered again after a restart
         * and keeping them would duplicate them. */
        fsink_cut_unflushed(t);
        if (t->path && t->fd >= 0)
                close(t->fd);
        t->host->free(t->path);
        t->host->free(t->buf);
        t->host->free(t);
}

static rdcp_err_t fsink_task_create(const rdcp_ctx_t *ctx,
                                    const rdcp_host_t *host,
                                    const rdcp_config_t *cfg, void **taskp,
                                    char *errstr, size_t errstr_size) {
        const char *file = host->config_get(cfg, "file");
        fsink_task_t *t = host->malloc(sizeof(*t));
        if (!t) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        memset(t, 0, sizeof(*t));
        t->ctx = ctx;
        t->host = host;
        t->fd = STDOUT_FILENO;
        /* As in Kafka, an empty name also means stdout. */
        if (file && *file) {
                size_t len = strlen(file) + 1;
                t->fd = -1;
                t->path = host->malloc(len);
                if (!t->path) {
                        snprintf(errstr, errstr_size, "out of memory");
                        fsink_task_destroy(t);
                        return RDCP_ERR_NOMEM;
                }
                memcpy(t->path, file, len);
                rdcp_err_t err = fsink_open(t, errstr, errstr_size);
                if (err) {
                        fsink_task_destroy(t);
                        return err;
                }
        }
        *taskp = t;
        return RDCP_OK;
}

static rdcp_err_t fsink_task_put(void *opaque,
                                 const rdcp_sink_record_t *records, size_t cnt,
                                 char *errstr, size_t errstr_size) {
        fsink_task_t *t = opaque;
        size_t written;
        /* Until what an earlier batch left unwritten is out, a batch is
         * refused before any of it is taken: the host's retry then offers
         * exactly what we do not have (no duplicates), with backoff, and
         * memory stays bounded. */
        rdcp_err_t err = fsink_reopen_if_moved(t, errstr, errstr_size);
        if (!err && t->len)
                err = fsink_write_out(t, NULL, errstr, errstr_size);
        if (err)
                return err;
        for (size_t i = 0; i < cnt; i++) {
                err = fsink_render_line(t, &records[i].value, errstr,
                                        errstr_size);
                if (err) {
                        t->len = 0;
                        return err;
                }
        }
        /* One write(2) per batch (never per record) makes it visible to
         * readers of the file right away; fsync waits for flush(). */
        err = fsink_write_out(t, &written, errstr, errstr_size);
        if (err == RDCP_ERR_RETRIABLE && written == 0) {
                /* Not taken after all: offered again by the host. */
                t->len = 0;
                return err;
        }
        /* Partly written: taken, the rest waits in the buffer and the
         * next put() or flush() reports the error if it persists. A
         * fatal error ends the task whether or not the batch was taken. */
        return err == RDCP_ERR_RETRIABLE ? RDCP_OK : err;
}

static rdcp_err_t fsink_task_flush(void *opaque, char *errstr,
                                   size_t errstr_size) {
        fsink_task_t *t = opaque;
        rdcp_err_t err = fsink_reopen_if_moved(t, errstr, errstr_size);
        if (!err)
                err = fsink_write_out(t, NULL, errstr, errstr_size);
        if (!err)
                err = fsink_sync(t, errstr, errstr_size);
        return err;
}

/* ---------------------------------------------------------- descriptor */

static const rdcp_config_def_t fsink_config_defs[] = {
        {
                .name = "file",
                .type = RDCP_CFG_STRING,
                .importance = RDCP_IMPORTANCE_HIGH,
                .order = 1,
                .documentation = "Destination filename. If not specified, "
                                 "the standard output will be used",
        },
};

static const char *const fsink_aliases[] = {
        "FileStreamSink",
        "FileStreamSinkConnector",
        NULL,
};

static const rdcp_connector_vtable_t fsink_connector_vtable = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        ONE_TASK_CONNECTOR_FUNCS,
};

static const rdcp_sink_task_vtable_t fsink_task_vtable = {
        .struct_size = sizeof(rdcp_sink_task_vtable_t),
        .create = fsink_task_create,
        .put = fsink_task_put,
        .flush = fsink_task_flush,
        .destroy = fsink_task_destroy,
};

static const rdcp_descriptor_t fsink_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SINK,
        .class_name = FSINK_CLASS,
        .aliases = fsink_aliases,
        .version = "1.0.0",
        .description = "Writes each record value as one line to a file "
                       "(or stdout)",
        .config_defs = fsink_config_defs,
        .config_def_cnt =
                sizeof(fsink_config_defs) / sizeof(fsink_config_defs[0]),
        .connector = &fsink_connector_vtable,
        .sink_task = &fsink_task_vtable,
};

RDCP_PLUGIN_ENTRY(fsink_descriptor)

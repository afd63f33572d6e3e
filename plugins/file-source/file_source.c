/*
 * file-source: Kafka Connect's FileStreamSource rebuilt on the rdconnect
 * plugin ABI. One task tails one file (or reads stdin) and produces every
 * line as a STRING record; lines end at \n, \r\n or \r.
 *
 * Offsets: partition {"filename":"<file as configured>"}, offset
 * {"position":<bytes consumed, line terminators included>}. stdin has no
 * offsets.
 *
 * What we do better than Kafka's version: large read(2) chunks and
 * zero-copy records pointing into the read buffer; inotify instead of a
 * fixed one-second sleep when idle; the file may be missing, re-created,
 * rotated (renamed away and replaced) or truncated without failing the
 * task; a \r at the end of the data does not stall its line forever when
 * nothing follows it.
 *
 * Truncation in place (logrotate's copytruncate) is told by the size
 * falling below the read position or, when the writer has already grown
 * the file past it again, by its first bytes no longer being the ones we
 * read. Those are compared only when fstat() says the file changed and we
 * were away (after an idle wait, or once a second while reading on), so
 * tailing costs no extra read per poll.
 *
 * Lines are bounded by line.max.bytes (Kafka's are not: one huge line
 * fails the producer forever and a file without newlines eats the heap).
 * A longer line is never buffered whole: with errors.tolerance=all it is
 * read past and dropped with a warning, else the task fails naming it.
 */
#define _GNU_SOURCE
#include <rdconnect/plugin.h>

#include "one_task.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FSRC_CLASS "org.apache.kafka.connect.file.FileStreamSourceConnector"

/* Bytes asked of each read(2): big enough that syscalls are amortized over
 * many lines. The buffer grows beyond it only for longer lines. */
#define FSRC_READ_CHUNK (256 * 1024)
/* Idle wait when inotify watches the file and its directory: only a safety
 * net for events inotify cannot see (e.g. network file systems). */
#define FSRC_WAIT_INOTIFY_MS 1000
/* Idle wait without inotify: bounds the latency of an appended line. */
#define FSRC_WAIT_POLL_MS 250
/* How long a \r at the end of the data waits for a possible \n before it
 * counts as a line terminator on its own. */
#define FSRC_CR_GRACE_MS 100
/* Records array: first allocation; it doubles up to batch.size. */
#define FSRC_RECORDS_MIN 256
/* Bytes at the start of the file kept to recognise it after a change. */
#define FSRC_PREFIX_MAX 256
/* While data keeps coming, how often a copytruncate is looked for. */
#define FSRC_VERIFY_MS 1000
/* The largest value librdkafka's default message.max.bytes (1000000)
 * accepts with a null key and no headers: 36 bytes are record framing
 * (measured with librdkafka 2.0.2: 999964 produces, 999965 does not). */
#define FSRC_LINE_MAX_DEFAULT "999964"
/* librdkafka's upper limit of message.max.bytes. */
#define FSRC_LINE_MAX_MAX 1000000000

#define FSRC_INOTIFY_FILE_MASK                                                 \
        (IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)
/* IN_ATTRIB on the directory: a file made readable by chmod. */
#define FSRC_INOTIFY_DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_ATTRIB)

static const rdcp_schema_t fsrc_value_schema = {
        .type = RDCP_SCHEMA_STRING,
        .optional = 0,
};

typedef struct fsrc_task {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
        char *path; /* NULL: stdin */
        char *dir;  /* parent directory of path (inotify) */
        char *topic;
        char *partition_json; /* NULL for stdin */
        size_t batch_size;

        int fd;    /* -1: no file open */
        dev_t dev; /* identity of the file behind fd */
        ino_t ino;
        int opened;    /* the stored offset applies to the first open only */
        int problem;   /* errno last warned about, 0: none */
        int input_eof; /* stdin ended: nothing more will ever come */
        uint64_t stored_position;

        char *buf;
        size_t buf_size;
        size_t start;      /* first byte not yet emitted */
        size_t len;        /* end of the data read */
        size_t scanned;    /* [start, scanned) holds no line terminator */
        uint64_t position; /* offset in the file of buf[start] */
        int skip_lf; /* a \r ended the last line: a \n next belongs to it */
        int cr_held; /* the data ends with a \r whose pair is unknown */
        int64_t idle_since_ms; /* -1: the last read returned data */

        size_t line_max;        /* line.max.bytes */
        int tolerate;           /* errors.tolerance=all: skip long lines */
        int skipping;           /* reading past an overlong line */
        uint64_t skip_position; /* where that line started */

        /* What tells a file truncated in place from one appended to. */
        char prefix[FSRC_PREFIX_MAX]; /* file bytes [0, prefix_len) */
        size_t prefix_len;
        int verify_due;      /* we were away: look before reading on */
        int64_t verified_ms; /* last look */
        off_t seen_size;     /* fstat at the last look */
        struct timespec seen_mtime, seen_ctime;

        int inotify_fd; /* -1: inotify not available */
        int wd_file;
        int wd_dir;

        rdcp_source_record_t *records;
        size_t records_size;
        char offset_json[48];
} fsrc_task_t;

/* ------------------------------------------------------------ helpers */

static int64_t fsrc_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *fsrc_strdup(const rdcp_host_t *host, const char *str) {
        size_t len = strlen(str) + 1;
        char *copy = host->malloc(len);
        if (copy)
                memcpy(copy, str, len);
        return copy;
}

/* {"filename":"<path>"} with the path escaped as a JSON string. */
static char *fsrc_partition_json(const rdcp_host_t *host, const char *path) {
        static const char head[] = "{\"filename\":\"";
        static const char hex[] = "0123456789abcdef";
        /* Worst case: every byte becomes \u00XX. */
        char *json = host->malloc(sizeof(head) + strlen(path) * 6 + 3);
        if (!json)
                return NULL;
        char *out = json + sizeof(head) - 1;
        memcpy(json, head, sizeof(head) - 1);
        for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        *out++ = '\\';
                        *out++ = (char)*p;
                } else if (*p < 0x20) {
                        memcpy(out, "\\u00", 4);
                        out[4] = hex[*p >> 4];
                        out[5] = hex[*p & 0xf];
                        out += 6;
                } else {
                        *out++ = (char)*p;
                }
        }
        memcpy(out, "\"}", 3);
        return json;
}

/* Reads "position" out of an offset object such as {"position":12}.
 * @returns 0, or -1 if it is not there or not a non-negative integer. */
static int fsrc_parse_position(const char *json, uint64_t *position) {
        const char *key = strstr(json, "\"position\"");
        if (!key)
                return -1;
        const char *p = key + strlen("\"position\"");
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        if (*p++ != ':')
                return -1;
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        if (*p < '0' || *p > '9')
                return -1;
        char *end;
        errno = 0;
        unsigned long long value = strtoull(p, &end, 10);
        if (errno || (*end != '}' && *end != ',' && *end != ' '))
                return -1;
        *position = value;
        return 0;
}

/* ---------------------------------------------------------- connector */

/* The connector is one_task.h's: one file cannot be split between
 * readers, so always one task. */

/* A missing file is fine (the task waits for it), but one that exists and
 * cannot be read is almost always a mistake worth reporting up front. */
static uint32_t fsrc_conn_validate(const rdcp_host_t *host,
                                   const rdcp_config_t *cfg,
                                   void (*report)(void *opaque, const char *key,
                                                  const char *message),
                                   void *opaque) {
        const char *path = host->config_get(cfg, "file");
        char message[512];
        struct stat st;
        if (!path || !*path)
                return 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                snprintf(message, sizeof(message), "cannot read file '%s': %s",
                         path, strerror(errno));
                report(opaque, "file", message);
                return 1;
        }
        int is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
        close(fd);
        if (!is_dir)
                return 0;
        snprintf(message, sizeof(message), "cannot read file '%s': %s", path,
                 strerror(EISDIR));
        report(opaque, "file", message);
        return 1;
}

/* ------------------------------------------------- file state changes */

static const char *fsrc_name(const fsrc_task_t *t) {
        return t->path ? t->path : "standard input";
}

/* File offset of the next read. */
static uint64_t fsrc_read_offset(const fsrc_task_t *t) {
        return t->position + (t->len - t->start);
}

/* Warns about a problem with the file once, not on every retry. */
static void fsrc_note_problem(fsrc_task_t *t, int err, const char *what) {
        if (t->problem == err)
                return;
        t->problem = err;
        t->host->log(t->ctx, RDCP_LOG_WARN, "%s '%s': %s; retrying", what,
                     fsrc_name(t), strerror(err));
}

static void fsrc_watch_dir(fsrc_task_t *t) {
        if (t->inotify_fd < 0 || t->wd_dir >= 0)
                return;
        /* Fails while the directory does not exist: tried again later. */
        t->wd_dir =
                inotify_add_watch(t->inotify_fd, t->dir, FSRC_INOTIFY_DIR_MASK);
}

static void fsrc_watch_file(fsrc_task_t *t) {
        if (t->inotify_fd < 0)
                return;
        int wd = inotify_add_watch(t->inotify_fd, t->path,
                                   FSRC_INOTIFY_FILE_MASK);
        /* The old inode's watch goes away by itself once it is deleted;
         * a rotated file that lives on would keep waking us up. */
        if (t->wd_file >= 0 && t->wd_file != wd)
                inotify_rm_watch(t->inotify_fd, t->wd_file);
        t->wd_file = wd;
}

/* Whether inotify will tell us about everything we wait for. */
static int fsrc_watching(const fsrc_task_t *t) {
        return t->inotify_fd >= 0 && t->wd_dir >= 0 &&
               (t->fd < 0 || t->wd_file >= 0);
}

/* Remembers the file's state of now as the one last looked at. */
static void fsrc_note_seen(fsrc_task_t *t, const struct stat *st) {
        t->seen_size = st->st_size;
        t->seen_mtime = st->st_mtim;
        t->seen_ctime = st->st_ctim;
        t->verified_ms = fsrc_now_ms();
        t->verify_due = 0;
}

/* Drops the buffered data and continues reading fd at position. */
static void fsrc_restart_at(fsrc_task_t *t, uint64_t position) {
        char before;
        struct stat st;
        /* Failure is harmless at 0 (pipes cannot seek and need not). */
        if (lseek(t->fd, (off_t)position, SEEK_SET) < 0 && position > 0)
                position = 0;
        t->start = t->len = t->scanned = 0;
        t->position = position;
        t->cr_held = 0;
        t->skipping = 0;
        t->idle_since_ms = -1;
        /* A line that ended with \r: a \n at position is still part of its
         * terminator, not an empty line. */
        t->skip_lf = position > 0 &&
                     pread(t->fd, &before, 1, (off_t)position - 1) == 1 &&
                     before == '\r';
        t->prefix_len = 0;
        if (!t->path)
                return;
        /* Resuming mid-file: what is there now is what we take as read. */
        if (position > 0) {
                size_t want = position < FSRC_PREFIX_MAX ? (size_t)position
                                                         : FSRC_PREFIX_MAX;
                ssize_t n = pread(t->fd, t->prefix, want, 0);
                t->prefix_len = n > 0 ? (size_t)n : 0;
        }
        if (fstat(t->fd, &st) == 0)
                fsrc_note_seen(t, &st);
}

/* Keeps the first bytes of the file as they are read. */
static void fsrc_note_read(fsrc_task_t *t, uint64_t offset, const char *data,
                           size_t len) {
        if (!t->path || offset >= FSRC_PREFIX_MAX || offset != t->prefix_len)
                return;
        size_t take = FSRC_PREFIX_MAX - (size_t)offset;
        if (take > len)
                take = len;
        memcpy(t->prefix + offset, data, take);
        t->prefix_len += take;
}

/* Looks for a truncation the position cannot show: the file regrew past
 * it, so only its first bytes differ from those we read. One fstat; the
 * prefix is read again only if the file changed since the last look.
 * @returns 1 if reading restarted at the beginning, else 0. */
static int fsrc_verify(fsrc_task_t *t) {
        struct stat st;
        char now[FSRC_PREFIX_MAX];
        if (!t->path || t->fd < 0 || fstat(t->fd, &st) != 0 ||
            !S_ISREG(st.st_mode))
                return 0;
        int changed = st.st_size != t->seen_size ||
                      st.st_mtim.tv_sec != t->seen_mtime.tv_sec ||
                      st.st_mtim.tv_nsec != t->seen_mtime.tv_nsec ||
                      st.st_ctim.tv_sec != t->seen_ctime.tv_sec ||
                      st.st_ctim.tv_nsec != t->seen_ctime.tv_nsec;
        fsrc_note_seen(t, &st);
        uint64_t read_offset = fsrc_read_offset(t);
        if ((uint64_t)st.st_size < read_offset) {
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "file '%s' was truncated to %" PRIu64
                             " bytes (read up to %" PRIu64
                             "); reading it from the start",
                             t->path, (uint64_t)st.st_size, read_offset);
                fsrc_restart_at(t, 0);
                return 1;
        }
        if (!changed || t->prefix_len == 0)
                return 0;
        ssize_t n = pread(t->fd, now, t->prefix_len, 0);
        if (n == (ssize_t)t->prefix_len && !memcmp(now, t->prefix, (size_t)n))
                return 0;
        t->host->log(t->ctx, RDCP_LOG_WARN,
                     "file '%s' was truncated and written again (its first "
                     "%zu bytes changed; %" PRIu64 " bytes now, read up to "
                     "%" PRIu64 "); reading it from the start",
                     t->path, t->prefix_len, (uint64_t)st.st_size, read_offset);
        fsrc_restart_at(t, 0);
        return 1;
}

/* Where to start in a newly opened file: the stored position the first
 * time (unless the file is now shorter), the beginning afterwards. */
static uint64_t fsrc_start_position(fsrc_task_t *t, const struct stat *st) {
        if (t->opened) {
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "file '%s' was replaced or re-created; "
                             "reading it from the start",
                             t->path);
                return 0;
        }
        if (S_ISREG(st->st_mode) &&
            (uint64_t)st->st_size < t->stored_position) {
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "file '%s' is shorter (%" PRIu64
                             " bytes) than the stored position %" PRIu64
                             "; reading it from the start",
                             t->path, (uint64_t)st->st_size,
                             t->stored_position);
                return 0;
        }
        if (t->stored_position > 0)
                t->host->log(t->ctx, RDCP_LOG_INFO,
                             "resuming file '%s' at position %" PRIu64, t->path,
                             t->stored_position);
        return t->stored_position;
}

/* @returns 1 if a file was opened (there may be data to read), else 0. */
static int fsrc_open(fsrc_task_t *t) {
        struct stat st;
        int fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                fsrc_note_problem(t, errno, "cannot open file");
                return 0;
        }
        int err = fstat(fd, &st) != 0   ? errno
                  : S_ISDIR(st.st_mode) ? EISDIR
                                        : 0;
        if (err) {
                close(fd);
                fsrc_note_problem(t, err, "cannot read file");
                return 0;
        }
        uint64_t position = fsrc_start_position(t, &st);
        if (t->fd >= 0)
                close(t->fd);
        t->fd = fd;
        t->dev = st.st_dev;
        t->ino = st.st_ino;
        t->opened = 1;
        if (t->problem)
                t->host->log(t->ctx, RDCP_LOG_INFO, "file '%s' is now readable",
                             t->path);
        t->problem = 0;
        fsrc_restart_at(t, position);
        fsrc_watch_file(t);
        return 1;
}

/* Called whenever the open file (if any) has no more data: notices a file
 * that appeared, was replaced or was truncated. The old file is read to
 * its end before we switch, so rotation loses nothing written before it.
 * @returns 1 if reading should be tried again at once, else 0. */
static int fsrc_check_path(fsrc_task_t *t) {
        struct stat st;
        if (!t->path)
                return 0;
        fsrc_watch_dir(t);
        if (stat(t->path, &st) != 0) {
                fsrc_note_problem(t, errno,
                                  t->fd >= 0 ? "file was removed or moved"
                                             : "cannot open file");
                return 0;
        }
        if (t->fd < 0 || st.st_dev != t->dev || st.st_ino != t->ino)
                return fsrc_open(t);
        /* At the end of the data: a size below the position is a
         * truncation (the prefix is looked at before the next read after
         * the idle wait that follows). */
        if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size >= fsrc_read_offset(t))
                return 0;
        return fsrc_verify(t);
}

/* ---------------------------------------------------------- splitting */

/* Finds the end of the next complete line in buf[start, len).
 * cr_final: a \r at the very end of the data terminates its line (we
 * waited long enough for a \n that did not come).
 * @returns 1 with the line length and the terminator length, else 0. */
static int fsrc_next_line(fsrc_task_t *t, int cr_final, size_t *line_len,
                          size_t *term_len) {
        const char *data = t->buf;
        size_t from = t->scanned;
        if (from >= t->len) {
                t->scanned = t->len;
                return 0;
        }
        /* Two vectorized memchr() passes instead of a byte loop: the
         * loop was a fifth of the task thread. \r is only looked for
         * before the next \n. */
        const char *lf = memchr(data + from, '\n', t->len - from);
        size_t lf_at = lf ? (size_t)(lf - data) : t->len;
        const char *cr = memchr(data + from, '\r', lf_at - from);
        if (!cr && !lf) {
                t->scanned = t->len;
                return 0;
        }
        size_t i = cr ? (size_t)(cr - data) : lf_at;
        *line_len = i - t->start;
        if (data[i] == '\n') {
                *term_len = 1;
        } else if (i + 1 < t->len) {
                *term_len = data[i + 1] == '\n' ? 2 : 1;
        } else if (cr_final) {
                *term_len = 1;
                t->skip_lf = 1;
        } else {
                t->scanned = i;
                t->cr_held = 1;
                return 0;
        }
        return 1;
}

static rdcp_err_t fsrc_grow_records(fsrc_task_t *t, char *errstr,
                                    size_t errstr_size) {
        size_t size = t->records_size ? t->records_size * 2 : FSRC_RECORDS_MIN;
        if (size > t->batch_size)
                size = t->batch_size;
        rdcp_source_record_t *grown =
                t->host->realloc(t->records, size * sizeof(*grown));
        if (!grown) {
                snprintf(errstr, errstr_size, "out of memory for %zu records",
                         size);
                return RDCP_ERR_NOMEM;
        }
        t->records = grown;
        t->records_size = size;
        return RDCP_OK;
}

/* Reports a line over line.max.bytes when it is not tolerated.
 * complete: length is the line's, else what was read of it so far. */
static rdcp_err_t fsrc_overlong_error(const fsrc_task_t *t, size_t length,
                                      int complete, char *errstr,
                                      size_t errstr_size) {
        snprintf(errstr, errstr_size,
                 "line at position %" PRIu64 " of file '%s' is longer than "
                 "line.max.bytes=%zu (%s%zu bytes); raise line.max.bytes "
                 "(and the producer's message.max.bytes) or set "
                 "errors.tolerance=all to skip such lines",
                 t->position, fsrc_name(t), t->line_max,
                 complete ? "" : "at least ", length);
        return RDCP_ERR_DATA;
}

/* Drops buf[start, start + len) of the overlong line being skipped. */
static void fsrc_skip_bytes(fsrc_task_t *t, size_t len) {
        t->start += len;
        t->scanned = t->start;
        t->position += len;
}

/* Skipping: drops data up to the end of the overlong line, then its
 * terminator. @returns 1 once the line is behind us, else 0. */
static int fsrc_skip_line(fsrc_task_t *t) {
        const char *from = t->buf + t->start;
        size_t avail = t->len - t->start;
        const char *lf = memchr(from, '\n', avail);
        const char *cr = memchr(from, '\r', lf ? (size_t)(lf - from) : avail);
        const char *end = cr ? cr : lf;
        if (!end) {
                fsrc_skip_bytes(t, avail);
                return 0;
        }
        fsrc_skip_bytes(t, (size_t)(end - from));
        uint64_t length = t->position - t->skip_position;
        size_t term = 1;
        if (*end == '\r') {
                if (t->start + 1 < t->len)
                        term = t->buf[t->start + 1] == '\n' ? 2 : 1;
                else
                        t->skip_lf = 1; /* a \n next still belongs to it */
        }
        fsrc_skip_bytes(t, term);
        t->skipping = 0;
        t->host->log(t->ctx, RDCP_LOG_WARN,
                     "skipped a line of %" PRIu64 " bytes at position %" PRIu64
                     " of file '%s': longer than line.max.bytes (%zu) "
                     "(errors.tolerance=all)",
                     length, t->skip_position, fsrc_name(t), t->line_max);
        return 1;
}

/* Starts skipping the overlong line at buf[start]: nothing of it is kept. */
static void fsrc_skip_begin(fsrc_task_t *t) {
        t->skipping = 1;
        t->skip_position = t->position;
        t->host->log(t->ctx, RDCP_LOG_WARN,
                     "line at position %" PRIu64 " of file '%s' is longer "
                     "than line.max.bytes (%zu); skipping it "
                     "(errors.tolerance=all)",
                     t->position, fsrc_name(t), t->line_max);
}

/* Turns the complete lines in the buffer into up to batch.size records
 * pointing into the buffer. Only the last one carries the offset: the host
 * keeps the last offset of each partition per batch. A line over
 * line.max.bytes is skipped (its bytes count in the next offset) or, not
 * tolerated, fails the poll that has no record before it. */
static rdcp_err_t fsrc_extract(fsrc_task_t *t, size_t *cnt, char *errstr,
                               size_t errstr_size) {
        size_t line_len, term_len;
        int cr_final = t->input_eof ||
                       (t->idle_since_ms >= 0 &&
                        fsrc_now_ms() - t->idle_since_ms >= FSRC_CR_GRACE_MS);
        rdcp_err_t err = RDCP_OK;
        t->cr_held = 0;
        for (;;) {
                if (t->skip_lf && t->start < t->len) {
                        if (t->buf[t->start] == '\n') {
                                t->start++;
                                t->position++;
                        }
                        t->skip_lf = 0;
                        if (t->scanned < t->start)
                                t->scanned = t->start;
                }
                if (t->skipping && !fsrc_skip_line(t))
                        break;
                if (*cnt == t->batch_size)
                        break;
                if (!fsrc_next_line(t, cr_final, &line_len, &term_len)) {
                        /* What is left is one unfinished line. */
                        size_t known = t->scanned - t->start;
                        if (known <= t->line_max)
                                break;
                        if (!t->tolerate) {
                                if (*cnt == 0)
                                        err = fsrc_overlong_error(t, known, 0,
                                                                  errstr,
                                                                  errstr_size);
                                break;
                        }
                        fsrc_skip_begin(t);
                        continue;
                }
                if (line_len > t->line_max) {
                        /* The line is not consumed here: a \r that ends
                         * it is looked at again. */
                        t->skip_lf = 0;
                        if (!t->tolerate) {
                                /* The same line fails the next poll. */
                                t->scanned = t->start;
                                if (*cnt == 0)
                                        err = fsrc_overlong_error(t, line_len,
                                                                  1, errstr,
                                                                  errstr_size);
                                break;
                        }
                        fsrc_skip_begin(t);
                        continue;
                }
                if (*cnt == t->records_size) {
                        err = fsrc_grow_records(t, errstr, errstr_size);
                        if (err)
                                break;
                }
                rdcp_source_record_t *rec = &t->records[(*cnt)++];
                memset(rec, 0, sizeof(*rec));
                rec->topic = t->topic;
                rec->partition = -1;
                rec->timestamp = -1;
                rec->key.kind = RDCP_DATA_NULL;
                rec->value.schema = &fsrc_value_schema;
                rec->value.kind = RDCP_DATA_STRING;
                rec->value.u.bytes.ptr = t->buf + t->start;
                rec->value.u.bytes.len = line_len;
                rec->source_partition = t->partition_json;
                t->start += line_len + term_len;
                t->scanned = t->start;
                t->position += line_len + term_len;
        }
        if (*cnt > 0 && t->partition_json) {
                snprintf(t->offset_json, sizeof(t->offset_json),
                         "{\"position\":%" PRIu64 "}", t->position);
                t->records[*cnt - 1].source_offset = t->offset_json;
        }
        return err;
}

/* ------------------------------------------------------------ reading */

/* Makes room for one read. Only called when no record of the current
 * poll() points into the buffer, so moving the data is safe. */
static rdcp_err_t fsrc_make_room(fsrc_task_t *t, char *errstr,
                                 size_t errstr_size) {
        size_t pending = t->len - t->start;
        if (t->start > 0) {
                memmove(t->buf, t->buf + t->start, pending);
                t->scanned -= t->start;
                t->start = 0;
                t->len = pending;
        }
        if (t->buf_size - t->len >= FSRC_READ_CHUNK / 2)
                return RDCP_OK;
        /* A line longer than the buffer, up to line.max.bytes: what is
         * pending is one unfinished line of at most line_max + 1 bytes
         * (a held \r), so the cap always leaves room for a read. */
        size_t cap = t->line_max + FSRC_READ_CHUNK;
        size_t size = t->buf_size ? t->buf_size * 2 : FSRC_READ_CHUNK;
        if (size > cap)
                size = cap;
        if (size <= t->buf_size)
                return RDCP_OK;
        char *grown = t->host->realloc(t->buf, size);
        if (!grown) {
                snprintf(errstr, errstr_size,
                         "out of memory for a %zu byte line buffer", size);
                return RDCP_ERR_NOMEM;
        }
        t->buf = grown;
        t->buf_size = size;
        return RDCP_OK;
}

/* stdin may be a pipe or terminal: read only when poll(2) says it will not
 * block (waiting happens in host->wait, which honours stop). */
static int fsrc_stdin_ready(void) {
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        return poll(&pfd, 1, 0) > 0;
}

/* Reads one chunk. *got_data: 1 if bytes arrived, 0 if none for now. */
static rdcp_err_t fsrc_fill(fsrc_task_t *t, int *got_data, char *errstr,
                            size_t errstr_size) {
        ssize_t n = 0;
        int attempted = 0;
        *got_data = 0;
        if (t->fd >= 0 && !t->input_eof && (t->path || fsrc_stdin_ready())) {
                /* We were away (idle) or have read on for a while: the
                 * file may have been truncated and written again. */
                if (t->path &&
                    (t->verify_due ||
                     fsrc_now_ms() - t->verified_ms >= FSRC_VERIFY_MS))
                        fsrc_verify(t);
                rdcp_err_t err = fsrc_make_room(t, errstr, errstr_size);
                if (err)
                        return err;
                attempted = 1;
                do {
                        n = read(t->fd, t->buf + t->len, t->buf_size - t->len);
                } while (n < 0 && errno == EINTR);
        }
        if (n > 0) {
                fsrc_note_read(t, fsrc_read_offset(t), t->buf + t->len,
                               (size_t)n);
                t->len += (size_t)n;
                t->idle_since_ms = -1;
                t->problem = 0;
                *got_data = 1;
                return RDCP_OK;
        }
        int err = n < 0 ? errno : 0;
        if (err && err != EAGAIN)
                fsrc_note_problem(t, err, "cannot read file");
        /* A file at its end may still grow; stdin at its end (or closed)
         * is done. */
        if (attempted && !t->path && err != EAGAIN) {
                t->input_eof = 1;
                t->host->log(t->ctx, RDCP_LOG_INFO, "end of standard input");
        }
        if (t->idle_since_ms < 0)
                t->idle_since_ms = fsrc_now_ms();
        return RDCP_OK;
}

static void fsrc_drain_inotify(fsrc_task_t *t) {
        char events[4096]
                __attribute__((aligned(__alignof__(struct inotify_event))));
        /* Which event it was does not matter: the next read and stat tell
         * what changed. */
        while (read(t->inotify_fd, events, sizeof(events)) > 0)
                ;
}

/* One idle wait. @returns -1 when asked to stop, else 0. */
static int fsrc_idle_wait(fsrc_task_t *t) {
        int32_t timeout =
                fsrc_watching(t) ? FSRC_WAIT_INOTIFY_MS : FSRC_WAIT_POLL_MS;
        int32_t fd = -1;
        /* stdin is watched through fd 0 itself. */
        if (!t->path)
                timeout = FSRC_WAIT_INOTIFY_MS;
        if (t->cr_held) {
                int64_t left =
                        FSRC_CR_GRACE_MS - (fsrc_now_ms() - t->idle_since_ms);
                timeout = left < 1 ? 1 : (int32_t)left;
        }
        if (!t->path && !t->input_eof)
                fd = STDIN_FILENO;
        else if (t->path && t->inotify_fd >= 0)
                fd = t->inotify_fd;
        int32_t r = t->host->wait(t->ctx, fd, POLLIN, timeout);
        if (r == 1 && fd == t->inotify_fd)
                fsrc_drain_inotify(t);
        t->verify_due = 1;
        return r < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- task */

static void fsrc_task_destroy(void *opaque) {
        fsrc_task_t *t = opaque;
        const rdcp_host_t *host = t->host;
        if (t->path && t->fd >= 0)
                close(t->fd);
        if (t->inotify_fd >= 0)
                close(t->inotify_fd);
        host->free(t->path);
        host->free(t->dir);
        host->free(t->topic);
        host->free(t->partition_json);
        host->free(t->buf);
        host->free(t->records);
        host->free(t);
}

/* Reads the committed position of the file, 0 if none. */
static void fsrc_read_stored_position(fsrc_task_t *t) {
        char *offset_json = NULL;
        rdcp_err_t err =
                t->host->offset_read(t->ctx, t->partition_json, &offset_json);
        if (err) {
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "cannot read the stored offset of '%s'; "
                             "reading it from the start",
                             t->path);
        } else if (offset_json &&
                   fsrc_parse_position(offset_json, &t->stored_position)) {
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "stored offset %s of '%s' has no valid "
                             "position; reading it from the start",
                             offset_json, t->path);
                t->stored_position = 0;
        }
        t->host->free(offset_json);
}

/* Sets up path, its directory and the inotify watches. */
static rdcp_err_t fsrc_task_init_file(fsrc_task_t *t, const char *file) {
        t->path = fsrc_strdup(t->host, file);
        t->dir = fsrc_strdup(t->host, file);
        t->partition_json = fsrc_partition_json(t->host, file);
        if (!t->path || !t->dir || !t->partition_json)
                return RDCP_ERR_NOMEM;
        char *slash = strrchr(t->dir, '/');
        if (!slash)
                strcpy(t->dir, ".");
        else
                slash[slash == t->dir ? 1 : 0] = '\0';
        t->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (t->inotify_fd < 0)
                t->host->log(t->ctx, RDCP_LOG_INFO,
                             "inotify unavailable (%s): checking '%s' every "
                             "%d ms when idle",
                             strerror(errno), file, FSRC_WAIT_POLL_MS);
        fsrc_read_stored_position(t);
        fsrc_watch_dir(t);
        fsrc_check_path(t);
        return RDCP_OK;
}

static rdcp_err_t fsrc_task_create(const rdcp_ctx_t *ctx,
                                   const rdcp_host_t *host,
                                   const rdcp_config_t *cfg, void **taskp,
                                   char *errstr, size_t errstr_size) {
        const char *file = host->config_get(cfg, "file");
        const char *topic = host->config_get(cfg, "topic");
        const char *tolerance = host->config_get(cfg, "errors.tolerance");
        int64_t batch_size = 2000;
        int64_t line_max = strtoll(FSRC_LINE_MAX_DEFAULT, NULL, 10);
        rdcp_err_t err = RDCP_ERR_NOMEM;

        if (!topic || !*topic) {
                snprintf(errstr, errstr_size, "'topic' is required");
                return RDCP_ERR_CONFIG;
        }
        if (host->config_get(cfg, "batch.size") &&
            (host->config_get_int64(cfg, "batch.size", &batch_size) ||
             batch_size < 1 || batch_size > INT32_MAX)) {
                snprintf(errstr, errstr_size,
                         "'batch.size' must be an integer from 1 to %d",
                         INT32_MAX);
                return RDCP_ERR_CONFIG;
        }
        if (host->config_get(cfg, "line.max.bytes") &&
            (host->config_get_int64(cfg, "line.max.bytes", &line_max) ||
             line_max < 1 || line_max > FSRC_LINE_MAX_MAX)) {
                snprintf(errstr, errstr_size,
                         "'line.max.bytes' must be an integer from 1 to %d",
                         FSRC_LINE_MAX_MAX);
                return RDCP_ERR_CONFIG;
        }
        fsrc_task_t *t = host->malloc(sizeof(*t));
        if (!t)
                goto nomem;
        memset(t, 0, sizeof(*t));
        t->ctx = ctx;
        t->host = host;
        t->batch_size = (size_t)batch_size;
        t->line_max = (size_t)line_max;
        t->tolerate = tolerance && !strcmp(tolerance, "all");
        t->fd = -1;
        t->inotify_fd = t->wd_file = t->wd_dir = -1;
        t->idle_since_ms = -1;
        t->topic = fsrc_strdup(host, topic);
        if (!t->topic)
                goto nomem;
        /* As in Kafka, an empty name also means stdin. */
        if (file && *file) {
                err = fsrc_task_init_file(t, file);
                if (err)
                        goto nomem;
        } else {
                t->fd = STDIN_FILENO;
        }
        *taskp = t;
        return RDCP_OK;
nomem:
        if (t)
                fsrc_task_destroy(t);
        snprintf(errstr, errstr_size, "out of memory");
        return err;
}

static rdcp_err_t fsrc_task_poll(void *opaque,
                                 const rdcp_source_record_t **records,
                                 size_t *cnt, char *errstr,
                                 size_t errstr_size) {
        fsrc_task_t *t = opaque;
        int waited = 0;
        *cnt = 0;
        for (;;) {
                int got_data;
                rdcp_err_t err = fsrc_extract(t, cnt, errstr, errstr_size);
                if (err)
                        return err;
                if (*cnt > 0)
                        break;
                err = fsrc_fill(t, &got_data, errstr, errstr_size);
                if (err)
                        return err;
                /* Data may keep coming (an overlong line being skipped,
                 * an endless device): a stop must still get through. */
                if (got_data && t->host->should_stop(t->ctx))
                        break;
                if (got_data || fsrc_check_path(t))
                        continue;
                /* Wait once, then hand control back so the host can do
                 * its periodic work (offset flushes) even when idle. */
                if (waited || fsrc_idle_wait(t) < 0)
                        break;
                waited = 1;
        }
        /* Idle: whatever happens to the file before the next poll reads
         * it is looked at first. */
        if (*cnt == 0)
                t->verify_due = 1;
        *records = t->records;
        return RDCP_OK;
}

/* ---------------------------------------------------------- descriptor */

static const rdcp_config_def_t fsrc_config_defs[] = {
        {
                .name = "file",
                .type = RDCP_CFG_STRING,
                .importance = RDCP_IMPORTANCE_HIGH,
                .order = 1,
                .documentation = "Source filename. If not specified, the "
                                 "standard input will be used",
        },
        {
                .name = "topic",
                .type = RDCP_CFG_STRING,
                .importance = RDCP_IMPORTANCE_HIGH,
                .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
                .order = 2,
                .documentation = "The topic to publish data to",
        },
        {
                .name = "batch.size",
                .type = RDCP_CFG_INT,
                .importance = RDCP_IMPORTANCE_LOW,
                .flags = RDCP_CFGF_HAS_MIN,
                .order = 3,
                .default_value = "2000",
                .min = 1,
                .documentation = "The maximum number of records the source "
                                 "task can read from the file each time it "
                                 "is polled",
        },
        {
                .name = "line.max.bytes",
                .type = RDCP_CFG_INT,
                .importance = RDCP_IMPORTANCE_MEDIUM,
                .flags = RDCP_CFGF_HAS_MIN | RDCP_CFGF_HAS_MAX,
                .order = 4,
                .default_value = FSRC_LINE_MAX_DEFAULT,
                .min = 1,
                .max = FSRC_LINE_MAX_MAX,
                .documentation =
                        "The longest line (in bytes, without its terminator) "
                        "the task reads; it bounds the line buffer. The "
                        "default is the largest value the producer's "
                        "default message.max.bytes (1000000) accepts. A "
                        "longer line is skipped with a warning when "
                        "errors.tolerance=all, else it fails the task",
        },
};

static const char *const fsrc_aliases[] = {
        "FileStreamSource",
        "FileStreamSourceConnector",
        NULL,
};

static const rdcp_connector_vtable_t fsrc_connector_vtable = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        ONE_TASK_CONNECTOR_FUNCS,
        .validate = fsrc_conn_validate,
};

static const rdcp_source_task_vtable_t fsrc_task_vtable = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = fsrc_task_create,
        .poll = fsrc_task_poll,
        .destroy = fsrc_task_destroy,
};

static const rdcp_descriptor_t fsrc_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SOURCE,
        .class_name = FSRC_CLASS,
        .aliases = fsrc_aliases,
        .version = "1.0.0",
        .description = "Reads lines from a file (or stdin) and produces "
                       "each as a STRING record; tails the file",
        .config_defs = fsrc_config_defs,
        .config_def_cnt =
                sizeof(fsrc_config_defs) / sizeof(fsrc_config_defs[0]),
        .connector = &fsrc_connector_vtable,
        .source_task = &fsrc_task_vtable,
};

RDCP_PLUGIN_ENTRY(fsrc_descriptor)

/*
 * Host services: the runtime side of rdcp_host_t (see host.h).
 */
#define _GNU_SOURCE
#include "plugins/host.h"

#include "core/clock.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/configdef.h"
#include "core/log.h"

/* ---------------------------------------------------------------- ctx */

int rdc_ctx_init(rdcp_ctx_t *ctx, const char *connector, int32_t task_id,
                 const char *logger, rdc_offset_store_t *offsets) {
        memset(ctx, 0, sizeof(*ctx));
        ctx->wake_fd = -1;
        ctx->connector = strdup(connector ? connector : "");
        ctx->logger = strdup(logger ? logger : "plugin");
        if (!ctx->connector || !ctx->logger)
                goto fail;
        ctx->task_id = task_id;
        if (task_id >= 0)
                snprintf(ctx->scope, sizeof(ctx->scope), "%s|task-%d",
                         ctx->connector, (int)task_id);
        else
                snprintf(ctx->scope, sizeof(ctx->scope), "%s", ctx->connector);
        atomic_init(&ctx->stop, 0);
        ctx->offsets = offsets;
        ctx->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (ctx->wake_fd < 0)
                goto fail;
        return 0;
fail:
        rdc_ctx_destroy(ctx);
        return -1;
}

void rdc_ctx_destroy(rdcp_ctx_t *ctx) {
        free(ctx->connector);
        free(ctx->logger);
        ctx->connector = ctx->logger = NULL;
        if (ctx->wake_fd >= 0)
                close(ctx->wake_fd);
        ctx->wake_fd = -1;
}

static void ctx_signal(rdcp_ctx_t *ctx) {
        uint64_t one = 1;
        /* EAGAIN means the counter is already non-zero: still woken. */
        if (write(ctx->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                rdc_log(RDC_LOG_WARN, "host", ctx->scope,
                        "wake-up write failed: %s", strerror(errno));
}

void rdc_ctx_stop(rdcp_ctx_t *ctx) {
        atomic_store(&ctx->stop, 1);
        ctx_signal(ctx);
}

void rdc_ctx_wake(rdcp_ctx_t *ctx) {
        ctx_signal(ctx);
}

void rdc_ctx_clear_wake(rdcp_ctx_t *ctx) {
        uint64_t cnt;
        if (!atomic_load(&ctx->stop))
                (void)!read(ctx->wake_fd, &cnt, sizeof(cnt));
}

/* -------------------------------------------------------------- arena */

struct rdc_arena_chunk {
        struct rdc_arena_chunk *next;
        size_t size;
        size_t used;
        max_align_t mem[];
};

#define RDC_ARENA_CHUNK_MIN (64 * 1024)

void rdc_arena_init(rdcp_arena_t *arena) {
        arena->head = arena->cur = NULL;
}

void rdc_arena_reset(rdcp_arena_t *arena) {
        for (struct rdc_arena_chunk *c = arena->head; c; c = c->next)
                c->used = 0;
        arena->cur = arena->head;
}

void rdc_arena_destroy(rdcp_arena_t *arena) {
        struct rdc_arena_chunk *c = arena->head;
        while (c) {
                struct rdc_arena_chunk *next = c->next;
                free(c);
                c = next;
        }
        arena->head = arena->cur = NULL;
}

void *rdc_arena_alloc(rdcp_arena_t *arena, size_t size) {
        /* Rounding up or adding the chunk header must not wrap around. */
        if (size > SIZE_MAX - sizeof(struct rdc_arena_chunk) - 8)
                return NULL;
        size = (size + 7) & ~(size_t)7;
        for (struct rdc_arena_chunk *c = arena->cur; c; c = c->next) {
                if (c->size - c->used >= size) {
                        void *ptr = (char *)c->mem + c->used;
                        c->used += size;
                        arena->cur = c;
                        return ptr;
                }
        }
        size_t chunk = size > RDC_ARENA_CHUNK_MIN ? size : RDC_ARENA_CHUNK_MIN;
        struct rdc_arena_chunk *c = malloc(sizeof(*c) + chunk);
        if (!c)
                return NULL;
        c->size = chunk;
        c->used = size;
        /* Append at the end so reset keeps every chunk in order. */
        c->next = NULL;
        if (!arena->head) {
                arena->head = c;
        } else {
                struct rdc_arena_chunk *last =
                        arena->cur ? arena->cur : arena->head;
                while (last->next)
                        last = last->next;
                last->next = c;
        }
        arena->cur = c;
        return c->mem;
}

/* ---------------------------------------------------------------- buf */

void rdc_buf_init(rdcp_buf_t *buf) {
        buf->data = NULL;
        buf->len = buf->size = 0;
}

void rdc_buf_reset(rdcp_buf_t *buf) {
        buf->len = 0;
}

void rdc_buf_destroy(rdcp_buf_t *buf) {
        free(buf->data);
        rdc_buf_init(buf);
}

void *rdc_buf_reserve(rdcp_buf_t *buf, size_t size) {
        if (buf->size - buf->len < size) {
                /* Doubling must not wrap around (or loop forever at 0). */
                if (size > SIZE_MAX / 2 - buf->len)
                        return NULL;
                size_t want = buf->size ? buf->size * 2 : 256;
                while (want - buf->len < size)
                        want *= 2;
                char *grown = realloc(buf->data, want);
                if (!grown)
                        return NULL;
                buf->data = grown;
                buf->size = want;
        }
        return buf->data + buf->len;
}

int rdc_buf_append(rdcp_buf_t *buf, const void *ptr, size_t size) {
        void *dst = rdc_buf_reserve(buf, size);
        if (!dst)
                return -1;
        if (size)
                memcpy(dst, ptr, size);
        buf->len += size;
        return 0;
}

/* ------------------------------------------------------ host services */

static void host_log(const rdcp_ctx_t *ctx, rdcp_log_level_t level,
                     const char *fmt, ...) {
        const char *logger = ctx ? ctx->logger : "plugin";
        if (!rdc_log_enabled((rdc_log_level_t)level, logger))
                return;
        va_list ap;
        va_start(ap, fmt);
        rdc_logv((rdc_log_level_t)level, logger, ctx ? ctx->scope : NULL, fmt,
                 ap);
        va_end(ap);
}

static const char *host_config_get(const rdcp_config_t *cfg, const char *key) {
        return rdc_map_get((const rdc_map_t *)(const void *)cfg, key);
}

static rdcp_err_t host_config_set(rdcp_config_t *cfg, const char *key,
                                  const char *value) {
        return rdc_map_set((rdc_map_t *)(void *)cfg, key, value)
                       ? RDCP_ERR_NOMEM
                       : RDCP_OK;
}

static size_t host_config_count(const rdcp_config_t *cfg) {
        return rdc_map_count((const rdc_map_t *)(const void *)cfg);
}

static const char *host_config_key_at(const rdcp_config_t *cfg, size_t idx) {
        return rdc_map_key_at((const rdc_map_t *)(const void *)cfg, idx);
}

static const char *host_config_value_at(const rdcp_config_t *cfg, size_t idx) {
        return rdc_map_value_at((const rdc_map_t *)(const void *)cfg, idx);
}

static rdcp_err_t host_config_get_int64(const rdcp_config_t *cfg,
                                        const char *key, int64_t *out) {
        const char *value = host_config_get(cfg, key);
        if (!value || rdc_config_parse_int64(value, out))
                return RDCP_ERR_CONFIG;
        return RDCP_OK;
}

static rdcp_err_t host_config_get_bool(const rdcp_config_t *cfg,
                                       const char *key, int32_t *out) {
        const char *value = host_config_get(cfg, key);
        int parsed;
        if (!value || rdc_config_parse_bool(value, &parsed))
                return RDCP_ERR_CONFIG;
        *out = parsed;
        return RDCP_OK;
}

static rdcp_err_t host_offset_read(const rdcp_ctx_t *ctx,
                                   const char *partition_json,
                                   char **offset_json) {
        *offset_json = NULL;
        if (!ctx->offsets)
                return RDCP_OK;
        if (rdc_offset_store_get(ctx->offsets, ctx->connector, partition_json,
                                 offset_json))
                return RDCP_ERR_DATA;
        return RDCP_OK;
}

static int32_t host_should_stop(const rdcp_ctx_t *ctx) {
        return atomic_load(&((rdcp_ctx_t *)ctx)->stop) ? 1 : 0;
}

static int32_t host_wait(const rdcp_ctx_t *ctx, int32_t fd, int16_t events,
                         int32_t timeout_ms) {
        struct pollfd fds[2] = {
                {.fd = ctx->wake_fd, .events = POLLIN},
                {.fd = fd, .events = events},
        };
        if (atomic_load(&((rdcp_ctx_t *)ctx)->stop))
                return -1;
        if (ctx->wake_at_ms) {
                int64_t left = ctx->wake_at_ms - rdc_clock_now_ms();
                if (left < 0)
                        left = 0;
                if (timeout_ms < 0 || left < timeout_ms)
                        timeout_ms = (int32_t)left;
        }
        int r;
        do {
                r = poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
        } while (r < 0 && errno == EINTR);
        if (r <= 0)
                return 0;
        if (fds[0].revents) {
                rdc_ctx_clear_wake((rdcp_ctx_t *)ctx);
                return -1;
        }
        return 1;
}

static void *host_arena_alloc(rdcp_arena_t *arena, size_t size) {
        return rdc_arena_alloc(arena, size);
}

static void host_buf_commit(rdcp_buf_t *buf, size_t size) {
        buf->len += size;
}

static rdcp_err_t host_buf_append(rdcp_buf_t *buf, const void *ptr,
                                  size_t size) {
        return rdc_buf_append(buf, ptr, size) ? RDCP_ERR_NOMEM : RDCP_OK;
}

static const void *host_buf_data(const rdcp_buf_t *buf, size_t *len) {
        *len = buf->len;
        return buf->data;
}

static void host_request_reconfiguration(const rdcp_ctx_t *ctx) {
        if (ctx->on_reconfigure)
                ctx->on_reconfigure(ctx->on_reconfigure_opaque, ctx->connector);
}

static const char *host_ctx_connector(const rdcp_ctx_t *ctx) {
        return ctx->connector;
}

static int32_t host_ctx_task_id(const rdcp_ctx_t *ctx) {
        return ctx->task_id;
}

static int64_t host_time_ms(int32_t monotonic) {
        struct timespec ts;
        if (monotonic)
                return rdc_clock_now_ms();
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const rdcp_host_t rdc_host = {
        .struct_size = sizeof(rdcp_host_t),
        .abi_major = RDCP_ABI_MAJOR,
        .abi_minor = RDCP_ABI_MINOR,
        .log = host_log,
        .malloc = malloc,
        .realloc = realloc,
        .free = free,
        .config_get = host_config_get,
        .config_set = host_config_set,
        .config_count = host_config_count,
        .config_key_at = host_config_key_at,
        .config_value_at = host_config_value_at,
        .config_get_int64 = host_config_get_int64,
        .config_get_bool = host_config_get_bool,
        .offset_read = host_offset_read,
        .should_stop = host_should_stop,
        .wait = host_wait,
        .arena_alloc = host_arena_alloc,
        .buf_reserve = rdc_buf_reserve,
        .buf_commit = host_buf_commit,
        .buf_append = host_buf_append,
        .buf_data = host_buf_data,
        .request_reconfiguration = host_request_reconfiguration,
        .ctx_connector = host_ctx_connector,
        .ctx_task_id = host_ctx_task_id,
        .time_ms = host_time_ms,
};

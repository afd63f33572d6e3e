/*
 * Host services: the runtime side of rdcp_host_t, and the objects behind
 * the ABI's opaque handles (instance context, arena, buffer).
 */
#ifndef RDC_HOST_H
#define RDC_HOST_H

#include <stdatomic.h>
#include <stddef.h>
#include <rdconnect/plugin.h>
#include "core/map.h"
#include "storage/offsets.h"

/** The table handed to every plugin. */
extern const rdcp_host_t rdc_host;

/**
 * One plugin instance (connector, task or converter). Owned by whoever
 * runs the instance; stop and wake-up may be signalled from any thread.
 */
struct rdcp_ctx {
        char *connector;             /**< connector name */
        int32_t task_id;             /**< -1: the connector itself */
        char *logger;                /**< plugin class name (log level key) */
        char scope[160];             /**< "name|task-0" for log lines */
        atomic_int stop;             /**< set once by rdc_ctx_stop() */
        int wake_fd;                 /**< eventfd: stop and wake-up */
        rdc_offset_store_t *offsets; /**< may be NULL (no offsets) */
        /** Monotonic ms (rdc_clock_now_ms) at which host->wait() returns
         *  (as a timeout) whatever the plugin asked: the runner's own work
         *  is due then (an offset flush). 0: none. Owner's thread only. */
        int64_t wake_at_ms;
        /** Called by request_reconfiguration, any thread; may be NULL. */
        void (*on_reconfigure)(void *opaque, const char *connector);
        void *on_reconfigure_opaque;
};

/** @returns 0, or -1 on OOM / no eventfd. logger may be NULL. */
int rdc_ctx_init(rdcp_ctx_t *ctx, const char *connector, int32_t task_id,
                 const char *logger, rdc_offset_store_t *offsets);
void rdc_ctx_destroy(rdcp_ctx_t *ctx);
/** Asks the instance to stop; wakes host->wait(). Any thread. */
void rdc_ctx_stop(rdcp_ctx_t *ctx);
/** Wakes a host->wait() once without stopping. Any thread. */
void rdc_ctx_wake(rdcp_ctx_t *ctx);
/** Clears a pending wake-up (task thread). */
void rdc_ctx_clear_wake(rdcp_ctx_t *ctx);

/** Per-batch bump allocator. Chunks are kept across resets. */
struct rdcp_arena {
        struct rdc_arena_chunk *head;
        struct rdc_arena_chunk *cur;
};
void rdc_arena_init(rdcp_arena_t *arena);
void rdc_arena_reset(rdcp_arena_t *arena);
void rdc_arena_destroy(rdcp_arena_t *arena);
void *rdc_arena_alloc(rdcp_arena_t *arena, size_t size);

/** Growable byte buffer. */
struct rdcp_buf {
        char *data;
        size_t len;
        size_t size;
};
void rdc_buf_init(rdcp_buf_t *buf);
void rdc_buf_reset(rdcp_buf_t *buf); /**< length 0, memory kept */
void rdc_buf_destroy(rdcp_buf_t *buf);
void *rdc_buf_reserve(rdcp_buf_t *buf, size_t size);
int rdc_buf_append(rdcp_buf_t *buf, const void *ptr, size_t size);

/** rdc_map_t is the rdcp_config_t of the ABI. */
static inline rdcp_config_t *rdc_map_as_config(rdc_map_t *map) {
        return (rdcp_config_t *)(void *)map;
}
static inline const rdcp_config_t *rdc_map_as_cconfig(const rdc_map_t *map) {
        return (const rdcp_config_t *)(const void *)map;
}

#endif

/*
 * The source offset store's front (see offsets.h): every caller goes
 * through these functions, which dispatch to the back end's vtable, and
 * the one place that turns the asynchronous flush into a waiting one.
 */
#define _GNU_SOURCE
#include "storage/offsets.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

void rdc_offset_store_destroy(rdc_offset_store_t *store) {
        if (store)
                store->ops->destroy(store);
}

int rdc_offset_store_get(rdc_offset_store_t *store, const char *connector,
                         const char *partition_json, char **offset_json) {
        return store->ops->get(store, connector, partition_json, offset_json);
}

int rdc_offset_store_put(rdc_offset_store_t *store, const char *connector,
                         const char *partition_json, const char *offset_json) {
        return store->ops->put(store, connector, partition_json, offset_json);
}

void rdc_offset_store_remove_connector(rdc_offset_store_t *store,
                                       const char *connector) {
        store->ops->remove_connector(store, connector);
}

void rdc_offset_store_foreach(rdc_offset_store_t *store, const char *connector,
                              void (*cb)(void *opaque,
                                         const char *partition_json,
                                         const char *offset_json),
                              void *opaque) {
        store->ops->foreach (store, connector, cb, opaque);
}

void rdc_offset_store_flush_async(rdc_offset_store_t *store,
                                  rdc_store_done_cb_t *done, void *opaque) {
        store->ops->flush(store, done, opaque);
}

void rdc_offset_store_set_listener(rdc_offset_store_t *store,
                                   rdc_offsets_listener_t *cb, void *opaque) {
        store->ops->set_listener(store, cb, opaque);
}

int rdc_offset_store_sync(rdc_offset_store_t *store, int timeout_ms,
                          char *errstr, size_t errstr_size) {
        return store->ops->sync ? store->ops->sync(store, timeout_ms, errstr,
                                                   errstr_size)
                                : 0;
}

void rdc_offset_store_abandon(rdc_offset_store_t *store) {
        if (store->ops->abandon)
                store->ops->abandon(store);
}

/* A flush waited for. */
typedef struct flush_wait {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int done;
        int refs; /* the waiter and the store's callback */
        int err;
        char errstr[1024];
} flush_wait_t;

static void flush_wait_unref(flush_wait_t *fw) {
        pthread_mutex_lock(&fw->lock);
        int last = --fw->refs == 0;
        pthread_mutex_unlock(&fw->lock);
        if (!last)
                return;
        pthread_cond_destroy(&fw->cond);
        pthread_mutex_destroy(&fw->lock);
        free(fw);
}

static void flush_done(void *opaque, int err, const char *errstr) {
        flush_wait_t *fw = opaque;
        pthread_mutex_lock(&fw->lock);
        fw->err = err;
        snprintf(fw->errstr, sizeof(fw->errstr), "%s", errstr ? errstr : "");
        fw->done = 1;
        pthread_cond_signal(&fw->cond);
        pthread_mutex_unlock(&fw->lock);
        flush_wait_unref(fw);
}

int rdc_offset_store_flush_timed(rdc_offset_store_t *store, int64_t timeout_ms,
                                 char *errstr, size_t errstr_size) {
        /* On the heap: a wait that times out leaves before the store's
         * callback, which frees it then. */
        flush_wait_t *fw = calloc(1, sizeof(*fw));
        if (!fw) {
                if (errstr && errstr_size)
                        snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        fw->refs = 2;
        pthread_mutex_init(&fw->lock, NULL);
        rdc_clock_cond_init(&fw->cond);
        store->ops->flush(store, flush_done, fw);
        struct timespec until =
                rdc_clock_deadline(timeout_ms > 0 ? timeout_ms : 0);
        pthread_mutex_lock(&fw->lock);
        while (!fw->done) {
                if (timeout_ms < 0)
                        pthread_cond_wait(&fw->cond, &fw->lock);
                else if (pthread_cond_timedwait(&fw->cond, &fw->lock, &until) ==
                         ETIMEDOUT)
                        break;
        }
        int done = fw->done, err = fw->err;
        if (!done && errstr && errstr_size)
                snprintf(errstr, errstr_size,
                         "the offsets were not written within %" PRId64
                         " ms (offset.flush.timeout.ms); they stay staged "
                         "and the next commit writes them",
                         timeout_ms);
        else if (err && errstr && errstr_size)
                snprintf(errstr, errstr_size, "%s", fw->errstr);
        pthread_mutex_unlock(&fw->lock);
        flush_wait_unref(fw);
        return done && !err ? 0 : -1;
}

int rdc_offset_store_flush(rdc_offset_store_t *store, char *errstr,
                           size_t errstr_size) {
        return rdc_offset_store_flush_timed(store, -1, errstr, errstr_size);
}

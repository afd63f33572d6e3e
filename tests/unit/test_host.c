/*
 * Unit tests of runtime/host.c, through the rdcp_host_t table plugins
 * see: arena (chunk boundaries, reuse after reset), buffer (reserve /
 * commit / append), instance context (stop, wake-up, fd readiness,
 * timeouts), typed config getters, offsets lookup and reconfiguration.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/host.h"

static const rdcp_host_t *host = &rdc_host;

/* ------------------------------------------------------------ arena */

#define ARENA_ALLOCS 5000

static void test_arena_chunks_and_reset(void **state) {
        (void)state;
        rdcp_arena_t arena;
        static unsigned char *ptrs[ARENA_ALLOCS];
        static size_t sizes[ARENA_ALLOCS];
        rdc_arena_init(&arena);

        /* ~1.3 MB in odd sizes: spans many 64 KB chunks. */
        for (int i = 0; i < ARENA_ALLOCS; i++) {
                sizes[i] = 1 + (size_t)(i * 37) % 500;
                ptrs[i] = host->arena_alloc(&arena, sizes[i]);
                assert_non_null(ptrs[i]);
                assert_int_equal((uintptr_t)ptrs[i] % 8, 0);
                memset(ptrs[i], i & 0xff, sizes[i]);
        }
        /* One allocation larger than a chunk. */
        unsigned char *huge = host->arena_alloc(&arena, 300 * 1024);
        assert_non_null(huge);
        memset(huge, 0xab, 300 * 1024);
        /* No allocation overlapped another. */
        for (int i = 0; i < ARENA_ALLOCS; i++)
                for (size_t j = 0; j < sizes[i]; j++)
                        if (ptrs[i][j] != (i & 0xff))
                                fail_msg("allocation %d overwritten", i);

        /* After reset the same sequence reuses the same memory. */
        rdc_arena_reset(&arena);
        for (int i = 0; i < ARENA_ALLOCS; i++) {
                unsigned char *again = host->arena_alloc(&arena, sizes[i]);
                assert_ptr_equal(again, ptrs[i]);
        }
        assert_ptr_equal(host->arena_alloc(&arena, 300 * 1024), huge);

        /* Zero bytes is a valid request; an impossible size is not. */
        assert_non_null(host->arena_alloc(&arena, 0));
        assert_null(host->arena_alloc(&arena, SIZE_MAX));
        assert_null(host->arena_alloc(&arena, SIZE_MAX - 7));
        rdc_arena_destroy(&arena);

        /* A fresh arena can be reset and destroyed without allocating. */
        rdc_arena_init(&arena);
        rdc_arena_reset(&arena);
        assert_non_null(host->arena_alloc(&arena, 16));
        rdc_arena_destroy(&arena);
}

/* -------------------------------------------------------------- buf */

static void test_buf_reserve_commit_append(void **state) {
        (void)state;
        rdcp_buf_t buf;
        size_t len = 99;
        rdc_buf_init(&buf);
        host->buf_data(&buf, &len);
        assert_int_equal(len, 0);

        char *dst = host->buf_reserve(&buf, 5);
        assert_non_null(dst);
        memcpy(dst, "hello", 5);
        /* Reserving does not change the length; commit does. */
        host->buf_data(&buf, &len);
        assert_int_equal(len, 0);
        host->buf_commit(&buf, 5);
        assert_int_equal(host->buf_append(&buf, ", world", 7), RDCP_OK);
        const char *data = host->buf_data(&buf, &len);
        assert_int_equal(len, 12);
        assert_memory_equal(data, "hello, world", 12);

        /* Growth keeps the content; reserve points past the end. */
        char block[1000];
        for (int i = 0; i < 100; i++) {
                memset(block, 'a' + i % 26, sizeof(block));
                assert_int_equal(host->buf_append(&buf, block, sizeof(block)),
                                 RDCP_OK);
        }
        data = host->buf_data(&buf, &len);
        assert_int_equal(len, 12 + 100 * sizeof(block));
        assert_memory_equal(data, "hello, world", 12);
        for (int i = 0; i < 100; i++)
                assert_int_equal(data[12 + i * sizeof(block) + 999],
                                 'a' + i % 26);
        char *end = host->buf_reserve(&buf, 1);
        data = host->buf_data(&buf, &len);
        assert_ptr_equal(end, data + len);
        assert_int_equal(host->buf_append(&buf, NULL, 0), RDCP_OK);

        /* An impossible size fails instead of looping or wrapping. */
        assert_null(host->buf_reserve(&buf, SIZE_MAX));
        assert_null(host->buf_reserve(&buf, SIZE_MAX / 2 + 1));
        data = host->buf_data(&buf, &len);
        assert_int_equal(len, 12 + 100 * sizeof(block));

        rdc_buf_reset(&buf);
        host->buf_data(&buf, &len);
        assert_int_equal(len, 0);
        rdc_buf_destroy(&buf);
        rdc_buf_destroy(&buf); /* idempotent */
}

/* -------------------------------------------------------------- ctx */

static void test_ctx_identity(void **state) {
        (void)state;
        rdcp_ctx_t ctx;
        assert_int_equal(rdc_ctx_init(&ctx, "my-conn", 3, "org.x.Src", NULL),
                         0);
        assert_string_equal(host->ctx_connector(&ctx), "my-conn");
        assert_int_equal(host->ctx_task_id(&ctx), 3);
        assert_string_equal(ctx.scope, "my-conn|task-3");
        rdc_ctx_destroy(&ctx);

        assert_int_equal(rdc_ctx_init(&ctx, "c", -1, NULL, NULL), 0);
        assert_string_equal(ctx.scope, "c");
        assert_int_equal(host->ctx_task_id(&ctx), -1);
        rdc_ctx_destroy(&ctx);
}

static void test_ctx_wait(void **state) {
        (void)state;
        rdcp_ctx_t ctx;
        int fds[2];
        assert_int_equal(rdc_ctx_init(&ctx, "c", 0, NULL, NULL), 0);
        assert_int_equal(pipe(fds), 0);

        assert_int_equal(host->should_stop(&ctx), 0);
        assert_int_equal(host->wait(&ctx, -1, 0, 0), 0);
        assert_int_equal(host->wait(&ctx, fds[0], POLLIN, 10), 0);

        /* Data on the fd: ready. */
        assert_int_equal(write(fds[1], "x", 1), 1);
        assert_int_equal(host->wait(&ctx, fds[0], POLLIN, 1000), 1);

        /* A wake-up ends one wait (even with the fd ready), then is gone. */
        rdc_ctx_wake(&ctx);
        rdc_ctx_wake(&ctx);
        assert_int_equal(host->wait(&ctx, fds[0], POLLIN, 1000), -1);
        assert_int_equal(host->wait(&ctx, -1, 0, 0), 0);
        assert_int_equal(host->should_stop(&ctx), 0);

        /* A cleared wake-up does not end a wait. */
        rdc_ctx_wake(&ctx);
        rdc_ctx_clear_wake(&ctx);
        assert_int_equal(host->wait(&ctx, -1, 0, 0), 0);

        /* Stop sticks: every wait ends at once from now on. */
        rdc_ctx_stop(&ctx);
        assert_int_equal(host->should_stop(&ctx), 1);
        assert_int_equal(host->wait(&ctx, -1, 0, -1), -1);
        assert_int_equal(host->wait(&ctx, fds[0], POLLIN, -1), -1);
        rdc_ctx_clear_wake(&ctx);
        assert_int_equal(host->wait(&ctx, -1, 0, -1), -1);

        close(fds[0]);
        close(fds[1]);
        rdc_ctx_destroy(&ctx);
}

static void *stop_later(void *arg) {
        usleep(50 * 1000);
        rdc_ctx_stop(arg);
        return NULL;
}

static void test_ctx_stop_from_other_thread(void **state) {
        (void)state;
        rdcp_ctx_t ctx;
        pthread_t thread;
        assert_int_equal(rdc_ctx_init(&ctx, "c", 0, NULL, NULL), 0);
        assert_int_equal(pthread_create(&thread, NULL, stop_later, &ctx), 0);
        /* Forever, were it not for the stop. */
        assert_int_equal(host->wait(&ctx, -1, 0, -1), -1);
        assert_int_equal(host->should_stop(&ctx), 1);
        pthread_join(thread, NULL);
        rdc_ctx_destroy(&ctx);
}

static int reconfigure_calls;
static void on_reconfigure(void *opaque, const char *connector) {
        assert_string_equal(opaque, "opaque");
        assert_string_equal(connector, "c");
        reconfigure_calls++;
}

static void test_ctx_offsets_and_reconfigure(void **state) {
        (void)state;
        rdc_offset_store_t *store = rdc_offset_store_memory_new();
        rdcp_ctx_t ctx;
        char *offset = (char *)"unset";
        assert_int_equal(rdc_ctx_init(&ctx, "c", 0, NULL, store), 0);
        assert_int_equal(host->offset_read(&ctx, "{\"f\":1}", &offset),
                         RDCP_OK);
        assert_null(offset);
        assert_int_equal(
                rdc_offset_store_put(store, "c", "{\"f\":1}", "{\"pos\":9}"),
                0);
        assert_int_equal(host->offset_read(&ctx, "{ \"f\" : 1 }", &offset),
                         RDCP_OK);
        assert_string_equal(offset, "{\"pos\":9}");
        host->free(offset);
        assert_int_equal(host->offset_read(&ctx, "not json", &offset),
                         RDCP_ERR_DATA);

        /* Without a callback the request is ignored. */
        host->request_reconfiguration(&ctx);
        ctx.on_reconfigure = on_reconfigure;
        ctx.on_reconfigure_opaque = (void *)"opaque";
        host->request_reconfiguration(&ctx);
        assert_int_equal(reconfigure_calls, 1);
        rdc_ctx_destroy(&ctx);
        rdc_offset_store_destroy(store);

        /* No store: no offsets, no error. */
        assert_int_equal(rdc_ctx_init(&ctx, "c", 0, NULL, NULL), 0);
        offset = (char *)"unset";
        assert_int_equal(host->offset_read(&ctx, "{}", &offset), RDCP_OK);
        assert_null(offset);
        rdc_ctx_destroy(&ctx);
}

/* ----------------------------------------------------------- config */

static void test_config_getters(void **state) {
        (void)state;
        rdc_map_t *map = rdc_map_new();
        rdcp_config_t *cfg = rdc_map_as_config(map);
        int64_t number = 0;
        int32_t flag = -1;

        assert_int_equal(host->config_set(cfg, "batch.size", " 2000 "),
                         RDCP_OK);
        assert_int_equal(host->config_set(cfg, "enabled", "TRUE"), RDCP_OK);
        assert_int_equal(host->config_set(cfg, "bad.num", "12k"), RDCP_OK);
        assert_int_equal(host->config_set(cfg, "bad.bool", "yes"), RDCP_OK);
        assert_int_equal(host->config_set(cfg, "gone", "x"), RDCP_OK);
        assert_int_equal(host->config_set(cfg, "gone", NULL), RDCP_OK);

        assert_int_equal(host->config_get_int64(cfg, "batch.size", &number),
                         RDCP_OK);
        assert_int_equal(number, 2000);
        assert_int_equal(host->config_get_int64(cfg, "bad.num", &number),
                         RDCP_ERR_CONFIG);
        assert_int_equal(host->config_get_int64(cfg, "missing", &number),
                         RDCP_ERR_CONFIG);
        assert_int_equal(number, 2000);
        assert_int_equal(host->config_get_bool(cfg, "enabled", &flag), RDCP_OK);
        assert_int_equal(flag, 1);
        assert_int_equal(host->config_get_bool(cfg, "bad.bool", &flag),
                         RDCP_ERR_CONFIG);
        assert_int_equal(host->config_get_bool(cfg, "missing", &flag),
                         RDCP_ERR_CONFIG);

        /* Iteration in key order. */
        assert_int_equal(host->config_count(cfg), 4);
        assert_string_equal(host->config_key_at(cfg, 0), "bad.bool");
        assert_string_equal(host->config_key_at(cfg, 3), "enabled");
        assert_string_equal(host->config_value_at(cfg, 3), "TRUE");
        assert_null(host->config_get(cfg, "gone"));
        assert_string_equal(
                host->config_get(rdc_map_as_cconfig(map), "batch.size"),
                " 2000 ");
        rdc_map_destroy(map);
}

static void test_table_header(void **state) {
        (void)state;
        assert_int_equal(host->struct_size, sizeof(rdcp_host_t));
        assert_int_equal(host->abi_major, RDCP_ABI_MAJOR);
        assert_int_equal(host->abi_minor, RDCP_ABI_MINOR);
        /* Every service is there. */
        void (*const *fn)(void) =
                (void (*const *)(void))(const void *)&host->log;
        size_t cnt = (sizeof(rdcp_host_t) - offsetof(rdcp_host_t, log)) /
                     sizeof(*fn);
        for (size_t i = 0; i < cnt; i++)
                if (!fn[i])
                        fail_msg("host service %zu is NULL", i);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_arena_chunks_and_reset),
                cmocka_unit_test(test_buf_reserve_commit_append),
                cmocka_unit_test(test_ctx_identity),
                cmocka_unit_test(test_ctx_wait),
                cmocka_unit_test(test_ctx_stop_from_other_thread),
                cmocka_unit_test(test_ctx_offsets_and_reconfigure),
                cmocka_unit_test(test_config_getters),
                cmocka_unit_test(test_table_header),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

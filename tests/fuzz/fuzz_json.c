/*
 * Fuzz target: the JsonConverter decoder (plugins/converters/
 * json_decode.c), i.e. to_data() of the built json-converter.so loaded
 * the way the registry loads it, with schemas.enable=true (envelope with
 * a schema) and false (schemaless), and decimal.format=NUMERIC.
 *
 * Nothing lost: whatever to_data() accepts, from_data() must write again,
 * and that JSON must decode once more.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdconnect/plugin.h>

#include "fuzz_common.h"
#include "plugins/host.h"
#include "core/map.h"

#define FUZZ_JSON_INSTANCES 3

typedef struct fuzz_conv {
        const char *label;
        int numeric; /* decimal.format=NUMERIC */
        const rdcp_converter_vtable_t *vt;
        void *inst;
        rdcp_ctx_t ctx;
        rdcp_buf_t scratch;
        rdcp_arena_t arena;
} fuzz_conv_t;

static fuzz_conv_t g_convs[FUZZ_JSON_INSTANCES];

static void open_conv(fuzz_conv_t *c, const rdcp_descriptor_t *desc,
                      const char *label, const char *const *settings) {
        rdc_map_t *cfg = rdc_map_new();
        char errstr[512];

        if (!cfg || rdc_map_set(cfg, "converter.type", "value"))
                rdc_fuzz_fail("out of memory in setup");
        for (; settings[0]; settings += 2)
                if (rdc_map_set(cfg, settings[0], settings[1]))
                        rdc_fuzz_fail("out of memory in setup");
        c->label = label;
        c->vt = desc->converter;
        if (rdc_ctx_init(&c->ctx, "fuzz", -1, desc->class_name, NULL))
                rdc_fuzz_fail("context init");
        rdc_buf_init(&c->scratch);
        rdc_arena_init(&c->arena);
        if (c->vt->create(&c->ctx, &rdc_host, rdc_map_as_cconfig(cfg), &c->inst,
                          errstr, sizeof(errstr)) != RDCP_OK)
                rdc_fuzz_fail("create %s: %s", label, errstr);
        rdc_map_destroy(cfg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static const char *const with_schema[] = {"schemas.enable", "true",
                                                  NULL};
        static const char *const schemaless[] = {"schemas.enable", "false",
                                                 NULL};
        static const char *const numeric[] = {"schemas.enable",
                                              "true",
                                              "decimal.format",
                                              "NUMERIC",
                                              "replace.null.with.default",
                                              "false",
                                              NULL};
        const char *path = RDC_FUZZ_PLUGIN_DIR "/json-converter.so";
        void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        rdcp_entry_fn_t entry;
        const rdcp_descriptor_t *desc;

        (void)argc;
        (void)argv;
        if (!dl)
                rdc_fuzz_fail("dlopen %s: %s", path, dlerror());
        entry = (rdcp_entry_fn_t)dlsym(dl, RDCP_ENTRY_SYMBOL);
        if (!entry || !(desc = entry()) || !desc->converter)
                rdc_fuzz_fail("%s is not a converter plugin", path);
        open_conv(&g_convs[0], desc, "schemas.enable=true", with_schema);
        open_conv(&g_convs[1], desc, "schemas.enable=false", schemaless);
        open_conv(&g_convs[2], desc, "decimal.format=NUMERIC", numeric);
        g_convs[2].numeric = 1;
        return 0;
}

static void run_one(fuzz_conv_t *c, const uint8_t *data, size_t size) {
        char errstr[512] = "";
        rdcp_data_t decoded, again;
        rdcp_bytes_t encoded;
        rdcp_err_t err;

        rdc_arena_reset(&c->arena);
        rdc_buf_reset(&c->scratch);
        err = c->vt->to_data(c->inst, "topic", data, size, &c->arena, &decoded,
                             errstr, sizeof(errstr));
        if (err != RDCP_OK) {
                if (!*errstr)
                        rdc_fuzz_fail("%s: to_data error %d without a reason",
                                      c->label, err);
                return;
        }
        err = c->vt->from_data(c->inst, "topic", &decoded, &c->scratch,
                               &encoded, errstr, sizeof(errstr));
        /* A deliberate bound, not a loss: decimal.format=NUMERIC prints
         * unscaled values of up to JAVAFMT_DECIMAL_MAX_BYTES (128), and
         * reads no number beyond; base64 input may be longer. Such a
         * record fails as a data error. */
        if (err == RDCP_ERR_DATA && c->numeric &&
            !strncmp(errstr, "Invalid Decimal value of ", 25))
                return;
        if (err != RDCP_OK)
                rdc_fuzz_fail("%s: decoded, but cannot encode it again: %s",
                              c->label, errstr);
        err = c->vt->to_data(c->inst, "topic", encoded.ptr, encoded.len,
                             &c->arena, &again, errstr, sizeof(errstr));
        /* Known gap, reported: NUMERIC writes a Decimal of scale <= 0 as an
         * integer literal, and one beyond 64 bits cannot be read back
         * exactly through json-c (json_decode.c refuses it rather than
         * take the value json-c clamped it to). */
        if (err == RDCP_ERR_DATA && c->numeric &&
            strstr(errstr, "beyond the 64-bit range cannot be read"))
                return;
        if (err != RDCP_OK)
                rdc_fuzz_fail("%s: re-encoded '%.*s' does not decode: %s",
                              c->label, (int)encoded.len,
                              (const char *)encoded.ptr, errstr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t i;

        for (i = 0; i < FUZZ_JSON_INSTANCES; i++)
                run_one(&g_convs[i], data, size);
        return 0;
}

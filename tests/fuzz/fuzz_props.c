/*
 * Fuzz target: the configuration file parsers of runtime/props.c, the
 * .properties reader (inih behind the Java line/escape layer) and the
 * connector JSON reader, on the same text.
 *
 * Checked beyond "no crash, no leak": a failure always says why (errstr
 * is set), and every parsed key and value is a readable string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "core/map.h"
#include "core/props.h"

static void check_result(const char *what, int rc, rdc_map_t *map,
                         const char *errstr) {
        size_t i;

        if (rc != 0 && rc != -1)
                rdc_fuzz_fail("%s returned %d", what, rc);
        if (rc == -1 && !*errstr)
                rdc_fuzz_fail("%s failed without a reason", what);
        for (i = 0; i < rdc_map_count(map); i++) {
                const char *key = rdc_map_key_at(map, i);
                const char *value = rdc_map_value_at(map, i);

                if (!key || !value)
                        rdc_fuzz_fail("%s: entry %zu is NULL", what, i);
                if (rdc_map_get(map, key) != value)
                        rdc_fuzz_fail("%s: key '%s' not found again", what,
                                      key);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1);
        char errstr[512];
        rdc_map_t *map;
        int rc;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        map = rdc_map_new();
        errstr[0] = '\0';
        rc = rdc_props_load_string(text, map, errstr, sizeof(errstr));
        check_result("properties", rc, map, errstr);
        rdc_map_destroy(map);

        map = rdc_map_new();
        errstr[0] = '\0';
        rc = rdc_props_load_json_string(text, map, errstr, sizeof(errstr));
        check_result("json", rc, map, errstr);
        rdc_map_destroy(map);

        free(text);
        return 0;
}

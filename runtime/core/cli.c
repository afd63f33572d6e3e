/*
 * rdc_cli_options(): see cli.h.
 */
#include "core/cli.h"

#include <string.h>

#include "core/log.h"
#include "core/map.h"
#include "core/props.h"

int rdc_cli_options(int argc, char **argv, const char *command,
                    const char *version, void (*usage)(FILE *out), int *argi) {
        for (*argi = 1; *argi < argc && argv[*argi][0] == '-'; (*argi)++) {
                const char *opt = argv[*argi];
                if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
                        usage(stdout);
                        return 0;
                }
                if (!strcmp(opt, "--version")) {
                        printf("rdconnect %s\n", version);
                        return 0;
                }
                fprintf(stderr, "%s: unknown option %s\n", command, opt);
                usage(stderr);
                return 2;
        }
        return -1;
}

rdc_map_t *rdc_cli_load_worker_props(const char *path, const char *logger) {
        char errstr[2048];
        rdc_map_t *props = rdc_map_new();
        if (!props ||
            rdc_props_load_file(path, props, errstr, sizeof(errstr))) {
                rdc_log(RDC_LOG_ERROR, logger, NULL,
                        "Cannot read worker config: %s",
                        props ? errstr : "out of memory");
                rdc_map_destroy(props);
                return NULL;
        }
        return props;
}

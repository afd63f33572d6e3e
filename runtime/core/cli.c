/*
 * rdc_cli_options(): see cli.h.
 */
#include "core/cli.h"

#include <string.h>

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

/*
 * The command-line options every rdconnect command shares.
 */
#ifndef RDC_CLI_H
#define RDC_CLI_H

#include <stdio.h>

#include "core/map.h"

/**
 * @brief Reads the leading options of argv: --help / -h (usage on stdout),
 *        --version; anything else starting with '-' is an error (usage on
 *        stderr).
 * @param argi out: the index of the first argument that is no option.
 * @returns -1 to go on, else the exit code (0 after --help or --version,
 *          2 after a bad option).
 */
int rdc_cli_options(int argc, char **argv, const char *command,
                    const char *version, void (*usage)(FILE *out), int *argi);

/**
 * @brief Loads the worker's .properties file; logs the reason as logger
 *        when it cannot.
 * @returns the properties (caller destroys), or NULL.
 */
rdc_map_t *rdc_cli_load_worker_props(const char *path, const char *logger);

#endif

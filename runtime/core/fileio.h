/*
 * Small file helpers shared by the stores that keep state in files
 * (offsets, connector configs).
 */
#ifndef RDC_FILEIO_H
#define RDC_FILEIO_H

#include <stddef.h>

/**
 * @brief Replaces path with text atomically and durably: a temporary file
 *        in the same directory (keeping the old file's mode), fsync,
 *        rename, fsync of the directory. A crash leaves the old or the new
 *        content, never a mix.
 * @returns 0, or -1 with "path: step: reason" in errstr.
 */
int rdc_file_write_atomic(const char *path, const char *text, char *errstr,
                          size_t errstr_size);

/**
 * @brief Reads a whole file.
 * @returns its bytes, NUL-terminated (caller frees), with the length in
 *          *lenp; NULL with errno on failure.
 */
char *rdc_file_read(const char *path, size_t *lenp);

#endif

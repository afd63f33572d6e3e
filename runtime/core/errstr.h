/*
 * The errstr convention (caller-owned buffer + size, one line) in one
 * place: every runtime function that reports a reason to its caller
 * writes it with rdc_errstr_set().
 */
#ifndef RDC_ERRSTR_H
#define RDC_ERRSTR_H

#include <stdarg.h>
#include <stddef.h>

/**
 * @brief Formats the reason into errstr (truncated to errstr_size; nothing
 *        when errstr is NULL or errstr_size is 0).
 * @returns -1, so that a failing function can `return rdc_errstr_set(...)`.
 */
int rdc_errstr_set(char *errstr, size_t errstr_size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/** rdc_errstr_set() with a va_list. @returns -1. */
int rdc_errstr_vset(char *errstr, size_t errstr_size, const char *fmt,
                    va_list ap) __attribute__((format(printf, 3, 0)));

#endif

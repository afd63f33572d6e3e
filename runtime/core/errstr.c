/*
 * rdc_errstr_set(): see errstr.h.
 */
#include "core/errstr.h"

#include <stdio.h>

int rdc_errstr_vset(char *errstr, size_t errstr_size, const char *fmt,
                    va_list ap) {
        if (errstr && errstr_size)
                vsnprintf(errstr, errstr_size, fmt, ap);
        return -1;
}

int rdc_errstr_set(char *errstr, size_t errstr_size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        rdc_errstr_vset(errstr, errstr_size, fmt, ap);
        va_end(ap);
        return -1;
}

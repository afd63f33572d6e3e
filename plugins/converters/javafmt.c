/*
 * Java's number-to-text rules (see javafmt.h).
 */
#include "javafmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t javafmt_int64(char *dst, int64_t value) {
        char rev[24];
        size_t n = 0, len = 0;
        /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
        uint64_t mag = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
        do {
                rev[n++] = (char)('0' + mag % 10);
                mag /= 10;
        } while (mag);
        if (value < 0)
                dst[len++] = '-';
        while (n)
                dst[len++] = rev[--n];
        return len;
}

int javafmt_is_special(double value) {
        return isnan(value) || isinf(value);
}

/*
 * Shortest decimal digits of a positive finite value, and the exponent of
 * the first digit (value = d.ddd x 10^exp10). Every decimal of at most
 * DBL_DIG (FLT_DIG) digits survives a round trip, so when the rounding to
 * that many digits reads back, its zero-stripped form is the shortest;
 * otherwise one or two digits more are needed. printf rounds correctly, so
 * the first precision that reads back is the closest candidate, as Java's
 * algorithm picks.
 */
static size_t shortest_digits(double value, int single, char *digits,
                              int *exp10) {
        static const int dbl_precisions[] = {15, 16, 17};
        static const int flt_precisions[] = {6, 7, 8, 9};
        const int *precisions = single ? flt_precisions : dbl_precisions;
        size_t cnt = single ? 4 : 3, n = 0;
        char text[48];
        const char *p;

        for (size_t i = 0; i < cnt; i++) {
                snprintf(text, sizeof(text), "%.*e", precisions[i] - 1, value);
                if (single ? strtof(text, NULL) == (float)value
                           : strtod(text, NULL) == value)
                        break;
        }
        /* text is "d.ddde[+-]xx"; the decimal point depends on the locale,
         * so take the digits and skip whatever separates them. */
        for (p = text; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9')
                        digits[n++] = *p;
        *exp10 = *p == 'e' ? atoi(p + 1) : 0;
        while (n > 1 && digits[n - 1] == '0')
                n--;
        return n;
}

static size_t put_zeros(char *dst, size_t cnt) {
        memset(dst, '0', cnt);
        return cnt;
}

/* Lays out digits as Double.toString / Float.toString do. */
static size_t java_layout(char *dst, const char *digits, size_t n, int exp10) {
        size_t len = 0;
        if (exp10 >= 0 && exp10 < 7) {
                size_t int_digits = (size_t)exp10 + 1;
                if (n <= int_digits) {
                        memcpy(dst, digits, n);
                        len = n + put_zeros(dst + n, int_digits - n);
                        memcpy(dst + len, ".0", 2);
                        return len + 2;
                }
                memcpy(dst, digits, int_digits);
                len = int_digits;
                dst[len++] = '.';
                memcpy(dst + len, digits + int_digits, n - int_digits);
                return len + n - int_digits;
        }
        if (exp10 < 0 && exp10 >= -3) {
                memcpy(dst, "0.", 2);
                len = 2 + put_zeros(dst + 2, (size_t)(-exp10 - 1));
                memcpy(dst + len, digits, n);
                return len + n;
        }
        dst[len++] = digits[0];
        dst[len++] = '.';
        if (n > 1) {
                memcpy(dst + len, digits + 1, n - 1);
                len += n - 1;
        } else {
                dst[len++] = '0';
        }
        dst[len++] = 'E';
        return len + javafmt_int64(dst + len, exp10);
}

static size_t java_float_text(char *dst, double value, int single) {
        char digits[24];
        size_t len = 0, n;
        int exp10;

        if (isnan(value)) {
                memcpy(dst, "NaN", 3);
                return 3;
        }
        if (signbit(value))
                dst[len++] = '-';
        value = fabs(value);
        if (isinf(value)) {
                memcpy(dst + len, "Infinity", 8);
                return len + 8;
        }
        if (value == 0) {
                memcpy(dst + len, "0.0", 3);
                return len + 3;
        }
        n = shortest_digits(value, single, digits, &exp10);
        return len + java_layout(dst + len, digits, n, exp10);
}

size_t javafmt_double(char *dst, double value) {
        return java_float_text(dst, value, 0);
}

size_t javafmt_float(char *dst, float value) {
        return java_float_text(dst, (double)value, 1);
}

#define DECIMAL_MAX_BYTES JAVAFMT_DECIMAL_MAX_BYTES

/* Decimal digits of the magnitude in mag[0..len) (big-endian), most
 * significant first, into digits. @returns the digit count. */
static size_t magnitude_digits(uint8_t *mag, size_t len, char *digits) {
        char rev[DECIMAL_MAX_BYTES * 3];
        size_t n = 0, first = 0;

        /* Long division by 10^9 yields nine digits per pass. */
        while (first < len) {
                uint64_t rem = 0;
                for (size_t i = first; i < len; i++) {
                        uint64_t cur = (rem << 8) | mag[i];
                        mag[i] = (uint8_t)(cur / 1000000000u);
                        rem = cur % 1000000000u;
                }
                while (first < len && mag[first] == 0)
                        first++;
                for (int d = 0; d < 9 && (first < len || rem); d++) {
                        rev[n++] = (char)('0' + rem % 10);
                        rem /= 10;
                }
        }
        if (n == 0)
                rev[n++] = '0';
        for (size_t i = 0; i < n; i++)
                digits[i] = rev[n - 1 - i];
        return n;
}

size_t javafmt_decimal(char *dst, size_t dst_size, const uint8_t *unscaled,
                       size_t len, int32_t scale) {
        uint8_t mag[DECIMAL_MAX_BYTES];
        char digits[DECIMAL_MAX_BYTES * 3];
        size_t n, out = 0;
        int negative;
        int64_t adjusted;

        if (len == 0 || len > DECIMAL_MAX_BYTES)
                return 0;
        negative = (unscaled[0] & 0x80) != 0;
        memcpy(mag, unscaled, len);
        if (negative) {
                /* Two's complement: invert and add one. */
                unsigned carry = 1;
                for (size_t i = len; i-- > 0;) {
                        unsigned v = (uint8_t)~mag[i] + carry;
                        mag[i] = (uint8_t)v;
                        carry = v >> 8;
                }
        }
        n = magnitude_digits(mag, len, digits);
        adjusted = -(int64_t)scale + (int64_t)(n - 1);
        /* Plain notation adds at most sign, "0." and five zeros (adjusted
         * >= -6); scientific at most sign, point and exponent. */
        if (dst_size < n + 32)
                return 0;
        if (negative)
                dst[out++] = '-';
        if (scale >= 0 && adjusted >= -6) {
                size_t sc = (size_t)scale;
                if (sc == 0) {
                        memcpy(dst + out, digits, n);
                        return out + n;
                }
                if (n > sc) {
                        memcpy(dst + out, digits, n - sc);
                        out += n - sc;
                        dst[out++] = '.';
                        memcpy(dst + out, digits + n - sc, sc);
                        return out + sc;
                }
                memcpy(dst + out, "0.", 2);
                out += 2;
                out += put_zeros(dst + out, sc - n);
                memcpy(dst + out, digits, n);
                return out + n;
        }
        dst[out++] = digits[0];
        if (n > 1) {
                dst[out++] = '.';
                memcpy(dst + out, digits + 1, n - 1);
                out += n - 1;
        }
        dst[out++] = 'E';
        if (adjusted >= 0)
                dst[out++] = '+';
        return out + javafmt_int64(dst + out, adjusted);
}

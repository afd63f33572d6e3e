/*
 * Numbers printed the way Java prints them, because Kafka's converters
 * produce Java's text: Long.toString, Double.toString and Float.toString
 * (shortest decimal that reads back to the same value, plain notation for
 * 1e-3 <= |v| < 1e7, else "1.0E10"), and BigDecimal.toString for decimals.
 *
 * Known difference: Java (since JDK 19) may pick a 2-digit decimal over a
 * 1-digit one when it is closer to the binary value; we always pick the
 * shortest. Older JDKs sometimes printed a digit more than needed.
 */
#ifndef RDC_JAVAFMT_H
#define RDC_JAVAFMT_H

#include <stddef.h>
#include <stdint.h>

/** Enough room for any output of the functions below but decimal. */
#define JAVAFMT_MAX 40

/** @returns the length written to dst (not NUL-terminated). */
size_t javafmt_int64(char *dst, int64_t value);
/** Double.toString. NaN, Infinity and -Infinity as Java spells them. */
size_t javafmt_double(char *dst, double value);
/** Float.toString. */
size_t javafmt_float(char *dst, float value);
/** @returns 1 if value is NaN or infinite (JSON must quote it). */
int javafmt_is_special(double value);

/** Largest unscaled Decimal value printed, in bytes (about 309 digits):
 *  the JSON decoder refuses numbers beyond it, so what is written reads
 *  back. */
#define JAVAFMT_DECIMAL_MAX_BYTES 128

/**
 * @brief BigDecimal.toString of a Connect Decimal: unscaled value as a
 *        big-endian two's-complement integer and a scale.
 * @param dst room for dst_size bytes.
 * @returns the length written, or 0 if dst is too small, len is 0 or
 *          len is over JAVAFMT_DECIMAL_MAX_BYTES.
 */
size_t javafmt_decimal(char *dst, size_t dst_size, const uint8_t *unscaled,
                       size_t len, int32_t scale);

#endif

/*
 * Strict UTF-8 (RFC 3629) for text that comes from outside and ends up in
 * names, files and JSON answers: REST path segments and request bodies.
 * One definition of "valid", so that what one REST path accepts another
 * can always name again (a connector created with a name must be
 * deletable by that name).
 */
#ifndef RDC_UTF8_H
#define RDC_UTF8_H

#include <stddef.h>
#include <stdint.h>

/**
 * @brief Says why code point cp may not appear in a name or JSON text.
 * @returns NULL if cp is a Unicode scalar value other than U+0000, else
 *          the reason ("NUL character", "UTF-16 surrogate ...", ...).
 */
const char *rdc_utf8_codepoint_problem(uint32_t cp);

/**
 * @brief Checks that s[0..len) is strict UTF-8 without NUL: no overlong
 *        forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF,
 *        no stray continuation or truncated sequence.
 * @param offset set to the byte offset of the first bad sequence (or to
 *        len when valid); may be NULL.
 * @returns NULL if valid, else a static string naming the problem.
 */
const char *rdc_utf8_check(const char *s, size_t len, size_t *offset);

#endif

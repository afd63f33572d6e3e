/*
 * Strict UTF-8 validation (see utf8.h). A table-free decoder: each lead
 * byte says how many continuation bytes follow and the smallest code point
 * that length may encode, which rules out overlong forms.
 */
#include "core/utf8.h"

const char *rdc_utf8_codepoint_problem(uint32_t cp) {
        if (cp == 0)
                return "NUL character";
        if (cp >= 0xd800 && cp <= 0xdfff)
                return "UTF-16 surrogate (U+D800..U+DFFF) is not a character";
        if (cp > 0x10ffff)
                return "code point above U+10FFFF";
        return NULL;
}

const char *rdc_utf8_check(const char *s, size_t len, size_t *offset) {
        const unsigned char *p = (const unsigned char *)s;
        const char *problem = NULL;
        size_t i = 0;

        while (i < len) {
                uint32_t cp, min;
                size_t extra, k;

                if (p[i] < 0x80) {
                        if (p[i] == 0) {
                                problem = rdc_utf8_codepoint_problem(0);
                                break;
                        }
                        i++;
                        continue;
                }
                if (p[i] >= 0xc0 && p[i] < 0xe0) {
                        extra = 1;
                        cp = p[i] & 0x1f;
                        min = 0x80;
                } else if (p[i] >= 0xe0 && p[i] < 0xf0) {
                        extra = 2;
                        cp = p[i] & 0x0f;
                        min = 0x800;
                } else if (p[i] >= 0xf0 && p[i] < 0xf8) {
                        extra = 3;
                        cp = p[i] & 0x07;
                        min = 0x10000;
                } else {
                        problem = p[i] < 0xc0 ? "unexpected continuation byte"
                                              : "invalid byte (0xF8..0xFF)";
                        break;
                }
                for (k = 1; k <= extra; k++) {
                        if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
                                break;
                        cp = (cp << 6) | (p[i + k] & 0x3f);
                }
                if (k <= extra) {
                        problem = "truncated multi-byte sequence";
                        break;
                }
                if (cp < min) {
                        problem = "overlong encoding";
                        break;
                }
                problem = rdc_utf8_codepoint_problem(cp);
                if (problem)
                        break;
                i += extra + 1;
        }
        if (offset)
                *offset = i;
        return problem;
}

/*
 * Comma-separated lists: see strlist.h.
 */
#define _GNU_SOURCE
#include "core/strlist.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int strlist_is_space(char c) {
        return isspace((unsigned char)c);
}

/* A copy of [start, end) without surrounding whitespace, or NULL. */
static char *strlist_trimmed_dup(const char *start, const char *end) {
        while (start < end && strlist_is_space(*start))
                start++;
        while (end > start && strlist_is_space(end[-1]))
                end--;
        return strndup(start, (size_t)(end - start));
}

int rdc_strlist_parse(const char *text, rdc_strlist_t *out) {
        const char *p, *comma, *end;
        size_t size = 1;

        out->items = NULL;
        out->cnt = 0;
        if (!text)
                return 0;
        end = text + strlen(text);
        while (text < end && strlist_is_space(*text))
                text++;
        while (end > text && strlist_is_space(end[-1]))
                end--;
        if (text == end)
                return 0;
        for (p = text; p < end; p++)
                size += *p == ',';
        out->items = calloc(size, sizeof(*out->items));
        if (!out->items)
                return -1;
        for (p = text;; p = comma + 1) {
                comma = memchr(p, ',', (size_t)(end - p));
                out->items[out->cnt] =
                        strlist_trimmed_dup(p, comma ? comma : end);
                if (!out->items[out->cnt]) {
                        rdc_strlist_clear(out);
                        return -1;
                }
                out->cnt++;
                if (!comma)
                        break;
        }
        return 0;
}

void rdc_strlist_clear(rdc_strlist_t *list) {
        for (size_t i = 0; i < list->cnt; i++)
                free(list->items[i]);
        free(list->items);
        list->items = NULL;
        list->cnt = 0;
}

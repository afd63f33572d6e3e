/*
 * Comma-separated lists (Kafka's LIST config type) parsed one way
 * everywhere: `topics`, `plugin.path`, `listeners`, list-typed plugin keys.
 */
#ifndef RDC_STRLIST_H
#define RDC_STRLIST_H

#include <stddef.h>

typedef struct rdc_strlist {
        char **items; /**< cnt trimmed items, each NUL-terminated */
        size_t cnt;
} rdc_strlist_t;

/**
 * @brief Parses text the way Kafka's ConfigDef parses a LIST: the whole
 *        value trimmed; blank (or NULL) is the empty list; otherwise the
 *        items between commas, each trimmed of whitespace. Empty
 *        items are kept ("a,,b" has three), as Kafka keeps them: callers
 *        that ignore them skip items[i][0] == '\0'.
 * @returns 0, or -1 when out of memory (then *out is empty).
 */
int rdc_strlist_parse(const char *text, rdc_strlist_t *out);

/** Frees the items; the list is empty afterwards. */
void rdc_strlist_clear(rdc_strlist_t *list);

#endif

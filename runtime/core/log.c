/*
 * Logging (see log.h): level table, line layout, and the single write(2)
 * per line that keeps lines from concurrent threads whole on stderr.
 *
 * Levels live in a sorted table of at most RDC_LOG_MAX_LOGGERS names
 * (REST clients add to it), guarded by g_log.lock. Most calls never take
 * the lock: g_log.min_level and g_log.max_level bound every logger's
 * effective level, so a line below the lowest level is always written and
 * one above the highest is always dropped without looking anything up.
 * Only levels in between (some logger set to DEBUG while root is INFO)
 * need the table.
 */
#define _GNU_SOURCE
#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define RDC_LOG_ROOT "root"

typedef struct rdc_log_entry {
        char *logger;
        rdc_log_level_t level;
        int64_t modified_ms; /**< wall clock of the last change that
                                  rdc_log_set_tree made, -1: none */
} rdc_log_entry_t;

/* Names of loggers that exist without a level of their own: declared,
 * written to, or set to the level they already had (Kafka's log4j
 * creates a logger in each case). Bounded like the level table. */
#define RDC_LOG_MAX_KNOWN 1024

static struct {
        pthread_once_t once;
        pthread_mutex_t lock;
        /* Guarded by lock: explicit levels other than root, sorted. */
        rdc_log_entry_t *entries;
        size_t cnt;
        size_t size;
        char **known; /**< sorted */
        size_t known_cnt;
        size_t known_size;
        int64_t root_modified_ms;
        /* Written under lock, read without it. */
        atomic_int root_level;
        atomic_int min_level; /**< lowest level of root and entries */
        atomic_int max_level; /**< highest level of root and entries */
} g_log = {
        .once = PTHREAD_ONCE_INIT,
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .root_modified_ms = -1,
};

static void log_init_once(void) {
        int level = RDC_LOG_INFO;
        const char *env = getenv("RDC_LOG_LEVEL");
        if (env && *env) {
                int parsed = rdc_log_level_parse(env);
                if (parsed >= 0)
                        level = parsed;
        }
        atomic_store(&g_log.root_level, level);
        atomic_store(&g_log.min_level, level);
        atomic_store(&g_log.max_level, level);
}

static void log_init(void) {
        pthread_once(&g_log.once, log_init_once);
}

static const char *const level_names[] = {
        [RDC_LOG_OFF] = "OFF",     [RDC_LOG_ERROR] = "ERROR",
        [RDC_LOG_WARN] = "WARN",   [RDC_LOG_INFO] = "INFO",
        [RDC_LOG_DEBUG] = "DEBUG", [RDC_LOG_TRACE] = "TRACE",
};

const char *rdc_log_level_name(rdc_log_level_t level) {
        if ((int)level < RDC_LOG_OFF || level > RDC_LOG_TRACE)
                return "UNKNOWN";
        return level_names[level];
}

int rdc_log_level_parse(const char *name) {
        if (!name)
                return -1;
        for (int level = RDC_LOG_OFF; level <= RDC_LOG_TRACE; level++)
                if (!strcasecmp(name, level_names[level]))
                        return level;
        /* log4j and java.util.logging spellings users carry over. */
        if (!strcasecmp(name, "WARNING"))
                return RDC_LOG_WARN;
        if (!strcasecmp(name, "FATAL"))
                return RDC_LOG_ERROR;
        if (!strcasecmp(name, "ALL"))
                return RDC_LOG_TRACE;
        return -1;
}

/** strcmp(entry, the first len bytes of logger), without a copy. */
static int log_cmp(const char *entry, const char *logger, size_t len) {
        int cmp = strncmp(entry, logger, len);
        if (cmp)
                return cmp;
        return entry[len] != '\0';
}

/**
 * @brief Binary search of the sorted table: a lookup per dotted ancestor
 *        runs on every log line whose level is between the bounds.
 * @param pos set to where logger is or would be inserted.
 * @returns 1 if found. @locks g_log.lock
 */
static const char *log_entry_name(size_t i) {
        return g_log.entries[i].logger;
}

static const char *log_known_name(size_t i) {
        return g_log.known[i];
}

/** Binary search of a sorted table of cnt names (name_at(i) the i-th),
 *  shared by the level table and the known names. */
static int log_bsearch(const char *(*name_at)(size_t), size_t cnt,
                       const char *logger, size_t len, size_t *pos) {
        size_t lo = 0, hi = cnt;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int cmp = log_cmp(name_at(mid), logger, len);
                if (cmp == 0) {
                        *pos = mid;
                        return 1;
                }
                if (cmp < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *pos = lo;
        return 0;
}

static int log_search_locked(const char *logger, size_t len, size_t *pos) {
        return log_bsearch(log_entry_name, g_log.cnt, logger, len, pos);
}

/** @returns the index of logger in the table, or -1. @locks g_log.lock */
static ssize_t log_find_locked(const char *logger, size_t len) {
        size_t pos;
        return log_search_locked(logger, len, &pos) ? (ssize_t)pos : -1;
}

/**
 * Opens a slot at pos in a sorted array of cnt elements of elem bytes
 * (growing it from first_size), for both logger tables.
 * @returns 0 or ENOMEM.
 */
static int log_array_open(void **arr, size_t *size, size_t cnt, size_t elem,
                          size_t pos, size_t first_size) {
        if (cnt == *size) {
                size_t grown_size = *size ? *size * 2 : first_size;
                void *grown = realloc(*arr, grown_size * elem);
                if (!grown)
                        return ENOMEM;
                *arr = grown;
                *size = grown_size;
        }
        memmove((char *)*arr + (pos + 1) * elem, (char *)*arr + pos * elem,
                (cnt - pos) * elem);
        return 0;
}

/** Binary search of the known names. @locks g_log.lock */
static int log_known_search_locked(const char *logger, size_t len,
                                   size_t *pos) {
        return log_bsearch(log_known_name, g_log.known_cnt, logger, len, pos);
}

/** Adds logger to the known names (nothing when full or out of memory:
 *  it then only cannot be looked up by name). @locks g_log.lock */
static void log_known_add_locked(const char *logger, size_t len) {
        size_t pos;
        char *name;
        if (len == 0 || len > RDC_LOG_MAX_NAME_LEN ||
            log_known_search_locked(logger, len, &pos) ||
            g_log.known_cnt == RDC_LOG_MAX_KNOWN)
                return;
        if (!(name = strndup(logger, len)))
                return;
        if (log_array_open((void **)&g_log.known, &g_log.known_size,
                           g_log.known_cnt, sizeof(g_log.known[0]), pos, 32)) {
                free(name);
                return;
        }
        g_log.known[pos] = name;
        g_log.known_cnt++;
}

/**
 * @brief Effective level as log4j resolves it: the logger's own level, else
 *        that of its nearest dotted ancestor ("org.apache" for
 *        "org.apache.kafka"), else root's.
 * @locks g_log.lock
 */
static rdc_log_level_t log_resolve_locked(const char *logger) {
        if (logger && strcmp(logger, RDC_LOG_ROOT)) {
                size_t len = strlen(logger);
                while (len > 0) {
                        ssize_t idx = log_find_locked(logger, len);
                        if (idx >= 0)
                                return g_log.entries[idx].level;
                        while (len > 0 && logger[len - 1] != '.')
                                len--;
                        if (len > 0)
                                len--; /* drop the dot itself */
                }
        }
        return (rdc_log_level_t)atomic_load(&g_log.root_level);
}

/** Recomputes the lock-free bounds after a change. @locks g_log.lock */
static void log_update_bounds_locked(void) {
        int min = atomic_load(&g_log.root_level), max = min;
        for (size_t i = 0; i < g_log.cnt; i++) {
                int level = (int)g_log.entries[i].level;
                if (level < min)
                        min = level;
                if (level > max)
                        max = level;
        }
        atomic_store(&g_log.min_level, min);
        atomic_store(&g_log.max_level, max);
}

int rdc_log_enabled(rdc_log_level_t level, const char *logger) {
        log_init();
        if (level <= RDC_LOG_OFF || (int)level > atomic_load(&g_log.max_level))
                return 0;
        if ((int)level <= atomic_load(&g_log.min_level))
                return 1;
        pthread_mutex_lock(&g_log.lock);
        rdc_log_level_t effective = log_resolve_locked(logger);
        pthread_mutex_unlock(&g_log.lock);
        return level <= effective;
}

rdc_log_level_t rdc_log_get_level(const char *logger) {
        log_init();
        pthread_mutex_lock(&g_log.lock);
        rdc_log_level_t effective = log_resolve_locked(logger);
        pthread_mutex_unlock(&g_log.lock);
        return effective;
}

void rdc_log_declare(const char *logger) {
        if (!logger || !strcmp(logger, RDC_LOG_ROOT))
                return;
        log_init();
        pthread_mutex_lock(&g_log.lock);
        log_known_add_locked(logger, strlen(logger));
        pthread_mutex_unlock(&g_log.lock);
}

int rdc_log_lookup(const char *logger, rdc_log_level_t *level,
                   int64_t *modified_ms) {
        size_t len = logger ? strlen(logger) : 0, pos;
        int exists;
        log_init();
        pthread_mutex_lock(&g_log.lock);
        *level = log_resolve_locked(logger);
        *modified_ms = -1;
        if (!logger || !strcmp(logger, RDC_LOG_ROOT)) {
                exists = 1;
                *modified_ms = g_log.root_modified_ms;
        } else if (log_search_locked(logger, len, &pos)) {
                exists = 1;
                *modified_ms = g_log.entries[pos].modified_ms;
        } else {
                exists = len > 0 && log_known_search_locked(logger, len, &pos);
        }
        pthread_mutex_unlock(&g_log.lock);
        return exists;
}

/**
 * Sets one named logger, adding it if new. @returns 0 or an errno value.
 * @locks g_log.lock
 */
static int log_set_locked(const char *logger, size_t len,
                          rdc_log_level_t level) {
        size_t pos;
        if (log_search_locked(logger, len, &pos)) {
                g_log.entries[pos].level = level;
                return 0;
        }
        if (g_log.cnt == RDC_LOG_MAX_LOGGERS)
                return ENOSPC;
        char *name = strndup(logger, len);
        if (!name)
                return ENOMEM;
        /* Kept sorted: binary search, and rdc_log_foreach lists loggers
         * in a stable order (REST GET /admin/loggers). */
        if (log_array_open((void **)&g_log.entries, &g_log.size, g_log.cnt,
                           sizeof(g_log.entries[0]), pos, 8)) {
                free(name);
                return ENOMEM;
        }
        g_log.entries[pos].logger = name;
        g_log.entries[pos].level = level;
        g_log.entries[pos].modified_ms = -1;
        g_log.cnt++;
        return 0;
}

/** @returns 0, or -1 with errno for a name that cannot be a logger. */
static int log_check_name(const char *logger, size_t len) {
        int err = 0;
        if (logger && len == 0)
                err = EINVAL;
        else if (len > RDC_LOG_MAX_NAME_LEN)
                err = ENAMETOOLONG;
        if (err) {
                errno = err;
                return -1;
        }
        return 0;
}

int rdc_log_set_level(const char *logger, rdc_log_level_t level) {
        size_t len = logger ? strlen(logger) : 0;
        int err = 0;
        if (log_check_name(logger, len) == -1)
                return -1;
        log_init();
        pthread_mutex_lock(&g_log.lock);
        if (!logger || !strcmp(logger, RDC_LOG_ROOT))
                atomic_store(&g_log.root_level, (int)level);
        else
                err = log_set_locked(logger, len, level);
        log_update_bounds_locked();
        pthread_mutex_unlock(&g_log.lock);
        if (err) {
                errno = err;
                return -1;
        }
        return 0;
}

static int64_t log_wall_ms(void) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/** Gives an entry the level; stamps it if that changed it. */
static void log_entry_change(rdc_log_entry_t *e, rdc_log_level_t level,
                             int64_t now) {
        if (e->level == level)
                return;
        e->level = level;
        e->modified_ms = now;
}

/** 1 if name is namespace or below it ("a.b" for "a"; all for root). */
static int log_in_tree(const char *name, const char *namespace, size_t len,
                       int root) {
        return root || (!strncmp(name, namespace, len) &&
                        (name[len] == '\0' || name[len] == '.'));
}

static int log_name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/**
 * The names of namespace and of every logger below it that has a level
 * or is known, sorted and unique. @returns the count (names NULL on OOM).
 * @locks g_log.lock
 */
static size_t log_tree_names_locked(const char *namespace, size_t len, int root,
                                    char ***out) {
        size_t cnt = 0;
        char **names = calloc(g_log.cnt + g_log.known_cnt + 1, sizeof(*names));
        *out = names;
        if (!names)
                return 0;
        names[cnt++] = strdup(root ? RDC_LOG_ROOT : namespace);
        for (size_t i = 0; i < g_log.cnt; i++)
                if (log_in_tree(g_log.entries[i].logger, namespace, len, root))
                        names[cnt++] = strdup(g_log.entries[i].logger);
        for (size_t i = 0; i < g_log.known_cnt; i++)
                if (log_in_tree(g_log.known[i], namespace, len, root))
                        names[cnt++] = strdup(g_log.known[i]);
        return cnt;
}

int rdc_log_set_tree(const char *logger, rdc_log_level_t level,
                     void (*affected)(void *opaque, const char *logger),
                     void *opaque) {
        size_t len = logger ? strlen(logger) : 0, pos, cnt = 0, kept = 0;
        int root = !logger || !strcmp(logger, RDC_LOG_ROOT), err = 0;
        char **names = NULL;
        if (log_check_name(logger, len) == -1)
                return -1;
        log_init();
        int64_t now = log_wall_ms();
        pthread_mutex_lock(&g_log.lock);
        if (root) {
                if (atomic_load(&g_log.root_level) != (int)level) {
                        atomic_store(&g_log.root_level, (int)level);
                        g_log.root_modified_ms = now;
                }
        } else if (log_search_locked(logger, len, &pos)) {
                log_entry_change(&g_log.entries[pos], level, now);
        } else if (log_resolve_locked(logger) != level) {
                /* As Kafka: a logger gets a level of its own only when the
                 * level differs from the one it has already. */
                err = log_set_locked(logger, len, level);
                if (!err && log_search_locked(logger, len, &pos))
                        g_log.entries[pos].modified_ms = now;
        } else {
                log_known_add_locked(logger, len);
        }
        if (!err) {
                for (size_t i = 0; i < g_log.cnt; i++)
                        if (log_in_tree(g_log.entries[i].logger, logger, len,
                                        root))
                                log_entry_change(&g_log.entries[i], level, now);
                cnt = log_tree_names_locked(logger, len, root, &names);
        }
        log_update_bounds_locked();
        pthread_mutex_unlock(&g_log.lock);
        if (err) {
                errno = err;
                return -1;
        }
        if (!names) {
                errno = ENOMEM;
                return -1;
        }
        for (size_t i = 0; i < cnt; i++)
                if (!names[i])
                        err = ENOMEM;
        if (!err) {
                qsort(names, cnt, sizeof(*names), log_name_cmp);
                for (size_t i = 0; i < cnt; i++) {
                        if (!kept || strcmp(names[kept - 1], names[i]))
                                names[kept++] = names[i];
                        else
                                free(names[i]);
                }
                for (size_t i = 0; affected && i < kept; i++)
                        affected(opaque, names[i]);
                cnt = kept;
        }
        for (size_t i = 0; i < cnt; i++)
                free(names[i]);
        free(names);
        if (err) {
                errno = err;
                return -1;
        }
        return 0;
}

void rdc_log_foreach(void (*cb)(void *opaque, const char *logger,
                                rdc_log_level_t level, int64_t modified_ms),
                     void *opaque) {
        log_init();
        /* Callbacks run on a snapshot, outside the lock, so that they may
         * log or change levels themselves. */
        pthread_mutex_lock(&g_log.lock);
        size_t cnt = g_log.cnt;
        rdc_log_entry_t *snapshot = calloc(cnt ? cnt : 1, sizeof(*snapshot));
        size_t copied = 0;
        for (; snapshot && copied < cnt; copied++) {
                snapshot[copied] = g_log.entries[copied];
                snapshot[copied].logger = strdup(g_log.entries[copied].logger);
                if (!snapshot[copied].logger)
                        break;
        }
        rdc_log_level_t root = (rdc_log_level_t)atomic_load(&g_log.root_level);
        int64_t root_modified = g_log.root_modified_ms;
        pthread_mutex_unlock(&g_log.lock);

        cb(opaque, RDC_LOG_ROOT, root, root_modified);
        for (size_t i = 0; i < copied; i++)
                cb(opaque, snapshot[i].logger, snapshot[i].level,
                   snapshot[i].modified_ms);
        for (size_t i = 0; i < copied; i++)
                free(snapshot[i].logger);
        free(snapshot);
}

/** Writes all of line to stderr: one write(2) unless the kernel splits it. */
static void log_write(const char *line, size_t len) {
        while (len > 0) {
                ssize_t written = write(STDERR_FILENO, line, len);
                if (written < 0) {
                        if (errno == EINTR)
                                continue;
                        return; /* nowhere left to report it */
                }
                line += written;
                len -= (size_t)written;
        }
}

/** Formats "[2026-11-21 20:01:02,123] " (local time, as log4j). */
static int log_format_time(char *buf, size_t size) {
        struct timespec now;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &now);
        localtime_r(&now.tv_sec, &tm);
        char date[32];
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        return snprintf(buf, size, "[%s,%03ld] ", date, now.tv_nsec / 1000000L);
}

void rdc_logv(rdc_log_level_t level, const char *logger, const char *scope,
              const char *fmt, va_list ap) {
        if (!rdc_log_enabled(level, logger))
                return;
        /* A logger that writes exists (Kafka: its class created it):
         * GET /admin/loggers/{name} finds it. A line is a write(2)
         * already; the lookup costs less. */
        rdc_log_declare(logger);
        char prefix[256];
        int prefix_len = log_format_time(prefix, sizeof(prefix));
        prefix_len += snprintf(prefix + prefix_len,
                               sizeof(prefix) - (size_t)prefix_len, "%s ",
                               rdc_log_level_name(level));
        /* Scope goes through the message format below so that a long one
         * is never cut. */
        va_list measure;
        va_copy(measure, ap);
        int msg_len = vsnprintf(NULL, 0, fmt, measure);
        va_end(measure);
        if (msg_len < 0)
                return;
        const char *logger_name = logger ? logger : RDC_LOG_ROOT;
        size_t scope_len = scope ? strlen(scope) + 3 : 0; /* "[" "] " */
        size_t total = (size_t)prefix_len + scope_len + (size_t)msg_len +
                       strlen(logger_name) + 5; /* " (" ")" "\n" NUL */

        char stack_line[1024];
        char *line = total <= sizeof(stack_line) ? stack_line : malloc(total);
        if (!line)
                return;
        size_t len = (size_t)prefix_len;
        memcpy(line, prefix, len);
        if (scope)
                len += (size_t)snprintf(line + len, total - len, "[%s] ",
                                        scope);
        len += (size_t)vsnprintf(line + len, total - len, fmt, ap);
        /* A caller's trailing newline would leave an empty line. */
        while (len > 0 && line[len - 1] == '\n')
                len--;
        len += (size_t)snprintf(line + len, total - len, " (%s)\n",
                                logger_name);
        log_write(line, len);
        if (line != stack_line)
                free(line);
}

void rdc_log(rdc_log_level_t level, const char *logger, const char *scope,
             const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        rdc_logv(level, logger, scope, fmt, ap);
        va_end(ap);
}

void rdc_log_flatten(char *text) {
        for (char *p = text; *p; p++)
                if (*p == '\n')
                        *p = ' ';
}

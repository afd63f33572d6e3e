/*
 * Logging: one line per event on stderr (stdout belongs to the file sink's
 * default output), Kafka Connect's log4j layout:
 *   [2026-11-21 20:01:02,123] INFO [conn|task-0] message (subsystem)
 * Levels are per logger (a subsystem such as "herder", or a plugin class
 * name) and can change while the worker runs (REST /admin/loggers).
 * Thread-safe: any thread may log; one write(2) per line.
 */
#ifndef RDC_LOG_H
#define RDC_LOG_H

#include <stdarg.h>
#include <stdint.h>

typedef enum rdc_log_level {
        RDC_LOG_OFF = 0,
        RDC_LOG_ERROR = 1,
        RDC_LOG_WARN = 2,
        RDC_LOG_INFO = 3,
        RDC_LOG_DEBUG = 4,
        RDC_LOG_TRACE = 5
} rdc_log_level_t;

/**
 * @brief Logs one line if logger's effective level allows it.
 * @param logger subsystem or plugin class name ("herder", "loader", ...).
 * @param scope "connector|task-N" style context, or NULL.
 */
void rdc_log(rdc_log_level_t level, const char *logger, const char *scope,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void rdc_logv(rdc_log_level_t level, const char *logger, const char *scope,
              const char *fmt, va_list ap);

/** @returns 1 if a line of this level would be written. Cheap. */
int rdc_log_enabled(rdc_log_level_t level, const char *logger);

/* Loggers with an explicit level are kept in a table that REST clients
 * can add to (PUT /admin/loggers/{name}): both bounds keep it small. */
#define RDC_LOG_MAX_LOGGERS  1024 /**< named loggers, root not counted */
#define RDC_LOG_MAX_NAME_LEN 255  /**< bytes */

/**
 * @brief Sets the level of one logger ("root" sets the default).
 * @returns 0, or -1 with errno: EINVAL for an empty name, ENAMETOOLONG
 *          beyond RDC_LOG_MAX_NAME_LEN, ENOSPC for a new name when
 *          RDC_LOG_MAX_LOGGERS have a level already, ENOMEM.
 */
int rdc_log_set_level(const char *logger, rdc_log_level_t level);
/**
 * @brief Sets logger and every logger below it ("a.b" for "a"; all of
 *        them for root), in one step, as Kafka's PUT /admin/loggers/{name}
 *        does: a logger without a level of its own gets one only if the
 *        level differs from the one it has; each logger whose level
 *        changes gets the time of the change (rdc_log_lookup).
 * @param affected called (outside the lock) with logger and every logger
 *        below it that has a level or is known, in name order: Kafka's
 *        answer. May be NULL.
 * @returns as rdc_log_set_level.
 */
int rdc_log_set_tree(const char *logger, rdc_log_level_t level,
                     void (*affected)(void *opaque, const char *logger),
                     void *opaque);
/** @returns the effective level of logger (its own, else root's). */
rdc_log_level_t rdc_log_get_level(const char *logger);
/**
 * @brief Looks a logger up by name, as GET /admin/loggers/{name}.
 * @param level out: its effective level.
 * @param modified_ms out: wall-clock ms of the last change
 *        rdc_log_set_tree made to its own level, -1 if none.
 * @returns 1 if the logger exists: root, one with a level, one declared
 *          or written to; 0 otherwise.
 */
int rdc_log_lookup(const char *logger, rdc_log_level_t *level,
                   int64_t *modified_ms);
/** Makes logger known (a plugin class's logger, before it writes). */
void rdc_log_declare(const char *logger);
/** Calls cb for every logger with an explicit level (root first, then in
 *  name order), with the time of its last change (-1: none). */
void rdc_log_foreach(void (*cb)(void *opaque, const char *logger,
                                rdc_log_level_t level, int64_t modified_ms),
                     void *opaque);

/** Replaces every newline in text with a space, so that a multi-line
 *  message (a REST error listing problems) logs as one line. */
void rdc_log_flatten(char *text);

/** "ERROR", "WARN", ... */
const char *rdc_log_level_name(rdc_log_level_t level);
/** Parses a level name (case-insensitive; also "WARNING", "FATAL" =
 *  ERROR and "ALL" = TRACE, log4j's and java.util.logging's names).
 *  @returns the level or -1. */
int rdc_log_level_parse(const char *name);

/* Shorthands. */
#define rdc_log_error(logger, ...)                                             \
        rdc_log(RDC_LOG_ERROR, logger, NULL, __VA_ARGS__)
#define rdc_log_warn(logger, ...)                                              \
        rdc_log(RDC_LOG_WARN, logger, NULL, __VA_ARGS__)
#define rdc_log_info(logger, ...)                                              \
        rdc_log(RDC_LOG_INFO, logger, NULL, __VA_ARGS__)
#define rdc_log_debug(logger, ...)                                             \
        rdc_log(RDC_LOG_DEBUG, logger, NULL, __VA_ARGS__)

#endif

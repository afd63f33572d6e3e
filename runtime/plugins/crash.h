/*
 * Crash handling: plugins share the worker's process, so a plugin that
 * dereferences a bad pointer kills the worker with every connector in it.
 * That cannot be prevented; what this module makes sure of is that
 *  - the crash is attributable: the handler of SIGSEGV, SIGBUS, SIGILL,
 *    SIGFPE and SIGABRT writes one log line naming the signal and what the
 *    crashing thread was running (connector, task id, plugin file, or the
 *    plugin being loaded), then a backtrace, then re-raises the signal
 *    with its default action so the exit status is the usual one;
 *  - a restarted worker does not crash-loop: the handler appends a record
 *    of the crashing task to the crash record file, and a task that
 *    crashed the worker crash.task.limit times in a row is not started
 *    again (FAILED with a trace saying why) until it is restarted over
 *    REST.
 *
 * The handler only uses async-signal-safe calls (write(2), no stdio, no
 * malloc), plus backtrace(), which install preloads. Everything it reads
 * is fixed-size: a thread-local identity per thread and a table of the
 * loaded plugins' address ranges.
 */
#ifndef RDC_CRASH_H
#define RDC_CRASH_H

#include <signal.h>

#include <stddef.h>
#include <stdint.h>

#include "core/map.h"

/**
 * @brief Installs the handlers and an alternate signal stack for the
 *        calling thread (so that a stack overflow is reported too).
 *        Call once, early in main(). @returns 0 or -1 (errno).
 */
int rdc_crash_install(void);

/**
 * @brief The signal set-up of every rdconnect command, first thing in
 *        main() so that a plugin crashing while it loads is named too:
 *        rdc_crash_install() (a failure is a warning from logger), then
 *        SIGINT and SIGTERM blocked (main() takes them synchronously;
 *        every thread created later inherits the block), SIGPIPE ignored,
 *        and SIGXFSZ ignored (a write past RLIMIT_FSIZE is an EFBIG the
 *        writing plugin reports, not a signal that ends the process).
 * @param sigs out: the blocked set, for sigwait().
 */
void rdc_crash_process_setup(const char *logger, sigset_t *sigs);

/**
 * @brief The calling thread runs this task (task_id -1: the connector
 *        instance, for the herder's calls into it) from now on: a crash
 *        names it and records it. Also gives the thread its own alternate
 * signal stack. Strings are copied (cut to fixed sizes).
 * @locality task thread, at its start; rdc_crash_task_leave() at its end.
 */
void rdc_crash_task_enter(const char *connector, int32_t task_id,
                          const char *plugin_path);
void rdc_crash_task_leave(void);

/** While path is set (NULL clears), a crash on this thread is reported as
 *  "while loading plugin <path>" (dlopen, constructors, entry()). */
void rdc_crash_loading(const char *path);

/** The registry tells which address ranges belong to which plugin file,
 *  so that a crash in plugin code on any thread names the file. path is
 *  borrowed until rdc_crash_plugin_remove(). */
void rdc_crash_plugin_add(const char *path, void *dl_handle);
void rdc_crash_plugin_remove(const char *path);

/**
 * @brief Reads the crash record file (crash.record.file, by default
 *        offset.storage.file.filename + ".crashes"), compacts it, and
 *        keeps it open for the handler to append to.
 * @param worker_config the worker's keys, defaults applied.
 * @returns 0, or -1 with errstr (the worker runs on without records).
 */
int rdc_crash_records_open(const rdc_map_t *worker_config, char *errstr,
                           size_t errstr_size);
void rdc_crash_records_close(void);

/**
 * @brief Whether this task crashed the worker crash.task.limit times in a
 *        row and must not be started (logged at ERROR).
 * @returns 1 with the FAILED trace in trace, else 0.
 * @locality any thread.
 */
int rdc_crash_task_refused(const char *connector, int32_t task_id, char *trace,
                           size_t trace_size);

/** Forgets the crashes of a task (restarted over REST): appends a
 *  clearing record, so that it also holds after a worker restart. */
void rdc_crash_task_forget(const char *connector, int32_t task_id);

#endif

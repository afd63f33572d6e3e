/*
 * Crash handler, per-thread identity and crash records (see crash.h).
 *
 * Two halves that share only the record file's descriptor:
 *  - the signal side (handler, identities, plugin address table), which
 *    may only use async-signal-safe calls and fixed-size memory;
 *  - the record side (read at start-up, consulted by the herder), ordinary
 *    code under a mutex.
 *
 * Record file format, one record per line, fields separated by one space,
 * strings prefixed by their byte length so that any name parses:
 *   RDC-CRASH 1 <unix ms> <ran ms> <signal> <task> <len> <connector>
 *             <len> <plugin file>
 *   RDC-CLEAR 1 <unix ms> <task> <len> <connector>
 * A task's count is the number of its RDC-CRASH records since its last
 * RDC-CLEAR (written by a REST restart, and when a task stops after
 * running task.restart.backoff.max.ms); a crash after such a run counts
 * as the first again.
 */
#define _GNU_SOURCE
#include "plugins/crash.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/configdef.h"
#include "core/fileio.h"
#include "core/log.h"

#define RDC_CRASH_LOGGER      "crash"
#define RDC_CRASH_NAME_SIZE   256
#define RDC_CRASH_PATH_SIZE   1024
#define RDC_CRASH_PLUGINS_MAX 512
#define RDC_CRASH_FRAMES      64
#define RDC_CRASH_ALTSTACK    (128 * 1024)
#define RDC_CRASH_FILE_MAX    (16 * 1024 * 1024)
#define RDC_CRASH_MAGIC       "RDC-CRASH 1 "
#define RDC_CLEAR_MAGIC       "RDC-CLEAR 1 "

static const int rdc_crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                                        SIGABRT};

/* ======================================================= signal side */

/* What a thread runs. The *_set flags are written last when setting and
 * first when clearing, so the handler never reads a half-written field. */
typedef struct rdc_crash_identity {
        volatile sig_atomic_t task_set;
        volatile sig_atomic_t recordable; /* names fit the record */
        volatile sig_atomic_t loading_set;
        int32_t task_id;
        int64_t started_ms; /* CLOCK_MONOTONIC */
        char connector[RDC_CRASH_NAME_SIZE];
        char plugin[RDC_CRASH_PATH_SIZE];
        char loading[RDC_CRASH_PATH_SIZE];
        void *altstack; /* ours, mmap()ed; NULL if none */
        stack_t old_altstack;
} rdc_crash_identity_t;

static _Thread_local rdc_crash_identity_t rdc_crash_self;

/* One loaded plugin file: [start, end) of its mapped segments. */
typedef struct rdc_crash_plugin {
        _Atomic(const char *) path; /* NULL: free slot */
        uintptr_t start, end;
} rdc_crash_plugin_t;

static struct {
        atomic_int crashing_tid;      /* the thread reporting; 0: none yet */
        atomic_int record_fd;         /* -1: no records */
        long gmtoff;                  /* local time offset, taken at install */
        pthread_mutex_t plugins_lock; /* serializes add/remove */
        rdc_crash_plugin_t plugins[RDC_CRASH_PLUGINS_MAX];
        atomic_size_t plugin_cnt; /* slots ever used */
} g_sig = {
        .record_fd = -1,
        .plugins_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* A line being built in a fixed buffer; what does not fit is cut. */
typedef struct rdc_crash_buf {
        char data[4096];
        size_t len;
} rdc_crash_buf_t;

static void buf_str(rdc_crash_buf_t *b, const char *text) {
        while (*text && b->len < sizeof(b->data) - 1)
                b->data[b->len++] = *text++;
}

static void buf_uint(rdc_crash_buf_t *b, uint64_t value, unsigned base,
                     int min_digits) {
        char digits[24];
        int n = 0;

        do {
                digits[n++] = "0123456789abcdef"[value % base];
                value /= base;
        } while (value && n < (int)sizeof(digits));
        while (n < min_digits && n < (int)sizeof(digits))
                digits[n++] = '0';
        while (n > 0 && b->len < sizeof(b->data) - 1)
                b->data[b->len++] = digits[--n];
}

static void buf_int(rdc_crash_buf_t *b, int64_t value) {
        if (value < 0) {
                buf_str(b, "-");
                buf_uint(b, (uint64_t)0 - (uint64_t)value, 10, 1);
        } else {
                buf_uint(b, (uint64_t)value, 10, 1);
        }
}

static void crash_write_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                data += n;
                len -= (size_t)n;
        }
}

static int64_t crash_clock_ms(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "[2026-11-21 20:01:02,123] " as log.c writes it, without localtime_r
 * (not async-signal-safe): the offset was taken at install. */
static void buf_timestamp(rdc_crash_buf_t *b, long gmtoff) {
        int64_t ms = crash_clock_ms(CLOCK_REALTIME) + (int64_t)gmtoff * 1000;
        int64_t secs = ms / 1000, days = secs / 86400;
        int64_t sod = secs % 86400;
        /* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
        int64_t z = days + 719468;
        int64_t era = (z >= 0 ? z : z - 146096) / 146097;
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;
        unsigned day = doy - (153 * mp + 2) / 5 + 1;
        unsigned month = mp < 10 ? mp + 3 : mp - 9;
        int64_t year = (int64_t)yoe + era * 400 + (month <= 2);

        buf_str(b, "[");
        buf_uint(b, (uint64_t)year, 10, 4);
        buf_str(b, "-");
        buf_uint(b, month, 10, 2);
        buf_str(b, "-");
        buf_uint(b, day, 10, 2);
        buf_str(b, " ");
        buf_uint(b, (uint64_t)(sod / 3600), 10, 2);
        buf_str(b, ":");
        buf_uint(b, (uint64_t)(sod / 60 % 60), 10, 2);
        buf_str(b, ":");
        buf_uint(b, (uint64_t)(sod % 60), 10, 2);
        buf_str(b, ",");
        buf_uint(b, (uint64_t)(ms % 1000), 10, 3);
        buf_str(b, "] ");
}

static const char *crash_signal_name(int sig, const char **what) {
        switch (sig) {
        case SIGSEGV:
                *what = "segmentation fault";
                return "SIGSEGV";
        case SIGBUS:
                *what = "bus error";
                return "SIGBUS";
        case SIGILL:
                *what = "illegal instruction";
                return "SIGILL";
        case SIGFPE:
                *what = "arithmetic exception";
                return "SIGFPE";
        case SIGABRT:
                *what = "aborted";
                return "SIGABRT";
        default:
                *what = "fatal signal";
                return "signal";
        }
}

/* The instruction that faulted, where the platform tells. */
static uintptr_t crash_fault_pc(const void *uctx) {
        const ucontext_t *uc = uctx;

        if (!uc)
                return 0;
#if defined(__x86_64__)
        return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
        return (uintptr_t)uc->uc_mcontext.pc;
#else
        return 0;
#endif
}

/* @returns the plugin file whose code holds pc, or NULL. */
static const char *crash_plugin_at(uintptr_t pc) {
        size_t cnt = atomic_load(&g_sig.plugin_cnt);

        for (size_t i = 0; pc && i < cnt; i++) {
                const char *path = atomic_load(&g_sig.plugins[i].path);

                if (path && pc >= g_sig.plugins[i].start &&
                    pc < g_sig.plugins[i].end)
                        return path;
        }
        return NULL;
}

/* Appends this thread's crash to the record file (a task's only). */
static void crash_write_record(const rdc_crash_identity_t *self, int sig,
                               const char *culprit) {
        int fd = atomic_load(&g_sig.record_fd);
        rdc_crash_buf_t rec;

        if (fd < 0 || !self->task_set || !self->recordable)
                return;
        rec.len = 0;
        buf_str(&rec, RDC_CRASH_MAGIC);
        buf_int(&rec, crash_clock_ms(CLOCK_REALTIME));
        buf_str(&rec, " ");
        buf_int(&rec, crash_clock_ms(CLOCK_MONOTONIC) - self->started_ms);
        buf_str(&rec, " ");
        buf_int(&rec, sig);
        buf_str(&rec, " ");
        buf_int(&rec, self->task_id);
        buf_str(&rec, " ");
        buf_uint(&rec, strlen(self->connector), 10, 1);
        buf_str(&rec, " ");
        buf_str(&rec, self->connector);
        buf_str(&rec, " ");
        buf_uint(&rec, strlen(culprit), 10, 1);
        buf_str(&rec, " ");
        buf_str(&rec, culprit);
        buf_str(&rec, "\n");
        /* A record cut by the buffer would not parse; none is better. */
        if (rec.len < sizeof(rec.data) - 1)
                crash_write_all(fd, rec.data, rec.len);
}

/* Dies of sig with its default action (core dump included), so that the
 * exit status is the one supervisors expect. */
static void crash_die(int sig) {
        sigset_t unblock;

        signal(sig, SIG_DFL);
        sigemptyset(&unblock);
        sigaddset(&unblock, sig);
        pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
        raise(sig);
        _exit(128 + sig);
}

static void crash_handler(int sig, siginfo_t *info, void *uctx) {
        rdc_crash_identity_t *self = &rdc_crash_self;
        const char *sig_name, *sig_what;
        void *frames[RDC_CRASH_FRAMES];
        const char *code, *culprit;
        rdc_crash_buf_t line;
        char thread[17] = "";
        int tid = (int)syscall(SYS_gettid), reporter = 0;

        /* One report: a second crashing thread waits for the process to
         * die of the first; the reporter crashing again (abort() in the
         * unwinder, say) dies at once. */
        if (!atomic_compare_exchange_strong(&g_sig.crashing_tid, &reporter,
                                            tid)) {
                if (reporter == tid)
                        crash_die(sig);
                for (;;)
                        pause();
        }
        /* Should the report itself hang (a lock held by the dead code),
         * SIGALRM still ends the process, so a supervisor restarts it. */
        alarm(10);
        sig_name = crash_signal_name(sig, &sig_what);
        code = crash_plugin_at(crash_fault_pc(uctx));
        culprit = self->task_set ? self->plugin : "";
        if (code)
                culprit = code;

        line.len = 0;
        buf_timestamp(&line, g_sig.gmtoff);
        buf_str(&line, "ERROR ");
        if (self->task_set) {
                buf_str(&line, "[");
                buf_str(&line, self->connector);
                if (self->task_id >= 0) {
                        buf_str(&line, "|task-");
                        buf_int(&line, self->task_id);
                }
                buf_str(&line, "] ");
        }
        buf_str(&line, "Worker crashed: ");
        buf_str(&line, sig_name);
        buf_str(&line, " (");
        buf_str(&line, sig_what);
        if (info && info->si_code > 0 && sig != SIGABRT) { /* a fault */
                buf_str(&line, " at address 0x");
                buf_uint(&line, (uintptr_t)info->si_addr, 16, 1);
        }
        buf_str(&line, ")");
        if (self->loading_set) {
                buf_str(&line, " while loading plugin ");
                buf_str(&line, self->loading);
        }
        if (self->task_set) {
                buf_str(&line, " in connector ");
                buf_str(&line, self->connector);
                if (self->task_id >= 0) {
                        buf_str(&line, " task ");
                        buf_int(&line, self->task_id);
                } else {
                        buf_str(&line, " (the connector instance)");
                }
                buf_str(&line, ", plugin ");
                buf_str(&line, self->plugin);
        } else if (!self->loading_set) {
                prctl(PR_GET_NAME, thread, 0, 0, 0);
                buf_str(&line, " in thread ");
                buf_str(&line, thread[0] ? thread : "(unnamed)");
                buf_str(&line, " (no task)");
        }
        if (code && (!self->task_set || strcmp(code, self->plugin))) {
                buf_str(&line, ", faulting code in plugin ");
                buf_str(&line, code);
        }
        buf_str(&line, "; backtrace follows (" RDC_CRASH_LOGGER ")");
        line.data[line.len++] = '\n';
        /* The line and the record first: unwinding a smashed stack may
         * fault again, which kills the process at once. */
        crash_write_all(STDERR_FILENO, line.data, line.len);
        crash_write_record(self, sig, culprit);
        int cnt = backtrace(frames, RDC_CRASH_FRAMES);
        backtrace_symbols_fd(frames, cnt, STDERR_FILENO);

        crash_die(sig);
}

static void rec_forget(const char *connector, int32_t task_id, int64_t ran_ms);

/* Gives the calling thread an alternate signal stack of its own. */
static void crash_altstack_push(rdc_crash_identity_t *self) {
        long page = sysconf(_SC_PAGESIZE);
        size_t size = RDC_CRASH_ALTSTACK + (size_t)page;
        stack_t ss;

        if (self->altstack)
                return;
        void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (mem == MAP_FAILED)
                return;
        /* A guard page below: overflowing the handler's stack faults
         * instead of writing over whatever is mapped there. */
        mprotect(mem, (size_t)page, PROT_NONE);
        ss.ss_sp = (char *)mem + page;
        ss.ss_size = RDC_CRASH_ALTSTACK;
        ss.ss_flags = 0;
        if (sigaltstack(&ss, &self->old_altstack) == -1) {
                munmap(mem, size);
                return;
        }
        self->altstack = mem;
}

static void crash_altstack_pop(rdc_crash_identity_t *self) {
        long page = sysconf(_SC_PAGESIZE);
        stack_t disable = {.ss_flags = SS_DISABLE};

        if (!self->altstack)
                return;
        sigaltstack(self->old_altstack.ss_flags & SS_DISABLE
                            ? &disable
                            : &self->old_altstack,
                    NULL);
        munmap(self->altstack, RDC_CRASH_ALTSTACK + (size_t)page);
        self->altstack = NULL;
}

int rdc_crash_install(void) {
        struct sigaction sa;
        void *frames[2];
        struct tm tm;
        time_t now = time(NULL);

        /* The first backtrace() loads libgcc_s (malloc, dlopen): done
         * here, never for the first time inside the handler. */
        backtrace(frames, 2);
        if (localtime_r(&now, &tm))
                g_sig.gmtoff = tm.tm_gmtoff;
        crash_altstack_push(&rdc_crash_self);
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = crash_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof(rdc_crash_signals) / sizeof(int); i++)
                if (sigaction(rdc_crash_signals[i], &sa, NULL) == -1)
                        return -1;
        return 0;
}

/* Copies text into a fixed field. @returns 0 if it was cut. */
static int crash_copy(char *dst, size_t size, const char *text) {
        size_t len = text ? strlen(text) : 0;

        if (len >= size)
                len = size - 1;
        memcpy(dst, text ? text : "", len);
        dst[len] = '\0';
        return !text || strlen(text) < size;
}

void rdc_crash_task_enter(const char *connector, int32_t task_id,
                          const char *plugin_path) {
        rdc_crash_identity_t *self = &rdc_crash_self;

        self->task_set = 0;
        atomic_signal_fence(memory_order_seq_cst);
        self->task_id = task_id;
        self->started_ms = crash_clock_ms(CLOCK_MONOTONIC);
        int fits =
                crash_copy(self->connector, sizeof(self->connector), connector);
        fits &= crash_copy(self->plugin, sizeof(self->plugin), plugin_path);
        self->recordable = fits;
        atomic_signal_fence(memory_order_seq_cst);
        self->task_set = 1;
        crash_altstack_push(self);
}

void rdc_crash_task_leave(void) {
        rdc_crash_identity_t *self = &rdc_crash_self;

        /* A task that ran cleanly for a while and then stopped starts
         * counting again, like one that crashes after such a run. */
        if (self->task_set && self->recordable)
                rec_forget(self->connector, self->task_id,
                           crash_clock_ms(CLOCK_MONOTONIC) - self->started_ms);
        self->task_set = 0;
        atomic_signal_fence(memory_order_seq_cst);
        crash_altstack_pop(self);
}

void rdc_crash_loading(const char *path) {
        rdc_crash_identity_t *self = &rdc_crash_self;

        self->loading_set = 0;
        atomic_signal_fence(memory_order_seq_cst);
        if (!path)
                return;
        crash_copy(self->loading, sizeof(self->loading), path);
        atomic_signal_fence(memory_order_seq_cst);
        self->loading_set = 1;
}

/* dl_iterate_phdr callback: the extent of the object loaded at l_addr. */
typedef struct crash_range {
        uintptr_t base;
        uintptr_t start, end;
} crash_range_t;

static int crash_range_of(struct dl_phdr_info *info, size_t size, void *arg) {
        crash_range_t *range = arg;

        (void)size;
        if (info->dlpi_addr != range->base)
                return 0;
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                uintptr_t start = info->dlpi_addr + ph->p_vaddr;

                if (ph->p_type != PT_LOAD)
                        continue;
                if (!range->start || start < range->start)
                        range->start = start;
                if (start + ph->p_memsz > range->end)
                        range->end = start + ph->p_memsz;
        }
        return 1;
}

void rdc_crash_plugin_add(const char *path, void *dl_handle) {
        struct link_map *map = NULL;
        crash_range_t range = {0};
        size_t i, cnt;

        if (!path || dlinfo(dl_handle, RTLD_DI_LINKMAP, &map) || !map)
                return;
        range.base = map->l_addr;
        dl_iterate_phdr(crash_range_of, &range);
        if (!range.end)
                return;
        pthread_mutex_lock(&g_sig.plugins_lock);
        cnt = atomic_load(&g_sig.plugin_cnt);
        for (i = 0; i < cnt && atomic_load(&g_sig.plugins[i].path); i++)
                ;
        if (i < RDC_CRASH_PLUGINS_MAX) {
                g_sig.plugins[i].start = range.start;
                g_sig.plugins[i].end = range.end;
                atomic_store(&g_sig.plugins[i].path, path);
                if (i == cnt)
                        atomic_store(&g_sig.plugin_cnt, cnt + 1);
        }
        pthread_mutex_unlock(&g_sig.plugins_lock);
}

void rdc_crash_plugin_remove(const char *path) {
        size_t cnt;

        pthread_mutex_lock(&g_sig.plugins_lock);
        cnt = atomic_load(&g_sig.plugin_cnt);
        for (size_t i = 0; i < cnt; i++)
                if (atomic_load(&g_sig.plugins[i].path) == path)
                        atomic_store(&g_sig.plugins[i].path, NULL);
        pthread_mutex_unlock(&g_sig.plugins_lock);
}

/* ======================================================= record side */

typedef struct rdc_crash_entry {
        char *connector;
        int32_t task_id;
        int count;
        int signo;        /* of the last crash */
        char *plugin;     /* of the last crash */
        size_t kept_from; /* file offset of the first record counted */
} rdc_crash_entry_t;

static struct {
        pthread_mutex_t lock; /* guards everything below */
        rdc_crash_entry_t *entries;
        size_t cnt;
        int64_t limit;    /* crash.task.limit; 0: never refuse */
        int64_t clean_ms; /* a run this long resets the count */
        char *path;
} g_rec = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* One parsed record; strings point into the file's text. */
typedef struct rdc_crash_parsed {
        int is_crash;
        int64_t ran_ms, signo, task_id;
        const char *connector, *plugin;
        size_t connector_len, plugin_len;
} rdc_crash_parsed_t;

static rdc_crash_entry_t *rec_find_locked(const char *connector, size_t len,
                                          int32_t task_id) {
        for (size_t i = 0; i < g_rec.cnt; i++)
                if (g_rec.entries[i].task_id == task_id &&
                    strlen(g_rec.entries[i].connector) == len &&
                    !memcmp(g_rec.entries[i].connector, connector, len))
                        return &g_rec.entries[i];
        return NULL;
}

static rdc_crash_entry_t *rec_get_locked(const char *connector, size_t len,
                                         int32_t task_id) {
        rdc_crash_entry_t *entry = rec_find_locked(connector, len, task_id);
        char *name;

        if (entry)
                return entry;
        name = strndup(connector, len);
        entry = name ? realloc(g_rec.entries,
                               (g_rec.cnt + 1) * sizeof(*g_rec.entries))
                     : NULL;
        if (!entry) {
                free(name);
                return NULL;
        }
        g_rec.entries = entry;
        entry = &g_rec.entries[g_rec.cnt++];
        memset(entry, 0, sizeof(*entry));
        entry->connector = name;
        entry->task_id = task_id;
        return entry;
}

static void rec_remove_locked(rdc_crash_entry_t *entry) {
        size_t idx = (size_t)(entry - g_rec.entries);

        free(entry->connector);
        free(entry->plugin);
        memmove(entry, entry + 1, (g_rec.cnt - idx - 1) * sizeof(*entry));
        g_rec.cnt--;
}

/* Reads "<number> " at *p. @returns 0, or -1 if malformed. */
static int rec_number(const char **p, const char *end, int64_t *out) {
        const char *space = memchr(*p, ' ', (size_t)(end - *p));
        char *stop;

        if (!space)
                return -1;
        errno = 0;
        *out = strtoll(*p, &stop, 10);
        if (errno || stop == *p || stop != space)
                return -1;
        *p = stop + 1;
        return 0;
}

/* Reads "<len> <bytes>" at *p, then the separator sep. */
static int rec_string(const char **p, const char *end, const char **str,
                      size_t *len, char sep) {
        int64_t n;

        if (rec_number(p, end, &n) || n < 0 || n >= end - *p || (*p)[n] != sep)
                return -1;
        *str = *p;
        *len = (size_t)n;
        *p += n + 1;
        return 0;
}

/* Parses the record at *p and moves past it. @returns 0 or -1. */
static int rec_parse(const char **p, const char *end, rdc_crash_parsed_t *r) {
        size_t magic = strlen(RDC_CRASH_MAGIC);
        int64_t unix_ms;

        memset(r, 0, sizeof(*r));
        if ((size_t)(end - *p) <= magic)
                return -1;
        if (!memcmp(*p, RDC_CRASH_MAGIC, magic)) {
                r->is_crash = 1;
                *p += magic;
                return rec_number(p, end, &unix_ms) ||
                                       rec_number(p, end, &r->ran_ms) ||
                                       rec_number(p, end, &r->signo) ||
                                       rec_number(p, end, &r->task_id) ||
                                       rec_string(p, end, &r->connector,
                                                  &r->connector_len, ' ') ||
                                       rec_string(p, end, &r->plugin,
                                                  &r->plugin_len, '\n')
                               ? -1
                               : 0;
        }
        if (!memcmp(*p, RDC_CLEAR_MAGIC, magic)) {
                *p += magic;
                return rec_number(p, end, &unix_ms) ||
                                       rec_number(p, end, &r->task_id) ||
                                       rec_string(p, end, &r->connector,
                                                  &r->connector_len, '\n')
                               ? -1
                               : 0;
        }
        return -1;
}

/* Counts one record at file offset off. */
static void rec_apply_locked(const rdc_crash_parsed_t *r, size_t off) {
        rdc_crash_entry_t *entry;

        if (!r->is_crash) {
                entry = rec_find_locked(r->connector, r->connector_len,
                                        (int32_t)r->task_id);
                if (entry)
                        rec_remove_locked(entry);
                return;
        }
        entry = rec_get_locked(r->connector, r->connector_len,
                               (int32_t)r->task_id);
        if (!entry)
                return;
        /* A task that ran cleanly for a while starts counting again. */
        if (!entry->count || r->ran_ms >= g_rec.clean_ms) {
                entry->count = 0;
                entry->kept_from = off;
        }
        entry->count++;
        entry->signo = (int)r->signo;
        free(entry->plugin);
        entry->plugin = strndup(r->plugin, r->plugin_len);
}

/* @returns the bytes of path (NUL-terminated, *len without the NUL), or
 * NULL with errno (ENOENT: no file yet). */
static char *rec_read_file(const char *path, size_t *len) {
        struct stat st;
        char *text = NULL;
        size_t done = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) == -1 || st.st_size > RDC_CRASH_FILE_MAX) {
                errno = EFBIG;
                goto done;
        }
        text = malloc((size_t)st.st_size + 1);
        while (text && done < (size_t)st.st_size) {
                ssize_t n = read(fd, text + done, (size_t)st.st_size - done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                done += (size_t)n;
        }
        if (text)
                text[done] = '\0';
        *len = done;
done:
        close(fd);
        return text;
}

/* Counts every record of text. @returns the number of malformed ones
 * (skipped up to the next newline: a record cut by a dying process). */
static size_t rec_load_locked(const char *text, size_t len) {
        const char *p = text, *end = text + len;
        rdc_crash_parsed_t r;
        size_t malformed = 0;

        while (p < end) {
                const char *start = p;

                if (rec_parse(&p, end, &r) == 0) {
                        rec_apply_locked(&r, (size_t)(start - text));
                        continue;
                }
                malformed++;
                p = memchr(start, '\n', (size_t)(end - start));
                p = p ? p + 1 : end;
        }
        return malformed;
}

/* Rewrites the file with only the crash records that still count, so
 * that it does not grow with every crash and restart for ever. */
static void rec_compact_locked(const char *path, const char *text, size_t len) {
        const char *p = text, *end = text + len;
        char *kept = malloc(len + 1), errstr[512];
        size_t kept_len = 0;
        rdc_crash_parsed_t r;

        if (!kept)
                return;
        while (p < end) {
                const char *start = p;
                const rdc_crash_entry_t *entry;

                if (rec_parse(&p, end, &r)) {
                        p = memchr(start, '\n', (size_t)(end - start));
                        p = p ? p + 1 : end;
                        continue;
                }
                entry = rec_find_locked(r.connector, r.connector_len,
                                        (int32_t)r.task_id);
                if (!r.is_crash || !entry ||
                    (size_t)(start - text) < entry->kept_from)
                        continue;
                memcpy(kept + kept_len, start, (size_t)(p - start));
                kept_len += (size_t)(p - start);
        }
        kept[kept_len] = '\0';
        if (kept_len != len &&
            rdc_file_write_atomic(path, kept, errstr, sizeof(errstr)))
                rdc_log(RDC_LOG_WARN, RDC_CRASH_LOGGER, NULL,
                        "Cannot compact the crash record file: %s", errstr);
        free(kept);
}

static void rec_clear_locked(void) {
        while (g_rec.cnt)
                rec_remove_locked(&g_rec.entries[g_rec.cnt - 1]);
        free(g_rec.entries);
        g_rec.entries = NULL;
        free(g_rec.path);
        g_rec.path = NULL;
}

int rdc_crash_records_open(const rdc_map_t *worker_config, char *errstr,
                           size_t errstr_size) {
        const char *path = rdc_map_get(worker_config, "crash.record.file");
        const char *offsets =
                rdc_map_get(worker_config, "offset.storage.file.filename");
        char *text;
        size_t len = 0, malformed;
        int fd, ret = -1;

        rdc_crash_records_close();
        pthread_mutex_lock(&g_rec.lock);
        g_rec.limit = 3;
        g_rec.clean_ms = 60000;
        rdc_config_parse_int64(rdc_map_get(worker_config, "crash.task.limit"),
                               &g_rec.limit);
        rdc_config_parse_int64(
                rdc_map_get(worker_config, "task.restart.backoff.max.ms"),
                &g_rec.clean_ms);
        if (path && *path)
                g_rec.path = strdup(path);
        else if (offsets && *offsets &&
                 asprintf(&g_rec.path, "%s.crashes", offsets) < 0)
                g_rec.path = NULL;
        if (!g_rec.path) {
                ret = 0; /* nowhere to keep records: crashes are only logged */
                goto done;
        }
        text = rec_read_file(g_rec.path, &len);
        if (!text && errno != ENOENT) {
                snprintf(errstr, errstr_size,
                         "Cannot read crash record file %s (crash.record.file):"
                         " %s",
                         g_rec.path, strerror(errno));
                goto done;
        }
        if (text) {
                malformed = rec_load_locked(text, len);
                if (malformed)
                        rdc_log(RDC_LOG_WARN, RDC_CRASH_LOGGER, NULL,
                                "Skipped %zu malformed record(s) in crash "
                                "record file %s",
                                malformed, g_rec.path);
                rec_compact_locked(g_rec.path, text, len);
                free(text);
        }
        fd = open(g_rec.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                snprintf(errstr, errstr_size,
                         "Cannot open crash record file %s (crash.record.file):"
                         " %s",
                         g_rec.path, strerror(errno));
                goto done;
        }
        atomic_store(&g_sig.record_fd, fd);
        for (size_t i = 0; i < g_rec.cnt; i++) {
                const rdc_crash_entry_t *e = &g_rec.entries[i];
                const char *what;

                rdc_log(RDC_LOG_WARN, RDC_CRASH_LOGGER, e->connector,
                        "Task %d of connector %s crashed the worker %d "
                        "time(s) in a row (last: %s in plugin %s); "
                        "crash.task.limit is %" PRId64,
                        (int)e->task_id, e->connector, e->count,
                        crash_signal_name(e->signo, &what), e->plugin,
                        g_rec.limit);
        }
        ret = 0;
done:
        pthread_mutex_unlock(&g_rec.lock);
        return ret;
}

void rdc_crash_records_close(void) {
        int fd = atomic_exchange(&g_sig.record_fd, -1);

        if (fd >= 0)
                close(fd);
        pthread_mutex_lock(&g_rec.lock);
        rec_clear_locked();
        pthread_mutex_unlock(&g_rec.lock);
}

int rdc_crash_task_refused(const char *connector, int32_t task_id, char *trace,
                           size_t trace_size) {
        const rdc_crash_entry_t *entry;
        const char *what;
        int refused = 0;

        pthread_mutex_lock(&g_rec.lock);
        entry = rec_find_locked(connector, strlen(connector), task_id);
        if (entry && g_rec.limit > 0 && entry->count >= g_rec.limit) {
                snprintf(trace, trace_size,
                         "crashed the worker %d times (signal %s in plugin "
                         "%s); restart it over REST to try again",
                         entry->count, crash_signal_name(entry->signo, &what),
                         entry->plugin);
                if (task_id >= 0)
                        rdc_log(RDC_LOG_ERROR, RDC_CRASH_LOGGER, connector,
                                "Task %d not started: %s", (int)task_id, trace);
                else
                        rdc_log(RDC_LOG_ERROR, RDC_CRASH_LOGGER, connector,
                                "Connector not started: %s", trace);
                refused = 1;
        }
        pthread_mutex_unlock(&g_rec.lock);
        return refused;
}

/* Clears a task's crashes, for good: the clearing record makes a worker
 * restart see it too. ran_ms >= 0: only if the task ran that long, at
 * least task.restart.backoff.max.ms (a clean run); -1: unconditionally. */
static void rec_forget(const char *connector, int32_t task_id, int64_t ran_ms) {
        rdc_crash_entry_t *entry;
        int fd;

        pthread_mutex_lock(&g_rec.lock);
        entry = rec_find_locked(connector, strlen(connector), task_id);
        fd = atomic_load(&g_sig.record_fd);
        if (entry && (ran_ms < 0 || ran_ms >= g_rec.clean_ms)) {
                if (ran_ms < 0)
                        rdc_log(RDC_LOG_INFO, RDC_CRASH_LOGGER, connector,
                                "Task %d restarted over REST: its %d crash "
                                "record(s) are cleared",
                                (int)task_id, entry->count);
                else
                        rdc_log(RDC_LOG_INFO, RDC_CRASH_LOGGER, connector,
                                "Task %d ran %" PRId64 " ms without crashing:"
                                " its %d crash record(s) are cleared",
                                (int)task_id, ran_ms, entry->count);
                rec_remove_locked(entry);
                if (fd >= 0) {
                        char *rec = NULL;
                        int len = asprintf(
                                &rec, RDC_CLEAR_MAGIC "%" PRId64 " %d %zu %s\n",
                                crash_clock_ms(CLOCK_REALTIME), (int)task_id,
                                strlen(connector), connector);
                        if (len > 0)
                                crash_write_all(fd, rec, (size_t)len);
                        free(rec);
                }
        }
        pthread_mutex_unlock(&g_rec.lock);
}

void rdc_crash_task_forget(const char *connector, int32_t task_id) {
        rec_forget(connector, task_id, -1);
}

void rdc_crash_process_setup(const char *logger, sigset_t *sigs) {
        if (rdc_crash_install())
                rdc_log(RDC_LOG_WARN, logger, NULL,
                        "Cannot install the crash handler: %s",
                        strerror(errno));
        sigemptyset(sigs);
        sigaddset(sigs, SIGINT);
        sigaddset(sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, sigs, NULL);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN);
}

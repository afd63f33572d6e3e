/*
 * A compacted topic read by every worker (see topic_log.h).
 *
 * One thread reads and also serves the producer's delivery reports: both
 * clients' queues wake it through one eventfd (librdkafka's IO event), so
 * it sleeps until there is work. Delivery reports, consume callbacks and
 * dones all run on it; the lock guards what writers on other threads
 * touch (the list of open writes) and what open() waits on (positions).
 *
 * A fenced log (rdc_topic_log_set_writer) writes through a transactional
 * producer instead, on a writer thread of its own: init, begin and
 * commit block, and the callers (the herder) must not.
 */
#define _GNU_SOURCE
#include "storage/topic_log.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

#define TL_LOGGER "topic-log"
#define TL_BATCH  1024 /* records handed to consume() per call */
/* A transactional write (init, commit) waits this long at most. */
#define TL_TXN_TIMEOUT_MS 30000
/* A claim that failed (or was fenced) is tried again this much later. */
#define TL_CLAIM_BACKOFF_MS 1000

static int64_t mono_ms(void);

/* A write the writer thread has not produced yet (fenced logs). */
typedef struct tl_pending {
        struct tl_pending *next;
        struct tl_write *w;
        char **keys, **values; /* copies; a NULL value is a tombstone */
        size_t cnt;
        int64_t queued_ms;
} tl_pending_t;

/* One write: its records' acknowledgements, then their read-back. */
typedef struct tl_write {
        struct tl_write *next;
        int outstanding; /* records not acknowledged yet */
        int64_t *need;   /* per partition: highest acknowledged offset */
        int err;
        char errstr[256];
        rdc_store_done_cb_t *done;
        void *opaque;
} tl_write_t;

struct rdc_topic_log {
        char *topic;
        char *what;
        rdc_topic_log_consume_cb_t *consume;
        void *opaque;
        rd_kafka_t *producer;
        rd_kafka_t *consumer;
        rd_kafka_topic_t *consumer_topic;
        rd_kafka_queue_t *consumer_queue;
        rd_kafka_queue_t *producer_queue;
        int32_t partitions;
        int started; /* partitions whose consumption started */
        int efd;
        pthread_t reader;
        int reader_started;
        volatile int stop;
        pthread_mutex_t lock;
        pthread_cond_t cond; /* positions moved */
        int64_t *position;   /* per partition: next offset to read */
        int64_t *eof;        /* reader's scratch: partition ends seen */
        tl_write_t *writes;

        /* Fenced writes (rdc_topic_log_set_writer). Guarded by lock: */
        int fenced;          /* set_writer was called: writes need a claim */
        char *writer_id;     /* the transactional.id wanted, or NULL */
        uint64_t writer_gen; /* bumped by a change of writer_id */
        int64_t writer_term; /* the caller's leadership term */
        int64_t lost_term;   /* the term the producer was fenced in */
        tl_pending_t *pending, **pending_tail;
        pthread_cond_t writer_cond;
        pthread_t writer;
        int writer_started;
        /* The writer thread's own: */
        rd_kafka_conf_t *txn_conf; /* the producer's, kept for claims */
        rd_kafka_t *txn;           /* claimed, NULL while not */
        int64_t claim_term;        /* the writer_term txn was claimed in */
        int txn_lost;              /* fenced: no writes in this term */
        int txn_unsupported;       /* Kafka refused transactions */
};

static void wake(rdc_topic_log_t *log) {
        uint64_t one = 1;
        if (write(log->efd, &one, sizeof(one)) < 0)
                rdc_log(RDC_LOG_WARN, TL_LOGGER, NULL,
                        "Cannot wake the reader of %s: %s", log->what,
                        strerror(errno));
}

/* Lock held: moves the complete writes (failed, or acknowledged and read
 * back) to *done_list. */
static void writes_settle(rdc_topic_log_t *log, tl_write_t **done_list) {
        for (tl_write_t **pp = &log->writes; *pp;) {
                tl_write_t *w = *pp;
                int complete = w->outstanding == 0;
                for (int32_t p = 0; complete && !w->err && p < log->partitions;
                     p++)
                        complete = w->need[p] < log->position[p];
                if (complete) {
                        *pp = w->next;
                        w->next = *done_list;
                        *done_list = w;
                } else {
                        pp = &w->next;
                }
        }
}

static void writes_finish(tl_write_t *list) {
        while (list) {
                tl_write_t *w = list;
                list = w->next;
                if (w->done)
                        w->done(w->opaque, w->err, w->errstr);
                free(w->need);
                free(w);
        }
}

static void write_fail(rdc_topic_log_t *log, tl_write_t *w,
                       rd_kafka_resp_err_t err) {
        if (!w->err)
                snprintf(w->errstr, sizeof(w->errstr),
                         "Failed to write to %s: %s", log->what,
                         rd_kafka_err2str(err));
        w->err = 1;
}

/* Delivery report, on the reader thread (rd_kafka_poll). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                        void *opaque) {
        rdc_topic_log_t *log = opaque;
        tl_write_t *w = msg->_private;
        (void)rk;
        pthread_mutex_lock(&log->lock);
        if (msg->err)
                write_fail(log, w, msg->err);
        else if (msg->partition >= 0 && msg->partition < log->partitions &&
                 msg->offset > w->need[msg->partition])
                w->need[msg->partition] = msg->offset;
        w->outstanding--;
        pthread_mutex_unlock(&log->lock);
}

/* One round: delivery reports, then what was read, then the dones.
 * @returns records consumed. */
static size_t reader_round(rdc_topic_log_t *log) {
        rd_kafka_message_t *msgs[TL_BATCH];
        size_t cnt = 0;
        rd_kafka_message_t *msg;
        tl_write_t *done_list = NULL;

        rd_kafka_poll(log->producer, 0);
        int eofs = 0;
        while (cnt < TL_BATCH &&
               (msg = rd_kafka_consume_queue(log->consumer_queue, 0))) {
                if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        /* The end is past transaction markers, which
                         * are never handed out as records. */
                        if (msg->partition >= 0 &&
                            msg->partition < log->partitions &&
                            msg->offset > log->eof[msg->partition]) {
                                log->eof[msg->partition] = msg->offset;
                                eofs = 1;
                        }
                } else if (msg->err) {
                        rdc_log(RDC_LOG_WARN, TL_LOGGER, NULL, "Reading %s: %s",
                                log->what, rd_kafka_message_errstr(msg));
                } else {
                        msgs[cnt++] = msg;
                        continue;
                }
                rd_kafka_message_destroy(msg);
        }
        if (cnt)
                log->consume(log->opaque, msgs, cnt);
        pthread_mutex_lock(&log->lock);
        for (size_t i = 0; i < cnt; i++) {
                int32_t p = msgs[i]->partition;
                if (p >= 0 && p < log->partitions &&
                    msgs[i]->offset + 1 > log->position[p])
                        log->position[p] = msgs[i]->offset + 1;
                rd_kafka_message_destroy(msgs[i]);
        }
        for (int32_t p = 0; eofs && p < log->partitions; p++)
                if (log->eof[p] > log->position[p])
                        log->position[p] = log->eof[p];
        writes_settle(log, &done_list);
        pthread_cond_broadcast(&log->cond);
        pthread_mutex_unlock(&log->lock);
        writes_finish(done_list);
        return cnt;
}

static void *reader_main(void *arg) {
        rdc_topic_log_t *log = arg;
        struct pollfd pfd = {.fd = log->efd, .events = POLLIN};
        while (!log->stop) {
                uint64_t ticks;
                if (poll(&pfd, 1, 1000) > 0 &&
                    read(log->efd, &ticks, sizeof(ticks)) < 0 &&
                    errno != EAGAIN)
                        break;
                /* A full batch may leave records queued: no new wake-up
                 * comes for them, so go on until a round is short. */
                while (!log->stop && reader_round(log) == TL_BATCH)
                        ;
        }
        return NULL;
}

/* A write of cnt records, open until its records are acknowledged and
 * read back (or it fails). @returns NULL with errstr. */
static tl_write_t *write_open(rdc_topic_log_t *log, size_t cnt,
                              rdc_store_done_cb_t *done, void *opaque,
                              char *errstr, size_t errstr_size) {
        tl_write_t *w = calloc(1, sizeof(*w));
        if (!w || !(w->need = malloc(log->partitions * sizeof(*w->need)))) {
                free(w);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        for (int32_t p = 0; p < log->partitions; p++)
                w->need[p] = -1;
        w->done = done;
        w->opaque = opaque;
        w->outstanding = (int)cnt;
        pthread_mutex_lock(&log->lock);
        w->next = log->writes;
        log->writes = w;
        pthread_mutex_unlock(&log->lock);
        return w;
}

/* Lock held: w's records not produced yet will never be acknowledged;
 * w fails with errstr (if it has not yet). */
static void write_give_up(rdc_topic_log_t *log, tl_write_t *w, int records,
                          const char *errstr) {
        w->outstanding -= records;
        if (!w->err)
                snprintf(w->errstr, sizeof(w->errstr), "%s", errstr);
        w->err = 1;
        (void)log;
}

/* Produces w's records with rk. @returns 0, or -1 if one could not be
 * queued (w failed; those after it are not produced). */
static int write_produce(rdc_topic_log_t *log, rd_kafka_t *rk, tl_write_t *w,
                         char *const *keys, char *const *values, size_t cnt) {
        for (size_t i = 0; i < cnt; i++) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        rk, RD_KAFKA_V_TOPIC(log->topic),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_KEY(keys[i], strlen(keys[i])),
                        RD_KAFKA_V_VALUE(values[i],
                                         values[i] ? strlen(values[i]) : 0),
                        RD_KAFKA_V_OPAQUE(w), RD_KAFKA_V_END);
                if (!err)
                        continue;
                /* The records not queued will never be acknowledged. */
                pthread_mutex_lock(&log->lock);
                w->outstanding -= (int)(cnt - i);
                write_fail(log, w, err);
                pthread_mutex_unlock(&log->lock);
                return -1;
        }
        return 0;
}

static void pending_free(tl_pending_t *q) {
        for (size_t i = 0; i < q->cnt; i++) {
                free(q->keys[i]);
                free(q->values[i]);
        }
        free(q->keys);
        free(q->values);
        free(q);
}

/* A copy of the records for the writer thread. */
static tl_pending_t *pending_new(tl_write_t *w, char *const *keys,
                                 char *const *values, size_t cnt) {
        tl_pending_t *q = calloc(1, sizeof(*q));
        if (!q)
                return NULL;
        q->w = w;
        q->queued_ms = mono_ms();
        q->keys = calloc(cnt ? cnt : 1, sizeof(*q->keys));
        q->values = calloc(cnt ? cnt : 1, sizeof(*q->values));
        int ok = q->keys && q->values;
        for (size_t i = 0; ok && i < cnt; i++) {
                q->cnt = i + 1;
                ok = (q->keys[i] = strdup(keys[i])) &&
                     (!values[i] || (q->values[i] = strdup(values[i])));
        }
        if (!ok) {
                pending_free(q);
                return NULL;
        }
        q->cnt = cnt;
        return q;
}

int rdc_topic_log_send(rdc_topic_log_t *log, char *const *keys,
                       char *const *values, size_t cnt,
                       rdc_store_done_cb_t *done, void *opaque, char *errstr,
                       size_t errstr_size) {
        tl_write_t *w = write_open(log, cnt, done, opaque, errstr, errstr_size);
        if (!w)
                return -1;
        pthread_mutex_lock(&log->lock);
        int fenced = log->fenced;
        pthread_mutex_unlock(&log->lock);
        if (!fenced) {
                write_produce(log, log->producer, w, keys, values, cnt);
        } else {
                /* The writer thread produces it in a transaction. */
                tl_pending_t *q = pending_new(w, keys, values, cnt);
                pthread_mutex_lock(&log->lock);
                if (q) {
                        *log->pending_tail = q;
                        log->pending_tail = &q->next;
                        pthread_cond_signal(&log->writer_cond);
                } else {
                        write_give_up(log, w, (int)cnt, "out of memory");
                }
                pthread_mutex_unlock(&log->lock);
        }
        /* The reader settles it (and calls done) in its next round. */
        wake(log);
        return 0;
}

/* ------------------------------------------------------ fenced writes */

/* Drops the transactional producer; every report of its records is
 * served first (they name writes still open). */
static void txn_drop(rdc_topic_log_t *log) {
        if (!log->txn)
                return;
        rd_kafka_purge(log->txn,
                       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        for (int i = 0; i < 100 && rd_kafka_outq_len(log->txn) > 0; i++)
                rd_kafka_poll(log->txn, 10);
        rd_kafka_poll(log->txn, 0);
        rd_kafka_destroy(log->txn);
        log->txn = NULL;
}

/* Creates the transactional producer of id and fences every earlier
 * one of that id (InitProducerId). @returns 0; -1 to try again later. */
static int txn_claim(rdc_topic_log_t *log, const char *id) {
        char why[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_dup(log->txn_conf);
        if (!conf || rd_kafka_conf_set(conf, "transactional.id", id, why,
                                       sizeof(why)) != RD_KAFKA_CONF_OK) {
                if (conf)
                        rd_kafka_conf_destroy(conf);
                return -1;
        }
        rd_kafka_t *rk =
                rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
        if (!rk) {
                rd_kafka_conf_destroy(conf);
                rdc_log(RDC_LOG_ERROR, TL_LOGGER, NULL,
                        "Cannot create the transactional producer of %s: %s",
                        log->what, why);
                return -1;
        }
        rd_kafka_error_t *error =
                rd_kafka_init_transactions(rk, TL_TXN_TIMEOUT_MS);
        if (!error) {
                log->txn = rk;
                log->txn_lost = 0;
                rdc_log(RDC_LOG_INFO, TL_LOGGER, NULL,
                        "Writing %s as transactional.id %s: any earlier "
                        "writer of that id is fenced",
                        log->what, id);
                return 0;
        }
        rd_kafka_resp_err_t err = rd_kafka_error_code(error);
        if (err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
            err == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED ||
            err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED) {
                /* As a Kafka Connect worker without exactly-once source
                 * support: unfenced writes. */
                log->txn_unsupported = 1;
                rdc_log(RDC_LOG_WARN, TL_LOGGER, NULL,
                        "Cannot write %s in transactions (%s): writing "
                        "without fencing, so a deposed leader's late write "
                        "may still land",
                        log->what, rd_kafka_error_string(error));
        } else {
                rdc_log(RDC_LOG_WARN, TL_LOGGER, NULL,
                        "Cannot claim %s as transactional.id %s: %s "
                        "(trying again)",
                        log->what, id, rd_kafka_error_string(error));
        }
        rd_kafka_error_destroy(error);
        rd_kafka_destroy(rk);
        return -1;
}

/* One write in one transaction. */
static void txn_write(rdc_topic_log_t *log, tl_pending_t *q) {
        rd_kafka_error_t *error = rd_kafka_begin_transaction(log->txn);
        if (!error &&
            !write_produce(log, log->txn, q->w, q->keys, q->values, q->cnt))
                error = rd_kafka_commit_transaction(log->txn,
                                                    TL_TXN_TIMEOUT_MS);
        else if (!error)
                error = rd_kafka_abort_transaction(log->txn, TL_TXN_TIMEOUT_MS);
        if (error) {
                int fatal = rd_kafka_error_is_fatal(error);
                char why[256];
                snprintf(why, sizeof(why), "Failed to write to %s: %s%s",
                         log->what, rd_kafka_error_string(error),
                         fatal ? " (another worker claimed it: this one "
                                 "no longer leads the group)"
                               : "");
                if (!fatal && rd_kafka_error_txn_requires_abort(error)) {
                        rd_kafka_error_t *e2 = rd_kafka_abort_transaction(
                                log->txn, TL_TXN_TIMEOUT_MS);
                        if (e2) {
                                fatal = 1;
                                rd_kafka_error_destroy(e2);
                        }
                }
                rdc_log(RDC_LOG_WARN, TL_LOGGER, NULL, "%s", why);
                rd_kafka_error_destroy(error);
                if (fatal)
                        txn_drop(log);
                pthread_mutex_lock(&log->lock);
                if (fatal) {
                        /* Claimed in this term (else it would have been
                         * claimed again): another leader's claim. */
                        log->txn_lost = 1;
                        log->lost_term = log->claim_term;
                }
                /* Reports not served yet cannot come any more. */
                if (!log->txn)
                        q->w->outstanding = 0;
                if (!q->w->err)
                        snprintf(q->w->errstr, sizeof(q->w->errstr), "%s", why);
                q->w->err = 1;
                pthread_mutex_unlock(&log->lock);
        }
        if (log->txn)
                rd_kafka_poll(log->txn, 0);
        wake(log);
}

/* Fails a queued write that cannot be written by this worker. */
typedef enum { TL_NOT_WRITER, TL_FENCED, TL_UNCLAIMED } tl_refusal_t;

static void pending_refuse(rdc_topic_log_t *log, tl_pending_t *q,
                           tl_refusal_t why) {
        static const char *const text[] = {
                [TL_NOT_WRITER] = "Only the leader of the group writes to "
                                  "this topic, and this worker is not it",
                [TL_FENCED] = "This worker's writes were fenced: another "
                              "worker claimed the topic as the group's "
                              "leader",
                [TL_UNCLAIMED] = "This worker leads the group but could not "
                                 "claim the topic's transactional id in "
                                 "time (see the log): the write is refused",
        };
        write_give_up(log, q->w, (int)q->cnt, text[why]);
}

static void *writer_main(void *arg) {
        rdc_topic_log_t *log = arg;
        uint64_t gen = 0;
        char *id = NULL;
        int64_t retry_at = 0;
        pthread_setname_np(pthread_self(), "rdc-log-writer");
        pthread_mutex_lock(&log->lock);
        while (!log->stop) {
                if (gen != log->writer_gen) {
                        /* Another writer id (NULL: not the writer). */
                        gen = log->writer_gen;
                        free(id);
                        id = log->writer_id ? strdup(log->writer_id) : NULL;
                        pthread_mutex_unlock(&log->lock);
                        txn_drop(log);
                        pthread_mutex_lock(&log->lock);
                        log->txn_lost = 0;
                        retry_at = 0;
                        continue;
                }
                /* Fenced in one term, claimed again only in a later one:
                 * a deposed leader that does not know it yet would fence
                 * the new one otherwise. */
                if (log->txn_lost && log->writer_term != log->lost_term) {
                        log->txn_lost = 0;
                        retry_at = 0;
                }
                /* Claimed again in each term it leads in: the producer of
                 * an earlier one may have been fenced meanwhile by the
                 * leader between. */
                if (log->txn && log->claim_term != log->writer_term) {
                        pthread_mutex_unlock(&log->lock);
                        txn_drop(log);
                        pthread_mutex_lock(&log->lock);
                        retry_at = 0;
                        continue;
                }
                if (id && !log->txn && !log->txn_lost &&
                    !log->txn_unsupported && mono_ms() >= retry_at) {
                        int64_t term = log->writer_term;
                        pthread_mutex_unlock(&log->lock);
                        if (txn_claim(log, id))
                                retry_at = mono_ms() + TL_CLAIM_BACKOFF_MS;
                        else
                                log->claim_term = term;
                        pthread_mutex_lock(&log->lock);
                        continue;
                }
                tl_pending_t *q = log->pending;
                int writable = id && (log->txn || log->txn_unsupported);
                /* Waiting for a claim that keeps failing: not forever. */
                int late = q && !writable && id &&
                           mono_ms() - q->queued_ms > TL_TXN_TIMEOUT_MS;
                if (q && (writable || !id || log->txn_lost || late)) {
                        log->pending = q->next;
                        if (!log->pending)
                                log->pending_tail = &log->pending;
                        if (!writable)
                                pending_refuse(log, q,
                                               !id             ? TL_NOT_WRITER
                                               : log->txn_lost ? TL_FENCED
                                                               : TL_UNCLAIMED);
                        pthread_mutex_unlock(&log->lock);
                        if (writable && log->txn)
                                txn_write(log, q);
                        else if (writable)
                                write_produce(log, log->producer, q->w, q->keys,
                                              q->values, q->cnt);
                        wake(log);
                        pending_free(q);
                        pthread_mutex_lock(&log->lock);
                        continue;
                }
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += 1;
                pthread_cond_timedwait(&log->writer_cond, &log->lock, &ts);
        }
        /* Closing: what is still queued fails. */
        while (log->pending) {
                tl_pending_t *q = log->pending;
                log->pending = q->next;
                write_give_up(log, q->w, (int)q->cnt, "closed");
                pending_free(q);
        }
        log->pending_tail = &log->pending;
        pthread_mutex_unlock(&log->lock);
        txn_drop(log);
        free(id);
        return NULL;
}

int rdc_topic_log_set_writer(rdc_topic_log_t *log, const char *id,
                             int64_t term) {
        int ret = 0;
        pthread_mutex_lock(&log->lock);
        int same = log->fenced && (!id == !log->writer_id) &&
                   (!id || !strcmp(id, log->writer_id));
        if (!same) {
                char *copy = id ? strdup(id) : NULL;
                if (id && !copy) {
                        ret = -1;
                } else {
                        free(log->writer_id);
                        log->writer_id = copy;
                        log->writer_gen++;
                        log->fenced = 1;
                }
        }
        log->writer_term = term;
        if (!ret && !log->writer_started) {
                if (pthread_create(&log->writer, NULL, writer_main, log))
                        ret = -1;
                else
                        log->writer_started = 1;
        }
        pthread_cond_signal(&log->writer_cond);
        pthread_mutex_unlock(&log->lock);
        return ret;
}

void rdc_topic_log_close(rdc_topic_log_t *log) {
        if (!log)
                return;
        if (log->producer)
                rd_kafka_flush(log->producer, 5000);
        pthread_mutex_lock(&log->lock);
        log->stop = 1;
        pthread_cond_signal(&log->writer_cond);
        pthread_mutex_unlock(&log->lock);
        if (log->writer_started)
                pthread_join(log->writer, NULL);
        if (log->reader_started) {
                wake(log);
                pthread_join(log->reader, NULL);
        }
        /* Writes still open are answered: they may or may not land. */
        tl_write_t *open_writes = log->writes;
        log->writes = NULL;
        for (tl_write_t *w = open_writes; w; w = w->next) {
                if (!w->err)
                        snprintf(w->errstr, sizeof(w->errstr),
                                 "%s closed before the write was read back",
                                 log->what);
                w->err = 1;
        }
        writes_finish(open_writes);
        for (int p = 0; p < log->started; p++)
                rd_kafka_consume_stop(log->consumer_topic, p);
        if (log->consumer_topic)
                rd_kafka_topic_destroy(log->consumer_topic);
        if (log->consumer_queue)
                rd_kafka_queue_destroy(log->consumer_queue);
        if (log->producer_queue)
                rd_kafka_queue_destroy(log->producer_queue);
        if (log->consumer)
                rd_kafka_destroy(log->consumer);
        if (log->producer)
                rd_kafka_destroy(log->producer);
        if (log->efd >= 0)
                close(log->efd);
        if (log->txn_conf)
                rd_kafka_conf_destroy(log->txn_conf);
        pthread_cond_destroy(&log->writer_cond);
        pthread_cond_destroy(&log->cond);
        pthread_mutex_destroy(&log->lock);
        free(log->writer_id);
        free(log->eof);
        free(log->position);
        free(log->topic);
        free(log->what);
        free(log);
}

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the reader has read every partition to its end as it was
 * now. */
static int read_to_end(rdc_topic_log_t *log, int timeout_ms, char *errstr,
                       size_t errstr_size) {
        int64_t deadline = mono_ms() + timeout_ms;
        /* Every partition's end in one request: a query per partition
         * costs a round trip each (25 of them for the offsets topic). */
        rd_kafka_topic_partition_list_t *ends =
                rd_kafka_topic_partition_list_new(log->partitions);
        for (int32_t p = 0; p < log->partitions; p++)
                rd_kafka_topic_partition_list_add(ends, log->topic, p)->offset =
                        RD_KAFKA_OFFSET_END;
        rd_kafka_resp_err_t err =
                rd_kafka_offsets_for_times(log->consumer, ends, timeout_ms);
        for (int i = 0; !err && i < ends->cnt; i++)
                err = ends->elems[i].err;
        if (err) {
                rd_kafka_topic_partition_list_destroy(ends);
                snprintf(errstr, errstr_size,
                         "Cannot read the end offsets of %s: %s", log->what,
                         rd_kafka_err2str(err));
                return -1;
        }
        for (int i = 0; i < ends->cnt; i++) {
                int32_t p = ends->elems[i].partition;
                int64_t high = ends->elems[i].offset;
                pthread_mutex_lock(&log->lock);
                while (log->position[p] < high && mono_ms() < deadline) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += 50 * 1000000;
                        if (ts.tv_nsec >= 1000000000) {
                                ts.tv_sec++;
                                ts.tv_nsec -= 1000000000;
                        }
                        pthread_cond_timedwait(&log->cond, &log->lock, &ts);
                }
                int64_t position = log->position[p];
                pthread_mutex_unlock(&log->lock);
                if (position < high) {
                        rd_kafka_topic_partition_list_destroy(ends);
                        snprintf(errstr, errstr_size,
                                 "Read %s partition %" PRId32
                                 " to offset %" PRId64 " of %" PRId64
                                 " within %d ms",
                                 log->what, p, position, high, timeout_ms);
                        return -1;
                }
        }
        rd_kafka_topic_partition_list_destroy(ends);
        return 0;
}

void rdc_topic_log_purge(rdc_topic_log_t *log) {
        rd_kafka_purge(log->producer,
                       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        wake(log); /* the reader serves the failed reports */
}

int rdc_topic_log_sync(rdc_topic_log_t *log, int timeout_ms, char *errstr,
                       size_t errstr_size) {
        return read_to_end(log, timeout_ms, errstr, errstr_size);
}

/* @returns the topic's partition count, or -1 with errstr. */
static int32_t partition_count(rdc_topic_log_t *log, int timeout_ms,
                               char *errstr, size_t errstr_size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(
                log->consumer, 0, log->consumer_topic, &md, timeout_ms);
        int32_t cnt = -1;
        if (err)
                snprintf(errstr, errstr_size, "Cannot describe %s: %s",
                         log->what, rd_kafka_err2str(err));
        else if (md->topic_cnt != 1 || md->topics[0].err ||
                 md->topics[0].partition_cnt <= 0)
                snprintf(errstr, errstr_size, "Cannot describe %s: %s",
                         log->what,
                         md->topic_cnt == 1 && md->topics[0].err
                                 ? rd_kafka_err2str(md->topics[0].err)
                                 : "no partitions");
        else
                cnt = md->topics[0].partition_cnt;
        if (md)
                rd_kafka_metadata_destroy(md);
        return cnt;
}

rdc_topic_log_t *rdc_topic_log_open(rd_kafka_conf_t *producer_conf,
                                    rd_kafka_conf_t *consumer_conf,
                                    const char *topic, const char *what,
                                    rdc_topic_log_consume_cb_t *consume,
                                    void *opaque, int timeout_ms, char *errstr,
                                    size_t errstr_size) {
        rdc_topic_log_t *log = calloc(1, sizeof(*log));
        char why[512];
        if (!log || !(log->topic = strdup(topic)) ||
            !(log->what = strdup(what))) {
                if (log) {
                        free(log->topic);
                        free(log);
                }
                rd_kafka_conf_destroy(producer_conf);
                rd_kafka_conf_destroy(consumer_conf);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        log->consume = consume;
        log->opaque = opaque;
        log->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        pthread_mutex_init(&log->lock, NULL);
        pthread_cond_init(&log->cond, NULL);
        pthread_cond_init(&log->writer_cond, NULL);
        log->pending_tail = &log->pending;
        /* Ordered, durable, and keyed as a Java worker keys. */
        rd_kafka_conf_set(producer_conf, "enable.idempotence", "true", why,
                          sizeof(why));
        rd_kafka_conf_set(producer_conf, "acks", "all", why, sizeof(why));
        rd_kafka_conf_set(producer_conf, "partitioner", "murmur2_random", why,
                          sizeof(why));
        rd_kafka_conf_set_dr_msg_cb(producer_conf, on_delivery);
        rd_kafka_conf_set_opaque(producer_conf, log);
        /* Partition ends are how the reader gets past transaction
         * markers (which are never handed out). */
        rd_kafka_conf_set(consumer_conf, "enable.partition.eof", "true", why,
                          sizeof(why));
        /* For a transactional writer, if one is claimed. */
        log->txn_conf = rd_kafka_conf_dup(producer_conf);
        log->producer = rd_kafka_new(RD_KAFKA_PRODUCER, producer_conf, why,
                                     sizeof(why));
        if (!log->producer) {
                rd_kafka_conf_destroy(producer_conf);
                rd_kafka_conf_destroy(consumer_conf);
                snprintf(errstr, errstr_size,
                         "Cannot create the producer of %s: %s", what, why);
                rdc_topic_log_close(log);
                return NULL;
        }
        log->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, consumer_conf, why,
                                     sizeof(why));
        if (!log->consumer) {
                rd_kafka_conf_destroy(consumer_conf);
                snprintf(errstr, errstr_size,
                         "Cannot create the consumer of %s: %s", what, why);
                rdc_topic_log_close(log);
                return NULL;
        }
        /* No group: every worker reads every partition itself. */
        log->consumer_queue = rd_kafka_queue_new(log->consumer);
        log->producer_queue = rd_kafka_queue_get_main(log->producer);
        log->consumer_topic = rd_kafka_topic_new(log->consumer, topic, NULL);
        if (log->efd < 0 || !log->consumer_queue || !log->producer_queue ||
            !log->consumer_topic) {
                snprintf(errstr, errstr_size, "Cannot start reading %s: %s",
                         what, strerror(errno));
                rdc_topic_log_close(log);
                return NULL;
        }
        log->partitions = partition_count(log, timeout_ms, errstr, errstr_size);
        if (log->partitions < 0 ||
            !(log->position =
                      calloc(log->partitions, sizeof(*log->position))) ||
            !(log->eof = calloc(log->partitions, sizeof(*log->eof))) ||
            !log->txn_conf) {
                if (log->partitions >= 0)
                        snprintf(errstr, errstr_size, "out of memory");
                log->partitions = 0;
                rdc_topic_log_close(log);
                return NULL;
        }
        static const char one[8] = {1};
        rd_kafka_queue_io_event_enable(log->consumer_queue, log->efd, one,
                                       sizeof(one));
        rd_kafka_queue_io_event_enable(log->producer_queue, log->efd, one,
                                       sizeof(one));
        for (; log->started < log->partitions; log->started++) {
                if (!rd_kafka_consume_start_queue(
                            log->consumer_topic, log->started,
                            RD_KAFKA_OFFSET_BEGINNING, log->consumer_queue))
                        continue;
                snprintf(errstr, errstr_size, "Cannot start reading %s: %s",
                         what, rd_kafka_err2str(rd_kafka_last_error()));
                rdc_topic_log_close(log);
                return NULL;
        }
        if (pthread_create(&log->reader, NULL, reader_main, log)) {
                snprintf(errstr, errstr_size,
                         "Cannot start the reader thread of %s", what);
                rdc_topic_log_close(log);
                return NULL;
        }
        log->reader_started = 1;
        if (read_to_end(log, timeout_ms, errstr, errstr_size)) {
                rdc_topic_log_close(log);
                return NULL;
        }
        return log;
}

int rdc_topic_log_owner_open(rdc_topic_log_owner_t *owner,
                             rd_kafka_conf_t *producer_conf,
                             rd_kafka_conf_t *consumer_conf, const char *topic,
                             const char *kind,
                             rdc_topic_log_consume_cb_t *consume, void *opaque,
                             int timeout_ms, char *errstr, size_t errstr_size) {
        if (!owner || !(owner->topic = strdup(topic)) ||
            asprintf(&owner->what, "%s topic %s", kind, topic) < 0) {
                if (owner)
                        owner->what = NULL; /* asprintf left it undefined */
                rd_kafka_conf_destroy(producer_conf);
                rd_kafka_conf_destroy(consumer_conf);
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        owner->log = rdc_topic_log_open(producer_conf, consumer_conf, topic,
                                        owner->what, consume, opaque,
                                        timeout_ms, errstr, errstr_size);
        return owner->log ? 0 : -1;
}

void rdc_topic_log_owner_clear(rdc_topic_log_owner_t *owner) {
        rdc_topic_log_close(owner->log);
        free(owner->topic);
        free(owner->what);
        owner->log = NULL;
        owner->topic = owner->what = NULL;
}

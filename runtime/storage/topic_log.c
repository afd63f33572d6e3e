/*
 * A compacted topic read by every worker (see topic_log.h).
 *
 * One thread reads and also serves the producer's delivery reports: both
 * clients' queues wake it through one eventfd (librdkafka's IO event), so
 * it sleeps until there is work. Delivery reports, consume callbacks and
 * dones all run on it; the lock guards what writers on other threads
 * touch (the list of open writes) and what open() waits on (positions).
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
        tl_write_t *writes;
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
        while (cnt < TL_BATCH &&
               (msg = rd_kafka_consume_queue(log->consumer_queue, 0))) {
                if (msg->err) {
                        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                rdc_log(RDC_LOG_WARN, TL_LOGGER, NULL,
                                        "Reading %s: %s", log->what,
                                        rd_kafka_message_errstr(msg));
                        rd_kafka_message_destroy(msg);
                        continue;
                }
                msgs[cnt++] = msg;
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

int rdc_topic_log_send(rdc_topic_log_t *log, char *const *keys,
                       char *const *values, size_t cnt,
                       rdc_store_done_cb_t *done, void *opaque, char *errstr,
                       size_t errstr_size) {
        tl_write_t *w = calloc(1, sizeof(*w));
        if (!w || !(w->need = malloc(log->partitions * sizeof(*w->need)))) {
                free(w);
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
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
        for (size_t i = 0; i < cnt; i++) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        log->producer, RD_KAFKA_V_TOPIC(log->topic),
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
                break;
        }
        /* The reader settles it (and calls done) in its next round. */
        wake(log);
        return 0;
}

void rdc_topic_log_close(rdc_topic_log_t *log) {
        if (!log)
                return;
        if (log->producer)
                rd_kafka_flush(log->producer, 5000);
        log->stop = 1;
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
        pthread_cond_destroy(&log->cond);
        pthread_mutex_destroy(&log->lock);
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
        /* Ordered, durable, and keyed as a Java worker keys. */
        rd_kafka_conf_set(producer_conf, "enable.idempotence", "true", why,
                          sizeof(why));
        rd_kafka_conf_set(producer_conf, "acks", "all", why, sizeof(why));
        rd_kafka_conf_set(producer_conf, "partitioner", "murmur2_random", why,
                          sizeof(why));
        rd_kafka_conf_set_dr_msg_cb(producer_conf, on_delivery);
        rd_kafka_conf_set_opaque(producer_conf, log);
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
                      calloc(log->partitions, sizeof(*log->position)))) {
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

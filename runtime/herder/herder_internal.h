/*
 * The herder's insides, shared by its files (nothing outside the herder
 * includes this):
 *   herder.c          the thread, its command queue, start/stop/request
 *   herder_requests.c REST requests: reads answer at once; writes become
 *                     operations, serialized per connector, answered once
 *                     the store said durable and the change is applied
 *   herder_reconcile.c makes what runs match the config store
 *   herder_jobs.c     slow work (plugin calls, stops and joins, offsets
 *                     admin) on job threads, reported back as events
 *   herder_status.c   JSON bodies, the status store, /health
 *   herder_restart.c  automatic restarts with backoff, stuck tasks
 *
 * Every field here is the herder thread's alone unless it says otherwise.
 */
#ifndef RDC_HERDER_INTERNAL_H
#define RDC_HERDER_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "herder/herder.h"
#include "plugins/host.h"
#include "storage/config_store.h"
#include "storage/status_store.h"
#include "tasks/task.h"
#include "worker/worker.h"

/* tasks_version when no task set runs. */
#define RDC_TASKS_NONE UINT64_MAX

typedef struct rdc_job rdc_job_t;
typedef struct rdc_op rdc_op_t;

typedef struct rdc_slot {
        rdc_task_t *task; /* NULL when not running */
        uint64_t tag;     /* rdc_task_tag() of task */
        rdc_state_t state;
        char *trace;
        int attempts;             /* automatic restarts in a row */
        int64_t restart_at_ms;    /* 0: none scheduled */
        int64_t running_since_ms; /* when it last reported RUNNING */
        int waiting; /* to start once its stuck previous instance ends */
        int remote;  /* distributed: another worker runs it (its status is
                        that worker's to write) */
} rdc_slot_t;

typedef struct rdc_conn {
        struct rdc_conn *next;
        char *name;
        /* The store's entry as last read (NULL: removed from the store). */
        rdc_config_entry_t *desired;
        /* Resolution of desired->config (validation, defaults applied). */
        uint64_t resolved_version; /* 0: never resolved */
        rdc_map_t *resolved;
        const rdc_plugin_t *plugin;
        int invalid; /* its stored config does not validate: hidden */
        /* What runs here. */
        rdcp_ctx_t ctx;
        int ctx_live;     /* the connector instance exists (created) */
        void *instance;   /* the plugin's pointer: may be NULL */
        int start_failed; /* create failed: no retry until a restart, a
                             config or a target change */
        int tasks_failed; /* task_configs failed: no tasks run */
        rdc_target_t applied_target;
        rdc_state_t state;
        char *trace;
        rdc_slot_t *slots;
        rdc_map_t **task_cfgs; /* what the slots run */
        uint32_t task_cnt;
        uint64_t tasks_version; /* desired->task_version they run */
        char **topics;
        size_t topic_cnt;
        /* Work in progress. */
        rdc_job_t *job;  /* at most one job works on a connector */
        int reconfigure; /* the connector asked for new task configs */
        int restored;    /* read from the store at start, not yet created */
        int task_write;  /* a put_task_configs is in flight */
        int remote;      /* distributed: the instance runs elsewhere */
        int64_t handed_over_ms; /* distributed: task configs the leader
                                   wrote, not read back here yet (with
                                   task_write); 0: none */
        /* Distributed: task configs no leader took yet, handed over
         * again at retry_ms (with task_write), while the config is
         * retry_version still. */
        rdc_map_t **retry_cfgs;
        uint32_t retry_cnt;
        int64_t retry_ms;
        uint64_t retry_version;
        /* Distributed: a restart request read from the config topic,
         * carried out once no job runs. */
        int restart_req, restart_include_tasks, restart_only_failed;
} rdc_conn_t;

/* A task instance that did not stop when asked (stuck in plugin code).
 * It stays here, alive, until its thread ends: what it uses is never
 * freed under it and no second instance of it starts meanwhile. */
typedef struct rdc_stuck {
        struct rdc_stuck *next;
        char *connector;
        uint32_t task_id;
        rdc_task_t *task;
} rdc_stuck_t;

/* ------------------------------------------------------------ commands */

typedef enum rdc_cmd_kind {
        RDC_CMD_REQUEST = 1, /* waited on by its poster */
        RDC_CMD_EVENT        /* fire and forget */
} rdc_cmd_kind_t;

typedef enum rdc_event_type {
        RDC_EV_TASK = 1,       /* a task's state or topic */
        RDC_EV_RECONFIGURE,    /* a connector asks for new task configs */
        RDC_EV_JOB_DONE,       /* a job thread finished */
        RDC_EV_CONFIG_CHANGED, /* the config store applied a change */
        RDC_EV_STORE_DONE,     /* a config store write completed */
        RDC_EV_CLUSTER,        /* membership, claims or assignment */
        RDC_EV_RESTART,        /* a restart request (config topic) */
} rdc_event_type_t;

typedef struct rdc_cmd_request {
        rdc_request_t req; /* points into the copies below */
        char *connector;
        char *initial_state;
        rdc_map_t *config;
        rdc_reply_t reply;
        int refs; /* poster + herder; guarded by the herder's lock */
        int done; /* guarded by the herder's lock */
        /* While the poster waits (guarded by the herder's lock): its own
         * condition, signalled when done or on shutdown, and its place in
         * the herder's list of waiting posters. One condition per poster:
         * with one shared by all, every enqueue and every answer woke all
         * of 200 waiting REST threads (bench/, REST load). */
        pthread_cond_t *waiter;
        struct rdc_cmd_request *wait_prev, *wait_next;
} rdc_cmd_request_t;

typedef struct rdc_event {
        rdc_event_type_t type;
        union {
                struct {
                        rdc_task_t *task;
                        uint64_t tag;
                        int32_t id;
                        rdc_task_event_t event;
                        rdc_state_t state;
                        char *text;
                } task;
                struct {
                        char *connector;
                } reconfigure, config;
                struct {
                        char *connector;
                        int include_tasks, only_failed;
                } restart;
                struct {
                        rdc_job_t *job;
                } job;
                struct {
                        uint64_t op_id;  /* 0: a task-config write */
                        char *connector; /* of a task-config write */
                        int err;
                        char *errstr;
                } store;
        } u;
} rdc_event_t;

/* A queued command: a tagged union of a request and an event. Requests
 * are deep copies so that a poster that timed out may leave: the last of
 * poster and herder to let go frees it. */
typedef struct rdc_cmd {
        struct rdc_cmd *next;
        rdc_cmd_kind_t kind;
        union {
                rdc_cmd_request_t request;
                rdc_event_t event;
        } u;
} rdc_cmd_t;

struct rdc_herder {
        rdc_worker_t *worker;
        rdc_config_store_t *configs;  /* borrowed */
        rdc_status_store_t *statuses; /* borrowed */
        pthread_t thread;
        pthread_mutex_t lock; /* guards queue, stopping, request refs/done,
                                 jobs_live */
        pthread_cond_t cond;  /* queue not empty */
        rdc_cmd_t *head, *tail;
        rdc_cmd_request_t *waiting; /* posters waiting for an answer */
        int stopping;
        size_t jobs_live;  /* job threads not yet reported back */
        rdc_conn_t *conns; /* newest first */
        rdc_op_t *ops;     /* operations, oldest first */
        uint64_t next_op_id;
        uint64_t next_task_tag;
        rdc_stuck_t *stuck;
        size_t stuck_cnt;          /* read after the thread ended */
        int shutting_down;         /* the thread's own view of stopping */
        int64_t shutdown_deadline; /* the one stop deadline of shutdown */
        /* Automatic restart of failed tasks (worker keys task.restart.*). */
        int restart_enable;
        int64_t restart_initial_ms;
        int64_t restart_max_ms;
        /* Distributed mode (herder_cluster.c); NULL: standalone. */
        struct rdc_cluster_state *cluster;
};

/* herder.c */
void rdc_herder_post(rdc_herder_t *h, rdc_cmd_t *cmd);
/* A new event command of type, or NULL (out of memory). */
rdc_cmd_t *rdc_herder_event_new(rdc_event_type_t type);
/* Marks a request done (its reply is set) and lets go of it. */
void rdc_herder_request_done(rdc_herder_t *h, rdc_cmd_t *cmd);
void rdc_herder_cmd_unref(rdc_herder_t *h, rdc_cmd_t *cmd);
/* The deadline of a stop that starts now: one for all the tasks it
 * stops, as Kafka's task.shutdown.graceful.timeout.ms. */
int64_t rdc_herder_stop_deadline(rdc_herder_t *h);

/* The callbacks tasks and connector contexts get (they only post). */
extern rdc_task_event_cb_t *const rdc_herder_task_event_cb;
extern void (*const rdc_herder_reconfigure_cb)(void *opaque,
                                               const char *connector);

/* herder_requests.c */
void rdc_herder_handle_request(rdc_herder_t *h, rdc_cmd_t *cmd);
/* Drives connector name: reconciles, then starts or finishes its
 * operations as far as they can go now. */
void rdc_herder_progress(rdc_herder_t *h, const char *name);
void rdc_herder_handle_store_done(rdc_herder_t *h, rdc_event_t *ev);
/* The completion of a store write: rdc_store_done_post(ctx, ...) posts
 * RDC_EV_STORE_DONE for connector (op_id 0: a task-config write) and
 * frees ctx; a write the store refused frees it with _free. */
void *rdc_store_done_ctx(rdc_herder_t *h, const char *connector,
                         uint64_t op_id);
void rdc_store_done_ctx_free(void *ctx);
rdc_store_done_cb_t rdc_store_done_post;
/* The operation id waits for, if it is still there. */
rdc_op_t *rdc_op_find(rdc_herder_t *h, uint64_t id);
/* The validated config of the operation on name that writes config, if
 * any: reconcile takes its resolution instead of validating again. */
rdc_op_t *rdc_op_writing(rdc_herder_t *h, const char *name,
                         const rdc_map_t *config);
void rdc_op_take_resolution(rdc_op_t *op, rdc_map_t **resolved,
                            const rdc_plugin_t **plugin);
uint64_t rdc_op_id(const rdc_op_t *op);
const rdc_request_t *rdc_op_request(const rdc_op_t *op);
/* A job the operation waited for is done: it answers when settled. */
void rdc_op_job_done(rdc_herder_t *h, rdc_op_t *op, rdc_job_t *job);
/* Answers every operation 503 and frees them (shutdown). */
void rdc_herder_ops_abort(rdc_herder_t *h);

/* herder_reconcile.c */
rdc_conn_t *rdc_conn_find(rdc_herder_t *h, const char *name);
/* Visible over REST: in the store, and its config resolved and valid. */
int rdc_conn_visible(const rdc_conn_t *c);
/* @returns 1 if what runs matches the store (nothing to do), 0 if work
 * was started (or is in flight). May free c (removed and stopped). */
int rdc_conn_reconcile(rdc_herder_t *h, rdc_conn_t *c);
void rdc_herder_handle_config_changed(rdc_herder_t *h, const char *name);
void rdc_herder_handle_task_event(rdc_herder_t *h, rdc_event_t *ev);
void rdc_herder_handle_reconfigure(rdc_herder_t *h, const char *name);
void rdc_conn_set_state(rdc_herder_t *h, rdc_conn_t *c, rdc_state_t state,
                        const char *trace);
void rdc_slot_set_state(rdc_herder_t *h, rdc_conn_t *c, uint32_t i,
                        rdc_state_t state, const char *trace);
/* Starts task i of c. @returns 0, 1 if it waits for its stuck previous
 * instance to end (started then), -1 if it failed to start. */
int rdc_task_slot_start(rdc_herder_t *h, rdc_conn_t *c, uint32_t i);
/* Task configs as Kafka stores and shows them (GET .../tasks): what the
 * connector's task_configs gave, without the defaults the runtime put in
 * the copies it handed over (keys absent from the connector's own config
 * raw and left at their value in resolved), plus task.class and, for a
 * sink, the connector's topics / topics.regex. @returns 0 or -1 (out of
 * memory). */
int rdc_task_config_for_store(rdc_map_t *cfg, const rdc_map_t *raw,
                              const rdc_map_t *resolved,
                              const rdc_plugin_t *plugin);
/* What a task runs with: its stored config and, for every default of
 * resolved (a key raw lacks) the stored one lacks, that default; the
 * inverse of rdc_task_config_for_store(). NULL when out of memory. */
rdc_map_t *rdc_task_config_for_run(const rdc_map_t *stored,
                                   const rdc_map_t *raw,
                                   const rdc_map_t *resolved);
int rdc_conn_running(const rdc_conn_t *c);
/* Writes cfgs as c's task configs to the store (c->task_write until the
 * write completes); in a cluster, a worker that is not the leader hands
 * them to the leader (a job). */
void rdc_conn_write_task_configs(rdc_herder_t *h, rdc_conn_t *c,
                                 rdc_map_t *const *cfgs, uint32_t cnt);
/* The same, always to this worker's store. */
/* Keeps cfgs to hand them over again later (no leader took them). */
void rdc_conn_retry_task_configs(rdc_herder_t *h, rdc_conn_t *c,
                                 rdc_map_t *const *cfgs, uint32_t cnt);
/* Forgets task configs kept for a retry. */
void rdc_conn_retry_clear(rdc_conn_t *c);
void rdc_conn_write_task_configs_here(rdc_herder_t *h, rdc_conn_t *c,
                                      rdc_map_t *const *cfgs, uint32_t cnt);
void rdc_conn_free(rdc_herder_t *h, rdc_conn_t *c);
void rdc_set_text(char **dst, const char *text);

/* herder_jobs.c */
#define RDC_JOB_STOP_TASKS   0x1 /* stop and join job->tasks */
#define RDC_JOB_DESTROY      0x2 /* destroy the connector instance */
#define RDC_JOB_CREATE       0x4 /* create the connector instance */
#define RDC_JOB_TASK_CONFIGS 0x8 /* ask it for task configs */
#define RDC_JOB_RELEASE                                                        \
        0x10 /* with STOP_TASKS and ids: the tasks                             \
                moved to another worker (distributed):                         \
                not restarted here */

/* Starts a job on c's instance and tasks (steps above, in that order).
 * With RDC_JOB_STOP_TASKS, ids (cnt of them; NULL: all) name the slots
 * whose tasks it stops. @returns 0, -1 (out of memory: nothing done). */
int rdc_job_conn(rdc_herder_t *h, rdc_conn_t *c, int steps, const uint32_t *ids,
                 size_t cnt, rdc_op_t *op);
/* Distributed: hands cfgs (store form) to the leader at leader_url; if
 * it cannot take them, they are written here. @returns 0, -1 (nothing
 * started). */
int rdc_job_hand_over(rdc_herder_t *h, rdc_conn_t *c, rdc_map_t *const *cfgs,
                      uint32_t cnt, const char *leader_url);
/* How long the leader gets to take a connector's task configs. */
#define RDC_HAND_OVER_TIMEOUT_MS 30000
/* Task configs no leader took are handed over again this much later. */
#define RDC_HAND_OVER_RETRY_MS 1000
/* Validates config for name (c: reconcile of a stored entry; op: a REST
 * write). */
int rdc_job_validate(rdc_herder_t *h, const char *name, const rdc_map_t *config,
                     rdc_conn_t *c, rdc_op_t *op);
/* GET/PATCH/DELETE offsets of c for op. */
int rdc_job_offsets(rdc_herder_t *h, rdc_conn_t *c, rdc_op_t *op);
void rdc_herder_handle_job_done(rdc_herder_t *h, rdc_job_t *job);
/* Reports, in the connector's status, a connector call of a job that has
 * run past task.shutdown.graceful.timeout.ms. @returns when to look again
 * (0: no job is live). Herder thread. */
int64_t rdc_jobs_watch(rdc_herder_t *h);
/* What a validation or offsets job produced, for its operation. */
int rdc_job_valid(const rdc_job_t *job);
rdc_reply_t *rdc_job_reply(rdc_job_t *job);
/* Moves the validated config, its resolution and plugin to the caller. */
void rdc_job_take_resolution(rdc_job_t *job, rdc_map_t **config,
                             rdc_map_t **resolved, const rdc_plugin_t **plugin);
/* Crash attribution: the calling thread is in c's connector code. */
void rdc_conn_enter(const rdc_conn_t *c);

/* herder_status.c */
json_object *rdc_conn_info_json(rdc_herder_t *h, const rdc_conn_t *c);
json_object *rdc_conn_status_json(rdc_herder_t *h, const rdc_conn_t *c);
json_object *rdc_task_status_json(rdc_herder_t *h, const rdc_conn_t *c,
                                  uint32_t i);
json_object *rdc_list_json(rdc_herder_t *h, const rdc_request_t *req);
json_object *rdc_tasks_json(const rdc_conn_t *c);
json_object *rdc_tasks_config_json(const rdc_conn_t *c);
json_object *rdc_topics_json(const char *name, const rdc_conn_t *c);
json_object *rdc_map_json(const rdc_map_t *map);
json_object *rdc_health_json(rdc_herder_t *h);
void rdc_reply_set(rdc_reply_t *reply, int status, json_object *body);
void rdc_reply_error(rdc_reply_t *reply, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Writes the state of c (task_id -1) or of its task to the status
 * store. */
void rdc_status_publish(rdc_herder_t *h, const rdc_conn_t *c, int32_t task_id);

/* herder_cluster.c: distributed mode. Every function is a no-op (or
 * answers as standalone) when h->cluster is NULL. */
int rdc_cluster_start(rdc_herder_t *h, rdc_cluster_conf_t *conf, char *errstr,
                      size_t errstr_size);
/* After every task stopped: says this worker left (so its work moves at
 * once) and leaves the group. */
void rdc_cluster_stop(rdc_herder_t *h);
/* Reads membership, claims and the assignment; as leader, publishes the
 * next assignment; applies what this worker owns; claims. @returns when
 * to look again. */
int64_t rdc_cluster_tick(rdc_herder_t *h);
/* Whether this worker runs c's instance (task -1) or task. */
int rdc_cluster_owns(const rdc_herder_t *h, const rdc_conn_t *c, int32_t task);
/* Where a write goes: NULL here, "" nowhere now (rebalance), else the
 * base URL of the worker that does it. */
const char *rdc_cluster_forward_url(rdc_herder_t *h, const rdc_request_t *req);
/* The generation statuses are written with. */
uint32_t rdc_cluster_generation(const rdc_herder_t *h);

int rdc_cluster_is_leader(const rdc_herder_t *h);
/* The leader's base URL when it is another worker; "" when none is known;
 * NULL when this worker is the leader, or standalone. */
const char *rdc_cluster_leader_url(rdc_herder_t *h);
/* The worker is not in the group (its session lapsed, or it has not
 * joined yet): it runs nothing. */
int rdc_cluster_cut_off(const rdc_herder_t *h);
/* How long what runs gets to stop when the worker is cut off. */
#define RDC_CUT_OFF_STOP_MS 1000

/* herder_restart.c */
/* The restart plan of c: whether the instance restarts, and the tasks
 * (ids, room for the task count). mine_only: what this worker runs, by
 * its own states (a worker carrying out a request); else every task,
 * by the status store in distributed mode. @returns the task count. */
size_t rdc_restart_plan(rdc_herder_t *h, const rdc_conn_t *c, int include_tasks,
                        int only_failed, int mine_only, int *restart_conn,
                        uint32_t *ids);
/* A restart request was read: c restarts what this worker runs of it. */
void rdc_herder_handle_restart(rdc_herder_t *h, const char *name,
                               int include_tasks, int only_failed);
/* Reconcile: carries out c's restart request if one waits. @returns 1
 * when a job started. */
int rdc_restart_requested(rdc_herder_t *h, rdc_conn_t *c);
/* Schedules the automatic restart of a failed task (backoff). */
void rdc_restart_schedule(rdc_herder_t *h, rdc_conn_t *c, uint32_t i);
/* Starts the restarts whose backoff has passed. @returns the time of the
 * next one, or 0. */
int64_t rdc_restart_run_due(rdc_herder_t *h);
/* Keeps a task that did not stop on the stuck list. */
void rdc_stuck_keep(rdc_herder_t *h, const char *connector, uint32_t task_id,
                    rdc_task_t *task);
int rdc_stuck_has(rdc_herder_t *h, const char *connector, uint32_t task_id);
/* Frees the stuck tasks whose threads ended (waiting until deadline for
 * them) and, with start_waiting, starts the instances that waited. */
void rdc_stuck_reap(rdc_herder_t *h, int64_t deadline, int start_waiting);

#endif

/*
 * Monotonic time for timers and timed waits: immune to wall-clock jumps.
 * Every condition variable that is waited on with a timeout is created
 * with rdc_clock_cond_init() so that its deadlines come from here.
 */
#ifndef RDC_CLOCK_H
#define RDC_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/** Milliseconds on the monotonic clock. */
int64_t rdc_clock_now_ms(void);
/** Milliseconds since the epoch (wall clock: for times other processes
 *  compare, never for timers). */
int64_t rdc_clock_wall_ms(void);
/** Deadline ms from now, for pthread_cond_timedwait on a cond made by
 *  rdc_clock_cond_init(). */
struct timespec rdc_clock_deadline(int64_t ms);
/** Initializes cond on the monotonic clock. @returns pthread_cond_init's
 *  result. */
int rdc_clock_cond_init(pthread_cond_t *cond);

#endif

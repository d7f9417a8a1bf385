/* The thread pool that runs generated kernels' tasks (attune_parallel_for, called by code
 * that attune-lower-parallel-calls produced). Plain pthreads: a generated library needs no
 * OpenMP runtime.
 *
 * Between jobs, workers spin for a while (100 µs, ATTUNE_SPIN_US) watching for the next one, then
 * sleep on a condition variable: a model's kernels come back to back, and waking a sleeping
 * thread costs tens of microseconds, as much as a small kernel. The caller likewise spins
 * before it sleeps waiting for the workers to finish. A job is a task range; the caller and
 * the workers take tasks one at a time from a shared counter, so uneven tasks (causal
 * attention's later query blocks see more keys) balance themselves. The caller returns once
 * every worker has checked out of the job, since the job's context lives on its stack. One
 * job runs at a time; a caller that finds the pool busy, or calls from inside a task, runs
 * its range itself. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#endif
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256

/* How long an idle thread watches for the next job before it sleeps: 100 µs, or
 * ATTUNE_SPIN_US (0: sleep at once, for machines with more busy threads than cores). */
static int64_t spin_nanoseconds = -1;

static int64_t spin_budget(void) {
  if (spin_nanoseconds < 0) {
    const char *env = getenv("ATTUNE_SPIN_US");
    char *rest = NULL;
    long us = env && *env ? strtol(env, &rest, 10) : -1;
    spin_nanoseconds = us >= 0 && rest && *rest == '\0' ? (int64_t)us * 1000 : 100000;
  }
  return spin_nanoseconds;
}

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;     /* workers: a new job, or shut down */
  pthread_cond_t finished; /* the caller: every worker checked out */
  pthread_t threads[MAX_THREADS];
  int workers;             /* worker threads running (the caller is one more) */
  int wanted;              /* threads wanted in all, the caller included; 0: not chosen yet */
  unsigned long generation;
  atomic_ulong published; /* = generation, readable without the lock (spinning workers) */
  bool shutdown;
  /* The current job. */
  attune_task_fn fn;
  void *ctx;
  int64_t end;
  atomic_int_fast64_t next;
  atomic_int checked_out;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .finished = PTHREAD_COND_INITIALIZER};

/* Held by the caller of the running job, and while the thread count changes. */
static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local bool inside_task;

static void run_tasks(attune_task_fn fn, void *ctx, int64_t end) {
  bool outer = inside_task;
  inside_task = true;
  for (;;) {
    int64_t task = atomic_fetch_add(&pool.next, 1);
    if (task >= end)
      break;
    fn(ctx, task, task + 1);
  }
  inside_task = outer;
}

static int64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Spins until done() or the spin budget passes; whether done() became true. */
static bool spin_until(bool (*done)(const void *), const void *arg) {
  int64_t deadline = monotonic_ns() + spin_nanoseconds;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done(arg))
        return true;
      cpu_relax();
    }
    if (monotonic_ns() >= deadline)
      return false;
  }
}

static bool new_job(const void *seen) {
  return atomic_load_explicit(&pool.published, memory_order_acquire) !=
         *(const unsigned long *)seen;
}

static bool all_checked_out(const void *workers) {
  return atomic_load_explicit(&pool.checked_out, memory_order_acquire) >= *(const int *)workers;
}

static void *worker_main(void *arg) {
  unsigned long seen = (unsigned long)(uintptr_t)arg;
  pthread_mutex_lock(&pool.lock);
  for (;;) {
    if (!pool.shutdown && pool.generation == seen) {
      pthread_mutex_unlock(&pool.lock);
      spin_until(new_job, &seen);
      pthread_mutex_lock(&pool.lock);
    }
    while (!pool.shutdown && pool.generation == seen)
      pthread_cond_wait(&pool.wake, &pool.lock);
    if (pool.shutdown)
      break;
    seen = pool.generation;
    attune_task_fn fn = pool.fn;
    void *ctx = pool.ctx;
    int64_t end = pool.end;
    pthread_mutex_unlock(&pool.lock);
    run_tasks(fn, ctx, end);
    pthread_mutex_lock(&pool.lock);
    if (atomic_fetch_add_explicit(&pool.checked_out, 1, memory_order_acq_rel) + 1 == pool.workers)
      pthread_cond_signal(&pool.finished);
  }
  pthread_mutex_unlock(&pool.lock);
  return NULL;
}

static int default_threads(void) {
  const char *env = getenv("ATTUNE_NUM_THREADS");
  if (env && *env) {
    char *rest;
    long n = strtol(env, &rest, 10);
    if (*rest == '\0' && n >= 1)
      return n > MAX_THREADS ? MAX_THREADS : (int)n;
  }
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) >= 1)
    return CPU_COUNT(&cpus) > MAX_THREADS ? MAX_THREADS : CPU_COUNT(&cpus);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online >= 1 ? (online > MAX_THREADS ? MAX_THREADS : (int)online) : 1;
}

/* With `submit` held and no job running. */
static void stop_workers(void) {
  pthread_mutex_lock(&pool.lock);
  pool.shutdown = true;
  ++pool.generation; /* spinning workers look, then see the shutdown */
  atomic_store_explicit(&pool.published, pool.generation, memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);
  for (int i = 0; i < pool.workers; ++i)
    pthread_join(pool.threads[i], NULL);
  pool.workers = 0;
  pool.shutdown = false;
}

/* With `submit` held: as many workers as wanted (fewer if threads cannot be created). */
static void ensure_workers(void) {
  spin_budget();
  if (pool.wanted == 0)
    pool.wanted = default_threads();
  if (pool.workers == pool.wanted - 1)
    return;
  stop_workers();
  while (pool.workers < pool.wanted - 1) {
    void *start = (void *)(uintptr_t)pool.generation;
    if (pthread_create(&pool.threads[pool.workers], NULL, worker_main, start) != 0)
      break;
    ++pool.workers;
  }
}

void attune_parallel_for(attune_task_fn fn, void *ctx, int64_t begin, int64_t end) {
  if (end - begin <= 1 || inside_task || pthread_mutex_trylock(&submit) != 0) {
    if (begin < end)
      fn(ctx, begin, end);
    return;
  }
  ensure_workers();
  if (pool.workers == 0) {
    pthread_mutex_unlock(&submit);
    fn(ctx, begin, end);
    return;
  }
  pthread_mutex_lock(&pool.lock);
  pool.fn = fn;
  pool.ctx = ctx;
  pool.end = end;
  atomic_store(&pool.next, begin);
  atomic_store(&pool.checked_out, 0);
  ++pool.generation;
  atomic_store_explicit(&pool.published, pool.generation, memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);

  run_tasks(fn, ctx, end);

  int workers = pool.workers;
  spin_until(all_checked_out, &workers);
  pthread_mutex_lock(&pool.lock);
  while (pool.checked_out < pool.workers)
    pthread_cond_wait(&pool.finished, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
  pthread_mutex_unlock(&submit);
}

attune_status attune_set_num_threads(int threads) {
  if (threads < 1 || threads > MAX_THREADS)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_set_num_threads: %d threads; expected 1 to %d", threads,
                       MAX_THREADS);
  pthread_mutex_lock(&submit);
  pool.wanted = threads;
  pthread_mutex_unlock(&submit);
  return ATTUNE_OK;
}

int attune_get_num_threads(void) {
  pthread_mutex_lock(&submit);
  if (pool.wanted == 0)
    pool.wanted = default_threads();
  int threads = pool.wanted;
  pthread_mutex_unlock(&submit);
  return threads;
}

/* Workers run code in this library: they must be gone before it is unloaded. */
__attribute__((destructor)) static void shut_down_pool(void) {
  pthread_mutex_lock(&submit);
  stop_workers();
  pthread_mutex_unlock(&submit);
}

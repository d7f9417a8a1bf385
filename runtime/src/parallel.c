/* The thread pool that runs generated kernels' tasks (attune_parallel_for, called by code
 * that attune-lower-parallel-calls produced). Plain pthreads: a generated library needs no
 * OpenMP runtime.
 *
 * Between jobs, workers spin for a while (100 µs, ATTUNE_SPIN_US) watching for the next one, then
 * sleep on a condition variable: a model's kernels come back to back, and waking a sleeping
 * thread costs tens of microseconds, as much as a small kernel. The caller likewise spins
 * before it sleeps waiting for the workers to finish. A job is a task range; its caller and
 * the workers take tasks one at a time from the job's counter, so uneven tasks (causal
 * attention's later query blocks see more keys) balance themselves.
 *
 * Several application threads (sessions of one model, or different models) may each have a
 * job open at once: a free worker joins the oldest open job that has tasks left, so every
 * caller gets the threads the others leave free and none runs serially because another is in
 * flight. A caller closes its job once it runs out of tasks (no worker joins it after that)
 * and returns once the workers in it have left, since the job lives on its stack. A range
 * started from inside a task runs on that thread. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT, writer-preferring rwlocks */
#endif
#include "internal.h"

#include <errno.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS ATTUNE_MAX_THREADS

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

/* One caller's task range, open to the workers from its publication until its caller runs
 * out of tasks. */
typedef struct job {
  attune_task_fn fn;
  void *ctx;
  int64_t end;
  atomic_int_fast64_t next;
  atomic_int joined; /* workers in it now; changed under pool.lock */
  int max_joined;    /* workers it may have at once (its caller's thread limit - 1) */
  struct job *older, *newer;
} job;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;     /* workers: a new job, or shut down */
  pthread_cond_t finished; /* callers: a worker left a job */
  pthread_t threads[MAX_THREADS];
  int workers;             /* worker threads created (each caller is one more) */
  int started;             /* of them, those that have begun running worker_main */
  atomic_int wanted;       /* threads wanted in all, a caller included; 0: not chosen yet */
  unsigned long generation;
  atomic_ulong published; /* = generation, readable without the lock (spinning workers) */
  bool shutdown;
  job *oldest, *newest;    /* the open jobs */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .finished = PTHREAD_COND_INITIALIZER};

/* Held for reading by every caller with a job open, for writing while the worker count
 * changes. Writers first: a thread count set while sessions keep the pool busy still takes
 * effect. */
static pthread_rwlock_t resize = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static _Thread_local bool inside_task;

static void run_tasks(job *j) {
  bool outer = inside_task;
  inside_task = true;
  for (;;) {
    int64_t task = atomic_fetch_add(&j->next, 1);
    if (task >= j->end)
      break;
    j->fn(j->ctx, task, task + 1);
  }
  inside_task = outer;
}

/* With pool.lock held: the oldest open job with tasks left and room for a worker, or NULL. */
static job *job_with_tasks(void) {
  for (job *j = pool.oldest; j; j = j->newer)
    if (atomic_load(&j->next) < j->end && atomic_load(&j->joined) < j->max_joined)
      return j;
  return NULL;
}

/* The most threads (the caller included) that kernels started on this thread may use; 0: the
 * pool's. Set by a session's run for its duration (attune_parallel_limit). */
static _Thread_local int thread_limit;

int attune_parallel_limit(int threads) {
  int previous = thread_limit;
  thread_limit = threads;
  return previous;
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

static bool workers_left(const void *j) {
  return atomic_load_explicit(&((const job *)j)->joined, memory_order_acquire) == 0;
}

static void *worker_main(void *arg) {
  unsigned long seen = (unsigned long)(uintptr_t)arg;
  pthread_mutex_lock(&pool.lock);
  ++pool.started;
  pthread_cond_broadcast(&pool.finished); /* ensure_workers waits for every worker to start */
  for (;;) {
    job *j = job_with_tasks();
    if (j) {
      atomic_fetch_add_explicit(&j->joined, 1, memory_order_relaxed);
      pthread_mutex_unlock(&pool.lock);
      run_tasks(j);
      pthread_mutex_lock(&pool.lock);
      if (atomic_fetch_sub_explicit(&j->joined, 1, memory_order_acq_rel) == 1)
        pthread_cond_broadcast(&pool.finished);
      continue;
    }
    if (pool.shutdown)
      break;
    /* Nothing to join: watch for the next job, then sleep. */
    seen = pool.generation;
    pthread_mutex_unlock(&pool.lock);
    spin_until(new_job, &seen);
    pthread_mutex_lock(&pool.lock);
    while (!pool.shutdown && pool.generation == seen)
      pthread_cond_wait(&pool.wake, &pool.lock);
  }
  pthread_mutex_unlock(&pool.lock);
  return NULL;
}

attune_status attune_environment_threads(int *threads) {
  *threads = 0;
  const char *env = getenv("ATTUNE_NUM_THREADS");
  if (!env || !*env)
    return ATTUNE_OK;
  char *rest;
  errno = 0;
  long n = strtol(env, &rest, 10);
  if (*rest != '\0' || errno || n < 1 || n > MAX_THREADS)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "ATTUNE_NUM_THREADS is '%.32s'; it must be a number of threads in [1, %d] "
                       "(or unset: the CPUs this process may run on)",
                       env, MAX_THREADS);
  *threads = (int)n;
  return ATTUNE_OK;
}

static int default_threads(void) {
  int from_environment = 0;
  if (attune_environment_threads(&from_environment) == ATTUNE_OK && from_environment)
    return from_environment;
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) >= 1)
    return CPU_COUNT(&cpus) > MAX_THREADS ? MAX_THREADS : CPU_COUNT(&cpus);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online >= 1 ? (online > MAX_THREADS ? MAX_THREADS : (int)online) : 1;
}

/* With `resize` held for writing: no job is open. */
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
  pool.started = 0;
  pool.shutdown = false;
}

static int wanted_threads(void) {
  int wanted = atomic_load(&pool.wanted);
  if (wanted == 0) {
    int chosen = default_threads();
    atomic_compare_exchange_strong(&pool.wanted, &wanted, chosen);
    wanted = atomic_load(&pool.wanted);
  }
  return wanted;
}

/* With `resize` held for writing: as many workers as wanted (fewer if threads cannot be
 * created), each running before this returns. A thread's start (its stack, its TLS, under a
 * sanitizer its bookkeeping) allocates; waiting for it keeps that in the call that resized
 * the pool rather than in whichever later call the new thread happens to overlap, so runs
 * after the first allocate nothing (test/e2e/memory-plan.test counts). */
static void ensure_workers(void) {
  spin_budget();
  int wanted = wanted_threads();
  if (pool.workers == wanted - 1)
    return;
  stop_workers();
  while (pool.workers < wanted - 1) {
    void *start = (void *)(uintptr_t)pool.generation;
    if (pthread_create(&pool.threads[pool.workers], NULL, worker_main, start) != 0)
      break;
    ++pool.workers;
  }
  pthread_mutex_lock(&pool.lock);
  while (pool.started < pool.workers)
    pthread_cond_wait(&pool.finished, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
}

void attune_parallel_for(attune_task_fn fn, void *ctx, int64_t begin, int64_t end) {
  if (end - begin <= 1 || inside_task) {
    if (begin < end)
      fn(ctx, begin, end);
    return;
  }
  pthread_rwlock_rdlock(&resize);
  if (spin_nanoseconds < 0 || pool.workers != wanted_threads() - 1) {
    pthread_rwlock_unlock(&resize);
    pthread_rwlock_wrlock(&resize);
    ensure_workers();
    pthread_rwlock_unlock(&resize);
    pthread_rwlock_rdlock(&resize);
  }
  if (pool.workers == 0 || thread_limit == 1) {
    pthread_rwlock_unlock(&resize);
    fn(ctx, begin, end);
    return;
  }
  job j = {.fn = fn,
           .ctx = ctx,
           .end = end,
           .max_joined = thread_limit > 1 && thread_limit - 1 < pool.workers ? thread_limit - 1
                                                                             : pool.workers};
  atomic_init(&j.next, begin);
  atomic_init(&j.joined, 0);
  pthread_mutex_lock(&pool.lock);
  j.older = pool.newest;
  if (pool.newest)
    pool.newest->newer = &j;
  else
    pool.oldest = &j;
  pool.newest = &j;
  ++pool.generation;
  atomic_store_explicit(&pool.published, pool.generation, memory_order_release);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.lock);

  run_tasks(&j);

  /* Closed: no worker joins it now; wait for those in it to leave. */
  pthread_mutex_lock(&pool.lock);
  if (j.older)
    j.older->newer = j.newer;
  else
    pool.oldest = j.newer;
  if (j.newer)
    j.newer->older = j.older;
  else
    pool.newest = j.older;
  pthread_mutex_unlock(&pool.lock);
  spin_until(workers_left, &j);
  pthread_mutex_lock(&pool.lock);
  while (atomic_load(&j.joined) > 0)
    pthread_cond_wait(&pool.finished, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
  pthread_rwlock_unlock(&resize);
}

attune_status attune_set_num_threads(int threads) {
  if (threads < 1 || threads > MAX_THREADS)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_set_num_threads: %d threads; expected 1 to %d", threads,
                       MAX_THREADS);
  atomic_store(&pool.wanted, threads);
  return ATTUNE_OK;
}

int attune_get_num_threads(void) { return wanted_threads(); }

/* Workers run code in this library: they must be gone before it is unloaded. */
__attribute__((destructor)) static void shut_down_pool(void) {
  pthread_rwlock_wrlock(&resize);
  stop_workers();
  pthread_rwlock_unlock(&resize);
}

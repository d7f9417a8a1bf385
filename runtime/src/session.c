/* Sessions: the memory a run needs, apart from the model it runs.
 *
 * A model (code and weights) is immutable once open and shared by every thread; a session
 * holds what one run writes and its settings: today its arena of intermediates (arena.c) and
 * how many threads its kernels may use, later the KV cache and the planned session buffer. Runs on different sessions of one model proceed at once,
 * their parallel kernels sharing the thread pool (parallel.c); a session itself runs one call
 * at a time, and a second call that overlaps one in flight is refused, not serialized, since
 * a session's state (its cache) is the order of its calls. */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>

struct attune_session {
  attune_model *model;
  attune_arena arena;
  atomic_bool running;
  int threads; /* at most this many threads run its kernels; 0: the pool's */
};

attune_status attune_session_create(attune_model *model, attune_session **out) {
  if (out)
    *out = NULL;
  if (!model || !out)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_session_create: null argument");
  attune_session *session = calloc(1, sizeof *session);
  if (!session)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  session->model = model;
  atomic_init(&session->running, false);
  *out = session;
  return ATTUNE_OK;
}

void attune_session_destroy(attune_session *session) {
  if (!session)
    return;
  attune_arena_destroy(&session->arena);
  free(session);
}

attune_status attune_session_run(attune_session *session, const char *entry,
                                 const attune_tensor *inputs, size_t num_inputs,
                                 attune_tensor *outputs, size_t num_outputs) {
  if (!session)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_session_run: null session");
  if (atomic_exchange(&session->running, true))
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_session_run: the session is running a call on another thread "
                       "(a session runs one call at a time; create one per thread)");
  int outer = attune_parallel_limit(session->threads);
  attune_status status = attune_model_execute(session->model, &session->arena, entry, inputs,
                                              num_inputs, outputs, num_outputs);
  attune_parallel_limit(outer);
  atomic_store(&session->running, false);
  return status;
}

attune_status attune_session_set_num_threads(attune_session *session, int threads) {
  if (!session)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_session_set_num_threads: null session");
  if (threads < 0)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_session_set_num_threads: %d threads; expected 0 (the pool's) or "
                       "more",
                       threads);
  session->threads = threads;
  return ATTUNE_OK;
}

attune_status attune_session_arena_bytes(const attune_session *session, size_t *peak,
                                         size_t *reserved) {
  if (!session || !peak || !reserved)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_session_arena_bytes: null argument");
  *peak = session->arena.peak;
  *reserved = session->arena.reserved;
  return ATTUNE_OK;
}

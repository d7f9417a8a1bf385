/* Sessions: the memory a run needs, apart from the model it runs.
 *
 * A model (code and weights) is immutable once open and shared by every thread; a session
 * holds what one run writes and its settings: its memory for intermediates (the memory plan's
 * workspace and the arena of what the plan left out, run_memory.c), how many
 * threads its kernels may use, and the KV cache its step entry reads and extends (one block
 * for every state tensor the step declares, and how many tokens each row holds). Runs on
 * different sessions of one model proceed at once,
 * their parallel kernels sharing the thread pool (parallel.c); a session itself runs one call
 * at a time, and a second call that overlaps one in flight is refused, not serialized, since
 * a session's state (its cache) is the order of its calls. */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The KV cache of one step entry: `batch` rows of up to `capacity` tokens. */
typedef struct session_cache {
  attune_step_info step;
  int64_t batch, capacity;
  attune_tensor *states; /* shapes at [batch, ..., capacity, d]; data inside `block` */
  /* Per state, the symbol of each dim (NULL where static): a context state's length is
   * bound from the inputs of each call. */
  const char *(*dims)[ATTUNE_MAX_RANK];
  void *block;
  int32_t *lengths;  /* tokens row b holds (the step's past_lengths) */
  bool context_ready; /* the context entry has run for these sequences */
  /* Room for a step call's inputs (the caller's and past_lengths), its states and the
   * context entry's: a step allocates nothing. */
  attune_tensor *given, *call_states, *context_states;
  size_t max_given;
} session_cache;

struct attune_session {
  attune_model *model;
  attune_run_memory memory;
  atomic_bool running;
  int threads; /* at most this many threads run its kernels; 0: the pool's */
  session_cache cache;
};

static void release_cache(session_cache *cache) {
  free(cache->given);
  free(cache->call_states);
  free(cache->context_states);
  free(cache->states);
  free(cache->dims);
  free(cache->block);
  free(cache->lengths);
  memset(cache, 0, sizeof *cache);
}

/* Claims the session for one call `what` (the API function's name), or says that the session
 * is null or another call is in flight. */
static attune_status claim(attune_session *session, const char *what) {
  if (!session)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s: null session", what);
  if (atomic_exchange(&session->running, true))
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "%s: the session is running a call on another thread (a session runs "
                       "one call at a time; create one per thread)",
                       what);
  return ATTUNE_OK;
}

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
  attune_status status =
      attune_run_memory_reserve(&session->memory, 0, attune_model_max_arguments(model));
  if (status != ATTUNE_OK) {
    free(session);
    return status;
  }
  *out = session;
  return ATTUNE_OK;
}

void attune_session_destroy(attune_session *session) {
  if (!session)
    return;
  attune_run_memory_release(&session->memory);
  release_cache(&session->cache);
  free(session);
}

attune_status attune_session_run(attune_session *session, const char *entry,
                                 const attune_tensor *inputs, size_t num_inputs,
                                 attune_tensor *outputs, size_t num_outputs) {
  attune_status status = claim(session, "attune_session_run");
  if (status != ATTUNE_OK)
    return status;
  int outer = attune_parallel_limit(session->threads);
  status = attune_model_execute(session->model, &session->memory, entry, inputs, num_inputs,
                                NULL, 0, outputs, num_outputs);
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
  attune_run_memory_usage(&session->memory, peak, reserved);
  return ATTUNE_OK;
}

/* Grows the session's workspace to what `entry` needs at `dims` (the others at their bounds). */
static attune_status reserve_workspace(attune_session *session, const char *entry,
                                       const attune_dim *dims, size_t num_dims) {
  size_t bytes = 0;
  attune_status status =
      attune_model_workspace_bytes(session->model, entry, dims, num_dims, &bytes);
  if (status == ATTUNE_OK)
    status = attune_run_memory_reserve(&session->memory, bytes, 0);
  return status;
}

attune_status attune_session_reserve(attune_session *session, const char *entry,
                                     const attune_dim *dims, size_t num_dims) {
  attune_status status = claim(session, "attune_session_reserve");
  if (status != ATTUNE_OK)
    return status;
  status = reserve_workspace(session, entry, dims, num_dims);
  atomic_store(&session->running, false);
  return status;
}

static attune_status reserve_cache(attune_session *session, const char *entry, int64_t batch,
                                   int64_t capacity) {
  attune_step_info step;
  attune_status status = attune_model_find_step(session->model, entry, &step);
  if (status != ATTUNE_OK)
    return status;
  int64_t max_batch = 0, max_capacity = 0;
  if (attune_model_dim_bound(session->model, ATTUNE_BATCH_DIM, &max_batch) != ATTUNE_OK ||
      attune_model_dim_bound(session->model, ATTUNE_CACHE_DIM, &max_capacity) != ATTUNE_OK)
    return attune_fail(ATTUNE_ERROR_LIBRARY, "the library declares no batch or cache bound");
  if (batch < 1 || batch > max_batch || capacity < 1 || capacity > max_capacity)
    return attune_fail(ATTUNE_ERROR_SHAPE,
                       "attune_session_reserve_cache: %lld rows of %lld tokens; this library "
                       "takes 1..%lld rows of 1..%lld tokens",
                       (long long)batch, (long long)capacity, (long long)max_batch,
                       (long long)max_capacity);

  session_cache cache = {.step = step, .batch = batch, .capacity = capacity};
  cache.states = calloc(step.num_states ? step.num_states : 1, sizeof *cache.states);
  cache.dims = calloc(step.num_states ? step.num_states : 1, sizeof *cache.dims);
  cache.lengths = calloc((size_t)batch, sizeof *cache.lengths);
  /* Every state in one block, each at a 64-byte boundary. */
  size_t total = 0;
  for (size_t i = 0; status == ATTUNE_OK && i < step.num_states; ++i) {
    if (!cache.states || !cache.dims)
      break;
    status = attune_model_step_state(session->model, step.name, i, batch, capacity,
                                     &cache.states[i], cache.dims[i]);
    size_t bytes = attune_dtype_size(cache.states[i].dtype);
    for (int32_t k = 0; k < cache.states[i].rank; ++k)
      bytes *= (size_t)cache.states[i].shape[k];
    cache.states[i].data = (void *)(uintptr_t)total; /* an offset until the block exists */
    total += (bytes + 63) / 64 * 64;
  }
  if (status == ATTUNE_OK && cache.states && cache.lengths)
    cache.block = aligned_alloc(64, total ? total : 64);
  /* Touched now, once: a step writes each new row into every head's stretch of the cache, so
   * untouched, its pages fault in a few rows at a time during the steps (GPT-2-small: 288
   * stretches, a fault every 16 tokens in each, ~14 µs each on the project's VMs: a first
   * generation's prefill of 480 tokens took 1.45x as long, its decode 1.3x). */
  if (cache.block)
    memset(cache.block, 0, total);
  cache.max_given = attune_model_entry_num_inputs(session->model, step.name);
  cache.given = calloc(cache.max_given ? cache.max_given : 1, sizeof *cache.given);
  cache.call_states = calloc(step.num_states ? step.num_states : 1, sizeof *cache.call_states);
  cache.context_states =
      calloc(step.num_context_states ? step.num_context_states : 1, sizeof *cache.context_states);
  if (status == ATTUNE_OK &&
      (!cache.states || !cache.dims || !cache.lengths || !cache.block || !cache.given ||
       !cache.call_states || !cache.context_states))
    status = attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY,
                         "out of memory for a KV cache of %lld rows of %lld tokens (%zu bytes)",
                         (long long)batch, (long long)capacity, total);
  if (status != ATTUNE_OK) {
    release_cache(&cache);
    return status;
  }
  for (size_t i = 0; i < step.num_states; ++i)
    cache.states[i].data = (char *)cache.block + (uintptr_t)cache.states[i].data;
  /* The workspace of a prefill of the whole capacity (or of the token bound, if less), and
   * of the context entry. */
  int64_t max_tokens = capacity, token_bound = 0;
  if (step.token_dim &&
      attune_model_dim_bound(session->model, step.token_dim, &token_bound) == ATTUNE_OK &&
      token_bound < capacity)
    max_tokens = token_bound;
  attune_dim dims[] = {{ATTUNE_BATCH_DIM, batch},
                       {ATTUNE_CACHE_DIM, capacity},
                       {step.token_dim, max_tokens}};
  status = reserve_workspace(session, step.name, dims, step.token_dim ? 3 : 2);
  if (status == ATTUNE_OK && step.context)
    status = reserve_workspace(session, step.context, dims, 1);
  if (status != ATTUNE_OK) {
    release_cache(&cache);
    return status;
  }
  release_cache(&session->cache);
  session->cache = cache;
  return ATTUNE_OK;
}

attune_status attune_session_reserve_cache(attune_session *session, const char *entry,
                                           int64_t batch, int64_t capacity) {
  attune_status status = claim(session, "attune_session_reserve_cache");
  if (status != ATTUNE_OK)
    return status;
  status = reserve_cache(session, entry, batch, capacity);
  atomic_store(&session->running, false);
  return status;
}

attune_status attune_session_reset_cache(attune_session *session) {
  if (!session)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_session_reset_cache: null session");
  if (session->cache.lengths)
    memset(session->cache.lengths, 0, (size_t)session->cache.batch * sizeof(int32_t));
  session->cache.context_ready = false;
  return ATTUNE_OK;
}

attune_status attune_session_cache_length(const attune_session *session, int64_t row,
                                          int64_t *length) {
  if (!session || !length)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_session_cache_length: null argument");
  if (!session->cache.lengths || row < 0 || row >= session->cache.batch)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_session_cache_length: row %lld of a cache of %lld rows",
                       (long long)row, (long long)session->cache.batch);
  *length = session->cache.lengths[row];
  return ATTUNE_OK;
}

/* Checks a call of the step against the cache: the token input's rows and length, each row's
 * room and count of new tokens. */
static attune_status check_append(const session_cache *cache, const attune_tensor *inputs,
                                  size_t num_inputs, const int64_t *new_tokens,
                                  int64_t *batch_out, int64_t *seq_out) {
  if (!cache->block)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_session_append: the session has no KV cache (call "
                       "attune_session_reserve_cache first)");
  if (num_inputs && !inputs)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_session_append: null inputs");
  const attune_tensor *tokens = NULL;
  for (size_t i = 0; i < num_inputs && !tokens; ++i)
    if (inputs[i].name && !strcmp(inputs[i].name, cache->step.tokens))
      tokens = &inputs[i];
  if (!tokens)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_session_append: input '%s' is missing",
                       cache->step.tokens);
  if (tokens->rank != 2 || tokens->shape[0] < 1 || tokens->shape[0] > cache->batch ||
      tokens->shape[1] < 1)
    return attune_fail(ATTUNE_ERROR_SHAPE,
                       "attune_session_append: '%s' must be [rows, tokens] with 1..%lld rows (the "
                       "cache's) and at least one token",
                       cache->step.tokens, (long long)cache->batch);
  int64_t batch = tokens->shape[0], seq = tokens->shape[1];
  for (int64_t b = 0; b < batch; ++b) {
    if (new_tokens && (new_tokens[b] < 0 || new_tokens[b] > seq))
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                         "attune_session_append: row %lld has %lld new tokens of %lld",
                         (long long)b, (long long)new_tokens[b], (long long)seq);
    if (cache->lengths[b] + seq > cache->capacity)
      return attune_fail(ATTUNE_ERROR_SHAPE,
                         "attune_session_append: row %lld holds %d tokens; %lld more overflow the "
                         "cache of %lld (attune_session_reset_cache starts over)",
                         (long long)b, cache->lengths[b], (long long)seq,
                         (long long)cache->capacity);
  }
  *batch_out = batch;
  *seq_out = seq;
  return ATTUNE_OK;
}

/* The context entry on the inputs of a sequence's first step: it writes the keys and values
 * of the attentions over another input (an encoder's output) into their states, which every
 * step of these sequences then reads. */
static attune_status run_context(attune_session *session, const attune_tensor *inputs,
                                 size_t num_inputs, const attune_tensor *states) {
  const session_cache *cache = &session->cache;
  size_t count = cache->step.num_context_states;
  attune_tensor *written = cache->context_states;
  attune_status status = ATTUNE_OK;
  for (size_t j = 0; status == ATTUNE_OK && j < count; ++j) {
    attune_tensor declared;
    status = attune_model_step_state(session->model, cache->step.context, j, 1, 1, &declared,
                                     NULL);
    size_t i = 0;
    while (status == ATTUNE_OK && i < cache->step.num_states &&
           strcmp(cache->states[i].name, declared.name) != 0)
      ++i;
    if (status == ATTUNE_OK && i == cache->step.num_states)
      status = attune_fail(ATTUNE_ERROR_LIBRARY, "context state '%s' is not a state of %s",
                           declared.name, cache->step.name);
    if (status == ATTUNE_OK)
      written[j] = states[i];
  }
  if (status == ATTUNE_OK)
    status = attune_model_execute(session->model, &session->memory, cache->step.context, inputs,
                                  num_inputs, written, count, NULL, 0);
  return status;
}

attune_status attune_session_append(attune_session *session, const attune_tensor *inputs,
                                    size_t num_inputs, const int64_t *new_tokens,
                                    attune_tensor *outputs, size_t num_outputs) {
  attune_status status = claim(session, "attune_session_append");
  if (status != ATTUNE_OK)
    return status;
  session_cache *cache = &session->cache;
  int64_t batch = 0, seq = 0;
  attune_tensor *given = NULL, *states = NULL;
  status = check_append(cache, inputs, num_inputs, new_tokens, &batch, &seq);
  if (status == ATTUNE_OK && num_inputs + 1 > cache->max_given)
    status = attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                         "attune_session_append: %zu inputs; entry point %s takes %zu (%s "
                         "comes from the cache)",
                         num_inputs, cache->step.name, cache->max_given - 1, ATTUNE_PAST_LENGTHS);
  if (status == ATTUNE_OK) {
    given = cache->given;
    states = cache->call_states;
    if (num_inputs)
      memcpy(given, inputs, num_inputs * sizeof *given);
    given[num_inputs] = (attune_tensor){.name = ATTUNE_PAST_LENGTHS, .dtype = ATTUNE_I32,
                                        .rank = 1, .shape = {batch}, .data = cache->lengths};
    /* The first `batch` rows of each state: a prefix of its [rows, ...] block; a context
     * state as long as the input it comes from. */
    for (size_t i = 0; status == ATTUNE_OK && i < cache->step.num_states; ++i) {
      states[i] = cache->states[i];
      states[i].shape[0] = batch;
      for (int32_t k = 1; status == ATTUNE_OK && k < states[i].rank; ++k) {
        const char *symbol = cache->dims[i][k];
        if (symbol && strcmp(symbol, ATTUNE_CACHE_DIM) && strcmp(symbol, ATTUNE_BATCH_DIM))
          status = attune_model_input_dim(session->model, cache->step.name, inputs, num_inputs,
                                          symbol, &states[i].shape[k]);
      }
    }
  }
  if (status == ATTUNE_OK) {
    int outer = attune_parallel_limit(session->threads);
    if (cache->step.context && !cache->context_ready)
      status = run_context(session, inputs, num_inputs, states);
    if (status == ATTUNE_OK)
      status = attune_model_execute(session->model, &session->memory, cache->step.name, given,
                                    num_inputs + 1, states, cache->step.num_states, outputs,
                                    num_outputs);
    attune_parallel_limit(outer);
  }
  if (status == ATTUNE_OK) {
    cache->context_ready = true;
    for (int64_t b = 0; b < batch; ++b)
      cache->lengths[b] += (int32_t)(new_tokens ? new_tokens[b] : seq);
  }
  atomic_store(&session->running, false);
  return status;
}

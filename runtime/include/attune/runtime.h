/* attune runtime: the C API of every library attune builds.
 *
 * A generated library libNAME.so links its own copy of this runtime and exports three symbols
 * only: NAME_manifest (a description of its entry points and their inputs, weights and
 * outputs), NAME_entry (the compiled code of every entry point) and NAME_runtime() (its
 * runtime's functions, the attune_runtime table at the end of this file). Its runtime's own
 * symbols are hidden, so any number of attune libraries live in one process, each with its
 * own thread pool, thread count and memory. NAME.h calls every function below through the
 * table as NAME_attune_FUNCTION (NAME_attune_last_error(), NAME_attune_model_run(...)) and
 * adds typed helpers. Most models have one entry point, "forward"; an encoder-decoder also
 * has "encode" and "decode".
 * Everything here returns an attune_status and never aborts the process: on failure,
 * attune_last_error() gives a readable message for the calling thread.
 */
#ifndef ATTUNE_RUNTIME_H
#define ATTUNE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTUNE_MAX_RANK 8

typedef enum attune_status {
  ATTUNE_OK = 0,
  ATTUNE_ERROR_INVALID_ARGUMENT = 1, /* null pointer, unknown tensor name, bad dtype */
  ATTUNE_ERROR_IO = 2,               /* a file cannot be opened, mapped or written */
  ATTUNE_ERROR_WEIGHTS = 3,          /* malformed weights file, missing or misshapen tensor */
  ATTUNE_ERROR_SHAPE = 4,            /* run-time shape mismatch or a bound exceeded */
  ATTUNE_ERROR_OUT_OF_MEMORY = 5,
  ATTUNE_ERROR_LIBRARY = 6 /* the compiled library's manifest is unreadable */
} attune_status;

typedef enum attune_dtype {
  ATTUNE_F32 = 0,
  ATTUNE_I32 = 1,
  ATTUNE_I64 = 2,
  /* Half precision, as checkpoints store weights: IEEE binary16 and bfloat16. A model opens
   * such a weight by converting it to f32 once (models compute in f32); the safetensors
   * reader hands them out as they are stored. */
  ATTUNE_F16 = 3,
  ATTUNE_BF16 = 4
} attune_dtype;

/* A tensor passed to or from a model, dense and row-major. */
typedef struct attune_tensor {
  const char *name;
  attune_dtype dtype;
  int32_t rank;
  int64_t shape[ATTUNE_MAX_RANK];
  void *data;
} attune_tensor;

/* The compiled code: runs entry point number `entry` (in manifest order) with one pointer per
 * argument (memref descriptors, in manifest order). */
typedef void (*attune_entry_fn)(int32_t entry, void **arguments);

typedef struct attune_model attune_model;

/* The message of the last failure on this thread ("" if none). */
const char *attune_last_error(void);
/* A short name of a status code. */
const char *attune_status_name(attune_status status);
/* Bytes per element of a dtype (0 for a value that is not an attune_dtype). */
size_t attune_dtype_size(attune_dtype dtype);

/* Opens a compiled model: parses its manifest, maps the weights (a file, a sharded checkpoint's
 * index or a model directory: see attune_safetensors_open) and checks every tensor the model
 * needs (present, F32 or F16/BF16, the expected shape, inside the file) before
 * returning; F16 and BF16 weights are converted to f32 here, once. */
attune_status attune_model_open(const char *manifest, attune_entry_fn entry,
                                const char *weights_path, attune_model **out);
void attune_model_close(attune_model *model);

/* Entry points: how many, and the name of each ("forward", "encode", "decode", ...). Functions
 * without an entry argument use the default one: "forward" if the model has it, else the
 * first. */
size_t attune_model_num_entries(const attune_model *model);
const char *attune_model_entry_name(const attune_model *model, size_t index);

/* The default entry point's inputs/outputs in declaration order; symbolic dims are -1. */
size_t attune_model_num_inputs(const attune_model *model);
size_t attune_model_num_outputs(const attune_model *model);
attune_status attune_model_input(const attune_model *model, size_t index, attune_tensor *info);
attune_status attune_model_output(const attune_model *model, size_t index, attune_tensor *info);
/* The same for a named entry point (NULL: the default one). */
size_t attune_model_entry_num_inputs(const attune_model *model, const char *entry);
size_t attune_model_entry_num_outputs(const attune_model *model, const char *entry);
attune_status attune_model_entry_input(const attune_model *model, const char *entry,
                                       size_t index, attune_tensor *info);
attune_status attune_model_entry_output(const attune_model *model, const char *entry,
                                        size_t index, attune_tensor *info);
/* Bounds of a symbolic dimension (e.g. "batch", "seq") fixed when the library was built. */
attune_status attune_model_dim_bound(const attune_model *model, const char *symbol,
                                     int64_t *bound);

/* Given the inputs, the shape each output will have. `outputs[i].name` selects the output;
 * shape and rank are filled in. */
attune_status attune_model_output_shapes(const attune_model *model, const attune_tensor *inputs,
                                         size_t num_inputs, attune_tensor *outputs,
                                         size_t num_outputs);

/* Runs the forward pass. Every model input must be given once, by name, with a shape that
 * matches the declaration (symbolic dims bound consistently and within their bounds); every
 * output buffer must have exactly the shape attune_model_output_shapes reports. */
attune_status attune_model_run(attune_model *model, const attune_tensor *inputs,
                               size_t num_inputs, attune_tensor *outputs, size_t num_outputs);
/* The same two for a named entry point (NULL: the default one). */
attune_status attune_model_entry_output_shapes(const attune_model *model, const char *entry,
                                               const attune_tensor *inputs, size_t num_inputs,
                                               attune_tensor *outputs, size_t num_outputs);
attune_status attune_model_run_entry(attune_model *model, const char *entry,
                                     const attune_tensor *inputs, size_t num_inputs,
                                     attune_tensor *outputs, size_t num_outputs);

/* The memory plan. The compiler places every intermediate of an entry point at an offset of
 * one workspace, from the intermediates' lifetimes, so a call allocates nothing once its
 * workspace is big enough. The workspace's bytes are a closed-form function of the symbolic
 * dims, compiled into the library: attune_model_workspace_bytes evaluates it for `entry` (NULL:
 * the default one) at `dims` (by name; a dim not given is taken at its bound, so no dims
 * gives the most any call of the entry can need). */
typedef struct attune_dim {
  const char *name; /* "batch", "seq", ... (attune_model_dim_bound) */
  int64_t size;
} attune_dim;
attune_status attune_model_workspace_bytes(const attune_model *model, const char *entry,
                                           const attune_dim *dims, size_t num_dims,
                                           size_t *bytes);

/* Memory for intermediates of attune_model_run: the most bytes any call so far needed (its
 * workspace, plus the peak of the arena that holds allocations the plan left out: none in the
 * shipped models, `attune build --report` counts them), and the bytes the model holds. */
attune_status attune_model_arena_bytes(const attune_model *model, size_t *peak, size_t *reserved);

/* Sessions. A model is immutable once open and may be shared by any number of threads; a
 * session holds the memory one run writes (its own arena of intermediates). Runs on different
 * sessions of one model proceed at the same time from different threads, each with results
 * identical to running alone; attune_model_run uses the model's own memory and runs one call
 * at a time. A session runs one call at a time: a call that overlaps another on the same
 * session fails with ATTUNE_ERROR_INVALID_ARGUMENT. Destroy a model's sessions before closing
 * it. */
typedef struct attune_session attune_session;
attune_status attune_session_create(attune_model *model, attune_session **out);
void attune_session_destroy(attune_session *session);
/* attune_model_run_entry on the session's memory (entry NULL: the default one). */
attune_status attune_session_run(attune_session *session, const char *entry,
                                 const attune_tensor *inputs, size_t num_inputs,
                                 attune_tensor *outputs, size_t num_outputs);
/* At most `threads` threads (the calling one included) run this session's kernels, from its
 * next call on; 0 (the default): as many as the pool has (attune_set_num_threads). A server
 * running many sessions at once can keep each to a share of the cores. Results do not depend
 * on it. */
attune_status attune_session_set_num_threads(attune_session *session, int threads);
/* The session's workspace (the memory plan's intermediates): a call whose shapes need more
 * than it holds grows it first, failing with ATTUNE_ERROR_OUT_OF_MEMORY before anything runs.
 * attune_session_reserve grows it now to what `entry` needs at `dims` (as in
 * attune_model_workspace_bytes; no dims: the most any call of the entry needs), so later calls
 * of those shapes or smaller allocate nothing; attune_session_reserve_cache does the same for
 * its step. */
attune_status attune_session_reserve(attune_session *session, const char *entry,
                                     const attune_dim *dims, size_t num_dims);
/* The session's memory for intermediates, as attune_model_arena_bytes: the most bytes any of
 * its calls needed, and the bytes it holds. */
attune_status attune_session_arena_bytes(const attune_session *session, size_t *peak,
                                         size_t *reserved);

/* Generation over a KV cache. For every entry point whose causal self-attention reads its
 * tokens (its one integer [batch, seq] input), the compiler derives a step, "ENTRY_step",
 * that runs new tokens after those a session's cache already holds, reading and extending
 * the cache instead of recomputing the prefix.
 *
 * attune_session_reserve_cache gives the session a cache for the step of `entry` (NULL:
 * "forward") of up to `batch` rows of up to `capacity` tokens each (at most the library's
 * batch and cache bounds); every row starts empty. It allocates all of the cache at once:
 * ATTUNE_ERROR_OUT_OF_MEMORY here, never later: the workspace of a step over the whole
 * capacity comes with it, so steps allocate nothing. Calling it again replaces the cache. */
attune_status attune_session_reserve_cache(attune_session *session, const char *entry,
                                           int64_t batch, int64_t capacity);
/* Runs the step: `inputs` are the entry's inputs (its token input [rows, seq] with
 * rows <= the cache's batch); row b's tokens go after the attune_session_cache_length(b) it
 * holds, and its first new_tokens[b] of them (NULL: all seq) are kept, the rest being padding
 * (a prompt shorter than the batch's longest). Outputs are the entry's, for every token
 * given. Prefill is a call with the prompts, decode a call with one token per row. A step
 * whose attention reads another input (an encoder's output) first runs its context entry on
 * the first call after reserve or reset, so those keys and values are computed once. A row
 * that would pass the capacity (length + seq > capacity) fails the call with
 * ATTUNE_ERROR_SHAPE before anything runs. */
attune_status attune_session_append(attune_session *session, const attune_tensor *inputs,
                                    size_t num_inputs, const int64_t *new_tokens,
                                    attune_tensor *outputs, size_t num_outputs);
/* Empties every row of the cache (its memory stays reserved). */
attune_status attune_session_reset_cache(attune_session *session);
/* The tokens row `row` of the cache holds. */
attune_status attune_session_cache_length(const attune_session *session, int64_t row,
                                          int64_t *length);

/* Profiling (docs/c-api.md). Every kernel a model runs has an id (0 .. num_kernels - 1) with
 * a name ("matmul k768 n3072"), the ops fused into it ("bias, gelu_tanh") and the place in the
 * model description it comes from. While profiling is on, each run adds each kernel's time,
 * FLOPs and bytes to its counters. ATTUNE_PROFILE=1 in the environment when a model opens
 * turns it on and prints the table to stderr when the model closes.
 * attune_model_set_profiling turns it on (counters reset) or off; attune_model_print_profile
 * prints the table (kernels summed by name, fused ops and location, sorted by time, against
 * the FMA peak and memory bandwidth measured on first use for the current thread count). */
typedef struct attune_kernel_profile {
  const char *name;
  const char *fused;
  const char *location;
  int64_t calls;
  double seconds;
  double flops;
  double bytes;
} attune_kernel_profile;

attune_status attune_model_set_profiling(attune_model *model, int enabled);
size_t attune_model_num_kernels(const attune_model *model);
attune_status attune_model_kernel_profile(const attune_model *model, size_t id,
                                          attune_kernel_profile *out);
attune_status attune_model_print_profile(attune_model *model, FILE *out);

/* Threads that run a model's parallel kernels (the attention kernel's tasks), shared by all
 * models in the process. The default is ATTUNE_NUM_THREADS from the environment, else the
 * CPUs this process may run on (at most ATTUNE_MAX_THREADS); an ATTUNE_NUM_THREADS that is not
 * a number in [1, ATTUNE_MAX_THREADS] makes attune_model_open fail with
 * ATTUNE_ERROR_INVALID_ARGUMENT. attune_set_num_threads(n) takes effect for the next kernel;
 * n must be in [1, ATTUNE_MAX_THREADS]. Runs from several application threads at once share
 * the pool: each kernel's tasks go to its caller and to whichever pool threads are free. */
#define ATTUNE_MAX_THREADS 256
attune_status attune_set_num_threads(int threads);
int attune_get_num_threads(void);

/* Safetensors weights (read-only, memory-mapped; every header entry is validated on open).
 * `path` is one .safetensors file, a sharded checkpoint's index (a path ending in .json, such
 * as model.safetensors.index.json: its "weight_map" names each tensor's shard, a file in the
 * index's folder), or a model directory (its model.safetensors, else its
 * model.safetensors.index.json). Shards are checked as a whole on open: each one as a file,
 * each tensor in exactly the shard the index names; then they read as one set of tensors. */
typedef struct attune_safetensors attune_safetensors;
attune_status attune_safetensors_open(const char *path, attune_safetensors **out);
void attune_safetensors_close(attune_safetensors *file);
size_t attune_safetensors_count(const attune_safetensors *file);
/* The i-th tensor (in file order, shard after shard); data points into the mapping, aligned only as
 * the file aligns it. F32, F16, BF16, I32 and I64 only (another dtype:
 * ATTUNE_ERROR_INVALID_ARGUMENT). */
attune_status attune_safetensors_get(const attune_safetensors *file, size_t index,
                                     attune_tensor *tensor);
attune_status attune_safetensors_find(const attune_safetensors *file, const char *name,
                                      attune_tensor *tensor);
/* Writes tensors to `path` atomically (a temporary file renamed into place). */
attune_status attune_safetensors_write(const char *path, const attune_tensor *tensors,
                                       size_t count);
/* Not in the runtime table, for programs that link the runtime archive (as the attune tools
 * do): the f32 value of IEEE binary16 and of bfloat16 bits (exact), and a dtype as
 * descriptions and messages spell it ("f32", "bf16"; "an unknown dtype" for another value). */
float attune_f16_to_f32(uint16_t bits);
float attune_bf16_to_f32(uint16_t bits);
const char *attune_dtype_text(attune_dtype dtype);
/* Also not in the table: whether `found`, a tensor of the weights at `weights` (named in the
 * message), can be the weight `name` a model declares with `rank` dims `shape`: F32, F16 or
 * BF16 (converted when opened) of exactly that shape. Otherwise ATTUNE_ERROR_WEIGHTS, saying
 * "weight 'NAME' in WEIGHTS is i32 [64, 64], the model needs f32 (or f16, bf16) [64, 64]".
 * attune_model_open and `attune build` check each weight with it. */
attune_status attune_check_weight(const attune_tensor *found, const char *weights, const char *name,
                                  int32_t rank, const int64_t *shape);

/* The ABI of the table below: a library whose NAME_runtime()->abi_version differs was built
 * by an attune with another API. */
#define ATTUNE_ABI_VERSION 4

/* Every function above, as ATTUNE_RUNTIME_FUNCTIONS(F, P) lists them: F(return type, name
 * without attune_, (parameters), (arguments)) for each function, P(name, (parameters),
 * (arguments)) for those returning nothing. */
#define ATTUNE_RUNTIME_FUNCTIONS(F, P)                                                          \
  F(const char *, last_error, (void), ())                                                      \
  F(const char *, status_name, (attune_status status), (status))                               \
  F(size_t, dtype_size, (attune_dtype dtype), (dtype))                                         \
  F(attune_status, model_open,                                                                 \
    (const char *manifest, attune_entry_fn entry, const char *weights_path, attune_model **out), \
    (manifest, entry, weights_path, out))                                                      \
  P(model_close, (attune_model * model), (model))                                              \
  F(size_t, model_num_entries, (const attune_model *model), (model))                           \
  F(const char *, model_entry_name, (const attune_model *model, size_t index), (model, index)) \
  F(size_t, model_num_inputs, (const attune_model *model), (model))                            \
  F(size_t, model_num_outputs, (const attune_model *model), (model))                           \
  F(attune_status, model_input, (const attune_model *model, size_t index, attune_tensor *info), \
    (model, index, info))                                                                      \
  F(attune_status, model_output,                                                               \
    (const attune_model *model, size_t index, attune_tensor *info), (model, index, info))      \
  F(size_t, model_entry_num_inputs, (const attune_model *model, const char *entry),            \
    (model, entry))                                                                            \
  F(size_t, model_entry_num_outputs, (const attune_model *model, const char *entry),           \
    (model, entry))                                                                            \
  F(attune_status, model_entry_input,                                                          \
    (const attune_model *model, const char *entry, size_t index, attune_tensor *info),         \
    (model, entry, index, info))                                                               \
  F(attune_status, model_entry_output,                                                         \
    (const attune_model *model, const char *entry, size_t index, attune_tensor *info),         \
    (model, entry, index, info))                                                               \
  F(attune_status, model_dim_bound,                                                            \
    (const attune_model *model, const char *symbol, int64_t *bound), (model, symbol, bound))   \
  F(attune_status, model_output_shapes,                                                        \
    (const attune_model *model, const attune_tensor *inputs, size_t num_inputs,                \
     attune_tensor *outputs, size_t num_outputs),                                              \
    (model, inputs, num_inputs, outputs, num_outputs))                                         \
  F(attune_status, model_run,                                                                  \
    (attune_model * model, const attune_tensor *inputs, size_t num_inputs,                     \
     attune_tensor *outputs, size_t num_outputs),                                              \
    (model, inputs, num_inputs, outputs, num_outputs))                                         \
  F(attune_status, model_entry_output_shapes,                                                  \
    (const attune_model *model, const char *entry, const attune_tensor *inputs,                \
     size_t num_inputs, attune_tensor *outputs, size_t num_outputs),                           \
    (model, entry, inputs, num_inputs, outputs, num_outputs))                                  \
  F(attune_status, model_run_entry,                                                            \
    (attune_model * model, const char *entry, const attune_tensor *inputs, size_t num_inputs,  \
     attune_tensor *outputs, size_t num_outputs),                                              \
    (model, entry, inputs, num_inputs, outputs, num_outputs))                                  \
  F(attune_status, model_workspace_bytes,                                                      \
    (const attune_model *model, const char *entry, const attune_dim *dims, size_t num_dims,    \
     size_t *bytes),                                                                           \
    (model, entry, dims, num_dims, bytes))                                                     \
  F(attune_status, model_arena_bytes,                                                          \
    (const attune_model *model, size_t *peak, size_t *reserved), (model, peak, reserved))      \
  F(attune_status, session_create, (attune_model * model, attune_session **out), (model, out)) \
  P(session_destroy, (attune_session * session), (session))                                    \
  F(attune_status, session_run,                                                                \
    (attune_session * session, const char *entry, const attune_tensor *inputs,                 \
     size_t num_inputs, attune_tensor *outputs, size_t num_outputs),                           \
    (session, entry, inputs, num_inputs, outputs, num_outputs))                                \
  F(attune_status, session_set_num_threads, (attune_session * session, int threads),           \
    (session, threads))                                                                        \
  F(attune_status, session_reserve,                                                            \
    (attune_session * session, const char *entry, const attune_dim *dims, size_t num_dims),    \
    (session, entry, dims, num_dims))                                                          \
  F(attune_status, session_arena_bytes,                                                        \
    (const attune_session *session, size_t *peak, size_t *reserved),                           \
    (session, peak, reserved))                                                                 \
  F(attune_status, session_reserve_cache,                                                      \
    (attune_session * session, const char *entry, int64_t batch, int64_t capacity),            \
    (session, entry, batch, capacity))                                                         \
  F(attune_status, session_append,                                                             \
    (attune_session * session, const attune_tensor *inputs, size_t num_inputs,                 \
     const int64_t *new_tokens, attune_tensor *outputs, size_t num_outputs),                   \
    (session, inputs, num_inputs, new_tokens, outputs, num_outputs))                           \
  F(attune_status, session_reset_cache, (attune_session * session), (session))                 \
  F(attune_status, session_cache_length,                                                       \
    (const attune_session *session, int64_t row, int64_t *length), (session, row, length))     \
  F(attune_status, model_set_profiling, (attune_model * model, int enabled), (model, enabled)) \
  F(size_t, model_num_kernels, (const attune_model *model), (model))                           \
  F(attune_status, model_kernel_profile,                                                       \
    (const attune_model *model, size_t id, attune_kernel_profile *out), (model, id, out))      \
  F(attune_status, model_print_profile, (attune_model * model, FILE *out), (model, out))       \
  F(attune_status, set_num_threads, (int threads), (threads))                                  \
  F(int, get_num_threads, (void), ())                                                          \
  F(attune_status, safetensors_open, (const char *path, attune_safetensors **out),             \
    (path, out))                                                                               \
  P(safetensors_close, (attune_safetensors * file), (file))                                    \
  F(size_t, safetensors_count, (const attune_safetensors *file), (file))                       \
  F(attune_status, safetensors_get,                                                            \
    (const attune_safetensors *file, size_t index, attune_tensor *tensor),                     \
    (file, index, tensor))                                                                     \
  F(attune_status, safetensors_find,                                                           \
    (const attune_safetensors *file, const char *name, attune_tensor *tensor),                 \
    (file, name, tensor))                                                                      \
  F(attune_status, safetensors_write,                                                          \
    (const char *path, const attune_tensor *tensors, size_t count), (path, tensors, count))

/* One library's runtime: its ABI version, the table's size, and a pointer to each of the
 * functions above (`last_error` is attune_last_error, ...). */
#define ATTUNE_RUNTIME_FIELD_(ret, name, params, args) ret(*name) params;
#define ATTUNE_RUNTIME_PROCEDURE_FIELD_(name, params, args) void(*name) params;
typedef struct attune_runtime {
  uint32_t abi_version;
  uint32_t size;
  ATTUNE_RUNTIME_FUNCTIONS(ATTUNE_RUNTIME_FIELD_, ATTUNE_RUNTIME_PROCEDURE_FIELD_)
} attune_runtime;
#undef ATTUNE_RUNTIME_FIELD_
#undef ATTUNE_RUNTIME_PROCEDURE_FIELD_

#ifdef __cplusplus
}
#endif

#endif /* ATTUNE_RUNTIME_H */

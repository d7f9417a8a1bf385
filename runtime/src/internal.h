/* Private declarations shared by the runtime's source files. */
#ifndef ATTUNE_RUNTIME_INTERNAL_H
#define ATTUNE_RUNTIME_INTERNAL_H

#include "attune/runtime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

/* This copy of the runtime's function table (api.c), which NAME_runtime() returns. */
extern const attune_runtime attune_runtime_table;

/* Records a formatted message as this thread's last error and returns `status`. */
attune_status attune_fail(attune_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void attune_clear_error(void);

/* "[2, 24, 512]" into `buffer`; symbolic dims (-1) print as "?". */
const char *attune_format_shape(char *buffer, size_t size, const int64_t *shape, int32_t rank);

/* Up to `max` names from `names` closest to `wanted` (edit distance), joined by ", ". */
void attune_closest_names(const char *wanted, const char *const *names, size_t count,
                          size_t max, char *buffer, size_t size);

/* ATTUNE_NUM_THREADS when it is set (else 0) in *threads; fails, saying why, when it is not a
 * number of threads (parallel.c). attune_model_open reports that; the pool then ignores it. */
attune_status attune_environment_threads(int *threads);

/* A model's arena for intermediates (arena.c). While attune_arena_begin..end brackets a run
 * on this thread, the generated code's allocations come from it. */
typedef struct attune_arena {
  struct chunk *chunks;
  void *free_list;
  size_t reserved; /* bytes obtained from the system */
  size_t live;     /* bytes in use now */
  size_t peak;     /* most bytes in use at once, over all runs */
  bool failed;     /* an allocation could not be satisfied */
} attune_arena;

void attune_arena_begin(attune_arena *arena);
void attune_arena_end(attune_arena *arena);
void attune_arena_destroy(attune_arena *arena);

/* What one run at a time writes besides its outputs (run_memory.c): a model's own memory
 * (attune_model_run) or a session's. The workspace holds every intermediate the memory plan
 * placed (its size computed by the library before each call, grown only when a call needs
 * more); the arena, the allocations the plan left out; the descriptors, the arguments of a
 * call of the compiled code. A run whose workspace and descriptors are big enough allocates
 * nothing. */
typedef struct attune_run_memory {
  void *workspace; /* 64-byte aligned */
  size_t workspace_bytes;
  size_t largest_workspace; /* the most any call so far needed */
  attune_arena arena;
  int64_t (*descriptors)[3 + 2 * ATTUNE_MAX_RANK];
  void **arguments;
  size_t num_arguments; /* room in descriptors and arguments */
} attune_run_memory;

/* Room for `bytes` of workspace and `arguments` descriptors; ATTUNE_ERROR_OUT_OF_MEMORY if it
 * cannot be had (the memory held stays as it was). */
attune_status attune_run_memory_reserve(attune_run_memory *memory, size_t bytes,
                                        size_t arguments);
void attune_run_memory_release(attune_run_memory *memory);
/* The most bytes of intermediates any call so far needed (its workspace and the arena's peak),
 * and the bytes held. */
void attune_run_memory_usage(const attune_run_memory *memory, size_t *peak, size_t *reserved);

/* The most arguments (the workspace included) any entry point of `model` takes. */
size_t attune_model_max_arguments(const attune_model *model);

/* Runs entry point `entry` (NULL: the default one) of `model` in `memory`, which no other run
 * may use meanwhile (model.c); the workspace grows first if these shapes need more.
 * `states`: a step's KV cache. */
attune_status attune_model_execute(attune_model *model, attune_run_memory *memory,
                                   const char *entry, const attune_tensor *inputs,
                                   size_t num_inputs, const attune_tensor *states,
                                   size_t num_states, attune_tensor *outputs, size_t num_outputs);

/* The dims a KV cache is sized by (ir/Abi.h): the batch rows and the tokens each holds. */
#define ATTUNE_BATCH_DIM "batch"
#define ATTUNE_CACHE_DIM "cache"
/* The step input that counts each row's cached tokens (abi::kPastLengths). */
#define ATTUNE_PAST_LENGTHS "past_lengths"

/* The KV-cached step of an entry point: its name, its token input (and the symbol of its
 * length), how many state tensors. */
typedef struct attune_step_info {
  const char *name;
  const char *tokens;
  const char *token_dim;
  size_t num_states;
  /* Its context entry (the keys and values of attentions over another input, written once
   * per sequence into a subset of its states), or NULL. */
  const char *context;
  size_t num_context_states;
} attune_step_info;
attune_status attune_model_find_step(const attune_model *model, const char *entry,
                                     attune_step_info *out);
/* State `index` of entry `step`, its shape with `batch` rows of `capacity` tokens (a dim an
 * input sizes, such as a context length, at its bound); `dims` (if not NULL) gets each dim's
 * symbol, NULL where static. */
attune_status attune_model_step_state(const attune_model *model, const char *step, size_t index,
                                      int64_t batch, int64_t capacity, attune_tensor *out,
                                      const char **dims);
/* The size the given inputs of `entry` bind its symbolic dim `symbol` to. */
attune_status attune_model_input_dim(const attune_model *model, const char *entry,
                                     const attune_tensor *inputs, size_t num_inputs,
                                     const char *symbol, int64_t *value);

/* MLIR's generic allocation functions, which generated code calls. */
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *pointer);

/* One mapped and checked safetensors file (safetensors.c); attune_safetensors, what the API
 * hands out, is a set of them (safetensors_set.c). Entries are indexed in header order. */
typedef struct safetensors_file safetensors_file;
attune_status safetensors_file_open(const char *path, safetensors_file **out);
void safetensors_file_close(safetensors_file *file);
size_t safetensors_file_count(const safetensors_file *file);
const char *safetensors_file_path(const safetensors_file *file);
const char *safetensors_file_name(const safetensors_file *file, size_t index);
/* Entry `index` as a tensor; fails for a dtype attune does not read. */
attune_status safetensors_file_get(const safetensors_file *file, size_t index,
                                   attune_tensor *tensor);

/* Minimal JSON reader used for safetensors headers: a cursor over [p, end). */
typedef struct json_cursor {
  const char *p;
  const char *end;
  const char *start;
} json_cursor;

void json_skip_space(json_cursor *c);
bool json_consume(json_cursor *c, char expected);
/* A string, unescaped into a malloc'd buffer (NULL on malformed input). */
char *json_parse_string(json_cursor *c);
bool json_parse_u64(json_cursor *c, uint64_t *value);
/* Skips any JSON value (used for __metadata__ and unknown fields). */
bool json_skip_value(json_cursor *c, int depth);

/* Runs fn(ctx, b, e) over sub-ranges covering [begin, end) on the thread pool and returns
 * when all have finished (parallel.c). Called by generated code; never fails: without
 * threads, it runs the whole range on the calling thread. */
typedef void (*attune_task_fn)(void *ctx, int64_t begin, int64_t end);
void attune_parallel_for(attune_task_fn fn, void *ctx, int64_t begin, int64_t end);
/* At most `threads` threads (the caller included; 0: all of the pool's) run the kernels this
 * thread starts from now on; returns the previous limit (parallel.c). */
int attune_parallel_limit(int threads);

/* A weight W ([k][n], or [n][k] when `transposed`), its elements of dtype `source` (F32 or
 * BF16), packed into the panels of attune.packed_matmul, `width` columns each, of dtype
 * `panels` (F32, or BF16: f32 elements rounded to nearest even, BF16 ones copied), in a new
 * 64-byte aligned buffer (free()); `pairs` (BF16 panels, k even): in k pairs,
 * [P][k/2][width][2]. When `release` (W is the file's mapping), the file's pages of W are
 * released. NULL when out of memory (pack.c). */
void *attune_pack_panels(const void *weight, attune_dtype source, int64_t k, int64_t n,
                         int64_t width, bool transposed, attune_dtype panels, bool pairs,
                         bool release);
/* A weight W of f32 ([k][n], or [n][k] when `transposed`) quantized to int8 panels of `width`
 * columns (the layout of attune_pack_panels) and one f32 scale per column, [P·width] (1 past
 * the last column), both new 64-byte aligned buffers (free()); when `release`, the file's
 * pages of W are released. False when out of memory (quantize.c). */
bool attune_quantize_panels(const void *weight, int64_t k, int64_t n, int64_t width,
                            bool transposed, bool release, int8_t **panels, float **scales);
/* f32 to bfloat16 bits, rounded to nearest even; a NaN stays a NaN (convert.c). */
uint16_t attune_f32_to_bf16(float value);

/* `count` F16 or BF16 elements at `data` (not necessarily aligned) converted into a new
 * 64-byte aligned f32 buffer (free()), the file's pages of the source released; NULL when out
 * of memory (convert.c). */
float *attune_convert_to_f32(const void *data, attune_dtype dtype, size_t count);

/* Drops the pages wholly inside [data, data + bytes) of a file mapping from this process's
 * memory; the mapping stays valid, a later read faults a page back in from the file. */
void attune_release_pages(const void *data, size_t bytes);

/* A model's kernel table and, while profiling, what each kernel took (profile.c). */
typedef struct attune_kernel_info {
  char *name;     /* "matmul k768 n3072" */
  char *fused;    /* "bias, gelu_tanh" or "" */
  char *location; /* where the description asked for it */
} attune_kernel_info;

typedef struct attune_kernel_counters {
  int64_t calls;
  int64_t nanoseconds;
  int64_t flops;
  int64_t bytes;
} attune_kernel_counters;

typedef struct attune_profile {
  attune_kernel_info *kernels; /* by id, from the manifest */
  size_t num_kernels;
  bool enabled;
  attune_kernel_counters *counters; /* by id, while enabled */
  int64_t runs;
  int64_t run_nanoseconds; /* wall time of the profiled runs, summed over concurrent ones */
} attune_profile;

/* Adds a manifest `kernel` declaration, "NAME | FUSED | LOCATION"; false if malformed or out
 * of memory. */
bool attune_profile_add_kernel(attune_profile *profile, const char *declaration);
/* Turns profiling on (counters reset) or off; false if out of memory. */
bool attune_profile_enable(attune_profile *profile, bool enabled);
/* Bracket a run on this thread: kernels between them are counted when enabled. begin returns
 * the run's start, which end takes back. */
int64_t attune_profile_begin(attune_profile *profile);
void attune_profile_end(attune_profile *profile, int64_t started);
void attune_profile_destroy(attune_profile *profile);
/* The table attune_model_print_profile prints (profile_report.c). */
attune_status attune_profile_print(const char *model_name, const attune_profile *profile,
                                   int threads, FILE *out);

/* The hooks generated code calls around each kernel (abi::kKernelStart / kKernelStop). */
int64_t attune_kernel_start(void);
void attune_kernel_stop(int64_t start, int64_t id, int64_t flops, int64_t bytes);

/* The roofline a profile is reported against, for `threads` threads: the FMA peak and the
 * memory bandwidth, measured once per process (ATTUNE_PEAK_GFLOPS / ATTUNE_BANDWIDTH_GBS
 * override them); `measured` says whether they were (roofline.c). */
void attune_roofline(int threads, double *peak_gflops, double *bandwidth_gbs, bool *measured);
/* GFLOP/s of `threads` threads (1..256) each running independent FMA chains in registers for
 * `iterations` steps, in the widest vectors the CPU has (their lanes in `lanes`); 0 if a thread
 * cannot start. The reference every efficiency figure divides by (bench/ uses it too). */
double attune_measure_fma_peak(int threads, long iterations, int *lanes, float *checksum);

#endif /* ATTUNE_RUNTIME_INTERNAL_H */

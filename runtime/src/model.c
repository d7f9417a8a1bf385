/* Opening a compiled model (manifest + weights) and running its forward pass.
 *
 * The manifest is text the compiler embeds in the library, one declaration per line; each
 * entry point lists its arguments in the order its compiled function takes them:
 *
 *   attune-manifest 1
 *   model gpt2
 *   dim batch 4                      (a symbolic dimension and its bound)
 *   entry forward                    (entry point 0)
 *   input input_ids i32 batch seq
 *   weight transformer.wte.weight f32 512 64
 *   output logits f32 batch seq 512
 *   weight h.0.mlp.c_fc.weight f32 64 256 panels 32 kn
 *   weight h.0.mlp.c_proj.weight f32 256 64 panels 32 kn bf16   (bf16 panels: --precision=bf16)
 *   weight h.0.mlp.c_fc.weight f32 64 256 panels 64 kn i8       (int8 panels: --weights-int8,
 *   weight h.0.mlp.c_fc.weight f32 64 256 scales 64 kn           and their column scales)
 *   input token_type_ids i32 batch seq values 0 2   (each value in [0, 2): ids of a table)
 *   kernel matmul k64 n256 | bias, gelu_tanh | models/gpt2.tfm:30:9   (kernel id 0, 1, ...)
 *   entry forward_step
 *   step forward input_ids           (a KV-cached step of entry forward; its token input)
 *   state cache.0.key f32 batch 4 cache 16   (read and written in place: the session's cache)
 *   workspace batch seq              (its intermediates' bytes: entry `entries + i` computes
 *                                     them from these dims; the workspace is its last argument)
 *   entry decode_context
 *   context decode                   (writes a step's context states once per sequence)
 *
 * A weight with `panels WIDTH ORDER [bf16]` is passed packed (pack.c): the file stores it
 * [K, N] (ORDER kn) or [N, K] (nk), as the dims say; the compiled code reads [P, K, WIDTH]
 * panels, of f32 or, marked bf16, of the weight rounded to bfloat16; marked i8, of the weight
 * quantized (quantize.c), whose `scales WIDTH ORDER` argument holds each column's scale.
 * Each argument is passed to the compiled code as a memref descriptor
 * {allocated, aligned, offset, sizes[rank], strides[rank]}; the workspace (the memory plan's
 * one buffer, attune-plan-memory) as a 1-D buffer of its bytes, 64-byte aligned.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SYMBOLS 8

typedef enum role { ROLE_INPUT, ROLE_WEIGHT, ROLE_OUTPUT, ROLE_STATE } role;

typedef struct declared {
  char *name;
  role role;
  attune_dtype dtype;
  int32_t rank;
  int64_t shape[ATTUNE_MAX_RANK]; /* -1 where symbolic */
  int symbol[ATTUNE_MAX_RANK];    /* index into symbols, or -1 */
  const void *data;               /* weights: bound at open */
  int64_t panel_width;            /* packed weights: columns per panel, else 0 */
  bool transposed;                /* packed weights: the file stores [N, K] */
  attune_dtype panel_dtype;       /* packed weights: ATTUNE_F32 or ATTUNE_BF16 panels */
  bool panel_pairs;               /* bf16 panels in k pairs, [P, K/2, width, 2] ("bf16x2") */
  bool quantized;                 /* packed weights: i8 panels, or (scales) their scales */
  bool scales;                    /* the [P·width] column scales of i8 panels */
  bool has_values;                /* integer inputs of ids: each value in [values_lo, values_hi) */
  int64_t values_lo, values_hi;
} declared;

typedef struct entry_point {
  char *name;
  declared *args;
  size_t num_args;
  char *step_of; /* a decode step: the entry it steps, and its token input; else NULL */
  char *tokens;
  char *context_of; /* a step's context entry: the entry whose step it serves; else NULL */
  /* The memory plan: the entry takes a workspace after its arguments, of the bytes its size
   * function (NAME_entry number entries + index) computes from these symbols' values. */
  bool has_workspace;
  int workspace_symbols[MAX_SYMBOLS];
  int num_workspace_symbols;
} entry_point;

struct attune_model {
  char *name;
  attune_entry_fn code;
  attune_safetensors *weights;
  char *symbols[MAX_SYMBOLS];
  int64_t bounds[MAX_SYMBOLS];
  int num_symbols;
  entry_point *entries;
  size_t num_entries;
  void **owned; /* weight copies made for alignment */
  size_t num_owned;
  /* attune_model_run's memory: one run at a time (sessions have their own). */
  pthread_mutex_t run_lock;
  attune_run_memory memory;
  attune_profile profile;
  /* Held for reading by every run, for writing to turn profiling on or off or print it. */
  pthread_rwlock_t profile_lock;
  bool print_profile_at_close; /* ATTUNE_PROFILE was set at open */
};

static const char *role_name(role r) {
  return r == ROLE_INPUT ? "input" : r == ROLE_WEIGHT ? "weight" : r == ROLE_STATE ? "state"
                                                                                 : "output";
}

static attune_status bad_manifest(int line, const char *what) {
  return attune_fail(ATTUNE_ERROR_LIBRARY, "model manifest line %d: %s", line, what);
}

static bool add_entry(attune_model *model, const char *name) {
  entry_point *grown = realloc(model->entries, (model->num_entries + 1) * sizeof *grown);
  if (!grown)
    return false;
  model->entries = grown;
  entry_point *e = &model->entries[model->num_entries];
  memset(e, 0, sizeof *e);
  e->name = strdup(name);
  if (!e->name)
    return false;
  ++model->num_entries;
  return true;
}

static attune_status parse_manifest(attune_model *model, const char *manifest) {
  char *text = strdup(manifest);
  if (!text)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  attune_status status = ATTUNE_OK;
  int line_number = 0;
  char *save_line = NULL;
  for (char *line = strtok_r(text, "\n", &save_line); line && status == ATTUNE_OK;
       line = strtok_r(NULL, "\n", &save_line)) {
    ++line_number;
    char *save = NULL;
    char *keyword = strtok_r(line, " ", &save);
    if (!keyword)
      continue;
    if (line_number == 1) {
      char *version = strtok_r(NULL, " ", &save);
      if (strcmp(keyword, "attune-manifest") != 0 || !version || strcmp(version, "1") != 0)
        status = bad_manifest(line_number, "not an attune manifest of version 1");
    } else if (strcmp(keyword, "model") == 0) {
      char *name = strtok_r(NULL, " ", &save);
      free(model->name);
      model->name = name ? strdup(name) : NULL;
      if (!model->name)
        status = bad_manifest(line_number, "model needs a name");
    } else if (strcmp(keyword, "dim") == 0) {
      char *name = strtok_r(NULL, " ", &save), *bound = strtok_r(NULL, " ", &save);
      if (!name || !bound || model->num_symbols == MAX_SYMBOLS)
        status = bad_manifest(line_number, "dim needs a name and a bound");
      else {
        model->symbols[model->num_symbols] = strdup(name);
        model->bounds[model->num_symbols++] = strtoll(bound, NULL, 10);
      }
    } else if (strcmp(keyword, "kernel") == 0) {
      /* The rest of the line: NAME | FUSED | LOCATION (profile.c). */
      if (!save || !attune_profile_add_kernel(&model->profile, save))
        status = bad_manifest(line_number, "kernel needs NAME | FUSED | LOCATION");
    } else if (strcmp(keyword, "entry") == 0) {
      char *name = strtok_r(NULL, " ", &save);
      if (!name || !add_entry(model, name))
        status = bad_manifest(line_number, "entry needs a name");
    } else if (strcmp(keyword, "step") == 0) {
      char *of = strtok_r(NULL, " ", &save), *tokens = strtok_r(NULL, " ", &save);
      entry_point *e = model->num_entries ? &model->entries[model->num_entries - 1] : NULL;
      if (!of || !tokens || !e || e->step_of)
        status = bad_manifest(line_number, "step needs an entry, the one it steps and its tokens");
      else if (!(e->step_of = strdup(of)) || !(e->tokens = strdup(tokens)))
        status = attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
    } else if (strcmp(keyword, "context") == 0) {
      char *of = strtok_r(NULL, " ", &save);
      entry_point *e = model->num_entries ? &model->entries[model->num_entries - 1] : NULL;
      if (!of || !e || e->context_of)
        status = bad_manifest(line_number, "context needs an entry and the one it serves");
      else if (!(e->context_of = strdup(of)))
        status = attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
    } else if (strcmp(keyword, "workspace") == 0) {
      entry_point *e = model->num_entries ? &model->entries[model->num_entries - 1] : NULL;
      if (!e || e->has_workspace) {
        status = bad_manifest(line_number, "workspace needs an entry");
        break;
      }
      e->has_workspace = true;
      for (char *dim = strtok_r(NULL, " ", &save); dim && status == ATTUNE_OK;
           dim = strtok_r(NULL, " ", &save)) {
        int found = -1;
        for (int s = 0; s < model->num_symbols; ++s)
          if (strcmp(model->symbols[s], dim) == 0)
            found = s;
        if (found < 0 || e->num_workspace_symbols == MAX_SYMBOLS)
          status = bad_manifest(line_number, "workspace of an unknown symbolic dimension");
        else
          e->workspace_symbols[e->num_workspace_symbols++] = found;
      }
    } else if (!strcmp(keyword, "input") || !strcmp(keyword, "weight") ||
               !strcmp(keyword, "output") || !strcmp(keyword, "state")) {
      /* Declarations before any entry line belong to "forward". */
      if (!model->num_entries && !add_entry(model, "forward")) {
        status = attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
        break;
      }
      entry_point *e = &model->entries[model->num_entries - 1];
      declared *grown = realloc(e->args, (e->num_args + 1) * sizeof *grown);
      if (!grown) {
        status = attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
        break;
      }
      e->args = grown;
      declared *d = &e->args[e->num_args++];
      memset(d, 0, sizeof *d);
      d->role = keyword[0] == 'i'   ? ROLE_INPUT
                : keyword[0] == 'w' ? ROLE_WEIGHT
                : keyword[0] == 's' ? ROLE_STATE
                                    : ROLE_OUTPUT;
      char *name = strtok_r(NULL, " ", &save), *dtype = strtok_r(NULL, " ", &save);
      if (!name || !dtype) {
        status = bad_manifest(line_number, "declaration needs a name and a dtype");
        break;
      }
      d->name = strdup(name);
      if (!strcmp(dtype, "f32"))
        d->dtype = ATTUNE_F32;
      else if (!strcmp(dtype, "i32"))
        d->dtype = ATTUNE_I32;
      else if (!strcmp(dtype, "i64"))
        d->dtype = ATTUNE_I64;
      else {
        status = bad_manifest(line_number, "unknown dtype");
        break;
      }
      for (char *dim = strtok_r(NULL, " ", &save); dim; dim = strtok_r(NULL, " ", &save)) {
        if (!strcmp(dim, "values")) {
          char *lo = strtok_r(NULL, " ", &save), *hi = strtok_r(NULL, " ", &save);
          if (d->role != ROLE_INPUT || d->dtype == ATTUNE_F32 || !lo || !hi ||
              strtoll(lo, NULL, 10) >= strtoll(hi, NULL, 10)) {
            status = bad_manifest(line_number, "values need an integer input and LO < HI");
            break;
          }
          d->has_values = true;
          d->values_lo = strtoll(lo, NULL, 10);
          d->values_hi = strtoll(hi, NULL, 10);
          break;
        }
        if (!strcmp(dim, "panels") || !strcmp(dim, "scales")) {
          char *width = strtok_r(NULL, " ", &save), *order = strtok_r(NULL, " ", &save);
          char *type = strtok_r(NULL, " ", &save);
          d->scales = !strcmp(dim, "scales");
          if (d->role != ROLE_WEIGHT || d->rank != 2 || !width || !order ||
              (strcmp(order, "kn") && strcmp(order, "nk")) || strtoll(width, NULL, 10) < 1 ||
              (type && (d->scales ||
                        (strcmp(type, "bf16") && strcmp(type, "bf16x2") && strcmp(type, "i8")))) ||
              (type && !strcmp(type, "bf16x2") && d->shape[!strcmp(order, "nk")] % 2)) {
            status = bad_manifest(line_number, "panels need a 2-D weight, a width, kn|nk and "
                                               "optionally bf16, bf16x2 (an even K) or i8 "
                                               "(scales no dtype)");
            break;
          }
          d->panel_width = strtoll(width, NULL, 10);
          d->transposed = !strcmp(order, "nk");
          d->panel_pairs = type && !strcmp(type, "bf16x2");
          d->panel_dtype = type && !strncmp(type, "bf16", 4) ? ATTUNE_BF16 : ATTUNE_F32;
          d->quantized = d->scales || (type && !strcmp(type, "i8"));
          break;
        }
        if (d->rank == ATTUNE_MAX_RANK) {
          status = bad_manifest(line_number, "rank above ATTUNE_MAX_RANK");
          break;
        }
        d->symbol[d->rank] = -1;
        d->shape[d->rank] = -1;
        if (dim[0] >= '0' && dim[0] <= '9') {
          d->shape[d->rank] = strtoll(dim, NULL, 10);
        } else {
          for (int s = 0; s < model->num_symbols; ++s)
            if (strcmp(model->symbols[s], dim) == 0)
              d->symbol[d->rank] = s;
          if (d->symbol[d->rank] < 0)
            status = bad_manifest(line_number, "unknown symbolic dimension");
        }
        ++d->rank;
      }
    }
  }
  free(text);
  if (status == ATTUNE_OK && !model->name)
    status = bad_manifest(line_number, "no model line");
  if (status == ATTUNE_OK && !model->num_entries)
    status = bad_manifest(line_number, "no entry point");
  return status;
}

/* Keeps `buffer` until the model closes. */
static bool own(attune_model *model, void *buffer) {
  void **grown = realloc(model->owned, (model->num_owned + 1) * sizeof *grown);
  if (!grown)
    return false;
  model->owned = grown;
  model->owned[model->num_owned++] = buffer;
  return true;
}

/* The panels another argument of the same weight already has, at d's width and order. */
static const void *shared_panels(const attune_model *model, const declared *d) {
  for (size_t e = 0; e < model->num_entries; ++e)
    for (size_t i = 0; i < model->entries[e].num_args; ++i) {
      const declared *other = &model->entries[e].args[i];
      if (other != d && other->data && other->panel_width == d->panel_width &&
          other->transposed == d->transposed && other->panel_dtype == d->panel_dtype &&
          other->panel_pairs == d->panel_pairs && other->quantized == d->quantized &&
          other->scales == d->scales && !strcmp(other->name, d->name))
        return other->data;
    }
  return NULL;
}

/* The other half of a quantized weight: its scales for its panels, or its panels for its
 * scales (the same name, width and order); NULL if the model has none. */
static declared *quantized_partner(attune_model *model, const declared *d) {
  for (size_t e = 0; e < model->num_entries; ++e)
    for (size_t i = 0; i < model->entries[e].num_args; ++i) {
      declared *other = &model->entries[e].args[i];
      if (other->quantized && other->scales != d->scales && other->panel_width == d->panel_width &&
          other->transposed == d->transposed && !strcmp(other->name, d->name))
        return other;
    }
  return NULL;
}

/* Binds a weight quantized to int8 panels, from f32 `source` ([k, n] or [n, k]): `d` and its
 * partner (panels and scales) at once. */
static attune_status bind_quantized(attune_model *model, declared *d, const void *source, int64_t k,
                                    int64_t n, bool from_file) {
  int8_t *panels;
  float *scales;
  bool made = attune_quantize_panels(source, k, n, d->panel_width, d->transposed, from_file,
                                     &panels, &scales);
  if (made && !own(model, panels)) {
    free(panels);
    free(scales);
    made = false;
  } else if (made && !own(model, scales)) {
    free(scales);
    made = false;
  }
  if (!made)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory quantizing weight '%s'", d->name);
  declared *partner = quantized_partner(model, d);
  d->data = d->scales ? (void *)scales : (void *)panels;
  if (partner)
    partner->data = partner->scales ? (void *)scales : (void *)panels;
  return ATTUNE_OK;
}

/* Binds a packed weight to new panels, from the file's mapping (whose pages are then
 * released; F32, or BF16 for bf16 panels) or from an f32 conversion. */
static attune_status bind_packed(attune_model *model, declared *d, const void *source,
                                 attune_dtype source_dtype, bool from_file) {
  int64_t k = d->shape[d->transposed ? 1 : 0], n = d->shape[d->transposed ? 0 : 1];
  if (d->quantized)
    return bind_quantized(model, d, source, k, n, from_file);
  void *panels = attune_pack_panels(source, source_dtype, k, n, d->panel_width, d->transposed,
                                    d->panel_dtype, d->panel_pairs, from_file);
  if (!panels || !own(model, panels)) {
    free(panels);
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory packing weight '%s'",
                       d->name);
  }
  d->data = panels;
  return ATTUNE_OK;
}

/* Whether `other` reads weight `name` unpacked (as stored, not in panels). */
static bool reads_unpacked(const declared *other, const char *name) {
  return other->role == ROLE_WEIGHT && !other->panel_width && !strcmp(other->name, name);
}

/* The first argument that reads weight `name` unpacked; NULL if none does. */
static declared *unpacked_reader(attune_model *model, const char *name) {
  for (size_t e = 0; e < model->num_entries; ++e)
    for (size_t i = 0; i < model->entries[e].num_args; ++i)
      if (reads_unpacked(&model->entries[e].args[i], name))
        return &model->entries[e].args[i];
  return NULL;
}

/* Binds a weight the file holds in F16 or BF16 to its f32 conversion, made once: every
 * argument that reads the weight unpacked gets the same copy (kept until the model closes);
 * panels that need it (from F16, or quantized) are packed from it (a copy no unpacked
 * argument reads is freed once packed). */
static attune_status bind_converted(attune_model *model, declared *d, const attune_tensor *found) {
  if (d->data)
    return ATTUNE_OK; /* an unpacked argument an earlier conversion bound */
  /* Unpacked readers bound already (before the panels, which come later in an entry) hold
   * the conversion: the panels are packed from it. */
  declared *reader = unpacked_reader(model, d->name);
  if (reader && reader->data)
    return bind_packed(model, d, reader->data, ATTUNE_F32, /*from_file=*/false);
  size_t count = 1;
  for (int32_t i = 0; i < found->rank; ++i)
    count *= (size_t)found->shape[i];
  float *f32 = attune_convert_to_f32(found->data, found->dtype, count);
  bool keep = f32 && reader;
  if (!f32 || (keep && !own(model, f32))) {
    free(f32);
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory converting weight '%s'", d->name);
  }
  for (size_t e = 0; keep && e < model->num_entries; ++e)
    for (size_t i = 0; i < model->entries[e].num_args; ++i)
      if (reads_unpacked(&model->entries[e].args[i], d->name))
        model->entries[e].args[i].data = f32;
  if (!d->panel_width)
    return ATTUNE_OK;
  attune_status status = bind_packed(model, d, f32, ATTUNE_F32, /*from_file=*/false);
  if (!keep)
    free(f32);
  return status;
}

/* Checks one weight against the file and binds its data: the file's f32 bytes in place (a
 * copy when misaligned), panels packed from the file (F32, or BF16 into bf16 panels), or an
 * f32 conversion of F16 and BF16. */
static attune_status bind_weight(attune_model *model, const char *weights_path, declared *d) {
  attune_tensor found;
  attune_status status = attune_safetensors_find(model->weights, d->name, &found);
  if (status != ATTUNE_OK)
    return status;
  status = attune_check_weight(&found, weights_path, d->name, d->rank, d->shape);
  if (status != ATTUNE_OK)
    return status;
  if (d->panel_width && d->data)
    return ATTUNE_OK; /* quantized: bound with the other half of the weight */
  if (d->panel_width && (d->data = shared_panels(model, d)))
    return ATTUNE_OK;
  /* Panels come straight from an F32 or BF16 file (pack.c widens or rounds as it copies);
   * F16, and quantization, start from an f32 conversion. */
  if (d->panel_width &&
      (found.dtype == ATTUNE_F32 || (found.dtype == ATTUNE_BF16 && !d->quantized)))
    return bind_packed(model, d, found.data, found.dtype, /*from_file=*/true);
  if (found.dtype != ATTUNE_F32)
    return bind_converted(model, d, &found);
  d->data = found.data;
  if ((uintptr_t)found.data % sizeof(float) != 0) {
    /* Offsets in the file need not be aligned; compiled code expects aligned floats. */
    size_t bytes = sizeof(float);
    for (int32_t i = 0; i < d->rank; ++i)
      bytes *= (size_t)d->shape[i];
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy || !own(model, copy)) {
      free(copy);
      return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory copying weight '%s'",
                         d->name);
    }
    memcpy(copy, found.data, bytes);
    d->data = copy;
  }
  return ATTUNE_OK;
}

void attune_model_close(attune_model *model) {
  if (!model)
    return;
  if (model->print_profile_at_close && model->profile.runs)
    attune_profile_print(model->name, &model->profile, attune_get_num_threads(), stderr);
  for (size_t e = 0; e < model->num_entries; ++e) {
    for (size_t i = 0; i < model->entries[e].num_args; ++i)
      free(model->entries[e].args[i].name);
    free(model->entries[e].args);
    free(model->entries[e].name);
    free(model->entries[e].step_of);
    free(model->entries[e].tokens);
    free(model->entries[e].context_of);
  }
  free(model->entries);
  for (size_t i = 0; i < model->num_owned; ++i)
    free(model->owned[i]);
  for (int s = 0; s < model->num_symbols; ++s)
    free(model->symbols[s]);
  free(model->owned);
  free(model->name);
  attune_safetensors_close(model->weights);
  attune_profile_destroy(&model->profile);
  attune_run_memory_release(&model->memory);
  pthread_mutex_destroy(&model->run_lock);
  pthread_rwlock_destroy(&model->profile_lock);
  free(model);
}

attune_status attune_model_open(const char *manifest, attune_entry_fn entry,
                                const char *weights_path, attune_model **out) {
  if (out)
    *out = NULL;
  if (!manifest || !entry || !weights_path || !out)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_open: null argument");
  attune_clear_error();
  attune_model *model = calloc(1, sizeof *model);
  if (!model)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  model->code = entry;
  pthread_mutex_init(&model->run_lock, NULL);
  pthread_rwlock_init(&model->profile_lock, NULL);
  int threads;
  attune_status status = attune_environment_threads(&threads);
  if (status == ATTUNE_OK)
    status = parse_manifest(model, manifest);
  if (status == ATTUNE_OK)
    status = attune_safetensors_open(weights_path, &model->weights);
  for (size_t e = 0; status == ATTUNE_OK && e < model->num_entries; ++e)
    for (size_t i = 0; status == ATTUNE_OK && i < model->entries[e].num_args; ++i)
      if (model->entries[e].args[i].role == ROLE_WEIGHT)
        status = bind_weight(model, weights_path, &model->entries[e].args[i]);
  const char *profile = getenv("ATTUNE_PROFILE");
  if (status == ATTUNE_OK && profile && *profile && strcmp(profile, "0") != 0) {
    if (!attune_profile_enable(&model->profile, true))
      status = attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
    model->print_profile_at_close = true;
  }
  if (status != ATTUNE_OK) {
    attune_model_close(model);
    return status;
  }
  *out = model;
  return ATTUNE_OK;
}

/* The entry point named `name` (NULL: "forward" if present, else the first); NULL if none. */
static const entry_point *find_entry(const attune_model *model, const char *name) {
  if (!model)
    return NULL;
  const char *wanted = name ? name : "forward";
  for (size_t e = 0; e < model->num_entries; ++e)
    if (strcmp(model->entries[e].name, wanted) == 0)
      return &model->entries[e];
  return name ? NULL : &model->entries[0];
}

static attune_status no_entry(const attune_model *model, const char *name) {
  if (!model)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "null model");
  char names[256] = "";
  size_t used = 0;
  for (size_t e = 0; e < model->num_entries && used < sizeof names; ++e)
    used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", e ? ", " : "",
                             model->entries[e].name);
  return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "model %s has no entry point '%s' (it has: %s)",
                     model->name, name ? name : "(default)", names);
}

size_t attune_model_num_entries(const attune_model *model) {
  return model ? model->num_entries : 0;
}

const char *attune_model_entry_name(const attune_model *model, size_t index) {
  return model && index < model->num_entries ? model->entries[index].name : NULL;
}

/* The index-th declaration of role `r` of `entry`, or NULL. */
static const declared *nth_of_role(const entry_point *entry, role r, size_t index) {
  for (size_t i = 0; i < entry->num_args; ++i)
    if (entry->args[i].role == r && index-- == 0)
      return &entry->args[i];
  return NULL;
}

static attune_status nth_declared(const entry_point *entry, role r, size_t index,
                                  attune_tensor *info) {
  if (!info)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "null argument");
  const declared *d = nth_of_role(entry, r, index);
  if (!d)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "entry point %s has no %s #%zu",
                       entry->name, role_name(r), index);
  info->name = d->name;
  info->dtype = d->dtype;
  info->rank = d->rank;
  memcpy(info->shape, d->shape, sizeof d->shape);
  info->data = NULL;
  return ATTUNE_OK;
}

static size_t count_role(const entry_point *entry, role r) {
  size_t n = 0;
  for (size_t i = 0; entry && i < entry->num_args; ++i)
    n += entry->args[i].role == r;
  return n;
}

size_t attune_model_entry_num_inputs(const attune_model *model, const char *entry) {
  return count_role(find_entry(model, entry), ROLE_INPUT);
}
size_t attune_model_entry_num_outputs(const attune_model *model, const char *entry) {
  return count_role(find_entry(model, entry), ROLE_OUTPUT);
}
attune_status attune_model_entry_input(const attune_model *model, const char *entry,
                                       size_t index, attune_tensor *info) {
  const entry_point *e = find_entry(model, entry);
  return e ? nth_declared(e, ROLE_INPUT, index, info) : no_entry(model, entry);
}
attune_status attune_model_entry_output(const attune_model *model, const char *entry,
                                        size_t index, attune_tensor *info) {
  const entry_point *e = find_entry(model, entry);
  return e ? nth_declared(e, ROLE_OUTPUT, index, info) : no_entry(model, entry);
}
size_t attune_model_num_inputs(const attune_model *model) {
  return attune_model_entry_num_inputs(model, NULL);
}
size_t attune_model_num_outputs(const attune_model *model) {
  return attune_model_entry_num_outputs(model, NULL);
}
attune_status attune_model_input(const attune_model *model, size_t index, attune_tensor *info) {
  return attune_model_entry_input(model, NULL, index, info);
}
attune_status attune_model_output(const attune_model *model, size_t index, attune_tensor *info) {
  return attune_model_entry_output(model, NULL, index, info);
}

attune_status attune_model_dim_bound(const attune_model *model, const char *symbol,
                                     int64_t *bound) {
  if (!model || !symbol || !bound)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_dim_bound: null argument");
  for (int s = 0; s < model->num_symbols; ++s)
    if (strcmp(model->symbols[s], symbol) == 0) {
      *bound = model->bounds[s];
      return ATTUNE_OK;
    }
  return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "model %s has no dimension named '%s'",
                     model->name, symbol);
}

static const attune_tensor *find_given(const attune_tensor *given, size_t count,
                                       const char *name) {
  for (size_t i = 0; i < count; ++i)
    if (given[i].name && strcmp(given[i].name, name) == 0)
      return &given[i];
  return NULL;
}

/* Whether every value of input `t` (shaped as `d`) is in d's range; else fails naming the
 * first one outside it, its position and the range. The compiled code would clamp such an id
 * to the table and run on, silently answering for another token. */
static attune_status check_values(const declared *d, const attune_tensor *t) {
  int64_t count = 1;
  for (int32_t k = 0; k < t->rank; ++k)
    count *= t->shape[k];
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = t->dtype == ATTUNE_I64 ? ((const int64_t *)t->data)[i]
                                       : ((const int32_t *)t->data)[i];
    if (v >= d->values_lo && v < d->values_hi)
      continue;
    int64_t at[ATTUNE_MAX_RANK], flat = i;
    for (int32_t k = t->rank - 1; k >= 0; --k) {
      at[k] = flat % t->shape[k];
      flat /= t->shape[k];
    }
    char where[128];
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "input '%s' holds %lld at %s; its values must be in [%lld, %lld) (ids of "
                       "a table of %lld rows)",
                       d->name, (long long)v, attune_format_shape(where, sizeof where, at, t->rank),
                       (long long)d->values_lo, (long long)d->values_hi,
                       (long long)(d->values_hi - d->values_lo));
  }
  return ATTUNE_OK;
}

/* Checks that every given tensor is declared with `r` and matches, binding symbolic dims. */
static attune_status match_tensors(const attune_model *model, const entry_point *entry, role r,
                                   const attune_tensor *given, size_t count, int64_t *values,
                                   bool bind) {
  if (count && !given)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "null %s array", role_name(r));
  for (size_t i = 0; i < count; ++i) {
    if (!given[i].name)
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s #%zu has no name", role_name(r), i);
    const declared *d = NULL;
    for (size_t a = 0; a < entry->num_args && !d; ++a)
      if (entry->args[a].role == r && strcmp(entry->args[a].name, given[i].name) == 0)
        d = &entry->args[a];
    if (!d) {
      if (model->num_entries > 1)
        return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                           "entry point %s of model %s has no %s named '%s'", entry->name,
                           model->name, role_name(r), given[i].name);
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "model %s has no %s named '%s'",
                         model->name, role_name(r), given[i].name);
    }
    if (find_given(given, i, given[i].name))
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s '%s' given twice", role_name(r),
                         d->name);
  }
  for (size_t a = 0; a < entry->num_args; ++a) {
    const declared *d = &entry->args[a];
    if (d->role != r)
      continue;
    const attune_tensor *t = find_given(given, count, d->name);
    if (!t)
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s '%s' is missing", role_name(r),
                         d->name);
    if (bind && !t->data)
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s '%s' has a null data pointer",
                         role_name(r), d->name);
    if (t->dtype != d->dtype)
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s '%s' must be %s, got %s", role_name(r),
                         d->name, attune_dtype_text(d->dtype), attune_dtype_text(t->dtype));
    if (t->rank < 0 || t->rank > ATTUNE_MAX_RANK)
      return attune_fail(ATTUNE_ERROR_SHAPE, "%s '%s' has rank %d, outside [0, %d]; it must be %d",
                         role_name(r), d->name, (int)t->rank, ATTUNE_MAX_RANK, (int)d->rank);
    bool ok = t->rank == d->rank;
    for (int32_t k = 0; ok && k < d->rank; ++k) {
      int s = d->symbol[k];
      if (s < 0) {
        ok = t->shape[k] == d->shape[k];
      } else if ((r == ROLE_INPUT || r == ROLE_STATE) && values[s] < 0) {
        if (t->shape[k] < 1 || t->shape[k] > model->bounds[s])
          return attune_fail(ATTUNE_ERROR_SHAPE,
                             "%s '%s' dim %d (%s) is %lld; it must be in [1, %lld], the bound "
                             "this library was built for",
                             role_name(r), d->name, k, model->symbols[s],
                             (long long)t->shape[k], (long long)model->bounds[s]);
        values[s] = t->shape[k];
      } else {
        ok = t->shape[k] == values[s];
      }
    }
    if (!ok) {
      int64_t expected[ATTUNE_MAX_RANK];
      for (int32_t k = 0; k < d->rank; ++k)
        expected[k] = d->symbol[k] >= 0 ? values[d->symbol[k]] : d->shape[k];
      char want[128], got[128];
      return attune_fail(ATTUNE_ERROR_SHAPE, "%s '%s' must have shape %s, got %s", role_name(r),
                         d->name, attune_format_shape(want, sizeof want, expected, d->rank),
                         attune_format_shape(got, sizeof got, t->shape, t->rank));
    }
    if (bind && d->has_values) {
      attune_status status = check_values(d, t);
      if (status != ATTUNE_OK)
        return status;
    }
  }
  return ATTUNE_OK;
}

/* Finds the entry point and matches the inputs against it, binding the symbolic dims into
 * `values` (-1 where unbound). */
static attune_status bind_inputs(const attune_model *model, const char *entry,
                                 const attune_tensor *inputs, size_t num_inputs, bool need_data,
                                 const entry_point **found, int64_t *values) {
  *found = find_entry(model, entry);
  if (!*found)
    return no_entry(model, entry);
  for (int s = 0; s < MAX_SYMBOLS; ++s)
    values[s] = -1;
  return match_tensors(model, *found, ROLE_INPUT, inputs, num_inputs, values, need_data);
}

attune_status attune_model_entry_output_shapes(const attune_model *model, const char *entry,
                                               const attune_tensor *inputs, size_t num_inputs,
                                               attune_tensor *outputs, size_t num_outputs) {
  if (!model || (num_outputs && !outputs))
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_output_shapes: null argument");
  const entry_point *e = NULL;
  int64_t values[MAX_SYMBOLS];
  attune_status status = bind_inputs(model, entry, inputs, num_inputs, false, &e, values);
  if (status != ATTUNE_OK)
    return status;
  for (size_t i = 0; i < num_outputs; ++i) {
    const declared *d = NULL;
    for (size_t a = 0; a < e->num_args && !d; ++a)
      if (e->args[a].role == ROLE_OUTPUT && outputs[i].name &&
          strcmp(e->args[a].name, outputs[i].name) == 0)
        d = &e->args[a];
    if (!d)
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "model %s has no output named '%s'",
                         model->name, outputs[i].name ? outputs[i].name : "(null)");
    outputs[i].dtype = d->dtype;
    outputs[i].rank = d->rank;
    for (int32_t k = 0; k < d->rank; ++k)
      outputs[i].shape[k] = d->symbol[k] >= 0 ? values[d->symbol[k]] : d->shape[k];
  }
  return ATTUNE_OK;
}

attune_status attune_model_output_shapes(const attune_model *model, const attune_tensor *inputs,
                                         size_t num_inputs, attune_tensor *outputs,
                                         size_t num_outputs) {
  return attune_model_entry_output_shapes(model, NULL, inputs, num_inputs, outputs, num_outputs);
}

/* The bytes entry `e`'s workspace needs with its symbolic dims at `values` (one per model
 * symbol): its size function, a closed form of those dims compiled into the library. */
static attune_status workspace_bytes(const attune_model *model, const entry_point *e,
                                     const int64_t *values, size_t *bytes) {
  *bytes = 0;
  if (!e->has_workspace)
    return ATTUNE_OK;
  int64_t dims[MAX_SYMBOLS] = {0};
  for (int i = 0; i < e->num_workspace_symbols; ++i) {
    dims[i] = values[e->workspace_symbols[i]];
    if (dims[i] < 1)
      return attune_fail(ATTUNE_ERROR_LIBRARY,
                         "entry point %s: the workspace depends on dim '%s', which no argument "
                         "of the call binds",
                         e->name, model->symbols[e->workspace_symbols[i]]);
  }
  int64_t result = 0;
  int64_t dims_descriptor[5] = {(int64_t)(intptr_t)dims, (int64_t)(intptr_t)dims, 0,
                                e->num_workspace_symbols, 1};
  int64_t result_descriptor[5] = {(int64_t)(intptr_t)&result, (int64_t)(intptr_t)&result, 0, 1,
                                  1};
  void *arguments[2] = {dims_descriptor, result_descriptor};
  model->code((int32_t)(model->num_entries + (size_t)(e - model->entries)), arguments);
  if (result < 0)
    return attune_fail(ATTUNE_ERROR_LIBRARY, "entry point %s: a workspace of %lld bytes",
                       e->name, (long long)result);
  *bytes = (size_t)result;
  return ATTUNE_OK;
}

size_t attune_model_max_arguments(const attune_model *model) {
  size_t most = 0;
  for (size_t i = 0; i < model->num_entries; ++i) {
    size_t count = model->entries[i].num_args + (model->entries[i].has_workspace ? 1 : 0);
    most = count > most ? count : most;
  }
  return most;
}

attune_status attune_model_workspace_bytes(const attune_model *model, const char *entry,
                                           const attune_dim *dims, size_t num_dims,
                                           size_t *bytes) {
  if (!model || !bytes || (num_dims && !dims))
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_model_workspace_bytes: null argument");
  const entry_point *e = find_entry(model, entry);
  if (!e)
    return no_entry(model, entry);
  int64_t values[MAX_SYMBOLS];
  for (int s = 0; s < model->num_symbols; ++s)
    values[s] = model->bounds[s];
  for (size_t i = 0; i < num_dims; ++i) {
    int s = 0;
    while (s < model->num_symbols && (!dims[i].name || strcmp(model->symbols[s], dims[i].name)))
      ++s;
    if (s == model->num_symbols)
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "model %s has no dimension named '%s'",
                         model->name, dims[i].name ? dims[i].name : "(null)");
    if (dims[i].size < 1 || dims[i].size > model->bounds[s])
      return attune_fail(ATTUNE_ERROR_SHAPE,
                         "dim %s is %lld; it must be in [1, %lld], the bound this library was "
                         "built for",
                         model->symbols[s], (long long)dims[i].size, (long long)model->bounds[s]);
    values[s] = dims[i].size;
  }
  return workspace_bytes(model, e, values, bytes);
}

attune_status attune_model_execute(attune_model *model, attune_run_memory *memory,
                                   const char *entry, const attune_tensor *inputs,
                                   size_t num_inputs, const attune_tensor *states,
                                   size_t num_states, attune_tensor *outputs,
                                   size_t num_outputs) {
  const entry_point *e = NULL;
  int64_t values[MAX_SYMBOLS];
  attune_status status = bind_inputs(model, entry, inputs, num_inputs, true, &e, values);
  if (status == ATTUNE_OK && count_role(e, ROLE_STATE) && !num_states)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "entry point %s steps %s over a KV cache that lives in a session: call "
                       "attune_session_append after attune_session_reserve_cache",
                       e->name, e->step_of ? e->step_of : "an entry");
  if (status == ATTUNE_OK)
    status = match_tensors(model, e, ROLE_STATE, states, num_states, values, true);
  if (status == ATTUNE_OK)
    status = match_tensors(model, e, ROLE_OUTPUT, outputs, num_outputs, values, true);
  /* All the memory the call needs, before any of it runs. */
  size_t bytes = 0;
  if (status == ATTUNE_OK)
    status = workspace_bytes(model, e, values, &bytes);
  if (status == ATTUNE_OK)
    status = attune_run_memory_reserve(memory, bytes, e->num_args + 1);
  if (status != ATTUNE_OK)
    return status;

  /* One descriptor per argument: {allocated, aligned, offset, sizes[r], strides[r]}. */
  for (size_t a = 0; a < e->num_args; ++a) {
    const declared *d = &e->args[a];
    const void *data = d->data;
    const attune_tensor *t = NULL;
    if (d->role == ROLE_INPUT)
      t = find_given(inputs, num_inputs, d->name);
    else if (d->role == ROLE_STATE)
      t = find_given(states, num_states, d->name);
    else if (d->role == ROLE_OUTPUT)
      t = find_given(outputs, num_outputs, d->name);
    if (t)
      data = t->data;
    int64_t *desc = memory->descriptors[a];
    desc[0] = desc[1] = (int64_t)(intptr_t)data;
    desc[2] = 0;
    int64_t sizes[ATTUNE_MAX_RANK];
    int32_t rank = d->rank;
    for (int32_t k = 0; k < rank; ++k)
      sizes[k] = d->symbol[k] >= 0 ? values[d->symbol[k]] : d->shape[k];
    if (d->panel_width && d->scales) {
      /* The [P·width] column scales of i8 panels. */
      int64_t n = d->shape[d->transposed ? 0 : 1];
      rank = 1;
      sizes[0] = (n + d->panel_width - 1) / d->panel_width * d->panel_width;
    } else if (d->panel_width) {
      /* [P, K, width] panels of a [K, N] (or [N, K]) weight; k pairs: [P, K/2, width, 2]. */
      int64_t k = d->shape[d->transposed ? 1 : 0], n = d->shape[d->transposed ? 0 : 1];
      rank = d->panel_pairs ? 4 : 3;
      sizes[0] = (n + d->panel_width - 1) / d->panel_width;
      sizes[1] = d->panel_pairs ? k / 2 : k;
      sizes[2] = d->panel_width;
      sizes[3] = 2;
    }
    int64_t stride = 1;
    for (int32_t k = rank - 1; k >= 0; --k) {
      desc[3 + k] = sizes[k];
      desc[3 + rank + k] = stride;
      stride *= sizes[k];
    }
    memory->arguments[a] = desc;
  }
  if (e->has_workspace) {
    int64_t *desc = memory->descriptors[e->num_args];
    desc[0] = desc[1] = (int64_t)(intptr_t)memory->workspace;
    desc[2] = 0;
    desc[3] = (int64_t)bytes;
    desc[4] = 1;
    memory->arguments[e->num_args] = desc;
  }
  if (bytes > memory->largest_workspace)
    memory->largest_workspace = bytes;
  attune_clear_error();
  attune_arena *arena = &memory->arena;
  pthread_rwlock_rdlock(&model->profile_lock);
  attune_arena_begin(arena);
  int64_t started = attune_profile_begin(&model->profile);
  model->code((int32_t)(e - model->entries), memory->arguments);
  attune_profile_end(&model->profile, started);
  attune_arena_end(arena);
  pthread_rwlock_unlock(&model->profile_lock);
  bool out_of_memory = arena->failed;
  arena->failed = false;
  if (out_of_memory)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY,
                       "out of memory for intermediates (outputs are not valid)");
  return ATTUNE_OK;
}

attune_status attune_model_run_entry(attune_model *model, const char *entry,
                                     const attune_tensor *inputs, size_t num_inputs,
                                     attune_tensor *outputs, size_t num_outputs) {
  if (!model)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_run: null model");
  pthread_mutex_lock(&model->run_lock);
  attune_status status = attune_model_execute(model, &model->memory, entry, inputs, num_inputs,
                                              NULL, 0, outputs, num_outputs);
  pthread_mutex_unlock(&model->run_lock);
  return status;
}

attune_status attune_model_run(attune_model *model, const attune_tensor *inputs,
                               size_t num_inputs, attune_tensor *outputs, size_t num_outputs) {
  return attune_model_run_entry(model, NULL, inputs, num_inputs, outputs, num_outputs);
}

attune_status attune_model_find_step(const attune_model *model, const char *entry,
                                     attune_step_info *out) {
  const char *wanted = entry ? entry : "forward";
  for (size_t i = 0; model && i < model->num_entries; ++i) {
    const entry_point *e = &model->entries[i];
    if (!e->step_of || strcmp(e->step_of, wanted) != 0)
      continue;
    out->name = e->name;
    out->tokens = e->tokens;
    out->token_dim = NULL;
    for (size_t a = 0; a < e->num_args; ++a)
      if (e->args[a].role == ROLE_INPUT && !strcmp(e->args[a].name, e->tokens) &&
          e->args[a].rank == 2 && e->args[a].symbol[1] >= 0)
        out->token_dim = model->symbols[e->args[a].symbol[1]];
    out->num_states = count_role(e, ROLE_STATE);
    out->context = NULL;
    out->num_context_states = 0;
    for (size_t c = 0; c < model->num_entries; ++c)
      if (model->entries[c].context_of && !strcmp(model->entries[c].context_of, wanted)) {
        out->context = model->entries[c].name;
        out->num_context_states = count_role(&model->entries[c], ROLE_STATE);
      }
    return ATTUNE_OK;
  }
  const entry_point *plain = find_entry(model, entry);
  if (!plain)
    return no_entry(model, entry);
  return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                     "entry point %s of model %s has no KV-cached step (the compiler derives one "
                     "where causal self-attention reads the entry's tokens; `attune build "
                     "--report` says why not)",
                     plain->name, model->name);
}

attune_status attune_model_step_state(const attune_model *model, const char *step, size_t index,
                                      int64_t batch, int64_t capacity, attune_tensor *out,
                                      const char **dims) {
  const entry_point *e = find_entry(model, step);
  if (!e)
    return no_entry(model, step);
  attune_status status = nth_declared(e, ROLE_STATE, index, out);
  if (status != ATTUNE_OK)
    return status;
  const declared *d = nth_of_role(e, ROLE_STATE, index);
  for (int32_t k = 0; k < d->rank; ++k) {
    int s = d->symbol[k];
    if (dims)
      dims[k] = s < 0 ? NULL : model->symbols[s];
    if (s < 0)
      continue;
    if (!strcmp(model->symbols[s], ATTUNE_BATCH_DIM))
      out->shape[k] = batch;
    else if (!strcmp(model->symbols[s], ATTUNE_CACHE_DIM))
      out->shape[k] = capacity;
    else
      out->shape[k] = model->bounds[s]; /* sized by an input (context length): its bound */
  }
  return ATTUNE_OK;
}

attune_status attune_model_input_dim(const attune_model *model, const char *entry,
                                     const attune_tensor *inputs, size_t num_inputs,
                                     const char *symbol, int64_t *value) {
  const entry_point *e = find_entry(model, entry);
  if (!e)
    return no_entry(model, entry);
  for (size_t a = 0; a < e->num_args; ++a) {
    const declared *d = &e->args[a];
    for (int32_t k = 0; d->role == ROLE_INPUT && k < d->rank; ++k) {
      if (d->symbol[k] < 0 || strcmp(model->symbols[d->symbol[k]], symbol) != 0)
        continue;
      const attune_tensor *t = find_given(inputs, num_inputs, d->name);
      if (t && t->rank == d->rank) {
        *value = t->shape[k];
        return ATTUNE_OK;
      }
    }
  }
  return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                     "entry point %s needs the input that sizes its dim '%s'", e->name, symbol);
}

attune_status attune_model_arena_bytes(const attune_model *model, size_t *peak,
                                       size_t *reserved) {
  if (!model || !peak || !reserved)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_arena_bytes: null argument");
  attune_run_memory_usage(&model->memory, peak, reserved);
  return ATTUNE_OK;
}

attune_status attune_model_set_profiling(attune_model *model, int enabled) {
  if (!model)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_set_profiling: null model");
  pthread_rwlock_wrlock(&model->profile_lock);
  bool ok = attune_profile_enable(&model->profile, enabled != 0);
  pthread_rwlock_unlock(&model->profile_lock);
  return ok ? ATTUNE_OK : attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
}

size_t attune_model_num_kernels(const attune_model *model) {
  return model ? model->profile.num_kernels : 0;
}

attune_status attune_model_kernel_profile(const attune_model *model, size_t id,
                                          attune_kernel_profile *out) {
  if (!model || !out)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_kernel_profile: null argument");
  if (id >= model->profile.num_kernels)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT,
                       "attune_model_kernel_profile: kernel %zu of %zu", id,
                       model->profile.num_kernels);
  const attune_kernel_info *k = &model->profile.kernels[id];
  memset(out, 0, sizeof *out);
  out->name = k->name;
  out->fused = k->fused;
  out->location = k->location;
  /* Runs in flight may be adding to the counters; profiling cannot be switched meanwhile. */
  pthread_rwlock_t *lock = (pthread_rwlock_t *)&model->profile_lock;
  pthread_rwlock_rdlock(lock);
  if (model->profile.enabled) {
    const attune_kernel_counters *c = &model->profile.counters[id];
    out->calls = __atomic_load_n(&c->calls, __ATOMIC_RELAXED);
    out->seconds = __atomic_load_n(&c->nanoseconds, __ATOMIC_RELAXED) / 1e9;
    out->flops = (double)__atomic_load_n(&c->flops, __ATOMIC_RELAXED);
    out->bytes = (double)__atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
  }
  pthread_rwlock_unlock(lock);
  return ATTUNE_OK;
}

attune_status attune_model_print_profile(attune_model *model, FILE *out) {
  if (!model || !out)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_print_profile: null argument");
  pthread_rwlock_wrlock(&model->profile_lock);
  attune_status status =
      attune_profile_print(model->name, &model->profile, attune_get_num_threads(), out);
  pthread_rwlock_unlock(&model->profile_lock);
  return status;
}

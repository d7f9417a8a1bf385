/* Opening a compiled model (manifest + weights) and running its forward pass.
 *
 * The manifest is text the compiler embeds in the library, one declaration per line, in the
 * order of the compiled function's arguments:
 *
 *   attune-manifest 1
 *   model gpt2
 *   dim batch 4                      (a symbolic dimension and its bound)
 *   input input_ids i32 batch seq
 *   weight transformer.wte.weight f32 512 64
 *   output logits f32 batch seq 512
 *
 * Each argument is passed to the compiled code as a memref descriptor
 * {allocated, aligned, offset, sizes[rank], strides[rank]}.
 */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SYMBOLS 8

typedef enum role { ROLE_INPUT, ROLE_WEIGHT, ROLE_OUTPUT } role;

typedef struct declared {
  char *name;
  role role;
  attune_dtype dtype;
  int32_t rank;
  int64_t shape[ATTUNE_MAX_RANK]; /* -1 where symbolic */
  int symbol[ATTUNE_MAX_RANK];    /* index into symbols, or -1 */
  const void *data;               /* weights: bound at open */
} declared;

struct attune_model {
  char *name;
  attune_entry_fn entry;
  attune_safetensors *weights;
  char *symbols[MAX_SYMBOLS];
  int64_t bounds[MAX_SYMBOLS];
  int num_symbols;
  declared *args;
  size_t num_args;
  void **owned; /* weight copies made for alignment */
  size_t num_owned;
  /* One run at a time per model: runs share the arena. */
  pthread_mutex_t run_lock;
  attune_arena arena;
};

static const char *role_name(role r) {
  return r == ROLE_INPUT ? "input" : r == ROLE_WEIGHT ? "weight" : "output";
}

static attune_status bad_manifest(int line, const char *what) {
  return attune_fail(ATTUNE_ERROR_LIBRARY, "model manifest line %d: %s", line, what);
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
    } else if (!strcmp(keyword, "input") || !strcmp(keyword, "weight") ||
               !strcmp(keyword, "output")) {
      declared *grown = realloc(model->args, (model->num_args + 1) * sizeof *grown);
      if (!grown) {
        status = attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
        break;
      }
      model->args = grown;
      declared *d = &model->args[model->num_args++];
      memset(d, 0, sizeof *d);
      d->role = keyword[0] == 'i' ? ROLE_INPUT : keyword[0] == 'w' ? ROLE_WEIGHT : ROLE_OUTPUT;
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
  return status;
}

/* Checks one weight against the file and binds its data. */
static attune_status bind_weight(attune_model *model, declared *d) {
  attune_tensor found;
  attune_status status = attune_safetensors_find(model->weights, d->name, &found);
  if (status != ATTUNE_OK)
    return status;
  char want[128], got[128];
  if (found.dtype != ATTUNE_F32)
    return attune_fail(ATTUNE_ERROR_WEIGHTS, "weight '%s' has dtype %s, the model needs F32",
                       d->name, found.dtype == ATTUNE_I32 ? "I32" : "I64");
  bool same = found.rank == d->rank;
  for (int32_t i = 0; same && i < d->rank; ++i)
    same = found.shape[i] == d->shape[i];
  if (!same)
    return attune_fail(ATTUNE_ERROR_WEIGHTS, "weight '%s' has shape %s, the model needs %s",
                       d->name, attune_format_shape(got, sizeof got, found.shape, found.rank),
                       attune_format_shape(want, sizeof want, d->shape, d->rank));
  d->data = found.data;
  if ((uintptr_t)found.data % sizeof(float) != 0) {
    /* Offsets in the file need not be aligned; compiled code expects aligned floats. */
    size_t bytes = sizeof(float);
    for (int32_t i = 0; i < d->rank; ++i)
      bytes *= (size_t)d->shape[i];
    void *copy = malloc(bytes ? bytes : 1);
    void **grown = realloc(model->owned, (model->num_owned + 1) * sizeof *grown);
    if (!copy || !grown) {
      free(copy);
      if (grown)
        model->owned = grown;
      return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory copying weight '%s'",
                         d->name);
    }
    memcpy(copy, found.data, bytes);
    model->owned = grown;
    model->owned[model->num_owned++] = copy;
    d->data = copy;
  }
  return ATTUNE_OK;
}

void attune_model_close(attune_model *model) {
  if (!model)
    return;
  for (size_t i = 0; i < model->num_args; ++i)
    free(model->args[i].name);
  for (size_t i = 0; i < model->num_owned; ++i)
    free(model->owned[i]);
  for (int s = 0; s < model->num_symbols; ++s)
    free(model->symbols[s]);
  free(model->owned);
  free(model->args);
  free(model->name);
  attune_safetensors_close(model->weights);
  attune_arena_destroy(&model->arena);
  pthread_mutex_destroy(&model->run_lock);
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
  model->entry = entry;
  pthread_mutex_init(&model->run_lock, NULL);
  attune_status status = parse_manifest(model, manifest);
  if (status == ATTUNE_OK)
    status = attune_safetensors_open(weights_path, &model->weights);
  for (size_t i = 0; status == ATTUNE_OK && i < model->num_args; ++i)
    if (model->args[i].role == ROLE_WEIGHT)
      status = bind_weight(model, &model->args[i]);
  if (status != ATTUNE_OK) {
    attune_model_close(model);
    return status;
  }
  *out = model;
  return ATTUNE_OK;
}

static attune_status nth_declared(const attune_model *model, role r, size_t index,
                                  attune_tensor *info) {
  if (!model || !info)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "null argument");
  for (size_t i = 0; i < model->num_args; ++i) {
    const declared *d = &model->args[i];
    if (d->role != r || index--)
      continue;
    info->name = d->name;
    info->dtype = d->dtype;
    info->rank = d->rank;
    memcpy(info->shape, d->shape, sizeof d->shape);
    info->data = NULL;
    return ATTUNE_OK;
  }
  return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "model has no %s #%zu", role_name(r), index);
}

static size_t count_role(const attune_model *model, role r) {
  size_t n = 0;
  for (size_t i = 0; model && i < model->num_args; ++i)
    n += model->args[i].role == r;
  return n;
}

size_t attune_model_num_inputs(const attune_model *model) { return count_role(model, ROLE_INPUT); }
size_t attune_model_num_outputs(const attune_model *model) {
  return count_role(model, ROLE_OUTPUT);
}
attune_status attune_model_input(const attune_model *model, size_t index, attune_tensor *info) {
  return nth_declared(model, ROLE_INPUT, index, info);
}
attune_status attune_model_output(const attune_model *model, size_t index, attune_tensor *info) {
  return nth_declared(model, ROLE_OUTPUT, index, info);
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
  return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "model has no dimension named '%s'", symbol);
}

static const attune_tensor *find_given(const attune_tensor *given, size_t count,
                                       const char *name) {
  for (size_t i = 0; i < count; ++i)
    if (given[i].name && strcmp(given[i].name, name) == 0)
      return &given[i];
  return NULL;
}

static const char *dtype_text(attune_dtype dtype) {
  return dtype == ATTUNE_F32 ? "f32" : dtype == ATTUNE_I32 ? "i32" : "i64";
}

/* Checks that every given tensor is declared with `r` and matches, binding symbolic dims. */
static attune_status match_tensors(const attune_model *model, role r, const attune_tensor *given,
                                   size_t count, int64_t *values, bool bind) {
  if (count && !given)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "null %s array", role_name(r));
  for (size_t i = 0; i < count; ++i) {
    if (!given[i].name)
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s #%zu has no name", role_name(r), i);
    const declared *d = NULL;
    for (size_t a = 0; a < model->num_args && !d; ++a)
      if (model->args[a].role == r && strcmp(model->args[a].name, given[i].name) == 0)
        d = &model->args[a];
    if (!d)
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "model %s has no %s named '%s'",
                         model->name, role_name(r), given[i].name);
    if (find_given(given, i, given[i].name))
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s '%s' given twice", role_name(r),
                         d->name);
  }
  for (size_t a = 0; a < model->num_args; ++a) {
    const declared *d = &model->args[a];
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
      return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s '%s' must be %s, got %s",
                         role_name(r), d->name, dtype_text(d->dtype), dtype_text(t->dtype));
    bool ok = t->rank == d->rank;
    for (int32_t k = 0; ok && k < d->rank; ++k) {
      int s = d->symbol[k];
      if (s < 0) {
        ok = t->shape[k] == d->shape[k];
      } else if (r == ROLE_INPUT && values[s] < 0) {
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
                         attune_format_shape(got, sizeof got, t->shape,
                                             t->rank < 0 || t->rank > ATTUNE_MAX_RANK ? 0 : t->rank));
    }
  }
  return ATTUNE_OK;
}

attune_status attune_model_output_shapes(const attune_model *model, const attune_tensor *inputs,
                                         size_t num_inputs, attune_tensor *outputs,
                                         size_t num_outputs) {
  if (!model || (num_outputs && !outputs))
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_output_shapes: null argument");
  int64_t values[MAX_SYMBOLS];
  for (int s = 0; s < MAX_SYMBOLS; ++s)
    values[s] = -1;
  attune_status status = match_tensors(model, ROLE_INPUT, inputs, num_inputs, values, false);
  if (status != ATTUNE_OK)
    return status;
  for (size_t i = 0; i < num_outputs; ++i) {
    const declared *d = NULL;
    for (size_t a = 0; a < model->num_args && !d; ++a)
      if (model->args[a].role == ROLE_OUTPUT && outputs[i].name &&
          strcmp(model->args[a].name, outputs[i].name) == 0)
        d = &model->args[a];
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

attune_status attune_model_run(attune_model *model, const attune_tensor *inputs,
                               size_t num_inputs, attune_tensor *outputs, size_t num_outputs) {
  if (!model)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_run: null model");
  int64_t values[MAX_SYMBOLS];
  for (int s = 0; s < MAX_SYMBOLS; ++s)
    values[s] = -1;
  attune_status status = match_tensors(model, ROLE_INPUT, inputs, num_inputs, values, true);
  if (status == ATTUNE_OK)
    status = match_tensors(model, ROLE_OUTPUT, outputs, num_outputs, values, true);
  if (status != ATTUNE_OK)
    return status;

  /* One descriptor per argument: {allocated, aligned, offset, sizes[r], strides[r]}. */
  int64_t (*descriptors)[3 + 2 * ATTUNE_MAX_RANK] = calloc(model->num_args, sizeof *descriptors);
  void **arguments = calloc(model->num_args, sizeof *arguments);
  if (!descriptors || !arguments) {
    free(descriptors);
    free(arguments);
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  for (size_t a = 0; a < model->num_args; ++a) {
    const declared *d = &model->args[a];
    const void *data = d->data;
    const attune_tensor *t = NULL;
    if (d->role == ROLE_INPUT)
      t = find_given(inputs, num_inputs, d->name);
    else if (d->role == ROLE_OUTPUT)
      t = find_given(outputs, num_outputs, d->name);
    if (t)
      data = t->data;
    int64_t *desc = descriptors[a];
    desc[0] = desc[1] = (int64_t)(intptr_t)data;
    desc[2] = 0;
    int64_t stride = 1;
    for (int32_t k = d->rank - 1; k >= 0; --k) {
      int64_t size = d->symbol[k] >= 0 ? values[d->symbol[k]] : d->shape[k];
      desc[3 + k] = size;
      desc[3 + d->rank + k] = stride;
      stride *= size;
    }
    arguments[a] = desc;
  }
  attune_clear_error();
  pthread_mutex_lock(&model->run_lock);
  attune_arena_begin(&model->arena);
  model->entry(arguments);
  attune_arena_end(&model->arena);
  bool out_of_memory = model->arena.failed;
  model->arena.failed = false;
  pthread_mutex_unlock(&model->run_lock);
  free(descriptors);
  free(arguments);
  if (out_of_memory)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY,
                       "out of memory for intermediates (outputs are not valid)");
  return ATTUNE_OK;
}

attune_status attune_model_arena_bytes(const attune_model *model, size_t *peak,
                                       size_t *reserved) {
  if (!model || !peak || !reserved)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_model_arena_bytes: null argument");
  *peak = model->arena.peak;
  *reserved = model->arena.reserved;
  return ATTUNE_OK;
}

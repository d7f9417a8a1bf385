/* What attune_safetensors_open opens: one safetensors file, the index of a sharded checkpoint
 * (a JSON file whose "weight_map" names, for each tensor, the shard file holding it, found in
 * the index's folder), or a model directory holding either. A directory is read as Hugging
 * Face reads one: its model.safetensors if there is one, else model.safetensors.index.json.
 *
 * A sharded checkpoint is checked as a whole before any tensor is handed out: every shard as a
 * file (safetensors.c), every tensor the index lists in exactly the shard it names, no tensor
 * in two shards, no shard holding a tensor the index does not list. The tensors are then one
 * set: count, get and find do not show where the shard boundaries fall. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Index files larger than this are refused rather than read (real ones are kilobytes). */
#define MAX_INDEX_BYTES (64u * 1024u * 1024u)

/* One tensor of the set: entry `index` of file `file`. */
typedef struct tensor_ref {
  const char *name;
  size_t file;
  size_t index;
} tensor_ref;

struct attune_safetensors {
  char *path; /* as the caller named it: a file, an index or a directory */
  safetensors_file **files;
  size_t num_files;
  tensor_ref *tensors; /* shard by shard, each in header order */
  tensor_ref *by_name; /* the same, sorted by name */
  size_t count;
  size_t shard_prefix; /* the length of a shard's path before its name in the index */
};

/* One line of an index's weight_map. */
typedef struct mapping {
  char *tensor;
  char *shard; /* the file name as the index gives it */
  size_t file; /* its place in the set's files */
} mapping;

void attune_safetensors_close(attune_safetensors *set) {
  if (!set)
    return;
  for (size_t i = 0; i < set->num_files; ++i)
    safetensors_file_close(set->files[i]);
  free(set->files);
  free(set->tensors);
  free(set->by_name);
  free(set->path);
  free(set);
}

static void free_mappings(mapping *mappings, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    free(mappings[i].tensor);
    free(mappings[i].shard);
  }
  free(mappings);
}

static int compare_ref_name(const void *a, const void *b) {
  return strcmp(((const tensor_ref *)a)->name, ((const tensor_ref *)b)->name);
}

static int compare_mapping_tensor(const void *a, const void *b) {
  return strcmp(((const mapping *)a)->tensor, ((const mapping *)b)->tensor);
}

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *text, const char *suffix) {
  size_t n = strlen(text), m = strlen(suffix);
  return n >= m && strcmp(text + n - m, suffix) == 0;
}

/* `folder`/`name` in a malloc'd buffer, or NULL when out of memory. */
static char *join_path(const char *folder, size_t folder_length, const char *name) {
  size_t length = folder_length + 1 + strlen(name) + 1;
  char *joined = malloc(length);
  if (joined)
    snprintf(joined, length, "%.*s/%s", (int)folder_length, folder, name);
  return joined;
}

/* Adds a file to the set, opening it; on failure, the error says which index named it. */
static attune_status add_file(attune_safetensors *set, const char *path, const char *index) {
  safetensors_file *file = NULL;
  attune_status status = safetensors_file_open(path, &file);
  if (status != ATTUNE_OK) {
    if (!index)
      return status;
    char cause[1024];
    snprintf(cause, sizeof cause, "%s", attune_last_error());
    return attune_fail(status, "%s: a shard it names cannot be read: %s", index, cause);
  }
  set->files[set->num_files++] = file;
  return ATTUNE_OK;
}

/* Reads the whole of a small regular file into a malloc'd buffer. */
static attune_status read_small_file(const char *path, char **text, size_t *length) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return attune_fail(ATTUNE_ERROR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return attune_fail(ATTUNE_ERROR_IO, "%s: not a regular file", path);
  }
  if ((uint64_t)st.st_size > MAX_INDEX_BYTES) {
    close(fd);
    return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: %llu bytes is too large for an index", path,
                       (unsigned long long)st.st_size);
  }
  *length = (size_t)st.st_size;
  *text = malloc(*length ? *length : 1);
  if (!*text) {
    close(fd);
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  size_t done = 0;
  while (done < *length) {
    ssize_t n = read(fd, *text + done, *length - done);
    if (n <= 0) {
      close(fd);
      free(*text);
      return attune_fail(ATTUNE_ERROR_IO, "%s: cannot read: %s", path,
                         n < 0 ? strerror(errno) : "file shrank while read");
    }
    done += (size_t)n;
  }
  close(fd);
  return ATTUNE_OK;
}

/* The entries of the index's "weight_map" object, sorted by tensor name; other keys (such as
 * "metadata") are skipped. A tensor listed twice is an error: which shard counts would be the
 * reader's choice. */
static attune_status parse_index(const char *path, const char *text, size_t length, mapping **out,
                                 size_t *count) {
  json_cursor c = {text, text + length, text};
  mapping *mappings = NULL;
  size_t capacity = 0;
  bool has_map = false;
  const char *malformed = "is not a JSON object";
  *count = 0;
  if (!json_consume(&c, '{'))
    goto malformed;
  if (!json_consume(&c, '}')) {
    do {
      char *key = json_parse_string(&c);
      malformed = "has a malformed key";
      if (!key || !json_consume(&c, ':')) {
        free(key);
        goto malformed;
      }
      bool is_map = strcmp(key, "weight_map") == 0;
      free(key);
      if (!is_map) {
        malformed = "is not valid JSON";
        if (!json_skip_value(&c, 0))
          goto malformed;
        continue;
      }
      malformed = "gives \"weight_map\" twice";
      if (has_map)
        goto malformed;
      has_map = true;
      malformed = "has a \"weight_map\" that is not an object of tensor names to file names";
      if (!json_consume(&c, '{'))
        goto malformed;
      if (json_consume(&c, '}'))
        continue;
      do {
        if (*count == capacity) {
          capacity = capacity ? capacity * 2 : 256;
          mapping *grown = realloc(mappings, capacity * sizeof *grown);
          if (!grown) {
            free_mappings(mappings, *count);
            return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
          }
          mappings = grown;
        }
        mapping *m = &mappings[(*count)++];
        m->tensor = json_parse_string(&c);
        m->shard = m->tensor && json_consume(&c, ':') ? json_parse_string(&c) : NULL;
        if (!m->shard)
          goto malformed;
      } while (json_consume(&c, ','));
      if (!json_consume(&c, '}'))
        goto malformed;
    } while (json_consume(&c, ','));
    malformed = "is not a JSON object";
    if (!json_consume(&c, '}'))
      goto malformed;
  }
  json_skip_space(&c);
  malformed = "has bytes after its closing brace";
  if (c.p != c.end)
    goto malformed;
  if (!has_map) {
    free_mappings(mappings, *count);
    return attune_fail(ATTUNE_ERROR_WEIGHTS,
                       "%s: no \"weight_map\" (a sharded checkpoint's index maps each tensor to "
                       "its shard)",
                       path);
  }
  if (*count) /* an empty weight_map leaves `mappings` NULL, which qsort may not take */
    qsort(mappings, *count, sizeof *mappings, compare_mapping_tensor);
  for (size_t i = 1; i < *count; ++i)
    if (strcmp(mappings[i - 1].tensor, mappings[i].tensor) == 0) {
      attune_status s = attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: tensor '%s' is listed twice", path,
                                    mappings[i].tensor);
      free_mappings(mappings, *count);
      return s;
    }
  *out = mappings;
  return ATTUNE_OK;
malformed:
  /* The entry being read may be half filled in; count it so that it is freed. */
  free_mappings(mappings, *count);
  return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: the index %s (at byte %zu)", path, malformed,
                     (size_t)(c.p - text));
}

/* A shard's name must stay inside the index's folder. */
static bool shard_name_allowed(const char *name) {
  if (!name[0] || name[0] == '/')
    return false;
  for (const char *p = name; *p;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return false;
    p += n + (slash != NULL);
  }
  return true;
}

/* Opens the distinct shards the mappings name and sets each mapping's file. */
static attune_status open_shards(attune_safetensors *set, const char *index, mapping *mappings,
                                 size_t count) {
  char **names = malloc((count ? count : 1) * sizeof *names);
  if (!names)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < count; ++i)
    names[i] = mappings[i].shard;
  qsort(names, count, sizeof *names, compare_strings);
  size_t distinct = 0;
  for (size_t i = 0; i < count; ++i)
    if (!distinct || strcmp(names[distinct - 1], names[i]) != 0)
      names[distinct++] = names[i];
  attune_status status = ATTUNE_OK;
  set->files = calloc(distinct ? distinct : 1, sizeof *set->files);
  if (!set->files)
    status = attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  const char *slash = strrchr(index, '/');
  const char *folder = slash ? index : ".";
  size_t folder_length = slash ? (size_t)(slash - index) : 1;
  if (slash == index)
    folder_length = 1; /* an index in "/" */
  set->shard_prefix = folder_length + 1;
  for (size_t i = 0; status == ATTUNE_OK && i < distinct; ++i) {
    if (!shard_name_allowed(names[i])) {
      status = attune_fail(ATTUNE_ERROR_WEIGHTS,
                           "%s: shard '%s' is not a file name inside the index's folder", index,
                           names[i]);
      break;
    }
    char *path = join_path(folder, folder_length, names[i]);
    status = path ? add_file(set, path, index)
                  : attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
    free(path);
  }
  for (size_t i = 0; status == ATTUNE_OK && i < count; ++i) {
    char **found = bsearch(&mappings[i].shard, names, distinct, sizeof *names, compare_strings);
    mappings[i].file = (size_t)(found - names);
  }
  free(names);
  return status;
}

/* Lists every tensor of every file, in order and by name. */
static attune_status collect_tensors(attune_safetensors *set) {
  size_t total = 0;
  for (size_t f = 0; f < set->num_files; ++f)
    total += safetensors_file_count(set->files[f]);
  set->tensors = malloc((total ? total : 1) * sizeof *set->tensors);
  set->by_name = malloc((total ? total : 1) * sizeof *set->by_name);
  if (!set->tensors || !set->by_name)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  for (size_t f = 0; f < set->num_files; ++f)
    for (size_t i = 0; i < safetensors_file_count(set->files[f]); ++i)
      set->tensors[set->count++] = (tensor_ref){safetensors_file_name(set->files[f], i), f, i};
  memcpy(set->by_name, set->tensors, total * sizeof *set->tensors);
  qsort(set->by_name, total, sizeof *set->by_name, compare_ref_name);
  return ATTUNE_OK;
}

/* A shard as the index names it (errors name the index's path first). */
static const char *shard_name(const attune_safetensors *set, size_t file) {
  return safetensors_file_path(set->files[file]) + set->shard_prefix;
}

/* Index and shards agree: walks the tensors the shards hold and the index's list, both sorted
 * by name, side by side. */
static attune_status check_against_index(const attune_safetensors *set, const char *index,
                                         const mapping *mappings, size_t count) {
  for (size_t i = 1; i < set->count; ++i)
    if (strcmp(set->by_name[i - 1].name, set->by_name[i].name) == 0)
      return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: tensor '%s' is in two shards, %s and %s", index,
                         set->by_name[i].name, shard_name(set, set->by_name[i - 1].file),
                         shard_name(set, set->by_name[i].file));
  size_t t = 0, m = 0;
  while (t < set->count || m < count) {
    int order = t == set->count ? 1
                : m == count    ? -1
                                : strcmp(set->by_name[t].name, mappings[m].tensor);
    if (order < 0)
      return attune_fail(ATTUNE_ERROR_WEIGHTS,
                         "%s: shard %s holds tensor '%s', which the index does not list", index,
                         shard_name(set, set->by_name[t].file), set->by_name[t].name);
    if (order > 0)
      return attune_fail(ATTUNE_ERROR_WEIGHTS,
                         "%s: the index lists tensor '%s' in shard %s, which does not hold it",
                         index, mappings[m].tensor, shard_name(set, mappings[m].file));
    if (set->by_name[t].file != mappings[m].file)
      return attune_fail(ATTUNE_ERROR_WEIGHTS,
                         "%s: the index lists tensor '%s' in shard %s, but it is in %s", index,
                         mappings[m].tensor, shard_name(set, mappings[m].file),
                         shard_name(set, set->by_name[t].file));
    ++t;
    ++m;
  }
  return ATTUNE_OK;
}

static attune_status open_index(attune_safetensors *set, const char *index) {
  char *text = NULL;
  size_t length = 0;
  attune_status status = read_small_file(index, &text, &length);
  if (status != ATTUNE_OK)
    return status;
  mapping *mappings = NULL;
  size_t count = 0;
  status = parse_index(index, text, length, &mappings, &count);
  free(text);
  if (status != ATTUNE_OK)
    return status;
  status = open_shards(set, index, mappings, count);
  if (status == ATTUNE_OK)
    status = collect_tensors(set);
  if (status == ATTUNE_OK)
    status = check_against_index(set, index, mappings, count);
  free_mappings(mappings, count);
  return status;
}

static attune_status open_file(attune_safetensors *set, const char *path) {
  set->files = calloc(1, sizeof *set->files);
  if (!set->files)
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  attune_status status = add_file(set, path, NULL);
  return status == ATTUNE_OK ? collect_tensors(set) : status;
}

/* A model directory: its model.safetensors, else its index, as Hugging Face looks. */
static attune_status open_directory(attune_safetensors *set, const char *path) {
  static const char *const candidates[] = {"model.safetensors", "model.safetensors.index.json"};
  for (size_t i = 0; i < 2; ++i) {
    char *candidate = join_path(path, strlen(path), candidates[i]);
    if (!candidate)
      return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
    struct stat st;
    bool exists = stat(candidate, &st) == 0;
    attune_status status = !exists  ? ATTUNE_OK
                           : i == 0 ? open_file(set, candidate)
                                    : open_index(set, candidate);
    free(candidate);
    if (exists)
      return status;
  }
  return attune_fail(ATTUNE_ERROR_IO,
                     "%s: a directory with neither model.safetensors nor "
                     "model.safetensors.index.json",
                     path);
}

attune_status attune_safetensors_open(const char *path, attune_safetensors **out) {
  if (!path || !out)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_safetensors_open: null argument");
  *out = NULL;
  attune_safetensors *set = calloc(1, sizeof *set);
  if (!set || !(set->path = strdup(path))) {
    free(set);
    return attune_fail(ATTUNE_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  struct stat st;
  attune_status status = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? open_directory(set, path)
                         : ends_with(path, ".json")                  ? open_index(set, path)
                                                                     : open_file(set, path);
  if (status != ATTUNE_OK) {
    attune_safetensors_close(set);
    return status;
  }
  *out = set;
  return ATTUNE_OK;
}

size_t attune_safetensors_count(const attune_safetensors *set) { return set ? set->count : 0; }

attune_status attune_safetensors_get(const attune_safetensors *set, size_t index,
                                     attune_tensor *tensor) {
  if (!set || !tensor)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_safetensors_get: null argument");
  if (index >= set->count)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "%s: no tensor #%zu (file has %zu)",
                       set->path, index, set->count);
  const tensor_ref *ref = &set->tensors[index];
  return safetensors_file_get(set->files[ref->file], ref->index, tensor);
}

attune_status attune_safetensors_find(const attune_safetensors *set, const char *name,
                                      attune_tensor *tensor) {
  if (!set || !name || !tensor)
    return attune_fail(ATTUNE_ERROR_INVALID_ARGUMENT, "attune_safetensors_find: null argument");
  tensor_ref key = {name, 0, 0};
  const tensor_ref *found = bsearch(&key, set->by_name, set->count, sizeof key, compare_ref_name);
  if (found)
    return safetensors_file_get(set->files[found->file], found->index, tensor);
  const char **names = malloc((set->count ? set->count : 1) * sizeof *names);
  char closest[512] = "";
  if (names) {
    for (size_t i = 0; i < set->count; ++i)
      names[i] = set->tensors[i].name;
    attune_closest_names(name, names, set->count, 3, closest, sizeof closest);
    free(names);
  }
  return attune_fail(ATTUNE_ERROR_WEIGHTS, "%s: no tensor named '%s'%s%s", set->path, name,
                     closest[0] ? "; closest: " : "", closest);
}

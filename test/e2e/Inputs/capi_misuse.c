/* One misuse of a generated library's C API per run, for the bad-input corpus
 * (bad_inputs.py): the tiny GPT-2 library (512-token vocabulary, seq <= 64) opened on good
 * weights, then the call CASE names, made wrong on purpose. Prints "STATUS: message" for the
 * call's status and exits 1 when it reported an error, 0 when it did not, so a case that
 * should fail and returns ATTUNE_OK shows. A crash or an abort is a failure of the runtime.
 * Usage: capi_misuse WEIGHTS CASE, or capi_misuse WEIGHTS open FILE: open FILE instead, a
 * weights file that may be bad. */
#include "gpt2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { VOCAB = 512, MAX_SEQ = 64 };

static int32_t ids[2 * MAX_SEQ + 2];
static float logits[2 * (MAX_SEQ + 1) * VOCAB];

static attune_tensor ids_tensor(int64_t batch, int64_t seq) {
  attune_tensor t = {"input_ids", ATTUNE_I32, 2, {batch, seq}, ids};
  return t;
}

static attune_tensor logits_tensor(int64_t batch, int64_t seq) {
  attune_tensor t = {"logits", ATTUNE_F32, 3, {batch, seq, VOCAB}, logits};
  return t;
}

/* Runs the model with one edited input and output tensor. */
static attune_status run_with(attune_model *model, attune_tensor input, attune_tensor output) {
  return gpt2_attune_model_run_entry(model, "forward", &input, 1, &output, 1);
}

/* The one session a case may use; main destroys it before closing the model. */
static attune_session *session;

static attune_session *new_session(attune_model *model) {
  if (gpt2_attune_session_create(model, &session) != ATTUNE_OK) {
    fprintf(stderr, "session_create failed: %s\n", gpt2_attune_last_error());
    exit(3);
  }
  return session;
}

static attune_status misuse(attune_model *model, const char *name) {
  attune_tensor in = ids_tensor(1, 4), out = logits_tensor(1, 4);
  if (!strcmp(name, "run-null-model"))
    return gpt2_run(NULL, 1, 4, ids, logits);
  if (!strcmp(name, "run-null-ids"))
    return gpt2_run(model, 1, 4, NULL, logits);
  if (!strcmp(name, "run-null-logits"))
    return gpt2_run(model, 1, 4, ids, NULL);
  if (!strcmp(name, "run-null-inputs"))
    return gpt2_attune_model_run_entry(model, "forward", NULL, 1, &out, 1);
  if (!strcmp(name, "run-seq-past-bound"))
    return gpt2_run(model, 1, MAX_SEQ + 1, ids, logits);
  if (!strcmp(name, "run-zero-seq"))
    return gpt2_run(model, 1, 0, ids, logits);
  if (!strcmp(name, "run-negative-batch"))
    return gpt2_run(model, -1, 4, ids, logits);
  if (!strcmp(name, "run-huge-batch"))
    return gpt2_run(model, INT64_MAX / 2, 4, ids, logits);
  if (!strcmp(name, "run-id-past-vocab")) {
    ids[3] = VOCAB;
    return gpt2_run(model, 1, 4, ids, logits);
  }
  if (!strcmp(name, "run-negative-id")) {
    ids[0] = -5;
    return gpt2_run(model, 1, 4, ids, logits);
  }
  if (!strcmp(name, "run-float-ids")) {
    in.dtype = ATTUNE_F32;
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-bad-dtype")) {
    in.dtype = (attune_dtype)42;
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-rank-1")) {
    in.rank = 1;
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-rank-past-max")) {
    in.rank = ATTUNE_MAX_RANK + 1;
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-negative-rank")) {
    in.rank = -1;
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-unknown-input")) {
    in.name = "input_idz";
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-null-input-name")) {
    in.name = NULL;
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-no-inputs"))
    return gpt2_attune_model_run_entry(model, "forward", &in, 0, &out, 1);
  if (!strcmp(name, "run-input-twice")) {
    attune_tensor twice[2] = {in, in};
    return gpt2_attune_model_run_entry(model, "forward", twice, 2, &out, 1);
  }
  if (!strcmp(name, "run-output-shape")) {
    out.shape[2] = VOCAB - 1;
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-output-dtype")) {
    out.dtype = ATTUNE_I32;
    return run_with(model, in, out);
  }
  if (!strcmp(name, "run-unknown-entry"))
    return gpt2_attune_model_run_entry(model, "backward", &in, 1, &out, 1);
  if (!strcmp(name, "output-shapes-null"))
    return gpt2_attune_model_output_shapes(model, &in, 1, NULL, 1);
  if (!strcmp(name, "input-index-past-end")) {
    attune_tensor info;
    return gpt2_attune_model_input(model, 7, &info);
  }
  if (!strcmp(name, "dim-bound-unknown")) {
    int64_t bound;
    return gpt2_attune_model_dim_bound(model, "heads", &bound);
  }
  if (!strcmp(name, "workspace-unknown-dim")) {
    attune_dim dims[] = {{"sequence", 4}};
    size_t bytes;
    return gpt2_attune_model_workspace_bytes(model, NULL, dims, 1, &bytes);
  }
  if (!strcmp(name, "kernel-profile-past-end")) {
    attune_kernel_profile profile;
    return gpt2_attune_model_kernel_profile(model, 100000, &profile);
  }
  if (!strcmp(name, "threads-negative"))
    return gpt2_attune_set_num_threads(-3);
  if (!strcmp(name, "threads-past-max"))
    return gpt2_attune_set_num_threads(ATTUNE_MAX_THREADS + 1);
  if (!strcmp(name, "session-create-null"))
    return gpt2_attune_session_create(model, NULL);
  if (!strcmp(name, "session-threads-negative"))
    return gpt2_attune_session_set_num_threads(new_session(model), -1);
  if (!strcmp(name, "session-reserve-past-bound"))
    return gpt2_attune_session_reserve_cache(new_session(model), NULL, 1, MAX_SEQ + 1);
  if (!strcmp(name, "session-append-no-cache"))
    return gpt2_session_decode(new_session(model), 1, ids, logits);
  if (!strcmp(name, "session-append-past-capacity")) {
    new_session(model);
    attune_status status = gpt2_attune_session_reserve_cache(session, NULL, 1, 8);
    while (status == ATTUNE_OK)
      status = gpt2_session_decode(session, 1, ids, logits);
    return status;
  }
  if (!strcmp(name, "session-prefill-long-length")) {
    new_session(model);
    gpt2_attune_session_reserve_cache(session, NULL, 1, 16);
    int64_t lengths[] = {5};
    return gpt2_session_prefill(session, 1, 4, ids, logits, lengths);
  }
  if (!strcmp(name, "session-cache-row-past-end")) {
    new_session(model);
    gpt2_attune_session_reserve_cache(session, NULL, 2, 16);
    int64_t length;
    return gpt2_attune_session_cache_length(session, 2, &length);
  }
  if (!strcmp(name, "safetensors-open-null"))
    return gpt2_attune_safetensors_open(NULL, NULL);
  if (!strcmp(name, "safetensors-write-no-directory")) {
    attune_tensor t = ids_tensor(1, 4);
    return gpt2_attune_safetensors_write("/nonexistent/dir/out.safetensors", &t, 1);
  }
  if (!strcmp(name, "safetensors-write-bad-shape")) {
    attune_tensor t = ids_tensor(1, -4);
    return gpt2_attune_safetensors_write("capi_misuse.safetensors", &t, 1);
  }
  fprintf(stderr, "unknown case '%s'\n", name);
  exit(2);
}

int main(int argc, char **argv) {
  int opening = argc == 4 && !strcmp(argv[2], "open");
  if (argc != 3 && !opening) {
    fprintf(stderr, "usage: %s WEIGHTS CASE | %s WEIGHTS open FILE\n", argv[0], argv[0]);
    return 2;
  }
  attune_model *model = NULL;
  attune_status status;
  if (!strcmp(argv[2], "open-null-model")) {
    status = gpt2_open(argv[1], NULL);
  } else if (!strcmp(argv[2], "open-null-path")) {
    status = gpt2_open(NULL, &model);
  } else {
    status = gpt2_open(argv[opening ? 3 : 1], &model);
    if (status == ATTUNE_OK && !opening) {
      for (int i = 0; i < 2 * MAX_SEQ + 2; ++i)
        ids[i] = i % VOCAB;
      status = misuse(model, argv[2]);
    }
  }
  fprintf(stderr, "%s%s%s\n", gpt2_attune_status_name(status), status ? ": " : "",
          status ? gpt2_attune_last_error() : "");
  if (status == ATTUNE_OK && !model)
    return 4; /* OK without a model: a broken promise too */
  if (session)
    gpt2_attune_session_destroy(session);
  gpt2_attune_model_close(model);
  return status != ATTUNE_OK;
}

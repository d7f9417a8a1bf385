/* A C program using a generated library as a user would: include gpt2.h, link libgpt2.so,
 * open the weights, run a batch, read logits, and get a status and message for each misuse.
 * Usage: use_gpt2 WEIGHTS  (prints one line per check; exits non-zero on a failed check) */
#include "gpt2.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

/* Expects `status` to be `want`; prints the runtime's message either way. */
static void expect(const char *what, attune_status status, attune_status want) {
  int ok = status == want;
  failures += !ok;
  printf("%s: %s: %s%s%s\n", what, ok ? "ok" : "UNEXPECTED", gpt2_attune_status_name(status),
         status ? ": " : "", status ? gpt2_attune_last_error() : "");
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s WEIGHTS\n", argv[0]);
    return 2;
  }
  attune_model *model = NULL;
  expect("open missing file", gpt2_open("/nonexistent/w.safetensors", &model), ATTUNE_ERROR_IO);
  expect("open null", gpt2_open(argv[1], NULL), ATTUNE_ERROR_INVALID_ARGUMENT);
  expect("open", gpt2_open(argv[1], &model), ATTUNE_OK);
  if (!model)
    return 1;

  enum { BATCH = 2, SEQ = 5, VOCAB = 512 };
  int32_t ids[BATCH * SEQ];
  for (int i = 0; i < BATCH * SEQ; ++i)
    ids[i] = (i * 37) % VOCAB;
  float *logits = malloc(sizeof(float) * BATCH * SEQ * VOCAB);
  expect("run", gpt2_run(model, BATCH, SEQ, ids, logits), ATTUNE_OK);
  int finite = 1;
  for (int i = 0; i < BATCH * SEQ * VOCAB; ++i)
    finite &= isfinite(logits[i]);
  printf("logits finite: %s\n", finite ? "yes" : "no");
  failures += !finite;

  /* The first sequence alone gives the same logits as in the batch. */
  float *single = malloc(sizeof(float) * SEQ * VOCAB);
  expect("run batch 1", gpt2_run(model, 1, SEQ, ids, single), ATTUNE_OK);
  int same = memcmp(single, logits, sizeof(float) * SEQ * VOCAB) == 0;
  printf("batch row independent: %s\n", same ? "yes" : "no");
  failures += !same;

  /* Threads: a bad count is refused; any count gives the same logits, bit for bit. */
  expect("zero threads", gpt2_attune_set_num_threads(0), ATTUNE_ERROR_INVALID_ARGUMENT);
  float *threaded = malloc(sizeof(float) * BATCH * SEQ * VOCAB);
  int identical = 1;
  for (int threads = 1; threads <= 3; ++threads) {
    expect("set threads", gpt2_attune_set_num_threads(threads), ATTUNE_OK);
    expect("run threaded", gpt2_run(model, BATCH, SEQ, ids, threaded), ATTUNE_OK);
    identical &= gpt2_attune_get_num_threads() == threads &&
                 memcmp(threaded, logits, sizeof(float) * BATCH * SEQ * VOCAB) == 0;
  }
  printf("same logits on 1, 2, 3 threads: %s\n", identical ? "yes" : "no");
  failures += !identical;
  free(threaded);

  expect("seq above bound", gpt2_run(model, 1, GPT2_MAX_SEQ + 1, ids, logits),
         ATTUNE_ERROR_SHAPE);
  expect("batch above bound", gpt2_run(model, GPT2_MAX_BATCH + 1, 1, ids, logits),
         ATTUNE_ERROR_SHAPE);
  expect("zero length", gpt2_run(model, 1, 0, ids, logits), ATTUNE_ERROR_SHAPE);
  expect("null input", gpt2_run(model, 1, SEQ, NULL, logits), ATTUNE_ERROR_INVALID_ARGUMENT);
  expect("null output", gpt2_run(model, 1, SEQ, ids, NULL), ATTUNE_ERROR_INVALID_ARGUMENT);
  expect("null model", gpt2_run(NULL, 1, SEQ, ids, logits), ATTUNE_ERROR_INVALID_ARGUMENT);

  /* The generic API: a wrong output shape and an unknown input are refused. */
  attune_tensor in = {"input_ids", ATTUNE_I32, 2, {1, SEQ}, ids};
  attune_tensor out = {"logits", ATTUNE_F32, 3, {1, SEQ, VOCAB - 1}, logits};
  expect("wrong output shape", gpt2_attune_model_run(model, &in, 1, &out, 1), ATTUNE_ERROR_SHAPE);
  attune_tensor wrong_rank = {"input_ids", ATTUNE_I32, 3, {1, SEQ, 1}, ids};
  out.shape[2] = VOCAB;
  expect("wrong input rank", gpt2_attune_model_run(model, &wrong_rank, 1, &out, 1), ATTUNE_ERROR_SHAPE);
  attune_tensor wrong_dtype = {"input_ids", ATTUNE_F32, 2, {1, SEQ}, ids};
  expect("wrong input dtype", gpt2_attune_model_run(model, &wrong_dtype, 1, &out, 1),
         ATTUNE_ERROR_INVALID_ARGUMENT);
  attune_tensor unknown = {"attention_mask", ATTUNE_I32, 2, {1, SEQ}, ids};
  expect("unknown input", gpt2_attune_model_run(model, &unknown, 1, &out, 1),
         ATTUNE_ERROR_INVALID_ARGUMENT);

  gpt2_attune_model_close(model);
  free(logits);
  free(single);
  printf("%d failures\n", failures);
  return failures != 0;
}

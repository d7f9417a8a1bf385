/* The KV cache as a C program uses it through the generated header (gpt2.h of a GPT-2 built
 * with batch <= 4, cache <= 128, vocabulary 300): every misuse gets a status and a message,
 * a padded prefill row and a decode step match the forward pass, a refused call changes
 * nothing, and reset empties the rows.
 * Usage: kv_cache WEIGHTS  (one line per check; exits non-zero on a failed check) */
#include "gpt2.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { VOCAB = 300 };

static int failures = 0;

static void expect(const char *what, attune_status status, attune_status want) {
  int ok = status == want;
  failures += !ok;
  printf("%s: %s: %s%s%s\n", what, ok ? "ok" : "UNEXPECTED", gpt2_attune_status_name(status),
         status ? ": " : "", status ? gpt2_attune_last_error() : "");
}

static void check(const char *what, int ok) {
  failures += !ok;
  printf("%s: %s\n", what, ok ? "yes" : "NO");
}

/* Whether two rows of logits agree to 1e-5 of their largest magnitude. */
static int close_rows(const float *a, const float *b) {
  float largest = 0, worst = 0;
  for (int i = 0; i < VOCAB; ++i) {
    largest = fmaxf(largest, fabsf(b[i]));
    worst = fmaxf(worst, fabsf(a[i] - b[i]));
  }
  return worst <= 1e-5f * largest;
}

static void print_lengths(const char *what, attune_session *session) {
  int64_t a = -1, b = -1;
  gpt2_attune_session_cache_length(session, 0, &a);
  gpt2_attune_session_cache_length(session, 1, &b);
  printf("%s: %lld %lld\n", what, (long long)a, (long long)b);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s WEIGHTS\n", argv[0]);
    return 2;
  }
  attune_model *model = NULL;
  attune_session *session = NULL;
  if (gpt2_open(argv[1], &model) != ATTUNE_OK ||
      gpt2_attune_session_create(model, &session) != ATTUNE_OK) {
    fprintf(stderr, "kv_cache: %s\n", gpt2_attune_last_error());
    return 1;
  }
  static float logits[2 * 8 * VOCAB], reference[8 * VOCAB];
  int32_t prompts[2 * 3] = {17, 42, 99, 7, 0, 0}; /* row 1 is one token and padding */
  int64_t lengths[2] = {3, 1};

  expect("append before reserve", gpt2_session_prefill(session, 2, 3, prompts, logits, lengths),
         ATTUNE_ERROR_INVALID_ARGUMENT);
  expect("reserve past the bound", gpt2_attune_session_reserve_cache(session, NULL, 4, 129),
         ATTUNE_ERROR_SHAPE);
  expect("reserve an entry without a step",
         gpt2_attune_session_reserve_cache(session, "encode", 1, 8),
         ATTUNE_ERROR_INVALID_ARGUMENT);
  attune_tensor past_in[] = {{"input_ids", ATTUNE_I32, 2, {1, 1}, prompts},
                             {"past_lengths", ATTUNE_I32, 1, {1}, prompts}};
  attune_tensor out[] = {{"logits", ATTUNE_F32, 3, {1, 1, VOCAB}, logits}};
  expect("run the step outside the cache",
         gpt2_attune_session_run(session, "forward_step", past_in, 2, out, 1),
         ATTUNE_ERROR_INVALID_ARGUMENT);

  if (gpt2_attune_session_reserve_cache(session, NULL, 2, 8) != ATTUNE_OK) {
    fprintf(stderr, "kv_cache: %s\n", gpt2_attune_last_error());
    return 1;
  }
  expect("prefill", gpt2_session_prefill(session, 2, 3, prompts, logits, lengths), ATTUNE_OK);
  print_lengths("lengths after prefill", session);
  gpt2_run(model, 1, 1, &prompts[3], reference);
  check("padded row equals its prompt alone", close_rows(logits + 3 * VOCAB, reference));

  int32_t next[2] = {123, 45};
  expect("decode", gpt2_session_decode(session, 2, next, logits), ATTUNE_OK);
  int32_t whole[4] = {17, 42, 99, 123};
  gpt2_run(model, 1, 4, whole, reference);
  check("decode equals the forward pass of the whole sequence",
        close_rows(logits, reference + 3 * VOCAB));

  /* Decode steps after the first take their intermediates from the session's arena: its
   * memory from the system stays what it was (the memory plan will make that a bound). */
  size_t peak = 0, reserved = 0, later_peak = 0, later_reserved = 0;
  gpt2_attune_session_arena_bytes(session, &peak, &reserved);
  int decoded = 1;
  for (int step = 0; step < 3 && decoded; ++step)
    decoded = gpt2_session_decode(session, 2, next, logits) == ATTUNE_OK;
  gpt2_attune_session_arena_bytes(session, &later_peak, &later_reserved);
  check("decode steps reuse the arena", decoded && reserved > 0 && later_reserved == reserved);

  int32_t three[3] = {1, 2, 3};
  expect("too many rows", gpt2_session_decode(session, 3, three, logits), ATTUNE_ERROR_SHAPE);
  int64_t two[2] = {2, 1};
  attune_tensor step_in[] = {{"input_ids", ATTUNE_I32, 2, {2, 1}, next}};
  attune_tensor step_out[] = {{"logits", ATTUNE_F32, 3, {2, 1, VOCAB}, logits}};
  expect("bad new-token count", gpt2_attune_session_append(session, step_in, 1, two, step_out, 1),
         ATTUNE_ERROR_INVALID_ARGUMENT);
  int32_t five[2 * 5] = {0};
  expect("overflow", gpt2_session_prefill(session, 2, 5, five, logits, NULL), ATTUNE_ERROR_SHAPE);
  print_lengths("lengths after a refused call", session);
  expect("reset", gpt2_attune_session_reset_cache(session), ATTUNE_OK);
  print_lengths("lengths after reset", session);

  gpt2_attune_session_destroy(session);
  gpt2_attune_model_close(model);
  printf("%d failures\n", failures);
  return failures != 0;
}

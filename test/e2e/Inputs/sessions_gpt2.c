/* Sessions of one generated model from several application threads, as a server would run
 * them: 8 sessions of GPT-2 on 4 threads (the pool shared by their kernels), each session
 * running a different batch and length for 12 rounds. Every run's logits must be bit-identical
 * to the same input run alone on a single session with the pool to itself.
 * Usage: sessions_gpt2 WEIGHTS  (prints one line per check; exits non-zero on a failed one) */
#include "gpt2.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SESSIONS = 8, ROUNDS = 12, VOCAB = 512 };

typedef struct work {
  attune_session *session;
  int index;
  int64_t batch[ROUNDS], seq[ROUNDS];
  int32_t *ids[ROUNDS];
  float *expected[ROUNDS];
  int failures, mismatches;
} work;

static void *serve(void *arg) {
  work *w = arg;
  for (int r = 0; r < ROUNDS; ++r) {
    size_t count = (size_t)(w->batch[r] * w->seq[r] * VOCAB);
    float *logits = malloc(sizeof(float) * count);
    if (gpt2_session_run(w->session, w->batch[r], w->seq[r], w->ids[r], logits) != ATTUNE_OK)
      ++w->failures;
    else if (memcmp(logits, w->expected[r], sizeof(float) * count) != 0)
      ++w->mismatches;
    free(logits);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s WEIGHTS\n", argv[0]);
    return 2;
  }
  attune_model *model = NULL;
  if (gpt2_open(argv[1], &model) != ATTUNE_OK) {
    printf("open: %s\n", gpt2_attune_last_error());
    return 1;
  }
  gpt2_attune_set_num_threads(4);
  static work works[SESSIONS];
  attune_session *alone = NULL;
  int failures = gpt2_attune_session_create(model, &alone) != ATTUNE_OK;
  for (int s = 0; s < SESSIONS; ++s) {
    work *w = &works[s];
    w->index = s;
    failures += gpt2_attune_session_create(model, &w->session) != ATTUNE_OK;
    for (int r = 0; r < ROUNDS; ++r) {
      w->batch[r] = 1 + (s + r) % 3;
      w->seq[r] = 1 + (s * 7 + r * 11) % GPT2_MAX_SEQ;
      size_t tokens = (size_t)(w->batch[r] * w->seq[r]);
      w->ids[r] = malloc(sizeof(int32_t) * tokens);
      for (size_t t = 0; t < tokens; ++t)
        w->ids[r][t] = (int32_t)((t * 31 + (size_t)s * 17 + (size_t)r * 5) % VOCAB);
      w->expected[r] = malloc(sizeof(float) * tokens * VOCAB);
      failures += gpt2_session_run(alone, w->batch[r], w->seq[r], w->ids[r], w->expected[r]) !=
                  ATTUNE_OK;
    }
  }
  printf("runs alone: %s\n", failures ? "FAILED" : "ok");

  pthread_t threads[SESSIONS];
  for (int s = 0; s < SESSIONS; ++s)
    pthread_create(&threads[s], NULL, serve, &works[s]);
  for (int s = 0; s < SESSIONS; ++s)
    pthread_join(threads[s], NULL);
  int runFailures = 0, mismatches = 0;
  for (int s = 0; s < SESSIONS; ++s) {
    runFailures += works[s].failures;
    mismatches += works[s].mismatches;
  }
  printf("concurrent runs: %d of %d failed, %d differ from running alone\n", runFailures,
         SESSIONS * ROUNDS, mismatches);
  failures += runFailures + mismatches;

  /* Each session's arena holds what its own runs needed, and the model's own stayed unused. */
  size_t peak = 0, reserved = 0;
  int arenas = 1;
  for (int s = 0; s < SESSIONS; ++s)
    arenas &= gpt2_attune_session_arena_bytes(works[s].session, &peak, &reserved) == ATTUNE_OK &&
              peak > 0 && reserved >= peak;
  arenas &= gpt2_attune_model_arena_bytes(model, &peak, &reserved) == ATTUNE_OK && peak == 0;
  printf("one arena per session: %s\n", arenas ? "yes" : "no");
  failures += !arenas;

  for (int s = 0; s < SESSIONS; ++s) {
    gpt2_attune_session_destroy(works[s].session);
    for (int r = 0; r < ROUNDS; ++r) {
      free(works[s].ids[r]);
      free(works[s].expected[r]);
    }
  }
  gpt2_attune_session_destroy(alone);
  gpt2_attune_model_close(model);
  printf("%d failures\n", failures);
  return failures != 0;
}

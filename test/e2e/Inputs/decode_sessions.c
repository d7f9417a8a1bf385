/* Decoding with many sessions at once, as a server generates for several users: 8 sessions of
 * one GPT-2 (gpt2.h of a build with cache <= 128, vocabulary 300) on a pool of 4 threads, each
 * session on its own application thread prefilling its own prompt and decoding 100 greedy
 * tokens through its KV cache. Every session's tokens must equal what the same prompt gives
 * on a single session with the machine to itself.
 * Usage: decode_sessions WEIGHTS  (prints one line per check; exits non-zero on a failed one) */
#include "gpt2.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SESSIONS = 8, STEPS = 100, VOCAB = 300, LONGEST_PROMPT = 10 };

typedef struct work {
  attune_session *session;
  int32_t prompt[LONGEST_PROMPT];
  int length;
  int32_t tokens[STEPS + 1], expected[STEPS + 1];
  int failed;
} work;

static int32_t most_likely(const float *logits) {
  int32_t best = 0;
  for (int t = 1; t < VOCAB; ++t)
    if (logits[t] > logits[best])
      best = t;
  return best;
}

/* Prefill, then STEPS decode steps: STEPS + 1 greedy tokens into `out`. */
static int generate(attune_session *session, const int32_t *prompt, int length, int32_t *out) {
  static __thread float logits[LONGEST_PROMPT * VOCAB];
  if (gpt2_attune_session_reset_cache(session) != ATTUNE_OK ||
      gpt2_session_prefill(session, 1, length, prompt, logits, NULL) != ATTUNE_OK)
    return 0;
  out[0] = most_likely(logits + (length - 1) * VOCAB);
  for (int step = 1; step <= STEPS; ++step) {
    if (gpt2_session_decode(session, 1, &out[step - 1], logits) != ATTUNE_OK)
      return 0;
    out[step] = most_likely(logits);
  }
  return 1;
}

static void *serve(void *arg) {
  work *w = arg;
  w->failed = !generate(w->session, w->prompt, w->length, w->tokens);
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
  int failures = gpt2_attune_session_create(model, &alone) != ATTUNE_OK ||
                 gpt2_attune_session_reserve_cache(alone, NULL, 1, LONGEST_PROMPT + STEPS) !=
                     ATTUNE_OK;
  for (int s = 0; s < SESSIONS && !failures; ++s) {
    work *w = &works[s];
    w->length = 3 + s % (LONGEST_PROMPT - 2);
    for (int t = 0; t < w->length; ++t)
      w->prompt[t] = (int32_t)((t * 31 + s * 17 + 5) % VOCAB);
    failures += gpt2_attune_session_create(model, &w->session) != ATTUNE_OK ||
                gpt2_attune_session_reserve_cache(w->session, NULL, 1, w->length + STEPS) !=
                    ATTUNE_OK ||
                !generate(alone, w->prompt, w->length, w->expected);
  }
  printf("generations alone: %s\n", failures ? gpt2_attune_last_error() : "ok");
  if (failures)
    return 1;

  pthread_t threads[SESSIONS];
  for (int s = 0; s < SESSIONS; ++s)
    pthread_create(&threads[s], NULL, serve, &works[s]);
  for (int s = 0; s < SESSIONS; ++s)
    pthread_join(threads[s], NULL);
  int runFailures = 0, mismatches = 0, distinct = 0;
  for (int s = 0; s < SESSIONS; ++s) {
    runFailures += works[s].failed;
    mismatches += memcmp(works[s].tokens, works[s].expected, sizeof works[s].tokens) != 0;
    distinct += s > 0 && memcmp(works[s].expected, works[0].expected, sizeof works[s].expected);
  }
  printf("concurrent generations: %d of %d failed, %d differ from generating alone\n",
         runFailures, SESSIONS, mismatches);
  /* The prompts differ, and so do the generations: the check compares something. */
  printf("generations that differ from the first: %d of %d\n", distinct, SESSIONS - 1);
  failures += runFailures + mismatches + (distinct == 0);

  for (int s = 0; s < SESSIONS; ++s)
    gpt2_attune_session_destroy(works[s].session);
  gpt2_attune_session_destroy(alone);
  gpt2_attune_model_close(model);
  printf("%d failures\n", failures);
  return failures != 0;
}

/* Greedy generation through a generated library's header, as an application embeds it:
 * open the model, make a session, run the growing sequence, take the most likely next token,
 * stop at eos or after N tokens. Built against GPT-2 (gpt2.h, libgpt2.so); any causal LM's
 * header has the same helpers under its own name.
 *
 *   cc examples/generate.c -Iout -Lout -lgpt2 -lm -o generate
 *   LD_LIBRARY_PATH=out ./generate WEIGHTS MAX_NEW_TOKENS EOS TOKEN [TOKEN ...]
 *
 * Prints "tokens: ..." as they come (EOS -1: never stop early). Each step recomputes the whole
 * sequence: the library has no KV-cache entry points yet. Exits 2 on a prompt that does not
 * fit GPT2_MAX_SEQ or has ids outside the vocabulary, 1 with the runtime's message on any
 * failure of the library. */
#include "gpt2.h"

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
  fprintf(stderr, "generate: %s: %s\n", what, gpt2_attune_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s WEIGHTS MAX_NEW_TOKENS EOS TOKEN [TOKEN ...]\n", argv[0]);
    return 2;
  }
  int max_new = atoi(argv[2]);
  long eos = atol(argv[3]);
  int prompt = argc - 4;
  if (max_new < 1 || prompt + max_new - 1 > GPT2_MAX_SEQ) {
    fprintf(stderr, "generate: %d prompt tokens and %d new ones do not fit seq <= %d\n", prompt,
            max_new, GPT2_MAX_SEQ);
    return 2;
  }

  attune_model *model = NULL;
  if (gpt2_open(argv[1], &model) != ATTUNE_OK)
    return fail("open");
  attune_session *session = NULL;
  if (gpt2_attune_session_create(model, &session) != ATTUNE_OK)
    return fail("session");
  /* The vocabulary: the last dim of the logits output. */
  attune_tensor logits_info;
  if (gpt2_attune_model_output(model, 0, &logits_info) != ATTUNE_OK)
    return fail("output");
  int64_t vocab = logits_info.shape[logits_info.rank - 1];

  int32_t *sequence = malloc(sizeof(int32_t) * (size_t)(prompt + max_new));
  float *logits = malloc(sizeof(float) * (size_t)((prompt + max_new) * vocab));
  for (int i = 0; i < prompt; ++i) {
    long id = atol(argv[4 + i]);
    if (id < 0 || id >= vocab) {
      fprintf(stderr, "generate: token %ld is outside the vocabulary [0, %lld)\n", id,
              (long long)vocab);
      return 2;
    }
    sequence[i] = (int32_t)id;
  }
  int length = prompt, status = 0;
  printf("tokens:");
  for (int step = 0; step < max_new; ++step) {
    if (gpt2_session_run(session, 1, length, sequence, logits) != ATTUNE_OK) {
      status = fail("run");
      break;
    }
    const float *last = logits + (int64_t)(length - 1) * vocab;
    int32_t next = 0;
    for (int64_t t = 1; t < vocab; ++t)
      if (last[t] > last[next])
        next = (int32_t)t;
    sequence[length++] = next;
    printf(" %d", next);
    fflush(stdout);
    if (next == eos)
      break;
  }
  printf("\n");
  free(sequence);
  free(logits);
  gpt2_attune_session_destroy(session);
  gpt2_attune_model_close(model);
  return status;
}

// A weights file for the runtime tests' hand-written entries, which read no weights: one
// unused tensor, as attune_model_open needs a valid file.
#ifndef ATTUNE_TEST_RUNTIME_PLACEHOLDERWEIGHTS_H
#define ATTUNE_TEST_RUNTIME_PLACEHOLDERWEIGHTS_H

#include "attune/runtime.h"

#include <string>

inline attune_status writePlaceholderWeights(const std::string &path) {
  float unused = 0;
  attune_tensor t = {"unused", ATTUNE_F32, 1, {1}, &unused};
  return attune_safetensors_write(path.c_str(), &t, 1);
}

#endif // ATTUNE_TEST_RUNTIME_PLACEHOLDERWEIGHTS_H

// The memref descriptors the runtime passes to a model's entry function, as the hand-written
// entries of the runtime tests read them: {allocated, aligned, offset, sizes, strides}.
#ifndef ATTUNE_TEST_RUNTIME_DESCRIPTORS_H
#define ATTUNE_TEST_RUNTIME_DESCRIPTORS_H

#include <cstdint>

struct Descriptor2D {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
};
/// A 1-D buffer of any element type (floats; a workspace of bytes, a size function's dims).
template <typename T> struct Buffer1D {
  T *allocated, *aligned;
  int64_t offset, sizes[1], strides[1];
};
using Descriptor1D = Buffer1D<float>;

#endif // ATTUNE_TEST_RUNTIME_DESCRIPTORS_H

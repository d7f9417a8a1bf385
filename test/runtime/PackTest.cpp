// Unit tests of weight packing (pack.c, quantize.c): both file layouts into the kernel's column
// panels, zero past the last column, f32 panels, the bf16 panels of --precision=bf16 (f32
// weights rounded to nearest even, BF16 weights copied) and the rounding itself, and the i8
// panels and column scales of --weights-int8.
#include "attune/runtime.h"
extern "C" {
#include "internal.h"
}

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

float bits(uint32_t value) {
  float f;
  std::memcpy(&f, &value, sizeof f);
  return f;
}

TEST(PackTest, RoundsToNearestEven) {
  EXPECT_EQ(attune_f32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(attune_f32_to_bf16(-3.140625f), 0xc049);
  // Halfway cases go to the even neighbour; just above half rounds up.
  EXPECT_EQ(attune_f32_to_bf16(bits(0x3f808000)), 0x3f80);
  EXPECT_EQ(attune_f32_to_bf16(bits(0x3f818000)), 0x3f82);
  EXPECT_EQ(attune_f32_to_bf16(bits(0x3f808001)), 0x3f81);
  EXPECT_EQ(attune_f32_to_bf16(bits(0x3f807fff)), 0x3f80);
  // Past the largest bf16 rounds to infinity; infinities and signed zeros stay.
  EXPECT_EQ(attune_f32_to_bf16(bits(0x7f7fffff)), 0x7f80);
  EXPECT_EQ(attune_f32_to_bf16(INFINITY), 0x7f80);
  EXPECT_EQ(attune_f32_to_bf16(-INFINITY), 0xff80);
  EXPECT_EQ(attune_f32_to_bf16(-0.0f), 0x8000);
  // NaNs stay NaNs (a payload only in the low bits would otherwise round to infinity).
  EXPECT_TRUE(std::isnan(attune_bf16_to_f32(attune_f32_to_bf16(bits(0x7f800001)))));
  EXPECT_TRUE(std::isnan(attune_bf16_to_f32(attune_f32_to_bf16(bits(0xffc00000)))));
  // Every bf16 value round-trips.
  for (uint32_t b = 0; b < 0x10000; ++b) {
    float value = attune_bf16_to_f32(static_cast<uint16_t>(b));
    if (!std::isnan(value))
      ASSERT_EQ(attune_f32_to_bf16(value), b) << b;
  }
}

/// W [k, n] with W[i][j] = 1 + (i·n + j)/8 (exact in bf16: a few bits), and as a file stores
/// it ([k, n], or [n, k] when transposed) in F32 and in BF16.
struct StoredWeight {
  std::vector<float> w, stored;
  std::vector<uint16_t> storedBf16;
  StoredWeight(int64_t k, int64_t n, bool transposed) : w(k * n), stored(k * n), storedBf16(k * n) {
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j) {
        w[i * n + j] = 1.0f + float(i * n + j) / 8.0f;
        stored[transposed ? j * k + i : i * n + j] = w[i * n + j];
      }
    for (size_t i = 0; i < stored.size(); ++i)
      storedBf16[i] = attune_f32_to_bf16(stored[i]);
  }
};

// W [K = 3, N = 5] in panels of width 4: two panels, the second holding one column.
class PackLayouts : public ::testing::TestWithParam<bool> {};

TEST_P(PackLayouts, PacksEitherLayoutIntoEitherPrecision) {
  bool transposed = GetParam();
  const int64_t k = 3, n = 5, width = 4;
  StoredWeight weight(k, n, transposed);
  const std::vector<float> &w = weight.w, &stored = weight.stored;
  const std::vector<uint16_t> &storedBf16 = weight.storedBf16;

  auto *f32 = static_cast<float *>(attune_pack_panels(stored.data(), ATTUNE_F32, k, n, width,
                                                      transposed, ATTUNE_F32, false, false));
  auto *fromF32 = static_cast<uint16_t *>(attune_pack_panels(
      stored.data(), ATTUNE_F32, k, n, width, transposed, ATTUNE_BF16, false, false));
  auto *fromBf16 = static_cast<uint16_t *>(attune_pack_panels(
      storedBf16.data(), ATTUNE_BF16, k, n, width, transposed, ATTUNE_BF16, false, false));
  auto *widened = static_cast<float *>(attune_pack_panels(
      storedBf16.data(), ATTUNE_BF16, k, n, width, transposed, ATTUNE_F32, false, false));
  ASSERT_TRUE(f32 && fromF32 && fromBf16 && widened);
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < width; ++j) {
        int64_t column = p * width + j, at = (p * k + i) * width + j;
        float want = column < n ? w[i * n + column] : 0.0f;
        EXPECT_EQ(f32[at], want) << p << " " << i << " " << j;
        EXPECT_EQ(attune_bf16_to_f32(fromF32[at]), want) << p << " " << i << " " << j;
        EXPECT_EQ(fromBf16[at], fromF32[at]) << p << " " << i << " " << j;
        EXPECT_EQ(widened[at], want) << p << " " << i << " " << j; // a BF16 file, f32 panels
      }
  std::free(f32);
  std::free(fromF32);
  std::free(fromBf16);
  std::free(widened);
}

// W [K = 4, N = 5] in bf16 panels of width 4 in k pairs ([P][K/2][width][2], the operand
// layout of vdpbf16ps), from F32 and from BF16.
TEST_P(PackLayouts, PacksKPairs) {
  bool transposed = GetParam();
  const int64_t k = 4, n = 5, width = 4;
  StoredWeight weight(k, n, transposed);
  const std::vector<float> &w = weight.w, &stored = weight.stored;
  const std::vector<uint16_t> &storedBf16 = weight.storedBf16;
  auto *fromF32 = static_cast<uint16_t *>(attune_pack_panels(stored.data(), ATTUNE_F32, k, n, width,
                                                             transposed, ATTUNE_BF16, true, false));
  auto *fromBf16 = static_cast<uint16_t *>(attune_pack_panels(
      storedBf16.data(), ATTUNE_BF16, k, n, width, transposed, ATTUNE_BF16, true, false));
  ASSERT_TRUE(fromF32 && fromBf16);
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < width; ++j) {
        int64_t column = p * width + j, at = ((p * k / 2 + i / 2) * width + j) * 2 + i % 2;
        float want = column < n ? w[i * n + column] : 0.0f;
        EXPECT_EQ(attune_bf16_to_f32(fromF32[at]), want) << p << " " << i << " " << j;
        EXPECT_EQ(fromBf16[at], fromF32[at]) << p << " " << i << " " << j;
      }
  std::free(fromF32);
  std::free(fromBf16);
}

INSTANTIATE_TEST_SUITE_P(KnAndNk, PackLayouts, ::testing::Bool());

// W [K = 4, N = 3] in panels of width 2: columns of different ranges, one all zeros.
TEST_P(PackLayouts, QuantizesEachColumnSymmetrically) {
  bool transposed = GetParam();
  const int64_t k = 4, n = 3, width = 2;
  const float w[k][n] = {
      {0.5f, 0.0f, -254.0f}, {-1.0f, 0.0f, 127.0f}, {0.25f, 0.0f, 1.0f}, {0.004f, 0.0f, -0.9f}};
  std::vector<float> stored(k * n);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      stored[transposed ? j * k + i : i * n + j] = w[i][j];
  int8_t *panels = nullptr;
  float *scales = nullptr;
  ASSERT_TRUE(
      attune_quantize_panels(stored.data(), k, n, width, transposed, false, &panels, &scales));
  // max |W[:, n]| / 127; a column of zeros (and the padding column) gets 1.
  EXPECT_EQ(scales[0], 1.0f / 127.0f);
  EXPECT_EQ(scales[1], 1.0f);
  EXPECT_EQ(scales[2], 2.0f);
  EXPECT_EQ(scales[3], 1.0f);
  const int8_t want[k][n] = {{64, 0, -127}, {-127, 0, 64}, {32, 0, 0}, {1, 0, 0}};
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < width * 2; ++j) {
      int8_t got = panels[(j / width * k + i) * width + j % width];
      EXPECT_EQ(got, j < n ? want[i][j] : 0) << i << " " << j;
      // Within half a step of the weight.
      if (j < n)
        EXPECT_LE(std::fabs(got * scales[j] - w[i][j]), scales[j] / 2 + 1e-6f) << i << " " << j;
    }
  std::free(panels);
  std::free(scales);
}

} // namespace

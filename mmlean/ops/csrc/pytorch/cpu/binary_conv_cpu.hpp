// Shared pieces of the CPU binary convolution: input packing, the per-sample
// mean and the depthwise kernel (binary_conv_dw_cpu.cpp).
#pragma once

#include <torch/extension.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "cpu_isa.hpp"

namespace mmlean {

// The buffer pack_input writes from a channels_last float input of
// groups * cin_g channels: words X[group][n][h + 2 pad][column][pix_words],
// bit j of word k of a group = (channel 64 k + j of the group < thr[n]).
// Words past ceil(cin_g / 64) of a pixel are written 0; the zero border is
// left as the buffer holds it. With phases = s > 1, a row stores the padded
// columns c = iw + pad in s runs of ceil(wp / s): column c at (c % s) *
// phase_len() + c / s, so the inputs of consecutive outputs of a stride-s conv
// at one tap are consecutive. With split, channel word k of a pixel is stored
// as two words, 2 k: its low nibbles (word & 0x0f0f...) and 2 k + 1: its high
// nibbles ((word >> 4) & 0x0f0f...), the operands of the AVX2 kernel's
// nibble-table popcount (pix_words >= 2 words).
struct PackLayout {
  int64_t n, h, w;
  int64_t groups, cin_g;
  int64_t words, pix_words;  // words holding channels / words per pixel
  int64_t pad;
  int64_t phases = 1;
  bool split = false;
  int64_t hp() const { return h + 2 * pad; }
  int64_t wp() const { return w + 2 * pad; }
  int64_t phase_len() const { return (wp() + phases - 1) / phases; }
  int64_t row_pixels() const { return phases * phase_len(); }
  int64_t group_words() const { return n * hp() * row_pixels() * pix_words; }
};

void pack_input(const float* x, const float* thr, const PackLayout& p, uint64_t* xp,
                CpuIsa isa);

// The epilogue's arrays: out = y * scale + bias (float) or y (int); then, for
// a float output, + residual and clamped to [lo, hi] (the general AVX2 and
// scalar kernels do it in their epilogue; the others after the kernel).
struct ConvOutput {
  const float* scale;  // (cout) or null
  const float* bias;   // (cout) or null
  float* out_f;        // NHWC float output, or null
  int32_t* out_i;      // NHWC int output, or null
  const float* residual = nullptr;  // NHWC like the output, or null
  bool clamp = false;
  float lo = 0.f, hi = 0.f;         // clamp bounds (+-inf: that side is open)
};

// Depthwise (groups == C == Cout) binary conv of a channels_last contiguous
// input with a weight of the depthwise layout (KH, KW, ceil(C / 64)).
void depthwise_conv_cpu(const at::Tensor& input, const float* thr, const at::Tensor& weight,
                        const at::Tensor& output, const ConvOutput& out, int64_t stride,
                        int64_t pad, int64_t dil, CpuIsa isa);

// Valid taps [k0, k1) (k0 <= k1) of a kernel of k taps spaced dil apart whose
// first tap reads input index i0, in an input of the given size.
inline std::pair<int64_t, int64_t> tap_range(int64_t i0, int64_t k, int64_t dil,
                                             int64_t size) {
  int64_t k0 = i0 >= 0 ? 0 : (-i0 + dil - 1) / dil;
  int64_t k1 = i0 >= size ? 0 : (size - 1 - i0) / dil + 1;
  k0 = std::min(k0, k);
  k1 = std::max(std::min(k1, k), k0);
  return {k0, k1};
}

}  // namespace mmlean

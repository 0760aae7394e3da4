// CPU kernels of sign_pack / sign_unpack with run-time ISA dispatch.
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "cpu_isa.hpp"
#include "device_registry.hpp"

namespace {

constexpr int64_t kTile = 64;  // positions packed together in the NCHW path

// NCHW body, written so that the compiler vectorizes the inner loop over
// positions with whatever ISA the calling (target-attributed) function allows.
template <bool Dummy = true>
inline __attribute__((always_inline)) void pack_nchw_body(
    const float* x, int64_t channels, int64_t positions, int64_t words,
    int64_t begin, int64_t end, uint64_t* out) {
  // [begin, end) indexes (n, tile) pairs
  const int64_t tiles = (positions + kTile - 1) / kTile;
  for (int64_t it = begin; it < end; ++it) {
    const int64_t n = it / tiles;
    const int64_t p0 = (it % tiles) * kTile;
    const int64_t count = std::min(kTile, positions - p0);
    for (int64_t k = 0; k < words; ++k) {
      uint64_t acc[kTile] = {0};
      const int64_t c_end = std::min<int64_t>(64, channels - 64 * k);
      for (int64_t j = 0; j < c_end; ++j) {
        const float* row = x + (n * channels + 64 * k + j) * positions + p0;
        for (int64_t p = 0; p < count; ++p)
          acc[p] |= static_cast<uint64_t>(row[p] < 0.f) << j;
      }
      for (int64_t p = 0; p < count; ++p)
        out[(n * positions + p0 + p) * words + k] = acc[p];
    }
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void pack_nchw_avx512(
    const float* x, int64_t c, int64_t p, int64_t w, int64_t b, int64_t e,
    uint64_t* out) {
  pack_nchw_body(x, c, p, w, b, e, out);
}
__attribute__((target("avx2"))) void pack_nchw_avx2(
    const float* x, int64_t c, int64_t p, int64_t w, int64_t b, int64_t e,
    uint64_t* out) {
  pack_nchw_body(x, c, p, w, b, e, out);
}
void pack_nchw_scalar(const float* x, int64_t c, int64_t p, int64_t w,
                      int64_t b, int64_t e, uint64_t* out) {
  pack_nchw_body(x, c, p, w, b, e, out);
}

// Channels-last body: the C channels of one position are contiguous.
inline uint64_t pack64_scalar(const float* v, int64_t count) {
  uint64_t word = 0;
  for (int64_t j = 0; j < count; ++j)
    word |= static_cast<uint64_t>(v[j] < 0.f) << j;
  return word;
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void pack_nhwc_avx512(
    const float* x, int64_t channels, int64_t words, int64_t begin,
    int64_t end, uint64_t* out) {
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t pos = begin; pos < end; ++pos) {
    const float* v = x + pos * channels;
    uint64_t* o = out + pos * words;
    int64_t k = 0;
    for (; 64 * (k + 1) <= channels; ++k) {
      const float* b = v + 64 * k;
      uint64_t m0 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b), zero, _CMP_LT_OQ);
      uint64_t m1 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 16), zero, _CMP_LT_OQ);
      uint64_t m2 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 32), zero, _CMP_LT_OQ);
      uint64_t m3 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 48), zero, _CMP_LT_OQ);
      o[k] = m0 | (m1 << 16) | (m2 << 32) | (m3 << 48);
    }
    if (k < words) o[k] = pack64_scalar(v + 64 * k, channels - 64 * k);
  }
}

__attribute__((target("avx2"))) void pack_nhwc_avx2(
    const float* x, int64_t channels, int64_t words, int64_t begin,
    int64_t end, uint64_t* out) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t pos = begin; pos < end; ++pos) {
    const float* v = x + pos * channels;
    uint64_t* o = out + pos * words;
    int64_t k = 0;
    for (; 64 * (k + 1) <= channels; ++k) {
      uint64_t word = 0;
      for (int q = 0; q < 8; ++q) {
        __m256 lt = _mm256_cmp_ps(_mm256_loadu_ps(v + 64 * k + 8 * q), zero,
                                  _CMP_LT_OQ);
        word |= static_cast<uint64_t>(_mm256_movemask_ps(lt)) << (8 * q);
      }
      o[k] = word;
    }
    if (k < words) o[k] = pack64_scalar(v + 64 * k, channels - 64 * k);
  }
}

void pack_nhwc_scalar(const float* x, int64_t channels, int64_t words,
                      int64_t begin, int64_t end, uint64_t* out) {
  for (int64_t pos = begin; pos < end; ++pos)
    for (int64_t k = 0; k < words; ++k)
      out[pos * words + k] = pack64_scalar(
          x + pos * channels + 64 * k, std::min<int64_t>(64, channels - 64 * k));
}

}  // namespace

at::Tensor sign_pack_cpu(const at::Tensor& input, at::Tensor& output) {
  const int64_t n = input.size(0), channels = input.size(1);
  const int64_t positions = input.numel() / (n * channels);
  const int64_t words = output.size(-1);
  auto* out = reinterpret_cast<uint64_t*>(output.data_ptr<int64_t>());
  const mmlean::CpuIsa isa = mmlean::cpu_isa();

  const bool channels_last = input.dim() == 4 && !input.is_contiguous() &&
                             input.is_contiguous(at::MemoryFormat::ChannelsLast);
  if (channels_last) {
    const float* x = input.data_ptr<float>();
    at::parallel_for(0, n * positions, 256, [&](int64_t b, int64_t e) {
      if (isa == mmlean::CpuIsa::kAvx512) pack_nhwc_avx512(x, channels, words, b, e, out);
      else if (isa == mmlean::CpuIsa::kAvx2) pack_nhwc_avx2(x, channels, words, b, e, out);
      else pack_nhwc_scalar(x, channels, words, b, e, out);
    });
    return output;
  }
  const at::Tensor contiguous = input.contiguous();
  const float* x = contiguous.data_ptr<float>();
  const int64_t tiles = (positions + kTile - 1) / kTile;
  at::parallel_for(0, n * tiles, 4, [&](int64_t b, int64_t e) {
    if (isa == mmlean::CpuIsa::kAvx512) pack_nchw_avx512(x, channels, positions, words, b, e, out);
    else if (isa == mmlean::CpuIsa::kAvx2) pack_nchw_avx2(x, channels, positions, words, b, e, out);
    else pack_nchw_scalar(x, channels, positions, words, b, e, out);
  });
  return output;
}

at::Tensor sign_unpack_cpu(const at::Tensor& packed, at::Tensor& output) {
  const int64_t n = output.size(0), channels = output.size(1);
  const int64_t positions = output.numel() / (n * channels);
  const int64_t words = packed.size(-1);
  const auto* in = reinterpret_cast<const uint64_t*>(packed.data_ptr<int64_t>());
  float* out = output.data_ptr<float>();
  at::parallel_for(0, n * channels, 16, [&](int64_t b, int64_t e) {
    for (int64_t nc = b; nc < e; ++nc) {
      const int64_t i = nc / channels, c = nc % channels;
      const int64_t k = c / 64, bit = c % 64;
      for (int64_t p = 0; p < positions; ++p) {
        const uint64_t word = in[(i * positions + p) * words + k];
        out[nc * positions + p] = ((word >> bit) & 1u) ? -1.f : 1.f;
      }
    }
  });
  return output;
}

at::Tensor sign_pack_impl(const at::Tensor& input, at::Tensor& output);
at::Tensor sign_unpack_impl(const at::Tensor& packed, at::Tensor& output);
REGISTER_DEVICE_IMPL(sign_pack_impl, CPU, sign_pack_cpu);
REGISTER_DEVICE_IMPL(sign_unpack_impl, CPU, sign_unpack_cpu);

// CPU depthwise binary convolution (groups == C == Cout): bit-sliced counters.
//
// One input channel per group would fill 1 bit of each 64-bit popcount word,
// so this kernel packs 64 *channels* per word instead: X[n][ih][iw][k] bit j =
// sign of channel 64 k + j (pack_input with one group and no padding), and
// W[a][b][k] bit j = sign of filter 64 k + j at tap (a, b). At one tap, x ^ w
// holds the mismatches of 64 channels at once; the per-channel number of
// mismatches over the taps is kept in vertical (bit-sliced) counters: P words
// per 64 channels, word p holding bit p of every channel's count, each tap
// added with a ripple carry (P = bits of the tap count). Taps in the zero
// padding are skipped, so they add 0, and y_c = taps_inside - 2 * mismatches_c.
//
// The counting is one piece of code for every ISA (GCC vector types inlined
// into each ISA's function: 64, 256 or 512 channels per step); only turning
// the counters into per-channel integers is ISA specific (AVX2: byte spread
// with vpshufb; AVX-512: byte adds under the counter words as masks), done
// once per output pixel, then the usual y * scale + bias epilogue.
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "binary_conv_cpu.hpp"

namespace {

#define MMLEAN_INLINE inline __attribute__((always_inline))
#define MMLEAN_AVX2 __attribute__((target("avx2,popcnt")))
#define MMLEAN_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq")))

typedef uint64_t V4 __attribute__((vector_size(32), aligned(8)));  // 256 channels
typedef uint64_t V8 __attribute__((vector_size(64), aligned(8)));  // 512 channels

// The AVX paths hold y = taps - 2 * mismatches in int8 lanes.
constexpr int64_t kMaxByteTaps = 127;
// The scalar path's counters (P = 16 planes) serve larger kernels.
constexpr int64_t kMaxTaps = 65535;

struct DwGeom {
  int64_t n, c, h, w;
  int64_t kh, kw, stride, pad, dil;
  int64_t ho, wo;
  int64_t cw;  // words per pixel and tap: ceil(c / 64) rounded up to whole vectors
  std::vector<std::pair<int64_t, int64_t>> rows, cols;  // valid taps of each oh / ow
};

struct DwArgs {
  const uint64_t* x;   // packed input (n, h, w, cw)
  const uint64_t* w;   // packed weight (kh, kw, cw)
  const float* scale;  // (cw * 64) padded with 1, or null
  const float* bias;   // (cw * 64) padded with 0, or null
  float* out_f;        // (n, ho, wo, c) or null
  int32_t* out_i;      // (n, ho, wo, c) or null
};

// ------------------------------------------------------------- counting ----
// (vectors are passed by reference: by value, their ABI depends on the ISA)
template <typename V>
MMLEAN_INLINE void load_xor(V& out, const uint64_t* x, const uint64_t* w) {
  V a, b;
  std::memcpy(&a, x, sizeof(V));
  std::memcpy(&b, w, sizeof(V));
  out = a ^ b;
}

// counters += bit, lane by lane (a ripple-carry add over the P bit planes)
template <typename V, int P>
MMLEAN_INLINE void add_bit(V (&planes)[P], const V& bit) {
  V carry = bit;
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p) {
    const V next = planes[p] & carry;
    planes[p] ^= carry;
    carry = next;
  }
}

// Mismatch counts over na x nb taps; x and w point at the first counted tap.
// K > 0: interior pixels of a K x K kernel run with constant trip counts.
template <typename V, int P, int K>
MMLEAN_INLINE void count_taps(const uint64_t* x, const uint64_t* w, int64_t na, int64_t nb,
                              int64_t x_row, int64_t x_col, int64_t w_row, int64_t w_col,
                              V (&planes)[P]) {
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p) planes[p] = V{};
  V bit;
  if (K > 0 && na == K && nb == K) {
#pragma GCC unroll 5
    for (int a = 0; a < K; ++a)
#pragma GCC unroll 5
      for (int b = 0; b < K; ++b) {
        load_xor(bit, x + a * x_row + b * x_col, w + a * w_row + b * w_col);
        add_bit(planes, bit);
      }
    return;
  }
  for (int64_t a = 0; a < na; ++a)
    for (int64_t b = 0; b < nb; ++b) {
      load_xor(bit, x + a * x_row + b * x_col, w + a * w_row + b * w_col);
      add_bit(planes, bit);
    }
}

// Writes count channels from c0 of one output pixel (out_idx: its channel 0)
// from the counters bits[P][words per vector] of `taps` counted taps.
using StoreFn = void (*)(const uint64_t* bits, int64_t taps, int64_t c0, int64_t count,
                         const DwArgs& d, int64_t out_idx);

// Rows [begin, end) of (n, oh), all output pixels and channels.
template <typename V, int P, int K, StoreFn store>
MMLEAN_INLINE void dw_rows(const DwGeom& g, const DwArgs& d, int64_t begin, int64_t end) {
  constexpr int64_t vw = sizeof(V) / 8;
  const int64_t x_row = g.dil * g.w * g.cw, x_col = g.dil * g.cw;
  const int64_t w_row = g.kw * g.cw, w_col = g.cw;
  alignas(64) uint64_t bits[P * vw];
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / g.ho, oh = r % g.ho;
    const auto [a0, a1] = g.rows[oh];
    const int64_t ih = oh * g.stride - g.pad + a0 * g.dil;
    for (int64_t ow = 0; ow < g.wo; ++ow) {
      const auto [b0, b1] = g.cols[ow];
      const int64_t iw = ow * g.stride - g.pad + b0 * g.dil;
      const int64_t taps = (a1 - a0) * (b1 - b0);
      // no tap inside: nothing is read, any pointer will do
      const uint64_t* x = taps ? d.x + ((n * g.h + ih) * g.w + iw) * g.cw : d.x;
      const uint64_t* w = d.w + (a0 * g.kw + b0) * g.cw;
      const int64_t out_idx = ((n * g.ho + oh) * g.wo + ow) * g.c;
      for (int64_t k = 0; k * 64 < g.c; k += vw) {
        V planes[P];
        count_taps<V, P, K>(x + k, w + k, a1 - a0, b1 - b0, x_row, x_col, w_row, w_col, planes);
        std::memcpy(bits, planes, sizeof(planes));
        store(bits, taps, k * 64, std::min<int64_t>(vw * 64, g.c - k * 64), d, out_idx);
      }
    }
  }
}

// -------------------------------------------------------------- scalar ----
MMLEAN_INLINE void emit(const DwArgs& d, int64_t idx, int64_t c, int64_t y) {
  if (d.out_i) {
    d.out_i[idx] = static_cast<int32_t>(y);
    return;
  }
  float v = static_cast<float>(y);
  if (d.scale) v = v * d.scale[c];
  if (d.bias) v = v + d.bias[c];
  d.out_f[idx] = v;
}

template <int P>
void store_scalar(const uint64_t* bits, int64_t taps, int64_t c0, int64_t count,
                  const DwArgs& d, int64_t out_idx) {
  for (int64_t j = 0; j < count; ++j) {
    int64_t m = 0;
    for (int p = 0; p < P; ++p) m |= static_cast<int64_t>((bits[p] >> j) & 1u) << p;
    emit(d, out_idx + c0 + j, c0 + j, taps - 2 * m);
  }
}

template <int P, int K>
void dw_rows_scalar(const DwGeom& g, const DwArgs& d, int64_t begin, int64_t end) {
  dw_rows<uint64_t, P, K, store_scalar<P>>(g, d, begin, end);
}

// ---------------------------------------------------------------- AVX2 ----
// Up to 32 int8 results y (channel c + i in byte i) -> outputs.
MMLEAN_AVX2 MMLEAN_INLINE void store_bytes_avx2(__m256i y, int64_t c, int64_t count,
                                                const DwArgs& d, int64_t out_idx) {
  const __m128i lo = _mm256_castsi256_si128(y), hi = _mm256_extracti128_si256(y, 1);
  const __m128i eighths[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int q = 0; q < 4 && 8 * q < count; ++q) {
    const int64_t ch = c + 8 * q, n = std::min<int64_t>(8, count - 8 * q);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lane);
    const __m256i yi = _mm256_cvtepi8_epi32(eighths[q]);
    if (d.out_i) {
      if (n == 8) _mm256_storeu_si256(reinterpret_cast<__m256i*>(d.out_i + out_idx + ch), yi);
      else _mm256_maskstore_epi32(d.out_i + out_idx + ch, mask, yi);
      continue;
    }
    __m256 f = _mm256_cvtepi32_ps(yi);
    if (d.scale) f = _mm256_mul_ps(f, _mm256_loadu_ps(d.scale + ch));
    if (d.bias) f = _mm256_add_ps(f, _mm256_loadu_ps(d.bias + ch));
    if (n == 8) _mm256_storeu_ps(d.out_f + out_idx + ch, f);
    else _mm256_maskstore_ps(d.out_f + out_idx + ch, mask, f);
  }
}

// Counters of 32 channels -> bytes: each 32-bit slice of a plane is spread so
// that byte i holds bit i (vpshufb copies byte i / 8 to byte i, the AND/compare
// keeps bit i % 8), then m = 2 m + bit from the top plane down.
template <int P>
MMLEAN_AVX2 void store_avx2(const uint64_t* bits, int64_t taps, int64_t c0, int64_t count,
                            const DwArgs& d, int64_t out_idx) {
  const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bitsel = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  const __m256i all = _mm256_set1_epi8(static_cast<char>(taps));
  const auto* slices = reinterpret_cast<const unsigned char*>(bits);
  for (int64_t q = 0; 32 * q < count; ++q) {
    __m256i m = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int p = P - 1; p >= 0; --p) {
      uint32_t slice;  // channels 32 q .. 32 q + 31 of plane p (4 words per plane)
      std::memcpy(&slice, slices + (p * 4 * 8 + 4 * q), 4);
      __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(slice)), spread);
      v = _mm256_cmpeq_epi8(_mm256_and_si256(v, bitsel), bitsel);  // 0xff where set
      m = _mm256_sub_epi8(_mm256_add_epi8(m, m), v);
    }
    const __m256i y = _mm256_sub_epi8(all, _mm256_add_epi8(m, m));
    store_bytes_avx2(y, c0 + 32 * q, std::min<int64_t>(32, count - 32 * q), d, out_idx);
  }
}

template <int P, int K>
MMLEAN_AVX2 void dw_rows_avx2(const DwGeom& g, const DwArgs& d, int64_t begin, int64_t end) {
  dw_rows<V4, P, K, store_avx2<P>>(g, d, begin, end);
}

// ------------------------------------------------------------- AVX-512 ----
// Counters of 64 channels (one word per plane) -> bytes: add 2^p to the
// bytes whose bit is set in plane p, using the plane word as the byte mask.
template <int P>
MMLEAN_AVX512 void store_avx512(const uint64_t* bits, int64_t taps, int64_t c0,
                                int64_t count, const DwArgs& d, int64_t out_idx) {
  const __m512i all = _mm512_set1_epi8(static_cast<char>(taps));
  alignas(64) int8_t y8[64];
  for (int64_t k = 0; 64 * k < count; ++k) {
    __m512i m = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p)
      m = _mm512_mask_add_epi8(m, static_cast<__mmask64>(bits[p * 8 + k]), m,
                               _mm512_set1_epi8(static_cast<char>(1 << p)));
    _mm512_store_si512(y8, _mm512_sub_epi8(all, _mm512_add_epi8(m, m)));
    const int64_t left = std::min<int64_t>(64, count - 64 * k);
    for (int64_t q = 0; 16 * q < left; ++q) {
      const int64_t ch = c0 + 64 * k + 16 * q, n = std::min<int64_t>(16, left - 16 * q);
      const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1u);
      const __m512i yi = _mm512_cvtepi8_epi32(
          _mm_load_si128(reinterpret_cast<const __m128i*>(y8 + 16 * q)));
      if (d.out_i) {
        _mm512_mask_storeu_epi32(d.out_i + out_idx + ch, mask, yi);
        continue;
      }
      __m512 f = _mm512_cvtepi32_ps(yi);
      if (d.scale) f = _mm512_mul_ps(f, _mm512_loadu_ps(d.scale + ch));
      if (d.bias) f = _mm512_add_ps(f, _mm512_loadu_ps(d.bias + ch));
      _mm512_mask_storeu_ps(d.out_f + out_idx + ch, mask, f);
    }
  }
}

template <int P, int K>
MMLEAN_AVX512 void dw_rows_avx512(const DwGeom& g, const DwArgs& d, int64_t begin,
                                  int64_t end) {
  dw_rows<V8, P, K, store_avx512<P>>(g, d, begin, end);
}

// ------------------------------------------------------------- dispatch ----
using RowsFn = void (*)(const DwGeom&, const DwArgs&, int64_t, int64_t);

template <int P, int K>
RowsFn rows_for(mmlean::CpuIsa isa) {
  if (isa == mmlean::CpuIsa::kAvx512) return dw_rows_avx512<P, K>;
  if (isa == mmlean::CpuIsa::kAvx2) return dw_rows_avx2<P, K>;
  return dw_rows_scalar<P, K>;
}

// P = bits of the largest count (the number of taps)
RowsFn pick_rows(int64_t kh, int64_t kw, mmlean::CpuIsa isa) {
  const int64_t taps = kh * kw;
  if (taps > kMaxByteTaps) return dw_rows_scalar<16, 0>;
  if (kh == 3 && kw == 3) return rows_for<4, 3>(isa);
  if (kh == 5 && kw == 5) return rows_for<5, 5>(isa);
  switch (std::bit_width(static_cast<uint64_t>(taps))) {
    case 1: return rows_for<1, 0>(isa);
    case 2: return rows_for<2, 0>(isa);
    case 3: return rows_for<3, 0>(isa);
    case 4: return rows_for<4, 0>(isa);
    case 5: return rows_for<5, 0>(isa);
    case 6: return rows_for<6, 0>(isa);
    default: return rows_for<7, 0>(isa);
  }
}

int64_t vector_words(mmlean::CpuIsa isa) {
  return isa == mmlean::CpuIsa::kAvx512 ? 8 : isa == mmlean::CpuIsa::kAvx2 ? 4 : 1;
}

}  // namespace

void mmlean::depthwise_conv_cpu(const at::Tensor& input, const float* thr,
                                const at::Tensor& weight, const at::Tensor& output,
                                const ConvOutput& out, int64_t stride, int64_t pad,
                                int64_t dil, CpuIsa isa) {
  DwGeom g;
  g.n = input.size(0);
  g.c = input.size(1);
  g.h = input.size(2);
  g.w = input.size(3);
  g.kh = weight.size(0);
  g.kw = weight.size(1);
  g.stride = stride;
  g.pad = pad;
  g.dil = dil;
  g.ho = output.size(2);
  g.wo = output.size(3);
  TORCH_CHECK(g.kh * g.kw <= kMaxTaps, "binary_conv2d: a depthwise kernel of ", g.kh, "x",
              g.kw, " taps is too large (at most ", kMaxTaps, " taps)");
  const int64_t words = (g.c + 63) / 64, vw = vector_words(isa);
  g.cw = (words + vw - 1) / vw * vw;
  for (int64_t oh = 0; oh < g.ho; ++oh)
    g.rows.push_back(tap_range(oh * stride - pad, g.kh, dil, g.h));
  for (int64_t ow = 0; ow < g.wo; ++ow)
    g.cols.push_back(tap_range(ow * stride - pad, g.kw, dil, g.w));

  at::Tensor xp = at::empty({g.n * g.h * g.w * g.cw}, input.options().dtype(at::kLong));
  auto* xpp = reinterpret_cast<uint64_t*>(xp.data_ptr<int64_t>());
  pack_input(input.data_ptr<float>(), thr, PackLayout{g.n, g.h, g.w, 1, g.c, words, g.cw, 0},
             xpp, isa);
  // weight words and the epilogue's vectors padded to whole vectors
  std::vector<uint64_t> wpad(g.kh * g.kw * g.cw, 0);
  const auto* wsrc = reinterpret_cast<const uint64_t*>(weight.data_ptr<int64_t>());
  for (int64_t t = 0; t < g.kh * g.kw; ++t)
    std::copy(wsrc + t * words, wsrc + (t + 1) * words, wpad.begin() + t * g.cw);
  std::vector<float> scale, bias;
  if (out.scale) {
    scale.assign(g.cw * 64, 1.f);
    std::copy(out.scale, out.scale + g.c, scale.begin());
  }
  if (out.bias) {
    bias.assign(g.cw * 64, 0.f);
    std::copy(out.bias, out.bias + g.c, bias.begin());
  }
  const DwArgs d{xpp, wpad.data(), out.scale ? scale.data() : nullptr,
                 out.bias ? bias.data() : nullptr, out.out_f, out.out_i};
  const RowsFn rows = pick_rows(g.kh, g.kw, isa);
  at::parallel_for(0, g.n * g.ho, 1, [&](int64_t begin, int64_t end) {
    rows(g, d, begin, end);
  });
}

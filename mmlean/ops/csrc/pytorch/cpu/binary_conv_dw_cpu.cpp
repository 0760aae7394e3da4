// CPU depthwise binary convolution (groups == C == Cout): bit-sliced counters.
//
// One input channel per group would fill 1 bit of each 64-bit popcount word,
// so this kernel packs 64 *channels* per word instead: X[n][ih][iw][k] bit j =
// sign of channel 64 k + j (pack_input with one group, no padding and the
// columns in stride phases), and
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
  int64_t words;       // input words per pixel: ceil(c / 64)
  int64_t row_pixels;  // pixels per packed input row (PackLayout with phases = stride)
  int64_t wstride;     // weight words per tap (whole vectors)
  int64_t group;       // output pixels per vector (see dw_rows)
  std::vector<std::pair<int64_t, int64_t>> rows, cols;  // valid taps of each oh / ow
  std::vector<int64_t> col_offset;  // (kw): words from output column ow's words to tap b
};

struct DwArgs {
  const uint64_t* x;   // packed input (n, h, row_pixels, words), then a vector of slack
  const uint64_t* w;   // packed weight (kh, kw, wstride)
  const float* scale;  // (c rounded up to 512) padded with 1, or null
  const float* bias;   // padded with 0, or null
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

// Mismatch counts over na x nb taps: tap (a, b) reads x + a * x_row +
// x_col[b] and w + a * w_row + b * w_col (pointers at the first counted tap).
// K > 0: full rows of a K-wide kernel run with a constant trip count.
template <typename V, int P, int K>
MMLEAN_INLINE void count_taps(const uint64_t* x, const uint64_t* w, int64_t na, int64_t nb,
                              int64_t x_row, const int64_t* x_col, int64_t w_row,
                              int64_t w_col, V (&planes)[P]) {
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p) planes[p] = V{};
  V bit;
  for (int64_t a = 0; a < na; ++a) {
    const uint64_t* xr = x + a * x_row;
    const uint64_t* wr = w + a * w_row;
    if (K > 0 && nb == K) {
#pragma GCC unroll 8
      for (int b = 0; b < K; ++b) {
        load_xor(bit, xr + x_col[b], wr + b * w_col);
        add_bit(planes, bit);
      }
      continue;
    }
    for (int64_t b = 0; b < nb; ++b) {
      load_xor(bit, xr + x_col[b], wr + b * w_col);
      add_bit(planes, bit);
    }
  }
}

// Writes count channels from c0 of one output pixel (out_idx: its channel 0)
// from counters of `taps` counted taps: bit j of bits[p * plane + j / 64] is
// bit p of channel c0 + j's count.
using StoreFn = void (*)(const uint64_t* bits, int64_t plane, int64_t taps, int64_t c0,
                         int64_t count, const DwArgs& d, int64_t out_idx);

// Rows [begin, end) of (n, oh), all output pixels and channels. A vector holds
// the words of `group` consecutive output pixels when the channels fill less
// than a vector (their inputs at a tap are consecutive words, see PackLayout;
// the weight words are repeated `group` times), else it holds one pixel's words.
template <typename V, int P, int K, StoreFn store>
MMLEAN_INLINE void dw_rows(const DwGeom& g, const DwArgs& d, int64_t begin, int64_t end) {
  constexpr int64_t vw = sizeof(V) / 8;
  const int64_t x_row = g.dil * g.row_pixels * g.words;
  const int64_t w_row = g.kw * g.wstride, w_col = g.wstride;
  alignas(64) uint64_t bits[P * vw];
  V planes[P];
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / g.ho, oh = r % g.ho;
    const auto [a0, a1] = g.rows[oh];
    const int64_t ih = oh * g.stride - g.pad + a0 * g.dil;
    for (int64_t ow = 0; ow < g.wo;) {
      const auto [b0, b1] = g.cols[ow];
      const int64_t taps = (a1 - a0) * (b1 - b0);
      // no tap inside: nothing is read, any pointer will do
      const uint64_t* x = taps ? d.x + ((n * g.h + ih) * g.row_pixels + ow) * g.words : d.x;
      const int64_t* x_col = g.col_offset.data() + b0;
      const uint64_t* w = d.w + (a0 * g.kw + b0) * g.wstride;
      const int64_t out_idx = ((n * g.ho + oh) * g.wo + ow) * g.c;
      // interior columns form one run: its first and last pixel decide
      if (g.group > 1 && ow + g.group <= g.wo && b1 - b0 == g.kw &&
          g.cols[ow + g.group - 1].second - g.cols[ow + g.group - 1].first == g.kw) {
        count_taps<V, P, K>(x, w, a1 - a0, g.kw, x_row, x_col, w_row, w_col, planes);
        std::memcpy(bits, planes, sizeof(planes));
        for (int64_t j = 0; j < g.group; ++j)
          store(bits + j * g.words, vw, taps, 0, g.c, d, out_idx + j * g.c);
        ow += g.group;
        continue;
      }
      for (int64_t k = 0; k < g.words; k += vw) {
        count_taps<V, P, K>(x + k, w + k, a1 - a0, b1 - b0, x_row, x_col, w_row, w_col,
                            planes);
        std::memcpy(bits, planes, sizeof(planes));
        store(bits, vw, taps, k * 64, std::min<int64_t>(vw * 64, g.c - k * 64), d, out_idx);
      }
      ++ow;
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
void store_scalar(const uint64_t* bits, int64_t plane, int64_t taps, int64_t c0,
                  int64_t count, const DwArgs& d, int64_t out_idx) {
  for (int64_t j = 0; j < count; ++j) {
    int64_t m = 0;
    for (int p = 0; p < P; ++p)
      m |= static_cast<int64_t>((bits[p * plane + j / 64] >> (j % 64)) & 1u) << p;
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
MMLEAN_AVX2 void store_avx2(const uint64_t* bits, int64_t plane, int64_t taps, int64_t c0,
                            int64_t count, const DwArgs& d, int64_t out_idx) {
  const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                          2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i bitsel = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  const __m256i all = _mm256_set1_epi8(static_cast<char>(taps));
  const auto* slices = reinterpret_cast<const unsigned char*>(bits);
  for (int64_t q = 0; 32 * q < count; ++q) {
    __m256i m = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int p = P - 1; p >= 0; --p) {
      uint32_t slice;  // channels c0 + 32 q .. c0 + 32 q + 31 of plane p
      std::memcpy(&slice, slices + (p * plane * 8 + 4 * q), 4);
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
MMLEAN_AVX512 void store_avx512(const uint64_t* bits, int64_t plane, int64_t taps,
                                int64_t c0, int64_t count, const DwArgs& d,
                                int64_t out_idx) {
  const __m512i all = _mm512_set1_epi8(static_cast<char>(taps));
  alignas(64) int8_t y8[64];
  for (int64_t k = 0; 64 * k < count; ++k) {
    __m512i m = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p)
      m = _mm512_mask_add_epi8(m, static_cast<__mmask64>(bits[p * plane + k]), m,
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
  if (taps > kMaxByteTaps) {
    TORCH_CHECK(isa == mmlean::CpuIsa::kScalar, "binary_conv2d: internal: ", taps,
                " depthwise taps need the scalar path");
    return dw_rows_scalar<16, 0>;
  }
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
  // larger kernels than the byte counts hold run the scalar path
  if (g.kh * g.kw > kMaxByteTaps) isa = CpuIsa::kScalar;
  const int64_t vw = vector_words(isa);
  g.words = (g.c + 63) / 64;
  g.group = vw % g.words == 0 ? vw / g.words : 1;
  g.wstride = g.group > 1 ? vw : (g.words + vw - 1) / vw * vw;
  for (int64_t oh = 0; oh < g.ho; ++oh)
    g.rows.push_back(tap_range(oh * stride - pad, g.kh, dil, g.h));
  for (int64_t ow = 0; ow < g.wo; ++ow)
    g.cols.push_back(tap_range(ow * stride - pad, g.kw, dil, g.w));
  // input column ow * s + e of tap b (e = b * dil - pad) is stored in run
  // e mod s at position ow + floor(e / s)
  const PackLayout layout{g.n, g.h, g.w, 1, g.c, g.words, g.words, 0, stride};
  g.row_pixels = layout.row_pixels();
  for (int64_t b = 0; b < g.kw; ++b) {
    const int64_t e = b * dil - pad;
    const int64_t q = e >= 0 ? e / stride : -((-e + stride - 1) / stride);
    g.col_offset.push_back(((e - q * stride) * layout.phase_len() + q) * g.words);
  }

  // vectors may read past a pixel's words (lanes that are never stored); the
  // zeros keep those lanes defined
  const int64_t size = layout.group_words();
  at::Tensor xp = at::zeros({size + vw}, input.options().dtype(at::kLong));
  auto* xpp = reinterpret_cast<uint64_t*>(xp.data_ptr<int64_t>());
  pack_input(input.data_ptr<float>(), thr, layout, xpp, isa);
  // each tap's weight words: repeated for pixel groups, else zero padded
  std::vector<uint64_t> wpad(g.kh * g.kw * g.wstride, 0);
  const auto* wsrc = reinterpret_cast<const uint64_t*>(weight.data_ptr<int64_t>());
  for (int64_t t = 0; t < g.kh * g.kw; ++t)
    for (int64_t j = 0; j < g.group; ++j)
      std::copy(wsrc + t * g.words, wsrc + (t + 1) * g.words,
                wpad.begin() + t * g.wstride + j * g.words);
  // whole 512-channel vectors of the epilogue may be loaded
  const int64_t cpad = (g.c + 511) / 512 * 512;
  std::vector<float> scale, bias;
  if (out.scale) {
    scale.assign(cpad, 1.f);
    std::copy(out.scale, out.scale + g.c, scale.begin());
  }
  if (out.bias) {
    bias.assign(cpad, 0.f);
    std::copy(out.bias, out.bias + g.c, bias.begin());
  }
  const DwArgs d{xpp, wpad.data(), out.scale ? scale.data() : nullptr,
                 out.bias ? bias.data() : nullptr, out.out_f, out.out_i};
  const RowsFn rows = pick_rows(g.kh, g.kw, isa);
  at::parallel_for(0, g.n * g.ho, 1, [&](int64_t begin, int64_t end) {
    rows(g, d, begin, end);
  });
}

// CPU binary convolution: XOR + popcount over bit-packed channels.
//
// Layout. The input is packed once per call into a zero-padded buffer of
// 64-bit words X[n][ih + p][iw + p][c] (c: channel word). A padded word is 0,
// i.e. +1, so every tap can be read without branches; each output pixel on the
// border then subtracts what its padded taps added (sum of popcount(w) over
// those taps, the number of -1 weights: weight_neg), which makes the result
// exactly zero padding. Weights come in blocks of 8 output channels:
// Wb[cb][kh][kw][c][8].
//
// AVX-512 (VPOPCNTDQ) micro-kernel: the 8 lanes of a zmm are 8 output channels;
// a register tile of PB output pixels x NV channel vectors accumulates
// popcount(broadcast(x word) ^ weight words). The output is channels_last, so
// a lane vector stores to 8 consecutive channels. AVX2: 4 lanes per ymm and a
// nibble-table (vpshufb) popcount. Scalar: __builtin_popcountll.
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu_isa.hpp"
#include "device_registry.hpp"

namespace {

struct ConvGeom {
  int64_t n, cin, h, w, words;     // input
  int64_t kh, kw, stride, pad;     // kernel
  int64_t ho, wo, cout, cblocks;   // output (cblocks = ceil(cout / 8))
  int64_t hp, wp;                  // padded input
};

// ---------------------------------------------------------------- packing ---
// NHWC float -> padded word buffer, bit = (x < thr[n]).
inline uint64_t pack_word_scalar(const float* v, int64_t count, float thr) {
  uint64_t word = 0;
  for (int64_t j = 0; j < count; ++j) word |= static_cast<uint64_t>(v[j] < thr) << j;
  return word;
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void pack_rows_avx512(
    const float* x, const float* thr, const ConvGeom& g, int64_t begin, int64_t end,
    uint64_t* xp) {
  for (int64_t r = begin; r < end; ++r) {  // r = n * h + ih
    const int64_t n = r / g.h, ih = r % g.h;
    const __m512 t = _mm512_set1_ps(thr[n]);
    for (int64_t iw = 0; iw < g.w; ++iw) {
      const float* v = x + ((n * g.h + ih) * g.w + iw) * g.cin;
      uint64_t* o = xp + ((n * g.hp + ih + g.pad) * g.wp + iw + g.pad) * g.words;
      int64_t k = 0;
      for (; 64 * (k + 1) <= g.cin; ++k) {
        const float* b = v + 64 * k;
        uint64_t m0 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b), t, _CMP_LT_OQ);
        uint64_t m1 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 16), t, _CMP_LT_OQ);
        uint64_t m2 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 32), t, _CMP_LT_OQ);
        uint64_t m3 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 48), t, _CMP_LT_OQ);
        o[k] = m0 | (m1 << 16) | (m2 << 32) | (m3 << 48);
      }
      if (k < g.words) o[k] = pack_word_scalar(v + 64 * k, g.cin - 64 * k, thr[n]);
    }
  }
}

__attribute__((target("avx2"))) void pack_rows_avx2(const float* x, const float* thr,
                                                    const ConvGeom& g, int64_t begin,
                                                    int64_t end, uint64_t* xp) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / g.h, ih = r % g.h;
    const __m256 t = _mm256_set1_ps(thr[n]);
    for (int64_t iw = 0; iw < g.w; ++iw) {
      const float* v = x + ((n * g.h + ih) * g.w + iw) * g.cin;
      uint64_t* o = xp + ((n * g.hp + ih + g.pad) * g.wp + iw + g.pad) * g.words;
      int64_t k = 0;
      for (; 64 * (k + 1) <= g.cin; ++k) {
        uint64_t word = 0;
        for (int q = 0; q < 8; ++q) {
          __m256 lt = _mm256_cmp_ps(_mm256_loadu_ps(v + 64 * k + 8 * q), t, _CMP_LT_OQ);
          word |= static_cast<uint64_t>(_mm256_movemask_ps(lt)) << (8 * q);
        }
        o[k] = word;
      }
      if (k < g.words) o[k] = pack_word_scalar(v + 64 * k, g.cin - 64 * k, thr[n]);
    }
  }
}

void pack_rows_scalar(const float* x, const float* thr, const ConvGeom& g,
                      int64_t begin, int64_t end, uint64_t* xp) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / g.h, ih = r % g.h;
    for (int64_t iw = 0; iw < g.w; ++iw) {
      const float* v = x + ((n * g.h + ih) * g.w + iw) * g.cin;
      uint64_t* o = xp + ((n * g.hp + ih + g.pad) * g.wp + iw + g.pad) * g.words;
      for (int64_t k = 0; k < g.words; ++k)
        o[k] = pack_word_scalar(v + 64 * k, std::min<int64_t>(64, g.cin - 64 * k), thr[n]);
    }
  }
}

// ------------------------------------------------------------- epilogue ----
// The valid tap ranges [k0, k1) of output (oh, ow); the rest read padding.
inline void valid_taps(const ConvGeom& g, int64_t oh, int64_t ow, int64_t& kh0,
                       int64_t& kh1, int64_t& kw0, int64_t& kw1) {
  const int64_t ih = oh * g.stride - g.pad, iw = ow * g.stride - g.pad;
  kh0 = std::max<int64_t>(0, -ih);
  kh1 = std::min<int64_t>(g.kh, g.h - ih);
  kw0 = std::max<int64_t>(0, -iw);
  kw1 = std::min<int64_t>(g.kw, g.w - iw);
}

struct Epilogue {
  const float* scale;     // (cout) or null
  const float* bias;      // (cout) or null
  const int32_t* wneg;    // (kh, kw, cblocks * 8)
  float* out_f;           // NHWC float output, or null
  int32_t* out_i;         // NHWC int output, or null
};

// y for one (pixel, channel) from the raw mismatch count m of all taps.
inline int64_t finish_count(const ConvGeom& g, const Epilogue& e, int64_t oh, int64_t ow,
                            int64_t co, int64_t m) {
  int64_t kh0, kh1, kw0, kw1;
  valid_taps(g, oh, ow, kh0, kh1, kw0, kw1);
  const int64_t valid = (kh1 - kh0) * (kw1 - kw0);
  if (valid != g.kh * g.kw) {
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t b = 0; b < g.kw; ++b)
        if (a < kh0 || a >= kh1 || b < kw0 || b >= kw1)
          m -= e.wneg[(a * g.kw + b) * g.cblocks * 8 + co];
  }
  return g.cin * valid - 2 * m;
}

inline void store_scalar(const ConvGeom& g, const Epilogue& e, int64_t n, int64_t oh,
                         int64_t ow, int64_t co, int64_t y) {
  const int64_t idx = ((n * g.ho + oh) * g.wo + ow) * g.cout + co;
  if (e.out_i) {
    e.out_i[idx] = static_cast<int32_t>(y);
  } else {
    float v = static_cast<float>(y);
    if (e.scale) v = v * e.scale[co];
    if (e.bias) v = v + e.bias[co];
    e.out_f[idx] = v;
  }
}

// ---------------------------------------------------------------- scalar ---
void conv_scalar(const uint64_t* xp, const uint64_t* wb, const ConvGeom& g,
                 const Epilogue& e, int64_t begin, int64_t end) {
  for (int64_t item = begin; item < end; ++item) {  // item = n * ho + oh
    const int64_t n = item / g.ho, oh = item % g.ho;
    for (int64_t ow = 0; ow < g.wo; ++ow) {
      const uint64_t* xpix = xp + ((n * g.hp + oh * g.stride) * g.wp + ow * g.stride) * g.words;
      for (int64_t co = 0; co < g.cout; ++co) {
        const int64_t cb = co / 8, lane = co % 8;
        int64_t m = 0;
        for (int64_t a = 0; a < g.kh; ++a)
          for (int64_t b = 0; b < g.kw; ++b) {
            const uint64_t* xt = xpix + (a * g.wp + b) * g.words;
            const uint64_t* wt = wb + ((cb * g.kh + a) * g.kw + b) * g.words * 8 + lane;
            for (int64_t c = 0; c < g.words; ++c)
              m += __builtin_popcountll(xt[c] ^ wt[c * 8]);
          }
        store_scalar(g, e, n, oh, ow, co, finish_count(g, e, oh, ow, co, m));
      }
    }
  }
}

// --------------------------------------------------------------- AVX-512 ---
#define MMLEAN_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq")))

// The padded taps' -1 counts of 8 channels at output (oh, ow), as int64 lanes
// (zero inside the image); sets *valid to the number of taps inside.
MMLEAN_AVX512 inline __m512i border_correction(const ConvGeom& g, const Epilogue& e,
                                               int64_t oh, int64_t ow, int64_t co0,
                                               int64_t* valid) {
  int64_t kh0, kh1, kw0, kw1;
  valid_taps(g, oh, ow, kh0, kh1, kw0, kw1);
  *valid = (kh1 - kh0) * (kw1 - kw0);
  __m512i corr = _mm512_setzero_si512();
  if (*valid == g.kh * g.kw) return corr;
  for (int64_t a = 0; a < g.kh; ++a)
    for (int64_t b = 0; b < g.kw; ++b)
      if (a < kh0 || a >= kh1 || b < kw0 || b >= kw1) {
        __m256i neg = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
            e.wneg + (a * g.kw + b) * g.cblocks * 8 + co0));
        corr = _mm512_add_epi64(corr, _mm512_cvtepi32_epi64(neg));
      }
  return corr;
}

template <int PB, int NV>
MMLEAN_AVX512 void tile_avx512(const uint64_t* xpix, const uint64_t* wb, const ConvGeom& g,
                               const Epilogue& e, int64_t n, int64_t oh, int64_t ow0,
                               int64_t cb0) {
  __m512i acc[PB][NV];
#pragma GCC unroll 16
  for (int i = 0; i < PB; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_si512();
  const int64_t pix_step = g.stride * g.words;
  const int64_t wblock = g.kh * g.kw * g.words * 8;  // words per 8-channel block
  for (int64_t a = 0; a < g.kh; ++a) {
    for (int64_t b = 0; b < g.kw; ++b) {
      const uint64_t* xt = xpix + (a * g.wp + b) * g.words;
      const uint64_t* wt = wb + cb0 * wblock + (a * g.kw + b) * g.words * 8;
      for (int64_t c = 0; c < g.words; ++c) {
        __m512i wv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_si512(wt + v * wblock + c * 8);
#pragma GCC unroll 16
        for (int i = 0; i < PB; ++i) {
          const __m512i xv = _mm512_set1_epi64(static_cast<int64_t>(xt[i * pix_step + c]));
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v)
            acc[i][v] = _mm512_add_epi64(
                acc[i][v], _mm512_popcnt_epi64(_mm512_xor_si512(xv, wv[v])));
        }
      }
    }
  }
  // epilogue: y = cin * valid - 2 (m - correction), then y * scale + bias
  const bool rows_inside = oh * g.stride - g.pad >= 0 && oh * g.stride - g.pad + g.kh <= g.h;
  const bool cols_inside = ow0 * g.stride - g.pad >= 0 &&
                           (ow0 + PB - 1) * g.stride - g.pad + g.kw <= g.w;
  const bool inside = rows_inside && cols_inside;
  const __m512i full = _mm512_set1_epi64(g.cin * g.kh * g.kw);
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const int64_t co0 = (cb0 + v) * 8;
    if (co0 >= g.cout) break;
    const int64_t nvalid = std::min<int64_t>(8, g.cout - co0);
    const __mmask8 mask = static_cast<__mmask8>((1u << nvalid) - 1u);
    const __m256 sc = e.scale ? _mm256_maskz_loadu_ps(mask, e.scale + co0) : _mm256_set1_ps(1.f);
    const __m256 bi = e.bias ? _mm256_maskz_loadu_ps(mask, e.bias + co0) : _mm256_setzero_ps();
    const int64_t base = ((n * g.ho + oh) * g.wo + ow0) * g.cout + co0;
#pragma GCC unroll 16
    for (int i = 0; i < PB; ++i) {
      __m512i y;
      if (inside) {
        y = _mm512_sub_epi64(full, _mm512_add_epi64(acc[i][v], acc[i][v]));
      } else {
        int64_t valid;
        const __m512i corr = border_correction(g, e, oh, ow0 + i, co0, &valid);
        const __m512i m = _mm512_sub_epi64(acc[i][v], corr);
        y = _mm512_sub_epi64(_mm512_set1_epi64(g.cin * valid), _mm512_add_epi64(m, m));
      }
      // (masked stores are slow on some CPUs: only the last block uses one)
      if (e.out_i) {
        const __m256i yi = _mm512_cvtepi64_epi32(y);
        if (nvalid == 8) _mm256_storeu_si256(reinterpret_cast<__m256i*>(e.out_i + base + i * g.cout), yi);
        else _mm256_mask_storeu_epi32(e.out_i + base + i * g.cout, mask, yi);
      } else {
        __m256 f = _mm512_cvtepi64_ps(y);
        if (e.scale) f = _mm256_mul_ps(f, sc);
        if (e.bias) f = _mm256_add_ps(f, bi);
        if (nvalid == 8) _mm256_storeu_ps(e.out_f + base + i * g.cout, f);
        else _mm256_mask_storeu_ps(e.out_f + base + i * g.cout, mask, f);
      }
    }
  }
}

template <int NV>
MMLEAN_AVX512 void row_avx512(const uint64_t* xp, const uint64_t* wb, const ConvGeom& g,
                              const Epilogue& e, int64_t n, int64_t oh, int64_t cb0) {
  constexpr int PB = 12;
  const uint64_t* xrow = xp + (n * g.hp + oh * g.stride) * g.wp * g.words;
  int64_t ow = 0;
  for (; ow + PB <= g.wo; ow += PB)
    tile_avx512<PB, NV>(xrow + ow * g.stride * g.words, wb, g, e, n, oh, ow, cb0);
  const uint64_t* xr = xrow + ow * g.stride * g.words;
  switch (g.wo - ow) {
#define MMLEAN_CASE(k) \
  case k: tile_avx512<k, NV>(xr, wb, g, e, n, oh, ow, cb0); break;
    MMLEAN_CASE(1) MMLEAN_CASE(2) MMLEAN_CASE(3) MMLEAN_CASE(4) MMLEAN_CASE(5)
    MMLEAN_CASE(6) MMLEAN_CASE(7) MMLEAN_CASE(8) MMLEAN_CASE(9) MMLEAN_CASE(10)
    MMLEAN_CASE(11)
#undef MMLEAN_CASE
    default: break;
  }
}

void conv_avx512(const uint64_t* xp, const uint64_t* wb, const ConvGeom& g,
                 const Epilogue& e, int64_t begin, int64_t end) {
  const int64_t pairs = (g.cblocks + 1) / 2;  // channel groups of 16 (NV = 2)
  for (int64_t item = begin; item < end; ++item) {  // item = (n * ho + oh) * pairs + p
    const int64_t p = item % pairs, row = item / pairs;
    const int64_t n = row / g.ho, oh = row % g.ho;
    const int64_t cb0 = 2 * p;
    if (cb0 + 1 < g.cblocks) row_avx512<2>(xp, wb, g, e, n, oh, cb0);
    else row_avx512<1>(xp, wb, g, e, n, oh, cb0);
  }
}

// ------------------------------------------------------------------ AVX2 ---
#define MMLEAN_AVX2 __attribute__((target("avx2,popcnt")))

MMLEAN_AVX2 inline __m256i popcnt_bytes(__m256i v, __m256i lut, __m256i low4) {
  const __m256i lo = _mm256_and_si256(v, low4);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
  return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

// PB pixels x 8 channels (two ymm of 4 lanes); byte counters are folded into
// 64-bit sums (vpsadbw) before they can overflow (31 x 8 = 248 < 256).
template <int PB>
MMLEAN_AVX2 void tile_avx2(const uint64_t* xpix, const uint64_t* wb, const ConvGeom& g,
                           const Epilogue& e, int64_t n, int64_t oh, int64_t ow0,
                           int64_t cb) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i zero = _mm256_setzero_si256();
  __m256i bytes[PB][2], sums[PB][2];
  for (int i = 0; i < PB; ++i)
    for (int v = 0; v < 2; ++v) bytes[i][v] = sums[i][v] = zero;
  const int64_t pix_step = g.stride * g.words;
  const uint64_t* wblock = wb + cb * g.kh * g.kw * g.words * 8;
  int pending = 0;
  for (int64_t a = 0; a < g.kh; ++a)
    for (int64_t b = 0; b < g.kw; ++b) {
      const uint64_t* xt = xpix + (a * g.wp + b) * g.words;
      const uint64_t* wt = wblock + (a * g.kw + b) * g.words * 8;
      for (int64_t c = 0; c < g.words; ++c) {
        const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + c * 8));
        const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + c * 8 + 4));
#pragma GCC unroll 8
        for (int i = 0; i < PB; ++i) {
          const __m256i xv = _mm256_set1_epi64x(static_cast<int64_t>(xt[i * pix_step + c]));
          bytes[i][0] = _mm256_add_epi8(bytes[i][0], popcnt_bytes(_mm256_xor_si256(xv, w0), lut, low4));
          bytes[i][1] = _mm256_add_epi8(bytes[i][1], popcnt_bytes(_mm256_xor_si256(xv, w1), lut, low4));
        }
        if (++pending == 31) {
          for (int i = 0; i < PB; ++i)
            for (int v = 0; v < 2; ++v) {
              sums[i][v] = _mm256_add_epi64(sums[i][v], _mm256_sad_epu8(bytes[i][v], zero));
              bytes[i][v] = zero;
            }
          pending = 0;
        }
      }
    }
  alignas(32) int64_t m[8];
  for (int i = 0; i < PB; ++i) {
    for (int v = 0; v < 2; ++v) {
      sums[i][v] = _mm256_add_epi64(sums[i][v], _mm256_sad_epu8(bytes[i][v], zero));
      _mm256_store_si256(reinterpret_cast<__m256i*>(m + 4 * v), sums[i][v]);
    }
    for (int lane = 0; lane < 8 && cb * 8 + lane < g.cout; ++lane) {
      const int64_t co = cb * 8 + lane;
      store_scalar(g, e, n, oh, ow0 + i, co, finish_count(g, e, oh, ow0 + i, co, m[lane]));
    }
  }
}

void conv_avx2(const uint64_t* xp, const uint64_t* wb, const ConvGeom& g,
               const Epilogue& e, int64_t begin, int64_t end) {
  constexpr int PB = 4;
  for (int64_t item = begin; item < end; ++item) {  // item = (n * ho + oh) * cblocks + cb
    const int64_t cb = item % g.cblocks, row = item / g.cblocks;
    const int64_t n = row / g.ho, oh = row % g.ho;
    const uint64_t* xrow = xp + (n * g.hp + oh * g.stride) * g.wp * g.words;
    int64_t ow = 0;
    for (; ow + PB <= g.wo; ow += PB)
      tile_avx2<PB>(xrow + ow * g.stride * g.words, wb, g, e, n, oh, ow, cb);
    for (; ow < g.wo; ++ow)
      tile_avx2<1>(xrow + ow * g.stride * g.words, wb, g, e, n, oh, ow, cb);
  }
}

}  // namespace

at::Tensor binary_conv2d_cpu(const at::Tensor& input, const at::Tensor& threshold,
                             const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                             const at::Tensor& scale, const at::Tensor& bias,
                             at::Tensor& output, int64_t in_channels, int64_t stride,
                             int64_t padding) {
  ConvGeom g;
  g.n = input.size(0);
  g.cin = in_channels;
  g.h = input.size(2);
  g.w = input.size(3);
  g.words = (g.cin + 63) / 64;
  g.kh = weight_blocked.size(1);
  g.kw = weight_blocked.size(2);
  g.stride = stride;
  g.pad = padding;
  g.ho = output.size(2);
  g.wo = output.size(3);
  g.cout = output.size(1);
  g.cblocks = weight_blocked.size(0);
  g.hp = g.h + 2 * g.pad;
  g.wp = g.w + 2 * g.pad;

  const at::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
  // +1 word of slack: tiles never read past the buffer
  at::Tensor xp = at::zeros({g.n * g.hp * g.wp * g.words + 1}, input.options().dtype(at::kLong));
  auto* xpp = reinterpret_cast<uint64_t*>(xp.data_ptr<int64_t>());
  const float* thr = threshold.data_ptr<float>();
  const float* xd = x.data_ptr<float>();
  const mmlean::CpuIsa isa = mmlean::cpu_isa();
  at::parallel_for(0, g.n * g.h, 1, [&](int64_t b, int64_t e) {
    if (isa == mmlean::CpuIsa::kAvx512) pack_rows_avx512(xd, thr, g, b, e, xpp);
    else if (isa == mmlean::CpuIsa::kAvx2) pack_rows_avx2(xd, thr, g, b, e, xpp);
    else pack_rows_scalar(xd, thr, g, b, e, xpp);
  });

  Epilogue ep;
  ep.scale = scale.defined() ? scale.data_ptr<float>() : nullptr;
  ep.bias = bias.defined() ? bias.data_ptr<float>() : nullptr;
  ep.wneg = weight_neg.data_ptr<int32_t>();
  const bool int_out = output.scalar_type() == at::kInt;
  ep.out_f = int_out ? nullptr : output.data_ptr<float>();
  ep.out_i = int_out ? output.data_ptr<int32_t>() : nullptr;
  const auto* wb = reinterpret_cast<const uint64_t*>(weight_blocked.data_ptr<int64_t>());

  if (isa == mmlean::CpuIsa::kAvx512) {
    const int64_t items = g.n * g.ho * ((g.cblocks + 1) / 2);
    at::parallel_for(0, items, 1, [&](int64_t b, int64_t e) {
      conv_avx512(xpp, wb, g, ep, b, e);
    });
  } else if (isa == mmlean::CpuIsa::kAvx2) {
    at::parallel_for(0, g.n * g.ho * g.cblocks, 1, [&](int64_t b, int64_t e) {
      conv_avx2(xpp, wb, g, ep, b, e);
    });
  } else {
    at::parallel_for(0, g.n * g.ho, 1, [&](int64_t b, int64_t e) {
      conv_scalar(xpp, wb, g, ep, b, e);
    });
  }
  return output;
}

at::Tensor binary_conv2d_impl(const at::Tensor& input, const at::Tensor& threshold,
                              const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                              const at::Tensor& scale, const at::Tensor& bias,
                              at::Tensor& output, int64_t in_channels, int64_t stride,
                              int64_t padding);
REGISTER_DEVICE_IMPL(binary_conv2d_impl, CPU, binary_conv2d_cpu);

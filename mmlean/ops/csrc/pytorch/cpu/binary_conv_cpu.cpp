// CPU binary convolution: XOR + popcount over bit-packed channels.
//
// Layout. The input is packed once per call into a zero-padded buffer of
// 64-bit words X[group][n][ih + p][iw + p][c] (c: channel word of the group).
// A padded word is 0, i.e. +1, so every tap can be read without branches; each
// output pixel on the border then subtracts what its padded taps added (sum of
// popcount(w) over those taps, the number of -1 weights: weight_neg), which
// makes the result exactly zero padding. Weights come in blocks of 8 output
// channels of one group: Wb[cb][kh][kw][c][8]. Tap (a, b) of output (oh, ow)
// reads X[oh * stride + a * dilation][ow * stride + b * dilation]; a grouped
// conv runs each group on its own part of the buffer. Depthwise convs use
// their own kernel (binary_conv_dw_cpu.cpp).
//
// AVX-512 (VPOPCNTDQ) micro-kernel: the 8 lanes of a zmm are 8 output channels;
// a register tile of PB output pixels x NV channel vectors accumulates
// popcount(broadcast(x word) ^ weight words). The output is channels_last, so
// a lane vector stores to 8 consecutive channels. AVX2: 4 lanes per ymm, a
// nibble-table (vpshufb) popcount on operands split into nibbles once, and
// for few channels per word the taps' bits concatenated (see the AVX2
// section). Scalar: __builtin_popcountll.
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

#include "binary_conv_cpu.hpp"
#include "cpu_isa.hpp"
#include "device_registry.hpp"

namespace {

using mmlean::tap_range;

struct ConvGeom {
  int64_t n, h, w;                   // input
  int64_t groups, cin_g, words;      // channels and channel words per group
  int64_t kh, kw, stride, pad, dil;  // kernel
  int64_t ho, wo, cout;              // output (cout: all groups)
  int64_t cout_g, cblocks_g;         // per group (cblocks_g = ceil(cout_g / 8))
  int64_t hp, wp, group_words;       // padded input; words of one group's buffer
  int64_t cpad() const { return groups * cblocks_g * 8; }  // padded channel count
  int64_t ext_h() const { return dil * (kh - 1) + 1; }     // input rows one output reads
  int64_t ext_w() const { return dil * (kw - 1) + 1; }
};

// ---------------------------------------------------------------- packing ---
constexpr uint64_t kLowNibbles = 0x0f0f0f0f0f0f0f0full;

// One pixel of one group: count floats -> words o[0, words), zeros up to
// pix_words; bit = (v < thr).
inline uint64_t pack_word_scalar(const float* v, int64_t count, float thr) {
  uint64_t word = 0;
  for (int64_t j = 0; j < count; ++j) word |= static_cast<uint64_t>(v[j] < thr) << j;
  return word;
}

inline void pack_tail(const float* v, int64_t count, float thr, int64_t k, int64_t words,
                      int64_t pix_words, uint64_t* o) {
  for (; k < words; ++k)
    o[k] = pack_word_scalar(v + 64 * k, std::min<int64_t>(64, count - 64 * k), thr);
  for (; k < pix_words; ++k) o[k] = 0;
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void pack_pixel_avx512(
    const float* v, int64_t count, float thr, int64_t words, int64_t pix_words, uint64_t* o) {
  const __m512 t = _mm512_set1_ps(thr);
  int64_t k = 0;
  for (; 64 * (k + 1) <= count; ++k) {
    const float* b = v + 64 * k;
    uint64_t m0 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b), t, _CMP_LT_OQ);
    uint64_t m1 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 16), t, _CMP_LT_OQ);
    uint64_t m2 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 32), t, _CMP_LT_OQ);
    uint64_t m3 = _mm512_cmp_ps_mask(_mm512_loadu_ps(b + 48), t, _CMP_LT_OQ);
    o[k] = m0 | (m1 << 16) | (m2 << 32) | (m3 << 48);
  }
  pack_tail(v, count, thr, k, words, pix_words, o);
}

// 8 floats per compare; a word of fewer than 64 channels (the last one, or
// the only one of a small layer) too, only the last count % 8 go one by one.
__attribute__((target("avx2"))) void pack_pixel_avx2(const float* v, int64_t count, float thr,
                                                     int64_t words, int64_t pix_words,
                                                     uint64_t* o) {
  const __m256 t = _mm256_set1_ps(thr);
  int64_t k = 0;
  for (; 64 * (k + 1) <= count; ++k) {  // whole words: constant shifts, no chain
    uint64_t q[8];
    for (int j = 0; j < 8; ++j)
      q[j] = static_cast<uint32_t>(_mm256_movemask_ps(
          _mm256_cmp_ps(_mm256_loadu_ps(v + 64 * k + 8 * j), t, _CMP_LT_OQ)));
    o[k] = ((q[0] | q[1] << 8) | (q[2] << 16 | q[3] << 24)) |
           ((q[4] << 32 | q[5] << 40) | (q[6] << 48 | q[7] << 56));
  }
  if (k < words) {  // the last, partial word: its groups of 8 still at constant shifts
    const float* b = v + 64 * k;
    const int64_t m = count - 64 * k, groups = m / 8;
    uint64_t word = 0;
#pragma GCC unroll 8
    for (int j = 0; j < 7; ++j)
      if (j < groups)
        word |= static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_ps(
                    _mm256_cmp_ps(_mm256_loadu_ps(b + 8 * j), t, _CMP_LT_OQ))))
                << (8 * j);
    for (int64_t j = 8 * groups; j < m; ++j) word |= static_cast<uint64_t>(b[j] < thr) << j;
    o[k++] = word;
  }
  for (; k < pix_words; ++k) o[k] = 0;
}

void pack_pixel_scalar(const float* v, int64_t count, float thr, int64_t words,
                       int64_t pix_words, uint64_t* o) {
  pack_tail(v, count, thr, 0, words, pix_words, o);
}

using PackPixelFn = void (*)(const float*, int64_t, float, int64_t, int64_t, uint64_t*);

// Rows [begin, end) of (n, ih); inlined into a wrapper per ISA so that the
// pixel function inlines too.
template <PackPixelFn pack_pixel>
inline __attribute__((always_inline)) void pack_rows(const float* x, const float* thr,
                                                     const mmlean::PackLayout& p,
                                                     int64_t begin, int64_t end,
                                                     uint64_t* xp) {
  const int64_t cin = p.groups * p.cin_g, gw = p.group_words();
  const int64_t wp = p.wp(), plen = p.phase_len();
  for (int64_t r = begin; r < end; ++r) {
    const int64_t n = r / p.h, ih = r % p.h;
    uint64_t* row = xp + (n * p.hp() + ih + p.pad) * p.row_pixels() * p.pix_words;
    for (int64_t phase = 0; phase < p.phases; ++phase) {  // padded columns c, stored at col
      for (int64_t c = phase, col = phase * plen; c < wp; c += p.phases, ++col) {
        const int64_t iw = c - p.pad;
        if (iw < 0 || iw >= p.w) continue;
        const float* v = x + ((n * p.h + ih) * p.w + iw) * cin;
        uint64_t* o = row + col * p.pix_words;
        for (int64_t grp = 0; grp < p.groups; ++grp) {
          uint64_t* og = o + grp * gw;
          pack_pixel(v + grp * p.cin_g, p.cin_g, thr[n], p.words, p.pix_words, og);
          if (p.split)  // in place, from the last word (2 k >= k)
            for (int64_t k = p.words - 1; k >= 0; --k) {
              const uint64_t word = og[k];
              og[2 * k + 1] = (word >> 4) & kLowNibbles;
              og[2 * k] = word & kLowNibbles;
            }
        }
      }
    }
  }
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) void pack_rows_avx512(
    const float* x, const float* thr, const mmlean::PackLayout& p, int64_t begin,
    int64_t end, uint64_t* xp) {
  pack_rows<pack_pixel_avx512>(x, thr, p, begin, end, xp);
}

__attribute__((target("avx2"))) void pack_rows_avx2(const float* x, const float* thr,
                                                    const mmlean::PackLayout& p,
                                                    int64_t begin, int64_t end,
                                                    uint64_t* xp) {
  pack_rows<pack_pixel_avx2>(x, thr, p, begin, end, xp);
}

void pack_rows_scalar(const float* x, const float* thr, const mmlean::PackLayout& p,
                      int64_t begin, int64_t end, uint64_t* xp) {
  pack_rows<pack_pixel_scalar>(x, thr, p, begin, end, xp);
}

// Per-sample mean of a channels_last input, row-parallel and deterministic
// (row sums in float vectors, rows combined in double in a fixed order).
__attribute__((target("avx512f"))) float row_sum_avx512(const float* v, int64_t count) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 64 <= count; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_loadu_ps(v + i));
    a1 = _mm512_add_ps(a1, _mm512_loadu_ps(v + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_loadu_ps(v + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_loadu_ps(v + i + 48));
  }
  float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  for (; i < count; ++i) s += v[i];
  return s;
}

__attribute__((target("avx2"))) float row_sum_avx2(const float* v, int64_t count) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 32 <= count; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(v + i));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(v + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(v + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(v + i + 24));
  }
  alignas(32) float l[8];
  _mm256_store_ps(l, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  float s = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
  for (; i < count; ++i) s += v[i];
  return s;
}

float row_sum_scalar(const float* v, int64_t count) {
  float s[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += v[i + j];
  float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < count; ++i) t += v[i];
  return t;
}

std::vector<float> per_sample_mean(const float* x, int64_t n, int64_t h, int64_t row_len,
                                   mmlean::CpuIsa isa) {
  std::vector<double> rows(n * h);
  at::parallel_for(0, n * h, 4, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      rows[r] = isa == mmlean::CpuIsa::kAvx512 ? row_sum_avx512(x + r * row_len, row_len)
                : isa == mmlean::CpuIsa::kAvx2     ? row_sum_avx2(x + r * row_len, row_len)
                                                   : row_sum_scalar(x + r * row_len, row_len);
  });
  std::vector<float> mean(n);
  for (int64_t i = 0; i < n; ++i) {
    double s = 0;
    for (int64_t r = 0; r < h; ++r) s += rows[i * h + r];
    mean[i] = static_cast<float>(s / static_cast<double>(h * row_len));
  }
  return mean;
}

// ------------------------------------------------------------- epilogue ----
// The valid tap ranges [k0, k1) of output (oh, ow); the rest read padding.
inline void valid_taps(const ConvGeom& g, int64_t oh, int64_t ow, int64_t& kh0,
                       int64_t& kh1, int64_t& kw0, int64_t& kw1) {
  std::tie(kh0, kh1) = tap_range(oh * g.stride - g.pad, g.kh, g.dil, g.h);
  std::tie(kw0, kw1) = tap_range(ow * g.stride - g.pad, g.kw, g.dil, g.w);
}

struct Epilogue {
  const float* scale;     // (cout) or null
  const float* bias;      // (cout) or null
  const int32_t* wneg;    // (kh, kw, cpad)
  float* out_f;           // NHWC float output, or null
  int32_t* out_i;         // NHWC int output, or null
  const float* residual;  // NHWC, added to the float output, or null
  bool clamp;             // clamp the float output to [lo, hi]
  float lo, hi;
  // Zero-padding correction by border class (see BorderTable)
  const int32_t* row_class;   // (ho) class of each output row
  const int32_t* col_class;   // (wo) class of each output column
  const int32_t* corr;        // (row classes, col classes, cpad)
  const int32_t* valid;       // (row classes, col classes) taps inside
  int64_t col_classes;
};

// Output pixels whose taps hit the same rows/columns of padding need the same
// correction, so corrections are tabulated once per call for the few border
// classes (3 x 3 for a 3x3 kernel with padding 1) instead of per pixel.
struct BorderTable {
  std::vector<int32_t> row_class, col_class, corr, valid;
  int64_t row_classes = 0, col_classes = 0;
};

inline void classify(int64_t outputs, int64_t stride, int64_t pad, int64_t k, int64_t dil,
                     int64_t size, std::vector<int32_t>& cls,
                     std::vector<std::pair<int64_t, int64_t>>& ranges) {
  cls.resize(outputs);
  for (int64_t o = 0; o < outputs; ++o) {
    const std::pair<int64_t, int64_t> r = tap_range(o * stride - pad, k, dil, size);
    auto it = std::find(ranges.begin(), ranges.end(), r);
    cls[o] = static_cast<int32_t>(it - ranges.begin());
    if (it == ranges.end()) ranges.push_back(r);
  }
}

BorderTable make_border_table(const ConvGeom& g, const int32_t* wneg) {
  BorderTable bt;
  std::vector<std::pair<int64_t, int64_t>> rows, cols;
  classify(g.ho, g.stride, g.pad, g.kh, g.dil, g.h, bt.row_class, rows);
  classify(g.wo, g.stride, g.pad, g.kw, g.dil, g.w, bt.col_class, cols);
  bt.row_classes = rows.size();
  bt.col_classes = cols.size();
  const int64_t cpad = g.cpad();
  bt.corr.assign(bt.row_classes * bt.col_classes * cpad, 0);
  bt.valid.assign(bt.row_classes * bt.col_classes, 0);
  for (int64_t r = 0; r < bt.row_classes; ++r)
    for (int64_t c = 0; c < bt.col_classes; ++c) {
      const auto [kh0, kh1] = rows[r];
      const auto [kw0, kw1] = cols[c];
      bt.valid[r * bt.col_classes + c] = static_cast<int32_t>((kh1 - kh0) * (kw1 - kw0));
      int32_t* out = bt.corr.data() + (r * bt.col_classes + c) * cpad;
      for (int64_t a = 0; a < g.kh; ++a)
        for (int64_t b = 0; b < g.kw; ++b)
          if (a < kh0 || a >= kh1 || b < kw0 || b >= kw1)
            for (int64_t co = 0; co < cpad; ++co) out[co] += wneg[(a * g.kw + b) * cpad + co];
    }
  return bt;
}

// y for one (pixel, channel) from the raw mismatch count m of all taps
// (pc: the channel's index in the padded weight layout).
inline int64_t finish_count(const ConvGeom& g, const Epilogue& e, int64_t oh, int64_t ow,
                            int64_t pc, int64_t m) {
  int64_t kh0, kh1, kw0, kw1;
  valid_taps(g, oh, ow, kh0, kh1, kw0, kw1);
  const int64_t valid = (kh1 - kh0) * (kw1 - kw0);
  if (valid != g.kh * g.kw) {
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t b = 0; b < g.kw; ++b)
        if (a < kh0 || a >= kh1 || b < kw0 || b >= kw1)
          m -= e.wneg[(a * g.kw + b) * g.cpad() + pc];
  }
  return g.cin_g * valid - 2 * m;
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
    if (e.residual) v = v + e.residual[idx];
    if (e.clamp) v = std::min(std::max(v, e.lo), e.hi);  // as torch's clamp (keeps NaN)
    e.out_f[idx] = v;
  }
}

// ---------------------------------------------------------------- scalar ---
void conv_scalar(const uint64_t* xp, const uint64_t* wb, const ConvGeom& g,
                 const Epilogue& e, int64_t begin, int64_t end) {
  for (int64_t item = begin; item < end; ++item) {  // item = n * ho + oh
    const int64_t n = item / g.ho, oh = item % g.ho;
    for (int64_t ow = 0; ow < g.wo; ++ow) {
      const int64_t pix = ((n * g.hp + oh * g.stride) * g.wp + ow * g.stride) * g.words;
      for (int64_t co = 0; co < g.cout; ++co) {
        const int64_t grp = co / g.cout_g, local = co % g.cout_g;
        const int64_t cb = grp * g.cblocks_g + local / 8, lane = local % 8;
        const uint64_t* xpix = xp + grp * g.group_words + pix;
        int64_t m = 0;
        for (int64_t a = 0; a < g.kh; ++a)
          for (int64_t b = 0; b < g.kw; ++b) {
            const uint64_t* xt = xpix + (a * g.wp + b) * g.dil * g.words;
            const uint64_t* wt = wb + ((cb * g.kh + a) * g.kw + b) * g.words * 8 + lane;
            for (int64_t c = 0; c < g.words; ++c)
              m += __builtin_popcountll(xt[c] ^ wt[c * 8]);
          }
        store_scalar(g, e, n, oh, ow, co, finish_count(g, e, oh, ow, cb * 8 + lane, m));
      }
    }
  }
}

// --------------------------------------------------------------- tiling ----
// A tile is PB consecutive output pixels of one row x NV blocks of 8 output
// channels. Tiles always compute PB pixels: pixels past the row end read
// words of the next row or of the buffer's slack (allocated for this) and
// are simply not stored. WORDS (channel words per pixel) and STRIDE are
// compile-time for the common cases (0 = given at run time), so every input
// word of a tile is addressed as base + constant offset.
struct Tile {
  const uint64_t* x;  // group's padded input at (n, oh * stride, ow0 * stride, word 0)
  const uint64_t* w;  // weights of the first channel block of the tile
  int64_t n, oh, ow0, count;  // count: pixels of this tile to store
  int64_t co0, cend;  // output channels [co0, ...) of the tile, cend: end of its group
  int64_t pc0;        // co0's index in the padded weight layout (weight_neg)
  bool inside;        // no tap of any stored pixel reads padding
};

inline bool tile_inside(const ConvGeom& g, int64_t oh, int64_t ow0, int64_t count) {
  const int64_t ih = oh * g.stride - g.pad;
  const int64_t iw_first = ow0 * g.stride - g.pad;
  const int64_t iw_last = (ow0 + count - 1) * g.stride - g.pad;
  return ih >= 0 && ih + g.ext_h() <= g.h && iw_first >= 0 && iw_last + g.ext_w() <= g.w;
}

// Slack words needed after the padded buffer for tiles of PB pixels.
inline int64_t slack_words(const ConvGeom& g, int64_t pb) {
  return (pb * g.stride + g.ext_w() + 1) * g.words;
}

// A tile of output row (n, oh) at channel block cb of group grp.
inline Tile make_tile(const ConvGeom& g, const uint64_t* xp, const uint64_t* wb, int64_t n,
                      int64_t oh, int64_t grp, int64_t cb_in_group) {
  Tile t;
  t.n = n;
  t.oh = oh;
  t.co0 = grp * g.cout_g + cb_in_group * 8;
  t.cend = (grp + 1) * g.cout_g;
  t.pc0 = (grp * g.cblocks_g + cb_in_group) * 8;
  t.w = wb + (grp * g.cblocks_g + cb_in_group) * g.kh * g.kw * g.words * 8;
  t.x = xp + grp * g.group_words + (n * g.hp + oh * g.stride) * g.wp * g.words;
  return t;
}

inline void place_tile(const ConvGeom& g, Tile& t, const uint64_t* row_x, int64_t ow0,
                       int64_t pb) {
  t.ow0 = ow0;
  t.count = std::min<int64_t>(pb, g.wo - ow0);
  t.inside = tile_inside(g, t.oh, ow0, t.count);
  t.x = row_x + ow0 * g.stride * g.words;
}

// --------------------------------------------------------------- AVX-512 ---
#define MMLEAN_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq")))

// Epilogue of a tile, kept out of the accumulation loop on purpose: inlined,
// its register needs made GCC spill and copy the accumulators inside the hot
// loop (measured ~1.5x slower). m holds the raw mismatch counts [PB][NV][8].
MMLEAN_AVX512 __attribute__((noinline)) void epilogue_avx512(
    const ConvGeom& g, const Epilogue& e, const Tile& t, const int64_t* m, int pb, int nv) {
  const __m512i full = _mm512_set1_epi64(g.cin_g * g.kh * g.kw);
  for (int v = 0; v < nv; ++v) {
    const int64_t co0 = t.co0 + v * 8;
    const int64_t nvalid = std::min<int64_t>(8, t.cend - co0);
    if (nvalid <= 0) break;
    const __mmask8 mask = static_cast<__mmask8>((1u << nvalid) - 1u);
    const __m256 sc = e.scale ? _mm256_maskz_loadu_ps(mask, e.scale + co0) : _mm256_set1_ps(1.f);
    const __m256 bi = e.bias ? _mm256_maskz_loadu_ps(mask, e.bias + co0) : _mm256_setzero_ps();
    const int64_t base = ((t.n * g.ho + t.oh) * g.wo + t.ow0) * g.cout + co0;
    for (int i = 0; i < pb && i < t.count; ++i) {
      const __m512i acc = _mm512_load_si512(m + (i * nv + v) * 8);
      __m512i y;
      if (t.inside) {
        y = _mm512_sub_epi64(full, _mm512_add_epi64(acc, acc));
      } else {
        const int64_t cls = e.row_class[t.oh] * e.col_classes + e.col_class[t.ow0 + i];
        const __m512i corr = _mm512_cvtepi32_epi64(_mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(e.corr + cls * g.cpad() + t.pc0 + v * 8)));
        const __m512i mm = _mm512_sub_epi64(acc, corr);
        y = _mm512_sub_epi64(_mm512_set1_epi64(g.cin_g * e.valid[cls]),
                             _mm512_add_epi64(mm, mm));
      }
      // (masked stores are slow on some CPUs: only a partial block uses one)
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

template <int PB, int NV, int WORDS, int STRIDE, int K>
MMLEAN_AVX512 void tile_avx512(const ConvGeom& g, const Epilogue& e, const Tile& t) {
  const int64_t words = WORDS > 0 ? WORDS : g.words;
  const int64_t stride = STRIDE > 0 ? STRIDE : g.stride;
  const int64_t kh = K > 0 ? K : g.kh, kw = K > 0 ? K : g.kw;
  const int64_t pix = stride * words;          // words between tile pixels
  const int64_t row = g.dil * g.wp * words;    // words between tap rows
  const int64_t col = g.dil * words;           // words between tap columns
  const int64_t wblock = kh * kw * words * 8;  // words per 8-channel block
  __m512i acc[PB][NV];
#pragma GCC unroll 16
  for (int i = 0; i < PB; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_si512();
  for (int64_t a = 0; a < kh; ++a) {
    for (int64_t b = 0; b < kw; ++b) {
      const uint64_t* xt = t.x + a * row + b * col;
      const uint64_t* wt = t.w + (a * kw + b) * words * 8;
      for (int64_t c = 0; c < words; ++c) {
        __m512i wv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_si512(wt + v * wblock + c * 8);
#pragma GCC unroll 16
        for (int i = 0; i < PB; ++i) {
          const __m512i xv = _mm512_set1_epi64(static_cast<int64_t>(xt[i * pix + c]));
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v)
            acc[i][v] = _mm512_add_epi64(
                acc[i][v], _mm512_popcnt_epi64(_mm512_xor_si512(xv, wv[v])));
        }
      }
    }
  }
  alignas(64) int64_t m[PB * NV * 8];
#pragma GCC unroll 16
  for (int i = 0; i < PB; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_store_si512(m + (i * NV + v) * 8, acc[i][v]);
  epilogue_avx512(g, e, t, m, PB, NV);
}

using TileFn = void (*)(const ConvGeom&, const Epilogue&, const Tile&);

template <int PB, int NV, int K>
TileFn pick_avx512_k(int64_t words, int64_t stride) {
#define MMLEAN_W(W)                                                  \
  if (words == W) {                                                  \
    if (stride == 1) return tile_avx512<PB, NV, W, 1, K>;            \
    if (stride == 2) return tile_avx512<PB, NV, W, 2, K>;            \
    return tile_avx512<PB, NV, W, 0, K>;                             \
  }
  MMLEAN_W(1) MMLEAN_W(2) MMLEAN_W(4) MMLEAN_W(8)
#undef MMLEAN_W
  if (stride == 1) return tile_avx512<PB, NV, 0, 1, K>;
  if (stride == 2) return tile_avx512<PB, NV, 0, 2, K>;
  return tile_avx512<PB, NV, 0, 0, K>;
}

template <int PB, int NV>
TileFn pick_avx512(const ConvGeom& g) {
  if (g.kh == 3 && g.kw == 3) return pick_avx512_k<PB, NV, 3>(g.words, g.stride);
  if (g.kh == 1 && g.kw == 1) return pick_avx512_k<PB, NV, 1>(g.words, g.stride);
  return pick_avx512_k<PB, NV, 0>(g.words, g.stride);
}

// Tiles of 7 pixels x 16 channels (14 accumulators): measured here faster
// than larger register tiles (12x2, 14x2, 6x4), which starve the scheduler;
// 7 divides the widths of ResNet maps (56, 28, 14, 7).
constexpr int kPB512 = 7;

void conv_avx512(const uint64_t* xp, const uint64_t* wb, const ConvGeom& g,
                 const Epilogue& e) {
  const int64_t pb = kPB512;
  const int64_t pairs = (g.cblocks_g + 1) / 2;  // 16-channel tiles of a group (NV = 2)
  const bool odd = g.cblocks_g % 2 == 1;
  TileFn two = pick_avx512<kPB512, 2>(g);
  TileFn one = pick_avx512<kPB512, 1>(g);
  const int64_t tiles = g.groups * pairs;
  at::parallel_for(0, g.n * g.ho * tiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {  // item = (n * ho + oh) * tiles + tile
      const int64_t tile = item % tiles, rowi = item / tiles;
      const int64_t grp = tile / pairs, pair = tile % pairs;
      const bool last_single = odd && pair == pairs - 1;
      Tile t = make_tile(g, xp, wb, rowi / g.ho, rowi % g.ho, grp, 2 * pair);
      const uint64_t* row_x = t.x;
      for (int64_t ow0 = 0; ow0 < g.wo; ow0 += pb) {
        place_tile(g, t, row_x, ow0, pb);
        (last_single ? one : two)(g, e, t);
      }
    }
  });
}

// ------------------------------------------------------------------ AVX2 ---
// AVX2 has no vector popcount: bytes are counted with a 16-entry nibble table
// (vpshufb; Mula, Kurz and Lemire, "Faster Population Counts Using AVX2
// Instructions", 2018). The table needs the low and the high nibble of each
// byte of x ^ w apart, and (x ^ w) & 0x0f = (x & 0x0f) ^ (w & 0x0f), so both
// operands are split once instead of at every product: the input when it is
// packed (PackLayout::split), the weights once per call. A broadcast input
// word times 4 weight words then costs 2 xor, 2 lookups and 2 byte adds (was
// xor, 2 and, shift, 2 lookups, 2 adds), and the shuffle/shift ports are no
// longer the bottleneck.
//
// Split weights: ws[block][tap][word][16], the low-nibble words of the
// block's channels (0, 2, 4, 6) and (1, 3, 5, 7), then their high-nibble
// words. With that lane order the 64-bit sums of the two vectors become the
// 8 channels' int32 counts in order with one shift and one or.
//
// Few channels per group fill words poorly (cin_g % 64 != 0: 32 channels use
// half of every product). For kernels with several taps the AVX2 path then
// concatenates the taps' channel bits of each output pixel (an im2col of
// bits: K * cin_g bits in ceil(K * cin_g / 64) words instead of
// K * ceil(cin_g / 64); 5 words instead of 9 for a 3x3 conv of 32 channels),
// one output row at a time, 4 pixels per vector, and runs the same kernel as
// a 1x1 conv over that row. A padded tap contributes zero bits there as in
// the padded buffer, so the border correction is the same.
#define MMLEAN_AVX2 __attribute__((target("avx2,popcnt")))
#define MMLEAN_AVX2_INLINE MMLEAN_AVX2 inline __attribute__((always_inline))

// Where the kernel finds its operands, in 64-bit words: channel words per tap;
// from one tile pixel to the next; from a pixel's low-nibble word to its high
// one, and to its next channel word; from one tap row / column to the next;
// taps.
struct Avx2Addr {
  int64_t words, pix, hoff, cstep, row, col, kh, kw;
};

// One output row of one block of 8 output channels.
struct Avx2Row {
  const uint64_t* x;  // operands of output pixel 0 (tap (0, 0), low nibbles of word 0)
  const uint64_t* w;  // the block's split weights
  int64_t n, oh, co0, cend, pc0;
  bool rows_inside;     // no tap of the row reads a padded input row
  int64_t ow_in0, ow_in1;  // outputs [ow_in0, ow_in1) read no padded column
};

// 8 weight words (channels 0..7) -> 16 split words in the kernel's order.
MMLEAN_AVX2_INLINE void split_block8(const uint64_t* w8, uint64_t* o16) {
  const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w8));
  const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w8 + 4));
  // (0 4 2 6) and (1 5 3 7), then lanes (0 2 1 3): (0 2 4 6) and (1 3 5 7)
  const __m256i even = _mm256_permute4x64_epi64(_mm256_unpacklo_epi64(a, b), 0xd8);
  const __m256i odd = _mm256_permute4x64_epi64(_mm256_unpackhi_epi64(a, b), 0xd8);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  auto* o = reinterpret_cast<__m256i*>(o16);
  _mm256_storeu_si256(o, _mm256_and_si256(even, low4));
  _mm256_storeu_si256(o + 1, _mm256_and_si256(odd, low4));
  _mm256_storeu_si256(o + 2, _mm256_and_si256(_mm256_srli_epi64(even, 4), low4));
  _mm256_storeu_si256(o + 3, _mm256_and_si256(_mm256_srli_epi64(odd, 4), low4));
}

// Words of one output pixel's concatenated taps.
inline int64_t concat_words(const ConvGeom& g) { return (g.kh * g.kw * g.cin_g + 63) / 64; }

inline bool use_concat(const ConvGeom& g) {
  return g.kh * g.kw > 1 && g.cin_g % 64 != 0 && concat_words(g) < g.kh * g.kw * g.words;
}

// Split weights of the kernel, ws[block][tap][word][16] (see above), or with
// concat, ws[block][concatenated word][16].
MMLEAN_AVX2 void prepare_weights_avx2(const ConvGeom& g, const uint64_t* wb, bool concat,
                                      uint64_t* ws) {
  const int64_t blocks = g.groups * g.cblocks_g, taps = g.kh * g.kw;
  if (!concat) {
    for (int64_t q = 0; q < blocks * taps * g.words; ++q) split_block8(wb + 8 * q, ws + 16 * q);
    return;
  }
  const int64_t kwords = concat_words(g);
  const int last_bits = static_cast<int>(g.cin_g - 64 * (g.words - 1));
  std::vector<uint64_t> lanes(kwords * 8);
  for (int64_t cb = 0; cb < blocks; ++cb) {
    for (int j = 0; j < 8; ++j) {  // append the taps' words of channel j
      uint64_t cur = 0;
      int nb = 0;
      int64_t q = 0;
      for (int64_t tap = 0; tap < taps; ++tap)
        for (int64_t k = 0; k < g.words; ++k) {
          const uint64_t v = wb[((cb * taps + tap) * g.words + k) * 8 + j];
          const int bits = k + 1 < g.words ? 64 : last_bits;
          cur |= v << nb;
          nb += bits;
          if (nb >= 64) {
            lanes[q++ * 8 + j] = cur;
            nb -= 64;
            cur = nb > 0 ? v >> (bits - nb) : 0;  // the bits of v that did not fit
          }
        }
      if (nb > 0) lanes[q * 8 + j] = cur;
    }
    for (int64_t q = 0; q < kwords; ++q) split_block8(&lanes[q * 8], ws + (cb * kwords + q) * 16);
  }
}

// The prepared weights depend on the weight tensor alone, and preparing them
// reads the whole weight and writes twice its size (about 5% of a 512-channel
// 3x3 layer at 7x7), so they are kept per weight tensor and made again when
// its storage or its version counter changes (every in-place torch op, e.g.
// load_state_dict, bumps it). Entries hold their tensor weakly (its address
// cannot be reused while they do) and go when it is gone. Inference tensors
// have no version counter: prepared at every call.
struct PreparedWeights {
  c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl> owner;
  const void* data;
  int64_t version;
  bool concat;
  at::Tensor words;
};

at::Tensor prepared_weights_avx2(const at::Tensor& weight, const ConvGeom& g, bool concat,
                                 int64_t nwords) {
  static std::mutex mutex;
  static std::vector<PreparedWeights> cache;
  const bool cacheable = !weight.is_inference();
  const c10::TensorImpl* impl = weight.unsafeGetTensorImpl();
  if (cacheable) {
    const std::lock_guard<std::mutex> lock(mutex);
    cache.erase(std::remove_if(cache.begin(), cache.end(),
                               [](const PreparedWeights& p) { return p.owner.expired(); }),
                cache.end());
    for (const PreparedWeights& p : cache) {
      const auto owner = p.owner.lock();
      if (owner.get() == impl && p.data == weight.data_ptr() &&
          p.version == weight._version() && p.concat == concat && p.words.numel() == nwords)
        return p.words;
    }
  }
  at::Tensor words = at::empty({nwords}, weight.options());
  prepare_weights_avx2(g, reinterpret_cast<const uint64_t*>(weight.data_ptr<int64_t>()),
                       concat, reinterpret_cast<uint64_t*>(words.data_ptr<int64_t>()));
  if (cacheable) {
    const std::lock_guard<std::mutex> lock(mutex);
    if (cache.size() >= 1024) cache.erase(cache.begin());
    cache.push_back({c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>(
                         weight.getIntrusivePtr()),
                     weight.data_ptr(), weight._version(), concat, words});
  }
  return words;
}

MMLEAN_AVX2_INLINE void store_split4(__m256i v, uint64_t* lo, uint64_t* hi) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lo), _mm256_and_si256(v, low4));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(hi),
                      _mm256_and_si256(_mm256_srli_epi64(v, 4), low4));
}

// The concatenated taps of output row (n, oh) of group grp, 4 output pixels
// per vector, from the unsplit padded buffer: word j of pixel ow, split, at
// out[2 j wpad + ow] (low nibbles) and out[(2 j + 1) wpad + ow] (wpad: wo
// rounded up to 4; the pixels past wo read the buffer's slack).
MMLEAN_AVX2 void concat_row(const ConvGeom& g, const uint64_t* xp, int64_t grp, int64_t n,
                            int64_t oh, int64_t wpad, uint64_t* out) {
  const int last_bits = static_cast<int>(g.cin_g - 64 * (g.words - 1));
  const uint64_t* base = xp + grp * g.group_words + (n * g.hp + oh * g.stride) * g.wp * g.words;
  const int64_t step = g.stride * g.words;  // words between consecutive outputs' taps
  for (int64_t ow = 0; ow < g.wo; ow += 4) {
    __m256i cur = _mm256_setzero_si256();
    int nb = 0;  // bits in cur
    uint64_t* o = out + ow;
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t b = 0; b < g.kw; ++b) {
        const uint64_t* tap = base + ow * step + (a * g.wp + b) * g.dil * g.words;
        for (int64_t k = 0; k < g.words; ++k) {
          const __m256i v =
              step == 1 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tap + k))
                        : _mm256_set_epi64x(static_cast<int64_t>(tap[k + 3 * step]),
                                            static_cast<int64_t>(tap[k + 2 * step]),
                                            static_cast<int64_t>(tap[k + step]),
                                            static_cast<int64_t>(tap[k]));
          const int bits = k + 1 < g.words ? 64 : last_bits;
          cur = _mm256_or_si256(cur, _mm256_sll_epi64(v, _mm_cvtsi32_si128(nb)));
          nb += bits;
          if (nb >= 64) {
            store_split4(cur, o, o + wpad);
            o += 2 * wpad;
            nb -= 64;
            // the bits of v that did not fit (none: a shift by 64 gives 0)
            cur = _mm256_srl_epi64(v, _mm_cvtsi32_si128(nb > 0 ? bits - nb : 64));
          }
        }
      }
    if (nb > 0) store_split4(cur, o, o + wpad);
  }
}

// What the epilogue of one row job needs, copied out of the structs so that
// it stays in registers across the tiles.
struct Avx2Out {
  float* out_f;
  int32_t* out_i;
  bool scale, bias;
  __m256 scv, biv;
  const float* residual;
  bool clamp;
  __m256 lo, hi;
  int64_t nvalid, cout;
  int64_t base;             // output index of (n, oh, 0, co0)
  const int32_t* corr;      // border corrections of the row's class at pc0
  const int32_t* valid;     // taps inside, by column class, of the row's class
  const int32_t* col_class;
  int64_t cpad, cin_g;
  bool rows_inside;
  int64_t ow_in0, ow_in1;
};

// PB pixels x 8 channels from output pixel ow0 of the row; W: channel words
// per tap when known at compile time (0: ad.words). Byte counters (a product
// adds at most 8 to a byte); with Fold, more than 31 products, they are
// folded into 64-bit sums (vpsadbw) before they can overflow.
template <int PB, int K, int W, bool Fold>
MMLEAN_AVX2_INLINE void tile_avx2(const Avx2Addr& ad, const Avx2Row& r, const Avx2Out& o,
                                  int64_t ow0, __m256i lut, __m256i full) {
  const int64_t kh = K > 0 ? K : ad.kh, kw = K > 0 ? K : ad.kw;
  const int64_t words = W > 0 ? W : ad.words;
  const int64_t pix = ad.pix, hoff = ad.hoff, cstep = ad.cstep;
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc[PB][2], sums[PB][2];
#pragma GCC unroll 4
  for (int i = 0; i < PB; ++i)
    for (int v = 0; v < 2; ++v) acc[i][v] = sums[i][v] = zero;
  int pending = 0;
  const uint64_t* x0 = r.x + ow0 * pix;
#pragma GCC unroll 3
  for (int64_t a = 0; a < kh; ++a)
#pragma GCC unroll 3
    for (int64_t b = 0; b < kw; ++b) {
      const uint64_t* xt = x0 + a * ad.row + b * ad.col;
      const uint64_t* wt = r.w + (a * kw + b) * words * 16;
#pragma GCC unroll 8
      for (int64_t c = 0; c < words; ++c, xt += cstep, wt += 16) {
        const auto* wv = reinterpret_cast<const __m256i*>(wt);
        const __m256i wl0 = _mm256_loadu_si256(wv), wl1 = _mm256_loadu_si256(wv + 1);
        const __m256i wh0 = _mm256_loadu_si256(wv + 2), wh1 = _mm256_loadu_si256(wv + 3);
#pragma GCC unroll 4
        for (int i = 0; i < PB; ++i) {
          const __m256i xl = _mm256_set1_epi64x(static_cast<int64_t>(xt[i * pix]));
          const __m256i xh = _mm256_set1_epi64x(static_cast<int64_t>(xt[i * pix + hoff]));
          __m256i a0 = acc[i][0], a1 = acc[i][1];
          a0 = _mm256_add_epi8(a0, _mm256_shuffle_epi8(lut, _mm256_xor_si256(xl, wl0)));
          a1 = _mm256_add_epi8(a1, _mm256_shuffle_epi8(lut, _mm256_xor_si256(xl, wl1)));
          a0 = _mm256_add_epi8(a0, _mm256_shuffle_epi8(lut, _mm256_xor_si256(xh, wh0)));
          a1 = _mm256_add_epi8(a1, _mm256_shuffle_epi8(lut, _mm256_xor_si256(xh, wh1)));
          // keep the byte adds a chain per accumulator: when the loops are
          // unrolled, GCC otherwise reassociates them into trees whose
          // partial sums spill
          asm("" : "+x"(a0), "+x"(a1));
          acc[i][0] = a0;
          acc[i][1] = a1;
        }
        if (Fold && ++pending == 31) {
#pragma GCC unroll 4
          for (int i = 0; i < PB; ++i)
            for (int v = 0; v < 2; ++v) {
              sums[i][v] = _mm256_add_epi64(sums[i][v], _mm256_sad_epu8(acc[i][v], zero));
              acc[i][v] = zero;
            }
          pending = 0;
        }
      }
    }
  const bool inside = o.rows_inside && ow0 >= o.ow_in0 && ow0 + PB <= o.ow_in1;
#pragma GCC unroll 4
  for (int i = 0; i < PB; ++i) {
    __m256i s0 = _mm256_sad_epu8(acc[i][0], zero), s1 = _mm256_sad_epu8(acc[i][1], zero);
    if (Fold) {
      s0 = _mm256_add_epi64(s0, sums[i][0]);
      s1 = _mm256_add_epi64(s1, sums[i][1]);
    }
    __m256i m = _mm256_or_si256(s0, _mm256_slli_epi64(s1, 32));  // int32, channels 0..7
    __m256i y;
    if (inside) {
      y = _mm256_sub_epi32(full, _mm256_add_epi32(m, m));
    } else {
      const int64_t cls = o.col_class[ow0 + i];
      m = _mm256_sub_epi32(
          m, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(o.corr + cls * o.cpad)));
      y = _mm256_sub_epi32(_mm256_set1_epi32(static_cast<int32_t>(o.cin_g * o.valid[cls])),
                           _mm256_add_epi32(m, m));
    }
    const int64_t idx = o.base + (ow0 + i) * o.cout;
    if (o.out_i) {
      if (o.nvalid == 8) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(o.out_i + idx), y);
      } else {
        alignas(32) int32_t tmp[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), y);
        std::memcpy(o.out_i + idx, tmp, o.nvalid * sizeof(int32_t));
      }
    } else {
      __m256 f = _mm256_cvtepi32_ps(y);
      if (o.scale) f = _mm256_mul_ps(f, o.scv);
      if (o.bias) f = _mm256_add_ps(f, o.biv);
      if (o.residual) {
        if (o.nvalid == 8) {
          f = _mm256_add_ps(f, _mm256_loadu_ps(o.residual + idx));
        } else {
          alignas(32) float tmp[8] = {0};
          std::memcpy(tmp, o.residual + idx, o.nvalid * sizeof(float));
          f = _mm256_add_ps(f, _mm256_load_ps(tmp));
        }
      }
      // torch's clamp: min(hi, max(lo, f)), which keeps a NaN f
      if (o.clamp) f = _mm256_min_ps(o.hi, _mm256_max_ps(o.lo, f));
      if (o.nvalid == 8) {
        _mm256_storeu_ps(o.out_f + idx, f);
      } else {
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, f);
        std::memcpy(o.out_f + idx, tmp, o.nvalid * sizeof(float));
      }
    }
  }
}

// Tiles of 3 pixels (6 accumulators, 4 weight vectors, the table and 2 input
// vectors fill the 16 ymm registers); a row ends with one of 2 or 1 pixels.
constexpr int kPB2 = 3;

template <int K, int W, bool Fold>
MMLEAN_AVX2 void row_avx2(const ConvGeom& g, const Avx2Addr& ad, const Epilogue& e,
                          const Avx2Row& r) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  Avx2Out o;
  o.out_f = e.out_f;
  o.out_i = e.out_i;
  o.scale = e.scale != nullptr;
  o.bias = e.bias != nullptr;
  o.nvalid = std::min<int64_t>(8, r.cend - r.co0);
  alignas(32) float sc[8], bi[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = (o.scale && j < o.nvalid) ? e.scale[r.co0 + j] : 1.f;
    bi[j] = (o.bias && j < o.nvalid) ? e.bias[r.co0 + j] : 0.f;
  }
  o.scv = _mm256_load_ps(sc);
  o.biv = _mm256_load_ps(bi);
  o.residual = e.residual;
  o.clamp = e.clamp;
  o.lo = _mm256_set1_ps(e.lo);
  o.hi = _mm256_set1_ps(e.hi);
  o.cout = g.cout;
  o.base = (r.n * g.ho + r.oh) * g.wo * g.cout + r.co0;
  o.cpad = g.cpad();
  o.cin_g = g.cin_g;
  const int64_t row_cls = e.row_class[r.oh] * e.col_classes;
  o.corr = e.corr + row_cls * o.cpad + r.pc0;
  o.valid = e.valid + row_cls;
  o.col_class = e.col_class;
  o.rows_inside = r.rows_inside;
  o.ow_in0 = r.ow_in0;
  o.ow_in1 = r.ow_in1;
  const __m256i full = _mm256_set1_epi32(static_cast<int32_t>(g.cin_g * g.kh * g.kw));
  int64_t ow0 = 0;
  for (; ow0 + kPB2 <= g.wo; ow0 += kPB2) tile_avx2<kPB2, K, W, Fold>(ad, r, o, ow0, lut, full);
  if (g.wo - ow0 == 2) tile_avx2<2, K, W, Fold>(ad, r, o, ow0, lut, full);
  if (g.wo - ow0 == 1) tile_avx2<1, K, W, Fold>(ad, r, o, ow0, lut, full);
}

using Avx2RowFn = void (*)(const ConvGeom&, const Avx2Addr&, const Epilogue&, const Avx2Row&);

// Compile-time taps for 3x3 and 1x1, and words per tap for 3x3 of 64 and 128
// channels, 1x1 of 128 and 256 and the concatenated 3x3 taps of 32 and 48
// channels (5 and 7 words; their loops unroll into straight code).
Avx2RowFn pick_avx2(const Avx2Addr& ad) {
  const bool fold = ad.kh * ad.kw * ad.words > 31;
  if (ad.kh == 3 && ad.kw == 3) {
    if (ad.words == 1) return row_avx2<3, 1, false>;
    if (ad.words == 2) return row_avx2<3, 2, false>;
    return fold ? row_avx2<3, 0, true> : row_avx2<3, 0, false>;
  }
  if (ad.kh == 1 && ad.kw == 1) {
    if (ad.words == 2) return row_avx2<1, 2, false>;
    if (ad.words == 4) return row_avx2<1, 4, false>;
    if (ad.words == 5) return row_avx2<1, 5, false>;
    if (ad.words == 7) return row_avx2<1, 7, false>;
    return fold ? row_avx2<1, 0, true> : row_avx2<1, 0, false>;
  }
  return fold ? row_avx2<0, 0, true> : row_avx2<0, 0, false>;
}

// Row job of output row (n, oh) at channel block cb of group grp (x: set by the caller).
inline Avx2Row block_row(const ConvGeom& g, const uint64_t* w, int64_t n, int64_t oh,
                         int64_t grp, int64_t cb, std::pair<int64_t, int64_t> ow_in) {
  Avx2Row r;
  r.w = w;
  r.n = n;
  r.oh = oh;
  r.co0 = grp * g.cout_g + cb * 8;
  r.cend = (grp + 1) * g.cout_g;
  r.pc0 = (grp * g.cblocks_g + cb) * 8;
  const int64_t ih = oh * g.stride - g.pad;
  r.rows_inside = ih >= 0 && ih + g.ext_h() <= g.h;
  std::tie(r.ow_in0, r.ow_in1) = ow_in;
  return r;
}

// Outputs [ow0, ow1) of a row whose taps read no padded column.
std::pair<int64_t, int64_t> inside_columns(const ConvGeom& g) {
  int64_t ow0 = 0, ow1 = 0;
  bool found = false;
  for (int64_t ow = 0; ow < g.wo; ++ow) {
    const int64_t iw = ow * g.stride - g.pad;
    if (iw >= 0 && iw + g.ext_w() <= g.w) {
      if (!found) ow0 = ow;
      found = true;
      ow1 = ow + 1;
    }
  }
  return {ow0, ow1};
}

// xs: the split padded buffer; ws: split weights.
void conv_avx2(const uint64_t* xs, const uint64_t* ws, const ConvGeom& g, const Epilogue& e) {
  const int64_t wpix = 2 * g.words;  // words per padded pixel
  const Avx2Addr ad{g.words, g.stride * wpix, 1, 2, g.dil * g.wp * wpix, g.dil * wpix,
                    g.kh, g.kw};
  const Avx2RowFn fn = pick_avx2(ad);
  const auto ow_in = inside_columns(g);
  const int64_t tiles = g.groups * g.cblocks_g, wblock = g.kh * g.kw * g.words * 16;
  at::parallel_for(0, g.n * g.ho * tiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {  // item = (n * ho + oh) * tiles + tile
      const int64_t tile = item % tiles, rowi = item / tiles;
      const int64_t grp = tile / g.cblocks_g, n = rowi / g.ho, oh = rowi % g.ho;
      Avx2Row r = block_row(g, ws + tile * wblock, n, oh, grp, tile % g.cblocks_g, ow_in);
      r.x = xs + grp * g.group_words + (n * g.hp + oh * g.stride) * g.wp * wpix;
      fn(g, ad, e, r);
    }
  });
}

// xp: the unsplit padded buffer; wc: split concatenated weights.
void conv_avx2_concat(const uint64_t* xp, const uint64_t* wc, const ConvGeom& g,
                      const Epilogue& e) {
  const int64_t kwords = concat_words(g), wpad = (g.wo + 3) / 4 * 4;
  const Avx2Addr ad{kwords, 1, wpad, 2 * wpad, 0, 0, 1, 1};
  const Avx2RowFn fn = pick_avx2(ad);
  const auto ow_in = inside_columns(g);
  const int64_t row_words = 2 * kwords * wpad;
  at::parallel_for(0, g.n * g.ho, 1, [&](int64_t begin, int64_t end) {
    std::vector<uint64_t> rows(g.groups * row_words);
    for (int64_t item = begin; item < end; ++item) {  // item = n * ho + oh
      const int64_t n = item / g.ho, oh = item % g.ho;
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        uint64_t* row = rows.data() + grp * row_words;
        concat_row(g, xp, grp, n, oh, wpad, row);
        for (int64_t cb = 0; cb < g.cblocks_g; ++cb) {
          const int64_t block = grp * g.cblocks_g + cb;
          Avx2Row r = block_row(g, wc + block * kwords * 16, n, oh, grp, cb, ow_in);
          r.x = row;
          fn(g, ad, e, r);
        }
      }
    }
  });
}

// The general (non-depthwise) path: pack, tabulate the border, run the kernel.
void conv_general(const float* xd, const float* thr, const at::Tensor& weight_blocked,
                  const at::Tensor& weight_neg, const mmlean::ConvOutput& out, ConvGeom& g,
                  mmlean::CpuIsa isa, const at::TensorOptions& options) {
  const auto* wb = reinterpret_cast<const uint64_t*>(weight_blocked.data_ptr<int64_t>());
  // AVX2: the input packed split, or unsplit for the concatenated taps
  const bool avx2 = isa == mmlean::CpuIsa::kAvx2, concat = avx2 && use_concat(g);
  const bool split = avx2 && !concat;
  mmlean::PackLayout layout{g.n, g.h, g.w, g.groups, g.cin_g, g.words,
                            split ? 2 * g.words : g.words, g.pad};
  layout.split = split;
  g.group_words = layout.group_words();
  // slack after the buffer: tiles compute whole pixel groups (see Tile)
  at::Tensor xp = at::zeros({g.groups * g.group_words + slack_words(g, 16)},
                            options.dtype(at::kLong));
  auto* xpp = reinterpret_cast<uint64_t*>(xp.data_ptr<int64_t>());
  mmlean::pack_input(xd, thr, layout, xpp, isa);

  // AVX2: a 1x1 conv of stride 1 without padding reads and writes its pixels
  // in memory order, so they can all form one row (one row job per channel
  // block instead of one per output row) when the blocks alone give every
  // thread work
  ConvGeom kg = g;
  if (avx2 && g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0 &&
      g.groups * g.cblocks_g >= 2 * at::get_num_threads()) {
    kg.w = kg.wp = kg.wo = g.n * g.h * g.w;
    kg.n = kg.h = kg.hp = kg.ho = 1;
  }

  Epilogue ep;
  ep.scale = out.scale;
  ep.bias = out.bias;
  ep.wneg = weight_neg.data_ptr<int32_t>();
  ep.out_f = out.out_f;
  ep.out_i = out.out_i;
  // the AVX-512 kernel leaves the residual and the clamp to its caller
  const bool fuse = isa != mmlean::CpuIsa::kAvx512;
  ep.residual = fuse ? out.residual : nullptr;
  ep.clamp = fuse && out.clamp;
  ep.lo = out.lo;
  ep.hi = out.hi;
  const BorderTable bt = make_border_table(kg, ep.wneg);
  ep.row_class = bt.row_class.data();
  ep.col_class = bt.col_class.data();
  ep.corr = bt.corr.data();
  ep.valid = bt.valid.data();
  ep.col_classes = bt.col_classes;

  if (isa == mmlean::CpuIsa::kAvx512) {
    conv_avx512(xpp, wb, g, ep);
  } else if (avx2) {
    const int64_t blocks = g.groups * g.cblocks_g;
    const int64_t wwords = concat ? blocks * concat_words(g) * 16
                                  : blocks * g.kh * g.kw * g.words * 16;
    const at::Tensor ws = prepared_weights_avx2(weight_blocked, g, concat, wwords);
    const auto* wsp = reinterpret_cast<const uint64_t*>(ws.data_ptr<int64_t>());
    if (concat) conv_avx2_concat(xpp, wsp, g, ep);
    else conv_avx2(xpp, wsp, kg, ep);
  } else {
    at::parallel_for(0, g.n * g.ho, 1, [&](int64_t b, int64_t e) {
      conv_scalar(xpp, wb, g, ep, b, e);
    });
  }
}

}  // namespace

void mmlean::pack_input(const float* x, const float* thr, const PackLayout& p, uint64_t* xp,
                        CpuIsa isa) {
  at::parallel_for(0, p.n * p.h, 1, [&](int64_t begin, int64_t end) {
    if (isa == CpuIsa::kAvx512) pack_rows_avx512(x, thr, p, begin, end, xp);
    else if (isa == CpuIsa::kAvx2) pack_rows_avx2(x, thr, p, begin, end, xp);
    else pack_rows_scalar(x, thr, p, begin, end, xp);
  });
}

// out = clamp(out + residual, lo, hi) with torch's ops, for the kernels whose
// epilogue does not (AVX-512, depthwise, CUDA); +-inf leaves that side open.
void add_residual_clamp(at::Tensor& output, const at::Tensor& residual, double lo, double hi) {
  if (residual.defined()) output.add_(residual);
  if (std::isfinite(lo) || std::isfinite(hi))
    output.clamp_(std::isfinite(lo) ? c10::optional<at::Scalar>(lo) : c10::nullopt,
                  std::isfinite(hi) ? c10::optional<at::Scalar>(hi) : c10::nullopt);
}

at::Tensor binary_conv2d_cpu(const at::Tensor& input, const at::Tensor& threshold,
                             const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                             const at::Tensor& scale, const at::Tensor& bias,
                             at::Tensor& output, int64_t in_channels, int64_t stride,
                             int64_t padding, int64_t dilation, int64_t groups,
                             const at::Tensor& residual, double clamp_lo, double clamp_hi) {
  const at::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
  const float* xd = x.data_ptr<float>();
  const int64_t n = input.size(0), h = input.size(2), w = input.size(3);
  const mmlean::CpuIsa isa = mmlean::cpu_isa();
  std::vector<float> mean;
  if (!threshold.defined()) mean = per_sample_mean(xd, n, h, w * in_channels, isa);
  const float* thr = threshold.defined() ? threshold.data_ptr<float>() : mean.data();

  const bool int_out = output.scalar_type() == at::kInt;
  mmlean::ConvOutput out;
  out.scale = scale.defined() ? scale.data_ptr<float>() : nullptr;
  out.bias = bias.defined() ? bias.data_ptr<float>() : nullptr;
  out.out_f = int_out ? nullptr : output.data_ptr<float>();
  out.out_i = int_out ? output.data_ptr<int32_t>() : nullptr;
  out.residual = residual.defined() ? residual.data_ptr<float>() : nullptr;
  out.clamp = std::isfinite(clamp_lo) || std::isfinite(clamp_hi);
  out.lo = static_cast<float>(clamp_lo);
  out.hi = static_cast<float>(clamp_hi);
  const int64_t cout = output.size(1);
  if (groups > 1 && in_channels == groups && cout == groups) {
    mmlean::depthwise_conv_cpu(x, thr, weight_blocked, output, out, stride, padding,
                               dilation, isa);
    add_residual_clamp(output, residual, clamp_lo, clamp_hi);
    return output;
  }

  ConvGeom g;
  g.n = n;
  g.h = h;
  g.w = w;
  g.groups = groups;
  g.cin_g = in_channels / groups;
  g.words = (g.cin_g + 63) / 64;
  g.kh = weight_blocked.size(1);
  g.kw = weight_blocked.size(2);
  g.stride = stride;
  g.pad = padding;
  g.dil = dilation;
  g.ho = output.size(2);
  g.wo = output.size(3);
  g.cout = cout;
  g.cout_g = cout / groups;
  g.cblocks_g = weight_blocked.size(0) / groups;
  g.hp = g.h + 2 * g.pad;
  g.wp = g.w + 2 * g.pad;
  conv_general(xd, thr, weight_blocked, weight_neg, out, g, isa, input.options());
  if (isa == mmlean::CpuIsa::kAvx512) add_residual_clamp(output, residual, clamp_lo, clamp_hi);
  return output;
}

at::Tensor binary_conv2d_impl(const at::Tensor& input, const at::Tensor& threshold,
                              const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                              const at::Tensor& scale, const at::Tensor& bias,
                              at::Tensor& output, int64_t in_channels, int64_t stride,
                              int64_t padding, int64_t dilation, int64_t groups,
                              const at::Tensor& residual, double clamp_lo, double clamp_hi);
REGISTER_DEVICE_IMPL(binary_conv2d_impl, CPU, binary_conv2d_cpu);

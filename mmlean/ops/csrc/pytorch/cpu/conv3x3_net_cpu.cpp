// A chain of 3x3 convolutions (padding 1, stride 1 or 2) with bias, residual
// addition and ReLU fused, run as one call for small-batch CPU inference.
//
// Why: at batch 1 on 32x32 inputs (CIFAR ResNets) a 3x3 conv has 0.5-2.4M
// MACs. oneDNN's AVX2 kernels vectorize over output channels, so a conv with
// few output channels (pruned: 7, 13, 26) runs at about half the speed of a
// 16-channel one, and every op call also pays a fixed dispatch cost. Here the
// vector lanes run along the image rows instead (8 output pixels of one row),
// so any channel count runs at the same speed, and the whole network is one
// call.
//
// Layout. Every activation lives in a zero-bordered planar buffer
// B[c][h + 2][w + 2] of one image (the border is conv padding 1), so a tap is
// a plain (unaligned) load with no bounds checks. Weights are packed per
// output-channel block: for each block of `ocb` channels, [cin][3][3][ocb]
// (conv3x3_pack_weight), so the `ocb` weights of a tap are consecutive.
// Micro-kernel: a register tile of OCB output channels x NV row vectors (8
// pixels each); per tap and input channel, NV loads, OCB broadcasts and
// OCB * NV FMAs; the epilogue adds the residual, applies ReLU and stores into
// the next buffer's interior. Stride 2 loads 16 input pixels and keeps the
// even ones. Every output row must be a multiple of 8 pixels wide.
//
// Program. `program` is int64 (steps, 12), one row per step:
//   [op, src, dst, res, cin, cout, h_in, w_in, stride, relu, w_off, b_off]
//   op 0 conv3x3: dst = act(conv(src, weights[w_off:], biases[b_off:]) + res)
//        (res = -1: no residual; relu 0/1)
//   op 1 shortcut A (He et al. 2016 option A): dst[o] = src[o - w_off]
//        subsampled by `stride` for w_off <= o < w_off + cin, else 0
//   op 2 global average pool + linear: output[n] = weights[w_off:] (cout x
//        cin, row-major) @ mean_hw(src) + biases[b_off:]
// Buffer 0 holds the input image; a buffer's shape is set by the step that
// writes it, and every read is checked against it.
#include <ATen/Parallel.h>
#include <immintrin.h>
#include <torch/extension.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "cpu_isa.hpp"

namespace {

enum Field { kOp, kSrc, kDst, kRes, kCin, kCout, kHin, kWin, kStride, kRelu, kWOff, kBOff, kFields };
enum Op { kConv = 0, kShortcutA = 1, kGapLinear = 2 };

// Output-channel blocks of a conv: (channels, row vectors per tile). The tile
// is OCB x NV accumulators (at most 12 of the 16 ymm registers), balanced so
// that a block of 1 or 2 channels is never needed where it can be avoided.
std::vector<std::pair<int, int>> channel_blocks(int64_t cout) {
  std::vector<std::pair<int, int>> blocks;
  if (cout <= 0) return blocks;
  const int64_t count = (cout + 5) / 6;  // blocks of at most 6 channels
  const int64_t base = cout / count, extra = cout % count;
  for (int64_t i = 0; i < count; ++i) {
    const int ocb = static_cast<int>(base + (i < extra ? 1 : 0));
    int nv = 12 / ocb;
    nv = std::min(nv, ocb >= 3 ? 3 : 6);
    blocks.emplace_back(ocb, std::max(nv, 1));
  }
  return blocks;
}

bool avx2_fma_available() {
#if defined(__x86_64__) || defined(__i386__)
  if (mmlean::cpu_isa() == mmlean::CpuIsa::kScalar) return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

#if defined(__x86_64__) || defined(__i386__)
#define MMLEAN_AVX2_FMA __attribute__((target("avx2,fma")))

// 8 input pixels of stride 2: 16 consecutive floats, even ones kept.
MMLEAN_AVX2_FMA inline __m256 load_stride2(const float* p) {
  const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
  const __m256 even = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(
      _mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0)));
}

struct TileArgs {
  const float* src;       // input buffer (cin planes)
  int64_t cin, in_plane, in_row;
  const int64_t* in_off;  // per row vector: top-left tap of its first pixel
  const int64_t* out_off; // per row vector: its first pixel in the output buffer
  const float* w;         // packed weights of the block [cin][9][OCB]
  const float* bias;      // of the block
  const float* res;       // residual buffer at the block's first channel, or null
  float* dst;             // output buffer at the block's first channel
  int64_t out_plane;
  bool relu;
};

template <int OCB, int NV, int STRIDE>
MMLEAN_AVX2_FMA void conv_tile(const TileArgs& a) {
  __m256 acc[OCB][NV];
#pragma GCC unroll 8
  for (int o = 0; o < OCB; ++o) {
    const __m256 b = _mm256_set1_ps(a.bias[o]);
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[o][v] = b;
  }
  const float* base[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) base[v] = a.src + a.in_off[v];
  const float* w = a.w;
  for (int64_t ic = 0; ic < a.cin; ++ic) {
    const int64_t plane = ic * a.in_plane;
#pragma GCC unroll 3
    for (int kh = 0; kh < 3; ++kh) {
#pragma GCC unroll 3
      for (int kw = 0; kw < 3; ++kw) {
        const int64_t d = plane + kh * a.in_row + kw;
        __m256 x[NV];
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v)
          x[v] = STRIDE == 1 ? _mm256_loadu_ps(base[v] + d) : load_stride2(base[v] + d);
#pragma GCC unroll 8
        for (int o = 0; o < OCB; ++o) {
          const __m256 wv = _mm256_broadcast_ss(w + o);
#pragma GCC unroll 8
          for (int v = 0; v < NV; ++v) acc[o][v] = _mm256_fmadd_ps(wv, x[v], acc[o][v]);
        }
        w += OCB;
      }
    }
  }
  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int o = 0; o < OCB; ++o) {
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const int64_t p = o * a.out_plane + a.out_off[v];
      __m256 y = acc[o][v];
      if (a.res != nullptr) y = _mm256_add_ps(y, _mm256_loadu_ps(a.res + p));
      if (a.relu) y = _mm256_max_ps(y, zero);
      _mm256_storeu_ps(a.dst + p, y);
    }
  }
}

using TileFn = void (*)(const TileArgs&);

template <int OCB, int STRIDE>
TileFn pick_nv(int nv) {
  switch (nv) {
    case 1: return conv_tile<OCB, 1, STRIDE>;
    case 2: return conv_tile<OCB, 2, STRIDE>;
    case 3: return conv_tile<OCB, 3, STRIDE>;
    case 4: return conv_tile<OCB, 4, STRIDE>;
    case 5: return conv_tile<OCB, 5, STRIDE>;
    case 6: return conv_tile<OCB, 6, STRIDE>;
  }
  return nullptr;
}

template <int STRIDE>
TileFn pick_tile(int ocb, int nv) {
  switch (ocb) {
    case 1: return pick_nv<1, STRIDE>(nv);
    case 2: return pick_nv<2, STRIDE>(nv);
    case 3: return pick_nv<3, STRIDE>(nv);
    case 4: return pick_nv<4, STRIDE>(nv);
    case 5: return pick_nv<5, STRIDE>(nv);
    case 6: return pick_nv<6, STRIDE>(nv);
  }
  return nullptr;
}

TileFn pick(int ocb, int nv, int64_t stride) {
  TileFn fn = stride == 1 ? pick_tile<1>(ocb, nv) : pick_tile<2>(ocb, nv);
  TORCH_CHECK(fn != nullptr, "conv3x3_net: no tile for ", ocb, " channels x ", nv, " vectors");
  return fn;
}
#endif  // x86

struct Buffer {
  int64_t c = 0, h = 0, w = 0, offset = 0;
  bool written = false;
  int64_t row() const { return w + 2; }
  int64_t plane() const { return (h + 2) * (w + 2); }
  int64_t size() const { return c * plane(); }
};

void zero_border(float* b, const Buffer& s) {
  for (int64_t c = 0; c < s.c; ++c) {
    float* p = b + c * s.plane();
    std::fill(p, p + s.row(), 0.f);
    std::fill(p + (s.h + 1) * s.row(), p + (s.h + 2) * s.row(), 0.f);
    for (int64_t y = 1; y <= s.h; ++y) {
      p[y * s.row()] = 0.f;
      p[y * s.row() + s.w + 1] = 0.f;
    }
  }
}

int64_t out_size(int64_t in, int64_t stride) { return (in - 1) / stride + 1; }

// Shapes of every buffer, checked against the program (run once per call).
std::vector<Buffer> plan_buffers(const at::Tensor& program, int64_t c, int64_t h, int64_t w,
                                 int64_t n_weights, int64_t n_biases, int64_t* classes) {
  const int64_t steps = program.size(0);
  const int64_t* p = program.data_ptr<int64_t>();
  int64_t n_buffers = 1;
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t* r = p + i * kFields;
    n_buffers = std::max({n_buffers, r[kSrc] + 1, r[kDst] + 1, r[kRes] + 1});
  }
  std::vector<Buffer> bufs(n_buffers);
  bufs[0] = {c, h, w, 0, true};
  *classes = -1;
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t* r = p + i * kFields;
    const int64_t op = r[kOp];
    TORCH_CHECK(op >= kConv && op <= kGapLinear, "conv3x3_net: step ", i, ": unknown op ", op);
    TORCH_CHECK(r[kSrc] >= 0 && bufs[r[kSrc]].written, "conv3x3_net: step ", i,
                " reads buffer ", r[kSrc], " before it is written");
    const Buffer& src = bufs[r[kSrc]];
    TORCH_CHECK(src.c == r[kCin] && src.h == r[kHin] && src.w == r[kWin], "conv3x3_net: step ", i,
                ": buffer ", r[kSrc], " is (", src.c, ", ", src.h, ", ", src.w, "), the step reads (",
                r[kCin], ", ", r[kHin], ", ", r[kWin], ")");
    TORCH_CHECK(r[kCout] > 0, "conv3x3_net: step ", i, ": no output channels");
    if (op == kGapLinear) {
      TORCH_CHECK(i == steps - 1, "conv3x3_net: the pool + linear step must be the last one");
      TORCH_CHECK(r[kWOff] >= 0 && r[kWOff] + r[kCout] * r[kCin] <= n_weights && r[kBOff] >= 0 &&
                      r[kBOff] + r[kCout] <= n_biases,
                  "conv3x3_net: step ", i, ": weights or biases out of range");
      *classes = r[kCout];
      continue;
    }
    TORCH_CHECK(r[kStride] == 1 || r[kStride] == 2, "conv3x3_net: step ", i, ": stride ",
                r[kStride], " (1 or 2 supported)");
    TORCH_CHECK(r[kDst] > 0 && r[kDst] != r[kSrc], "conv3x3_net: step ", i,
                ": writes the input buffer or its own source");
    Buffer dst{r[kCout], out_size(r[kHin], r[kStride]), out_size(r[kWin], r[kStride]), 0, true};
    if (op == kConv) {
      TORCH_CHECK(dst.w % 8 == 0, "conv3x3_net: step ", i, ": output width ", dst.w,
                  " is not a multiple of 8");
      TORCH_CHECK(r[kWOff] >= 0 && r[kWOff] + r[kCout] * r[kCin] * 9 <= n_weights &&
                      r[kBOff] >= 0 && r[kBOff] + r[kCout] <= n_biases,
                  "conv3x3_net: step ", i, ": weights or biases out of range");
      if (r[kRes] >= 0) {
        const Buffer& res = bufs[r[kRes]];
        TORCH_CHECK(res.written && res.c == dst.c && res.h == dst.h && res.w == dst.w,
                    "conv3x3_net: step ", i, ": residual buffer ", r[kRes],
                    " does not match the output");
        TORCH_CHECK(r[kRes] != r[kSrc], "conv3x3_net: step ", i,
                    ": the residual cannot be the conv input");
      }
    } else {
      TORCH_CHECK(r[kWOff] >= 0 && r[kWOff] + r[kCin] <= r[kCout], "conv3x3_net: step ", i,
                  ": shortcut channels out of range");
    }
    Buffer& old = bufs[r[kDst]];
    TORCH_CHECK(!old.written || (old.c == dst.c && old.h == dst.h && old.w == dst.w),
                "conv3x3_net: step ", i, ": buffer ", r[kDst], " is written with two shapes");
    old = dst;
  }
  TORCH_CHECK(*classes > 0, "conv3x3_net: the program must end with a pool + linear step");
  int64_t offset = 0;
  for (Buffer& b : bufs) {
    b.offset = offset;
    offset += b.size() + 16;  // slack: the stride-2 loads read up to 8 floats past a row
  }
  return bufs;
}

void run_conv(const int64_t* r, const std::vector<Buffer>& bufs, float* ws, const float* weights,
              const float* biases) {
#if defined(__x86_64__) || defined(__i386__)
  const Buffer& src = bufs[r[kSrc]];
  const Buffer& dst = bufs[r[kDst]];
  const int64_t stride = r[kStride], cin = r[kCin];
  const int64_t vpr = dst.w / 8, nvec = dst.h * vpr;
  std::vector<int64_t> in_off(nvec), out_off(nvec);
  for (int64_t i = 0; i < nvec; ++i) {
    const int64_t y = i / vpr, x0 = (i % vpr) * 8;
    in_off[i] = y * stride * src.row() + x0 * stride;
    out_off[i] = (y + 1) * dst.row() + x0 + 1;
  }
  // work items: (channel block, tile of row vectors)
  struct Item {
    int ocb, nv;
    int64_t oc0, w_off, v0;
  };
  std::vector<Item> items;
  int64_t oc0 = 0, w_off = r[kWOff];
  for (const auto& blk : channel_blocks(r[kCout])) {
    for (int64_t v = 0; v < nvec; v += blk.second)
      items.push_back({blk.first, static_cast<int>(std::min<int64_t>(blk.second, nvec - v)), oc0,
                       w_off, v});
    oc0 += blk.first;
    w_off += cin * 9 * blk.first;
  }
  const float* s = ws + src.offset;
  float* d = ws + dst.offset;
  const float* res = r[kRes] >= 0 ? ws + bufs[r[kRes]].offset : nullptr;
  at::parallel_for(0, static_cast<int64_t>(items.size()), 4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const Item& it = items[i];
      TileArgs a{s,
                 cin,
                 src.plane(),
                 src.row(),
                 in_off.data() + it.v0,
                 out_off.data() + it.v0,
                 weights + it.w_off,
                 biases + r[kBOff] + it.oc0,
                 res ? res + it.oc0 * dst.plane() : nullptr,
                 d + it.oc0 * dst.plane(),
                 dst.plane(),
                 r[kRelu] != 0};
      pick(it.ocb, it.nv, stride)(a);
    }
  });
#else
  TORCH_CHECK(false, "conv3x3_net: needs an x86 CPU with AVX2 and FMA");
#endif
}

void run_shortcut_a(const int64_t* r, const std::vector<Buffer>& bufs, float* ws) {
  const Buffer& src = bufs[r[kSrc]];
  const Buffer& dst = bufs[r[kDst]];
  const int64_t stride = r[kStride], first = r[kWOff];
  for (int64_t c = 0; c < dst.c; ++c) {
    float* d = ws + dst.offset + c * dst.plane();
    const bool copy = c >= first && c < first + src.c;
    const float* s = ws + src.offset + (c - first) * src.plane();
    for (int64_t y = 0; y < dst.h; ++y) {
      float* drow = d + (y + 1) * dst.row() + 1;
      if (!copy) {
        std::fill(drow, drow + dst.w, 0.f);
        continue;
      }
      const float* srow = s + (y * stride + 1) * src.row() + 1;
      for (int64_t x = 0; x < dst.w; ++x) drow[x] = srow[x * stride];
    }
  }
}

void run_gap_linear(const int64_t* r, const std::vector<Buffer>& bufs, const float* ws,
                    const float* weights, const float* biases, float* out) {
  const Buffer& src = bufs[r[kSrc]];
  std::vector<float> mean(src.c);
  for (int64_t c = 0; c < src.c; ++c) {
    const float* p = ws + src.offset + c * src.plane();
    float part[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};  // 8 independent sums
    for (int64_t y = 1; y <= src.h; ++y) {
      const float* row = p + y * src.row() + 1;
      for (int64_t x = 0; x < src.w; ++x) part[x & 7] += row[x];
    }
    const float sum = ((part[0] + part[1]) + (part[2] + part[3])) +
                      ((part[4] + part[5]) + (part[6] + part[7]));
    mean[c] = sum / static_cast<float>(src.h * src.w);
  }
  const float* w = weights + r[kWOff];
  for (int64_t k = 0; k < r[kCout]; ++k) {
    float acc = 0.f;
    for (int64_t c = 0; c < src.c; ++c) acc += w[k * src.c + c] * mean[c];
    out[k] = acc + biases[r[kBOff] + k];
  }
}

}  // namespace

// (cout, cin, 3, 3) float32 -> the packed layout the program reads (see top).
at::Tensor conv3x3_pack_weight(const at::Tensor& weight) {
  TORCH_CHECK(weight.dim() == 4 && weight.size(2) == 3 && weight.size(3) == 3 &&
                  weight.scalar_type() == at::kFloat,
              "conv3x3_pack_weight: expected a float32 (cout, cin, 3, 3) weight, got ",
              weight.sizes(), " ", weight.scalar_type());
  const at::Tensor w = weight.contiguous();
  const int64_t cout = w.size(0), cin = w.size(1);
  at::Tensor packed = at::empty({cout * cin * 9}, w.options());
  const float* s = w.data_ptr<float>();
  float* d = packed.data_ptr<float>();
  int64_t oc0 = 0;
  for (const auto& blk : channel_blocks(cout)) {
    for (int64_t ic = 0; ic < cin; ++ic)
      for (int64_t k = 0; k < 9; ++k)
        for (int o = 0; o < blk.first; ++o) *d++ = s[((oc0 + o) * cin + ic) * 9 + k];
    oc0 += blk.first;
  }
  return packed;
}

bool conv3x3_net_available() { return avx2_fma_available(); }

at::Tensor conv3x3_net_forward(const at::Tensor& input, const at::Tensor& program,
                               const at::Tensor& weights, const at::Tensor& biases) {
  TORCH_CHECK(avx2_fma_available(), "conv3x3_net: needs a CPU with AVX2 and FMA");
  TORCH_CHECK(input.dim() == 4 && input.scalar_type() == at::kFloat && input.device().is_cpu(),
              "conv3x3_net: expected a float32 (N, C, H, W) CPU input, got ", input.sizes());
  TORCH_CHECK(program.dim() == 2 && program.size(1) == kFields &&
                  program.scalar_type() == at::kLong && program.is_contiguous(),
              "conv3x3_net: program must be a contiguous int64 (steps, ", kFields, ") tensor");
  TORCH_CHECK(weights.dim() == 1 && biases.dim() == 1 && weights.scalar_type() == at::kFloat &&
                  biases.scalar_type() == at::kFloat && weights.is_contiguous() &&
                  biases.is_contiguous(),
              "conv3x3_net: weights and biases must be contiguous float32 vectors");
  const at::Tensor x = input.contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  int64_t classes = 0;
  const std::vector<Buffer> bufs =
      plan_buffers(program, c, h, w, weights.numel(), biases.numel(), &classes);
  at::Tensor out = at::empty({n, classes}, x.options());
  if (n == 0) return out;
  int64_t total = 0;
  for (const Buffer& b : bufs) total = b.offset + b.size() + 16;
  // Reused by the calling thread; not cleared: every region a step reads is
  // written earlier in the same call (borders here, interiors by the steps).
  thread_local std::vector<float> workspace;
  if (static_cast<int64_t>(workspace.size()) < total) workspace.resize(total);
  float* ws = workspace.data();
  const int64_t* prog = program.data_ptr<int64_t>();
  const float* wt = weights.data_ptr<float>();
  const float* bs = biases.data_ptr<float>();
  for (int64_t img = 0; img < n; ++img) {
    for (const Buffer& b : bufs) zero_border(ws + b.offset, b);
    const float* xi = x.data_ptr<float>() + img * c * h * w;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        std::memcpy(ws + bufs[0].offset + ch * bufs[0].plane() + (y + 1) * bufs[0].row() + 1,
                    xi + (ch * h + y) * w, sizeof(float) * w);
    for (int64_t i = 0; i < program.size(0); ++i) {
      const int64_t* r = prog + i * kFields;
      if (r[kOp] == kConv) run_conv(r, bufs, ws, wt, bs);
      else if (r[kOp] == kShortcutA) run_shortcut_a(r, bufs, ws);
      else run_gap_linear(r, bufs, ws, wt, bs, out.data_ptr<float>() + img * classes);
    }
  }
  return out;
}

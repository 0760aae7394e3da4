// CUDA binary convolution (same semantics and layouts as the CPU op).
// Packing: one thread per (n, ih, iw, group, word) reads 64 channels of a
// channels_last input. Conv: one thread per (n, oh, ow, co); consecutive
// threads take consecutive output channels, so output stores coalesce and the
// threads of a group read the same input words (broadcast). Depthwise convs
// (groups == C == Cout) pack 64 channels per word without padding and count,
// per thread, the mismatching bit of its channel over the taps inside.
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/extension.h>

#include <cmath>
#include <cstdint>

namespace {

// Input geometry shared by the kernels: buffer X[group][n][hp][wp][words].
struct PackGeom {
  int64_t n, h, w, groups, cin_g, words, pad, hp, wp;
  __host__ __device__ int64_t group_words() const { return n * hp * wp * words; }
};

__global__ void pack_nhwc_kernel(const float* __restrict__ x, const float* __restrict__ thr,
                                 PackGeom p, unsigned long long* __restrict__ xp) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t total = p.n * p.h * p.w * p.groups * p.words;
  if (idx >= total) return;
  const int64_t k = idx % p.words;
  const int64_t grp = (idx / p.words) % p.groups;
  const int64_t pix = idx / (p.words * p.groups);  // (n, ih, iw)
  const int64_t iw = pix % p.w, ih = (pix / p.w) % p.h, i = pix / (p.w * p.h);
  const float* v = x + pix * p.groups * p.cin_g + grp * p.cin_g + 64 * k;
  const int64_t count = min(static_cast<int64_t>(64), p.cin_g - 64 * k);
  const float t = thr[i];
  unsigned long long word = 0;
  for (int64_t j = 0; j < count; ++j)
    word |= static_cast<unsigned long long>(v[j] < t) << j;
  xp[grp * p.group_words() + ((i * p.hp + ih + p.pad) * p.wp + iw + p.pad) * p.words + k] =
      word;
}

struct ConvGeom {
  int64_t kh, kw, stride, pad, dil, ho, wo, cout, cout_g, cblocks_g;
};

__device__ __forceinline__ void store_output(int64_t idx, int64_t co, int64_t y,
                                             const float* __restrict__ scale,
                                             const float* __restrict__ bias,
                                             float* __restrict__ out_f,
                                             int32_t* __restrict__ out_i) {
  if (out_i) {
    out_i[idx] = static_cast<int32_t>(y);
  } else {
    float v = static_cast<float>(y);
    if (scale) v = __fmul_rn(v, scale[co]);
    if (bias) v = __fadd_rn(v, bias[co]);
    out_f[idx] = v;
  }
}

__global__ void conv_kernel(const unsigned long long* __restrict__ xp,
                            const unsigned long long* __restrict__ wb,
                            const float* __restrict__ scale, const float* __restrict__ bias,
                            PackGeom p, ConvGeom g, float* __restrict__ out_f,
                            int32_t* __restrict__ out_i) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t total = p.n * g.ho * g.wo * g.cout;
  if (idx >= total) return;
  const int64_t co = idx % g.cout;
  const int64_t ow = (idx / g.cout) % g.wo;
  const int64_t oh = (idx / (g.cout * g.wo)) % g.ho;
  const int64_t i = idx / (g.cout * g.wo * g.ho);
  const int64_t grp = co / g.cout_g, local = co % g.cout_g;
  const int64_t cb = grp * g.cblocks_g + local / 8, lane = local % 8;
  const int64_t ih0 = oh * g.stride - g.pad, iw0 = ow * g.stride - g.pad;
  const unsigned long long* xg = xp + grp * p.group_words();
  int64_t m = 0, valid = 0;
  for (int64_t a = 0; a < g.kh; ++a) {
    const int64_t ih = ih0 + a * g.dil;
    if (ih < 0 || ih >= p.h) continue;  // zero padding
    for (int64_t b = 0; b < g.kw; ++b) {
      const int64_t iw = iw0 + b * g.dil;
      if (iw < 0 || iw >= p.w) continue;
      ++valid;
      const unsigned long long* xt =
          xg + ((i * p.hp + ih + p.pad) * p.wp + iw + p.pad) * p.words;
      const unsigned long long* wt = wb + ((cb * g.kh + a) * g.kw + b) * p.words * 8 + lane;
      for (int64_t c = 0; c < p.words; ++c) m += __popcll(xt[c] ^ wt[c * 8]);
    }
  }
  store_output(idx, co, p.cin_g * valid - 2 * m, scale, bias, out_f, out_i);
}

// Depthwise: X[n][h][w][words] (no padding) and W[kh][kw][words], 64 channels per word.
__global__ void depthwise_kernel(const unsigned long long* __restrict__ xp,
                                 const unsigned long long* __restrict__ wd,
                                 const float* __restrict__ scale,
                                 const float* __restrict__ bias, PackGeom p, ConvGeom g,
                                 float* __restrict__ out_f, int32_t* __restrict__ out_i) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t total = p.n * g.ho * g.wo * g.cout;
  if (idx >= total) return;
  const int64_t c = idx % g.cout;
  const int64_t ow = (idx / g.cout) % g.wo;
  const int64_t oh = (idx / (g.cout * g.wo)) % g.ho;
  const int64_t i = idx / (g.cout * g.wo * g.ho);
  const int64_t word = c / 64, bit = c % 64;
  const int64_t ih0 = oh * g.stride - g.pad, iw0 = ow * g.stride - g.pad;
  int64_t m = 0, valid = 0;
  for (int64_t a = 0; a < g.kh; ++a) {
    const int64_t ih = ih0 + a * g.dil;
    if (ih < 0 || ih >= p.h) continue;  // zero padding: the tap adds 0
    for (int64_t b = 0; b < g.kw; ++b) {
      const int64_t iw = iw0 + b * g.dil;
      if (iw < 0 || iw >= p.w) continue;
      ++valid;
      const unsigned long long x = xp[((i * p.h + ih) * p.w + iw) * p.words + word];
      m += ((x ^ wd[(a * g.kw + b) * p.words + word]) >> bit) & 1ull;
    }
  }
  store_output(idx, c, valid - 2 * m, scale, bias, out_f, out_i);
}

}  // namespace

at::Tensor binary_conv2d_cuda(const at::Tensor& input, const at::Tensor& threshold,
                              const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                              const at::Tensor& scale, const at::Tensor& bias,
                              at::Tensor& output, int64_t in_channels, int64_t stride,
                              int64_t padding, int64_t dilation, int64_t groups,
                              const at::Tensor& residual, double clamp_lo, double clamp_hi) {
  const at::cuda::CUDAGuard guard(input.device());
  auto stream = at::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor thr = threshold.defined() ? threshold : x.mean({1, 2, 3}).contiguous();
  const int64_t cout = output.size(1);
  const bool depthwise = groups > 1 && in_channels == groups && cout == groups;
  PackGeom p;
  p.n = x.size(0);
  p.h = x.size(2);
  p.w = x.size(3);
  p.groups = depthwise ? 1 : groups;
  p.cin_g = in_channels / p.groups;
  p.words = (p.cin_g + 63) / 64;
  p.pad = depthwise ? 0 : padding;
  p.hp = p.h + 2 * p.pad;
  p.wp = p.w + 2 * p.pad;
  ConvGeom g;
  g.kh = depthwise ? weight_blocked.size(0) : weight_blocked.size(1);
  g.kw = depthwise ? weight_blocked.size(1) : weight_blocked.size(2);
  g.stride = stride;
  g.pad = padding;
  g.dil = dilation;
  g.ho = output.size(2);
  g.wo = output.size(3);
  g.cout = cout;
  g.cout_g = cout / groups;
  g.cblocks_g = depthwise ? 1 : weight_blocked.size(0) / groups;

  at::Tensor xp = at::zeros({p.groups * p.group_words()}, x.options().dtype(at::kLong));
  auto* xpp = reinterpret_cast<unsigned long long*>(xp.data_ptr<int64_t>());
  const int threads = 256;
  const int64_t pack_total = p.n * p.h * p.w * p.groups * p.words;
  if (pack_total > 0) {  // an empty image with padding packs nothing
    pack_nhwc_kernel<<<(pack_total + threads - 1) / threads, threads, 0, stream>>>(
        x.data_ptr<float>(), thr.data_ptr<float>(), p, xpp);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  }
  const bool int_out = output.scalar_type() == at::kInt;
  const float* s = scale.defined() ? scale.data_ptr<float>() : nullptr;
  const float* b = bias.defined() ? bias.data_ptr<float>() : nullptr;
  float* out_f = int_out ? nullptr : output.data_ptr<float>();
  int32_t* out_i = int_out ? output.data_ptr<int32_t>() : nullptr;
  const auto* w = reinterpret_cast<const unsigned long long*>(weight_blocked.data_ptr<int64_t>());
  const int64_t total = p.n * g.ho * g.wo * cout;
  const int64_t blocks = (total + threads - 1) / threads;
  if (depthwise)
    depthwise_kernel<<<blocks, threads, 0, stream>>>(xpp, w, s, b, p, g, out_f, out_i);
  else
    conv_kernel<<<blocks, threads, 0, stream>>>(xpp, w, s, b, p, g, out_f, out_i);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  // residual and clamp (see binary_conv.cpp) with torch's ops
  if (residual.defined()) output.add_(residual);
  if (std::isfinite(clamp_lo) || std::isfinite(clamp_hi))
    output.clamp_(std::isfinite(clamp_lo) ? c10::optional<at::Scalar>(clamp_lo) : c10::nullopt,
                  std::isfinite(clamp_hi) ? c10::optional<at::Scalar>(clamp_hi) : c10::nullopt);
  return output;
}

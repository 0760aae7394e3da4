// CUDA binary convolution (same semantics and layouts as the CPU op).
// Packing: one thread per (n, ih, iw, word) reads 64 channels of a
// channels_last input. Conv: one thread per (n, oh, ow, co); consecutive
// threads take consecutive output channels, so output stores coalesce and all
// threads of a warp read the same input words (broadcast).
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/extension.h>

#include <cstdint>

namespace {

__global__ void pack_nhwc_kernel(const float* __restrict__ x, const float* __restrict__ thr,
                                 int64_t n, int64_t h, int64_t w, int64_t cin,
                                 int64_t words, int64_t pad, int64_t hp, int64_t wp,
                                 unsigned long long* __restrict__ xp) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t total = n * h * w * words;
  if (idx >= total) return;
  const int64_t k = idx % words;
  const int64_t pix = idx / words;  // (n, ih, iw)
  const int64_t iw = pix % w, ih = (pix / w) % h, i = pix / (w * h);
  const float* v = x + pix * cin + 64 * k;
  const int64_t count = min(static_cast<int64_t>(64), cin - 64 * k);
  const float t = thr[i];
  unsigned long long word = 0;
  for (int64_t j = 0; j < count; ++j)
    word |= static_cast<unsigned long long>(v[j] < t) << j;
  xp[((i * hp + ih + pad) * wp + iw + pad) * words + k] = word;
}

__global__ void conv_kernel(const unsigned long long* __restrict__ xp,
                            const unsigned long long* __restrict__ wb,
                            const int32_t* __restrict__ wneg, const float* __restrict__ scale,
                            const float* __restrict__ bias, int64_t n, int64_t cin,
                            int64_t h, int64_t w, int64_t words, int64_t kh, int64_t kw,
                            int64_t stride, int64_t pad, int64_t ho, int64_t wo,
                            int64_t cout, int64_t cblocks, int64_t hp, int64_t wp,
                            float* __restrict__ out_f, int32_t* __restrict__ out_i) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t total = n * ho * wo * cout;
  if (idx >= total) return;
  const int64_t co = idx % cout;
  const int64_t ow = (idx / cout) % wo;
  const int64_t oh = (idx / (cout * wo)) % ho;
  const int64_t i = idx / (cout * wo * ho);
  const int64_t cb = co / 8, lane = co % 8;
  const int64_t ih0 = oh * stride - pad, iw0 = ow * stride - pad;
  int64_t m = 0, valid = 0;
  for (int64_t a = 0; a < kh; ++a) {
    const bool row_ok = ih0 + a >= 0 && ih0 + a < h;
    for (int64_t b = 0; b < kw; ++b) {
      if (!row_ok || iw0 + b < 0 || iw0 + b >= w) continue;  // zero padding
      ++valid;
      const unsigned long long* xt =
          xp + ((i * hp + oh * stride + a) * wp + ow * stride + b) * words;
      const unsigned long long* wt = wb + ((cb * kh + a) * kw + b) * words * 8 + lane;
      for (int64_t c = 0; c < words; ++c) m += __popcll(xt[c] ^ wt[c * 8]);
    }
  }
  const int64_t y = cin * valid - 2 * m;
  if (out_i) {
    out_i[idx] = static_cast<int32_t>(y);
  } else {
    float v = static_cast<float>(y);
    if (scale) v = __fmul_rn(v, scale[co]);
    if (bias) v = __fadd_rn(v, bias[co]);
    out_f[idx] = v;
  }
}

}  // namespace

at::Tensor binary_conv2d_cuda(const at::Tensor& input, const at::Tensor& threshold,
                              const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                              const at::Tensor& scale, const at::Tensor& bias,
                              at::Tensor& output, int64_t in_channels, int64_t stride,
                              int64_t padding) {
  const at::cuda::CUDAGuard guard(input.device());
  auto stream = at::cuda::getCurrentCUDAStream();
  const at::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor thr = threshold.defined() ? threshold : x.mean({1, 2, 3}).contiguous();
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3), cin = in_channels;
  const int64_t words = (cin + 63) / 64;
  const int64_t kh = weight_blocked.size(1), kw = weight_blocked.size(2);
  const int64_t hp = h + 2 * padding, wp = w + 2 * padding;
  at::Tensor xp = at::zeros({n * hp * wp * words}, x.options().dtype(at::kLong));
  const int threads = 256;
  const int64_t pack_total = n * h * w * words;
  pack_nhwc_kernel<<<(pack_total + threads - 1) / threads, threads, 0, stream>>>(
      x.data_ptr<float>(), thr.data_ptr<float>(), n, h, w, cin, words, padding, hp, wp,
      reinterpret_cast<unsigned long long*>(xp.data_ptr<int64_t>()));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  const int64_t ho = output.size(2), wo = output.size(3), cout = output.size(1);
  const bool int_out = output.scalar_type() == at::kInt;
  const int64_t total = n * ho * wo * cout;
  conv_kernel<<<(total + threads - 1) / threads, threads, 0, stream>>>(
      reinterpret_cast<const unsigned long long*>(xp.data_ptr<int64_t>()),
      reinterpret_cast<const unsigned long long*>(weight_blocked.data_ptr<int64_t>()),
      weight_neg.data_ptr<int32_t>(), scale.defined() ? scale.data_ptr<float>() : nullptr,
      bias.defined() ? bias.data_ptr<float>() : nullptr, n, cin, h, w, words, kh, kw,
      stride, padding, ho, wo, cout, weight_blocked.size(0), hp, wp,
      int_out ? nullptr : output.data_ptr<float>(),
      int_out ? output.data_ptr<int32_t>() : nullptr);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return output;
}

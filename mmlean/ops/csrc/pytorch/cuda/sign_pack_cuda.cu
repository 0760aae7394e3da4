// CUDA kernels of sign_pack / sign_unpack (same bit layout as the CPU ones).
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/extension.h>

#include <cstdint>

namespace {

// One thread per output word; consecutive threads take consecutive positions,
// so the 64 strided channel reads of a warp are coalesced.
__global__ void sign_pack_kernel(const float* __restrict__ x, int64_t channels,
                                 int64_t positions, int64_t words, int64_t total,
                                 unsigned long long* __restrict__ out) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  const int64_t p = idx % positions;
  const int64_t k = (idx / positions) % words;
  const int64_t n = idx / (positions * words);
  const int64_t c_end = min(static_cast<int64_t>(64), channels - 64 * k);
  unsigned long long word = 0;
  const float* base = x + (n * channels + 64 * k) * positions + p;
  for (int64_t j = 0; j < c_end; ++j)
    word |= static_cast<unsigned long long>(base[j * positions] < 0.f) << j;
  out[(n * positions + p) * words + k] = word;
}

__global__ void sign_unpack_kernel(const unsigned long long* __restrict__ in,
                                   int64_t channels, int64_t positions,
                                   int64_t words, int64_t total,
                                   float* __restrict__ out) {
  const int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (idx >= total) return;
  const int64_t p = idx % positions;
  const int64_t c = (idx / positions) % channels;
  const int64_t n = idx / (positions * channels);
  const unsigned long long word = in[(n * positions + p) * words + c / 64];
  out[idx] = ((word >> (c % 64)) & 1ull) ? -1.f : 1.f;
}

}  // namespace

at::Tensor sign_pack_cuda(const at::Tensor& input, at::Tensor& output) {
  const at::cuda::CUDAGuard guard(input.device());
  const at::Tensor x = input.contiguous();
  const int64_t n = x.size(0), channels = x.size(1);
  const int64_t positions = x.numel() / (n * channels);
  const int64_t words = output.size(-1);
  const int64_t total = n * positions * words;
  const int threads = 256;
  const int64_t blocks = (total + threads - 1) / threads;
  sign_pack_kernel<<<blocks, threads, 0, at::cuda::getCurrentCUDAStream()>>>(
      x.data_ptr<float>(), channels, positions, words, total,
      reinterpret_cast<unsigned long long*>(output.data_ptr<int64_t>()));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return output;
}

at::Tensor sign_unpack_cuda(const at::Tensor& packed, at::Tensor& output) {
  const at::cuda::CUDAGuard guard(packed.device());
  const int64_t n = output.size(0), channels = output.size(1);
  const int64_t positions = output.numel() / (n * channels);
  const int64_t words = packed.size(-1);
  const int64_t total = output.numel();
  const int threads = 256;
  const int64_t blocks = (total + threads - 1) / threads;
  sign_unpack_kernel<<<blocks, threads, 0, at::cuda::getCurrentCUDAStream()>>>(
      reinterpret_cast<const unsigned long long*>(packed.data_ptr<int64_t>()),
      channels, positions, words, total, output.data_ptr<float>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return output;
}

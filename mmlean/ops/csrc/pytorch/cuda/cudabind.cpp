// All CUDA registrations; this file is compiled only in CUDA builds.
#include "device_registry.hpp"

at::Tensor sign_pack_impl(const at::Tensor& input, at::Tensor& output);
at::Tensor sign_unpack_impl(const at::Tensor& packed, at::Tensor& output);
at::Tensor sign_pack_cuda(const at::Tensor& input, at::Tensor& output);
at::Tensor sign_unpack_cuda(const at::Tensor& packed, at::Tensor& output);

REGISTER_DEVICE_IMPL(sign_pack_impl, CUDA, sign_pack_cuda);
REGISTER_DEVICE_IMPL(sign_unpack_impl, CUDA, sign_unpack_cuda);

at::Tensor binary_conv2d_impl(const at::Tensor& input, const at::Tensor& threshold,
                              const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                              const at::Tensor& scale, const at::Tensor& bias,
                              at::Tensor& output, int64_t in_channels, int64_t stride,
                              int64_t padding, int64_t dilation, int64_t groups,
                              const at::Tensor& residual, double clamp_lo, double clamp_hi);
at::Tensor binary_conv2d_cuda(const at::Tensor& input, const at::Tensor& threshold,
                              const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                              const at::Tensor& scale, const at::Tensor& bias,
                              at::Tensor& output, int64_t in_channels, int64_t stride,
                              int64_t padding, int64_t dilation, int64_t groups,
                              const at::Tensor& residual, double clamp_lo, double clamp_hi);
REGISTER_DEVICE_IMPL(binary_conv2d_impl, CUDA, binary_conv2d_cuda);

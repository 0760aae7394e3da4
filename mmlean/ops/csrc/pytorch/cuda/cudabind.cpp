// All CUDA registrations; this file is compiled only in CUDA builds.
#include "device_registry.hpp"

at::Tensor sign_pack_impl(const at::Tensor& input, at::Tensor& output);
at::Tensor sign_unpack_impl(const at::Tensor& packed, at::Tensor& output);
at::Tensor sign_pack_cuda(const at::Tensor& input, at::Tensor& output);
at::Tensor sign_unpack_cuda(const at::Tensor& packed, at::Tensor& output);

REGISTER_DEVICE_IMPL(sign_pack_impl, CUDA, sign_pack_cuda);
REGISTER_DEVICE_IMPL(sign_unpack_impl, CUDA, sign_unpack_cuda);

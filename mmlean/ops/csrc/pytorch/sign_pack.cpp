// Front end of the sign bit-packing ops (device agnostic).
//
// sign_pack(x): x is float32 of shape (N, C, *S) in any memory layout. Returns
// int64 of shape (N, *S, ceil(C / 64)): bit j of word k is 1 when channel
// 64k + j of x is negative (x < 0), i.e. stands for -1; 0 stands for +1.
// Zero, -0.0 and NaN are not < 0 and pack as +1. Channels past C are 0 (+1);
// binary conv counts only the C real channels, so the padding never matters.
//
// sign_unpack(packed, C): the inverse, returning float32 (N, C, *S) of +-1.
#include "device_registry.hpp"

at::Tensor sign_pack_impl(const at::Tensor& input, at::Tensor& output) {
  return DISPATCH_DEVICE_IMPL(sign_pack_impl, input, output);
}

at::Tensor sign_unpack_impl(const at::Tensor& packed, at::Tensor& output) {
  return DISPATCH_DEVICE_IMPL(sign_unpack_impl, packed, output);
}

static std::vector<int64_t> packed_shape(const at::Tensor& input) {
  std::vector<int64_t> shape{input.size(0)};
  for (int64_t d = 2; d < input.dim(); ++d) shape.push_back(input.size(d));
  shape.push_back((input.size(1) + 63) / 64);
  return shape;
}

at::Tensor sign_pack(const at::Tensor& input) {
  TORCH_CHECK(input.dim() >= 2, "sign_pack: expected a tensor of shape (N, C, ...), got ",
              input.dim(), " dimensions");
  TORCH_CHECK(input.scalar_type() == at::kFloat,
              "sign_pack: expected float32, got ", input.scalar_type());
  auto output = at::empty(packed_shape(input), input.options().dtype(at::kLong));
  if (input.numel() == 0) return output.zero_();
  return sign_pack_impl(input, output);
}

at::Tensor sign_unpack(const at::Tensor& packed, int64_t channels) {
  TORCH_CHECK(packed.dim() >= 2, "sign_unpack: expected (N, ..., words), got ",
              packed.dim(), " dimensions");
  TORCH_CHECK(packed.scalar_type() == at::kLong,
              "sign_unpack: expected int64 words, got ", packed.scalar_type());
  TORCH_CHECK(channels >= 0 && (channels + 63) / 64 == packed.size(-1),
              "sign_unpack: ", channels, " channels need ", (channels + 63) / 64,
              " words but the last dimension holds ", packed.size(-1));
  std::vector<int64_t> shape{packed.size(0), channels};
  for (int64_t d = 1; d < packed.dim() - 1; ++d) shape.push_back(packed.size(d));
  auto output = at::empty(shape, packed.options().dtype(at::kFloat));
  if (output.numel() == 0) return output;
  return sign_unpack_impl(packed.contiguous(), output);
}

// Front end of the bit-packed binary convolution (device agnostic).
//
// binary_conv2d(input, threshold, weight_blocked, weight_neg, out_channels,
//               stride, padding, scale, bias, int_output)
//
//   input           float32 (N, Cin, H, W), any layout (channels_last is fastest
//                   on the CPU: it is packed without a transpose).
//   threshold       float32 (N,) or None: input[n] packs as -1 where
//                   input < threshold[n]; None uses the per-sample mean over
//                   (C, H, W), computed in the op (RBNN's per-sample
//                   standardization reduces to comparing with the mean).
//   weight_blocked  int64 (ceil(Cout/8), KH, KW, ceil(Cin/64), 8): the sign bits
//                   of the +-1 weight, 8 output channels per innermost block
//                   (channels past Cout are 0).
//   weight_neg      int32 (KH, KW, ceil(Cout/8)*8): number of -1 weights of each
//                   output channel at each tap (the zero-padding correction).
//   scale, bias     float32 (Cout,) or empty: out = y * scale + bias.
//   int_output      return the exact integer y as int32 instead.
//
// y[n, co, oh, ow] = sum over taps inside the image and channels of x * w with
// x, w in {-1, +1}: exactly conv2d(sign(x - thr), w) with zero padding.
// Returns a channels_last tensor of logical shape (N, Cout, Ho, Wo).
#include "device_registry.hpp"

at::Tensor binary_conv2d_impl(const at::Tensor& input, const at::Tensor& threshold,
                              const at::Tensor& weight_blocked,
                              const at::Tensor& weight_neg, const at::Tensor& scale,
                              const at::Tensor& bias, at::Tensor& output,
                              int64_t in_channels, int64_t stride, int64_t padding) {
  return DISPATCH_DEVICE_IMPL(binary_conv2d_impl, input, threshold, weight_blocked,
                              weight_neg, scale, bias, output, in_channels, stride,
                              padding);
}

at::Tensor binary_conv2d(const at::Tensor& input, const c10::optional<at::Tensor>& threshold,
                         const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                         int64_t out_channels, int64_t stride, int64_t padding,
                         const c10::optional<at::Tensor>& scale,
                         const c10::optional<at::Tensor>& bias, bool int_output) {
  TORCH_CHECK(input.dim() == 4 && input.scalar_type() == at::kFloat,
              "binary_conv2d: input must be float32 (N, C, H, W), got ",
              input.scalar_type(), " with ", input.dim(), " dims");
  TORCH_CHECK(weight_blocked.dim() == 5 && weight_blocked.scalar_type() == at::kLong &&
                  weight_blocked.size(4) == 8,
              "binary_conv2d: weight_blocked must be int64 (Cout/8, KH, KW, Cin/64, 8)");
  const int64_t n = input.size(0), cin = input.size(1);
  const int64_t h = input.size(2), w = input.size(3);
  const int64_t kh = weight_blocked.size(1), kw = weight_blocked.size(2);
  TORCH_CHECK(weight_blocked.size(3) == (cin + 63) / 64, "binary_conv2d: weights pack ",
              weight_blocked.size(3) * 64, " input channels in words, input has ", cin);
  TORCH_CHECK(out_channels > 0 && weight_blocked.size(0) == (out_channels + 7) / 8,
              "binary_conv2d: weights hold ", weight_blocked.size(0) * 8,
              " output channels in blocks of 8, out_channels=", out_channels);
  TORCH_CHECK(weight_neg.scalar_type() == at::kInt && weight_neg.dim() == 3 &&
                  weight_neg.size(0) == kh && weight_neg.size(1) == kw &&
                  weight_neg.size(2) == weight_blocked.size(0) * 8,
              "binary_conv2d: weight_neg must be int32 (KH, KW, ceil(Cout/8)*8)");
  at::Tensor thr = threshold.has_value() ? threshold->contiguous() : at::Tensor();
  if (thr.defined())
    TORCH_CHECK(thr.scalar_type() == at::kFloat && thr.numel() == n,
                "binary_conv2d: threshold must be float32 (N,) or None (per-sample mean)");
  TORCH_CHECK(stride >= 1 && padding >= 0, "binary_conv2d: bad stride/padding");
  const int64_t ho = (h + 2 * padding - kh) / stride + 1;
  const int64_t wo = (w + 2 * padding - kw) / stride + 1;
  TORCH_CHECK(ho > 0 && wo > 0, "binary_conv2d: output would be empty");
  at::Tensor s = scale.has_value() ? scale->contiguous() : at::Tensor();
  at::Tensor b = bias.has_value() ? bias->contiguous() : at::Tensor();
  if (s.defined()) TORCH_CHECK(s.numel() == out_channels && s.scalar_type() == at::kFloat,
                               "binary_conv2d: scale must be float32 (Cout,)");
  if (b.defined()) TORCH_CHECK(b.numel() == out_channels && b.scalar_type() == at::kFloat,
                               "binary_conv2d: bias must be float32 (Cout,)");
  auto output = at::empty({n, out_channels, ho, wo},
                          input.options().dtype(int_output ? at::kInt : at::kFloat)
                              .memory_format(at::MemoryFormat::ChannelsLast));
  if (n == 0) return output;
  return binary_conv2d_impl(input, thr, weight_blocked.contiguous(),
                            weight_neg.contiguous(), s, b, output, cin, stride, padding);
}

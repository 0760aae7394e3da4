// Front end of the bit-packed binary convolution (device agnostic).
//
// binary_conv2d(input, threshold, weight_blocked, weight_neg, out_channels,
//               stride, padding, scale, bias, int_output, dilation, groups)
//
//   input           float32 (N, Cin, H, W), any layout (channels_last is fastest
//                   on the CPU: it is packed without a transpose).
//   threshold       float32 (N,) or None: input[n] packs as -1 where
//                   input < threshold[n]; None uses the per-sample mean over
//                   (C, H, W), computed in the op (RBNN's per-sample
//                   standardization reduces to comparing with the mean).
//   weight_blocked  general layout: int64 (groups * ceil(Cout_g/8), KH, KW,
//                   ceil(Cin_g/64), 8), the sign bits of the +-1 weight, 8
//                   output channels of one group per innermost block (channels
//                   past Cout_g = Cout/groups are 0; Cin_g = Cin/groups).
//                   Depthwise layout (groups == Cin == Cout > 1): int64
//                   (KH, KW, ceil(C/64)), bit c of a tap's words = filter c.
//   weight_neg      general layout: int32 (KH, KW, groups * ceil(Cout_g/8) * 8),
//                   number of -1 weights of each output channel at each tap
//                   (the zero-padding correction). Unused by the depthwise layout.
//   scale, bias     float32 (Cout,) or empty: out = y * scale + bias.
//   int_output      return the exact integer y as int32 instead.
//   dilation        tap spacing, as in conv2d.
//   groups          as in conv2d: output channels of group g see input channels
//                   [g * Cin_g, (g + 1) * Cin_g) only.
//   residual        float32 (N, Cout, Ho, Wo) or None: added to the float output
//                   (after the scale/bias epilogue).
//   clamp_min/max   float or None: then the float output is clamped, as
//                   torch.clamp (hardtanh, relu). A residual block's
//                   act(bn(conv(x)) + shortcut) is one pass with the BN folded
//                   into scale/bias; the result equals torch's separate ops.
//
// y[n, co, oh, ow] = sum over taps inside the image and channels of the group
// of x * w with x, w in {-1, +1}: exactly conv2d(sign(x - thr), w, stride,
// padding, dilation, groups) with zero padding.
// Returns a channels_last tensor of logical shape (N, Cout, Ho, Wo).
#include <limits>

#include "device_registry.hpp"

at::Tensor binary_conv2d_impl(const at::Tensor& input, const at::Tensor& threshold,
                              const at::Tensor& weight_blocked,
                              const at::Tensor& weight_neg, const at::Tensor& scale,
                              const at::Tensor& bias, at::Tensor& output,
                              int64_t in_channels, int64_t stride, int64_t padding,
                              int64_t dilation, int64_t groups, const at::Tensor& residual,
                              double clamp_lo, double clamp_hi) {
  return DISPATCH_DEVICE_IMPL(binary_conv2d_impl, input, threshold, weight_blocked,
                              weight_neg, scale, bias, output, in_channels, stride,
                              padding, dilation, groups, residual, clamp_lo, clamp_hi);
}

namespace {

bool is_depthwise(int64_t cin, int64_t cout, int64_t groups) {
  return groups > 1 && cin == groups && cout == groups;
}

// Kernel size (KH, KW) after checking the weight tensors against the conv.
std::pair<int64_t, int64_t> check_weight(const at::Tensor& blocked, const at::Tensor& neg,
                                         int64_t cin, int64_t cout, int64_t groups) {
  TORCH_CHECK(blocked.scalar_type() == at::kLong, "binary_conv2d: weight_blocked must be int64");
  if (is_depthwise(cin, cout, groups)) {
    TORCH_CHECK(blocked.dim() == 3 && blocked.size(2) == (cin + 63) / 64,
                "binary_conv2d: a depthwise weight must be int64 (KH, KW, ceil(C/64)) = (KH, KW, ",
                (cin + 63) / 64, "), got ", blocked.sizes());
    return {blocked.size(0), blocked.size(1)};
  }
  const int64_t cin_g = cin / groups, cout_g = cout / groups;
  const int64_t blocks = groups * ((cout_g + 7) / 8);
  TORCH_CHECK(blocked.dim() == 5 && blocked.size(4) == 8,
              "binary_conv2d: weight_blocked must be int64 (groups*Cout_g/8, KH, KW, Cin_g/64, 8)");
  TORCH_CHECK(blocked.size(3) == (cin_g + 63) / 64, "binary_conv2d: weights pack ",
              blocked.size(3) * 64, " input channels per group in words, the input has ",
              cin_g, " per group (", cin, " channels, groups=", groups, ")");
  TORCH_CHECK(blocked.size(0) == blocks, "binary_conv2d: weights hold ", blocked.size(0),
              " blocks of 8 output channels, out_channels=", cout, " with groups=", groups,
              " need ", blocks);
  const int64_t kh = blocked.size(1), kw = blocked.size(2);
  TORCH_CHECK(neg.scalar_type() == at::kInt && neg.dim() == 3 && neg.size(0) == kh &&
                  neg.size(1) == kw && neg.size(2) == blocks * 8,
              "binary_conv2d: weight_neg must be int32 (KH, KW, ", blocks * 8, ")");
  return {kh, kw};
}

}  // namespace

at::Tensor binary_conv2d(const at::Tensor& input, const c10::optional<at::Tensor>& threshold,
                         const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                         int64_t out_channels, int64_t stride, int64_t padding,
                         const c10::optional<at::Tensor>& scale,
                         const c10::optional<at::Tensor>& bias, bool int_output,
                         int64_t dilation, int64_t groups,
                         const c10::optional<at::Tensor>& residual,
                         c10::optional<double> clamp_min, c10::optional<double> clamp_max) {
  TORCH_CHECK(input.dim() == 4 && input.scalar_type() == at::kFloat,
              "binary_conv2d: input must be float32 (N, C, H, W), got ",
              input.scalar_type(), " with ", input.dim(), " dims");
  const int64_t n = input.size(0), cin = input.size(1);
  const int64_t h = input.size(2), w = input.size(3);
  TORCH_CHECK(groups >= 1 && cin % groups == 0 && out_channels > 0 &&
                  out_channels % groups == 0,
              "binary_conv2d: groups=", groups, " must divide in_channels=", cin,
              " and out_channels=", out_channels);
  const auto [kh, kw] = check_weight(weight_blocked, weight_neg, cin, out_channels, groups);
  at::Tensor thr = threshold.has_value() ? threshold->contiguous() : at::Tensor();
  if (thr.defined())
    TORCH_CHECK(thr.scalar_type() == at::kFloat && thr.numel() == n,
                "binary_conv2d: threshold must be float32 (N,) or None (per-sample mean)");
  TORCH_CHECK(stride >= 1 && padding >= 0 && dilation >= 1,
              "binary_conv2d: bad stride/padding/dilation");
  const int64_t ho = (h + 2 * padding - dilation * (kh - 1) - 1) / stride + 1;
  const int64_t wo = (w + 2 * padding - dilation * (kw - 1) - 1) / stride + 1;
  TORCH_CHECK(h + 2 * padding >= dilation * (kh - 1) + 1 &&
                  w + 2 * padding >= dilation * (kw - 1) + 1 && ho > 0 && wo > 0,
              "binary_conv2d: output would be empty");
  at::Tensor s = scale.has_value() ? scale->contiguous() : at::Tensor();
  at::Tensor b = bias.has_value() ? bias->contiguous() : at::Tensor();
  if (s.defined()) TORCH_CHECK(s.numel() == out_channels && s.scalar_type() == at::kFloat,
                               "binary_conv2d: scale must be float32 (Cout,)");
  if (b.defined()) TORCH_CHECK(b.numel() == out_channels && b.scalar_type() == at::kFloat,
                               "binary_conv2d: bias must be float32 (Cout,)");
  at::Tensor r;
  if (residual.has_value()) {
    TORCH_CHECK(!int_output, "binary_conv2d: a residual needs the float output");
    TORCH_CHECK(residual->scalar_type() == at::kFloat && residual->device() == input.device() &&
                    residual->sizes() == at::IntArrayRef({n, out_channels, ho, wo}),
                "binary_conv2d: residual must be float32 (", n, ", ", out_channels, ", ", ho,
                ", ", wo, ") on the input's device, got ", residual->scalar_type(), " ",
                residual->sizes());
    r = residual->contiguous(at::MemoryFormat::ChannelsLast);
  }
  TORCH_CHECK(!int_output || (!clamp_min.has_value() && !clamp_max.has_value()),
              "binary_conv2d: clamping needs the float output");
  const double inf = std::numeric_limits<double>::infinity();
  const double lo = clamp_min.value_or(-inf), hi = clamp_max.value_or(inf);
  TORCH_CHECK(!(lo > hi), "binary_conv2d: clamp_min ", lo, " > clamp_max ", hi);
  auto output = at::empty({n, out_channels, ho, wo},
                          input.options().dtype(int_output ? at::kInt : at::kFloat)
                              .memory_format(at::MemoryFormat::ChannelsLast));
  if (n == 0) return output;
  return binary_conv2d_impl(input, thr, weight_blocked.contiguous(),
                            weight_neg.contiguous(), s, b, output, cin, stride, padding,
                            dilation, groups, r, lo, hi);
}

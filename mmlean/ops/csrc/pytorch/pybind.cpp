// Python bindings of mmlean._ext.
#include <torch/extension.h>

#include "cpu_isa.hpp"

at::Tensor sign_pack(const at::Tensor& input);
at::Tensor sign_unpack(const at::Tensor& packed, int64_t channels);
at::Tensor binary_conv2d(const at::Tensor& input, const c10::optional<at::Tensor>& threshold,
                         const at::Tensor& weight_blocked, const at::Tensor& weight_neg,
                         int64_t out_channels, int64_t stride, int64_t padding,
                         const c10::optional<at::Tensor>& scale,
                         const c10::optional<at::Tensor>& bias, bool int_output,
                         int64_t dilation, int64_t groups,
                         const c10::optional<at::Tensor>& residual,
                         c10::optional<double> clamp_min, c10::optional<double> clamp_max);
at::Tensor conv3x3_pack_weight(const at::Tensor& weight);
at::Tensor conv3x3_net_forward(const at::Tensor& input, const at::Tensor& program,
                               const at::Tensor& weights, const at::Tensor& biases);
bool conv3x3_net_available();
std::tuple<double, double, double> mac_peak(const std::string& kind, int64_t iters,
                                            int64_t a, int64_t b);

static bool built_with_cuda() {
#ifdef MMLEAN_WITH_CUDA
  return true;
#else
  return false;
#endif
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("sign_pack", &sign_pack,
        "pack the signs of (N, C, *S) float32 along C into int64 words "
        "(N, *S, ceil(C/64)); bit 1 = negative",
        py::arg("input"));
  m.def("sign_unpack", &sign_unpack,
        "unpack int64 sign words (N, *S, W) into +-1 float32 (N, C, *S)",
        py::arg("packed"), py::arg("channels"));
  m.def("binary_conv2d", &binary_conv2d,
        "bit-packed binary conv2d (grouped, dilated) with zero padding and a fused "
        "scale/bias, residual and clamp epilogue (see binary_conv.cpp)",
        py::arg("input"), py::arg("threshold"), py::arg("weight_blocked"),
        py::arg("weight_neg"), py::arg("out_channels"), py::arg("stride"),
        py::arg("padding"), py::arg("scale") = py::none(),
        py::arg("bias") = py::none(), py::arg("int_output") = false,
        py::arg("dilation") = 1, py::arg("groups") = 1, py::arg("residual") = py::none(),
        py::arg("clamp_min") = py::none(), py::arg("clamp_max") = py::none());
  m.def("conv3x3_pack_weight", &conv3x3_pack_weight,
        "pack a float32 (Cout, Cin, 3, 3) weight into conv3x3_net's output-channel "
        "blocks (see conv3x3_net_cpu.cpp)",
        py::arg("weight"));
  m.def("conv3x3_net_forward", &conv3x3_net_forward,
        "run a program of fused 3x3 convs (bias, residual, ReLU), option-A shortcuts "
        "and a final pool + linear on float32 (N, C, H, W) CPU input",
        py::arg("input"), py::arg("program"), py::arg("weights"), py::arg("biases"));
  m.def("conv3x3_net_available", &conv3x3_net_available,
        "whether this CPU runs conv3x3_net (AVX2 and FMA, MMLEAN_CPU_ISA not scalar)");
  m.def("mac_peak", &mac_peak,
        "time ITERS steps of a register-only vector MAC loop (fp32_fma, int8_u8s8, "
        "int8_exact; see mac_peak_cpu.cpp); returns (seconds, MACs, checksum)",
        py::arg("kind"), py::arg("iters"), py::arg("a"), py::arg("b"));
  m.def("cpu_isa", [] { return mmlean::cpu_isa_name(mmlean::cpu_isa()); },
        "the CPU instruction-set path the kernels use in this process");
  m.def("cpu_isa_detected",
        [] { return mmlean::cpu_isa_name(mmlean::detect_cpu_isa()); },
        "the widest CPU instruction-set path this CPU supports");
  m.def("built_with_cuda", &built_with_cuda,
        "whether the CUDA kernels were compiled into this build");
}

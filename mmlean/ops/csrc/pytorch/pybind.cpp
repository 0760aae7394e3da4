// Python bindings of mmlean._ext.
#include <torch/extension.h>

#include "cpu_isa.hpp"

at::Tensor sign_pack(const at::Tensor& input);
at::Tensor sign_unpack(const at::Tensor& packed, int64_t channels);

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
  m.def("cpu_isa", [] { return mmlean::cpu_isa_name(mmlean::cpu_isa()); },
        "the CPU instruction-set path the kernels use in this process");
  m.def("cpu_isa_detected",
        [] { return mmlean::cpu_isa_name(mmlean::detect_cpu_isa()); },
        "the widest CPU instruction-set path this CPU supports");
  m.def("built_with_cuda", &built_with_cuda,
        "whether the CUDA kernels were compiled into this build");
}

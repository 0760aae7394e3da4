// Run-time choice of the CPU instruction set. Kernels are compiled for several
// ISAs with __attribute__((target(...))) and the widest one the CPU supports is
// picked when the op runs; nothing is built with -march=native.
// MMLEAN_CPU_ISA=avx512|avx2|scalar caps the choice (benchmarks, tests).
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

namespace mmlean {

enum class CpuIsa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

inline CpuIsa detect_cpu_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512vpopcntdq"))
    return CpuIsa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
      __builtin_cpu_supports("bmi2"))
    return CpuIsa::kAvx2;
#endif
  return CpuIsa::kScalar;
}

inline CpuIsa cap_from_env(CpuIsa detected) {
  const char* env = std::getenv("MMLEAN_CPU_ISA");
  if (env == nullptr || *env == '\0') return detected;
  CpuIsa wanted = detected;
  if (std::strcmp(env, "scalar") == 0) wanted = CpuIsa::kScalar;
  else if (std::strcmp(env, "avx2") == 0) wanted = CpuIsa::kAvx2;
  else if (std::strcmp(env, "avx512") == 0) wanted = CpuIsa::kAvx512;
  return static_cast<int>(wanted) < static_cast<int>(detected) ? wanted
                                                               : detected;
}

// Read once per process (the environment variable is read at first use).
inline CpuIsa cpu_isa() {
  static const CpuIsa isa = cap_from_env(detect_cpu_isa());
  return isa;
}

inline std::string cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx512: return "avx512_vpopcntdq";
    case CpuIsa::kAvx2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace mmlean

// Peak multiply-accumulate rates of one core's 256-bit vector units, for the speed
// ceilings that tools/benchmark/pams_int8.py prints next to its int8/FP32 ratios.
//
// Each kind runs the inner step of a GEMM/conv micro-kernel on registers only
// (12 independent accumulators, enough to hide the latencies), so the rate is
// bounded by the instruction throughput of the execution ports, not by memory:
//   fp32_fma    vfmadd231ps                               8 MACs per instruction
//   int8_u8s8   vpmaddubsw + vpmaddwd(1) + vpaddd          32 MACs per 3 (x86 int8
//               kernels without VNNI; a u8 x s8 pair saturates in int16)
//   int8_exact  vpabsb/vpsignb + the same three             exact for s8 x s8 codes in
//               [-127, 127]: |a| * (sign(a) b), a pair <= 2 * 127 * 127 < 32768
// Asm barriers make the twelve multiplicands opaque once and the multiplier
// opaque each iteration, so nothing is shared or hoisted. Returns (seconds, multiply-accumulates, checksum); the checksum is the
// sum of every lane of every accumulator and lets a test check the arithmetic
// against a formula (and see int8_u8s8 saturate where int8_exact does not).
#include <torch/extension.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <tuple>

#include "cpu_isa.hpp"

namespace {
constexpr int kAccumulators = 12;
}  // namespace

#if defined(__x86_64__)
#include <immintrin.h>

namespace {

__attribute__((target("avx2,fma"))) double fp32_fma(int64_t iters, float a, float b) {
  __m256 acc[kAccumulators], w[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i) {
    acc[i] = _mm256_setzero_ps();
    w[i] = _mm256_set1_ps(b);
    __asm__ volatile("" : "+x"(w[i]));  // twelve unknown multiplicands: no common terms
  }
  __m256 x = _mm256_set1_ps(a);
  for (int64_t n = 0; n < iters; ++n) {
    __asm__ volatile("" : "+x"(x));
    for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm256_fmadd_ps(x, w[i], acc[i]);
  }
  double sum = 0;
  alignas(32) float lanes[8];
  for (int i = 0; i < kAccumulators; ++i) {
    _mm256_store_ps(lanes, acc[i]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

// a is the activation byte: unsigned for int8_u8s8, signed for int8_exact
__attribute__((target("avx2"))) double int8_pairs(int64_t iters, int8_t a, int8_t b,
                                                  bool exact) {
  __m256i acc[kAccumulators], w[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i) {
    acc[i] = _mm256_setzero_si256();
    w[i] = _mm256_set1_epi8(b);
    __asm__ volatile("" : "+x"(w[i]));
  }
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i x = _mm256_set1_epi8(a);
  if (exact) {
    for (int64_t n = 0; n < iters; ++n) {
      __asm__ volatile("" : "+x"(x));
      const __m256i magnitude = _mm256_abs_epi8(x);
      for (int i = 0; i < kAccumulators; ++i) {
        const __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(w[i], x));
        acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(pairs, ones));
      }
    }
  } else {
    for (int64_t n = 0; n < iters; ++n) {
      __asm__ volatile("" : "+x"(x));
      for (int i = 0; i < kAccumulators; ++i) {
        const __m256i pairs = _mm256_maddubs_epi16(x, w[i]);
        acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(pairs, ones));
      }
    }
  }
  double sum = 0;
  alignas(32) int32_t lanes[8];
  for (int i = 0; i < kAccumulators; ++i) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[i]);
    for (int32_t v : lanes) sum += v;
  }
  return sum;
}

}  // namespace
#endif

std::tuple<double, double, double> mac_peak(const std::string& kind, int64_t iters,
                                            int64_t a, int64_t b) {
  TORCH_CHECK(iters > 0, "mac_peak: iters must be positive, got ", iters);
#if defined(__x86_64__)
  TORCH_CHECK(mmlean::detect_cpu_isa() != mmlean::CpuIsa::kScalar,
              "mac_peak needs a CPU with AVX2");
  const auto start = std::chrono::steady_clock::now();
  double checksum, macs_per_iter;
  if (kind == "fp32_fma") {
    checksum = fp32_fma(iters, static_cast<float>(a), static_cast<float>(b));
    macs_per_iter = kAccumulators * 8;
  } else if (kind == "int8_u8s8") {
    TORCH_CHECK(a >= 0 && a <= 255 && b >= -127 && b <= 127,
                "mac_peak: int8_u8s8 codes must lie in [0, 255] (a) and [-127, 127] (b)");
    checksum = int8_pairs(iters, static_cast<int8_t>(static_cast<uint8_t>(a)),
                          static_cast<int8_t>(b), false);
    macs_per_iter = kAccumulators * 32;
  } else if (kind == "int8_exact") {
    TORCH_CHECK(a >= -127 && a <= 127 && b >= -127 && b <= 127,
                "mac_peak: int8_exact codes must lie in [-127, 127]");
    checksum = int8_pairs(iters, static_cast<int8_t>(a), static_cast<int8_t>(b), true);
    macs_per_iter = kAccumulators * 32;
  } else {
    TORCH_CHECK(false, "mac_peak: kind must be fp32_fma, int8_u8s8 or int8_exact, got ",
                kind);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {seconds, macs_per_iter * static_cast<double>(iters), checksum};
#else
  TORCH_CHECK(false, "mac_peak runs on x86-64 only");
#endif
}

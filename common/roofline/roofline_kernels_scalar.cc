// Portable references: plain loops, compiled without auto-vectorisation so the
// "no SIMD" roof is what scalar code really reaches.
#include <chrono>
#include <cstdint>

#include "common/roofline/roofline_kernels.h"

namespace roofline {
namespace {

float Load(const float* a, size_t n) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  for (; i < n; ++i) s0 += a[i];
  return (s0 + s1) + (s2 + s3);
}

void Write(float* a, size_t n, float value) {
  for (size_t i = 0; i < n; ++i) a[i] = value;
}

void Copy(float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; ++i) a[i] = b[i];
}

void Triad(float* a, const float* b, const float* c, float s, size_t n) {
  for (size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

// 16 independent multiply-add chains: 32 FLOPs an iteration.
float ScalarFp32(uint64_t iterations) {
  float acc[16];
  for (int k = 0; k < 16; ++k) acc[k] = 1.0f + k * 1e-3f;
  const float m = 0.999999f, c = 1e-7f;
  for (uint64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < 16; ++k) acc[k] = acc[k] * m + c;
  }
  float sum = 0;
  for (int k = 0; k < 16; ++k) sum += acc[k];
  return sum;
}

// 16 independent int8 x uint8 multiply-add chains: 32 ops an iteration.
float ScalarInt8(uint64_t iterations) {
  int32_t acc[16];
  for (int k = 0; k < 16; ++k) acc[k] = k;
  volatile int8_t a_in = -2;
  volatile uint8_t b_in = 3;
  const int32_t a = a_in, b = b_in;
  for (uint64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < 16; ++k) acc[k] += (a + k) * b;
    __asm__ volatile("" : "+r"(acc[0]), "+r"(acc[5]), "+r"(acc[10]), "+r"(acc[15]));
  }
  int32_t sum = 0;
  for (int k = 0; k < 16; ++k) sum += acc[k];
  return static_cast<float>(sum);
}

}  // namespace

const char* MemoryKernelName(MemoryKernel kernel) {
  switch (kernel) {
    case MemoryKernel::kLoad: return "load";
    case MemoryKernel::kWrite: return "write";
    case MemoryKernel::kCopy: return "copy";
    case MemoryKernel::kTriad: return "triad";
  }
  return "?";
}

int StreamArrays(MemoryKernel kernel) {
  switch (kernel) {
    case MemoryKernel::kLoad:
    case MemoryKernel::kWrite: return 1;
    case MemoryKernel::kCopy: return 2;
    case MemoryKernel::kTriad: return 3;
  }
  return 1;
}

uint64_t StreamBytes(MemoryKernel kernel, size_t n) {
  return uint64_t(StreamArrays(kernel)) * sizeof(float) * n;
}

const MemoryKernelSet& ScalarMemoryKernels() {
  static const MemoryKernelSet set = {"scalar", Load, Write, Copy, Triad};
  return set;
}

namespace internal {
std::vector<ComputeLoop> ScalarComputeLoops() {
  return {{"fp32_scalar", "scalar", 32.0, ScalarFp32}, {"int8_dot", "scalar", 32.0, ScalarInt8}};
}
}  // namespace internal

double MeasureCoreHz() {
  using Clock = std::chrono::steady_clock;
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {
    uint64_t x = 0;
    const uint64_t one = 1;
    const uint64_t loops = 2'000'000;  // 100 adds each: ~0.07 s at 3 GHz
    const auto start = Clock::now();
    for (uint64_t i = 0; i < loops; ++i) {
#if defined(__x86_64__)
      // Register operand, not an immediate: Intel's Golden Cove cores fold
      // chains of add-immediate at rename and ran this loop at 4x the clock.
      __asm__ volatile(
          ".rept 100\n\t"
          "addq %1, %0\n\t"
          ".endr"
          : "+r"(x)
          : "r"(one));
#else
      for (int k = 0; k < 100; ++k) __asm__ volatile("" : "+r"(x) : : );
#endif
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double hz = loops * 100.0 / seconds;
    if (hz > best) best = hz;
  }
  return best;
}

}  // namespace roofline

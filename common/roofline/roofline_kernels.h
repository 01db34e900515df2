// The loops that measure a machine's ceilings: STREAM-style memory kernels
// and compute loops that keep every FMA or dot-product unit busy.
//
// One translation unit per instruction set (roofline_kernels_{scalar,avx2,
// avx512}.cc), each compiled with its own flags; BestMemoryKernels() and the
// compute lists pick what this CPU supports at run time.
//
// Bytes follow STREAM's convention (float arrays, 4 bytes an element, write-
// allocate traffic not counted): load 4n, write 4n, copy 8n, triad 12n.
#ifndef APR_COMMON_ROOFLINE_ROOFLINE_KERNELS_H_
#define APR_COMMON_ROOFLINE_ROOFLINE_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace roofline {

enum class MemoryKernel { kLoad, kWrite, kCopy, kTriad };
inline constexpr MemoryKernel kAllMemoryKernels[] = {MemoryKernel::kLoad, MemoryKernel::kWrite,
                                                     MemoryKernel::kCopy, MemoryKernel::kTriad};

const char* MemoryKernelName(MemoryKernel kernel);  // "load", "write", "copy", "triad"
// Bytes a kernel moves over n elements, STREAM's way.
uint64_t StreamBytes(MemoryKernel kernel, size_t n);
// Arrays a kernel touches (load 1, write 1, copy 2, triad 3).
int StreamArrays(MemoryKernel kernel);

// n must be a multiple of 64 (the widest unroll) for the SIMD versions.
struct MemoryKernelSet {
  const char* isa;
  float (*load)(const float* a, size_t n);                  // returns the sum
  void (*write)(float* a, size_t n, float value);           // a[i] = value
  void (*copy)(float* a, const float* b, size_t n);         // a[i] = b[i]
  void (*triad)(float* a, const float* b, const float* c, float s, size_t n);  // a = b + s c
};

const MemoryKernelSet& ScalarMemoryKernels();
const MemoryKernelSet& Avx2MemoryKernels();
const MemoryKernelSet& Avx512MemoryKernels();
// The widest set this CPU runs.
const MemoryKernelSet& BestMemoryKernels();

// A compute loop: `run(iterations)` performs ops_per_iteration * iterations
// operations (FLOPs, or int8 multiply-adds counted as 2 ops each) and returns
// a value that depends on all of them.
struct ComputeLoop {
  const char* kind;  // "fp32_fma", "int8_dot", "fp32_scalar", "int8_tile" (AMX), "bf16_dot"
  const char* isa;   // "avx512f", "avx512vnni", "avxvnni", "avx2", "scalar", "amx", "avx512bf16"
  double ops_per_iteration;
  float (*run)(uint64_t iterations);
};

// Loops this CPU can run, widest first, for each kind.
std::vector<ComputeLoop> AvailableComputeLoops();
// The widest loop of `kind` this CPU runs.
ComputeLoop BestComputeLoop(const std::string& kind);

// Core clock estimated from a chain of dependent integer adds (1 cycle each).
double MeasureCoreHz();

namespace internal {
// Defined per instruction set, in that instruction set's translation unit.
std::vector<ComputeLoop> Avx512ComputeLoops();
std::vector<ComputeLoop> Avx2ComputeLoops();
std::vector<ComputeLoop> ScalarComputeLoops();
}  // namespace internal

}  // namespace roofline

#endif  // APR_COMMON_ROOFLINE_ROOFLINE_KERNELS_H_

// Chooses, at run time, the kernels this CPU supports.
#include "common/cpu/cpu_features.h"
#include "common/roofline/roofline_kernels.h"

namespace roofline {

namespace internal {
std::vector<ComputeLoop> AvxVnniComputeLoops();
std::vector<ComputeLoop> AmxComputeLoops();
std::vector<ComputeLoop> Avx512Bf16ComputeLoops();
}  // namespace internal

const MemoryKernelSet& BestMemoryKernels() {
  const cpu::CpuFeatures& f = cpu::GetCpuFeatures();
  if (f.avx512f && f.HasAvx2Fma()) return Avx512MemoryKernels();
  if (f.HasAvx2Fma()) return Avx2MemoryKernels();
  return ScalarMemoryKernels();
}

std::vector<ComputeLoop> AvailableComputeLoops() {
  const cpu::CpuFeatures& f = cpu::GetCpuFeatures();
  std::vector<ComputeLoop> loops;
  auto add = [&loops](const std::vector<ComputeLoop>& more) {
    loops.insert(loops.end(), more.begin(), more.end());
  };
  if (f.HasAmxInt8()) add(internal::AmxComputeLoops());
  if (f.HasAvx512Vnni()) add(internal::Avx512ComputeLoops());
  if (f.HasAvx512Bf16()) add(internal::Avx512Bf16ComputeLoops());
  if (f.HasAvxVnni()) add(internal::AvxVnniComputeLoops());
  if (f.HasAvx2Fma()) add(internal::Avx2ComputeLoops());
  add(internal::ScalarComputeLoops());
  return loops;
}

ComputeLoop BestComputeLoop(const std::string& kind) {
  for (const ComputeLoop& loop : AvailableComputeLoops()) {
    if (loop.kind == kind) return loop;
  }
  return internal::ScalarComputeLoops().front();
}

}  // namespace roofline

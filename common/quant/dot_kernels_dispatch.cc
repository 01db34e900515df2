// Chooses, at run time, the dot kernels this CPU supports.
#include "common/cpu/cpu_features.h"
#include "common/quant/dot_kernels.h"

namespace quant {

std::vector<DotKernel> AvailableDotKernels(gguf::GgmlType type, bool repacked) {
  const cpu::CpuFeatures& f = cpu::GetCpuFeatures();
  std::vector<DotKernel> kernels;
  auto add = [&](const char* isa, DotRowsFn fn, bool bf16_activations = false, int64_t lays_out_from_tokens = 0) {
    if (fn != nullptr) kernels.push_back({isa, fn, bf16_activations, lays_out_from_tokens});
  };
  if (f.HasAmxInt8()) {
    add("amx", internal::AmxDotKernel(type, repacked), false,
        internal::AmxLaysOutActivations(type) ? internal::kAmxMinTokens : 0);
  }
  if (f.HasAvx512Bf16()) {
    // BF16 prefill's pair tiles: 1.85x the float multiply-adds' FLOPs on Zen
    // 5, half the float tiles' speed on the Xeon (bf16_pair_gemm512.inc).
    // Listed on both, so that the tests check them wherever they can run.
    const bool pairs_first = f.vendor == "AuthenticAMD";
    if (pairs_first) add("avx512bf16 pairs", internal::Avx512Bf16PairsDotKernel(type, repacked), true);
    add("avx512bf16", internal::Avx512Bf16DotKernel(type, repacked), true);
    if (!pairs_first) add("avx512bf16 pairs", internal::Avx512Bf16PairsDotKernel(type, repacked), true);
  }
  if (f.HasAvx512Vnni()) add("avx512vnni", internal::Avx512VnniDotKernel(type, repacked));
  if (f.HasAvxVnni()) add("avxvnni", internal::AvxVnniDotKernel(type, repacked));
  if (f.HasAvx2Fma()) add("avx2", internal::Avx2DotKernel(type, repacked));
  add("scalar", ScalarDotKernel(type, repacked));
  return kernels;
}

DotKernel BestDotKernel(gguf::GgmlType type, bool repacked) {
  std::vector<DotKernel> kernels = AvailableDotKernels(type, repacked);
  return kernels.empty() ? DotKernel{"none", nullptr} : kernels.front();
}

}  // namespace quant

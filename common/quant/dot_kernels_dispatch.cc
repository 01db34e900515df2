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
    // BF16 prefill on vdpbf16ps (bf16_row_gemm512.inc) first on AMD's cores,
    // which run it at twice the float multiply-adds' FLOPs; the Xeon ran an
    // earlier vdpbf16ps tiling at half its float tiles' speed, so there the
    // float tiles stay first. Both listed, so that the tests check both.
    const bool dot_gemm_first = f.vendor == "AuthenticAMD";
    if (dot_gemm_first) add("avx512bf16 vdpbf16ps", internal::Avx512Bf16DotGemmKernel(type, repacked), true);
    add("avx512bf16", internal::Avx512Bf16DotKernel(type, repacked), true);
    if (!dot_gemm_first) add("avx512bf16 vdpbf16ps", internal::Avx512Bf16DotGemmKernel(type, repacked), true);
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

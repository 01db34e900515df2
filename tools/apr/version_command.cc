// `apr --version`: what was built (commit, compiler, Bazel) and what this CPU
// will run (its SIMD tiers and the kernel each part of the engine picks).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "common/cpu/cpu_features.h"
#include "common/gguf/tensor_type.h"
#include "common/quant/dot_kernels.h"
#include "common/roofline/roofline_kernels.h"
#include "common/simd/float_ops.h"
#include "tools/apr/commands.h"

// Set by tools/bazel (.toolchain.bazelrc) through --define; see tools/apr/BUILD.
#ifndef APR_COMMIT
#define APR_COMMIT "unknown"
#endif
#ifndef APR_BAZEL
#define APR_BAZEL "unknown"
#endif

namespace apr {

const char* BuildCommit() { return APR_COMMIT; }

namespace {

const char* YesNo(bool b) { return b ? "yes" : "no"; }

std::string Tiers(const cpu::CpuFeatures& f) {
  std::vector<std::string> tiers = {"scalar"};
  if (f.HasAvx2Fma()) tiers.push_back("avx2+fma");
  if (f.HasAvxVnni()) tiers.push_back("avx-vnni");
  if (f.HasAvx512Vnni()) tiers.push_back("avx512-vnni");
  if (f.HasAvx512Bf16()) tiers.push_back("avx512-bf16");
  if (f.HasAmxInt8()) tiers.push_back("amx-int8");
  return absl::StrJoin(tiers, " ");
}

}  // namespace

int RunVersion(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::fprintf(stderr, "apr --version: takes no arguments\n");
    return 2;
  }
  const cpu::CpuFeatures& f = cpu::GetCpuFeatures();
  std::printf("apr, commit %s\n", APR_COMMIT);
  std::printf("compiler: GCC %s\n", __VERSION__);
  std::printf("bazel: %s\n", APR_BAZEL);
  std::printf("cpu: %s (%s, family %d, model %d), %d logical CPUs available\n", f.model_name.c_str(),
              f.vendor.c_str(), f.family, f.model, cpu::AvailableCpus());
  std::printf("cpu flags: avx2 %s, fma %s, f16c %s, avx512f/bw/vl %s, avx512-vnni %s, avx-vnni %s, "
              "avx512-bf16 %s, amx-int8 (granted by the OS) %s\n",
              YesNo(f.avx2), YesNo(f.fma), YesNo(f.f16c), YesNo(f.avx512f && f.avx512bw && f.avx512vl),
              YesNo(f.avx512vnni), YesNo(f.avxvnni), YesNo(f.avx512bf16), YesNo(f.amx_int8));
  std::printf("tiers this binary uses here: %s\n", Tiers(f).c_str());
  std::printf("kernels chosen:\n");
  std::printf("  %-22s %s\n", "float vector ops", simd::BestFloatOps().isa);
  std::printf("  %-22s %s\n", "roofline memory loops", roofline::BestMemoryKernels().isa);
  for (const char* kind : {"fp32_fma", "int8_dot"}) {
    std::printf("  %-22s %s\n", (std::string("roofline ") + kind).c_str(), roofline::BestComputeLoop(kind).isa);
  }
  for (const gguf::TensorTypeInfo& t : gguf::AllTensorTypes()) {
    if (quant::ScalarDotKernel(t.type, false) == nullptr) continue;
    std::string line = quant::BestDotKernel(t.type, false).isa;
    if (quant::ScalarDotKernel(t.type, true) != nullptr) {
      line += std::string(", repacked ") + quant::BestDotKernel(t.type, true).isa;
    }
    std::printf("  %-22s %s\n", (std::string("matmul ") + t.name).c_str(), line.c_str());
  }
  return 0;
}

}  // namespace apr

// What this CPU can run, read once from CPUID (and the OS's XSAVE state).
//
//   const CpuFeatures& cpu = GetCpuFeatures();
//   if (cpu.avx512vnni) { ... }
#ifndef APR_COMMON_CPU_CPU_FEATURES_H_
#define APR_COMMON_CPU_CPU_FEATURES_H_

#include <string>

namespace cpu {

struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD"
  std::string model_name;
  int family = 0, model = 0;
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false;
  bool avxvnni = false;
  bool avx512bf16 = false;
  // AMX-INT8 tiles, with the OS's permission for this process to use them
  // (Linux asks each process to request it; Detect() does, once).
  bool amx_int8 = false;
  bool amx_bf16 = false;  // likewise, with bfloat16 tile products

  bool HasAvx2Fma() const { return avx2 && fma && f16c; }
  bool HasAvx512Vnni() const { return avx512f && avx512bw && avx512vl && avx512vnni && HasAvx2Fma(); }
  bool HasAvxVnni() const { return avxvnni && HasAvx2Fma(); }
  bool HasAvx512Bf16() const { return avx512bf16 && HasAvx512Vnni(); }
  bool HasAmxInt8() const { return amx_int8 && HasAvx512Vnni(); }
  bool HasAmxBf16() const { return amx_bf16 && HasAvx512Bf16(); }
};

const CpuFeatures& GetCpuFeatures();

// Logical CPUs this process may run on.
int AvailableCpus();

}  // namespace cpu

#endif  // APR_COMMON_CPU_CPU_FEATURES_H_

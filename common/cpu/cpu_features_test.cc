#include "common/cpu/cpu_features.h"

#include "gtest/gtest.h"

namespace cpu {
namespace {

// CPUID must agree with the compiler's own detection of the same features.
TEST(CpuFeatures, AgreesWithTheCompilersDetection) {
  const CpuFeatures& f = GetCpuFeatures();
  __builtin_cpu_init();
  EXPECT_EQ(f.avx2, __builtin_cpu_supports("avx2") != 0);
  EXPECT_EQ(f.fma, __builtin_cpu_supports("fma") != 0);
  EXPECT_EQ(f.avx512f, __builtin_cpu_supports("avx512f") != 0);
  EXPECT_EQ(f.avx512bw, __builtin_cpu_supports("avx512bw") != 0);
  EXPECT_EQ(f.avx512vnni, __builtin_cpu_supports("avx512vnni") != 0);
  EXPECT_EQ(f.avx512bf16, __builtin_cpu_supports("avx512bf16") != 0);
  EXPECT_FALSE(f.vendor.empty());
  EXPECT_GE(AvailableCpus(), 1);
}

TEST(CpuFeatures, CombinedFlagsNeedTheirParts) {
  const CpuFeatures& f = GetCpuFeatures();
  if (f.HasAvx512Vnni()) {
    EXPECT_TRUE(f.HasAvx2Fma());
  }
  if (f.HasAvxVnni()) {
    EXPECT_TRUE(f.avx2);
  }
  if (f.HasAvx512Bf16()) {
    EXPECT_TRUE(f.HasAvx512Vnni());
  }
}

}  // namespace
}  // namespace cpu

#include "common/roofline/roofline_kernels.h"

#include <cstdlib>
#include <vector>

#include "common/cpu/cpu_features.h"
#include "gtest/gtest.h"

namespace roofline {
namespace {

std::vector<const MemoryKernelSet*> SupportedSets() {
  std::vector<const MemoryKernelSet*> sets = {&ScalarMemoryKernels()};
  const cpu::CpuFeatures& f = cpu::GetCpuFeatures();
  if (f.HasAvx2Fma()) sets.push_back(&Avx2MemoryKernels());
  if (f.avx512f && f.HasAvx2Fma()) sets.push_back(&Avx512MemoryKernels());
  return sets;
}

struct Arrays {
  static constexpr size_t kN = 64 * 37;
  float* a = static_cast<float*>(std::aligned_alloc(64, kN * 4));
  float* b = static_cast<float*>(std::aligned_alloc(64, kN * 4));
  float* c = static_cast<float*>(std::aligned_alloc(64, kN * 4));
  Arrays() {
    for (size_t i = 0; i < kN; ++i) {
      a[i] = 0;
      b[i] = float(i % 13);
      c[i] = float(i % 7) * 0.5f;
    }
  }
  ~Arrays() {
    std::free(a);
    std::free(b);
    std::free(c);
  }
};

TEST(MemoryKernels, EverySetComputesWhatTheReferenceDoes) {
  for (const MemoryKernelSet* set : SupportedSets()) {
    Arrays x;
    double expected_sum = 0;
    for (size_t i = 0; i < Arrays::kN; ++i) expected_sum += x.b[i];
    EXPECT_FLOAT_EQ(set->load(x.b, Arrays::kN), float(expected_sum)) << set->isa;
    set->write(x.a, Arrays::kN, 2.5f);
    for (size_t i = 0; i < Arrays::kN; ++i) ASSERT_EQ(x.a[i], 2.5f) << set->isa;
    set->copy(x.a, x.b, Arrays::kN);
    for (size_t i = 0; i < Arrays::kN; ++i) ASSERT_EQ(x.a[i], x.b[i]) << set->isa;
    set->triad(x.a, x.b, x.c, 3.0f, Arrays::kN);
    for (size_t i = 0; i < Arrays::kN; ++i) ASSERT_EQ(x.a[i], x.b[i] + 3.0f * x.c[i]) << set->isa;
  }
}

TEST(MemoryKernels, BytesFollowStreamsConvention) {
  EXPECT_EQ(StreamBytes(MemoryKernel::kLoad, 1000), 4000u);
  EXPECT_EQ(StreamBytes(MemoryKernel::kWrite, 1000), 4000u);
  EXPECT_EQ(StreamBytes(MemoryKernel::kCopy, 1000), 8000u);
  EXPECT_EQ(StreamBytes(MemoryKernel::kTriad, 1000), 12000u);
}

TEST(ComputeLoops, EveryKindHasALoopAndTheyRun) {
  for (const char* kind : {"fp32_fma", "int8_dot", "fp32_scalar"}) {
    if (std::string(kind) == "fp32_fma" && !cpu::GetCpuFeatures().HasAvx2Fma()) continue;
    EXPECT_STREQ(BestComputeLoop(kind).kind, kind);
  }
  for (const ComputeLoop& loop : AvailableComputeLoops()) {
    EXPECT_GT(loop.ops_per_iteration, 0) << loop.kind << " " << loop.isa;
    // Results depend on the iteration count, so the loops are not optimised away.
    EXPECT_NE(loop.run(10), loop.run(1000)) << loop.kind << " " << loop.isa;
  }
}

TEST(ComputeLoops, WidestIsaComesFirst) {
  const cpu::CpuFeatures& f = cpu::GetCpuFeatures();
  if (f.HasAvx512Vnni()) {
    EXPECT_STREQ(BestComputeLoop("int8_dot").isa, "avx512vnni");
    EXPECT_STREQ(BestComputeLoop("fp32_fma").isa, "avx512f");
  }
  if (f.HasAvx512Bf16()) {
    EXPECT_STREQ(BestComputeLoop("bf16_dot").isa, "avx512bf16");
  }
}

TEST(CoreClock, IsAPlausibleFrequency) {
  const double hz = MeasureCoreHz();
  EXPECT_GT(hz, 0.2e9);
  EXPECT_LT(hz, 7e9);  // no shipping core boosts past ~6.2 GHz
}

}  // namespace
}  // namespace roofline

#include "common/model/memory_budget.h"

#include "gtest/gtest.h"

namespace model {
namespace {

TEST(MemoryBudget, ReadsMemAvailable) {
  const char* meminfo =
      "MemTotal:       24590272 kB\n"
      "MemFree:        18911120 kB\n"
      "MemAvailable:   23012345 kB\n"
      "Buffers:           12345 kB\n";
  auto bytes = MemAvailableBytes(meminfo);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, uint64_t{23012345} * 1024);
  EXPECT_FALSE(MemAvailableBytes("MemTotal: 1 kB\n").ok());
  EXPECT_FALSE(MemAvailableBytes("MemAvailable: lots\n").ok());
}

TEST(MemoryBudget, KeepsAReserve) {
  constexpr uint64_t kGiB = uint64_t{1} << 30;
  EXPECT_EQ(CopyBudgetFrom(16 * kGiB), 14 * kGiB);  // an eighth
  EXPECT_EQ(CopyBudgetFrom(4 * kGiB), 3 * kGiB);    // at least 1 GiB
  EXPECT_EQ(CopyBudgetFrom(kGiB / 2), 0u);
}

}  // namespace
}  // namespace model

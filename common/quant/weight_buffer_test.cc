#include "common/quant/weight_buffer.h"

#include <cstdint>
#include <utility>

#include "gtest/gtest.h"

namespace quant {
namespace {

bool AllZero(const WeightBuffer& b) {
  for (size_t i = 0; i < b.size(); ++i) {
    if (b.data()[i] != 0) return false;
  }
  return true;
}

TEST(WeightBufferTest, EmptyByDefaultAndForZeroBytes) {
  EXPECT_TRUE(WeightBuffer().empty());
  WeightBuffer zero(0);
  EXPECT_TRUE(zero.empty());
  EXPECT_EQ(zero.data(), nullptr);
}

TEST(WeightBufferTest, SmallBuffersAreZeroedAndCacheLineAligned) {
  for (size_t bytes : {1, 63, 64, 65, 4097}) {
    WeightBuffer b(bytes);
    EXPECT_EQ(b.size(), bytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 64, 0u) << bytes;
    EXPECT_TRUE(AllZero(b)) << bytes;
    b.data()[bytes - 1] = 7;  // the whole size is writable (ASan checks)
  }
}

TEST(WeightBufferTest, LargeBuffersStartOnAHugePage) {
  const size_t bytes = (size_t{2} << 20) + 100;  // not a multiple of the page
  WeightBuffer b(bytes);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % (size_t{2} << 20), 0u);
  EXPECT_TRUE(AllZero(b));
  b.data()[bytes - 1] = 7;
}

TEST(WeightBufferTest, MoveTransfersOwnership) {
  WeightBuffer a(128);
  a.data()[5] = 42;
  uint8_t* data = a.data();
  WeightBuffer b(std::move(a));
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.data(), data);
  EXPECT_EQ(b.data()[5], 42);
  WeightBuffer c(64);
  c = std::move(b);
  EXPECT_EQ(c.data(), data);
  EXPECT_EQ(c.size(), 128u);
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace quant

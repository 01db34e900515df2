#include "common/quant/huge_pages.h"

#include <sys/mman.h>

#include <cstring>

#include "common/quant/weight_buffer.h"
#include "gtest/gtest.h"

namespace quant {
namespace {

const void* At(uintptr_t a) { return reinterpret_cast<const void*>(a); }

constexpr char kSmaps[] =
    "7f0000000000-7f0000400000 rw-p 00000000 00:00 0\n"
    "Size:               4096 kB\n"
    "AnonHugePages:      2048 kB\n"
    "7f0000400000-7f0000600000 rw-p 00000000 00:00 0 [heap]\n"
    "AnonHugePages:         0 kB\n"
    "7f0000600000-7f0000a00000 r--p 00000000 08:01 42 /lib/x.so\n"
    "AnonHugePages:      4096 kB\n";

TEST(HugePages, CountsWholeMappings) {
  EXPECT_EQ(*HugePageBytesIn(kSmaps, {{At(0x7f0000000000), 0x400000}}), size_t{2048} * 1024);
  EXPECT_EQ(*HugePageBytesIn(kSmaps, {{At(0x7f0000600000), 0x400000}}), size_t{4096} * 1024);
  EXPECT_EQ(*HugePageBytesIn(kSmaps, {{At(0x7f0000400000), 0x200000}}), 0u);
}

TEST(HugePages, CreditsASpanItsShareOfAMapping) {
  // A quarter of the first mapping, and a span across the first two.
  EXPECT_EQ(*HugePageBytesIn(kSmaps, {{At(0x7f0000000000), 0x100000}}), size_t{512} * 1024);
  EXPECT_EQ(*HugePageBytesIn(kSmaps, {{At(0x7f0000200000), 0x400000}}), size_t{1024} * 1024);
  EXPECT_EQ(*HugePageBytesIn(kSmaps, {{At(0x7f0000000000), 0x100000}, {At(0x7f0000600000), 0x400000}}),
            size_t{512 + 4096} * 1024);
}

TEST(HugePages, SpansOutsideEveryMappingHaveNone) {
  EXPECT_EQ(*HugePageBytesIn(kSmaps, {{At(0x1000), 0x1000}}), 0u);
  EXPECT_EQ(*HugePageBytesIn(kSmaps, {}), 0u);
}

TEST(HugePages, MalformedTextIsAnError) {
  EXPECT_FALSE(HugePageBytesIn("AnonHugePages: 4 kB\n", {}).ok());
  EXPECT_FALSE(HugePageBytesIn("7f00-7f10 rw-p\nAnonHugePages: x kB\n", {}).ok());
  EXPECT_FALSE(HugePageBytesIn("7f00-7f10 rw-p\nAnonHugePages: 4 MB\n", {}).ok());
}

TEST(HugePages, ThisProcessReportsAtMostTheSpan) {
  WeightBuffer b(size_t{8} << 20);
  auto bytes = HugePageBytes({{b.data(), b.size()}});
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_LE(*bytes, b.size());
  auto share = HugePageShare({{b.data(), b.size()}});
  ASSERT_TRUE(share.ok()) << share.status();
  EXPECT_GE(*share, 0.0);
  EXPECT_LE(*share, 1.0);
  EXPECT_EQ(*HugePageShare({}), 0.0);
}

}  // namespace
}  // namespace quant

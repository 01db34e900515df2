#include "common/gguf/tensor_type.h"

#include <set>

#include "gtest/gtest.h"

namespace gguf {
namespace {

TEST(TensorType, BlockSizesAreExact) {
  struct Case {
    GgmlType type;
    uint32_t block, bytes;
  } cases[] = {{GgmlType::kF32, 1, 4},     {GgmlType::kF16, 1, 2},     {GgmlType::kBF16, 1, 2},
               {GgmlType::kQ4_0, 32, 18},  {GgmlType::kQ4_1, 32, 20},  {GgmlType::kQ5_0, 32, 22},
               {GgmlType::kQ5_1, 32, 24},  {GgmlType::kQ8_0, 32, 34},  {GgmlType::kQ2_K, 256, 84},
               {GgmlType::kQ3_K, 256, 110}, {GgmlType::kQ4_K, 256, 144}, {GgmlType::kQ5_K, 256, 176},
               {GgmlType::kQ6_K, 256, 210}, {GgmlType::kQ8_K, 256, 292}, {GgmlType::kIQ4_XS, 256, 136}};
  for (const Case& c : cases) {
    const TensorTypeInfo& info = TypeInfo(c.type);
    EXPECT_EQ(info.block_size, c.block) << info.name;
    EXPECT_EQ(info.block_bytes, c.bytes) << info.name;
  }
  EXPECT_DOUBLE_EQ(TypeInfo(GgmlType::kQ4_K).BytesPerWeight() * 8, 4.5);
  EXPECT_DOUBLE_EQ(TypeInfo(GgmlType::kQ6_K).BytesPerWeight() * 8, 6.5625);
}

TEST(TensorType, UnknownIdsAreNotGuessed) {
  for (uint32_t id : {4u, 5u, 31u, 36u, 40u, 1000u, 0xffffffffu}) {
    EXPECT_EQ(FindTensorType(id), nullptr) << id;
  }
}

TEST(TensorType, IdsAndNamesAreUnique) {
  std::set<uint32_t> ids;
  std::set<std::string> names;
  for (const TensorTypeInfo& info : AllTensorTypes()) {
    EXPECT_TRUE(ids.insert(static_cast<uint32_t>(info.type)).second) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_EQ(FindTensorType(static_cast<uint32_t>(info.type)), &info);
  }
}

TEST(TensorType, ParsesNamesIgnoringCase) {
  EXPECT_EQ(*ParseTensorType("q4_k"), GgmlType::kQ4_K);
  EXPECT_EQ(*ParseTensorType("BF16"), GgmlType::kBF16);
  EXPECT_FALSE(ParseTensorType("q4_k_m").ok());
}

TEST(TensorType, RowBytesNeedsWholeBlocks) {
  EXPECT_EQ(*RowBytes(GgmlType::kQ4_K, 4096), 16u * 144);
  EXPECT_EQ(*RowBytes(GgmlType::kQ8_0, 896), 28u * 34);
  EXPECT_FALSE(RowBytes(GgmlType::kQ4_K, 896).ok());
  EXPECT_EQ(*RowBytes(GgmlType::kF32, 7), 28u);
}

}  // namespace
}  // namespace gguf

#include "common/gguf/tensor_type.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gguf {
namespace {

// Block layouts, from ggml's block definitions (bytes = sum of the fields):
//   Q4_0  f16 d + 16 B nibbles                        = 18 per 32
//   Q4_1  f16 d, m + 16 B                              = 20 per 32
//   Q5_0  f16 d + 4 B high bits + 16 B                 = 22 per 32
//   Q5_1  f16 d, m + 4 + 16                            = 24 per 32
//   Q8_0  f16 d + 32 int8                              = 34 per 32
//   Q8_1  f16 d, s + 32 int8                           = 36 per 32
//   Q2_K  16 scales + 64 B 2-bit + f16 d, dmin         = 84 per 256
//   Q3_K  32 hmask + 64 B + 12 scales + f16 d          = 110 per 256
//   Q4_K  f16 d, dmin + 12 scales + 128 B              = 144 per 256
//   Q5_K  f16 d, dmin + 12 scales + 32 qh + 128 B      = 176 per 256
//   Q6_K  128 ql + 64 qh + 16 int8 scales + f16 d      = 210 per 256
//   Q8_K  f32 d + 256 int8 + 16 int16 sums             = 292 per 256
const std::vector<TensorTypeInfo>& Table() {
  static const auto* table = new std::vector<TensorTypeInfo>{
      {GgmlType::kF32, "F32", 1, 4, false},
      {GgmlType::kF16, "F16", 1, 2, false},
      {GgmlType::kQ4_0, "Q4_0", 32, 18, true},
      {GgmlType::kQ4_1, "Q4_1", 32, 20, true},
      {GgmlType::kQ5_0, "Q5_0", 32, 22, true},
      {GgmlType::kQ5_1, "Q5_1", 32, 24, true},
      {GgmlType::kQ8_0, "Q8_0", 32, 34, true},
      {GgmlType::kQ8_1, "Q8_1", 32, 36, true},
      {GgmlType::kQ2_K, "Q2_K", 256, 84, true},
      {GgmlType::kQ3_K, "Q3_K", 256, 110, true},
      {GgmlType::kQ4_K, "Q4_K", 256, 144, true},
      {GgmlType::kQ5_K, "Q5_K", 256, 176, true},
      {GgmlType::kQ6_K, "Q6_K", 256, 210, true},
      {GgmlType::kQ8_K, "Q8_K", 256, 292, true},
      {GgmlType::kIQ2_XXS, "IQ2_XXS", 256, 66, true},
      {GgmlType::kIQ2_XS, "IQ2_XS", 256, 74, true},
      {GgmlType::kIQ3_XXS, "IQ3_XXS", 256, 98, true},
      {GgmlType::kIQ1_S, "IQ1_S", 256, 50, true},
      {GgmlType::kIQ4_NL, "IQ4_NL", 32, 18, true},
      {GgmlType::kIQ3_S, "IQ3_S", 256, 110, true},
      {GgmlType::kIQ2_S, "IQ2_S", 256, 82, true},
      {GgmlType::kIQ4_XS, "IQ4_XS", 256, 136, true},
      {GgmlType::kI8, "I8", 1, 1, false},
      {GgmlType::kI16, "I16", 1, 2, false},
      {GgmlType::kI32, "I32", 1, 4, false},
      {GgmlType::kI64, "I64", 1, 8, false},
      {GgmlType::kF64, "F64", 1, 8, false},
      {GgmlType::kIQ1_M, "IQ1_M", 256, 56, true},
      {GgmlType::kBF16, "BF16", 1, 2, false},
      {GgmlType::kTQ1_0, "TQ1_0", 256, 54, true},
      {GgmlType::kTQ2_0, "TQ2_0", 256, 66, true},
      {GgmlType::kMXFP4, "MXFP4", 32, 17, true},
  };
  return *table;
}

}  // namespace

const std::vector<TensorTypeInfo>& AllTensorTypes() { return Table(); }

const TensorTypeInfo* FindTensorType(uint32_t id) {
  for (const TensorTypeInfo& info : Table()) {
    if (static_cast<uint32_t>(info.type) == id) return &info;
  }
  return nullptr;
}

const TensorTypeInfo& TypeInfo(GgmlType type) {
  return *FindTensorType(static_cast<uint32_t>(type));
}

absl::StatusOr<GgmlType> ParseTensorType(const std::string& name) {
  std::vector<std::string> names;
  for (const TensorTypeInfo& info : Table()) {
    if (absl::EqualsIgnoreCase(info.name, name)) return info.type;
    names.push_back(info.name);
  }
  return absl::NotFoundError(absl::StrCat("unknown tensor type '", name, "' (known: ",
                                          absl::StrJoin(names, ", "), ")"));
}

absl::StatusOr<uint64_t> RowBytes(GgmlType type, uint64_t n) {
  const TensorTypeInfo& info = TypeInfo(type);
  if (n % info.block_size != 0) {
    return absl::InvalidArgumentError(absl::StrCat("a row of ", n, " weights is not a whole number of ",
                                                   info.name, " blocks of ", info.block_size));
  }
  return n / info.block_size * info.block_bytes;
}

}  // namespace gguf

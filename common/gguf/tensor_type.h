// The ggml tensor types a GGUF file can carry, with their exact storage sizes.
//
// Every type stores `block_size` weights in `block_bytes` bytes; a row of n
// weights must be a whole number of blocks. Sizes follow ggml's format
// definitions (e.g. Q4_K: 256 weights in 144 bytes = 4.5 bits per weight).
//
//   const TensorTypeInfo* info = FindTensorType(12);  // Q4_K
//   absl::StatusOr<uint64_t> bytes = RowBytes(GgmlType::kQ4_K, 4096);
#ifndef APR_COMMON_GGUF_TENSOR_TYPE_H_
#define APR_COMMON_GGUF_TENSOR_TYPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gguf {

// Values are the type ids stored in GGUF files.
enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8,
  kQ8_1 = 9, kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14,
  kQ8_K = 15, kIQ2_XXS = 16, kIQ2_XS = 17, kIQ3_XXS = 18, kIQ1_S = 19,
  kIQ4_NL = 20, kIQ3_S = 21, kIQ2_S = 22, kIQ4_XS = 23, kI8 = 24, kI16 = 25,
  kI32 = 26, kI64 = 27, kF64 = 28, kIQ1_M = 29, kBF16 = 30, kTQ1_0 = 34,
  kTQ2_0 = 35, kMXFP4 = 39,
};

struct TensorTypeInfo {
  GgmlType type;
  const char* name;      // as ggml spells it: "Q4_K"
  uint32_t block_size;   // weights per block
  uint32_t block_bytes;  // bytes per block
  bool quantized;

  double BytesPerWeight() const { return double(block_bytes) / block_size; }
};

// The info for a type id read from a file; nullptr for an id no ggml type has.
const TensorTypeInfo* FindTensorType(uint32_t id);
const TensorTypeInfo& TypeInfo(GgmlType type);

// By name, case-insensitive ("q4_k", "F16"); NotFound lists the known names.
absl::StatusOr<GgmlType> ParseTensorType(const std::string& name);

const std::vector<TensorTypeInfo>& AllTensorTypes();

// Bytes of a row of `n` weights; an error if n is not a whole number of blocks.
absl::StatusOr<uint64_t> RowBytes(GgmlType type, uint64_t n);

}  // namespace gguf

#endif  // APR_COMMON_GGUF_TENSOR_TYPE_H_

// Block formats to float: the reference every kernel is checked against.
//
//   std::vector<float> row(n);
//   absl::Status s = DequantizeRow(GgmlType::kQ4_K, bytes, row.data(), n);
#ifndef APR_COMMON_QUANT_DEQUANTIZE_H_
#define APR_COMMON_QUANT_DEQUANTIZE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "common/gguf/tensor_type.h"

namespace quant {

// Types DequantizeRow and QuantizeRow handle.
bool IsSupportedType(gguf::GgmlType type);

// `n` weights (a multiple of the block size) from `src` into `dst`.
absl::Status DequantizeRow(gguf::GgmlType type, const void* src, float* dst, int64_t n);

}  // namespace quant

#endif  // APR_COMMON_QUANT_DEQUANTIZE_H_

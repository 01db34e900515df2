// Reference quantizers from float into the block formats (ours: simple
// min/max scaling, not llama.cpp's search), used by `apr synth`, the tests and
// the activation side of the int8 kernels.
//
//   std::vector<uint8_t> bytes(*gguf::RowBytes(GgmlType::kQ4_K, n));
//   absl::Status s = QuantizeRow(GgmlType::kQ4_K, row, bytes.data(), n);
#ifndef APR_COMMON_QUANT_QUANTIZE_H_
#define APR_COMMON_QUANT_QUANTIZE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "common/gguf/tensor_type.h"
#include "common/quant/blocks.h"

namespace quant {

absl::Status QuantizeRow(gguf::GgmlType type, const float* src, void* dst, int64_t n);

// Activations for the int8 dot products: n a multiple of 32 (Q8_0) or 256 (Q8_K).
void QuantizeQ8_0(const float* x, BlockQ8_0* y, int64_t n);
void QuantizeQ8_K(const float* x, BlockQ8_K* y, int64_t n);

}  // namespace quant

#endif  // APR_COMMON_QUANT_QUANTIZE_H_

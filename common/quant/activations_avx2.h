// AVX2 versions of the activation quantizers the engine runs for every
// matrix product (repack.h's QuantizeQ8_KI32/16 and QuantizeQ8_0S,
// quantize.h's QuantizeQ8_0). Each writes the same bytes as its scalar
// reference: the same float operations in the same order, rounding to
// nearest even as std::nearbyint does. Call only on CPUs with AVX2 and F16C.
#ifndef APR_COMMON_QUANT_ACTIVATIONS_AVX2_H_
#define APR_COMMON_QUANT_ACTIVATIONS_AVX2_H_

#include <cstdint>

#include "common/quant/blocks.h"
#include "common/quant/repack.h"

namespace quant::internal {

// `group` is 32 (Q8_KI32, for repacked Q4_K) or 16 (Q8_KI16, for Q6_K).
void QuantizeQ8_KIAvx2(const float* x, BlockQ8_KI* y, int64_t n, int group);
void QuantizeQ8_0Avx2(const float* x, BlockQ8_0* y, int64_t n);
void QuantizeQ8_0SAvx2(const float* x, BlockQ8_0S* y, int64_t n);

}  // namespace quant::internal

#endif  // APR_COMMON_QUANT_ACTIVATIONS_AVX2_H_

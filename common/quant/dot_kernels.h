// Row-times-activation kernels: y[t][r] = dot(weight row r, activation row t).
// A scalar reference for every weight type, and x86 versions (AVX2,
// AVX-VNNI, AVX-512 VNNI) for every type, plus AVX512-BF16 for BF16 weights and
// AMX for the prefill of the repacked k-quants, IQ4_XS and R8 groups,
// each instruction set in its own translation unit; tests check every one
// against the reference.
#ifndef APR_COMMON_QUANT_DOT_KERNELS_H_
#define APR_COMMON_QUANT_DOT_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/gguf/tensor_type.h"

namespace quant {

// rows x tokens dot products. `w` holds `rows` rows of `row_bytes`; `act`
// holds `tokens` rows of `act_row_bytes`; each row is n values; results go to
// y[t * y_stride + r].
using DotRowsFn = void (*)(const uint8_t* w, size_t row_bytes, int64_t rows, const uint8_t* act,
                           size_t act_row_bytes, int64_t tokens, int64_t n, float* y,
                           int64_t y_stride);

struct DotKernel {
  const char* isa;  // "scalar", "avx2", "avxvnni", "avx512vnni", "avx512bf16", "amx"
  DotRowsFn fn;
  // The kernel rounds float activations to bf16 before multiplying (the
  // BF16 dot-product instruction's operands), so it differs from the
  // reference by up to 2^-9 of each product's magnitude.
  bool bf16_activations = false;
  // Calls of at least this many tokens lay out all their activations anew
  // (the AMX kernel, for its tiles), however few rows they have: prefill
  // gives such calls fewer, larger tasks. 0: none do.
  int64_t lays_out_from_tokens = 0;

  bool LaysOutActivations(int64_t tokens) const {
    return lays_out_from_tokens > 0 && tokens >= lays_out_from_tokens;
  }
};

// `repacked` selects repack.h's layouts (rows of the k-quants and IQ4_XS;
// Q8_0, Q4_0, Q5_0, Q4_1, Q5_1 and IQ4_NL in groups of 8 rows).
// The reference for `type`; null for a type without kernels.
DotRowsFn ScalarDotKernel(gguf::GgmlType type, bool repacked = false);
// Every kernel this CPU can run for `type`, fastest first, the reference last.
std::vector<DotKernel> AvailableDotKernels(gguf::GgmlType type, bool repacked = false);
// The fastest of them.
DotKernel BestDotKernel(gguf::GgmlType type, bool repacked = false);

namespace internal {
DotRowsFn Avx2DotKernel(gguf::GgmlType type, bool repacked);
DotRowsFn AvxVnniDotKernel(gguf::GgmlType type, bool repacked);
DotRowsFn Avx512VnniDotKernel(gguf::GgmlType type, bool repacked);
DotRowsFn Avx512Bf16DotKernel(gguf::GgmlType type, bool repacked);  // BF16 only
// BF16 only; prefill on vdpbf16ps (bf16_row_gemm512.inc), preferred on AMD.
DotRowsFn Avx512Bf16DotGemmKernel(gguf::GgmlType type, bool repacked);
// Repacked k-quants and IQ4_XS (dot_kernels_amx.cc) and R8 groups (dot_kernels_amx_row_groups.cc).
DotRowsFn AmxDotKernel(gguf::GgmlType type, bool repacked);
DotRowsFn AmxGroupKernel(gguf::GgmlType type);
inline constexpr int64_t kAmxMinTokens = 16;  // a tile's; fewer go to the AVX-512 kernel
// Whether the AMX kernel for `type` lays out all its activations in every
// call of a tile or more (the k-quants' and IQ4_XS's; the groups' reads them
// in place).
bool AmxLaysOutActivations(gguf::GgmlType type);
}  // namespace internal

}  // namespace quant

#endif  // APR_COMMON_QUANT_DOT_KERNELS_H_

// Activations quantized the way a weight type's dot product pairs with them:
// Q8_0 blocks for Q8_0/Q4_0/Q5_0 weights (Q8_0S, with sums, for their groups
// of 8 rows), Q8_K blocks for the 256-weight formats (Q8_KI, interleaved, for
// Q4_K's and Q6_K's repacked layouts), and plain floats for F32/F16/BF16 weights.
//
//   QuantizedActivations a(GgmlType::kQ4_K, /*n=*/1536, /*tokens=*/91);
//   a.Quantize(x);  // x: tokens rows of n floats
#ifndef APR_COMMON_QUANT_ACTIVATIONS_H_
#define APR_COMMON_QUANT_ACTIVATIONS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/gguf/tensor_type.h"
#include "common/parallel/thread_pool.h"

namespace quant {

enum class ActivationFormat { kF32, kQ8_0, kQ8_0S, kQ8_K, kQ8_KI32, kQ8_KI16 };

// `repacked`: the weights are in one of repack.h's layouts.
ActivationFormat ActivationFor(gguf::GgmlType weight_type, bool repacked = false);
// Bytes of one activation row of n values.
size_t ActivationRowBytes(ActivationFormat format, int64_t n);

class QuantizedActivations {
 public:
  QuantizedActivations(gguf::GgmlType weight_type, int64_t n, int64_t tokens, bool repacked = false);
  QuantizedActivations(const QuantizedActivations&) = delete;
  QuantizedActivations& operator=(const QuantizedActivations&) = delete;
  // Quantizes `tokens` rows of `n` floats (row stride `x_stride`).
  void Quantize(const float* x, int64_t x_stride);
  void Quantize(const float* x) { Quantize(x, n_); }
  // The same for rows of n floats, split over `pool`'s threads when there are
  // several rows (prefill); tagged "quantize" in the pool's counters.
  void Quantize(parallel::ThreadPool& pool, const float* x);

  // Row t becomes a copy of src's row src_t (same format and length): the
  // rows of a batch regrouped (a mixture's tokens by expert) without
  // quantizing them again.
  void CopyRow(int64_t t, const QuantizedActivations& src, int64_t src_t);

  ActivationFormat format() const { return format_; }
  int64_t n() const { return n_; }
  int64_t tokens() const { return tokens_; }
  size_t row_bytes() const { return row_bytes_; }
  const uint8_t* row(int64_t t) const { return base_ + t * row_bytes_; }

 private:
  void QuantizeRow(int64_t t, const float* src);

  ActivationFormat format_;
  int64_t n_, tokens_;
  size_t row_bytes_;
  std::vector<uint8_t> data_;
  uint8_t* base_;  // data_ rounded up to 64 bytes
};

}  // namespace quant

#endif  // APR_COMMON_QUANT_ACTIVATIONS_H_

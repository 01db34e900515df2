// Matrix products for inference: y = x W^T for a GGUF weight matrix W (rows
// of `cols` weights in its block format) and `tokens` rows of activations x.
// One token is decode's matrix-vector product; many are prefill's batch, for
// which every weight row is read once and used for all tokens.
//
//   WeightMatrix w{GgmlType::kQ4_K, data, /*rows=*/8960, /*cols=*/1536};
//   MatMul(pool, "ffn_up", w, x, /*tokens=*/1, y);
#ifndef APR_COMMON_QUANT_MATMUL_H_
#define APR_COMMON_QUANT_MATMUL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "common/gguf/tensor_type.h"
#include "common/parallel/thread_pool.h"
#include "common/quant/activations.h"
#include "common/quant/dot_kernels.h"
#include "common/quant/weight_buffer.h"

namespace quant {

struct WeightMatrix {
  gguf::GgmlType type = gguf::GgmlType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0, cols = 0;
  bool repacked = false;  // data in one of repack.h's layouts (k-quant and IQ4_XS rows; the 32-weight formats in groups of 8 rows)
  size_t stride = 0;      // bytes from one row to the next (groups of 8: a group's bytes / 8); 0: RowBytes()
  size_t RowBytes() const;
  size_t Stride() const { return stride ? stride : RowBytes(); }
};

// `w`'s rows in repack.h's layout, each row (or group of 8 rows) on a 64-byte
// boundary, in a WeightBuffer (huge pages where the kernel grants them).
// The 32-weight formats (Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL) are grouped
// only where a SIMD kernel for groups runs.
struct RepackedRows {
  WeightBuffer storage;
  WeightMatrix matrix;  // points into storage
};
// Empty storage (and `w` unchanged) when its type has no repacked layout.
RepackedRows RepackRows(const WeightMatrix& w);

// Checks the type has kernels and cols is a whole number of its blocks.
absl::Status CheckMatrix(const WeightMatrix& w);

// y[t * rows + r] = dot(row r of w, x[t * cols ...]), in one dispatch.
void MatMul(parallel::ThreadPool& pool, const char* tag, const WeightMatrix& w, const float* x,
            int64_t tokens, float* y);

// The same with activations already quantized for w's type, so several
// matrices reading one input quantize it once. Results go to y[t * y_stride + r].
void MatMulQuantized(parallel::ThreadPool& pool, const char* tag, const WeightMatrix& w,
                     const QuantizedActivations& a, float* y, int64_t y_stride);

// Several matrices of one width over the same input, in one dispatch
// (attention's q, k and v; the FFN's gate and up). Matrix i's results go to
// targets[i].y[t * rows_i + r]. A target whose format pairs with other
// activations than `a` (a Q4_K_M file's Q6_K v beside Q4_K q and k) brings
// its own, the same input quantized for it.
struct MatMulTarget {
  const WeightMatrix* w;
  float* y;
  const QuantizedActivations* a = nullptr;  // nullptr: the group's
};
void MatMulGroup(parallel::ThreadPool& pool, const char* tag, const std::vector<MatMulTarget>& targets,
                 const QuantizedActivations& a);

// Rows per task of a matrix of `rows` rows of `row_bytes` bytes, for `tokens`
// tokens: enough tasks to balance the threads, each a run of whole rows, a
// multiple of 8 (the R8 groups'); fewer for a kernel that lays out its
// activations in every call (DotKernel::LaysOutActivations).
int64_t RowsPerTask(int64_t rows, size_t row_bytes, size_t threads, int64_t tokens,
                    bool lays_out_activations = false);

}  // namespace quant

#endif  // APR_COMMON_QUANT_MATMUL_H_

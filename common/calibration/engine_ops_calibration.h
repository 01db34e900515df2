// Calibrates what the matrix products leave: attention per KV cache type,
// and the element-wise engine ops (norms, rope with the cache store, the
// residual adds, the embedding lookup, the FFN activation), timed in the real
// forward pass of four small qwen3-shaped calibration models (8 query heads
// on 8 KV heads and 16 on 2, 128 wide, for decode; 16 on 4, 128 and 64 wide,
// for prompts), written once into the cache folder.
#ifndef APR_COMMON_CALIBRATION_ENGINE_OPS_CALIBRATION_H_
#define APR_COMMON_CALIBRATION_ENGINE_OPS_CALIBRATION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/calibration/calibration.h"
#include "common/parallel/thread_pool.h"

namespace calibration {

struct EngineOpsCalibration {
  std::vector<AttentionCalibration> attention;
  std::vector<std::pair<std::string, Line>> ops;
};

// The cost model's op `cost_op` ("attn_norm", "kv_store", "silu_mul", ...)
// is timed in this calibrated group: model::OpName of its engine op, or
// "silu_mul" / "gelu_mul" for the activation (measured on its own).
std::string CalibratedGroup(const std::string& cost_op);

// Whether a cost op is one of attention's dot products (attn_score,
// attn_value): the FLOPs AttentionPrefill prices a FLOP.
bool IsAttentionDot(const std::string& cost_op);

// A prompt's attention work in a layer as AttentionPrefill prices it, for
// `tokens` tokens of `heads` query heads `head_dim` wide whose dot products
// do `dot_flops` (4 x head_dim a score).
struct PromptAttentionWork {
  double rows = 0, scores = 0, dot_flops = 0;
  double SecondsAt(const AttentionPrefill& a) const { return a.At(rows, scores, dot_flops); }
};
PromptAttentionWork PromptAttention(uint32_t heads, uint32_t head_dim, double tokens, double dot_flops);

absl::StatusOr<EngineOpsCalibration> MeasureEngineOps(parallel::ThreadPool& pool, bool quick,
                                                      const std::function<void(const std::string&)>& progress);

}  // namespace calibration

#endif  // APR_COMMON_CALIBRATION_ENGINE_OPS_CALIBRATION_H_

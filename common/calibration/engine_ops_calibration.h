// Calibrates what the matrix products leave: attention per KV cache type,
// and the element-wise engine ops (norms, rope with the cache store, the
// residual adds, the embedding lookup, the FFN activation), timed in the real
// forward pass of four small qwen3-shaped calibration models (8 query heads
// on 8 KV heads and 16 on 2, 128 wide, for decode; 16 on 4, 128 and 64 wide,
// for prompts), written once into the cache folder.
#ifndef APR_COMMON_CALIBRATION_ENGINE_OPS_CALIBRATION_H_
#define APR_COMMON_CALIBRATION_ENGINE_OPS_CALIBRATION_H_

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

absl::StatusOr<EngineOpsCalibration> MeasureEngineOps(parallel::ThreadPool& pool, bool quick,
                                                      const std::function<void(const std::string&)>& progress);

}  // namespace calibration

#endif  // APR_COMMON_CALIBRATION_ENGINE_OPS_CALIBRATION_H_

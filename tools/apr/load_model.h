// Loading a model for a command that runs it.
#ifndef APR_TOOLS_APR_LOAD_MODEL_H_
#define APR_TOOLS_APR_LOAD_MODEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/model/weights.h"
#include "common/parallel/thread_pool.h"

namespace apr {

// The model's weights; when memory kept some matrices in the file (not
// copied), says how many bytes on stderr, as "apr CMD: note: ...".
// `f16_as_bf16`: F16 matrices rounded to bf16 (ModelWeights::Load), said
// on stderr too.
absl::StatusOr<std::unique_ptr<model::ModelWeights>> LoadModel(const std::string& command, const std::string& path,
                                                               bool f16_as_bf16 = false);

// The flag that asks for it, for the commands that run a model.
inline constexpr char kF16AsBf16Help[] =
    "round F16 matrices to bf16 at load, as ik_llama.cpp's -rtr 1 does: prefill on the CPU's bf16 dot product "
    "(AVX512-BF16), another model than the file's by bf16's rounding";

// Chooses decode's prefetch distance on `pool` over the model's matrices
// (once a process: a calibration timed earlier in it has already chosen)
// and says which on stderr, as "apr CMD: decode prefetch ...".
void TuneDecodePrefetch(const std::string& command, const model::ModelWeights& weights, parallel::ThreadPool& pool);

}  // namespace apr

#endif  // APR_TOOLS_APR_LOAD_MODEL_H_

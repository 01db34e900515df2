// A ModelSpec from a GGUF file (checked against its architecture) or from a
// preset and a quantization scheme.
//
//   auto spec = SpecFromGgufFile("model.gguf");
//   auto spec = SpecFromPreset("qwen2.5-1.5b", "q4_k_m");
#ifndef APR_COMMON_COST_MODEL_SPEC_H_
#define APR_COMMON_COST_MODEL_SPEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/cost/op_cost.h"
#include "common/gguf/gguf_file.h"

namespace cost {

absl::StatusOr<ModelSpec> SpecFromGguf(const gguf::GgufFile& file);
absl::StatusOr<ModelSpec> SpecFromGgufFile(const std::string& path);
absl::StatusOr<ModelSpec> SpecFromPreset(const std::string& preset, const std::string& scheme);

}  // namespace cost

#endif  // APR_COMMON_COST_MODEL_SPEC_H_

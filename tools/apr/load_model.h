// Loading a model for a command that runs it.
#ifndef APR_TOOLS_APR_LOAD_MODEL_H_
#define APR_TOOLS_APR_LOAD_MODEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/model/weights.h"

namespace apr {

// The model's weights; when memory kept some matrices in the file (not
// copied), says how many bytes on stderr, as "apr CMD: note: ...".
absl::StatusOr<std::unique_ptr<model::ModelWeights>> LoadModel(const std::string& command, const std::string& path);

}  // namespace apr

#endif  // APR_TOOLS_APR_LOAD_MODEL_H_

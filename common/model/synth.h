// Deterministic synthetic models: random weights of realistic scale for a
// preset's shape, quantized with our quantizers, written as a GGUF file that
// llama.cpp can load (tokenizer metadata included).
//
//   SynthOptions o{.preset = "qwen2.5-1.5b", .scheme = "q4_k_m", .seed = 1};
//   absl::Status s = WriteSynthModel(o, "model.gguf", progress);
#ifndef APR_COMMON_MODEL_SYNTH_H_
#define APR_COMMON_MODEL_SYNTH_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model/model_config.h"
#include "common/parallel/thread_pool.h"

namespace model {

struct SynthOptions {
  ModelConfig config;
  std::string scheme = "q4_k_m";
  uint64_t seed = 1;
};

// Called with (bytes written so far, total bytes).
using SynthProgress = std::function<void(uint64_t done, uint64_t total)>;

absl::Status WriteSynthModel(const SynthOptions& options, const std::string& path,
                             parallel::ThreadPool& pool, const SynthProgress& progress = nullptr);

// Writes the model to `path` unless a file is already there (creating its
// directory); the seconds writing took, 0 when the file was there.
absl::StatusOr<double> EnsureSynthModel(const SynthOptions& options, const std::string& path,
                                        parallel::ThreadPool& pool);

// The chapter's built-in default: qwen2-shaped, ~0.5 B parameters, Q4_K
// about 300 MB, several times this kind of machine's last-level cache.
ModelConfig ChapterDefaultConfig();

}  // namespace model

#endif  // APR_COMMON_MODEL_SYNTH_H_

// A model's shape read from GGUF metadata ({arch}.block_count, ...), for the
// architectures this project runs.
//
//   absl::StatusOr<ModelConfig> c = ConfigFromGguf(*file);
#ifndef APR_COMMON_MODEL_GGUF_CONFIG_H_
#define APR_COMMON_MODEL_GGUF_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gguf/gguf_file.h"
#include "common/gguf/gguf_writer.h"
#include "common/model/model_config.h"

namespace model {

// Reads the shape; head_dim from attention.key_length when present (not
// assumed to be hidden / heads), vocab from the tokenizer or token_embd, tied
// embeddings when the file has no output.weight. The result is validated.
absl::StatusOr<ModelConfig> ConfigFromGguf(const gguf::GgufFile& file);

// Writes the metadata ConfigFromGguf reads (and llama.cpp needs for the
// architecture), including a byte-level tokenizer of config.vocab tokens.
void AddConfigMetadata(const ModelConfig& config, gguf::GgufWriter* writer);

}  // namespace model

#endif  // APR_COMMON_MODEL_GGUF_CONFIG_H_

#include "common/cost/model_spec.h"

#include "common/model/gguf_config.h"
#include "common/model/tensor_layout.h"

namespace cost {

absl::StatusOr<ModelSpec> SpecFromGguf(const gguf::GgufFile& file) {
  auto config = model::ConfigFromGguf(file);
  if (!config.ok()) return config.status();
  auto tensors = model::LayoutFromGguf(file, *config);
  if (!tensors.ok()) return tensors.status();
  ModelSpec spec;
  spec.config = *config;
  spec.tensors = *tensors;
  // Tensors beyond the architecture's (e.g. rope_freqs) still count as weights.
  for (const gguf::GgufTensor& t : file.tensors()) {
    if (spec.Find(t.name) == nullptr) {
      spec.tensors.push_back({t.name, t.dims, t.type, t.n_bytes, -1});
    }
  }
  return spec;
}

absl::StatusOr<ModelSpec> SpecFromGgufFile(const std::string& path) {
  auto file = gguf::GgufFile::Open(path);
  if (!file.ok()) return file.status();
  return SpecFromGguf(**file);
}

absl::StatusOr<ModelSpec> SpecFromPreset(const std::string& preset, const std::string& scheme) {
  auto config = model::FindPreset(preset);
  if (!config.ok()) return config.status();
  auto tensors = model::LayoutForScheme(*config, scheme);
  if (!tensors.ok()) return tensors.status();
  ModelSpec spec;
  spec.config = *config;
  spec.config.name = preset + " " + scheme;
  spec.tensors = *tensors;
  return spec;
}

}  // namespace cost

// libFuzzer target: the GGUF reader, then a model config and tensor layout
// from whatever it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/cost/model_spec.h"
#include "common/gguf/gguf_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = gguf::GgufFile::Parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!file.ok()) return 0;
  (void)(*file)->TensorDataBytes();
  for (const gguf::GgufTensor& t : (*file)->tensors()) {
    if (t.n_bytes > 0) (void)t.data[t.n_bytes - 1];  // inside the buffer, or ASan says so
  }
  (void)cost::SpecFromGguf(**file);
  return 0;
}

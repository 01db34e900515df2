// Writes GGUF version 3 files: metadata, then tensor infos, then the aligned
// data section. Used by tests (to make good and corrupt files) and by
// `apr synth`.
//
//   GgufWriter w;
//   w.SetString("general.architecture", "llama");
//   w.SetUint32("llama.block_count", 2);
//   w.AddTensor("token_embd.weight", {64, 256}, GgmlType::kF32, bytes);
//   absl::Status s = w.WriteFile("tiny.gguf");
#ifndef APR_COMMON_GGUF_GGUF_WRITER_H_
#define APR_COMMON_GGUF_GGUF_WRITER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/gguf/gguf_value.h"
#include "common/gguf/tensor_type.h"

namespace gguf {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t alignment = 32) : alignment_(alignment) {}

  // Metadata, kept in insertion order; setting a key again replaces it.
  void Set(const std::string& key, GgufValue value);
  void SetString(const std::string& key, const std::string& v) { Set(key, GgufValue::String(v)); }
  void SetUint32(const std::string& key, uint32_t v) { Set(key, GgufValue::Uint(ValueType::kUint32, v)); }
  void SetFloat32(const std::string& key, float v) { Set(key, GgufValue::Float(ValueType::kFloat32, v)); }
  void SetBool(const std::string& key, bool v) { Set(key, GgufValue::Bool(v)); }
  void SetStringArray(const std::string& key, const std::vector<std::string>& v);
  void SetInt32Array(const std::string& key, const std::vector<int32_t>& v);
  void SetFloat32Array(const std::string& key, const std::vector<float>& v);

  // `data` must hold exactly the tensor's bytes for its type and dims.
  absl::Status AddTensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                         std::vector<uint8_t> data);

  // A tensor whose bytes `produce` makes when WriteFile reaches it, so a
  // file larger than memory is written one tensor at a time (apr synth of a
  // 30B model). Serialize calls it too.
  using TensorProducer = std::function<absl::StatusOr<std::vector<uint8_t>>()>;
  absl::Status AddDeferredTensor(const std::string& name, const std::vector<uint64_t>& dims, GgmlType type,
                                 TensorProducer produce);

  // The whole file, in memory; WriteFile streams the tensor data instead.
  std::string Serialize() const;
  absl::Status WriteFile(const std::string& path) const;
  // Tensors whose producer fails make Serialize return an empty string.

 private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    GgmlType type;
    uint64_t bytes;
    std::vector<uint8_t> data;  // or, when empty, what `produce` makes
    TensorProducer produce;
  };
  // The tensor's bytes: its data, or what its producer made into *made
  // (checked for their size).
  absl::StatusOr<const std::vector<uint8_t>*> Bytes(const Tensor& t, std::vector<uint8_t>* made) const;
  absl::StatusOr<uint64_t> CheckedBytes(const std::string& name, const std::vector<uint64_t>& dims,
                                        GgmlType type) const;
  std::string SerializeHeader() const;  // up to the data section

  uint32_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace gguf

#endif  // APR_COMMON_GGUF_GGUF_WRITER_H_

// Reads a GGUF file (versions 2 and 3): metadata, tensor infos and tensor data,
// memory-mapped. Model files are untrusted input: every count, length, offset,
// dimension product and type is checked before use, and every failure is an
// error naming the field and its byte offset, never a crash.
//
//   absl::StatusOr<std::unique_ptr<GgufFile>> f = GgufFile::Open("model.gguf");
//   absl::StatusOr<std::string> arch = (*f)->GetString("general.architecture");
//   const GgufTensor* t = (*f)->FindTensor("blk.0.attn_q.weight");
//   // t->dims[0] is the row length; t->data points at t->n_bytes bytes.
//
// A file that is truncated or rewritten while mapped cannot crash the
// process: a read past its new end (SIGBUS) is caught, the page replaced by
// zeros, and Changed() reports it; users of the data check it after use.
//
// Layout (little-endian): "GGUF", u32 version, u64 tensor count, u64 metadata
// count; metadata as (string key, u32 type, value); tensor infos as (string
// name, u32 n_dims, u64 dims[n_dims], u32 type, u64 offset); padding to the
// alignment (general.alignment, default 32); then the data section, in which
// each tensor's offset is aligned. Strings are u64 length + bytes.
#ifndef APR_COMMON_GGUF_GGUF_FILE_H_
#define APR_COMMON_GGUF_GGUF_FILE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gguf/gguf_value.h"
#include "common/gguf/tensor_type.h"

namespace gguf {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" little-endian
inline constexpr uint32_t kDefaultAlignment = 32;
inline constexpr int kMaxDims = 4;

struct GgufTensor {
  std::string name;
  std::vector<uint64_t> dims;  // dims[0] is the innermost (row) dimension
  GgmlType type;
  uint64_t offset = 0;         // within the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;  // into the mapping
  uint64_t Rows() const { return dims.empty() ? 0 : n_elements / dims[0]; }
};

class GgufFile {
 public:
  // Maps `path` read-only and parses it.
  static absl::StatusOr<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Parses bytes that stay owned by the caller and must outlive the result.
  static absl::StatusOr<std::unique_ptr<GgufFile>> Parse(std::string_view bytes,
                                                         const std::string& name = "<memory>");
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  // True once a read of the mapping found the file shorter than when opened.
  bool Changed() const;
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t file_size() const { return size_; }
  uint64_t data_offset() const { return data_offset_; }

  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const GgufValue* Find(const std::string& key) const;
  // Typed look-ups: NotFound when missing, InvalidArgument naming the key when
  // the type does not fit (integers of any width are accepted when in range).
  absl::StatusOr<std::string> GetString(const std::string& key) const;
  absl::StatusOr<uint64_t> GetUint(const std::string& key) const;
  absl::StatusOr<double> GetFloat(const std::string& key) const;
  absl::StatusOr<bool> GetBool(const std::string& key) const;

  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* FindTensor(const std::string& name) const;
  // Sum of every tensor's data bytes.
  uint64_t TensorDataBytes() const;

 private:
  GgufFile() = default;
  absl::Status ParseAll();

  std::string path_;
  const uint8_t* bytes_ = nullptr;
  uint64_t size_ = 0;
  void* mapping_ = nullptr;  // non-null when we own an mmap
  int guard_slot_ = -1;      // in the SIGBUS guard's table
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

}  // namespace gguf

#endif  // APR_COMMON_GGUF_GGUF_FILE_H_

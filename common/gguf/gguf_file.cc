#include "common/gguf/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/gguf/mapping_guard.h"

namespace gguf {
namespace {

// Bounds that no real model comes near; they keep a hostile header from
// asking for unbounded memory or time.
constexpr uint64_t kMaxStringBytes = 1 << 24;          // one string: 16 MiB
constexpr uint64_t kMaxArrayElementsTotal = 1 << 23;   // 8M metadata array elements
constexpr int kMaxArrayDepth = 8;
constexpr uint64_t kMaxTensors = 1 << 20;
constexpr uint64_t kMaxMetadata = 1 << 20;

// A bounds-checked little-endian cursor over the file.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t size, const std::string& path)
      : data_(data), size_(size), path_(path) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  absl::Status Error(uint64_t at, const std::string& field, const std::string& why) const {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": byte ", at, ": ", field, ": ", why));
  }

  template <typename T>
  absl::Status Read(const std::string& field, T* out) {
    if (remaining() < sizeof(T)) {
      return Error(pos_, field, absl::StrCat("file ends (needs ", sizeof(T), " bytes, ", remaining(),
                                             " left)"));
    }
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return absl::OkStatus();
  }

  absl::Status ReadString(const std::string& field, std::string* out) {
    const uint64_t at = pos_;
    uint64_t length = 0;
    if (auto s = Read(field + " length", &length); !s.ok()) return s;
    if (length > remaining()) {
      return Error(at, field, absl::StrCat("string length ", length, " runs past the end of the file (",
                                           remaining(), " bytes left)"));
    }
    if (length > kMaxStringBytes) {
      return Error(at, field, absl::StrCat("string length ", length, " exceeds 16 MiB"));
    }
    out->assign(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return absl::OkStatus();
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& path_;
};

class MetadataParser {
 public:
  explicit MetadataParser(Reader* r) : r_(r) {}

  absl::Status ReadValue(const std::string& field, ValueType type, int depth, GgufValue* out) {
    const uint64_t at = r_->pos();
    out->type = type;
    switch (type) {
      case ValueType::kUint8: { uint8_t v = 0; return Assign(field, &v, out, false); }
      case ValueType::kInt8: { int8_t v = 0; return Assign(field, &v, out, true); }
      case ValueType::kUint16: { uint16_t v = 0; return Assign(field, &v, out, false); }
      case ValueType::kInt16: { int16_t v = 0; return Assign(field, &v, out, true); }
      case ValueType::kUint32: { uint32_t v = 0; return Assign(field, &v, out, false); }
      case ValueType::kInt32: { int32_t v = 0; return Assign(field, &v, out, true); }
      case ValueType::kUint64: { uint64_t v = 0; return Assign(field, &v, out, false); }
      case ValueType::kInt64: { int64_t v = 0; return Assign(field, &v, out, true); }
      case ValueType::kFloat32: {
        float v;
        if (auto s = r_->Read(field, &v); !s.ok()) return s;
        out->f = v;
        return absl::OkStatus();
      }
      case ValueType::kFloat64: {
        double v;
        if (auto s = r_->Read(field, &v); !s.ok()) return s;
        out->f = v;
        return absl::OkStatus();
      }
      case ValueType::kBool: {
        uint8_t v;
        if (auto s = r_->Read(field, &v); !s.ok()) return s;
        if (v > 1) return r_->Error(at, field, absl::StrCat("bool value ", int(v), " is not 0 or 1"));
        out->u = v;
        return absl::OkStatus();
      }
      case ValueType::kString:
        return r_->ReadString(field, &out->str);
      case ValueType::kArray:
        return ReadArray(field, depth, out);
    }
    return r_->Error(at, field, "unknown value type");
  }

 private:
  template <typename T>
  absl::Status Assign(const std::string& field, T* v, GgufValue* out, bool is_signed) {
    if (auto s = r_->Read(field, v); !s.ok()) return s;
    if (is_signed) {
      out->i = static_cast<int64_t>(*v);
      out->u = static_cast<uint64_t>(out->i);
    } else {
      out->u = static_cast<uint64_t>(*v);
      out->i = static_cast<int64_t>(out->u);
    }
    return absl::OkStatus();
  }

  absl::Status ReadArray(const std::string& field, int depth, GgufValue* out) {
    const uint64_t at = r_->pos();
    if (depth >= kMaxArrayDepth) {
      return r_->Error(at, field, absl::StrCat("arrays nested deeper than ", kMaxArrayDepth));
    }
    uint32_t element_type = 0;
    uint64_t count = 0;
    if (auto s = r_->Read(field + " element type", &element_type); !s.ok()) return s;
    if (!IsKnownValueType(element_type)) {
      return r_->Error(at, field, absl::StrCat("unknown array element type ", element_type));
    }
    if (auto s = r_->Read(field + " element count", &count); !s.ok()) return s;
    const ValueType type = static_cast<ValueType>(element_type);
    // Every element takes at least this many bytes of the file.
    const uint64_t min_bytes = type == ValueType::kString ? 8
                               : type == ValueType::kArray ? 12
                                                           : ScalarSize(type);
    if (count > r_->remaining() / min_bytes) {
      return r_->Error(at, field, absl::StrCat("array of ", count, " ", ValueTypeName(type),
                                               " cannot fit in the ", r_->remaining(),
                                               " bytes left"));
    }
    elements_ += count;
    if (elements_ > kMaxArrayElementsTotal) {
      return r_->Error(at, field, absl::StrCat("metadata arrays hold more than ",
                                               kMaxArrayElementsTotal, " elements in all"));
    }
    out->element_type = type;
    out->array.resize(count);
    for (uint64_t k = 0; k < count; ++k) {
      if (auto s = ReadValue(field, type, depth + 1, &out->array[k]); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  Reader* r_;
  uint64_t elements_ = 0;
};

bool MulOverflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = path;
  file->size_ = static_cast<uint64_t>(st.st_size);
  if (file->size_ > 0) {
    void* map = mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      ::close(fd);
      return absl::InternalError(absl::StrCat(path, ": cannot map: ", std::strerror(errno)));
    }
    file->mapping_ = map;
    file->bytes_ = static_cast<const uint8_t*>(map);
    file->guard_slot_ = RegisterMapping(map, file->size_);
  }
  ::close(fd);
  if (auto s = file->ParseAll(); !s.ok()) return s;
  if (file->Changed()) {
    return absl::DataLossError(absl::StrCat(path, ": the file shrank while it was being read"));
  }
  return file;
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Parse(std::string_view bytes,
                                                          const std::string& name) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->path_ = name;
  file->bytes_ = reinterpret_cast<const uint8_t*>(bytes.data());
  file->size_ = bytes.size();
  if (auto s = file->ParseAll(); !s.ok()) return s;
  return file;
}

GgufFile::~GgufFile() {
  if (mapping_) {
    UnregisterMapping(guard_slot_);
    munmap(mapping_, size_);
  }
}

bool GgufFile::Changed() const { return MappingChanged(guard_slot_); }

absl::Status GgufFile::ParseAll() {
  Reader r(bytes_, size_, path_);
  uint32_t magic = 0;
  if (auto s = r.Read("magic", &magic); !s.ok()) return s;
  if (magic != kGgufMagic) {
    return r.Error(0, "magic", "not a GGUF file (the first 4 bytes are not \"GGUF\")");
  }
  if (auto s = r.Read("version", &version_); !s.ok()) return s;
  if (version_ != 2 && version_ != 3) {
    const bool swapped = __builtin_bswap32(version_) == 2 || __builtin_bswap32(version_) == 3;
    return r.Error(4, "version",
                   absl::StrCat("unsupported GGUF version ", version_,
                                swapped ? " (a big-endian file?)" : "", "; versions 2 and 3 are read"));
  }
  uint64_t n_tensors = 0, n_metadata = 0;
  if (auto s = r.Read("tensor count", &n_tensors); !s.ok()) return s;
  if (auto s = r.Read("metadata count", &n_metadata); !s.ok()) return s;
  // A metadata entry takes at least 8 (key length) + 4 (type) + 1 bytes; a
  // tensor info at least 8 + 4 + 4 + 8.
  if (n_metadata > kMaxMetadata || n_metadata > r.remaining() / 13) {
    return r.Error(16, "metadata count", absl::StrCat(n_metadata, " entries cannot fit in the file"));
  }
  if (n_tensors > kMaxTensors || n_tensors > r.remaining() / 24) {
    return r.Error(8, "tensor count", absl::StrCat(n_tensors, " tensors cannot fit in the file"));
  }

  MetadataParser metadata(&r);
  for (uint64_t k = 0; k < n_metadata; ++k) {
    const uint64_t at = r.pos();
    std::string key;
    if (auto s = r.ReadString(absl::StrCat("metadata key #", k), &key); !s.ok()) return s;
    if (key.empty()) return r.Error(at, absl::StrCat("metadata key #", k), "empty key");
    uint32_t type = 0;
    if (auto s = r.Read(absl::StrCat("type of '", key, "'"), &type); !s.ok()) return s;
    if (!IsKnownValueType(type)) {
      return r.Error(at, absl::StrCat("metadata '", key, "'"), absl::StrCat("unknown value type ", type));
    }
    GgufValue value;
    if (auto s = metadata.ReadValue(absl::StrCat("metadata '", key, "'"), static_cast<ValueType>(type),
                                    0, &value);
        !s.ok()) {
      return s;
    }
    if (!metadata_.emplace(key, std::move(value)).second) {
      return r.Error(at, absl::StrCat("metadata '", key, "'"), "duplicate key");
    }
  }

  if (const GgufValue* a = Find("general.alignment")) {
    if (!a->IsInteger() || a->u == 0 || a->u > (1u << 20) || (a->u & (a->u - 1)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path_, ": metadata 'general.alignment': must be a power of two up to 1 MiB"));
    }
    alignment_ = static_cast<uint32_t>(a->u);
  }

  tensors_.reserve(n_tensors);
  for (uint64_t k = 0; k < n_tensors; ++k) {
    const uint64_t at = r.pos();
    GgufTensor t;
    if (auto s = r.ReadString(absl::StrCat("tensor #", k, " name"), &t.name); !s.ok()) return s;
    const std::string field = absl::StrCat("tensor '", t.name, "'");
    if (t.name.empty()) return r.Error(at, field, "empty name");
    uint32_t n_dims = 0;
    if (auto s = r.Read(field + " n_dims", &n_dims); !s.ok()) return s;
    if (n_dims == 0 || n_dims > kMaxDims) {
      return r.Error(at, field, absl::StrCat(n_dims, " dimensions (1 to ", kMaxDims, " allowed)"));
    }
    t.dims.resize(n_dims);
    t.n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      if (auto s = r.Read(absl::StrCat(field, " dim ", d), &t.dims[d]); !s.ok()) return s;
      if (t.dims[d] == 0) return r.Error(at, field, absl::StrCat("dimension ", d, " is 0"));
      if (MulOverflows(t.n_elements, t.dims[d], &t.n_elements) ||
          t.n_elements > (uint64_t(1) << 50)) {
        return r.Error(at, field, "the product of its dimensions overflows");
      }
    }
    uint32_t type_id = 0;
    if (auto s = r.Read(field + " type", &type_id); !s.ok()) return s;
    const TensorTypeInfo* info = FindTensorType(type_id);
    if (info == nullptr) return r.Error(at, field, absl::StrCat("unknown tensor type ", type_id));
    t.type = info->type;
    if (t.dims[0] % info->block_size != 0) {
      return r.Error(at, field, absl::StrCat("row length ", t.dims[0], " is not a multiple of the ",
                                             info->name, " block size ", info->block_size));
    }
    t.n_bytes = t.n_elements / info->block_size * info->block_bytes;
    if (auto s = r.Read(field + " offset", &t.offset); !s.ok()) return s;
    if (t.offset % alignment_ != 0) {
      return r.Error(at, field, absl::StrCat("data offset ", t.offset, " is not a multiple of the alignment ",
                                             alignment_));
    }
    if (!tensor_index_.emplace(t.name, tensors_.size()).second) {
      return r.Error(at, field, "duplicate tensor name");
    }
    tensors_.push_back(std::move(t));
  }

  data_offset_ = (r.pos() + alignment_ - 1) / alignment_ * alignment_;
  if (n_tensors > 0 && data_offset_ > size_) {
    return r.Error(r.pos(), "data section", "the file ends before its data section");
  }
  // Every tensor inside the file, none overlapping another.
  std::vector<const GgufTensor*> by_offset;
  for (GgufTensor& t : tensors_) {
    const uint64_t available = size_ - std::min(size_, data_offset_);
    if (t.offset > available || t.n_bytes > available - t.offset) {
      return absl::InvalidArgumentError(absl::StrCat(
          path_, ": tensor '", t.name, "': data [", data_offset_ + t.offset, ", ",
          data_offset_ + t.offset + t.n_bytes, ") runs past the end of the file (", size_, " bytes)"));
    }
    t.data = bytes_ + data_offset_ + t.offset;
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
  for (size_t k = 1; k < by_offset.size(); ++k) {
    const GgufTensor& prev = *by_offset[k - 1];
    if (by_offset[k]->offset < prev.offset + prev.n_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": tensor '", by_offset[k]->name,
                                                     "': data overlaps tensor '", prev.name, "'"));
    }
  }
  return absl::OkStatus();
}

const GgufValue* GgufFile::Find(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> GgufFile::GetString(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (!v) return absl::NotFoundError(absl::StrCat(path_, ": metadata '", key, "' is missing"));
  if (v->type != ValueType::kString) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": metadata '", key, "' is ",
                                                   ValueTypeName(v->type), ", not a string"));
  }
  return v->str;
}

absl::StatusOr<uint64_t> GgufFile::GetUint(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (!v) return absl::NotFoundError(absl::StrCat(path_, ": metadata '", key, "' is missing"));
  if (!v->IsInteger()) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": metadata '", key, "' is ",
                                                   ValueTypeName(v->type), ", not an integer"));
  }
  const bool is_signed = v->type == ValueType::kInt8 || v->type == ValueType::kInt16 ||
                         v->type == ValueType::kInt32 || v->type == ValueType::kInt64;
  if (is_signed && v->i < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": metadata '", key, "' is negative (", v->i, ")"));
  }
  return v->u;
}

absl::StatusOr<double> GgufFile::GetFloat(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (!v) return absl::NotFoundError(absl::StrCat(path_, ": metadata '", key, "' is missing"));
  if (v->IsFloat()) {
    if (!std::isfinite(v->f)) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": metadata '", key, "' is not finite"));
    }
    return v->f;
  }
  if (v->IsInteger()) return static_cast<double>(v->i);
  return absl::InvalidArgumentError(absl::StrCat(path_, ": metadata '", key, "' is ",
                                                 ValueTypeName(v->type), ", not a number"));
}

absl::StatusOr<bool> GgufFile::GetBool(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (!v) return absl::NotFoundError(absl::StrCat(path_, ": metadata '", key, "' is missing"));
  if (v->type != ValueType::kBool) {
    return absl::InvalidArgumentError(absl::StrCat(path_, ": metadata '", key, "' is ",
                                                   ValueTypeName(v->type), ", not a bool"));
  }
  return v->u != 0;
}

const GgufTensor* GgufFile::FindTensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

uint64_t GgufFile::TensorDataBytes() const {
  uint64_t total = 0;
  for (const GgufTensor& t : tensors_) total += t.n_bytes;
  return total;
}

}  // namespace gguf

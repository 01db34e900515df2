#include "common/gguf/gguf_writer.h"

#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/gguf/gguf_file.h"

namespace gguf {
namespace {

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

void PutString(std::string* out, const std::string& s) {
  Put<uint64_t>(out, s.size());
  out->append(s);
}

void PutValue(std::string* out, const GgufValue& v) {
  switch (v.type) {
    case ValueType::kUint8: Put<uint8_t>(out, v.u); break;
    case ValueType::kInt8: Put<int8_t>(out, v.i); break;
    case ValueType::kUint16: Put<uint16_t>(out, v.u); break;
    case ValueType::kInt16: Put<int16_t>(out, v.i); break;
    case ValueType::kUint32: Put<uint32_t>(out, v.u); break;
    case ValueType::kInt32: Put<int32_t>(out, v.i); break;
    case ValueType::kUint64: Put<uint64_t>(out, v.u); break;
    case ValueType::kInt64: Put<int64_t>(out, v.i); break;
    case ValueType::kFloat32: Put<float>(out, static_cast<float>(v.f)); break;
    case ValueType::kFloat64: Put<double>(out, v.f); break;
    case ValueType::kBool: Put<uint8_t>(out, v.u ? 1 : 0); break;
    case ValueType::kString: PutString(out, v.str); break;
    case ValueType::kArray:
      Put<uint32_t>(out, static_cast<uint32_t>(v.element_type));
      Put<uint64_t>(out, v.array.size());
      for (const GgufValue& e : v.array) PutValue(out, e);
      break;
  }
}

uint64_t AlignUp(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

void GgufWriter::Set(const std::string& key, GgufValue value) {
  for (auto& [k, v] : metadata_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(value));
}

void GgufWriter::SetStringArray(const std::string& key, const std::vector<std::string>& v) {
  std::vector<GgufValue> values;
  values.reserve(v.size());
  for (const std::string& s : v) values.push_back(GgufValue::String(s));
  Set(key, GgufValue::Array(ValueType::kString, std::move(values)));
}

void GgufWriter::SetInt32Array(const std::string& key, const std::vector<int32_t>& v) {
  std::vector<GgufValue> values;
  values.reserve(v.size());
  for (int32_t x : v) values.push_back(GgufValue::Int(ValueType::kInt32, x));
  Set(key, GgufValue::Array(ValueType::kInt32, std::move(values)));
}

void GgufWriter::SetFloat32Array(const std::string& key, const std::vector<float>& v) {
  std::vector<GgufValue> values;
  values.reserve(v.size());
  for (float x : v) values.push_back(GgufValue::Float(ValueType::kFloat32, x));
  Set(key, GgufValue::Array(ValueType::kFloat32, std::move(values)));
}

absl::StatusOr<uint64_t> GgufWriter::CheckedBytes(const std::string& name, const std::vector<uint64_t>& dims,
                                                   GgmlType type) const {
  if (dims.empty() || dims.size() > kMaxDims) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": 1 to 4 dimensions"));
  }
  uint64_t rows = 1;
  for (size_t d = 1; d < dims.size(); ++d) rows *= dims[d];
  auto row_bytes = RowBytes(type, dims[0]);
  if (!row_bytes.ok()) return absl::InvalidArgumentError(absl::StrCat(name, ": ", row_bytes.status().message()));
  return *row_bytes * rows;
}

absl::Status GgufWriter::AddTensor(const std::string& name, const std::vector<uint64_t>& dims,
                                   GgmlType type, std::vector<uint8_t> data) {
  auto bytes = CheckedBytes(name, dims, type);
  if (!bytes.ok()) return bytes.status();
  if (data.size() != *bytes) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", data.size(), " bytes given, ", *bytes, " expected"));
  }
  tensors_.push_back({name, dims, type, *bytes, std::move(data), nullptr});
  return absl::OkStatus();
}

absl::Status GgufWriter::AddDeferredTensor(const std::string& name, const std::vector<uint64_t>& dims,
                                           GgmlType type, TensorProducer produce) {
  auto bytes = CheckedBytes(name, dims, type);
  if (!bytes.ok()) return bytes.status();
  tensors_.push_back({name, dims, type, *bytes, {}, std::move(produce)});
  return absl::OkStatus();
}

absl::StatusOr<const std::vector<uint8_t>*> GgufWriter::Bytes(const Tensor& t, std::vector<uint8_t>* made) const {
  if (!t.produce) return &t.data;
  auto data = t.produce();
  if (!data.ok()) return data.status();
  if (data->size() != t.bytes) {
    return absl::InternalError(absl::StrCat(t.name, ": ", data->size(), " bytes made, ", t.bytes, " expected"));
  }
  *made = *std::move(data);
  return made;
}

std::string GgufWriter::SerializeHeader() const {
  std::string out;
  Put<uint32_t>(&out, kGgufMagic);
  Put<uint32_t>(&out, 3);
  Put<uint64_t>(&out, tensors_.size());
  const bool custom_alignment = alignment_ != kDefaultAlignment;
  Put<uint64_t>(&out, metadata_.size() + (custom_alignment ? 1 : 0));
  for (const auto& [key, value] : metadata_) {
    PutString(&out, key);
    Put<uint32_t>(&out, static_cast<uint32_t>(value.type));
    PutValue(&out, value);
  }
  if (custom_alignment) {
    PutString(&out, "general.alignment");
    Put<uint32_t>(&out, static_cast<uint32_t>(ValueType::kUint32));
    Put<uint32_t>(&out, alignment_);
  }
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    PutString(&out, t.name);
    Put<uint32_t>(&out, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) Put<uint64_t>(&out, d);
    Put<uint32_t>(&out, static_cast<uint32_t>(t.type));
    Put<uint64_t>(&out, offset);
    offset = AlignUp(offset + t.bytes, alignment_);
  }
  out.resize(AlignUp(out.size(), alignment_), '\0');
  return out;
}

std::string GgufWriter::Serialize() const {
  std::string out = SerializeHeader();
  for (const Tensor& t : tensors_) {
    std::vector<uint8_t> made;
    auto data = Bytes(t, &made);
    if (!data.ok()) return "";
    out.append(reinterpret_cast<const char*>((*data)->data()), (*data)->size());
    out.resize(AlignUp(out.size(), alignment_), '\0');
  }
  return out;
}

absl::Status GgufWriter::WriteFile(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const std::string header = SerializeHeader();
  out.write(header.data(), header.size());
  const std::string padding(alignment_, '\0');
  for (const Tensor& t : tensors_) {
    std::vector<uint8_t> made;
    auto data = Bytes(t, &made);
    if (!data.ok()) return data.status();
    out.write(reinterpret_cast<const char*>((*data)->data()), (*data)->size());
    out.write(padding.data(), AlignUp(t.bytes, alignment_) - t.bytes);
  }
  out.flush();
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": cannot write"));
  return absl::OkStatus();
}

}  // namespace gguf

#include "common/gguf/gguf_value.h"

#include <utility>

namespace gguf {

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kUint8: return "uint8";
    case ValueType::kInt8: return "int8";
    case ValueType::kUint16: return "uint16";
    case ValueType::kInt16: return "int16";
    case ValueType::kUint32: return "uint32";
    case ValueType::kInt32: return "int32";
    case ValueType::kFloat32: return "float32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kUint64: return "uint64";
    case ValueType::kInt64: return "int64";
    case ValueType::kFloat64: return "float64";
  }
  return "unknown";
}

bool IsKnownValueType(uint32_t id) { return id <= 12; }

int ScalarSize(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool: return 1;
    case ValueType::kUint16:
    case ValueType::kInt16: return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32: return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64: return 8;
    case ValueType::kString:
    case ValueType::kArray: return 0;
  }
  return 0;
}

bool GgufValue::IsInteger() const {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kUint16:
    case ValueType::kInt16:
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kUint64:
    case ValueType::kInt64: return true;
    default: return false;
  }
}

GgufValue GgufValue::Uint(ValueType type, uint64_t v) {
  GgufValue value;
  value.type = type;
  value.u = v;
  value.i = static_cast<int64_t>(v);
  return value;
}

GgufValue GgufValue::Int(ValueType type, int64_t v) {
  GgufValue value;
  value.type = type;
  value.i = v;
  value.u = static_cast<uint64_t>(v);
  return value;
}

GgufValue GgufValue::Float(ValueType type, double v) {
  GgufValue value;
  value.type = type;
  value.f = v;
  return value;
}

GgufValue GgufValue::Bool(bool v) {
  GgufValue value;
  value.type = ValueType::kBool;
  value.u = v ? 1 : 0;
  return value;
}

GgufValue GgufValue::String(std::string v) {
  GgufValue value;
  value.type = ValueType::kString;
  value.str = std::move(v);
  return value;
}

GgufValue GgufValue::Array(ValueType element_type, std::vector<GgufValue> values) {
  GgufValue value;
  value.type = ValueType::kArray;
  value.element_type = element_type;
  value.array = std::move(values);
  return value;
}

}  // namespace gguf

// One GGUF metadata value: a scalar, a string, or an array of values (arrays
// may nest).
#ifndef APR_COMMON_GGUF_GGUF_VALUE_H_
#define APR_COMMON_GGUF_GGUF_VALUE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace gguf {

// Values are the type ids stored in GGUF files.
enum class ValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5,
  kFloat32 = 6, kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11,
  kFloat64 = 12,
};

const char* ValueTypeName(ValueType type);
bool IsKnownValueType(uint32_t id);
// Bytes a scalar of `type` takes in a file; 0 for string and array.
int ScalarSize(ValueType type);

struct GgufValue {
  ValueType type = ValueType::kUint8;
  // Scalars: integers in `u` (unsigned) or `i` (signed), floats in `f`.
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string str;
  ValueType element_type = ValueType::kUint8;  // for arrays
  std::vector<GgufValue> array;

  bool IsInteger() const;
  bool IsFloat() const { return type == ValueType::kFloat32 || type == ValueType::kFloat64; }

  static GgufValue Uint(ValueType type, uint64_t v);
  static GgufValue Int(ValueType type, int64_t v);
  static GgufValue Float(ValueType type, double v);
  static GgufValue Bool(bool v);
  static GgufValue String(std::string v);
  static GgufValue Array(ValueType element_type, std::vector<GgufValue> values);
};

}  // namespace gguf

#endif  // APR_COMMON_GGUF_GGUF_VALUE_H_

// The KV cache: per layer and KV head, the keys (and values) of every cached
// position as one contiguous run of rows, in the cache's element type
// (llama.cpp's --cache-type-k/-v, keys and values each their own): F32,
// IEEE halves, bfloat16, or Q8_0 blocks, which halve or quarter the bytes
// attention reads per position.
//
//   KvCache cache(config, /*max_context=*/4096, {KvCacheType::kQ8_0, KvCacheType::kF16});
//   cache.Store(layer, kv_head, position, key, value);   // head_dim floats each
//   simd::KvRows keys = cache.Keys(layer, kv_head, first);
#ifndef APR_COMMON_MODEL_KV_CACHE_H_
#define APR_COMMON_MODEL_KV_CACHE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/gguf/tensor_type.h"
#include "common/model/model_config.h"
#include "common/quant/weight_buffer.h"
#include "common/simd/float_ops.h"

namespace model {

enum class KvCacheType { kF32, kF16, kBF16, kQ8_0 };
const char* KvCacheTypeName(KvCacheType type);
// "f32", "f16", "bf16" or "q8_0"; InvalidArgument naming them otherwise.
absl::StatusOr<KvCacheType> ParseKvCacheType(const std::string& name);

// The keys' type and the values'; one type converts to both.
struct KvCacheTypes {
  KvCacheType key = KvCacheType::kF16, value = KvCacheType::kF16;
  KvCacheTypes() = default;
  KvCacheTypes(KvCacheType both) : key(both), value(both) {}  // NOLINT: one type means both
  KvCacheTypes(KvCacheType key_type, KvCacheType value_type) : key(key_type), value(value_type) {}
  bool mixed() const { return key != value; }
  bool operator==(const KvCacheTypes&) const = default;
};
// "f16" for one type, "q8_0/f16" (keys/values) for two.
std::string KvCacheTypesName(KvCacheTypes types);

// Bytes per cached value: 4, 2, 2, or 34 / 32 for Q8_0's blocks; for keys
// and values of two types the mean (attention reads as many of each).
double KvCacheBytesPerElement(KvCacheTypes types);
// Whether a model's heads fit the types: Q8_0 needs head_dim % 32 == 0.
absl::Status CheckKvCacheType(const ModelConfig& config, KvCacheTypes types);

class KvCache {
 public:
  // The types must pass CheckKvCacheType for `config`.
  KvCache(const ModelConfig& config, int max_context, KvCacheTypes types);

  // Caches head_dim floats of key and value at `position`, converted to
  // their types (Q8_0: a scale per 32 values, amax / 127, as the format does).
  void Store(int layer, int64_t kv_head, int64_t position, const float* key, const float* value);
  // The rows of one KV head from `first` on.
  simd::KvRows Keys(int layer, int64_t kv_head, int64_t first) const;
  simd::KvRows Values(int layer, int64_t kv_head, int64_t first) const;
  // Positions [0, positions) of every layer and head copied from `other`
  // (same model and context), converted to this cache's types.
  void CopyFrom(const KvCache& other, int64_t positions);
  // Positions [filled, positions) set to copies of positions [0, filled),
  // in order.
  void Repeat(int64_t filled, int64_t positions);

  KvCacheTypes types() const { return {keys_.type, values_.type}; }

 private:
  // The keys, or the values: rows of one type, per layer.
  struct Rows {
    KvCacheType type;
    simd::KvElement element;
    size_t row_bytes;
    // On huge pages where the kernel grants them: decode streams a deep
    // cache like the weights (4-16% faster than 4 KiB pages, F16 12-14%, one
    // thread at 131072 positions, docs/lab-notes/2026-12-zen5.md).
    std::vector<quant::WeightBuffer> layers;
  };
  Rows MakeRows(KvCacheType type, int n_layers) const;
  size_t Offset(const Rows& rows, int64_t kv_head, int64_t position) const {
    return (size_t(kv_head) * size_t(max_context_) + size_t(position)) * rows.row_bytes;
  }
  void FromFloats(KvCacheType type, const float* x, uint8_t* row) const;
  void ToFloats(KvCacheType type, const uint8_t* row, float* out) const;

  int64_t head_dim_, n_kv_heads_, max_context_;
  Rows keys_, values_;
};

}  // namespace model

#endif  // APR_COMMON_MODEL_KV_CACHE_H_

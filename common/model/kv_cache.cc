#include "common/model/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/quant/blocks.h"
#include "common/quant/dequantize.h"
#include "common/quant/quantize.h"

namespace model {
namespace {

static_assert(sizeof(quant::BlockQ8_0) == 34, "a Q8_0 cache row is hd / 32 blocks of 34 bytes");

simd::KvElement ElementOf(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF32: return simd::KvElement::kF32;
    case KvCacheType::kF16: return simd::KvElement::kF16;
    case KvCacheType::kBF16: return simd::KvElement::kBF16;
    case KvCacheType::kQ8_0: return simd::KvElement::kQ8_0;
  }
  return simd::KvElement::kF32;
}

}  // namespace

const char* KvCacheTypeName(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF32: return "f32";
    case KvCacheType::kF16: return "f16";
    case KvCacheType::kBF16: return "bf16";
    case KvCacheType::kQ8_0: return "q8_0";
  }
  return "?";
}

absl::StatusOr<KvCacheType> ParseKvCacheType(const std::string& name) {
  for (KvCacheType type : {KvCacheType::kF32, KvCacheType::kF16, KvCacheType::kBF16, KvCacheType::kQ8_0}) {
    if (name == KvCacheTypeName(type)) return type;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown KV cache type '", name, "' (supported: f32, f16, bf16, q8_0)"));
}

double KvCacheBytesPerElement(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF32: return 4;
    case KvCacheType::kF16:
    case KvCacheType::kBF16: return 2;
    case KvCacheType::kQ8_0: return 34.0 / 32;
  }
  return 4;
}

absl::Status CheckKvCacheType(const ModelConfig& config, KvCacheType type) {
  if (type == KvCacheType::kQ8_0 && config.head_dim % quant::kQK != 0) {
    return absl::InvalidArgumentError(absl::StrCat("a q8_0 KV cache needs a head size that is a multiple of 32; ",
                                                   config.name, " has ", config.head_dim));
  }
  return absl::OkStatus();
}

KvCache::KvCache(const ModelConfig& config, int max_context, KvCacheType type)
    : head_dim_(config.head_dim),
      n_kv_heads_(config.n_kv_heads),
      max_context_(max_context),
      type_(type),
      element_(ElementOf(type)) {
  row_bytes_ = type == KvCacheType::kQ8_0 ? size_t(head_dim_) / quant::kQK * sizeof(quant::BlockQ8_0)
                                          : size_t(head_dim_) * size_t(KvCacheBytesPerElement(type));
  const size_t bytes = size_t(n_kv_heads_) * size_t(max_context_) * row_bytes_;
  keys_.assign(config.n_layers, std::vector<uint8_t>(bytes));
  values_.assign(config.n_layers, std::vector<uint8_t>(bytes));
}

// The cache's types are row formats quant already reads and writes.
gguf::GgmlType KvCache::RowType() const {
  switch (type_) {
    case KvCacheType::kF32: return gguf::GgmlType::kF32;
    case KvCacheType::kF16: return gguf::GgmlType::kF16;
    case KvCacheType::kBF16: return gguf::GgmlType::kBF16;
    case KvCacheType::kQ8_0: return gguf::GgmlType::kQ8_0;
  }
  return gguf::GgmlType::kF32;
}

void KvCache::FromFloats(const float* x, uint8_t* row) const {
  // Cannot fail: the type is one QuantizeRow handles, head_dim whole blocks
  // of it (CheckKvCacheType).
  quant::QuantizeRow(RowType(), x, row, head_dim_).IgnoreError();
}

void KvCache::ToFloats(const uint8_t* row, float* out) const {
  quant::DequantizeRow(RowType(), row, out, head_dim_).IgnoreError();
}

void KvCache::Store(int layer, int64_t kv_head, int64_t position, const float* key, const float* value) {
  const size_t at = Offset(kv_head, position);
  FromFloats(key, keys_[layer].data() + at);
  FromFloats(value, values_[layer].data() + at);
}

simd::KvRows KvCache::Keys(int layer, int64_t kv_head, int64_t first) const {
  return {keys_[layer].data() + Offset(kv_head, first), row_bytes_, element_};
}

simd::KvRows KvCache::Values(int layer, int64_t kv_head, int64_t first) const {
  return {values_[layer].data() + Offset(kv_head, first), row_bytes_, element_};
}

void KvCache::CopyFrom(const KvCache& other, int64_t positions) {
  std::vector<float> key(head_dim_), value(head_dim_);
  for (size_t layer = 0; layer < keys_.size(); ++layer) {
    for (int64_t h = 0; h < n_kv_heads_; ++h) {
      if (other.type_ == type_) {
        const size_t from = other.Offset(h, 0), to = Offset(h, 0), bytes = size_t(positions) * row_bytes_;
        std::memcpy(keys_[layer].data() + to, other.keys_[layer].data() + from, bytes);
        std::memcpy(values_[layer].data() + to, other.values_[layer].data() + from, bytes);
        continue;
      }
      for (int64_t p = 0; p < positions; ++p) {
        const size_t from = other.Offset(h, p);
        other.ToFloats(other.keys_[layer].data() + from, key.data());
        other.ToFloats(other.values_[layer].data() + from, value.data());
        Store(static_cast<int>(layer), h, p, key.data(), value.data());
      }
    }
  }
}

void KvCache::Repeat(int64_t filled, int64_t positions) {
  for (size_t layer = 0; layer < keys_.size(); ++layer) {
    for (int64_t h = 0; h < n_kv_heads_; ++h) {
      for (int64_t p = filled; p < positions; p += filled) {
        const size_t bytes = size_t(std::min(filled, positions - p)) * row_bytes_;
        std::memcpy(keys_[layer].data() + Offset(h, p), keys_[layer].data() + Offset(h, 0), bytes);
        std::memcpy(values_[layer].data() + Offset(h, p), values_[layer].data() + Offset(h, 0), bytes);
      }
    }
  }
}

}  // namespace model

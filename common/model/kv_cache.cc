#include "common/model/kv_cache.h"

#include <algorithm>
#include <cstring>
#include <utility>

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

double BytesPerElement(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF32: return 4;
    case KvCacheType::kF16:
    case KvCacheType::kBF16: return 2;
    case KvCacheType::kQ8_0: return 34.0 / 32;
  }
  return 4;
}

// The cache's types are row formats quant already reads and writes.
gguf::GgmlType RowType(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF32: return gguf::GgmlType::kF32;
    case KvCacheType::kF16: return gguf::GgmlType::kF16;
    case KvCacheType::kBF16: return gguf::GgmlType::kBF16;
    case KvCacheType::kQ8_0: return gguf::GgmlType::kQ8_0;
  }
  return gguf::GgmlType::kF32;
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

std::string KvCacheTypesName(KvCacheTypes types) {
  if (!types.mixed()) return KvCacheTypeName(types.key);
  return absl::StrCat(KvCacheTypeName(types.key), "/", KvCacheTypeName(types.value));
}

double KvCacheBytesPerElement(KvCacheTypes types) {
  return (BytesPerElement(types.key) + BytesPerElement(types.value)) / 2;
}

absl::Status CheckKvCacheType(const ModelConfig& config, KvCacheTypes types) {
  if ((types.key == KvCacheType::kQ8_0 || types.value == KvCacheType::kQ8_0) && config.head_dim % quant::kQK != 0) {
    return absl::InvalidArgumentError(absl::StrCat("a q8_0 KV cache needs a head size that is a multiple of 32; ",
                                                   config.name, " has ", config.head_dim));
  }
  return absl::OkStatus();
}

KvCache::KvCache(const ModelConfig& config, int max_context, KvCacheTypes types)
    : head_dim_(config.head_dim), n_kv_heads_(config.n_kv_heads), max_context_(max_context) {
  keys_ = MakeRows(types.key, static_cast<int>(config.n_layers));
  values_ = MakeRows(types.value, static_cast<int>(config.n_layers));
}

KvCache::Rows KvCache::MakeRows(KvCacheType type, int n_layers) const {
  Rows rows{type, ElementOf(type), 0, {}};
  rows.row_bytes = type == KvCacheType::kQ8_0 ? size_t(head_dim_) / quant::kQK * sizeof(quant::BlockQ8_0)
                                              : size_t(head_dim_) * size_t(BytesPerElement(type));
  for (int layer = 0; layer < n_layers; ++layer) {
    rows.layers.emplace_back(size_t(n_kv_heads_) * size_t(max_context_) * rows.row_bytes);
  }
  return rows;
}

void KvCache::FromFloats(KvCacheType type, const float* x, uint8_t* row) const {
  // Cannot fail: the type is one QuantizeRow handles, head_dim whole blocks
  // of it (CheckKvCacheType).
  quant::QuantizeRow(RowType(type), x, row, head_dim_).IgnoreError();
}

void KvCache::ToFloats(KvCacheType type, const uint8_t* row, float* out) const {
  quant::DequantizeRow(RowType(type), row, out, head_dim_).IgnoreError();
}

void KvCache::Store(int layer, int64_t kv_head, int64_t position, const float* key, const float* value) {
  FromFloats(keys_.type, key, keys_.layers[layer].data() + Offset(keys_, kv_head, position));
  FromFloats(values_.type, value, values_.layers[layer].data() + Offset(values_, kv_head, position));
}

simd::KvRows KvCache::Keys(int layer, int64_t kv_head, int64_t first) const {
  return {keys_.layers[layer].data() + Offset(keys_, kv_head, first), keys_.row_bytes, keys_.element};
}

simd::KvRows KvCache::Values(int layer, int64_t kv_head, int64_t first) const {
  return {values_.layers[layer].data() + Offset(values_, kv_head, first), values_.row_bytes, values_.element};
}

void KvCache::CopyFrom(const KvCache& other, int64_t positions) {
  std::vector<float> x(head_dim_);
  for (auto [from, to] : {std::pair{&other.keys_, &keys_}, {&other.values_, &values_}}) {
    for (size_t layer = 0; layer < to->layers.size(); ++layer) {
      for (int64_t h = 0; h < n_kv_heads_; ++h) {
        const uint8_t* src = from->layers[layer].data();
        uint8_t* dst = to->layers[layer].data();
        if (from->type == to->type) {
          std::memcpy(dst + Offset(*to, h, 0), src + other.Offset(*from, h, 0), size_t(positions) * to->row_bytes);
          continue;
        }
        for (int64_t p = 0; p < positions; ++p) {
          ToFloats(from->type, src + other.Offset(*from, h, p), x.data());
          FromFloats(to->type, x.data(), dst + Offset(*to, h, p));
        }
      }
    }
  }
}

void KvCache::Repeat(int64_t filled, int64_t positions) {
  for (Rows* rows : {&keys_, &values_}) {
    for (quant::WeightBuffer& layer : rows->layers) {
      for (int64_t h = 0; h < n_kv_heads_; ++h) {
        for (int64_t p = filled; p < positions; p += filled) {
          const size_t bytes = size_t(std::min(filled, positions - p)) * rows->row_bytes;
          std::memcpy(layer.data() + Offset(*rows, h, p), layer.data() + Offset(*rows, h, 0), bytes);
        }
      }
    }
  }
}

}  // namespace model

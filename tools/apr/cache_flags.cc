#include "tools/apr/cache_flags.h"

#include "absl/strings/str_cat.h"

namespace apr {

void CacheFlags::AddTo(ArgParser& parser) {
  parser.AddString("cache-type-k", &k, "f32|f16|bf16|q8_0", "KV cache type of the keys (default f16)");
  parser.AddString("cache-type-v", &v, "f32|f16|bf16|q8_0", "KV cache type of the values (default f16)");
  parser.AddAlias("-ctk", "cache-type-k");
  parser.AddAlias("-ctv", "cache-type-v");
}

absl::StatusOr<model::KvCacheType> CacheFlags::Resolve() const {
  auto key = model::ParseKvCacheType(k);
  if (!key.ok()) return key.status();
  auto value = model::ParseKvCacheType(v);
  if (!value.ok()) return value.status();
  if (*key != *value) {
    return absl::UnimplementedError(absl::StrCat("keys and values in different cache types (", k, ", ", v,
                                                 ") are not supported; give both the same type"));
  }
  return *key;
}

}  // namespace apr

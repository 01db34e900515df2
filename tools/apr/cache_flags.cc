#include "tools/apr/cache_flags.h"

namespace apr {

void CacheFlags::AddTo(ArgParser& parser) {
  parser.AddString("cache-type-k", &k, "f32|f16|bf16|q8_0", "KV cache type of the keys (default f16)");
  parser.AddString("cache-type-v", &v, "f32|f16|bf16|q8_0", "KV cache type of the values (default f16)");
  parser.AddAlias("-ctk", "cache-type-k");
  parser.AddAlias("-ctv", "cache-type-v");
}

absl::StatusOr<model::KvCacheTypes> CacheFlags::Resolve() const {
  auto key = model::ParseKvCacheType(k);
  if (!key.ok()) return key.status();
  auto value = model::ParseKvCacheType(v);
  if (!value.ok()) return value.status();
  return model::KvCacheTypes(*key, *value);
}

}  // namespace apr

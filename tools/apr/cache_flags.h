// The KV cache's element type, as llama.cpp's tools take it:
// --cache-type-k / --cache-type-v (-ctk / -ctv), f16 by default.
#ifndef APR_TOOLS_APR_CACHE_FLAGS_H_
#define APR_TOOLS_APR_CACHE_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/model/forward.h"
#include "tools/apr/args.h"

namespace apr {

struct CacheFlags {
  std::string k = "f16", v = "f16";
  void AddTo(ArgParser& parser);
  // The cache type both name; keys and values in different types are
  // refused (the engine's attention reads one type for both).
  absl::StatusOr<model::KvCacheType> Resolve() const;
};

}  // namespace apr

#endif  // APR_TOOLS_APR_CACHE_FLAGS_H_

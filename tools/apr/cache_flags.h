// The KV cache's element types, as llama.cpp's tools take them:
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
  // The keys' and the values' types (InvalidArgument for a name that is none).
  absl::StatusOr<model::KvCacheTypes> Resolve() const;
};

}  // namespace apr

#endif  // APR_TOOLS_APR_CACHE_FLAGS_H_

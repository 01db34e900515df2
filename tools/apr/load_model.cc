#include "tools/apr/load_model.h"

#include <cstdint>
#include <cstdio>

#include "common/quant/decode_prefetch_tuning.h"

namespace apr {

absl::StatusOr<std::unique_ptr<model::ModelWeights>> LoadModel(const std::string& command, const std::string& path,
                                                               bool f16_as_bf16) {
  auto weights = model::ModelWeights::Load(path, /*repack=*/true, model::ModelWeights::kMachineBudget, f16_as_bf16);
  if (weights.ok() && f16_as_bf16) {
    std::fprintf(stderr, "apr %s: %d F16 matrices rounded to bf16 (--f16-as-bf16)\n", command.c_str(),
                 (*weights)->rounded_to_bf16());
  }
  if (weights.ok() && (*weights)->in_place_bytes() > 0) {
    std::fprintf(stderr,
                 "apr %s: note: %.2f GiB of the weights are read in place from the file, past the memory available "
                 "for copies (slower kernels; pages the kernel drops are read from disk again)\n",
                 command.c_str(), double((*weights)->in_place_bytes()) / double(uint64_t{1} << 30));
  }
  return weights;
}

void TuneDecodePrefetch(const std::string& command, const model::ModelWeights& weights, parallel::ThreadPool& pool) {
  const quant::DecodePrefetchChoice& c = quant::EnsureDecodePrefetchTuned(pool, [&] { return weights.DecodeMatrices(); });
  std::fprintf(stderr, "apr %s: %s\n", command.c_str(), c.Describe().c_str());
}

}  // namespace apr

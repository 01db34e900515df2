// apr run: evaluate a token sequence and print (or dump) the last logits.
#include <algorithm>
#include <cstdio>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/cpu/cpu_features.h"
#include "common/model/forward.h"
#include "tools/apr/cache_flags.h"
#include "tools/apr/command_util.h"
#include "tools/apr/commands.h"
#include "tools/apr/load_model.h"

namespace apr {

int RunRun(const std::vector<std::string>& args) {
  ArgParser parser("run", "evaluate tokens and report the last position's logits");
  std::string model_path, tokens_text, dump;
  int64_t threads = 0;
  bool f16_as_bf16 = false;
  parser.AddPositional("MODEL.gguf", &model_path, /*required=*/true, /*existing_file=*/true);
  parser.AddString("tokens", &tokens_text, "ID,ID,...", "token ids to evaluate (required)");
  parser.AddString("dump-logits", &dump, "FILE", "write the logits as float32 little-endian");
  parser.AddInt("threads", &threads, 1, 1024, "threads (default: all CPUs)");
  parser.AddAlias("-t", "threads");
  parser.AddFlag("f16-as-bf16", &f16_as_bf16, kF16AsBf16Help);
  CacheFlags cache;
  cache.AddTo(parser);
  int exit_code = 0;
  if (!ParseOrExit(parser, "run", args, &exit_code)) return exit_code;
  auto cache_type = cache.Resolve();
  if (!cache_type.ok()) return Fail("run", cache_type.status());
  std::vector<int32_t> tokens;
  for (absl::string_view part : absl::StrSplit(tokens_text, ',')) {
    int32_t id = 0;
    if (!absl::SimpleAtoi(part, &id)) {
      std::fprintf(stderr, "apr run: --tokens: '%s' is not a token id\n%s", std::string(part).c_str(),
                   parser.Usage().c_str());
      return 2;
    }
    tokens.push_back(id);
  }
  if (tokens_text.empty() || tokens.empty()) {
    std::fprintf(stderr, "apr run: --tokens is required\n%s", parser.Usage().c_str());
    return 2;
  }
  auto weights = LoadModel("run", model_path, f16_as_bf16);
  if (!weights.ok()) return Fail("run", weights.status());
  parallel::ThreadPool pool(threads > 0 ? threads : cpu::AvailableCpus());
  model::Transformer t(**weights, pool, static_cast<int>(tokens.size()), *cache_type);
  std::vector<float> logits;
  if (auto s = t.Prefill(tokens, &logits); !s.ok()) return Fail("run", s);
  const int best = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  std::printf("%zu tokens evaluated; last position: argmax %d (logit %.4f); logits[0..4] =", tokens.size(), best,
              logits[best]);
  for (size_t i = 0; i < std::min<size_t>(5, logits.size()); ++i) std::printf(" %.4f", logits[i]);
  std::printf("\n");
  if (!dump.empty()) {
    const std::string_view bytes(reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float));
    if (auto s = WriteFile(dump, bytes); !s.ok()) return Fail("run", s);
    std::printf("logits (%zu float32) written to %s\n", logits.size(), dump.c_str());
  }
  return 0;
}

}  // namespace apr

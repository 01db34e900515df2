// apr synth: write a deterministic synthetic model of a preset's shape.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/cpu/cpu_features.h"
#include "common/model/model_config.h"
#include "common/model/synth.h"
#include "common/model/tensor_layout.h"
#include "common/report/progress_line.h"
#include "common/report/units.h"
#include "tools/apr/command_util.h"
#include "tools/apr/commands.h"

namespace apr {

int RunSynth(const std::vector<std::string>& args) {
  ArgParser parser("synth", "write a deterministic synthetic GGUF model of a preset's shape");
  std::string preset, scheme = "q4_k_m", out;
  int64_t seed = 1;
  parser.AddString("preset", &preset, "NAME", absl::StrJoin(model::PresetNames(), ", ") + ", ch13-default");
  parser.AddString("type", &scheme, "SCHEME", absl::StrJoin(model::SchemeNames(), " ") + " (default q4_k_m; llama-quantize's file types follow its per-tensor rules)");
  parser.AddString("output", &out, "FILE.gguf", "where to write (required)");
  parser.AddAlias("-o", "output");
  parser.AddInt("seed", &seed, 0, INT64_MAX, "random seed (default 1)");
  int64_t layers = 0;
  parser.AddInt("layers", &layers, 1, 1024, "keep the first N of the preset's layers: the same matrices, quicker to run");
  int exit_code = 0;
  if (!ParseOrExit(parser, "synth", args, &exit_code)) return exit_code;
  if (preset.empty() || out.empty()) {
    std::fprintf(stderr, "apr synth: --preset and -o are required\n%s", parser.Usage().c_str());
    return 2;
  }
  model::ModelConfig config;
  if (preset == "ch13-default") {
    config = model::ChapterDefaultConfig();
  } else {
    auto found = model::FindPreset(preset);
    if (!found.ok()) {
      return Fail("synth", absl::NotFoundError(absl::StrCat(found.status().message(), "; also ch13-default")));
    }
    config = *found;
  }
  if (layers > int64_t{config.n_layers}) {
    std::fprintf(stderr, "apr synth: --layers %lld: %s has %u layers\n", static_cast<long long>(layers),
                 config.name.c_str(), config.n_layers);
    return 2;
  }
  if (layers > 0) config.n_layers = static_cast<uint32_t>(layers);
  parallel::ThreadPool pool(cpu::AvailableCpus());
  report::ProgressLine progress("apr synth: writing " + out);
  auto status = model::WriteSynthModel({config, scheme, static_cast<uint64_t>(seed)}, out, pool,
                                       [&](uint64_t done, uint64_t total) {
                                         progress.Update(absl::StrFormat("%s of %s", report::Bytes(done),
                                                                         report::Bytes(total)));
                                       });
  progress.Done();
  if (!status.ok()) return Fail("synth", status);
  std::printf("wrote %s: %s %s, seed %d\n", out.c_str(), config.name.c_str(), scheme.c_str(), int(seed));
  return 0;
}

}  // namespace apr

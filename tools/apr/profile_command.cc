// apr profile: per-op FLOPs, bytes, intensity and predicted time for decode
// and prefill of a GGUF model (or a preset), on this machine's roofline.
#include <cstdio>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/cost/model_spec.h"
#include "common/cost/prediction.h"
#include "common/calibration/expected_time.h"
#include "common/model/forward.h"
#include "common/model/memory_budget.h"
#include "common/model/tensor_layout.h"
#include "common/report/profile_report.h"
#include "common/report/profile_roofline.h"
#include "tools/apr/cache_flags.h"
#include "tools/apr/calibration_flags.h"
#include "tools/apr/command_util.h"
#include "tools/apr/commands.h"

namespace apr {

int RunProfile(const std::vector<std::string>& args) {
  ArgParser parser("profile", "predict per-op cost of decode and prefill on this machine's roofline");
  std::string model_path, machine_file, preset, scheme = "q4_k_m", svg;
  int64_t ctx = 0, batch = 512, threads = 0;
  bool json = false, bound_only = false;
  parser.AddPositional("MODEL.gguf", &model_path, /*required=*/false, /*existing_file=*/true);
  parser.AddInt("ctx", &ctx, 0, 1 << 20, "decode at this context depth (default 0)");
  parser.AddInt("batch", &batch, 1, 1 << 16, "prefill this many tokens (default 512)");
  parser.AddInt("threads", &threads, 1, 1024, "1 or all (default: the machine profile's threads)");
  parser.AddString("machine", &machine_file, "FILE", "machine profile JSON (default: cached, else measured)");
  parser.AddString("preset", &preset, "NAME", "profile a preset instead of a file (qwen2.5-1.5b, llama-2-7b, ...)");
  parser.AddString("type", &scheme, "SCHEME", "with --preset: " + absl::StrJoin(model::SchemeNames(), " ") + " (default q4_k_m; llama-quantize's file types follow its per-tensor rules)");
  parser.AddFlag("json", &json, "print one JSON object (SI units, raw numbers)");
  parser.AddString("svg", &svg, "FILE", "place layer 0's ops on the roofline, as SVG");
  parser.AddFlag("bound-only", &bound_only, "the roofline bound alone, without the calibrated expected time");
  CacheFlags cache;
  cache.AddTo(parser);
  CalibrationFlags calibration;
  calibration.AddTo(parser);
  int exit_code = 0;
  if (!ParseOrExit(parser, "profile", args, &exit_code)) return exit_code;
  auto cache_type = cache.Resolve();
  if (!cache_type.ok()) return Fail("profile", cache_type.status());
  if (model_path.empty() == preset.empty()) {
    std::fprintf(stderr, "apr profile: give a MODEL.gguf or --preset NAME (one of them)\n%s",
                 parser.Usage().c_str());
    return 2;
  }

  auto spec = model_path.empty() ? cost::SpecFromPreset(preset, scheme) : cost::SpecFromGgufFile(model_path);
  if (!spec.ok()) return Fail("profile", spec.status());
  spec->kv_bytes_per_element = model::KvCacheBytesPerElement(*cache_type);
  auto machine = LoadMachine(machine_file);
  if (!machine.ok()) return Fail("profile", machine.status());
  const int t = threads > 0 ? static_cast<int>(threads) : machine->threads;

  report::ProfileReport r;
  r.spec = &*spec;
  r.machine = &*machine;
  r.ctx = static_cast<uint64_t>(ctx);
  r.batch = static_cast<uint64_t>(batch);
  r.kv_cache_type = model::KvCacheTypesName(*cache_type);
  auto decode = cost::PredictPhase(cost::DecodeOps(*spec, r.ctx), *machine, t, 1);
  if (!decode.ok()) return Fail("profile", decode.status());
  // As the engine evaluates a prompt: in micro-batches.
  auto prefill = cost::PredictPhase(cost::PromptOps(*spec, r.batch, 0, model::kPrefillMicroBatch), *machine, t,
                                    double(r.batch));
  if (!prefill.ok()) return Fail("profile", prefill.status());
  r.decode = *decode;
  r.prefill = *prefill;
  if (!bound_only) {
    auto c = calibration.Load(*spec, t);
    if (!c.ok()) return Fail("profile", c.status());
    for (cost::PhasePrediction* phase : {&r.decode, &r.prefill}) {
      if (auto s = calibration::AddExpected(*c, *spec, r.kv_cache_type, 0, phase); !s.ok()) return Fail("profile", s);
    }
    r.calibration = absl::StrFormat("kernels calibrated %s on %s%s", c->measured_at, c->cpu,
                                    calibration.file().empty() ? "" : ", from " + calibration.file());
  }

  std::printf("%s\n", (json ? report::ProfileJson(r) : report::ProfileText(r)).c_str());
  // The expectation assumes the weights in memory; on this machine now, a
  // model past the copy budget is partly read in place (ModelWeights::Load).
  if (const uint64_t budget = model::CopyBudgetBytes(); machine_file.empty() && spec->WeightBytes() > budget) {
    constexpr double kGiB = double(uint64_t{1} << 30);
    std::fprintf(stderr,
                 "apr profile: note: its weights, %.2f GiB, are more than the %.2f GiB this machine has available "
                 "for them now: the rest would be read in place from the file, slower than expected here\n",
                 double(spec->WeightBytes()) / kGiB, double(budget) / kGiB);
  }
  if (!svg.empty()) {
    const std::string title = absl::StrFormat("%s on %s, %d threads", spec->config.name, machine->cpu, t);
    if (auto s = WriteTextFile(svg, report::RooflineSvg(report::CeilingsOf(*machine),
                                                        report::ProfileRoofPoints(r, 0), title));
        !s.ok()) {
      return Fail("profile", s);
    }
    if (!json) std::printf("Roofline drawn to %s\n", svg.c_str());
  }
  return 0;
}

}  // namespace apr

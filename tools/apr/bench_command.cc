// apr bench: prompt-processing (pp) and token-generation (tg) tokens/s, the
// way llama-bench reports them.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/calibration/expected_time.h"
#include "common/calibration/measure_calibration.h"
#include "common/cost/model_spec.h"
#include "common/cpu/cpu_features.h"
#include "common/roofline/measure.h"
#include "common/model/throughput.h"
#include "common/report/units.h"
#include "nlohmann/json.hpp"
#include "tools/apr/cache_flags.h"
#include "tools/apr/calibration_flags.h"
#include "tools/apr/command_util.h"
#include "tools/apr/commands.h"
#include "tools/apr/load_model.h"

namespace apr {
namespace {

struct Row {
  int n_prompt = 0, n_gen = 0, threads = 1;
  bool serial = false;
  std::vector<double> seconds;
  int depth = 0;
  double expected_tps = 0;  // --expected: from the calibration
  double MeanTps() const { return model::MeanTps(Tokens(), seconds); }
  // llama-bench's names: "pp512", "tg128", "pp512 @ d4096".
  std::string Test() const {
    const std::string test =
        n_prompt > 0 ? absl::StrCat(serial ? "pp-serial" : "pp", n_prompt) : absl::StrCat("tg", n_gen);
    return depth > 0 ? absl::StrCat(test, " @ d", depth) : test;
  }
  int Tokens() const { return n_prompt > 0 ? n_prompt : n_gen; }
};

}  // namespace

int RunBench(const std::vector<std::string>& args) {
  ArgParser parser("bench", "prompt processing (pp) and generation (tg) throughput, like llama-bench");
  std::string model_path, output = "md";
  std::vector<int64_t> prompts = {512}, gens = {128}, depths = {0}, threads_list = {cpu::AvailableCpus()};
  int64_t reps = 5;
  bool serial = false, no_fuse = false, expected = false, f16_as_bf16 = false;
  parser.AddPositional("MODEL.gguf", &model_path, /*required=*/true, /*existing_file=*/true);
  parser.AddIntList("n-prompt", &prompts, 0, 16384, "prompt sizes for pp tests (default 512; 0: none)");
  parser.AddIntList("n-gen", &gens, 0, 16384, "tokens for tg tests (default 128; 0: none)");
  parser.AddIntList("n-depth", &depths, 0, 131072,
                    "tokens already in the cache before each test, prefilled untimed (default 0)");
  parser.AddIntList("threads", &threads_list, 1, 1024, "thread counts (default: all CPUs)");
  parser.AddInt("repetitions", &reps, 1, 1000, "timed repetitions of each test (default 5)");
  parser.AddString("output", &output, "md|json|csv", "output format (default md)");
  parser.AddFlag("serial", &serial, "also run each prompt token by token (pp-serial rows)");
  parser.AddFlag("no-fuse", &no_fuse, "run the FFN's gate and up as two dispatches");
  parser.AddFlag("f16-as-bf16", &f16_as_bf16, kF16AsBf16Help);
  parser.AddFlag("expected", &expected,
                 "print beside each test the tokens/s this machine's calibrated kernels lead to expect (decode "
                 "rescaled to the DRAM read measured just before it)");
  parser.AddAlias("-p", "n-prompt");
  parser.AddAlias("-n", "n-gen");
  parser.AddAlias("-d", "n-depth");
  parser.AddAlias("-t", "threads");
  parser.AddAlias("-r", "repetitions");
  parser.AddAlias("-o", "output");
  CacheFlags cache;
  cache.AddTo(parser);
  CalibrationFlags calibration_flags;
  calibration_flags.AddTo(parser);
  int exit_code = 0;
  if (!ParseOrExit(parser, "bench", args, &exit_code)) return exit_code;
  auto cache_type = cache.Resolve();
  if (!cache_type.ok()) return Fail("bench", cache_type.status());
  const std::string cache_name = model::KvCacheTypesName(*cache_type);
  if (output != "md" && output != "json" && output != "csv") {
    std::fprintf(stderr, "apr bench: -o must be md, json or csv\n%s", parser.Usage().c_str());
    return 2;
  }
  if (std::all_of(prompts.begin(), prompts.end(), [](int64_t p) { return p == 0; }) &&
      std::all_of(gens.begin(), gens.end(), [](int64_t n) { return n == 0; })) {
    std::fprintf(stderr, "apr bench: nothing to measure: every -p and -n is 0\n%s", parser.Usage().c_str());
    return 2;
  }
  if (f16_as_bf16 && expected) {
    std::fprintf(stderr, "apr bench: --expected prices the file's types; it does not go with --f16-as-bf16\n%s",
                 parser.Usage().c_str());
    return 2;
  }
  auto weights = LoadModel("bench", model_path, f16_as_bf16);
  if (!weights.ok()) return Fail("bench", weights.status());
  const model::ModelConfig& c = (*weights)->config();
  int64_t max_ctx = 1;
  for (int64_t p : prompts) max_ctx = std::max(max_ctx, p);
  for (int64_t n : gens) max_ctx = std::max(max_ctx, n);
  max_ctx += *std::max_element(depths.begin(), depths.end());

  model::ForwardOptions options;
  options.fused_ffn = !no_fuse;
  cost::ModelSpec spec;
  std::vector<calibration::Calibration> calibrations;  // one per thread count, with --expected
  std::vector<calibration::Retimer> retimers;
  if (expected) {
    auto s = cost::SpecFromGgufFile(model_path);
    if (!s.ok()) return Fail("bench", s.status());
    spec = *std::move(s);
    spec.kv_bytes_per_element = model::KvCacheBytesPerElement(*cache_type);
    for (int64_t threads : threads_list) {
      auto cal = calibration_flags.Load(spec, static_cast<int>(threads));
      if (!cal.ok()) return Fail("bench", cal.status());
      auto retimer = calibration::Retimer::ForModel(*cal, spec, static_cast<int>(threads));
      if (!retimer.ok()) return Fail("bench", retimer.status());
      calibrations.push_back(*std::move(cal));
      retimers.push_back(*std::move(retimer));
    }
  }
  // The expected tokens/s of a test, when --expected: the calibration's
  // decode points, and the token counts a prompt's micro-batches fall
  // between, timed again before each repetition, and the test's expectation
  // the mean of its repetitions' (this VM's DRAM and its share of the cores
  // drift within minutes, so a cached calibration can be off by 20%, and one
  // timed once before three repetitions of a decode test by 30-40%).
  auto expect = [&](size_t thread_index, int threads, int prompt, int gen, int depth) -> absl::StatusOr<double> {
    if (!expected) return 0.0;
    calibration::Calibration cal = calibrations[thread_index];
    if (auto s = retimers[thread_index].Retime(&cal, calibration::TokensAroundPrompt(prompt)); !s.ok()) return s;
    if (prompt > 0) {
      auto s = calibration::ExpectedSeconds(cal, spec, cost::PromptOps(spec, prompt, depth, model::kPrefillMicroBatch),
                                            prompt, threads, cache_name, 0);
      if (!s.ok()) return s.status();
      return *s > 0 ? prompt / *s : 0;
    }
    auto dram = roofline::MeasureDramReadGbps(threads);
    if (!dram.ok()) return dram.status();
    auto s = calibration::ExpectedSeconds(cal, spec, cost::DecodeOps(spec, depth + gen / 2), 1, threads, cache_name,
                                          *dram);
    if (!s.ok()) return s.status();
    return *s > 0 ? 1 / *s : 0;
  };
  // Before each repetition of a test, its expectation into `*out` (none
  // without --expected or `out`).
  auto expect_each = [&](std::vector<double>* out, size_t thread_index, int threads, int prompt, int gen,
                         int depth) -> model::BeforeRepetition {
    if (!expected || out == nullptr) return nullptr;
    return [=, &expect]() -> absl::Status {
      auto e = expect(thread_index, threads, prompt, gen, depth);
      if (!e.ok()) return e.status();
      out->push_back(*e);
      return absl::OkStatus();
    };
  };
  auto Mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0.0 : sum / v.size();
  };
  std::vector<Row> rows;
  for (size_t ti = 0; ti < threads_list.size(); ++ti) {
    const int64_t threads = threads_list[ti];
    parallel::ThreadPool pool(threads);
    parallel::ScopedAffinity restore;
    parallel::PinCurrentThreadToCpu(0);
    TuneDecodePrefetch("bench", **weights, pool);
    model::Transformer t(**weights, pool, static_cast<int>(max_ctx), *cache_type);
    for (int64_t d64 : depths) {
      const int d = static_cast<int>(d64);
      for (int64_t p : prompts) {
        if (p == 0) continue;
        for (bool ser : serial ? std::vector<bool>{false, true} : std::vector<bool>{false}) {
          std::vector<double> e;
          auto s = model::TimePrompt(t, static_cast<int>(p), static_cast<int>(reps), options, ser, d,
                                     expect_each(ser ? nullptr : &e, ti, static_cast<int>(threads),
                                                 static_cast<int>(p), 0, d));
          if (!s.ok()) return Fail("bench", s.status());
          rows.push_back(Row{static_cast<int>(p), 0, static_cast<int>(threads), ser, *s, d, Mean(e)});
        }
      }
      for (int64_t n : gens) {
        if (n == 0) continue;
        std::vector<double> e;
        auto s = model::TimeGenerate(t, static_cast<int>(n), static_cast<int>(reps), options, d,
                                     expect_each(&e, ti, static_cast<int>(threads), 0, static_cast<int>(n), d));
        if (!s.ok()) return Fail("bench", s.status());
        rows.push_back(Row{0, static_cast<int>(n), static_cast<int>(threads), false, *s, d, Mean(e)});
      }
    }
  }

  const uint64_t size = (*weights)->file().TensorDataBytes();
  uint64_t params = 0;
  for (const gguf::GgufTensor& tensor : (*weights)->file().tensors()) params += tensor.n_elements;
  const std::string name = std::filesystem::path(model_path).filename().string();
  if (output == "json") {
    nlohmann::json j = nlohmann::json::array();
    for (const Row& r : rows) {
      std::vector<double> ns, ts;
      for (double s : r.seconds) {
        ns.push_back(s * 1e9);
        ts.push_back(r.Tokens() / s);
      }
      j.push_back({{"model_filename", model_path}, {"model_type", c.arch}, {"model_size", size},
                   {"model_n_params", params}, {"n_threads", r.threads}, {"n_prompt", r.n_prompt},
                   {"n_gen", r.n_gen}, {"n_depth", r.depth}, {"test", r.Test()}, {"serial", r.serial},
                   {"fused_ffn", !no_fuse}, {"type_k", cache.k}, {"type_v", cache.v},
                   {"avg_ns", model::Mean(ns)}, {"avg_ts", model::MeanTps(r.Tokens(), r.seconds)},
                   {"stddev_ts", model::StddevTps(r.Tokens(), r.seconds)}, {"samples_ns", ns},
                   {"samples_ts", ts}});
      if (expected) j.back()["expected_ts"] = r.expected_tps;
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else if (output == "csv") {
    std::printf("model,size,params,threads,test,n_prompt,n_gen,n_depth,avg_ts,stddev_ts%s\n",
                expected ? ",expected_ts" : "");
    for (const Row& r : rows) {
      std::printf("%s,%llu,%llu,%d,%s,%d,%d,%d,%.3f,%.3f", name.c_str(), (unsigned long long)size,
                  (unsigned long long)params, r.threads, r.Test().c_str(), r.n_prompt, r.n_gen, r.depth,
                  model::MeanTps(r.Tokens(), r.seconds), model::StddevTps(r.Tokens(), r.seconds));
      std::printf(expected ? ",%.3f\n" : "\n", r.expected_tps);
    }
  } else {
    // As llama-bench: the cache's types in columns of their own when not the default.
    const bool cache_columns = cache.k != "f16" || cache.v != "f16";
    const std::string cache_cells = cache_columns ? absl::StrCat(" ", cache.k, " | ", cache.v, " |") : "";
    std::printf("| model | size | params | threads | fused |%s test | t/s |%s\n",
                cache_columns ? " type_k | type_v |" : "", expected ? " expected t/s | measured / expected |" : "");
    std::printf("| --- | ---: | ---: | ---: | --- |%s ---: | ---: |%s\n", cache_columns ? " --- | --- |" : "",
                expected ? " ---: | ---: |" : "");
    for (const Row& r : rows) {
      std::printf("| %s %s | %s | %s | %d | %s |%s %s | %.2f ± %.2f |", c.arch.c_str(), name.c_str(),
                  report::Bytes(size).c_str(), report::Si(params).c_str(), r.threads, no_fuse ? "no" : "yes",
                  cache_cells.c_str(), r.Test().c_str(), r.MeanTps(), model::StddevTps(r.Tokens(), r.seconds));
      if (expected && r.expected_tps > 0) {
        std::printf(" %.2f | %.2f |", r.expected_tps, r.MeanTps() / r.expected_tps);
      } else if (expected) {
        std::printf(" - | - |");
      }
      std::printf("\n");
    }
    std::printf("\n%lld repetitions each after one warm-up; mean ± sample standard deviation\n",
                static_cast<long long>(reps));
  }
  return 0;
}

}  // namespace apr

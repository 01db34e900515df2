// Everything chapter 13 measures, in one run: this machine's roofline, the
// cost model of the default model and of a 7B Q4_K model, and the real
// forward pass of the default model timed every way the chapter compares.
//
//   absl::StatusOr<ChapterRun> run = RunChapter({}, progress);
#ifndef APR_CHAPTERS_CH13_PROFILING_CHAPTER_RUN_H_
#define APR_CHAPTERS_CH13_PROFILING_CHAPTER_RUN_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "chapters/ch13_profiling/fidelity.h"
#include "chapters/ch13_profiling/long_context.h"
#include "chapters/ch13_profiling/moe_prefill.h"
#include "common/cost/op_cost.h"
#include "common/cost/prediction.h"
#include "common/quant/decode_prefetch_tuning.h"
#include "common/report/trace_report.h"
#include "common/roofline/machine_profile.h"

namespace ch13 {

inline constexpr int kPromptTokens = 91;  // the book's prompt
inline constexpr int kGenTokens = 32;

struct ChapterOptions {
  std::string model_path;  // empty: the built-in default, generated once and cached
  int repetitions = 3;
  bool quick_calibration = false;  // instrumented builds: short calibration timings
  int fidelity_rounds = 5;         // rounds of measured against expected (13.4, 13.6), each phase
  std::function<void(const std::string&)> progress;
};

struct Throughput {
  double mean_tps = 0, stddev_tps = 0, median_seconds = 0;
};

struct ChapterRun {
  roofline::MachineProfile machine;
  int threads = 1;
  std::string model_path;
  bool model_generated = false;
  double model_seconds = 0;  // to generate (or 0 when cached)

  cost::ModelSpec model, seven_b;
  cost::PhasePrediction decode_pred, prefill_pred;          // default model
  cost::PhasePrediction seven_b_decode, seven_b_prefill;    // llama-2-7b Q4_K

  report::TraceComparison decode_trace;   // per token, after a 91-token prompt
  report::TraceComparison prefill_trace;  // the 91-token prompt, batched

  Throughput pp, tg;                      // pp91, tg32 (fused FFN)
  Throughput tg_unfused;                  // tg32 with gate and up as two dispatches
  double fused_over_unfused = 0;          // median over alternating pairs of fused / unfused time
  double ffn_dispatches_fused = 0;        // per decoded token, all layers
  double ffn_dispatches_unfused = 0;
  Throughput prefill_serial;              // the 91 tokens one at a time
  double prefill_speedup = 0;             // serial / batched, median over alternating pairs
  MoePrefill moe;                         // 13.6's mixture of experts, the same prompt
  Fidelity fidelity;                      // 13.6: the calibrated expectation of pp, tg and the speedup

  double decode_bytes_per_token = 0;      // weights read per decode token
  double decode_achieved_gbps = 0;        // bytes per token x tg tok/s
  double dram_cached_gbps = 0;            // DRAM read in the cached roofline
  double dram_start_gbps = 0;             // measured before the predictions and the trace
  double dram_now_gbps = 0;               // measured right after the decode timing
  LongContext long_context;               // 13.7: decode at depth, per cache type
  quant::DecodePrefetchChoice decode_prefetch;  // 13.7: decode's software prefetch distance, timed here
  // The roof of the predictions and the trace: the higher of the first two
  // (`machine` holds it).
  double DramGbps() const { return machine.ReadGbps("DRAM", threads); }
};

absl::StatusOr<ChapterRun> RunChapter(const ChapterOptions& options);

// ~/.cache/apr/models/ch13-default-q4_k-seed1.gguf (XDG_CACHE_HOME honoured).
std::string DefaultModelPath();

// The default model's path, generating it first when it is not there yet.
// `*seconds` is the time generation took (0 when cached).
absl::StatusOr<std::string> EnsureDefaultModel(int threads, double* seconds);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_CHAPTER_RUN_H_

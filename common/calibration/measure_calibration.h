// Measures a Calibration: each weight format's matrix products at the
// held-out shapes and token counts (weights cycled through more than the
// last-level cache, as a model streams them), and attention and the other
// engine ops in the real forward pass of four small calibration models (one,
// eight and four query heads per KV head), every KV cache type.
//
//   CalibrateOptions o;
//   o.formats = {GgmlType::kQ4_K, GgmlType::kQ6_K};   // empty: all
//   absl::StatusOr<Calibration> c = LoadOrCalibrate(o, /*remeasure=*/false);
#ifndef APR_COMMON_CALIBRATION_MEASURE_CALIBRATION_H_
#define APR_COMMON_CALIBRATION_MEASURE_CALIBRATION_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/calibration/calibration.h"
#include "common/cost/op_cost.h"
#include "common/gguf/tensor_type.h"

namespace calibration {

struct CalibrateOptions {
  int threads = 0;                       // 0: every CPU this process may use
  std::vector<gguf::GgmlType> formats;   // empty: every format with matrix kernels
  bool quick = false;                    // few, short timings (tests): never cached
  std::string commit = "unknown";        // of the binary measuring, recorded
  std::function<void(const std::string&)> progress;
};

// Every tensor type the engine multiplies (has matrix kernels for).
std::vector<gguf::GgmlType> EngineMatrixTypes();
// The types of `spec`'s matrices the engine multiplies, each once.
std::vector<gguf::GgmlType> MatrixFormats(const cost::ModelSpec& spec);

// The formats in `options` (or all), attention and the engine ops.
absl::StatusOr<Calibration> MeasureCalibration(const CalibrateOptions& options);

// Times a calibration's points again: decode's (one token), with the DRAM
// read around them, and those of the token counts given. For rounds that
// alternate with a measurement set against them, as this VM's DRAM and its
// share of the cores drift within minutes. The matrices' copies are made
// once, so each round reads the same memory.
class Retimer {
 public:
  static absl::StatusOr<Retimer> For(const Calibration& c, int threads, bool quick = false);
  // For the formats of `c` that `spec` multiplies only (a cached calibration
  // holds every format measured here so far).
  static absl::StatusOr<Retimer> ForModel(const Calibration& c, const cost::ModelSpec& spec, int threads,
                                          bool quick = false);
  Retimer(Retimer&&) noexcept;
  Retimer& operator=(Retimer&&) noexcept;
  ~Retimer();
  absl::Status Retime(Calibration* c, const std::vector<int64_t>& batched_tokens = {});
  // The share of the copies' bytes on transparent huge pages now.
  absl::StatusOr<double> HugePageShare() const;
  // The bytes the copies take: every format and shape shares them.
  size_t CopyBytes() const;

 private:
  struct State;
  explicit Retimer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The calibrated token counts a prompt of `prompt` tokens falls between in
// the engine's micro-batches (none for 0): what Retime times again before a
// prompt's expectation.
std::vector<int64_t> TokensAroundPrompt(int64_t prompt);

// The cached calibration when it was measured on this CPU, for this thread
// count, with the kernels this build picks, and holds every format asked
// for; otherwise measures what is missing (everything, when the cache does
// not fit this machine) and caches the result. `*measured` lists what was
// measured now ("" when nothing).
absl::StatusOr<Calibration> LoadOrCalibrate(const CalibrateOptions& options, bool remeasure,
                                            std::string* measured = nullptr);

}  // namespace calibration

#endif  // APR_COMMON_CALIBRATION_MEASURE_CALIBRATION_H_

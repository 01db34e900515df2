// What the engine's kernels achieve on this machine, measured once and
// cached beside the roofline, and the expected time of an op read from it.
//
// The roofline says how fast an op could run; a calibration says how fast
// this build's kernel for it does run, at shapes the model never uses
// (kCalibrationShapes), fitted to straight lines:
//   a matrix product of W weights over n tokens: the seconds of the
//     held-out shapes at each calibrated token count, straight between
//     their sizes (a small matrix streams slower a weight than a large one,
//     so no single line fits both), and between token counts as a power of
//     n; decode's (n = 1) times are stored with the DRAM read measured
//     around them, and a later read of this drifting VM's bandwidth bounds
//     them (its GEMV streams at 31-36 GB/s whether the read test gives 37
//     or 65, docs/lab-notes/2026-12-zen4.md, so the read does not rescale
//     them);
//   attention: a + kv_bytes / B + flops / F for decode (two head groupings
//     separate the byte cost from the arithmetic); for prefill a cost per
//     query row, per score and per FLOP (two head widths, and prompts at
//     depth 0 and deep, separate them);
//   every other engine op: a + b x its bytes moved.
//
//   absl::StatusOr<Calibration> c = LoadCalibrationFile(CachedCalibrationPath(2));
//   double s = c->MatmulSeconds(GgmlType::kQ4_K, 8960, 1536, /*tokens=*/1, dram_now);
#ifndef APR_COMMON_CALIBRATION_CALIBRATION_H_
#define APR_COMMON_CALIBRATION_CALIBRATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/gguf/tensor_type.h"

namespace calibration {

// A cached calibration of another version is measured anew. 3: the kernels
// of Q5_K, Q3_K, Q2_K, IQ4_XS, Q4_1, Q5_1 (repacked) and Q6_K changed; 4:
// AMX prefill for Q5_K and the R8 groups; 5: AVX-512 attention; 6: Q8_0
// keys scored with integer products; 7: prompts' attention on AMX-BF16 tiles;
// 8: the matrices' copies share one buffer of random bytes; 9: prefill
// attention per query row, score and FLOP; 10: Q5_0 and Q5_1 prefill on
// unpacked bytes (AVX-512 VNNI), decode's prefetch distance chosen anew,
// decode's matrix products summarized by their calls' mean, not median; 11:
// AVX2's Q6_K, Q3_K and Q2_K scaled in integers, Q4_K, Q5_K and IQ4_XS with
// the mins in a chain of their own.
inline constexpr int kCalibrationVersion = 11;

// Matrix shapes (rows x cols) the calibration measures: a tall, a wide and
// three small ones, none of them a preset's (tested), so a table of expected
// against measured speeds shows how the fit generalizes. The smallest prices
// the k/v projections of small models and a mixture's experts, which a line
// through the origin below 384 x 1280 priced without their fixed costs
// (qwen3-moe-mini pp512 at 0.75 of expected with it).
struct Shape {
  int64_t rows, cols;
};
inline constexpr Shape kCalibrationShapes[] = {{6656, 1280}, {1280, 6656}, {1792, 1280}, {384, 1280}, {128, 1280}};
// Token counts of the matrix products: decode's 1 up to the engine's prefill
// micro-batch.
inline constexpr int64_t kCalibrationTokens[] = {1, 4, 16, 64, 256};
// The calibrated token counts MatmulSeconds reads for a product of `tokens`
// tokens: the two it interpolates between (one at or below the smallest),
// which a re-timing before a measurement of that batch times again.
std::vector<int64_t> CalibratedTokensAround(int64_t tokens);

struct MatmulPoint {
  int64_t rows = 0, cols = 0, tokens = 0;
  double seconds = 0;  // a call's: decode's mean without the slowest 1%, else the median
};

// One weight format as the engine loads it (repacked where it has a layout).
struct FormatCalibration {
  gguf::GgmlType type = gguf::GgmlType::kF32;
  std::string kernel;        // the DotKernel's isa, with " repacked"
  double read_gbps = 0;      // plain DRAM read paired with the decode calls
  std::vector<MatmulPoint> points;
};

// The point of `p`'s shape at the next fewer tokens (more than one) when it
// runs more than 1.25x p's operations a second, else nullptr: a product of
// more tokens is as fast a weight and token or faster, so `p` was timed in a
// slow moment.
const MatmulPoint* SlowerThanFewerTokens(const FormatCalibration& f, const MatmulPoint& p);

// A straight line: fixed + per_unit x units (attention, the other ops).
struct Line {
  double fixed = 0, per_unit = 0;
  double At(double units) const { return fixed + per_unit * units; }
};

// Prompt attention a layer: a cost per query row (one head's row for one
// token), per score (a row against one cached position: its mask, exp and
// rescale) and per FLOP of the dot products (4 x head_dim a score). Priced
// over FLOPs alone, a 64-wide head's scores cost half what they do, and a
// short prompt's rows were spread over the deep prompt's many more scores:
// qwen2.5-0.5b at depth 8192 ran 1.16x its expectation, qwen2.5-1.5b 0.81x.
struct AttentionPrefill {
  double per_row = 0, per_score = 0, per_flop = 0;
  double At(double rows, double scores, double flops) const {
    return per_row * rows + per_score * scores + per_flop * flops;
  }
};

struct AttentionCalibration {
  std::string cache_type;            // "f32", "f16", "bf16", "q8_0"
  double decode_fixed = 0;           // seconds a layer at depth 0
  double decode_per_kv_byte = 0;     // seconds per cache byte read
  double decode_per_flop = 0;        // seconds per FLOP
  double read_gbps = 0;              // DRAM read paired with the decode runs
  AttentionPrefill prefill;
};

struct Calibration {
  int version = kCalibrationVersion;
  std::string cpu;
  int family = 0, model = 0;
  int threads = 1;
  std::string commit;
  std::string measured_at;
  std::vector<FormatCalibration> formats;
  std::vector<AttentionCalibration> attention;
  // Engine op groups other than matrix products and attention ("attn_norm",
  // "rope", "residual", ...; model::OpName), seconds over bytes moved.
  std::vector<std::pair<std::string, Line>> ops;

  const FormatCalibration* Format(gguf::GgmlType type) const;
  const AttentionCalibration* Attention(const std::string& cache_type) const;
  const Line* Op(const std::string& name) const;

  // Seconds of one matrix product of rows x cols weights over `tokens`
  // tokens (at most the largest calibrated count). `dram_gbps` > 0: decode
  // is no faster than streaming the weights at that DRAM read bandwidth.
  // NotFound when the format was not calibrated.
  absl::StatusOr<double> MatmulSeconds(gguf::GgmlType type, double rows, double cols, double tokens,
                                       double dram_gbps = 0) const;
};

// Least-squares line through (x, y) points; per_unit and fixed clamped at 0
// (a time cannot fall as work grows, nor start below nothing).
Line FitLine(const std::vector<double>& x, const std::vector<double>& y);

// Coefficients c >= 0 minimizing sum_i (x[i] . c - y[i])^2, each x[i] of the
// same length (a handful: every subset of them is tried); zeros when no
// subset fits.
std::vector<double> NonNegativeLeastSquares(const std::vector<std::vector<double>>& x, const std::vector<double>& y);

std::string CalibrationToJson(const Calibration& c);
// The file is input: every field is checked.
absl::StatusOr<Calibration> CalibrationFromJson(const std::string& json);

// AprCacheDir()/calibration-<threads>t.json.
std::string CachedCalibrationPath(int threads);
absl::StatusOr<Calibration> LoadCalibrationFile(const std::string& path);
absl::Status SaveCalibrationFile(const Calibration& c, const std::string& path);

}  // namespace calibration

#endif  // APR_COMMON_CALIBRATION_CALIBRATION_H_

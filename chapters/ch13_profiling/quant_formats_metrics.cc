// Metrics of contracts/quant-formats-v1.yaml: block sizes from the type
// table, round-trip error of the reference quantizers on a fixed Gaussian
// row, and how far each SIMD kernel strays from its scalar reference.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "common/contracts/metric_registry.h"
#include "common/quant/dequantize.h"
#include "common/quant/matmul.h"
#include "common/quant/quantize.h"

namespace contracts {
namespace {

using gguf::GgmlType;

const GgmlType kTypes[] = {GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0,
                           GgmlType::kQ5_0, GgmlType::kQ4_1, GgmlType::kQ5_1, GgmlType::kIQ4_NL,
                           GgmlType::kIQ4_XS, GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K,
                           GgmlType::kQ5_K, GgmlType::kQ6_K};

std::vector<float> GaussianRow(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  return x;
}

absl::StatusOr<double> RoundTripRms(GgmlType type) {
  const std::vector<float> x = GaussianRow(4096, 42);
  std::vector<uint8_t> bytes(*gguf::RowBytes(type, x.size()));
  if (auto s = quant::QuantizeRow(type, x.data(), bytes.data(), x.size()); !s.ok()) return s;
  std::vector<float> y(x.size());
  if (auto s = quant::DequantizeRow(type, bytes.data(), y.data(), y.size()); !s.ok()) return s;
  double err = 0, ref = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err += (x[i] - y[i]) * (x[i] - y[i]);
    ref += x[i] * x[i];
  }
  return std::sqrt(err / ref);
}

// Largest |kernel - reference| / (1 + |reference|) over every kernel this CPU
// runs (both layouts where there are two), 37 rows x 1536 columns x 7 tokens.
absl::StatusOr<double> KernelDeviation(GgmlType type) {
  const int64_t rows = 37, cols = 1536, tokens = 7;
  quant::WeightMatrix w{type, nullptr, rows, cols};
  std::vector<uint8_t> bytes(w.RowBytes() * rows);
  for (int64_t r = 0; r < rows; ++r) {
    const std::vector<float> row = GaussianRow(cols, 100 + r);
    if (auto s = quant::QuantizeRow(type, row.data(), bytes.data() + r * w.RowBytes(), cols); !s.ok()) return s;
  }
  w.data = bytes.data();
  std::vector<float> x(tokens * cols);
  for (int64_t i = 0; i < tokens * cols; ++i) x[i] = std::sin(0.37 * i);
  double worst = 0;
  for (bool repacked : {false, true}) {
    const quant::RepackedRows r = repacked ? quant::RepackRows(w) : quant::RepackedRows{{}, w};
    // RepackRows keeps the GGUF layout for a type with no layout of its own
    // and where no SIMD kernel runs the other (a CPU without AVX2).
    if (repacked && !r.matrix.repacked) continue;
    quant::QuantizedActivations a(type, cols, tokens, repacked);
    a.Quantize(x.data());
    std::vector<float> ref(rows * tokens), out(rows * tokens);
    quant::ScalarDotKernel(type, repacked)(r.matrix.data, r.matrix.Stride(), rows, a.row(0), a.row_bytes(), tokens,
                                           cols, ref.data(), rows);
    for (const quant::DotKernel& k : quant::AvailableDotKernels(type, repacked)) {
      k.fn(r.matrix.data, r.matrix.Stride(), rows, a.row(0), a.row_bytes(), tokens, cols, out.data(), rows);
      for (size_t i = 0; i < out.size(); ++i) {
        worst = std::max(worst, std::fabs(double(out[i]) - ref[i]) / (1 + std::fabs(ref[i])));
      }
    }
  }
  return worst;
}

}  // namespace

void RegisterMetrics(MetricRegistry& registry) {
  for (GgmlType type : kTypes) {
    const gguf::TensorTypeInfo& info = gguf::TypeInfo(type);
    const std::string name = absl::AsciiStrToLower(info.name);
    registry.Add("quant." + name + ".block_bytes", "bytes of one block, from the type table",
                 [&info]() -> absl::StatusOr<double> { return info.block_bytes; });
    registry.Add("quant." + name + ".block_weights", "weights in one block, from the type table",
                 [&info]() -> absl::StatusOr<double> { return info.block_size; });
    registry.Add("quant." + name + ".roundtrip_rms", "relative RMS error of quantize then dequantize",
                 [type] { return RoundTripRms(type); });
    registry.Add("quant." + name + ".kernel_deviation", "largest SIMD-vs-reference difference",
                 [type] { return KernelDeviation(type); });
  }
}

}  // namespace contracts

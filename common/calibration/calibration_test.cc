#include "common/calibration/calibration.h"

#include <gtest/gtest.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/calibration/engine_ops_calibration.h"
#include "common/calibration/expected_time.h"
#include "common/cost/model_spec.h"
#include "common/cost/op_cost.h"
#include "common/cost/prediction.h"
#include "common/model/model_config.h"
#include "common/model/synth.h"

namespace calibration {
namespace {

using gguf::GgmlType;

TEST(FitLine, RecoversAnExactLine) {
  const Line l = FitLine({1, 2, 4}, {3 + 2 * 1, 3 + 2 * 2, 3 + 2 * 4});
  EXPECT_NEAR(l.fixed, 3, 1e-12);
  EXPECT_NEAR(l.per_unit, 2, 1e-12);
}

TEST(FitLine, NeverStartsBelowZeroNorFalls) {
  const Line through_origin = FitLine({1, 2}, {0.5, 3});  // would cross at -2
  EXPECT_EQ(through_origin.fixed, 0);
  EXPECT_GT(through_origin.per_unit, 0);
  const Line falling = FitLine({1, 2}, {3, 1});
  EXPECT_EQ(falling.per_unit, 0);
  EXPECT_NEAR(falling.fixed, 2, 1e-12);
}

TEST(NonNegativeLeastSquares, RecoversExactCoefficientsAndNeverGoesNegative) {
  // y = 2e-9 rows + 1e-9 scores + 1/60e9 flops at four (rows, scores, flops).
  const std::vector<std::vector<double>> x = {
      {2048, 2.6e5, 1.3e8}, {2048, 1.7e7, 8.6e9}, {4096, 5.3e5, 1.4e8}, {4096, 3.4e7, 8.6e9}};
  std::vector<double> y;
  for (const auto& r : x) y.push_back(2e-9 * r[0] + 1e-9 * r[1] + r[2] / 60e9);
  const std::vector<double> c = NonNegativeLeastSquares(x, y);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_NEAR(c[0], 2e-9, 1e-12);
  EXPECT_NEAR(c[1], 1e-9, 1e-12);
  EXPECT_NEAR(c[2], 1 / 60e9, 1e-15);
  // Times that fall as the work grows: no negative cost, the best of the rest.
  const std::vector<double> falling = NonNegativeLeastSquares({{1, 1}, {2, 1}, {3, 1}}, {3, 2, 1});
  EXPECT_EQ(falling[0], 0);
  EXPECT_NEAR(falling[1], 2, 1e-12);
}

// A format whose calls cost 10 us plus 1 ns a weight up to 4 tokens
// (streaming), then in proportion to the tokens beyond (arithmetic).
FormatCalibration Synthetic(GgmlType type, double read_gbps) {
  FormatCalibration f;
  f.type = type;
  f.kernel = "test";
  f.read_gbps = read_gbps;
  for (const Shape& s : kCalibrationShapes) {
    for (int64_t n : kCalibrationTokens) {
      const double per_weight = 1e-9 * std::max<double>(1, n / 4.0);
      f.points.push_back({s.rows, s.cols, n, 10e-6 + per_weight * s.rows * s.cols});
    }
  }
  return f;
}

TEST(Calibration, TokensAroundAreTheCountsMatmulSecondsInterpolates) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(CalibratedTokensAround(1), V({1}));
  EXPECT_EQ(CalibratedTokensAround(2), V({1, 4}));
  EXPECT_EQ(CalibratedTokensAround(64), V({16, 64}));
  EXPECT_EQ(CalibratedTokensAround(91), V({64, 256}));
  EXPECT_EQ(CalibratedTokensAround(256), V({64, 256}));
  EXPECT_EQ(CalibratedTokensAround(1000), V({64, 256}));  // beyond: along the last segment
}

TEST(Calibration, MatmulSecondsFollowsTheFitAndInterpolatesInPowers) {
  Calibration c;
  c.formats.push_back(Synthetic(GgmlType::kQ4_K, 40));
  const double w = 1000.0 * 2000.0;
  EXPECT_NEAR(*c.MatmulSeconds(GgmlType::kQ4_K, 1000, 2000, 1), 10e-6 + 1e-9 * w, 1e-9);
  EXPECT_NEAR(*c.MatmulSeconds(GgmlType::kQ4_K, 1000, 2000, 64), 10e-6 + 16e-9 * w, 1e-9);
  // Between 64 and 256 the time grows about in proportion to n.
  const double at91 = 10e-6 + 91 / 4.0 * 1e-9 * w;
  EXPECT_NEAR(*c.MatmulSeconds(GgmlType::kQ4_K, 1000, 2000, 91), at91, 1e-4 * at91);
  // Decode streams: a DRAM read now above the calibrated rate changes
  // nothing, one below bounds it.
  const double bytes = w * gguf::TypeInfo(GgmlType::kQ4_K).BytesPerWeight();
  EXPECT_NEAR(*c.MatmulSeconds(GgmlType::kQ4_K, 1000, 2000, 1, 80), 10e-6 + 1e-9 * w, 1e-9);
  EXPECT_NEAR(*c.MatmulSeconds(GgmlType::kQ4_K, 1000, 2000, 1, 0.5), bytes / 0.5e9, 1e-9);
  // Below the smallest shape, in proportion; beyond the largest, along the
  // last segment.
  EXPECT_NEAR(*c.MatmulSeconds(GgmlType::kQ4_K, 100, 100, 1), (10e-6 / (128 * 1280) + 1e-9) * 1e4, 1e-12);
  EXPECT_NEAR(*c.MatmulSeconds(GgmlType::kQ4_K, 150000, 1000, 1), 10e-6 + 1e-9 * 1.5e8, 1e-9);
  EXPECT_EQ(c.MatmulSeconds(GgmlType::kQ6_K, 1000, 2000, 1).status().code(), absl::StatusCode::kNotFound);
}

Calibration Full() {
  Calibration c;
  c.cpu = "test cpu";
  c.threads = 2;
  c.commit = "abc";
  c.measured_at = "2026-12-05T00:00:00Z";
  for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ5_0, GgmlType::kF32, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    c.formats.push_back(Synthetic(t, 40));
  }
  for (const char* type : {"f32", "f16", "bf16", "q8_0"}) {
    c.attention.push_back({type, 2e-6, 1.0 / 40e9, 1.0 / 50e9, 40, {2e-9, 1e-9, 1.0 / 60e9}});
  }
  for (const char* op : {"embed", "attn_norm", "rope", "qk_norm", "residual", "ffn_norm", "output_norm"}) {
    c.ops.push_back({op, {1e-6, 1e-11}});
  }
  c.ops.push_back({"silu_mul", {0, 2e-11}});
  c.ops.push_back({"gelu_mul", {0, 4e-11}});
  return c;
}

TEST(Calibration, FindsAPointSlowerThanItsShapeAtFewerTokens) {
  FormatCalibration f = Synthetic(GgmlType::kQ8_0, 40);
  const Shape s = kCalibrationShapes[0];
  auto point = [&](int64_t tokens) -> MatmulPoint& {
    for (MatmulPoint& p : f.points) {
      if (p.rows == s.rows && p.cols == s.cols && p.tokens == tokens) return p;
    }
    return f.points.front();
  };
  for (const MatmulPoint& p : f.points) EXPECT_EQ(SlowerThanFewerTokens(f, p), nullptr);
  // 256 tokens at a third of the 64-token point's rate (as once measured).
  MatmulPoint& p256 = point(256);
  p256.seconds = 3 * 4 * point(64).seconds;
  EXPECT_EQ(SlowerThanFewerTokens(f, p256), &point(64));
  p256.seconds = 1.2 * 4 * point(64).seconds;  // within the margin
  EXPECT_EQ(SlowerThanFewerTokens(f, p256), nullptr);
  // One token (decode, bound by memory) is never the reference.
  point(4).seconds = 100 * point(1).seconds;
  EXPECT_EQ(SlowerThanFewerTokens(f, point(4)), nullptr);
}

TEST(Calibration, JsonRoundTrip) {
  const Calibration c = Full();
  auto back = CalibrationFromJson(CalibrationToJson(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->cpu, c.cpu);
  EXPECT_EQ(back->threads, 2);
  ASSERT_EQ(back->formats.size(), c.formats.size());
  EXPECT_EQ(back->formats[3].type, GgmlType::kQ4_K);
  EXPECT_EQ(back->formats[3].points.size(), c.formats[3].points.size());
  EXPECT_DOUBLE_EQ(back->formats[3].points[7].seconds, c.formats[3].points[7].seconds);
  ASSERT_NE(back->Attention("q8_0"), nullptr);
  EXPECT_DOUBLE_EQ(back->Attention("q8_0")->prefill.per_row, 2e-9);
  EXPECT_DOUBLE_EQ(back->Attention("q8_0")->prefill.per_score, 1e-9);
  EXPECT_DOUBLE_EQ(back->Attention("q8_0")->prefill.per_flop, 1.0 / 60e9);
  ASSERT_NE(back->Op("silu_mul"), nullptr);
  EXPECT_DOUBLE_EQ(back->Op("silu_mul")->per_unit, 2e-11);
}

TEST(Calibration, RefusesMalformedFiles) {
  std::string json = CalibrationToJson(Full());
  EXPECT_FALSE(CalibrationFromJson("[1, 2]").ok());
  EXPECT_FALSE(CalibrationFromJson("{").ok());
  std::string other_version = json;
  const std::string version = absl::StrCat("\"version\": ", kCalibrationVersion);
  ASSERT_NE(other_version.find(version), std::string::npos);
  other_version.replace(other_version.find(version), version.size(), "\"version\": 99");
  EXPECT_FALSE(CalibrationFromJson(other_version).ok());
  std::string negative = json;
  const size_t at = negative.find("\"seconds\": ");
  negative.insert(at + 11, "-");
  auto bad = CalibrationFromJson(negative);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("seconds"), std::string::npos) << bad.status();
  std::string unknown_type = json;
  unknown_type.replace(unknown_type.find("\"Q8_0\""), 6, "\"Q9_9\"");
  EXPECT_FALSE(CalibrationFromJson(unknown_type).ok());
}

// The fidelity table claims the calibration never saw the models' shapes.
TEST(Calibration, ShapesAreHeldOutFromEveryPreset) {
  std::vector<model::ModelConfig> configs = {model::ChapterDefaultConfig()};
  for (const std::string& name : model::PresetNames()) configs.push_back(*model::FindPreset(name));
  for (const model::ModelConfig& c : configs) {
    const uint64_t h = c.hidden, q = c.QDim(), kv = c.KvDim(), f = c.IsMoe() ? c.expert_ffn : c.ffn;
    const std::vector<std::pair<uint64_t, uint64_t>> matrices = {
        {q, h}, {kv, h}, {h, q}, {f, h}, {h, f}, {c.vocab, h}, {c.n_experts, h}, {q + 2 * kv, h}, {2 * f, h}};
    for (const Shape& s : kCalibrationShapes) {
      for (auto [rows, cols] : matrices) {
        EXPECT_FALSE(uint64_t(s.rows) == rows && uint64_t(s.cols) == cols)
            << c.name << " has a " << rows << " x " << cols << " matrix";
      }
    }
  }
}

cost::PhasePrediction Predict(const cost::ModelSpec& spec, const std::vector<cost::OpCost>& ops, double tokens) {
  roofline::MachineProfile m;
  m.threads = 2;
  m.bandwidth.push_back({"DRAM", "load", 2, 1 << 30, 40, 40});
  m.compute.push_back({"int8_dot", "x", 2, 900, 900});
  m.compute.push_back({"fp32_fma", "x", 2, 200, 200});
  return *cost::PredictPhase(ops, m, 2, tokens);
}

TEST(AddExpected, PricesEachOpByItsCalibration) {
  auto spec = cost::SpecFromPreset("qwen2.5-0.5b", "q8_0");
  ASSERT_TRUE(spec.ok());
  spec->kv_bytes_per_element = 2;
  const Calibration c = Full();
  cost::PhasePrediction decode = Predict(*spec, cost::DecodeOps(*spec, 100), 1);
  ASSERT_TRUE(AddExpected(c, *spec, "f16", 0, &decode).ok());
  EXPECT_GT(decode.expected_seconds, 0);
  double sum = 0;
  for (const cost::OpPrediction& p : decode.ops) {
    sum += p.expected_seconds;
    if (p.op.name == "ffn_up" && p.op.layer == 3) {
      // 4864 x 896 Q8_0 weights, one token: half of the gate+up dispatch
      // on the synthetic format's line, so half of its fixed cost.
      EXPECT_NEAR(p.expected_seconds, 0.5 * (10e-6 + 1e-9 * 2 * 4864 * 896), 1e-9);
    }
    if (p.op.name == "attn_k" && p.op.layer == 3) {
      // 128 x 896 of the q, k, v dispatch's 1152 x 896.
      EXPECT_NEAR(p.expected_seconds, 128.0 / 1152 * (10e-6 + 1e-9 * 1152 * 896), 1e-9);
    }
  }
  EXPECT_NEAR(sum, decode.expected_seconds, 1e-12);
  // Deeper context, more attention; a DRAM read now below the kernels', more time.
  cost::PhasePrediction deep = Predict(*spec, cost::DecodeOps(*spec, 8000), 1);
  ASSERT_TRUE(AddExpected(c, *spec, "f16", 0, &deep).ok());
  EXPECT_GT(deep.expected_seconds, decode.expected_seconds);
  cost::PhasePrediction slow = Predict(*spec, cost::DecodeOps(*spec, 100), 1);
  ASSERT_TRUE(AddExpected(c, *spec, "f16", 0.2, &slow).ok());
  EXPECT_GT(slow.expected_seconds, decode.expected_seconds);
  // Prefill in two micro-batches reads the weights twice.
  cost::PhasePrediction prefill = Predict(*spec, cost::PromptOps(*spec, 512, 0, 256), 512);
  ASSERT_TRUE(AddExpected(c, *spec, "f16", 0, &prefill).ok());
  EXPECT_GT(prefill.expected_seconds, decode.expected_seconds);
  // Each micro-batch's q, k and v are one dispatch of their own: the two
  // passes' attn_k cost twice one pass's.
  cost::PhasePrediction one_pass = Predict(*spec, cost::PromptOps(*spec, 256, 0, 256), 256);
  ASSERT_TRUE(AddExpected(c, *spec, "f16", 0, &one_pass).ok());
  auto attn_k = [](const cost::PhasePrediction& phase) {
    double s = 0;
    for (const cost::OpPrediction& p : phase.ops) s += p.op.name == "attn_k" && p.op.layer == 3 ? p.expected_seconds : 0;
    return s;
  };
  EXPECT_GT(attn_k(one_pass), 0);
  EXPECT_NEAR(attn_k(prefill), 2 * attn_k(one_pass), 1e-12);
}

// Keys in one type and values in another: attention takes the mean of its
// time over a cache of each type (each at its own bytes); the rest is as
// either.
TEST(AddExpected, PricesMixedCacheTypesAsTheMeanOfEach) {
  auto spec = cost::SpecFromPreset("qwen2.5-0.5b", "q8_0");
  ASSERT_TRUE(spec.ok());
  Calibration c = Full();
  for (AttentionCalibration& a : c.attention) {
    if (a.cache_type == "q8_0") a = {"q8_0", 5e-6, 1.0 / 20e9, 1.0 / 30e9, 40, {2e-9, 1e-9, 1.0 / 25e9}};
  }
  auto attention_seconds = [&](const std::string& type, double bytes_per_element, int tokens) {
    spec->kv_bytes_per_element = bytes_per_element;
    cost::PhasePrediction p = tokens == 1 ? Predict(*spec, cost::DecodeOps(*spec, 8000), 1)
                                          : Predict(*spec, cost::PromptOps(*spec, tokens, 4000, 256), tokens);
    EXPECT_TRUE(AddExpected(c, *spec, type, 0, &p).ok()) << type;
    double s = 0;
    for (const cost::OpPrediction& o : p.ops) {
      if (CalibratedGroup(o.op.name) == "attention") s += o.expected_seconds;
    }
    return s;
  };
  for (int tokens : {1, 91}) {
    const double f16 = attention_seconds("f16", 2, tokens), q8 = attention_seconds("q8_0", 34.0 / 32, tokens);
    const double mixed = attention_seconds("q8_0/f16", (2 + 34.0 / 32) / 2, tokens);
    EXPECT_GT(q8, f16 * 1.2) << tokens;  // the two calibrations differ
    EXPECT_NEAR(mixed, (f16 + q8) / 2, 1e-9 * mixed) << tokens;
  }
  cost::PhasePrediction p = Predict(*spec, cost::DecodeOps(*spec, 10), 1);
  EXPECT_EQ(AddExpected(c, *spec, "q8_0/q4_0", 0, &p).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(AddExpected(c, *spec, "f16/f16/f16", 0, &p).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AddExpected, SaysWhatIsMissing) {
  auto spec = cost::SpecFromPreset("qwen2.5-0.5b", "q4_k_m");
  ASSERT_TRUE(spec.ok());
  Calibration c = Full();
  c.formats.erase(c.formats.begin());  // no Q8_0
  cost::PhasePrediction p = Predict(*spec, cost::DecodeOps(*spec, 10), 1);
  absl::Status s = AddExpected(c, *spec, "f16", 0, &p);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_EQ(AddExpected(Full(), *spec, "q4_0", 0, &p).code(), absl::StatusCode::kNotFound);
  Calibration one_thread = Full();
  one_thread.threads = 1;
  EXPECT_EQ(AddExpected(one_thread, *spec, "f16", 0, &p).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace calibration

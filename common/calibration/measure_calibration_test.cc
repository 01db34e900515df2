// A quick calibration measured for real: what it holds, and that a model's
// ops can be priced from it. (No timing is asserted beyond "took time".)
#include "common/calibration/measure_calibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "common/calibration/expected_time.h"
#include "common/cost/model_spec.h"
#include "common/cost/op_cost.h"
#include "common/model/forward.h"

namespace calibration {
namespace {

using gguf::GgmlType;

class MeasureCalibrationTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The calibration models are written into the cache folder: the test's own.
    const char* tmp = std::getenv("TEST_TMPDIR");
    setenv("XDG_CACHE_HOME", tmp ? tmp : "/tmp", 1);
    CalibrateOptions o;
    o.threads = 2;
    o.quick = true;
    o.formats = {GgmlType::kQ8_0, GgmlType::kQ5_0, GgmlType::kF32};
    auto c = MeasureCalibration(o);
    ASSERT_TRUE(c.ok()) << c.status();
    calibration_ = new Calibration(*std::move(c));
  }
  static Calibration* calibration_;
};
Calibration* MeasureCalibrationTest::calibration_ = nullptr;

TEST_F(MeasureCalibrationTest, HoldsEveryShapeTokenCountCacheTypeAndOp) {
  ASSERT_NE(calibration_, nullptr);
  const Calibration& c = *calibration_;
  EXPECT_EQ(c.threads, 2);
  ASSERT_EQ(c.formats.size(), 3u);
  for (const FormatCalibration& f : c.formats) {
    EXPECT_FALSE(f.kernel.empty());
    EXPECT_GT(f.read_gbps, 0);
    EXPECT_EQ(f.points.size(), std::size(kCalibrationShapes) * std::size(kCalibrationTokens));
    for (const MatmulPoint& p : f.points) EXPECT_GT(p.seconds, 0) << gguf::TypeInfo(f.type).name;
  }
  for (const char* type : {"f32", "f16", "bf16", "q8_0"}) {
    const AttentionCalibration* a = c.Attention(type);
    ASSERT_NE(a, nullptr) << type;
    EXPECT_GT(a->decode_per_kv_byte + a->decode_per_flop, 0) << type;
    EXPECT_GT(a->prefill.At(1e4, 1e6, 1e9), 0) << type;
  }
  for (const char* op : {"embed", "attn_norm", "rope", "qk_norm", "residual", "ffn_norm", "output_norm", "silu_mul",
                         "gelu_mul"}) {
    ASSERT_NE(c.Op(op), nullptr) << op;
    EXPECT_GT(c.Op(op)->At(1e6), 0) << op;
  }
  // What it wrote reads back.
  auto back = CalibrationFromJson(CalibrationToJson(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->formats.size(), c.formats.size());
}

TEST_F(MeasureCalibrationTest, PricesAModelOfItsFormats) {
  ASSERT_NE(calibration_, nullptr);
  auto spec = cost::SpecFromPreset("qwen2.5-0.5b", "q8_0");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto decode = ExpectedSeconds(*calibration_, *spec, cost::DecodeOps(*spec, 64), 1, 2, "f16", 0);
  ASSERT_TRUE(decode.ok()) << decode.status();
  auto prefill = ExpectedSeconds(*calibration_, *spec, cost::PromptOps(*spec, 512, 0, 256), 512, 2, "f16", 0);
  ASSERT_TRUE(prefill.ok()) << prefill.status();
  EXPECT_GT(*decode, 0);
  // Batching: a token of a prompt costs less than a decoded one.
  EXPECT_LT(*prefill / 512, *decode);
}

// Timed again for a model: decode's points and those of the token counts
// around its prompt, of the formats it multiplies only.
TEST_F(MeasureCalibrationTest, RetimesTheModelsFormatsAroundItsPrompt) {
  ASSERT_NE(calibration_, nullptr);
  auto spec = cost::SpecFromPreset("qwen2.5-0.5b", "q8_0");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const std::vector<GgmlType> used = MatrixFormats(*spec);
  ASSERT_NE(std::find(used.begin(), used.end(), GgmlType::kQ8_0), used.end());
  ASSERT_EQ(std::find(used.begin(), used.end(), GgmlType::kQ5_0), used.end());
  Calibration c = *calibration_;
  for (FormatCalibration& f : c.formats) {
    for (MatmulPoint& p : f.points) p.seconds = -1;
  }
  auto retimer = Retimer::ForModel(c, *spec, 2, /*quick=*/true);
  ASSERT_TRUE(retimer.ok()) << retimer.status();
  ASSERT_TRUE(retimer->Retime(&c, TokensAroundPrompt(91)).ok());
  EXPECT_TRUE(TokensAroundPrompt(0).empty());
  EXPECT_EQ(TokensAroundPrompt(512), CalibratedTokensAround(model::kPrefillMicroBatch));
  const std::vector<int64_t> around = CalibratedTokensAround(91);
  for (const FormatCalibration& f : c.formats) {
    const bool in_model = std::find(used.begin(), used.end(), f.type) != used.end();
    for (const MatmulPoint& p : f.points) {
      const bool wanted = p.tokens == 1 || std::find(around.begin(), around.end(), p.tokens) != around.end();
      if (in_model && wanted) {
        EXPECT_GT(p.seconds, 0) << gguf::TypeInfo(f.type).name << " tokens " << p.tokens;
      } else {
        EXPECT_EQ(p.seconds, -1) << gguf::TypeInfo(f.type).name << " tokens " << p.tokens;
      }
    }
  }
}

// The copies of every format and shape share one buffer: one each took
// formats x shapes x 4 LLC, and ran a machine out of memory.
TEST_F(MeasureCalibrationTest, CopiesOfEveryFormatShareOneBuffer) {
  ASSERT_NE(calibration_, nullptr);
  ASSERT_GE(calibration_->formats.size(), 2u);
  Calibration one = *calibration_;
  one.formats.resize(1);
  auto of_one = Retimer::For(one, 1, /*quick=*/true);
  auto of_all = Retimer::For(*calibration_, 1, /*quick=*/true);
  ASSERT_TRUE(of_one.ok()) << of_one.status();
  ASSERT_TRUE(of_all.ok()) << of_all.status();
  EXPECT_EQ(of_all->CopyBytes(), of_one->CopyBytes());
  // Two copies of the largest shape in F32, as a quick measurement asks.
  size_t largest = 0;
  for (const Shape& s : kCalibrationShapes) largest = std::max<size_t>(largest, size_t(s.rows) * s.cols * 4);
  EXPECT_GE(of_all->CopyBytes(), 2 * largest);
  EXPECT_LT(of_all->CopyBytes(), 3 * largest);
}

}  // namespace
}  // namespace calibration

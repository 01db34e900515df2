#include "common/model/throughput.h"

#include <filesystem>

#include "common/model/synth.h"
#include "gtest/gtest.h"

namespace model {
namespace {

std::unique_ptr<ModelWeights> TinyModel() {
  ModelConfig c = ChapterDefaultConfig();  // shrunk: the test times nothing
  c.n_layers = 1;
  c.hidden = 256;
  c.n_heads = 4;
  c.head_dim = 64;
  c.ffn = 512;
  c.vocab = 64;
  const std::string path = testing::TempDir() + "/tiny-throughput.gguf";
  parallel::ThreadPool pool(2);
  EXPECT_TRUE(WriteSynthModel({c, "q4_k_m", 3}, path, pool).ok());
  auto w = ModelWeights::Load(path);
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? *std::move(w) : nullptr;
}

TEST(TimeGenerateInterleaved, EachCacheGeneratesEveryStepOncePerRepetition) {
  auto w = TinyModel();
  ASSERT_NE(w, nullptr);
  parallel::ThreadPool pool(2);
  Transformer a(*w, pool, 16), b(*w, pool, 16);
  ForwardOptions unfused;
  unfused.fused_ffn = false;
  pool.ResetStats();
  auto s = TimeGenerateInterleaved(a, {}, b, unfused, 5, 3);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->first.size(), 3u);
  ASSERT_EQ(s->second.size(), 3u);
  for (int r = 0; r < 3; ++r) {
    EXPECT_GT(s->first[r], 0);
    EXPECT_GT(s->second[r], 0);
  }
  EXPECT_EQ(a.position(), 5);
  EXPECT_EQ(b.position(), 5);
  // A warm-up and three timed runs of five steps, each option set on its own cache.
  EXPECT_EQ(pool.Stats("ffn.gate_up").dispatches, 4 * 5);
  EXPECT_EQ(pool.Stats("ffn.gate").dispatches, 4 * 5);
}

TEST(TimeGenerateInterleaved, ReportsAStepThatFails) {
  auto w = TinyModel();
  ASSERT_NE(w, nullptr);
  parallel::ThreadPool pool(2);
  Transformer a(*w, pool, 16), b(*w, pool, 4);  // b's cache holds 4 tokens
  auto s = TimeGenerateInterleaved(a, {}, b, {}, 6, 1);
  EXPECT_FALSE(s.ok());
}

// --n-depth: each repetition starts from `depth` cached tokens, prefilled in
// one untimed batch, and the timed steps follow them.
TEST(TimeGenerate, StartsEachRepetitionAtTheDepth) {
  auto w = TinyModel();
  ASSERT_NE(w, nullptr);
  parallel::ThreadPool pool(2);
  Transformer t(*w, pool, 32);
  pool.ResetStats();
  auto s = TimeGenerate(t, 4, 2, {}, /*depth=*/20);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->size(), 2u);
  EXPECT_EQ(t.position(), 24);
  // One batched prefill of the depth, copied back before the warm-up and two
  // timed runs of four steps each.
  EXPECT_EQ(pool.Stats("ffn.gate_up").dispatches, 1 + 3 * 4);  // one layer
  auto p = TimePrompt(t, 8, 1, {}, false, /*depth=*/20);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(t.position(), 28);
  EXPECT_FALSE(TimeGenerate(t, 4, 1, {}, /*depth=*/30).ok());  // 34 > the cache's 32
}

TEST(TimeGenerate, CallsBeforeEachTimedRepetitionAndStopsOnItsError) {
  auto w = TinyModel();
  ASSERT_NE(w, nullptr);
  parallel::ThreadPool pool(2);
  Transformer t(*w, pool, 32);
  int calls = 0;
  auto g = TimeGenerate(t, 4, 3, {}, 0, [&] {
    ++calls;
    return absl::OkStatus();
  });
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(calls, 3);  // not before the warm-up
  calls = 0;
  auto p = TimePrompt(t, 8, 2, {}, false, 0, [&] {
    return ++calls == 2 ? absl::InternalError("stop") : absl::OkStatus();
  });
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(calls, 2);
}

// Batched prefill is one gate_up dispatch a layer, token by token one a
// token: the dispatches count the runs, warm-up included or not.
TEST(TimeBatchedAndSerial, RunsEachWayRepsTimesAfterAnOptionalWarmUp) {
  auto w = TinyModel();
  ASSERT_NE(w, nullptr);
  parallel::ThreadPool pool(2);
  Transformer t(*w, pool, 16);
  for (bool warm_up : {true, false}) {
    pool.ResetStats();
    auto s = TimeBatchedAndSerial(t, 6, 2, {}, warm_up);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->first.size(), 2u);
    EXPECT_EQ(s->second.size(), 2u);
    const int runs = warm_up ? 3 : 2;
    EXPECT_EQ(pool.Stats("ffn.gate_up").dispatches, runs * (1 + 6)) << "warm_up " << warm_up;  // one layer
  }
}

}  // namespace
}  // namespace model

#include "common/cost/op_cost.h"

#include <cmath>
#include <map>

#include "common/cost/prediction.h"
#include "gtest/gtest.h"

namespace cost {
namespace {

ModelSpec Spec(const std::string& preset, const std::string& scheme) {
  ModelSpec spec;
  spec.config = *model::FindPreset(preset);
  spec.tensors = *model::LayoutForScheme(spec.config, scheme);
  return spec;
}

std::map<std::string, OpCost> Layer0(const std::vector<OpCost>& ops) {
  std::map<std::string, OpCost> m;
  for (const OpCost& op : ops) {
    if (op.layer == 0 && op.name != "residual") m[op.name] = op;
  }
  return m;
}

TEST(OpCost, DecodeMatmulsReadEveryWeightOnce) {
  const ModelSpec spec = Spec("qwen2.5-1.5b", "q4_k");
  auto ops = Layer0(DecodeOps(spec, 0));
  // q: 1536 x 1536 in Q4_K = 1536 rows of 6 blocks of 144 bytes, + bias.
  EXPECT_DOUBLE_EQ(ops["attn_q"].weight_bytes, 1536.0 * 6 * 144 + 1536 * 4);
  EXPECT_DOUBLE_EQ(ops["attn_q"].flops, 2.0 * 1536 * 1536 + 1536);
  // GQA: k and v are 256 rows (2 kv heads x 128).
  EXPECT_DOUBLE_EQ(ops["attn_k"].flops, 2.0 * 1536 * 256 + 256);
  EXPECT_DOUBLE_EQ(ops["ffn_down"].weight_bytes, 1536.0 * 35 * 144);
  EXPECT_TRUE(ops["ffn_gate"].int8);
  EXPECT_FALSE(ops["attn_norm"].int8);
}

TEST(OpCost, TiedOutputHeadReadsTheEmbeddingTable) {
  const ModelSpec spec = Spec("qwen2.5-0.5b", "q8_0");
  const std::vector<OpCost> ops = DecodeOps(spec, 0);
  const OpCost& head = ops.back();
  EXPECT_EQ(head.name, "output");
  EXPECT_EQ(head.tensor, "token_embd.weight");
  EXPECT_DOUBLE_EQ(head.weight_bytes, double(spec.Find("token_embd.weight")->n_bytes));
  EXPECT_DOUBLE_EQ(head.flops, 2.0 * 896 * 151936);
}

TEST(OpCost, AttentionGrowsWithContextAndCountsGqa) {
  const ModelSpec spec = Spec("llama-3.2-1b", "q4_k");
  auto at0 = Layer0(DecodeOps(spec, 0));
  auto at1k = Layer0(DecodeOps(spec, 1023));
  // 1024 keys of kv = 8 x 64 F32 values each.
  EXPECT_DOUBLE_EQ(at1k["attn_score"].kv_bytes, 1024.0 * 512 * 4);
  EXPECT_DOUBLE_EQ(at1k["attn_score"].flops, 2.0 * 64 * 32 * 1024);
  EXPECT_DOUBLE_EQ(at0["attn_score"].flops, 2.0 * 64 * 32 * 1);
}

// A decoded token reads every cached key and value and writes its own: 2
// (depth + 2) rows of kv values per layer. The cache overtakes the weights
// at the least depth where that reaches the weights' bytes; a cache of half
// the bytes a value takes twice the depth, and Q8_0's 34/32 bytes a value
// sits between.
TEST(OpCost, TheCacheOvertakesTheWeightsWhereItsBytesReachThem) {
  ModelSpec spec = Spec("qwen2.5-1.5b", "q4_k_m");
  double weights = 0;
  for (const OpCost& op : DecodeOps(spec, 0)) weights += op.weight_bytes;
  const double layers = spec.config.n_layers, kv = spec.config.KvDim();
  for (double bytes : {4.0, 2.0, 34.0 / 32}) {
    spec.kv_bytes_per_element = bytes;
    EXPECT_DOUBLE_EQ(DecodeKvBytes(spec, 4096), layers * 2 * kv * bytes * (4096 + 2));
    const uint64_t depth = KvOvertakesWeightsDepth(spec);
    EXPECT_EQ(depth, uint64_t(std::ceil(weights / (layers * 2 * kv * bytes))) - 2) << bytes;
    EXPECT_GE(DecodeKvBytes(spec, depth), weights);
    EXPECT_LT(DecodeKvBytes(spec, depth - 1), weights);
  }
  // gemma-3's sliding layers stop growing at their window: the depth comes
  // from its global layers alone, later than if every layer grew.
  ModelSpec gemma = Spec("gemma-3-1b", "q4_k_m");
  const uint64_t with_windows = KvOvertakesWeightsDepth(gemma);
  gemma.config.sliding_window = 0;
  EXPECT_GT(with_windows, 2 * KvOvertakesWeightsDepth(gemma));
}

TEST(OpCost, PrefillReusesWeightsAcrossTheBatch) {
  const ModelSpec spec = Spec("qwen2.5-1.5b", "q4_k_m");
  auto decode = Layer0(DecodeOps(spec, 0));
  auto prefill = Layer0(PrefillOps(spec, 91));
  EXPECT_DOUBLE_EQ(prefill["ffn_up"].weight_bytes, decode["ffn_up"].weight_bytes);
  EXPECT_DOUBLE_EQ(prefill["ffn_up"].flops, 91 * decode["ffn_up"].flops);
  EXPECT_GT(prefill["ffn_up"].Intensity(), 40 * decode["ffn_up"].Intensity());
  // Causal attention: 91 * 92 / 2 query-key pairs.
  EXPECT_DOUBLE_EQ(prefill["attn_score"].flops, 2.0 * 128 * 12 * 91 * 92 / 2);
}

// What a trace prices after the run: each pass's stacks read as the experts
// its router chose; passes the list does not reach keep uniform routing.
TEST(OpCost, RoutedPromptReadsTheExpertsChosen) {
  const ModelSpec spec = Spec("qwen3-moe-mini", "q4_k_m");
  const int layers = spec.config.n_layers;
  std::vector<int> first(layers, 20);
  first[1] = 3;
  const std::vector<OpCost> uniform = PromptOps(spec, 300, 0, 256);
  const std::vector<OpCost> routed = RoutedPromptOps(spec, 300, 0, 256, {first});
  ASSERT_EQ(routed.size(), uniform.size());
  const model::TensorSpec* gate = spec.Find("blk.1.ffn_gate_exps.weight");
  ASSERT_NE(gate, nullptr);
  const double per_expert = double(gate->n_bytes) / spec.config.n_experts;
  int checked = 0;
  int passes = 0;
  for (size_t i = 0; i < routed.size(); ++i) {
    const OpCost& r = routed[i];
    passes += r.name == "token_embd";
    const bool second_pass = passes > 1;
    EXPECT_DOUBLE_EQ(r.flops, uniform[i].flops);
    if (r.name != "ffn_gate_exps" && r.name != "ffn_up_exps" && r.name != "ffn_down_exps") {
      EXPECT_DOUBLE_EQ(r.weight_bytes, uniform[i].weight_bytes) << r.name;
      continue;
    }
    if (second_pass) {
      EXPECT_DOUBLE_EQ(r.weight_bytes, uniform[i].weight_bytes);
    } else if (r.name == "ffn_gate_exps") {
      EXPECT_DOUBLE_EQ(r.weight_bytes, per_expert * first[r.layer]);
      ++checked;
    }
  }
  EXPECT_EQ(passes, 2);
  EXPECT_EQ(checked, layers);
}

TEST(OpCost, WholeDecodeMatchesTheSimpleFootprint) {
  // Every matrix weight read once: bytes ~ weight bytes, 2 FLOPs a weight.
  const ModelSpec spec = Spec("llama-2-7b", "q4_k");
  double flops = 0, weight_bytes = 0;
  for (const OpCost& op : DecodeOps(spec, 0)) {
    flops += op.flops;
    weight_bytes += op.weight_bytes;
  }
  EXPECT_NEAR(flops / 2 / 6.607e9, 1.0, 0.01);
  EXPECT_NEAR(weight_bytes / (6.607e9 * 144 / 256), 1.0, 0.01);
}

roofline::MachineProfile Machine() {
  roofline::MachineProfile p;
  p.threads = 2;
  p.caches = {{1, 32 << 10, 1}, {2, 1 << 20, 1}, {3, 32 << 20, 2}};
  for (int t : {1, 2}) {
    p.bandwidth.push_back({"L1", "load", t, 0, 200.0 * t, 0});
    p.bandwidth.push_back({"L2", "load", t, 0, 100.0 * t, 0});
    p.bandwidth.push_back({"L3", "load", t, 0, 80.0 * t, 0});
    p.bandwidth.push_back({"DRAM", "load", t, 0, 15.0 * t, 0});
    p.compute.push_back({"fp32_fma", "avx512f", t, 100.0 * t, 0});
    p.compute.push_back({"int8_dot", "avx512vnni", t, 400.0 * t, 0});
    p.dispatch.push_back({t, 1.0});
  }
  return p;
}

TEST(Prediction, DecodeIsMemoryBoundOnDramPrefillIsComputeBound) {
  const ModelSpec spec = Spec("qwen2.5-1.5b", "q4_k_m");
  auto decode = PredictPhase(DecodeOps(spec, 0), Machine(), 2, 1);
  ASSERT_TRUE(decode.ok()) << decode.status();
  EXPECT_TRUE(decode->MemoryBound());
  EXPECT_EQ(decode->DominantLevel(), "DRAM");
  // The ceiling: weights read per token / 30 GB/s, plus small ops.
  EXPECT_GT(decode->seconds, decode->weight_bytes / 30e9);
  EXPECT_LT(decode->seconds, 1.3 * decode->weight_bytes / 30e9);
  auto prefill = PredictPhase(PrefillOps(spec, 512), Machine(), 2, 512);
  ASSERT_TRUE(prefill.ok());
  EXPECT_FALSE(prefill->MemoryBound());
  EXPECT_GT(prefill->TokensPerSecond(), 5 * decode->TokensPerSecond());
}

TEST(Prediction, SmallOpsMeetTheCacheTheyFitIn) {
  auto phase = PredictPhase(DecodeOps(Spec("qwen2.5-0.5b", "q8_0"), 0), Machine(), 1, 1);
  ASSERT_TRUE(phase.ok());
  for (const OpPrediction& p : phase->ops) {
    if (p.op.name == "attn_norm") {
      EXPECT_EQ(p.level, "L1");
    }
    if (p.op.name == "attn_q") {
      EXPECT_EQ(p.level, "DRAM");
    }
    if (p.op.name == "attn_score") {
      EXPECT_NE(p.level, "DRAM");  // a tiny cache at depth 0
    }
  }
}

TEST(Prediction, RejectsUnmeasuredThreadCounts) {
  EXPECT_FALSE(PredictPhase(DecodeOps(Spec("qwen2.5-0.5b", "q8_0"), 0), Machine(), 3, 1).ok());
}

}  // namespace
}  // namespace cost

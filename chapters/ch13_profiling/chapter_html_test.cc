#include "chapters/ch13_profiling/chapter_html.h"

#include <string>

#include "common/cost/model_spec.h"
#include "common/cost/op_cost.h"
#include "common/report/xml_testing.h"
#include "gtest/gtest.h"

namespace ch13 {
namespace {

roofline::MachineProfile Machine() {
  roofline::MachineProfile p;
  p.cpu = "Test CPU <x86>";
  p.threads = 2;
  p.caches = {{1, 32 << 10, 1}, {2, 1 << 20, 1}, {3, 32 << 20, 2}};
  for (int t : {1, 2}) {
    for (const auto& [level, gbps] : {std::pair<const char*, double>{"L1", 200}, {"L2", 100}, {"L3", 80},
                                      {"DRAM", 15}}) {
      p.bandwidth.push_back({level, "load", t, 0, gbps * t, 0});
    }
    p.compute.push_back({"fp32_fma", "avx512f", t, 100.0 * t, 0});
    p.compute.push_back({"int8_dot", "avx512vnni", t, 400.0 * t, 0});
    p.dispatch.push_back({t, 1.0});
  }
  return p;
}

// Every op timed at `slower` times its prediction, spread over the layers.
report::TraceComparison Trace(const cost::PhasePrediction& phase, int n_layers, double slower) {
  model::OpTimes times(n_layers);
  for (const cost::OpPrediction& p : phase.ops) {
    times.At(p.op.layer, report::EngineOpFor(p.op.name)) += slower * p.seconds;
  }
  return report::CompareTrace(times, 1, phase, n_layers);
}

ChapterRun FakeRun() {
  ChapterRun run;
  run.machine = Machine();
  run.threads = 2;
  run.model_path = "/tmp/model & co.gguf";
  run.model = *cost::SpecFromPreset("qwen2.5-0.5b", "q4_k");
  run.seven_b = *cost::SpecFromPreset("llama-2-7b", "q4_k");
  run.decode_pred = *cost::PredictPhase(cost::DecodeOps(run.model, 100), run.machine, 2, 1);
  run.prefill_pred = *cost::PredictPhase(cost::PrefillOps(run.model, kPromptTokens), run.machine, 2, kPromptTokens);
  run.seven_b_decode = *cost::PredictPhase(cost::DecodeOps(run.seven_b, 100), run.machine, 2, 1);
  run.seven_b_prefill = *cost::PredictPhase(cost::PrefillOps(run.seven_b, kPromptTokens), run.machine, 2,
                                            kPromptTokens);
  const int layers = run.model.config.n_layers;
  run.decode_trace = Trace(run.decode_pred, layers, 1.6);
  run.prefill_trace = Trace(run.prefill_pred, layers, 3.0);
  run.pp = {300, 5, 0.3};
  run.tg = {60, 2, 0.016};
  run.tg_unfused = {59, 2, 0.017};
  run.prefill_serial = {40, 1, 2.2};
  run.prefill_speedup = 7.3;
  return run;
}

std::vector<ClaimVerdict> Verdicts() {
  return {{"apr-book-ch13 v1", true, "decode-is-memory-bound", "roofline.decode_oi", "< machine.ridge", 3.5, true,
           true},
          {"apr-book-ch13 v1", true, "fusion-no-slower", "ffn.fused_over_unfused", "<= 1.2", 1.3, true, false},
          {"apr-book-ch13-targets v1", false, "speedup-8x", "prefill.speedup_91", ">= 8.2", 7.3, true, false}};
}

TEST(ChapterHtml, IsWellFormedWithEveryOpOnTheRoofline) {
  const ChapterRun run = FakeRun();
  const std::string html = HtmlReport(run, Verdicts());
  pugi::xml_document doc;
  const absl::Status parsed = report::ParseXml(html, doc);
  ASSERT_TRUE(parsed.ok()) << parsed;

  // The first SVG is the roofline: every op that does operations on bytes,
  // in both phases, predicted and measured, inside the plot.
  const pugi::xml_node roofline = doc.select_node("//svg").node();
  ASSERT_TRUE(roofline);
  int drawn = 0;
  const absl::Status inside = report::PointsInsidePlot(roofline, &drawn);
  EXPECT_TRUE(inside.ok()) << inside;
  int expected = 0;
  for (const auto* trace : {&run.decode_trace, &run.prefill_trace}) {
    for (const report::TraceRow& r : trace->ops) expected += 2 * (r.flops > 0 && r.bytes > 0);
  }
  EXPECT_GE(expected, 16);
  EXPECT_EQ(drawn, expected);
  // No op name written on the plot area more than once (labels never overlap).
  EXPECT_EQ(roofline.select_nodes(".//text[text()='qkv']").size(), 1u);
}

TEST(ChapterHtml, SectionsAreHeadingsAndTablesNotAConsoleDump) {
  const std::string html = HtmlReport(FakeRun(), Verdicts());
  pugi::xml_document doc;
  ASSERT_TRUE(report::ParseXml(html, doc).ok());
  EXPECT_TRUE(doc.select_nodes("//pre").empty());
  for (const char* h : {"13.1 Roofline analysis", "13.2 apr profile: the default model, op by op",
                        "13.3 apr trace: decode per layer", "13.4 apr bench: throughput", "13.5 FFN gate+up fusion",
                        "13.6 Batched prefill", "13.7 Memory bandwidth", "Contracts"}) {
    EXPECT_EQ(doc.select_nodes((std::string("//h2[text()='") + h + "']").c_str()).size(), 1u) << h;
  }
  EXPECT_GE(doc.select_nodes("//table").size(), 9u);
  // Escaped where the run's strings hold markup characters.
  EXPECT_NE(html.find("Test CPU &lt;x86&gt;"), std::string::npos);
  EXPECT_NE(html.find("/tmp/model &amp; co.gguf"), std::string::npos);
}

TEST(ChapterHtml, VerdictsAreATable) {
  pugi::xml_document doc;
  ASSERT_TRUE(report::ParseXml(HtmlReport(FakeRun(), Verdicts()), doc).ok());
  EXPECT_EQ(doc.select_nodes("//span[@class='holds']").size(), 1u);
  EXPECT_EQ(doc.select_nodes("//span[@class='false']").size(), 1u);
  EXPECT_EQ(doc.select_nodes("//span[@class='notyet']").size(), 1u);
  EXPECT_EQ(doc.select_nodes("//td[text()='fusion-no-slower']").size(), 1u);
}

TEST(ChapterHtml, LayerChartHasAxisAndLegend) {
  const ChapterRun run = FakeRun();
  pugi::xml_document doc;
  ASSERT_TRUE(report::ParseXml(HtmlReport(run, Verdicts()), doc).ok());
  const pugi::xpath_node_set bars = doc.select_nodes("//rect[@class='bar']");
  EXPECT_EQ(bars.size(), 2 * run.decode_trace.layers.size());
  for (const pugi::xpath_node& b : bars) {
    EXPECT_GE(b.node().attribute("width").as_double(), 0);
    EXPECT_LE(b.node().attribute("x").as_double() + b.node().attribute("width").as_double(), 900.5);
  }
  const pugi::xml_node chart = doc.select_node("//svg[.//rect[@class='bar']]").node();
  EXPECT_EQ(chart.select_nodes(".//text[text()='measured']").size(), 1u);
  EXPECT_EQ(chart.select_nodes(".//text[text()='predicted (roofline bound)']").size(), 1u);
  EXPECT_EQ(chart.select_nodes(".//text[text()='decode time per token and layer']").size(), 1u);
  EXPECT_GE(chart.select_nodes(".//line").size(), 3u);  // the axis and its ticks
}

}  // namespace
}  // namespace ch13

#include "chapters/ch13_profiling/chapter_html.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "chapters/ch13_profiling/book_reference.h"
#include "common/report/profile_roofline.h"
#include "common/report/roofline_svg.h"
#include "common/report/units.h"

namespace ch13 {
namespace {

using report::XmlEscape;

// A table cell: text, escaped here, or markup (a marker, a verdict's span).
struct Cell {
  Cell(const std::string& text) : html(XmlEscape(text)) {}  // NOLINT: implicit, for brace lists of rows
  Cell(const char* text) : html(XmlEscape(text)) {}         // NOLINT
  static Cell Markup(std::string markup) {
    Cell c("");
    c.html = std::move(markup);
    return c;
  }
  std::string html;
};
using Row = std::vector<Cell>;

constexpr char kStyle[] =
    "body{font-family:sans-serif;max-width:980px;margin:1.5em auto;padding:0 10px;color:#222}"
    "table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}"
    "th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}"
    "td.l{text-align:left}.holds{color:#1a7f37}.false{color:#cf222e;font-weight:bold}.notyet{color:#9a6700}"
    "svg{max-width:100%;height:auto}p.note{font-size:13px;color:#555}";

std::string Table(const Row& head, const std::vector<Row>& rows) {
  std::string s = "<table><tr>";
  for (const Cell& h : head) absl::StrAppend(&s, "<th>", h.html, "</th>");
  s += "</tr>\n";
  for (const Row& r : rows) {
    s += "<tr>";
    for (const Cell& c : r) absl::StrAppend(&s, "<td>", c.html, "</td>");
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string F(const char* format, double v) { return absl::StrFormat(format, v); }

// 1, 2 or 5 times a power of ten, giving at most six ticks up to `most`.
double TickStep(double most) {
  const double base = std::pow(10, std::floor(std::log10(most / 6)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (most / (m * base) <= 6) return m * base;
  }
  return 10 * base;
}

// Horizontal bars: measured and predicted decode time of each layer, on a
// time axis, with a legend.
std::string LayerChart(const report::TraceComparison& trace) {
  double most = 0;
  for (const report::TraceRow& r : trace.layers) most = std::max({most, r.measured_seconds, r.predicted_seconds});
  if (most <= 0) return "<p>No layer was timed.</p>\n";
  const double left = 90, right = 900, top = 34, bar = 7, row = 2 * bar + 5;
  const double bottom = top + trace.layers.size() * row, height = bottom + 40;
  const double step = TickStep(most), axis_end = std::ceil(most / step) * step;
  auto x = [&](double seconds) { return left + (right - left) * seconds / axis_end; };
  std::string s = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"940\" height=\"%.0f\" viewBox=\"0 0 940 %.0f\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect x=\"%.0f\" y=\"8\" width=\"12\" height=\"8\" fill=\"#1f77b4\"/><text x=\"%.0f\" y=\"16\">measured</text>"
      "<rect x=\"%.0f\" y=\"8\" width=\"12\" height=\"8\" fill=\"#ff7f0e\"/>"
      "<text x=\"%.0f\" y=\"16\">predicted (roofline bound)</text>\n",
      height, height, left, left + 16, left + 100, left + 116);
  for (double t = 0; t <= axis_end * 1.0001; t += step) {
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                          x(t), top - 4, x(t), bottom, x(t), bottom + 14, XmlEscape(report::Duration(t)));
  }
  for (size_t i = 0; i < trace.layers.size(); ++i) {
    const report::TraceRow& r = trace.layers[i];
    const double y = top + i * row;
    absl::StrAppendFormat(&s,
                          "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>"
                          "<rect class=\"bar\" x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"#1f77b4\">"
                          "<title>%s measured %s</title></rect>"
                          "<rect class=\"bar\" x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"#ff7f0e\">"
                          "<title>%s predicted %s</title></rect>\n",
                          left - 6, y + bar + 3, XmlEscape(r.name), left, y, x(r.measured_seconds) - left, bar,
                          XmlEscape(r.name), XmlEscape(report::Duration(r.measured_seconds)), left, y + bar,
                          x(r.predicted_seconds) - left, bar, XmlEscape(r.name),
                          XmlEscape(report::Duration(r.predicted_seconds)));
  }
  absl::StrAppendFormat(&s,
                        "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"black\"/>"
                        "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"middle\">decode time per token and layer</text>"
                        "</svg>\n",
                        left, bottom, right, bottom, (left + right) / 2, bottom + 32);
  return s;
}

std::string RooflineSection(const ChapterRun& run, const std::vector<report::RoofPoint>& points) {
  const roofline::MachineProfile& m = run.machine;
  const int t = run.threads;
  std::string s = "<h2>13.1 Roofline analysis</h2>\n";
  absl::StrAppend(&s, report::RooflineSvg(report::CeilingsOf(m), points,
                                          absl::StrFormat("%s, %d threads: every op of decode and prefill", m.cpu, t)));
  std::vector<Row> levels;
  for (const std::string& level : m.Levels()) {
    const double bw = m.ReadGbps(level, t);
    levels.push_back({level, F("%.1f", bw), F("%.1f", m.PeakGops("int8_dot", t) / bw),
                      F("%.2f", m.PeakGops("fp32_fma", t) / bw)});
  }
  absl::StrAppendFormat(&s, "<p>Ceilings measured %s (DRAM: %.1f GB/s, the higher of the cached %.1f and %.1f "
                        "measured at the start of this run; the book assumed %.0f GB/s).</p>\n",
                        XmlEscape(m.measured_at), run.DramGbps(), run.dram_cached_gbps, run.dram_start_gbps,
                        kBookAssumedBandwidth / 1e9);
  s += Table({"level", "read GB/s", "int8 ridge (ops/byte)", "FP32 ridge (FLOP/byte)"}, levels);
  s += Table({"peak", "GOPS", "instructions"},
             {{"int8 dot product", F("%.0f", m.PeakGops("int8_dot", t)), m.PeakIsa("int8_dot")},
              {"FP32 FMA", F("%.0f", m.PeakGops("fp32_fma", t)), m.PeakIsa("fp32_fma")},
              {"scalar FP32", F("%.1f", m.PeakGops("fp32_scalar", t)), "scalar"}});
  const double ridge = m.PeakGops("int8_dot", t) / run.DramGbps();
  std::vector<Row> where;
  for (const auto& [what, p] : {std::pair<const char*, const cost::PhasePrediction*>{"decode, llama-2-7b Q4_K",
                                                                                    &run.seven_b_decode},
                                {"prefill of 91, llama-2-7b Q4_K", &run.seven_b_prefill},
                                {"decode, default model", &run.decode_pred},
                                {"prefill of 91, default model", &run.prefill_pred}}) {
    where.push_back({what, F("%.2f", p->Intensity()), F("%.1f", ridge), p->MemoryBound() ? "memory" : "compute"});
  }
  s += Table({"phase", "intensity (ops/byte)", "DRAM int8 ridge", "bound"}, where);
  return s;
}

// The plot's points, one row an op and phase, keyed by their markers.
std::string PointsTable(const std::vector<report::RoofPoint>& points, const ChapterRun& run) {
  std::vector<Row> rows;
  for (const auto* trace : {&run.decode_trace, &run.prefill_trace}) {
    const std::string phase = trace == &run.decode_trace ? "decode" : "prefill";
    for (const report::TraceRow& r : trace->ops) {
      const report::RoofPoint* predicted = nullptr;
      const report::RoofPoint* measured = nullptr;
      for (const report::RoofPoint& p : points) {
        if (p.group != r.name || p.series != phase) continue;
        (p.kind == "measured" ? measured : predicted) = &p;
      }
      rows.push_back({predicted && measured
                          ? Cell::Markup(report::MarkerSvg(points, *predicted) + report::MarkerSvg(points, *measured))
                          : Cell("-"),
                      r.name, phase, (report::Duration(r.measured_seconds)),
                      (report::Duration(r.predicted_seconds)), F("%.0f%%", r.PercentOfRoofline()),
                      r.bytes > 0 ? F("%.2f", r.flops / r.bytes) : "-", F("%.1f", r.AchievedGbps()),
                      F("%.1f", r.AchievedGops())});
    }
  }
  return "<p>The plot's points (hollow: predicted at the roof; filled: measured). Ops without operations "
         "(embedding, residual adds) have no place on it and show '-'.</p>\n" +
         Table({"marker", "op", "phase", "measured", "predicted", "% of roofline", "ops/byte", "GB/s", "GOPS"},
               rows);
}

std::string ProfileSection(const ChapterRun& run) {
  std::string s = "<h2>13.2 apr profile: the default model, op by op</h2>\n";
  absl::StrAppendFormat(&s, "<p>%s: %d layers, hidden %d, %s of weights. Decode at context depth %d, layer 0:</p>\n",
                        XmlEscape(run.model.config.name), run.model.config.n_layers, run.model.config.hidden,
                        XmlEscape(report::Bytes(run.decode_pred.weight_bytes)), kPromptTokens + kGenTokens / 2);
  std::vector<Row> rows;
  for (const cost::OpPrediction& o : run.decode_pred.ops) {
    if (o.op.layer != 0) continue;
    rows.push_back({o.op.name, (report::Si(o.op.flops)), (report::Bytes(o.op.Bytes())),
                    F("%.2f", o.op.Intensity()), o.level, o.roof, o.MemoryBound() ? "memory" : "compute",
                    (report::Duration(o.seconds))});
  }
  s += Table({"op", "ops", "bytes", "ops/byte", "level", "roof", "bound", "predicted"}, rows);
  s += Table({"phase", "ops/byte", "predicted tok/s", "predicted time"},
             {{"decode (whole model)", F("%.2f", run.decode_pred.Intensity()),
               F("%.1f", run.decode_pred.TokensPerSecond()), (report::Duration(run.decode_pred.seconds))},
              {absl::StrCat("prefill of ", kPromptTokens), F("%.2f", run.prefill_pred.Intensity()),
               F("%.1f", run.prefill_pred.TokensPerSecond()),
               (report::Duration(run.prefill_pred.seconds))}});
  return s;
}

std::string MeasuredSections(const ChapterRun& run) {
  std::string s = "<h2>13.4 apr bench: throughput</h2>\n";
  s += Table({"test", "tok/s (mean ± sd)", "predicted ceiling"},
             {{absl::StrCat("pp", kPromptTokens), absl::StrFormat("%.2f ± %.2f", run.pp.mean_tps, run.pp.stddev_tps),
               F("%.1f", run.prefill_pred.TokensPerSecond())},
              {absl::StrCat("tg", kGenTokens), absl::StrFormat("%.2f ± %.2f", run.tg.mean_tps, run.tg.stddev_tps),
               F("%.1f", run.decode_pred.TokensPerSecond())}});
  s += "<h2>13.5 FFN gate+up fusion</h2>\n";
  s += Table({"", "fused", "unfused"},
             {{"FFN gate/up dispatches per decoded token", F("%.0f", run.ffn_dispatches_fused),
               F("%.0f", run.ffn_dispatches_unfused)},
              {"decode tok/s", F("%.2f", run.tg.mean_tps), F("%.2f", run.tg_unfused.mean_tps)}});
  absl::StrAppendFormat(&s, "<p>Pair by pair (interleaved token by token), fused takes %.2fx unfused's time; one "
                        "dispatch costs %.2f µs here.</p>\n",
                        run.fused_over_unfused, run.machine.DispatchUs(run.threads));
  s += "<h2>13.6 Batched prefill</h2>\n";
  s += Table({"91-token prompt", "median time"},
             {{"batched", (report::Duration(run.pp.median_seconds))},
              {"token by token", (report::Duration(run.prefill_serial.median_seconds))}});
  absl::StrAppendFormat(&s, "<p>Speedup, pair by pair: <b>%.1fx</b> (the book measured %.1fx).</p>\n",
                        run.prefill_speedup, kBookPrefillSpeedup);
  const MoePrefill& moe = run.moe;
  absl::StrAppendFormat(&s, "<p>A mixture of experts (%s: %u experts a layer, %u routed a token), the same prompt:</p>\n",
                        report::XmlEscape(moe.config.name), moe.config.n_experts, moe.config.n_experts_used);
  s += Table({"", "dense (default model)", "mixture of experts"},
             {{"batched", report::Duration(run.pp.median_seconds), report::Duration(moe.batched_seconds)},
              {"token by token", report::Duration(run.prefill_serial.median_seconds),
               report::Duration(moe.serial_seconds)},
              {"speedup, pair by pair", F("%.1fx", run.prefill_speedup), F("%.1fx", moe.speedup)},
              {"FFN weights the batch reads a layer", "all, once",
               absl::StrFormat("%.1f experts (uniform routing predicts %.1f; a token reads %u)", moe.MeanTouched(),
                               moe.predicted_touched, moe.config.n_experts_used)},
              {"tokens each FFN matrix multiplies at once", F("%.0f", double(moe.tokens)),
               F("%.1f", moe.TokensPerExpert())}});
  s += "<h2>13.7 Memory bandwidth</h2>\n";
  const double roof = std::max(run.dram_now_gbps, run.DramGbps());
  s += Table({"", "value"},
             {{"weights read per decoded token", (report::Bytes(run.decode_bytes_per_token))},
              {"decode tok/s", F("%.2f", run.tg.mean_tps)},
              {"achieved GB/s", F("%.1f", run.decode_achieved_gbps)},
              {"DRAM read GB/s: after the decode, at the start, cached",
               absl::StrFormat("%.1f, %.1f, %.1f", run.dram_now_gbps, run.dram_start_gbps, run.dram_cached_gbps)},
              {"fraction of the best DRAM read", F("%.0f%%", 100 * run.decode_achieved_gbps / roof)}});
  const LongContext& lc = run.long_context;
  absl::StrAppendFormat(&s, "<p>Long context: decode after 0 to %d cached tokens with the cache in F32, F16 and "
                        "Q8_0 (a real %d-token prefill's keys and values repeated to the depth), medians of "
                        "alternating rounds.</p>\n",
                        kLongDepths.back(), lc.prefill_tokens);
  std::vector<Row> rows;
  for (const LongContextRow& row : lc.rows) {
    rows.push_back({F("%.0f", double(row.depth)), model::KvCacheTypeName(row.type), report::Bytes(row.weight_bytes),
                    report::Bytes(row.kv_bytes), F("%.2f", row.Tps()), F("%.1f", row.Gbps()),
                    F("%.0f%%", 100 * row.Gbps() / roof), F("%.2f", row.predicted_tps)});
  }
  s += Table({"depth", "cache", "weights a token", "KV cache a token", "tok/s", "GB/s", "of DRAM", "bound tok/s"},
             rows);
  absl::StrAppendFormat(&s, "<p>The cache's bytes overtake the weights' at depth %d (F32), %d (F16), %d (Q8_0). At "
                        "depth %d a Q8_0 cache decodes <b>%.2fx</b> as fast as an F32 one (pair by pair).</p>\n",
                        lc.overtakes_at[0], lc.overtakes_at[1], lc.overtakes_at[2], kLongDepths.back(),
                        lc.f32_over_q8_deepest);
  return s;
}

std::string VerdictSection(const std::vector<ClaimVerdict>& verdicts) {
  std::vector<Row> rows;
  for (const ClaimVerdict& v : verdicts) {
    const bool ok = v.evaluated && v.holds;
    const char* cls = ok ? "holds" : v.enforced ? "false" : "notyet";
    rows.push_back({v.contract, v.id, v.metric, v.evaluated ? F("%.4g", v.value) : "not evaluated", v.check,
                    Cell::Markup(absl::StrCat("<span class=\"", cls, "\">",
                                              ok ? "holds" : v.enforced ? "FALSE" : "not yet", "</span>"))});
  }
  return "<h2>Contracts</h2>\n<p>Enforced claims decide the example's exit code; the draft holds the book's "
         "targets, shown but not enforced.</p>\n" +
         Table({"contract", "claim", "metric", "value", "check", "verdict"}, rows);
}

}  // namespace

std::string HtmlReport(const ChapterRun& run, const std::vector<ClaimVerdict>& verdicts) {
  std::vector<report::RoofPoint> points = report::TraceRoofPoints(run.decode_trace, "decode");
  for (report::RoofPoint& p : report::TraceRoofPoints(run.prefill_trace, "prefill")) points.push_back(std::move(p));
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>Chapter 13, measured</title>"
      "<style>",
      kStyle, "</style></head><body>\n<h1>Chapter 13: Profiling and Optimization, measured</h1>\n",
      absl::StrFormat("<p>%s, %d threads; model %s%s.</p>\n", XmlEscape(run.machine.cpu), run.threads,
                      XmlEscape(run.model_path), run.model_generated ? " (generated in this run)" : ""),
      RooflineSection(run, points), PointsTable(points, run), ProfileSection(run),
      "<h2>13.3 apr trace: decode per layer</h2>\n", LayerChart(run.decode_trace),
      absl::StrFormat("<p class=\"note\">Each of %d decoded tokens after a %d-token prompt; the per-op times are "
                      "in the table under 13.1.</p>\n",
                      kGenTokens, kPromptTokens),
      MeasuredSections(run), VerdictSection(verdicts), "</body></html>\n");
}

absl::Status WriteHtmlReport(const ChapterRun& run, const std::vector<ClaimVerdict>& verdicts,
                             const std::string& path) {
  std::ofstream out(path);
  out << HtmlReport(run, verdicts);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace ch13

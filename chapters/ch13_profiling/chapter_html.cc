#include "chapters/ch13_profiling/chapter_html.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/report/profile_roofline.h"
#include "common/report/roofline_svg.h"

namespace ch13 {
namespace {

// Horizontal bars: measured and predicted decode time of each layer.
std::string LayerChart(const report::TraceComparison& trace) {
  double most = 0;
  for (const report::TraceRow& r : trace.layers) most = std::max({most, r.measured_seconds, r.predicted_seconds});
  const double width = 600, bar = 8, row = 2 * bar + 6;
  std::string s = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"%.0f\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n",
      trace.layers.size() * row + 30);
  for (size_t i = 0; i < trace.layers.size(); ++i) {
    const report::TraceRow& r = trace.layers[i];
    const double y = 20 + i * row;
    absl::StrAppendFormat(&s,
                          "<text x=\"0\" y=\"%.1f\">%s</text>"
                          "<rect x=\"90\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"#1f77b4\"/>"
                          "<rect x=\"90\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"#ff7f0e\"/>\n",
                          y + bar + 2, report::XmlEscape(r.name), y, width * r.measured_seconds / most, bar, y + bar,
                          width * r.predicted_seconds / most, bar);
  }
  absl::StrAppendFormat(&s,
                        "<text x=\"90\" y=\"12\" fill=\"#1f77b4\">measured</text>"
                        "<text x=\"170\" y=\"12\" fill=\"#ff7f0e\">predicted (roofline)</text></svg>\n");
  return s;
}

}  // namespace

absl::Status WriteHtmlReport(const ChapterRun& run, const std::string& sections_text, const std::string& path) {
  const double decode_measured_s = run.decode_trace.total.measured_seconds;
  const double prefill_measured_s = run.pp.median_seconds;
  std::vector<report::RoofPoint> points = {
      {"decode (predicted)", run.decode_pred.Intensity(), run.decode_pred.flops / run.decode_pred.seconds / 1e9,
       "predicted"},
      {"decode (measured)", run.decode_pred.Intensity(), run.decode_pred.flops / decode_measured_s / 1e9, "measured"},
      {"prefill 91 (predicted)", run.prefill_pred.Intensity(), run.prefill_pred.flops / run.prefill_pred.seconds / 1e9,
       "predicted"},
      {"prefill 91 (measured)", run.prefill_pred.Intensity(), run.prefill_pred.flops / prefill_measured_s / 1e9,
       "measured"},
      {"7B Q4_K decode (predicted)", run.seven_b_decode.Intensity(),
       run.seven_b_decode.flops / run.seven_b_decode.seconds / 1e9, "predicted"},
  };
  const std::string svg = report::RooflineSvg(report::CeilingsOf(run.machine), points,
                                              absl::StrFormat("%s, %d threads", run.machine.cpu, run.threads));
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Chapter 13, measured</title>"
      "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}pre{background:#f6f6f6;padding:1em;"
      "overflow-x:auto;font-size:12px}</style></head><body>\n<h1>Chapter 13: Profiling and Optimization, measured</h1>\n",
      "<p>Machine: ", report::XmlEscape(run.machine.cpu), "; model: ", report::XmlEscape(run.model_path), "</p>\n",
      "<h2>Roofline</h2>\n", svg, "<h2>Decode time per layer</h2>\n", LayerChart(run.decode_trace),
      "<h2>Sections</h2>\n<pre>", report::XmlEscape(sections_text), "</pre>\n</body></html>\n");
  std::ofstream out(path);
  out << html;
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace ch13

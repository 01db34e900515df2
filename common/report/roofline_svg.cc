#include "common/report/roofline_svg.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace report {
namespace {

constexpr double kWidth = 900, kHeight = 600;
constexpr double kLeft = 80, kRight = 220, kTop = 50, kBottom = 60;

const char* const kColors[] = {"#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
const char* const kRoofColors[] = {"#d62728", "#ff7f0e", "#7f7f7f", "#bcbd22"};

// Maps log10 ranges onto the plot area.
struct Axes {
  double x_lo, x_hi, y_lo, y_hi;  // log10 of intensity and GOPS
  double X(double intensity) const {
    return kLeft + (std::log10(intensity) - x_lo) / (x_hi - x_lo) * (kWidth - kLeft - kRight);
  }
  double Y(double gops) const {
    return kHeight - kBottom - (std::log10(gops) - y_lo) / (y_hi - y_lo) * (kHeight - kTop - kBottom);
  }
};

bool Positive(double v) { return std::isfinite(v) && v > 0; }

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RooflineSvg(const RooflineCeilings& ceilings, const std::vector<RoofPoint>& points,
                        const std::string& title) {
  double peak_max = 1, peak_min = 1e30, bw_max = 1, bw_min = 1e30;
  for (const Ceiling& c : ceilings.compute) {
    if (!Positive(c.value)) continue;
    peak_max = std::max(peak_max, c.value);
    peak_min = std::min(peak_min, c.value);
  }
  for (const Ceiling& m : ceilings.memory) {
    if (!Positive(m.value)) continue;
    bw_max = std::max(bw_max, m.value);
    bw_min = std::min(bw_min, m.value);
  }
  if (peak_min > peak_max) peak_min = peak_max;
  if (bw_min > bw_max) bw_min = bw_max;
  Axes axes{-2, 3, std::floor(std::log10(std::min(peak_min, bw_min * 0.01))),
            std::ceil(std::log10(peak_max * 2))};
  for (const RoofPoint& p : points) {
    if (!Positive(p.intensity) || !Positive(p.gops)) continue;
    axes.x_lo = std::min(axes.x_lo, std::floor(std::log10(p.intensity)));
    axes.x_hi = std::max(axes.x_hi, std::ceil(std::log10(p.intensity)));
    axes.y_lo = std::min(axes.y_lo, std::floor(std::log10(p.gops)));
    axes.y_hi = std::max(axes.y_hi, std::ceil(std::log10(p.gops)));
  }

  std::string s = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%.0f\" y=\"28\" font-size=\"16\">%s</text>\n",
      kWidth, kHeight, kWidth, kHeight, kLeft, XmlEscape(title));

  // Grid and decade labels.
  for (double e = axes.x_lo; e <= axes.x_hi; e += 1) {
    const double x = axes.X(std::pow(10, e));
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                          x, kTop, x, kHeight - kBottom, x, kHeight - kBottom + 18, std::pow(10, e));
  }
  for (double e = axes.y_lo; e <= axes.y_hi; e += 1) {
    const double y = axes.Y(std::pow(10, e));
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                          kLeft, y, kWidth - kRight, y, kLeft - 6, y + 4, std::pow(10, e));
  }
  absl::StrAppendFormat(
      &s,
      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">operational intensity (ops/byte)</text>\n"
      "<text transform=\"translate(20,%.1f) rotate(-90)\" text-anchor=\"middle\">performance "
      "(GOPS)</text>\n",
      (kLeft + kWidth - kRight) / 2, kHeight - 15, (kTop + kHeight - kBottom) / 2);

  // Memory diagonals up to the highest roof; compute roofs from the slowest
  // memory level's ridge onward.
  const double x_max = std::pow(10, axes.x_hi), x_min = std::pow(10, axes.x_lo);
  double legend_y = kTop + 10;
  int i = 0;
  for (const Ceiling& m : ceilings.memory) {
    if (!Positive(m.value)) continue;
    const char* color = kColors[i++ % 6];
    const double x_end = std::min(x_max, peak_max / m.value);
    const double x_start = std::max(x_min, std::pow(10, axes.y_lo) / m.value);
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"2\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>\n",
                          axes.X(x_start), axes.Y(x_start * m.value), axes.X(x_end),
                          axes.Y(x_end * m.value), color, kWidth - kRight + 10, legend_y, color,
                          XmlEscape(m.label));
    legend_y += 18;
  }
  i = 0;
  for (const Ceiling& c : ceilings.compute) {
    if (!Positive(c.value)) continue;
    const char* color = kRoofColors[i++ % 4];
    const double ridge = c.value / bw_min;
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"2\"/>\n"
                          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"10\">ridge %.3g</text>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>\n",
                          axes.X(std::max(x_min, ridge)), axes.Y(c.value), axes.X(x_max),
                          axes.Y(c.value), color, axes.X(ridge), axes.Y(c.value), color,
                          axes.X(ridge) + 5, axes.Y(c.value) + 14, color, ridge,
                          kWidth - kRight + 10, legend_y, color, XmlEscape(c.label));
    legend_y += 18;
  }
  legend_y += 10;
  for (const RoofPoint& p : points) {
    if (!Positive(p.intensity) || !Positive(p.gops)) continue;
    const bool measured = p.kind == "measured";
    absl::StrAppendFormat(&s,
                          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"black\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%s</text>\n",
                          axes.X(p.intensity), axes.Y(p.gops), measured ? "black" : "white",
                          axes.X(p.intensity) + 7, axes.Y(p.gops) - 6, XmlEscape(p.label));
  }
  absl::StrAppendFormat(&s,
                        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"white\" stroke=\"black\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\">predicted</text>\n"
                        "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"black\"/>"
                        "<text x=\"%.1f\" y=\"%.1f\">measured</text>\n",
                        kWidth - kRight + 15, legend_y, kWidth - kRight + 25, legend_y + 4,
                        kWidth - kRight + 15, legend_y + 18, kWidth - kRight + 25, legend_y + 22);
  s += "</svg>\n";
  return s;
}

}  // namespace report

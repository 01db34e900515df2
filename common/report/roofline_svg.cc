#include "common/report/roofline_svg.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace report {
namespace {

constexpr double kWidth = 960, kMinHeight = 560;
constexpr double kLeft = 70, kLegendWidth = 260, kTop = 44, kBottom = 56;
constexpr double kLegendRow = 17;

const char* const kRoofColors[] = {"#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
const char* const kPeakColors[] = {"#d62728", "#ff7f0e", "#7f7f7f", "#bcbd22"};
// Op groups: distinct hues first, then their lighter kin.
const char* const kGroupColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                    "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939",
                                    "#843c39", "#7b4173", "#3182bd", "#e6550d"};
constexpr int kShapes = 4;  // circle, square, triangle, diamond

// Maps log10 ranges onto the plot area.
struct Axes {
  double x_lo, x_hi, y_lo, y_hi;  // log10 of intensity and GOPS
  double right, bottom;           // of the plot area
  double X(double intensity) const {
    return kLeft + (std::log10(intensity) - x_lo) / (x_hi - x_lo) * (right - kLeft);
  }
  double Y(double gops) const { return bottom - (std::log10(gops) - y_lo) / (y_hi - y_lo) * (bottom - kTop); }
};

bool Positive(double v) { return std::isfinite(v) && v > 0; }

// Groups and series in the order they first appear among drawable points.
struct Keys {
  std::vector<std::string> groups, series;
  explicit Keys(const std::vector<RoofPoint>& points) {
    for (const RoofPoint& p : points) {
      if (!Positive(p.intensity) || !Positive(p.gops)) continue;
      if (std::find(groups.begin(), groups.end(), GroupOf(p)) == groups.end()) groups.push_back(GroupOf(p));
      if (std::find(series.begin(), series.end(), p.series) == series.end()) series.push_back(p.series);
    }
  }
  static const std::string& GroupOf(const RoofPoint& p) { return p.group.empty() ? p.label : p.group; }
  const char* Color(const RoofPoint& p) const {
    const auto it = std::find(groups.begin(), groups.end(), GroupOf(p));
    return kGroupColors[(it - groups.begin()) % std::size(kGroupColors)];
  }
  int Shape(const RoofPoint& p) const {
    const auto it = std::find(series.begin(), series.end(), p.series);
    return (it - series.begin()) % kShapes;
  }
};

std::string Marker(double x, double y, int shape, const char* color, bool filled, const std::string& cls) {
  const std::string paint = absl::StrFormat("class=\"%s\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.6\"", cls,
                                            filled ? color : "white", color);
  switch (shape) {
    case 1: return absl::StrFormat("<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" %s", x - 4.5, y - 4.5, paint);
    case 2:
      return absl::StrFormat("<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" %s", x, y - 5.5, x + 5.5, y + 4.5,
                             x - 5.5, y + 4.5, paint);
    case 3:
      return absl::StrFormat("<polygon points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" %s", x, y - 6, x + 6, y,
                             x, y + 6, x - 6, y, paint);
    default: return absl::StrFormat("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" %s", x, y, paint);
  }
}

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

std::string MarkerSvg(const std::vector<RoofPoint>& points, const RoofPoint& point) {
  const Keys keys(points);
  return absl::StrCat("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"14\" height=\"14\">",
                      Marker(7, 7, keys.Shape(point), keys.Color(point), point.kind == "measured", "marker"),
                      "/></svg>");
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
  const Keys keys(points);

  // The legend sets the height: roofs, then op groups, series and kinds.
  const int roofs = std::count_if(ceilings.memory.begin(), ceilings.memory.end(),
                                  [](const Ceiling& c) { return Positive(c.value); }) +
                    std::count_if(ceilings.compute.begin(), ceilings.compute.end(),
                                  [](const Ceiling& c) { return Positive(c.value); });
  const double legend_rows = roofs + (keys.groups.empty() ? 0 : keys.groups.size() + keys.series.size() + 4);
  const double height = std::max(kMinHeight, kTop + 20 + legend_rows * kLegendRow + kBottom);
  Axes axes{-2, 3, std::floor(std::log10(std::min(peak_min, bw_min * 0.01))), std::ceil(std::log10(peak_max * 2)),
            kWidth - kLegendWidth, height - kBottom};
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
      "<text x=\"%.0f\" y=\"26\" font-size=\"15\">%s</text>\n"
      "<rect class=\"plot-area\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
      "stroke=\"#999\"/>\n",
      kWidth, height, kWidth, height, kLeft, XmlEscape(title), kLeft, kTop, axes.right - kLeft, axes.bottom - kTop);

  // Grid and decade labels.
  for (double e = axes.x_lo; e <= axes.x_hi; e += 1) {
    const double x = axes.X(std::pow(10, e));
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n",
                          x, kTop, x, axes.bottom, x, axes.bottom + 18, std::pow(10, e));
  }
  for (double e = axes.y_lo; e <= axes.y_hi; e += 1) {
    const double y = axes.Y(std::pow(10, e));
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
                          kLeft, y, axes.right, y, kLeft - 6, y + 4, std::pow(10, e));
  }
  absl::StrAppendFormat(
      &s,
      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">operational intensity (ops/byte)</text>\n"
      "<text transform=\"translate(18,%.1f) rotate(-90)\" text-anchor=\"middle\">performance "
      "(GOPS)</text>\n",
      (kLeft + axes.right) / 2, height - 18, (kTop + axes.bottom) / 2);

  // Memory diagonals up to the highest roof; compute roofs from the slowest
  // memory level's ridge onward.
  const double x_max = std::pow(10, axes.x_hi), x_min = std::pow(10, axes.x_lo);
  const double legend_x = axes.right + 16;
  double legend_y = kTop + 10;
  int i = 0;
  for (const Ceiling& m : ceilings.memory) {
    if (!Positive(m.value)) continue;
    const char* color = kRoofColors[i++ % std::size(kRoofColors)];
    const double x_end = std::min(x_max, peak_max / m.value);
    const double x_start = std::max(x_min, std::pow(10, axes.y_lo) / m.value);
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"2\"/>\n"
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                          axes.X(x_start), axes.Y(x_start * m.value), axes.X(x_end), axes.Y(x_end * m.value), color,
                          legend_x, legend_y - 4, legend_x + 18, legend_y - 4, color, legend_x + 24, legend_y,
                          XmlEscape(m.label));
    legend_y += kLegendRow;
  }
  i = 0;
  for (const Ceiling& c : ceilings.compute) {
    if (!Positive(c.value)) continue;
    const char* color = kPeakColors[i++ % std::size(kPeakColors)];
    const double ridge = c.value / bw_min;
    absl::StrAppendFormat(&s,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"2\"/>\n"
                          "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n"
                          "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\" font-size=\"10\">ridge %.3g</text>\n"
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                          axes.X(std::max(x_min, ridge)), axes.Y(c.value), axes.X(x_max), axes.Y(c.value), color,
                          axes.X(ridge), axes.Y(c.value), color, axes.X(ridge) + 5, axes.Y(c.value) - 5, color, ridge,
                          legend_x, legend_y - 4, legend_x + 18, legend_y - 4, color, legend_x + 24, legend_y,
                          XmlEscape(c.label));
    legend_y += kLegendRow;
  }
  if (keys.groups.empty()) return s + "</svg>\n";

  // An op's predicted and measured points, joined: the gap is its distance
  // from the roof.
  for (const RoofPoint& m : points) {
    if (m.kind != "measured" || !Positive(m.intensity) || !Positive(m.gops)) continue;
    for (const RoofPoint& p : points) {
      if (p.kind != "predicted" || !Positive(p.intensity) || !Positive(p.gops)) continue;
      if (Keys::GroupOf(p) != Keys::GroupOf(m) || p.series != m.series) continue;
      absl::StrAppendFormat(&s,
                            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-dasharray=\"3,3\"/>\n",
                            axes.X(p.intensity), axes.Y(p.gops), axes.X(m.intensity), axes.Y(m.gops), keys.Color(m));
    }
  }
  for (const RoofPoint& p : points) {
    if (!Positive(p.intensity) || !Positive(p.gops)) continue;
    absl::StrAppendFormat(&s, "%s><title>%s: %.3g ops/byte, %.3g GOPS (%s)</title></%s>\n",
                          Marker(axes.X(p.intensity), axes.Y(p.gops), keys.Shape(p), keys.Color(p),
                                 p.kind == "measured", "point"),
                          XmlEscape(p.label), p.intensity, p.gops, XmlEscape(p.kind),
                          keys.Shape(p) == 0 ? "circle" : keys.Shape(p) == 1 ? "rect" : "polygon");
  }

  legend_y += 10;
  for (const std::string& g : keys.groups) {
    RoofPoint key{g, 1, 1, "measured", g, keys.series.front()};
    absl::StrAppendFormat(&s, "%s/><text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                          Marker(legend_x + 9, legend_y - 4, 0, keys.Color(key), true, "key"), legend_x + 24,
                          legend_y, XmlEscape(g));
    legend_y += kLegendRow;
  }
  legend_y += 6;
  for (const std::string& series : keys.series) {
    if (series.empty() && keys.series.size() == 1) continue;
    RoofPoint key{series, 1, 1, "measured", keys.groups.front(), series};
    absl::StrAppendFormat(&s, "%s/><text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                          Marker(legend_x + 9, legend_y - 4, keys.Shape(key), "black", true, "key"), legend_x + 24,
                          legend_y, XmlEscape(series.empty() ? "other" : series));
    legend_y += kLegendRow;
  }
  absl::StrAppendFormat(&s,
                        "%s/><text x=\"%.1f\" y=\"%.1f\">predicted (roofline)</text>\n"
                        "%s/><text x=\"%.1f\" y=\"%.1f\">measured</text>\n",
                        Marker(legend_x + 9, legend_y - 4, 0, "black", false, "key"), legend_x + 24, legend_y,
                        Marker(legend_x + 9, legend_y + kLegendRow - 4, 0, "black", true, "key"), legend_x + 24,
                        legend_y + kLegendRow);
  s += "</svg>\n";
  return s;
}

}  // namespace report

#include "common/report/xml_testing.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace report {

absl::Status ParseXml(const std::string& text, pugi::xml_document& doc) {
  const pugi::xml_parse_result r =
      doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
  if (r) return absl::OkStatus();
  const size_t at = std::min(static_cast<size_t>(std::max<ptrdiff_t>(r.offset, 0)), text.size());
  const size_t from = at > 40 ? at - 40 : 0;
  return absl::InvalidArgumentError(absl::StrCat("not well-formed XML at byte ", r.offset, ": ", r.description(),
                                                 " near \"", text.substr(from, at - from + 40), "\""));
}

namespace {

// The centre of a marker: a circle's, a rect's, a polygon's vertices' mean.
bool Centre(const pugi::xml_node& n, double* x, double* y) {
  const std::string name = n.name();
  if (name == "circle") {
    *x = n.attribute("cx").as_double();
    *y = n.attribute("cy").as_double();
    return true;
  }
  if (name == "rect") {
    *x = n.attribute("x").as_double() + n.attribute("width").as_double() / 2;
    *y = n.attribute("y").as_double() + n.attribute("height").as_double() / 2;
    return true;
  }
  if (name == "polygon") {
    std::istringstream in(n.attribute("points").as_string());
    double sx = 0, sy = 0, px, py;
    char comma;
    int k = 0;
    while (in >> px >> comma >> py) {
      sx += px;
      sy += py;
      ++k;
    }
    if (k == 0) return false;
    *x = sx / k;
    *y = sy / k;
    return true;
  }
  return false;
}

}  // namespace

absl::Status PointsInsidePlot(const pugi::xml_node& svg, int* points) {
  const pugi::xml_node area = svg.select_node(".//rect[@class='plot-area']").node();
  if (!area) return absl::NotFoundError("no rect of class plot-area");
  const double left = area.attribute("x").as_double(), top = area.attribute("y").as_double();
  const double right = left + area.attribute("width").as_double();
  const double bottom = top + area.attribute("height").as_double();
  *points = 0;
  for (const pugi::xpath_node& p : svg.select_nodes(".//*[@class='point']")) {
    double x = 0, y = 0;
    if (!Centre(p.node(), &x, &y)) {
      return absl::InvalidArgumentError(absl::StrCat("a point that is a <", p.node().name(), ">"));
    }
    ++*points;
    if (!(x >= left && x <= right && y >= top && y <= bottom)) {
      return absl::OutOfRangeError(absl::StrCat("point '", p.node().child_value("title"), "' at (", x, ", ", y,
                                                ") is outside the plot [", left, ", ", right, "] x [", top, ", ",
                                                bottom, "]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace report

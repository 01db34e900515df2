// For tests of the reports: parses SVG or (X)HTML text as XML, so that a
// stray bracket, an unclosed tag or a bad entity fails with its offset.
//
//   pugi::xml_document doc;
//   ASSERT_TRUE(ParseXml(svg, doc).ok());
//   for (pugi::xpath_node n : doc.select_nodes("//circle")) ...
#ifndef APR_COMMON_REPORT_XML_TESTING_H_
#define APR_COMMON_REPORT_XML_TESTING_H_

#include <string>

#include "absl/status/status.h"
#include "pugixml.hpp"

namespace report {

absl::Status ParseXml(const std::string& text, pugi::xml_document& doc);

// Checks a roofline drawn by RooflineSvg: each marker of class "point" (circle,
// rect or polygon) lies inside the rect of class "plot-area". Counts them in
// `*points`; the error names the first one outside, or a missing plot area.
absl::Status PointsInsidePlot(const pugi::xml_node& svg, int* points);

}  // namespace report

#endif  // APR_COMMON_REPORT_XML_TESTING_H_

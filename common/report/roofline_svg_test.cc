#include "common/report/roofline_svg.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/report/xml_testing.h"
#include "gtest/gtest.h"

namespace report {
namespace {

bool WellFormed(const std::string& xml, std::string* why) {
  pugi::xml_document doc;
  const absl::Status s = ParseXml(xml, doc);
  *why = s.ToString();
  return s.ok();
}

TEST(RooflineSvg, IsWellFormedAndLabelled) {
  RooflineCeilings c{{{"L1 600 GB/s", 600}, {"DRAM 29 GB/s", 29}},
                     {{"int8 1500 GOPS", 1500}, {"fp32 330 GFLOPS", 330}}};
  std::string svg = RooflineSvg(
      c, {{"decode <q4_k>", 3.5, 20, "measured", "", ""}, {"prefill", 300, 250, "predicted", "", ""}},
      "Roofline & friends");
  std::string why;
  EXPECT_TRUE(WellFormed(svg, &why)) << why;
  EXPECT_NE(svg.find("DRAM 29 GB/s"), std::string::npos);
  EXPECT_NE(svg.find("int8 1500 GOPS"), std::string::npos);
  EXPECT_NE(svg.find("decode &lt;q4_k&gt;"), std::string::npos);
  EXPECT_NE(svg.find("Roofline &amp; friends"), std::string::npos);
  // Ridge of int8 against the slowest level: 1500 / 29.
  EXPECT_NE(svg.find("ridge 51.7"), std::string::npos) << svg;
}

TEST(RooflineSvg, SurvivesEmptyAndNonsenseInput) {
  std::string why;
  EXPECT_TRUE(WellFormed(RooflineSvg({}, {}, ""), &why)) << why;
  EXPECT_TRUE(WellFormed(RooflineSvg({{{"x", -1}}, {{"y", 0}}}, {{"p", -3, std::nan(""), "", "", ""}}, "t"),
                         &why))
      << why;
}

// Many ops, some far off the roofs' range: each is a marker inside the plot,
// with no text on the plot (the legend names groups and series once).
TEST(RooflineSvg, EveryPointLiesInsideThePlot) {
  RooflineCeilings c{{{"DRAM 29 GB/s", 29}}, {{"int8 1500 GOPS", 1500}}};
  std::vector<RoofPoint> points;
  const char* ops[] = {"attn_norm", "qkv", "attention", "gate_up", "down", "output"};
  int k = 0;
  for (const char* series : {"decode", "prefill"}) {
    for (const char* op : ops) {
      const double intensity = std::pow(10, -3 + 0.6 * k), gops = std::pow(10, -2 + 0.5 * k);
      ++k;
      points.push_back({std::string(series) + " " + op, intensity, gops, "predicted", op, series});
      points.push_back({std::string(series) + " " + op, intensity, gops * 3e3, "measured", op, series});
    }
  }
  const std::string svg = RooflineSvg(c, points, "ops");
  pugi::xml_document doc;
  ASSERT_TRUE(ParseXml(svg, doc).ok());
  int drawn = 0;
  const absl::Status inside = PointsInsidePlot(doc.child("svg"), &drawn);
  EXPECT_TRUE(inside.ok()) << inside;
  EXPECT_EQ(drawn, static_cast<int>(points.size()));
  // Shapes per series: circles for the first, squares for the second.
  EXPECT_EQ(doc.select_nodes("//circle[@class='point']").size(), 12u);
  EXPECT_EQ(doc.select_nodes("//rect[@class='point']").size(), 12u);
  // Op names appear once each, in the legend; the tooltips carry the rest.
  for (const char* op : ops) {
    EXPECT_EQ(doc.select_nodes((std::string("//text[text()='") + op + "']").c_str()).size(), 1u) << op;
  }
}

TEST(RooflineSvg, CheckerCatchesPointsOutside) {
  pugi::xml_document doc;
  ASSERT_TRUE(ParseXml("<svg><rect class=\"plot-area\" x=\"10\" y=\"10\" width=\"100\" height=\"50\"/>"
                       "<circle class=\"point\" cx=\"50\" cy=\"30\" r=\"5\"/>"
                       "<polygon class=\"point\" points=\"200,20 205,25 195,25\"/></svg>",
                       doc)
                  .ok());
  int drawn = 0;
  EXPECT_FALSE(PointsInsidePlot(doc.child("svg"), &drawn).ok());
}

TEST(RooflineSvg, CheckerCatchesBrokenXml) {
  std::string why;
  EXPECT_FALSE(WellFormed("<svg><g></svg>", &why));
  EXPECT_FALSE(WellFormed("<svg>a < b</svg>", &why));
}

}  // namespace
}  // namespace report

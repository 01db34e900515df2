#include "common/report/roofline_svg.h"

#include <cmath>
#include <regex>
#include <vector>

#include "gtest/gtest.h"

namespace report {
namespace {

// Tags open and close in order; attributes are quoted.
bool WellFormed(const std::string& xml, std::string* why) {
  std::vector<std::string> open;
  std::regex tag(R"(<(/?)([a-zA-Z]+)((?:\s+[a-zA-Z0-9:_-]+="[^"<]*")*)\s*(/?)>)");
  size_t consumed = 0;
  for (std::sregex_iterator it(xml.begin(), xml.end(), tag), end; it != end; ++it) {
    const std::string between = xml.substr(consumed, it->position() - consumed);
    if (between.find('<') != std::string::npos || between.find('>') != std::string::npos) {
      *why = "stray angle bracket near: " + between;
      return false;
    }
    consumed = it->position() + it->length();
    const std::string name = (*it)[2];
    if ((*it)[1] == "/") {
      if (open.empty() || open.back() != name) {
        *why = "unbalanced </" + name + ">";
        return false;
      }
      open.pop_back();
    } else if ((*it)[4] != "/") {
      open.push_back(name);
    }
  }
  if (!open.empty()) *why = "unclosed <" + open.back() + ">";
  return open.empty() && consumed > 0;
}

TEST(RooflineSvg, IsWellFormedAndLabelled) {
  RooflineCeilings c{{{"L1 600 GB/s", 600}, {"DRAM 29 GB/s", 29}},
                     {{"int8 1500 GOPS", 1500}, {"fp32 330 GFLOPS", 330}}};
  std::string svg = RooflineSvg(c, {{"decode <q4_k>", 3.5, 20, "measured"}, {"prefill", 300, 250, "predicted"}},
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
  EXPECT_TRUE(WellFormed(RooflineSvg({{{"x", -1}}, {{"y", 0}}}, {{"p", -3, std::nan(""), ""}}, "t"),
                         &why))
      << why;
}

TEST(RooflineSvg, CheckerCatchesBrokenXml) {
  std::string why;
  EXPECT_FALSE(WellFormed("<svg><g></svg>", &why));
  EXPECT_FALSE(WellFormed("<svg>a < b</svg>", &why));
}

}  // namespace
}  // namespace report

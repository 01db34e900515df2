// Draws a roofline (Williams et al., CACM 2009) as a standalone SVG: log-log
// axes of operational intensity (ops/byte) against performance (GOPS), one
// diagonal per memory level, one flat roof per compute kind, ridge points
// marked, and optional points for kernels or ops.
//
//   std::string svg = RooflineSvg(ceilings, {{"decode", 3.5, 20, "measured"}}, "title");
#ifndef APR_COMMON_REPORT_ROOFLINE_SVG_H_
#define APR_COMMON_REPORT_ROOFLINE_SVG_H_

#include <string>
#include <vector>

namespace report {

struct Ceiling {
  std::string label;  // "DRAM 29.1 GB/s", "int8 (avx512vnni) 1480 GOPS"
  double value;       // GB/s for a memory level, GOPS for a compute roof
};

struct RooflineCeilings {
  std::vector<Ceiling> memory;   // fastest first
  std::vector<Ceiling> compute;  // highest first
};

struct RoofPoint {
  std::string label;
  double intensity;  // ops per byte
  double gops;
  std::string kind;  // "predicted" (hollow) or "measured" (filled)
};

std::string RooflineSvg(const RooflineCeilings& ceilings, const std::vector<RoofPoint>& points,
                        const std::string& title);

// Escapes &, <, >, " for XML text and attributes.
std::string XmlEscape(const std::string& text);

}  // namespace report

#endif  // APR_COMMON_REPORT_ROOFLINE_SVG_H_

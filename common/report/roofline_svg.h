// Draws a roofline (Williams et al., CACM 2009) as a standalone SVG: log-log
// axes of operational intensity (ops/byte) against performance (GOPS), one
// diagonal per memory level, one flat roof per compute kind, ridge points
// marked, and optional points for kernels or ops. Points carry no text on the
// plot (labels of many ops would overlap): their colour is their group, their
// shape their series, filled when measured and hollow when predicted, each
// keyed in the legend and named in a tooltip; a line joins an op's predicted
// and measured points.
//
//   std::string svg = RooflineSvg(ceilings, {{"decode ffn_down", 3.5, 20, "measured", "ffn_down", "decode"}},
//                                 "title");
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
  std::string label;   // the tooltip
  double intensity;    // ops per byte
  double gops;
  std::string kind;    // "predicted" (hollow) or "measured" (filled)
  std::string group;   // one colour per group (empty: the label)
  std::string series;  // one marker shape per series ("decode", "prefill"; may be empty)
};

// The colour and shape RooflineSvg gives a point's group and series, for
// tables keyed to the plot: an inline SVG of the marker alone.
std::string MarkerSvg(const std::vector<RoofPoint>& points, const RoofPoint& point);

// A rect with class="plot-area" marks the plot; points (class="point") are
// drawn inside it.
std::string RooflineSvg(const RooflineCeilings& ceilings, const std::vector<RoofPoint>& points,
                        const std::string& title);

// Escapes &, <, >, " for XML text and attributes.
std::string XmlEscape(const std::string& text);

}  // namespace report

#endif  // APR_COMMON_REPORT_ROOFLINE_SVG_H_

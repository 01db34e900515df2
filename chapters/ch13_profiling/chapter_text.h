// The chapter's sections 13.1-13.7 as text, from one ChapterRun.
#ifndef APR_CHAPTERS_CH13_PROFILING_CHAPTER_TEXT_H_
#define APR_CHAPTERS_CH13_PROFILING_CHAPTER_TEXT_H_

#include <string>

#include "chapters/ch13_profiling/chapter_run.h"

namespace ch13 {

std::string RooflineSection(const ChapterRun& run);    // 13.1
std::string ProfileSection(const ChapterRun& run);     // 13.2
std::string TraceSection(const ChapterRun& run);       // 13.3
std::string ThroughputSection(const ChapterRun& run);  // 13.4
std::string FusionSection(const ChapterRun& run);      // 13.5
std::string PrefillSection(const ChapterRun& run);     // 13.6
std::string BandwidthSection(const ChapterRun& run);   // 13.7
// 13.7's long-context table, each row's GB/s as a fraction of `dram_gbps`.
std::string LongContextText(const LongContext& lc, double dram_gbps);
// 13.6's mixture of experts beside the dense model's speedup.
std::string MoePrefillText(const MoePrefill& moe, double dense_speedup);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_CHAPTER_TEXT_H_

// The chapter's HTML report: the roofline with this run's measured and
// predicted points, a per-layer decode chart, and the sections' text.
#ifndef APR_CHAPTERS_CH13_PROFILING_CHAPTER_HTML_H_
#define APR_CHAPTERS_CH13_PROFILING_CHAPTER_HTML_H_

#include <string>

#include "absl/status/status.h"
#include "chapters/ch13_profiling/chapter_run.h"

namespace ch13 {

absl::Status WriteHtmlReport(const ChapterRun& run, const std::string& sections_text, const std::string& path);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_CHAPTER_HTML_H_

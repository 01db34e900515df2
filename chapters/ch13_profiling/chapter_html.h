// The chapter's HTML report: the roofline with every op of decode and prefill
// (measured and predicted) keyed to a table, a per-layer decode chart, the
// sections as headings and tables, and the contracts' verdicts. One
// self-contained file (no network), readable at 1000 px and well-formed XML.
//
//   std::string html = HtmlReport(run, verdicts);
#ifndef APR_CHAPTERS_CH13_PROFILING_CHAPTER_HTML_H_
#define APR_CHAPTERS_CH13_PROFILING_CHAPTER_HTML_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "chapters/ch13_profiling/chapter_run.h"

namespace ch13 {

// One claim of one contract, as checked against the run.
struct ClaimVerdict {
  std::string contract;  // "apr-book-ch13 v1"
  bool enforced = true;  // false: a draft of targets
  std::string id, metric, check;
  double value = 0;
  bool evaluated = false, holds = false;
};

std::string HtmlReport(const ChapterRun& run, const std::vector<ClaimVerdict>& verdicts);

absl::Status WriteHtmlReport(const ChapterRun& run, const std::vector<ClaimVerdict>& verdicts,
                             const std::string& path);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_CHAPTER_HTML_H_

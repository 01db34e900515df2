// The metrics chapter 13's contracts bind their claims to, computed from one
// ChapterRun (and, for the book's figures, from its arithmetic).
#ifndef APR_CHAPTERS_CH13_PROFILING_CHAPTER_METRICS_H_
#define APR_CHAPTERS_CH13_PROFILING_CHAPTER_METRICS_H_

#include <functional>

#include "absl/status/statusor.h"
#include "chapters/ch13_profiling/chapter_run.h"
#include "common/contracts/metric_registry.h"

namespace ch13 {

// `run` is called at most once, on the first metric that needs a measurement.
void RegisterChapterMetrics(contracts::MetricRegistry& registry,
                            std::function<absl::StatusOr<const ChapterRun*>()> run);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_CHAPTER_METRICS_H_

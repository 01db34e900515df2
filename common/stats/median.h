#ifndef COMMON_STATS_MEDIAN_H_
#define COMMON_STATS_MEDIAN_H_

#include <vector>

namespace stats {

// The median of `v` (the mean of the middle two for an even count); 0 when empty.
double Median(std::vector<double> v);

// The median of a[i] / b[i] over the pairs both hold: for runs that
// alternated, each ratio compares two runs made seconds apart, under the same
// drift of the machine's speed.
double MedianRatio(const std::vector<double>& a, const std::vector<double>& b);

// The mean of `v` without its largest `drop_share` (rounded down to whole
// values); 0 when empty. For the time a run of calls takes, which is their
// sum: a median leaves out the slow calls every run pays for, while one
// preemption can move a plain mean of short calls.
double MeanWithoutSlowest(std::vector<double> v, double drop_share);

}  // namespace stats

#endif  // COMMON_STATS_MEDIAN_H_

// One line of progress on stderr: rewritten in place on a terminal; in a log,
// at most one line a second. Cleared by Done().
//
//   ProgressLine progress("measuring");
//   progress.Update("DRAM bandwidth, 2 threads");
//   progress.Done();
#ifndef APR_COMMON_REPORT_PROGRESS_LINE_H_
#define APR_COMMON_REPORT_PROGRESS_LINE_H_

#include <chrono>
#include <string>

namespace report {

class ProgressLine {
 public:
  explicit ProgressLine(std::string prefix, bool enabled = true);
  ~ProgressLine();
  void Update(const std::string& what);
  void Done();

 private:
  std::string prefix_;
  bool enabled_, tty_, shown_ = false;
  double last_line_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace report

#endif  // APR_COMMON_REPORT_PROGRESS_LINE_H_

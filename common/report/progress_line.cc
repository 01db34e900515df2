#include "common/report/progress_line.h"

#include <unistd.h>

#include <cstdio>

namespace report {

ProgressLine::ProgressLine(std::string prefix, bool enabled)
    : prefix_(std::move(prefix)),
      enabled_(enabled),
      tty_(isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()) {}

ProgressLine::~ProgressLine() { Done(); }

void ProgressLine::Update(const std::string& what) {
  if (!enabled_) return;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s: %s (%.1f s)", prefix_.c_str(), what.c_str(), seconds);
  } else {
    // A log gets at most one line a second.
    if (shown_ && seconds - last_line_ < 1.0) return;
    last_line_ = seconds;
    std::fprintf(stderr, "%s: %s (%.1f s)\n", prefix_.c_str(), what.c_str(), seconds);
  }
  std::fflush(stderr);
  shown_ = true;
}

void ProgressLine::Done() {
  if (shown_ && tty_) std::fprintf(stderr, "\r\033[K");
  shown_ = false;
}

}  // namespace report

// Adds the wall time of its scope to one (layer, op) cell of OpTimes, when
// timing (times non-null): the forward pass's per-op timers.
#ifndef APR_COMMON_MODEL_OP_TIMER_H_
#define APR_COMMON_MODEL_OP_TIMER_H_

#include <chrono>

#include "common/model/forward.h"

namespace model {

class OpTimer {
 public:
  OpTimer(OpTimes* times, int layer, Op op) : times_(times), layer_(layer), op_(op) {
    if (times_) start_ = Clock::now();
  }
  ~OpTimer() {
    if (times_) times_->At(layer_, op_) += std::chrono::duration<double>(Clock::now() - start_).count();
  }
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

 private:
  using Clock = std::chrono::steady_clock;
  OpTimes* times_;
  int layer_;
  Op op_;
  Clock::time_point start_;
};

}  // namespace model

#endif  // APR_COMMON_MODEL_OP_TIMER_H_

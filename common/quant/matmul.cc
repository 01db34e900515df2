#include "common/quant/matmul.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/quant/repack.h"

namespace quant {

size_t WeightMatrix::RowBytes() const {
  const gguf::TensorTypeInfo& info = gguf::TypeInfo(type);
  return static_cast<size_t>(cols / info.block_size) * info.block_bytes;
}

absl::Status CheckMatrix(const WeightMatrix& w) {
  const gguf::TensorTypeInfo& info = gguf::TypeInfo(w.type);
  if (ScalarDotKernel(w.type) == nullptr) {
    std::string supported;
    for (const gguf::TensorTypeInfo& t : gguf::AllTensorTypes()) {
      if (ScalarDotKernel(t.type) != nullptr) absl::StrAppend(&supported, supported.empty() ? "" : ", ", t.name);
    }
    return absl::UnimplementedError(
        absl::StrCat("no matrix kernels for tensor type ", info.name, " (supported: ", supported, ")"));
  }
  if (w.repacked && ScalarDotKernel(w.type, true) == nullptr) {
    return absl::UnimplementedError(absl::StrCat("no repacked layout for tensor type ", info.name));
  }
  const ActivationFormat format = ActivationFor(w.type, w.repacked);
  const int64_t block = format == ActivationFormat::kQ8_0 || format == ActivationFormat::kQ8_0S ? 32
                        : format == ActivationFormat::kF32                                       ? 1
                                                                                                 : 256;
  if (w.cols <= 0 || w.rows <= 0 || w.cols % block != 0 || w.cols % info.block_size != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", info.name, " matrix of ", w.rows, " x ", w.cols, " is not whole blocks"));
  }
  return absl::OkStatus();
}

namespace {

// Q8_0, Q4_0, Q5_0, Q4_1, Q5_1 and IQ4_NL in groups of 8 rows.
RepackedRows RepackGroups(const WeightMatrix& w) {
  RepackedRows out;
  out.matrix = w;
  const int64_t nb = w.cols / kQK;
  const size_t group = RepackedR8GroupBytes(nb, w.type);
  const int64_t groups = (w.rows + 7) / 8;
  out.storage = WeightBuffer(group * groups);
  uint8_t* base = out.storage.data();
  for (int64_t g = 0; g < groups; ++g) {
    const int count = static_cast<int>(std::min<int64_t>(8, w.rows - 8 * g));
    RepackR8Group(w.type, w.data + 8 * g * w.Stride(), w.Stride(), count, nb, base + g * group);
  }
  out.matrix.data = base;
  out.matrix.repacked = true;
  out.matrix.stride = group / 8;
  return out;
}

}  // namespace

RepackedRows RepackRows(const WeightMatrix& w) {
  RepackedRows out;
  out.matrix = w;
  // A layout is used only where a SIMD kernel for it runs here (the scalar
  // one is only a reference).
  if (w.repacked || ScalarDotKernel(w.type, /*repacked=*/true) == nullptr ||
      std::string(BestDotKernel(w.type, /*repacked=*/true).isa) == "scalar") {
    return out;
  }
  if (R8QuantBytes(w.type) > 0) return RepackGroups(w);
  const int64_t nb = w.cols / kQKK;
  const size_t stride = RepackedRowBytes(w.type, nb);
  out.storage = WeightBuffer(stride * w.rows);
  uint8_t* base = out.storage.data();
  for (int64_t r = 0; r < w.rows; ++r) RepackRow(w.type, w.data + r * w.Stride(), nb, base + r * stride);
  out.matrix.data = base;
  out.matrix.repacked = true;
  out.matrix.stride = stride;
  return out;
}

int64_t RowsPerTask(int64_t rows, size_t row_bytes, size_t threads, int64_t tokens, bool lays_out_activations) {
  if (threads <= 1) return rows;
  // A task's stream of weights starts cold: in prefill its first block of
  // rows waits on DRAM (later ones are prefetched while it computes), in
  // decode its first 4 KiB. Prefill takes 2 tasks a thread, or 1 for a
  // kernel that lays out all the activations in every call (AMX Q4_K, 2
  // threads, 1536 x 8960 x 512: 0.64-0.70 of the int8 loop against
  // 0.50-0.56 with 2, alternating runs; Q6_K and Q8_0 on VNNI lost 0.027
  // and 0.017 of it with 1, means of 8 runs); decode up to 8
  // for balance, but tasks of at least 256 KiB (a 1536 x 1536 Q4_K matrix in
  // 16 tasks streamed 26-29 GB/s, in 4 27-35, alternating runs). At least 16
  // rows each, a multiple of 8 so that every task starts on a group of
  // repack.h's R8 layout.
  constexpr double kMinDecodeTaskBytes = 256 << 10;
  const double bytes_per_thread = double(rows) * double(row_bytes) / double(threads);
  const int64_t per_thread =
      tokens > 1 ? (lays_out_activations ? 1 : 2)
                 : std::clamp<int64_t>(int64_t(bytes_per_thread / kMinDecodeTaskBytes), 2, 8);
  const int64_t n = int64_t(threads) * per_thread;
  const int64_t per_task = std::max<int64_t>(16, (rows + n - 1) / n);
  return (per_task + 7) / 8 * 8;
}

namespace {

// The order the pool's threads take tasks in. Decode hands out each thread's
// contiguous share of the tasks in turn (slot k is piece k / threads of share
// k % threads): threads that take slots alternately each continue one stream
// of rows, whose software prefetch runs on from one task into the next.
// Paired with a plain read, 2 threads, two alternating rounds: Q4_K decode
// 0.75-0.89 -> 0.84-0.90 of the read, Q8_0 0.80-0.91 -> 0.83-0.94. Prefill's
// tasks keep their order.
class TaskOrder {
 public:
  TaskOrder(int64_t tasks, size_t threads, int64_t tokens)
      : tasks_(tasks), shares_(tokens == 1 ? std::max<int64_t>(1, int64_t(threads)) : 1),
        per_share_((tasks + shares_ - 1) / shares_) {}
  size_t slots() const { return size_t(shares_ * per_share_); }
  // The task of slot k, or -1 where the last share is short.
  int64_t Task(size_t k) const {
    const int64_t task = int64_t(k) % shares_ * per_share_ + int64_t(k) / shares_;
    return task < tasks_ ? task : -1;
  }

 private:
  int64_t tasks_, shares_, per_share_;
};

}  // namespace

void MatMulQuantized(parallel::ThreadPool& pool, const char* tag, const WeightMatrix& w,
                     const QuantizedActivations& a, float* y, int64_t y_stride) {
  const DotKernel best = BestDotKernel(w.type, w.repacked);
  const DotRowsFn kernel = best.fn;
  const size_t row_bytes = w.Stride();
  const int64_t per_task =
      RowsPerTask(w.rows, row_bytes, pool.num_threads(), a.tokens(), best.LaysOutActivations(a.tokens()));
  const TaskOrder order((w.rows + per_task - 1) / per_task, pool.num_threads(), a.tokens());
  pool.ParallelFor(tag, order.slots(), [&](size_t slot, size_t) {
    const int64_t task = order.Task(slot);
    if (task < 0) return;
    const int64_t r0 = task * per_task, r1 = std::min(w.rows, r0 + per_task);
    kernel(w.data + r0 * row_bytes, row_bytes, r1 - r0, a.row(0), a.row_bytes(), a.tokens(), w.cols, y + r0,
           y_stride);
  });
}

void MatMul(parallel::ThreadPool& pool, const char* tag, const WeightMatrix& w, const float* x,
            int64_t tokens, float* y) {
  QuantizedActivations a(w.type, w.cols, tokens, w.repacked);
  a.Quantize(pool, x);
  MatMulQuantized(pool, tag, w, a, y, w.rows);
}

void MatMulGroup(parallel::ThreadPool& pool, const char* tag, const std::vector<MatMulTarget>& targets,
                 const QuantizedActivations& a) {
  struct Range {
    const MatMulTarget* target;
    const QuantizedActivations* a;
    DotRowsFn kernel;
    int64_t r0, r1;
  };
  int64_t total_rows = 0;
  size_t total_bytes = 0;
  bool lays_out = false;
  std::vector<DotRowsFn> kernels;  // per target
  for (const MatMulTarget& t : targets) {
    total_rows += t.w->rows;
    total_bytes += t.w->Stride() * t.w->rows;
    const DotKernel best = BestDotKernel(t.w->type, t.w->repacked);
    kernels.push_back(best.fn);
    lays_out = lays_out || best.LaysOutActivations(a.tokens());
  }
  const int64_t per_task = RowsPerTask(total_rows, total_rows > 0 ? total_bytes / total_rows : 0,
                                       pool.num_threads(), a.tokens(), lays_out);
  std::vector<Range> ranges;
  for (size_t i = 0; i < targets.size(); ++i) {
    const MatMulTarget& t = targets[i];
    const QuantizedActivations* in = t.a != nullptr ? t.a : &a;
    if (in->format() != ActivationFor(t.w->type, t.w->repacked) || in->n() != t.w->cols ||
        in->tokens() != a.tokens()) {
      std::fprintf(stderr, "MatMulGroup(%s): activations do not pair with a %lld x %lld matrix\n", tag,
                   static_cast<long long>(t.w->rows), static_cast<long long>(t.w->cols));
      std::abort();  // a programmer's error: the caller quantized for another format
    }
    for (int64_t r = 0; r < t.w->rows; r += per_task) {
      ranges.push_back({&t, in, kernels[i], r, std::min(t.w->rows, r + per_task)});
    }
  }
  const TaskOrder order(int64_t(ranges.size()), pool.num_threads(), a.tokens());
  pool.ParallelFor(tag, order.slots(), [&](size_t slot, size_t) {
    const int64_t task = order.Task(slot);
    if (task < 0) return;
    const Range& g = ranges[task];
    const WeightMatrix& w = *g.target->w;
    g.kernel(w.data + g.r0 * w.Stride(), w.Stride(), g.r1 - g.r0, g.a->row(0), g.a->row_bytes(), g.a->tokens(),
             w.cols, g.target->y + g.r0, w.rows);
  });
}

}  // namespace quant

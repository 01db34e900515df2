#include <chrono>
#include <cstdio>
#include <random>
#include "common/quant/matmul.h"
#include "common/quant/quantize.h"
int main(int argc, char** argv) {
  using namespace quant;
  int rows = atoi(argv[1]), cols = argc > 5 ? atoi(argv[5]) : 1536, tokens = atoi(argv[2]);
  bool rep = atoi(argv[3]);
  gguf::GgmlType type = gguf::GgmlType::kQ4_K;
  WeightMatrix w{type, nullptr, rows, cols};
  std::vector<uint8_t> bytes(w.RowBytes() * rows);
  std::vector<float> row(cols);
  std::mt19937 rng(1); std::normal_distribution<float> nd(0, 1);
  for (int r = 0; r < rows; ++r) { for (auto& v : row) v = nd(rng); QuantizeRow(type, row.data(), bytes.data() + r * w.RowBytes(), cols); }
  w.data = bytes.data();
  RepackedRows rr;
  if (rep) { rr = RepackRows(w); w = rr.matrix; }
  std::vector<float> x(tokens * cols, 0.3f), y(tokens * rows);
  QuantizedActivations a(type, cols, tokens, rep); a.Quantize(x.data());
  auto k = BestDotKernel(type, rep);
  int iters = atoi(argv[4]);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) k.fn(w.data, w.Stride(), rows, a.row(0), a.row_bytes(), tokens, cols, y.data(), rows);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double ops = 2.0 * rows * cols * tokens * iters;
  printf("%s rep=%d rows=%d tokens=%d: %.1f GOPS (%.1f ops/cycle at 3.6GHz)\n", k.isa, rep, rows, tokens, ops / s / 1e9, ops / s / 3.6e9);
}

#include <cstdio>
#include "common/model/forward.h"
#include "common/model/throughput.h"
int main(int argc, char** argv) {
  auto w = model::ModelWeights::Load(argv[1]);
  parallel::ThreadPool pool(2);
  parallel::PinCurrentThreadToCpu(0);
  model::Transformer t(**w, pool, 512);
  int n = atoi(argv[2]);
  auto toks = model::SyntheticTokens(n, (*w)->config().vocab, 1);
  std::vector<float> logits;
  model::OpTimes times((*w)->config().n_layers);
  model::ForwardOptions o; o.times = &times;
  (void)t.Prefill(toks, &logits, o); t.Reset();
  model::OpTimes times2((*w)->config().n_layers); o.times = &times2;
  (void)t.Prefill(toks, &logits, o);
  for (int op = 0; op < (int)model::Op::kCount; ++op) {
    double s = 0; for (auto& l : times2.seconds) s += l[op];
    printf("%-12s %8.2f ms\n", model::OpName((model::Op)op), s * 1e3);
  }
  printf("total %.2f ms\n", times2.Total() * 1e3);
}

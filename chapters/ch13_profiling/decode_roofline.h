// Section 13.1's arithmetic: how much a decode step computes per byte it
// reads, and the tokens/s a memory bandwidth allows.
//
// Decode of one token is a matrix-vector product over every weight matrix:
// 2 FLOPs (multiply + add) per weight, and every weight read once. So its
// operational intensity is 2 / (bytes per weight) and its ceiling is
// bandwidth / (bytes of weights).
//
//   DecodeFootprint f = DecodeFootprintOf(*model::FindPreset("llama-2-7b"),
//                                         gguf::GgmlType::kQ4_K);
//   double oi = f.OperationalIntensity();           // ~3.56 FLOP/byte
//   double tps = BandwidthCeilingTps(f.bytes_per_token, 50e9);
#ifndef APR_CHAPTERS_CH13_PROFILING_DECODE_ROOFLINE_H_
#define APR_CHAPTERS_CH13_PROFILING_DECODE_ROOFLINE_H_

#include "common/gguf/tensor_type.h"
#include "common/model/model_config.h"

namespace ch13 {

struct DecodeFootprint {
  double flops_per_token = 0;  // matrix FLOPs: 2 per weight multiplied
  double bytes_per_token = 0;  // weight bytes read (matrices + one embedding row)
  double OperationalIntensity() const { return flops_per_token / bytes_per_token; }
};

// Every matrix (layers and output head) stored as `weights`; the embedding
// lookup reads one row of the same type.
DecodeFootprint DecodeFootprintOf(const model::ModelConfig& config, gguf::GgmlType weights);

// The book's shortcut: `params` weights at `bytes_per_param` each.
DecodeFootprint BookFootprint(double params, double bytes_per_param);

// Tokens/s when every token must stream `bytes_per_token` at `bytes_per_second`.
double BandwidthCeilingTps(double bytes_per_token, double bytes_per_second);

// The FLOP/byte above which a kernel is compute-bound on a machine.
double RidgePoint(double peak_ops_per_second, double bytes_per_second);

}  // namespace ch13

#endif  // APR_CHAPTERS_CH13_PROFILING_DECODE_ROOFLINE_H_

#include "chapters/ch13_profiling/decode_roofline.h"

namespace ch13 {

DecodeFootprint DecodeFootprintOf(const model::ModelConfig& config, gguf::GgmlType weights) {
  const double bytes_per_weight = gguf::TypeInfo(weights).BytesPerWeight();
  const double head = double(config.vocab) * config.hidden;
  const double matrix_weights = double(config.LayerMatrixParams()) * config.n_layers + head;
  DecodeFootprint f;
  f.flops_per_token = 2.0 * matrix_weights;
  f.bytes_per_token = (matrix_weights + config.hidden) * bytes_per_weight;
  return f;
}

DecodeFootprint BookFootprint(double params, double bytes_per_param) {
  return DecodeFootprint{2.0 * params, params * bytes_per_param};
}

double BandwidthCeilingTps(double bytes_per_token, double bytes_per_second) {
  return bytes_per_second / bytes_per_token;
}

double RidgePoint(double peak_ops_per_second, double bytes_per_second) {
  return peak_ops_per_second / bytes_per_second;
}

}  // namespace ch13

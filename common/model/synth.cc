#include "common/model/synth.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/gguf/gguf_writer.h"
#include "common/model/gguf_config.h"
#include "common/model/tensor_layout.h"
#include "common/quant/quantize.h"

namespace model {
namespace {

// splitmix64: a fast, well-mixed stream per (seed, tensor, row).
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Approximately normal(0, 1): the sum of four uniforms, rescaled.
  float Normal() {
    const uint64_t r = Next();
    const float sum = float(r & 0xffff) + float((r >> 16) & 0xffff) + float((r >> 32) & 0xffff) +
                      float(r >> 48);
    return (sum / 65535.0f - 2.0f) * 1.7320508f;
  }
};

uint64_t HashName(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return h;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Values for one row of a tensor: norms near 1, biases and matrices small.
void FillRow(const TensorSpec& t, const ModelConfig& c, uint64_t seed, uint64_t row, float* out) {
  Rng rng{seed ^ HashName(t.name) ^ (row * 0x2545f4914f6cdd1dull)};
  const int64_t n = static_cast<int64_t>(t.dims[0]);
  if (EndsWith(t.name, "norm.weight")) {
    for (int64_t i = 0; i < n; ++i) out[i] = 1.0f + 0.05f * rng.Normal();
    return;
  }
  const float scale = EndsWith(t.name, ".bias") ? 0.02f : 1.0f / std::sqrt(static_cast<float>(n));
  for (int64_t i = 0; i < n; ++i) out[i] = scale * rng.Normal();
}

}  // namespace

ModelConfig ChapterDefaultConfig() {
  ModelConfig c;
  c.name = "apr-ch13-default (qwen2-shaped, synthetic)";
  c.arch = "qwen2";
  c.n_layers = 20;
  c.hidden = 1536;
  c.n_heads = 12;
  c.n_kv_heads = 2;
  c.head_dim = 128;
  c.ffn = 4096;
  c.vocab = 32768;
  c.context_length = 4096;
  c.tied_embeddings = true;
  c.qkv_bias = true;
  c.rope_theta = 1e6f;
  c.norm_eps = 1e-6f;
  return c;
}

absl::Status WriteSynthModel(const SynthOptions& options, const std::string& path,
                             parallel::ThreadPool& pool, const SynthProgress& progress) {
  const ModelConfig& c = options.config;
  if (auto s = ValidateConfig(c); !s.ok()) return s;
  auto layout = LayoutForScheme(c, options.scheme);
  if (!layout.ok()) return layout.status();
  gguf::GgufWriter writer;
  AddConfigMetadata(c, &writer);
  writer.SetUint32("general.file_type", SchemeFileType(options.scheme));
  uint64_t total = 0, done = 0;
  for (const TensorSpec& t : *layout) total += t.n_bytes;
  // Each tensor is made when the writer reaches it, so the model is never
  // whole in memory (qwen3-30b-a3b's Q4_K_M is 17 GiB).
  for (const TensorSpec& t : *layout) {
    auto produce = [&options, &c, &pool, &progress, &done, total, t]() -> absl::StatusOr<std::vector<uint8_t>> {
      const uint64_t rows = t.Rows();
      const size_t row_bytes = t.n_bytes / rows;
      std::vector<uint8_t> data(t.n_bytes);
      std::vector<absl::Status> failures(pool.num_threads());
      const int64_t per_task = 64;
      pool.ParallelFor("synth", (rows + per_task - 1) / per_task, [&](size_t task, size_t thread) {
        std::vector<float> row(t.dims[0]);
        const uint64_t r1 = std::min<uint64_t>(rows, (task + 1) * per_task);
        for (uint64_t r = task * per_task; r < r1; ++r) {
          FillRow(t, c, options.seed, r, row.data());
          auto s = quant::QuantizeRow(t.type, row.data(), data.data() + r * row_bytes, t.dims[0]);
          if (!s.ok()) failures[thread] = s;
        }
      });
      for (const absl::Status& s : failures) {
        if (!s.ok()) return absl::InternalError(absl::StrCat(t.name, ": ", s.message()));
      }
      done += t.n_bytes;
      if (progress) progress(done, total);
      return data;
    };
    if (auto s = writer.AddDeferredTensor(t.name, t.dims, t.type, produce); !s.ok()) {
      return s;
    }
  }
  if (c.llama3_rope.factor > 0) {  // as llama.cpp's converter writes Llama 3.x's rope scaling
    const std::vector<float> factors = Llama3RopeFactors(c);
    std::vector<uint8_t> data(factors.size() * sizeof(float));
    std::memcpy(data.data(), factors.data(), data.size());
    if (auto s = writer.AddTensor("rope_freqs.weight", {factors.size()}, gguf::GgmlType::kF32, std::move(data));
        !s.ok()) {
      return s;
    }
  }
  const std::string tmp = path + ".partial";
  if (auto s = writer.WriteFile(tmp); !s.ok()) return s;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<double> EnsureSynthModel(const SynthOptions& options, const std::string& path,
                                        parallel::ThreadPool& pool) {
  if (std::filesystem::exists(path)) return 0.0;
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  const auto start = std::chrono::steady_clock::now();
  if (auto s = WriteSynthModel(options, path, pool); !s.ok()) return s;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace model

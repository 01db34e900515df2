#include "common/model/tensor_layout.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace model {
namespace {

using gguf::GgmlType;

// llama.cpp gives more bits to the first and last eighth of the layers and
// to every third layer between them.
bool UseMoreBits(int layer, int n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// A k-quant needs rows that are whole 256-weight blocks; llama.cpp falls back
// to a 32-weight format of at least as many bits otherwise.
GgmlType FitRow(GgmlType type, uint64_t row) {
  if (row % gguf::TypeInfo(type).block_size == 0) return type;
  switch (type) {
    case GgmlType::kQ4_K: return GgmlType::kQ5_0;
    case GgmlType::kQ5_K: return GgmlType::kQ5_1;
    case GgmlType::kQ6_K: return GgmlType::kQ8_0;
    default: return GgmlType::kF16;
  }
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const std::vector<std::string>& SchemeNames() {
  static const auto* names = new std::vector<std::string>{
      "f32", "f16", "bf16", "q8_0", "q4_0", "q5_0", "q4_1", "q5_1", "iq4_nl", "q4_k", "q5_k", "q6_k", "q4_k_m",
      "q5_k_m"};
  return *names;
}

std::vector<TensorSpec> ExpectedShapes(const ModelConfig& c) {
  const uint64_t h = c.hidden, q = c.QDim(), kv = c.KvDim(), f = c.ffn, v = c.vocab;
  std::vector<TensorSpec> t;
  t.push_back({"token_embd.weight", {h, v}});
  for (uint32_t l = 0; l < c.n_layers; ++l) {
    const int i = static_cast<int>(l);
    auto add = [&](const std::string& what, std::vector<uint64_t> dims) {
      TensorSpec s{TensorName::Block(i, what), std::move(dims)};
      s.layer = i;
      t.push_back(s);
    };
    add("attn_norm.weight", {h});
    add("attn_q.weight", {h, q});
    add("attn_k.weight", {h, kv});
    add("attn_v.weight", {h, kv});
    if (c.qkv_bias) {
      add("attn_q.bias", {q});
      add("attn_k.bias", {kv});
      add("attn_v.bias", {kv});
    }
    add("attn_output.weight", {q, h});
    add("ffn_norm.weight", {h});
    add("ffn_gate.weight", {h, f});
    add("ffn_up.weight", {h, f});
    add("ffn_down.weight", {f, h});
  }
  t.push_back({"output_norm.weight", {h}});
  if (!c.tied_embeddings) t.push_back({"output.weight", {h, v}});
  return t;
}

absl::StatusOr<std::vector<TensorSpec>> LayoutForScheme(const ModelConfig& c, const std::string& scheme) {
  GgmlType base;
  const bool k_mix = scheme == "q4_k_m" || scheme == "q5_k_m";  // llama.cpp's "_M" mixes
  if (scheme == "q4_k_m") {
    base = GgmlType::kQ4_K;
  } else if (scheme == "q5_k_m") {
    base = GgmlType::kQ5_K;
  } else {
    auto parsed = gguf::ParseTensorType(scheme);
    bool known = false;
    for (const std::string& s : SchemeNames()) known |= s == scheme;
    if (!parsed.ok() || !known) {
      return absl::InvalidArgumentError(absl::StrCat("unknown quantization scheme '", scheme,
                                                     "' (known: ", absl::StrJoin(SchemeNames(), ", "), ")"));
    }
    base = *parsed;
  }
  std::vector<TensorSpec> tensors = ExpectedShapes(c);
  for (TensorSpec& t : tensors) {
    GgmlType type = base;
    if (!t.IsMatrix()) {
      type = GgmlType::kF32;  // norms and biases stay F32
    } else if (k_mix) {
      const bool more = t.layer >= 0 && UseMoreBits(t.layer, static_cast<int>(c.n_layers));
      if (t.name == "output.weight" || (c.tied_embeddings && t.name == "token_embd.weight")) {
        type = GgmlType::kQ6_K;
      } else if ((EndsWith(t.name, "attn_v.weight") || EndsWith(t.name, "ffn_down.weight")) && more) {
        type = GgmlType::kQ6_K;
      }
    }
    t.type = t.IsMatrix() ? FitRow(type, t.dims[0]) : type;
    auto row = gguf::RowBytes(t.type, t.dims[0]);
    if (!row.ok()) return row.status();
    t.n_bytes = *row * (t.IsMatrix() ? t.dims[1] : 1);
  }
  return tensors;
}

absl::StatusOr<std::vector<TensorSpec>> LayoutFromGguf(const gguf::GgufFile& file,
                                                       const ModelConfig& config) {
  std::vector<TensorSpec> tensors = ExpectedShapes(config);
  for (TensorSpec& t : tensors) {
    const gguf::GgufTensor* g = file.FindTensor(t.name);
    if (g == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(file.path(), ": tensor '", t.name,
                                                     "' is missing (required by ", config.arch, ")"));
    }
    // GGUF may store a 1-D tensor as [n] and a matrix as [n, m] (trailing 1s allowed).
    std::vector<uint64_t> dims = g->dims;
    while (dims.size() > t.dims.size() && dims.back() == 1) dims.pop_back();
    if (dims != t.dims) {
      return absl::InvalidArgumentError(absl::StrCat(
          file.path(), ": tensor '", t.name, "' has shape [", absl::StrJoin(g->dims, ", "),
          "], the config implies [", absl::StrJoin(t.dims, ", "), "]"));
    }
    t.type = g->type;
    t.n_bytes = g->n_bytes;
  }
  return tensors;
}

}  // namespace model

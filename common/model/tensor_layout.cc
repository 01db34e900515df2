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

// A 256-weight format needs rows that are whole blocks; llama.cpp falls back
// to a 32-weight format otherwise, and to F16 when even that does not fit.
GgmlType FitRow(GgmlType type, uint64_t row) {
  if (row % gguf::TypeInfo(type).block_size == 0) return type;
  GgmlType fallback = GgmlType::kF16;
  switch (type) {
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K: fallback = GgmlType::kQ4_0; break;
    case GgmlType::kQ4_K: fallback = GgmlType::kQ5_0; break;
    case GgmlType::kQ5_K: fallback = GgmlType::kQ5_1; break;
    case GgmlType::kQ6_K: fallback = GgmlType::kQ8_0; break;
    case GgmlType::kIQ4_XS: fallback = GgmlType::kIQ4_NL; break;
    default: break;
  }
  return row % gguf::TypeInfo(fallback).block_size == 0 ? fallback : GgmlType::kF16;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A scheme: the type of most matrices, llama.cpp's llama_ftype number for
// it, and whether llama-quantize's per-tensor rules apply (its file types)
// or every matrix takes the one type (f16, q4_k, ...).
struct Scheme {
  const char* name;
  GgmlType base;
  uint32_t file_type;
  bool llama_rules;
};

// An all-Q4_K or all-Q5_K file is closest to llama.cpp's "_S" mixes, the
// types llama.cpp reports for such files.
const Scheme kSchemes[] = {
    {"f32", GgmlType::kF32, 0, false},        {"f16", GgmlType::kF16, 1, false},
    {"bf16", GgmlType::kBF16, 32, false},     {"q8_0", GgmlType::kQ8_0, 7, true},
    {"q4_0", GgmlType::kQ4_0, 2, true},       {"q4_1", GgmlType::kQ4_1, 3, true},
    {"q5_0", GgmlType::kQ5_0, 8, true},       {"q5_1", GgmlType::kQ5_1, 9, true},
    {"iq4_nl", GgmlType::kIQ4_NL, 25, true},  {"iq4_xs", GgmlType::kIQ4_XS, 30, true},
    {"q2_k", GgmlType::kQ2_K, 10, true},      {"q3_k_s", GgmlType::kQ3_K, 11, true},
    {"q3_k_m", GgmlType::kQ3_K, 12, true},    {"q3_k_l", GgmlType::kQ3_K, 13, true},
    {"q4_k_s", GgmlType::kQ4_K, 14, true},    {"q4_k_m", GgmlType::kQ4_K, 15, true},
    {"q5_k_s", GgmlType::kQ5_K, 16, true},    {"q5_k_m", GgmlType::kQ5_K, 17, true},
    {"q6_k", GgmlType::kQ6_K, 18, true},      {"q4_k", GgmlType::kQ4_K, 14, false},
    {"q5_k", GgmlType::kQ5_K, 16, false},
};

const Scheme* FindScheme(const std::string& name) {
  for (const Scheme& s : kSchemes) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

// llama-quantize's choice for one matrix of a dense model (llama.cpp's
// llama_tensor_get_type, without an importance matrix), before the row fit.
GgmlType LlamaRuleType(const Scheme& s, const TensorSpec& t, const ModelConfig& c) {
  const std::string f = s.name;
  const int layer = t.layer, n = static_cast<int>(c.n_layers);
  const bool gqa4 = c.n_kv_heads > 0 && c.n_heads / c.n_kv_heads >= 4;
  // llama.cpp bumps attention of an 8-expert model (Mixtral's shape).
  const bool eight_experts = c.n_experts == 8;
  if (t.name == "output.weight" || (c.tied_embeddings && t.name == "token_embd.weight")) {
    if (t.dims[0] % gguf::TypeInfo(GgmlType::kQ6_K).block_size != 0) return GgmlType::kQ8_0;
    return s.base == GgmlType::kQ8_0 ? GgmlType::kQ8_0 : GgmlType::kQ6_K;
  }
  // A fused attn_qkv takes attn_v's rules (llama.cpp counts it as attn_v-like
  // before its own rules are reached).
  if (EndsWith(t.name, "attn_v.weight") || EndsWith(t.name, "attn_qkv.weight")) {
    if (eight_experts) return GgmlType::kQ8_0;
    if (f == "q2_k") return gqa4 ? GgmlType::kQ4_K : GgmlType::kQ3_K;
    if (f == "q3_k_m") return layer < 2 ? GgmlType::kQ5_K : GgmlType::kQ4_K;
    if (f == "q3_k_l") return GgmlType::kQ5_K;
    if ((f == "iq4_nl" || f == "iq4_xs") && gqa4) return GgmlType::kQ5_K;
    if ((f == "q4_k_m" || f == "q5_k_m") && UseMoreBits(layer, n)) return GgmlType::kQ6_K;
    if (f == "q4_k_s" && layer < 4) return GgmlType::kQ5_K;
    return s.base;
  }
  if (eight_experts && EndsWith(t.name, "attn_k.weight")) return GgmlType::kQ8_0;
  // An expert stack's down takes ffn_down's rules (llama.cpp matches the name's start).
  if (EndsWith(t.name, "ffn_down.weight") || EndsWith(t.name, "ffn_down_exps.weight")) {
    if (f == "q2_k") return GgmlType::kQ3_K;
    if (f == "q3_k_m") return layer < n / 16 ? GgmlType::kQ5_K : GgmlType::kQ4_K;
    if (f == "q3_k_l") return GgmlType::kQ5_K;
    if ((f == "q4_k_m" || f == "q5_k_m") && UseMoreBits(layer, n)) return GgmlType::kQ6_K;
    if ((f == "iq4_nl" || f == "iq4_xs" || f == "q4_k_s") && layer < n / 8) return GgmlType::kQ5_K;
    return s.base;
  }
  if (EndsWith(t.name, "attn_output.weight")) {
    if (eight_experts) {
      const bool bump = f == "q2_k" || f == "q3_k_s" || f == "q3_k_m" || f == "iq4_nl" || f == "q4_k_s" ||
                        f == "q4_k_m" || f == "iq4_xs";
      return bump ? GgmlType::kQ5_K : s.base;
    }
    if (f == "q2_k") return GgmlType::kQ3_K;
    if (f == "q3_k_m") return GgmlType::kQ4_K;
    if (f == "q3_k_l") return GgmlType::kQ5_K;
  }
  return s.base;
}

}  // namespace

const std::vector<std::string>& SchemeNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const Scheme& s : kSchemes) v->push_back(s.name);
    return v;
  }();
  return *names;
}

uint32_t SchemeFileType(const std::string& scheme) {
  const Scheme* s = FindScheme(scheme);
  return s == nullptr ? 1024 : s->file_type;  // 1024: "guessed", as llama.cpp writes when unknown
}

std::vector<TensorSpec> ExpectedShapes(const ModelConfig& c) {
  const uint64_t h = c.hidden, q = c.QDim(), kv = c.KvDim(), f = c.ffn, v = c.vocab, hd = c.head_dim;
  // An unknown architecture's tensors are llama's: test files of one are
  // written this way, and readers refuse the architecture before its tensors.
  const ArchTraits* found = FindArch(c.arch);
  const ArchTraits& arch = found != nullptr ? *found : *FindArch("llama");
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
    if (arch.fused_qkv) {
      add("attn_qkv.weight", {h, q + 2 * kv});
      if (c.qkv_bias) add("attn_qkv.bias", {q + 2 * kv});
    } else {
      add("attn_q.weight", {h, q});
      add("attn_k.weight", {h, kv});
      add("attn_v.weight", {h, kv});
      if (c.qkv_bias) {
        add("attn_q.bias", {q});
        add("attn_k.bias", {kv});
        add("attn_v.bias", {kv});
      }
    }
    if (arch.qk_norm) {
      add("attn_q_norm.weight", {hd});
      add("attn_k_norm.weight", {hd});
    }
    add("attn_output.weight", {q, h});
    if (arch.post_norms) add("post_attention_norm.weight", {h});
    add("ffn_norm.weight", {h});
    if (arch.moe) {
      const uint64_t e = c.n_experts, ef = c.expert_ffn;
      add("ffn_gate_inp.weight", {h, e});
      add("ffn_gate_exps.weight", {h, ef, e});
      add("ffn_up_exps.weight", {h, ef, e});
      add("ffn_down_exps.weight", {ef, h, e});
    } else if (arch.fused_gate_up) {
      add("ffn_up.weight", {h, 2 * f});
    } else {
      add("ffn_gate.weight", {h, f});
      add("ffn_up.weight", {h, f});
    }
    if (!arch.moe) add("ffn_down.weight", {f, h});
    if (arch.post_norms) add("post_ffw_norm.weight", {h});
  }
  t.push_back({"output_norm.weight", {h}});
  if (!c.tied_embeddings) t.push_back({"output.weight", {h, v}});
  return t;
}

absl::StatusOr<std::vector<TensorSpec>> LayoutForScheme(const ModelConfig& c, const std::string& scheme) {
  const Scheme* s = FindScheme(scheme);
  if (s == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown quantization scheme '", scheme,
                                                   "' (known: ", absl::StrJoin(SchemeNames(), ", "), ")"));
  }
  std::vector<TensorSpec> tensors = ExpectedShapes(c);
  for (TensorSpec& t : tensors) {
    if (!t.IsMatrix() || EndsWith(t.name, "ffn_gate_inp.weight")) {
      t.type = GgmlType::kF32;  // norms, biases and routers stay F32
    } else {
      t.type = FitRow(s->llama_rules ? LlamaRuleType(*s, t, c) : s->base, t.dims[0]);
    }
    auto row = gguf::RowBytes(t.type, t.dims[0]);
    if (!row.ok()) return row.status();
    t.n_bytes = *row * t.Rows();
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

#include "common/model/weights.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/model/gguf_config.h"
#include "common/model/memory_budget.h"
#include "common/quant/dequantize.h"
#include "common/quant/fp16.h"
#include "common/quant/huge_pages.h"
#include "common/quant/repack.h"

namespace model {
namespace {

absl::StatusOr<quant::WeightMatrix> Matrix(const gguf::GgufFile& f, const std::string& name) {
  const gguf::GgufTensor* t = f.FindTensor(name);
  if (t == nullptr) return absl::InvalidArgumentError(absl::StrCat(f.path(), ": tensor '", name, "' is missing"));
  quant::WeightMatrix m{t->type, t->data, static_cast<int64_t>(t->Rows()), static_cast<int64_t>(t->dims[0])};
  if (auto s = quant::CheckMatrix(m); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(f.path(), ": tensor '", name, "': ", s.message()));
  }
  return m;
}

// Rows [first, first + count) of a matrix, as a matrix of its own.
quant::WeightMatrix Rows(const quant::WeightMatrix& m, int64_t first, int64_t count) {
  quant::WeightMatrix r = m;
  r.data = m.data + first * m.Stride();
  r.rows = count;
  return r;
}

absl::StatusOr<std::vector<float>> Vector(const gguf::GgufFile& f, const std::string& name) {
  const gguf::GgufTensor* t = f.FindTensor(name);
  if (t == nullptr) return absl::InvalidArgumentError(absl::StrCat(f.path(), ": tensor '", name, "' is missing"));
  std::vector<float> v(t->n_elements);
  if (auto s = quant::DequantizeRow(t->type, t->data, v.data(), t->n_elements); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(f.path(), ": tensor '", name, "': ", s.message()));
  }
  return v;
}

}  // namespace

quant::WeightMatrix ExpertRows(const quant::WeightMatrix& stack, int64_t experts, int64_t e) {
  const int64_t rows = stack.rows / experts;
  return Rows(stack, e * rows, rows);
}

std::vector<quant::WeightMatrix> ModelWeights::DecodeMatrices() const {
  std::vector<quant::WeightMatrix> out;
  auto add = [&](const quant::WeightMatrix& w) {
    if (w.data != nullptr && w.rows > 0) out.push_back(w);
  };
  for (const LayerWeights& l : layers_) {
    for (const quant::WeightMatrix* w : {&l.q, &l.k, &l.v, &l.o}) add(*w);
    if (config_.IsMoe()) {
      add(l.router);
      for (int64_t e = 0; e < int64_t(config_.n_experts_used); ++e) {
        for (const quant::WeightMatrix* stack : {&l.gate_exps, &l.up_exps, &l.down_exps}) {
          add(ExpertRows(*stack, config_.n_experts, e));
        }
      }
    } else {
      for (const quant::WeightMatrix* w : {&l.gate, &l.up, &l.down}) add(*w);
    }
  }
  add(output_);
  return out;
}

absl::StatusOr<std::unique_ptr<ModelWeights>> ModelWeights::Load(const std::string& path, bool repack,
                                                                 uint64_t copy_budget, bool f16_as_bf16) {
  auto file = gguf::GgufFile::Open(path);
  if (!file.ok()) return file.status();
  return FromFile(*std::move(file), repack, copy_budget, f16_as_bf16);
}

absl::StatusOr<std::unique_ptr<ModelWeights>> ModelWeights::FromFile(std::unique_ptr<gguf::GgufFile> file,
                                                                     bool repack, uint64_t copy_budget,
                                                                     bool f16_as_bf16) {
  std::unique_ptr<ModelWeights> w(new ModelWeights());
  w->file_ = std::move(file);
  const gguf::GgufFile& f = *w->file_;
  auto config = ConfigFromGguf(f);
  if (!config.ok()) return config.status();
  w->config_ = *config;
  auto tensors = LayoutFromGguf(f, w->config_);
  if (!tensors.ok()) return tensors.status();
  w->tensors_ = *tensors;

#define APR_ASSIGN(lhs, expr)        \
  {                                  \
    auto v = (expr);                 \
    if (!v.ok()) return v.status();  \
    lhs = *std::move(v);             \
  }
  for (uint32_t l = 0; l < w->config_.n_layers; ++l) {
    const int i = static_cast<int>(l);
    LayerWeights layer;
    APR_ASSIGN(layer.attn_norm, Vector(f, TensorName::Block(i, "attn_norm.weight")));
    APR_ASSIGN(layer.ffn_norm, Vector(f, TensorName::Block(i, "ffn_norm.weight")));
    const ModelConfig& c = w->config_;
    const ArchTraits& arch = c.traits();
    const int64_t q_dim = c.QDim(), kv_dim = c.KvDim();
    if (arch.fused_qkv) {
      quant::WeightMatrix qkv;
      APR_ASSIGN(qkv, Matrix(f, TensorName::Block(i, "attn_qkv.weight")));
      layer.q = Rows(qkv, 0, q_dim);
      layer.k = Rows(qkv, q_dim, kv_dim);
      layer.v = Rows(qkv, q_dim + kv_dim, kv_dim);
      if (c.qkv_bias) {
        std::vector<float> bias;
        APR_ASSIGN(bias, Vector(f, TensorName::Block(i, "attn_qkv.bias")));
        layer.q_bias.assign(bias.begin(), bias.begin() + q_dim);
        layer.k_bias.assign(bias.begin() + q_dim, bias.begin() + q_dim + kv_dim);
        layer.v_bias.assign(bias.begin() + q_dim + kv_dim, bias.end());
      }
    } else {
      APR_ASSIGN(layer.q, Matrix(f, TensorName::Block(i, "attn_q.weight")));
      APR_ASSIGN(layer.k, Matrix(f, TensorName::Block(i, "attn_k.weight")));
      APR_ASSIGN(layer.v, Matrix(f, TensorName::Block(i, "attn_v.weight")));
      if (c.qkv_bias) {
        APR_ASSIGN(layer.q_bias, Vector(f, TensorName::Block(i, "attn_q.bias")));
        APR_ASSIGN(layer.k_bias, Vector(f, TensorName::Block(i, "attn_k.bias")));
        APR_ASSIGN(layer.v_bias, Vector(f, TensorName::Block(i, "attn_v.bias")));
      }
    }
    if (arch.qk_norm) {
      APR_ASSIGN(layer.q_norm, Vector(f, TensorName::Block(i, "attn_q_norm.weight")));
      APR_ASSIGN(layer.k_norm, Vector(f, TensorName::Block(i, "attn_k_norm.weight")));
    }
    if (arch.post_norms) {
      APR_ASSIGN(layer.post_attn_norm, Vector(f, TensorName::Block(i, "post_attention_norm.weight")));
      APR_ASSIGN(layer.post_ffn_norm, Vector(f, TensorName::Block(i, "post_ffw_norm.weight")));
    }
    APR_ASSIGN(layer.o, Matrix(f, TensorName::Block(i, "attn_output.weight")));
    if (arch.moe) {
      APR_ASSIGN(layer.router, Matrix(f, TensorName::Block(i, "ffn_gate_inp.weight")));
      APR_ASSIGN(layer.gate_exps, Matrix(f, TensorName::Block(i, "ffn_gate_exps.weight")));
      APR_ASSIGN(layer.up_exps, Matrix(f, TensorName::Block(i, "ffn_up_exps.weight")));
      APR_ASSIGN(layer.down_exps, Matrix(f, TensorName::Block(i, "ffn_down_exps.weight")));
    } else if (arch.fused_gate_up) {
      quant::WeightMatrix gate_up;
      APR_ASSIGN(gate_up, Matrix(f, TensorName::Block(i, "ffn_up.weight")));
      layer.gate = Rows(gate_up, 0, c.ffn);
      layer.up = Rows(gate_up, c.ffn, c.ffn);
    } else {
      APR_ASSIGN(layer.gate, Matrix(f, TensorName::Block(i, "ffn_gate.weight")));
      APR_ASSIGN(layer.up, Matrix(f, TensorName::Block(i, "ffn_up.weight")));
    }
    if (!arch.moe) APR_ASSIGN(layer.down, Matrix(f, TensorName::Block(i, "ffn_down.weight")));
    w->layers_.push_back(std::move(layer));
  }
  APR_ASSIGN(w->output_norm_, Vector(f, "output_norm.weight"));
  // Rope factors: one per frequency, head_dim / 2 of them.
  const size_t n_freq = w->config_.head_dim / 2;
  for (const auto& [name, dst] : {std::pair<const char*, std::vector<float>*>{"rope_freqs.weight", &w->rope_factors_},
                                  {"rope_factors_short.weight", &w->rope_factors_},
                                  {"rope_factors_long.weight", &w->rope_factors_long_}}) {
    if (f.FindTensor(name) == nullptr) continue;
    APR_ASSIGN(*dst, Vector(f, name));
    if (dst->size() != n_freq) {
      return absl::InvalidArgumentError(absl::StrCat(f.path(), ": tensor '", name, "' has ", dst->size(),
                                                     " factors, the config implies ", n_freq));
    }
    for (float v : *dst) {
      if (!(v > 0 && v < 1e6f)) {
        return absl::InvalidArgumentError(absl::StrCat(f.path(), ": tensor '", name, "' holds a factor ", v,
                                                       " (rope factors must be positive and finite)"));
      }
    }
  }
  if (auto orig = f.GetUint(w->config_.arch + ".rope.scaling.original_context_length"); orig.ok()) {
    w->rope_original_context_ = static_cast<int>(std::min<uint64_t>(*orig, 1 << 30));
  } else {
    w->rope_original_context_ = static_cast<int>(w->config_.context_length);
  }
  APR_ASSIGN(w->token_embd_, Matrix(f, "token_embd.weight"));
  if (w->config_.tied_embeddings) {
    w->output_ = w->token_embd_;
  } else {
    APR_ASSIGN(w->output_, Matrix(f, "output.weight"));
  }
#undef APR_ASSIGN
  if (f.Changed()) return absl::DataLossError(absl::StrCat(f.path(), ": the file shrank while it was loaded"));
  if (repack) {
    // Plain copies only buy speed, so they stop at half the machine's memory:
    // a model too large for that is read in place from the file, as before.
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t plain_budget = pages > 0 && page > 0 ? size_t(pages) * size_t(page) / 2 : 0;
    // Every copy stops at the memory available: qwen3-30b-a3b (17.3 GB) on
    // a 24 GB machine with 10 GB in use elsewhere needs it to run at all.
    uint64_t budget = copy_budget == kMachineBudget ? CopyBudgetBytes() : copy_budget;
    // Layouts in groups of 8 rows keep an expert's view whole only when its
    // rows are whole groups; other stacks keep the file's rows.
    // `plain`: the file's layout, whose rows Embed dequantizes.
    auto copy_one = [&](quant::WeightMatrix& m, int64_t experts, bool plain = false) {
      if (m.data == nullptr) return;  // a dense model's expert stacks, a mixture's gate/up/down
      // The file's bytes: a layout's differ by its rows' padding to 64 bytes.
      const size_t file_bytes = m.Stride() * m.rows;
      if (file_bytes > budget) {
        w->in_place_bytes_ += file_bytes;
        return;
      }
      budget -= file_bytes;
      const bool split_groups = quant::R8QuantBytes(m.type) > 0 && (m.rows / experts) % 8 != 0 && experts > 1;
      quant::RepackedRows r;
      r.matrix = m;
      if (!split_groups && !plain) r = quant::RepackRows(m);
      if (r.storage.empty()) {  // no layout of its own: the same bytes, on huge pages
        if (file_bytes > plain_budget) {
          budget += file_bytes;  // read in place, as it always was past half the memory
          return;
        }
        plain_budget -= file_bytes;
        quant::WeightBuffer copy(file_bytes);
        if (f16_as_bf16 && !plain && m.type == gguf::GgmlType::kF16) {
          const auto* from = reinterpret_cast<const uint16_t*>(m.data);
          auto* to = reinterpret_cast<uint16_t*>(copy.data());
          for (size_t i = 0; i < file_bytes / 2; ++i) to[i] = quant::F32ToBf16(quant::F16ToF32(from[i]));
          m.type = gguf::GgmlType::kBF16;
          ++w->rounded_to_bf16_;
        } else {
          std::memcpy(copy.data(), m.data, copy.size());
        }
        m.data = copy.data();
        w->copies_.push_back(std::move(copy));
        return;
      }
      m = r.matrix;  // points into r.storage, whose buffer the move keeps
      w->copies_.push_back(std::move(r.storage));
    };
    for (LayerWeights& l : w->layers_) {
      for (quant::WeightMatrix* m : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down, &l.router}) copy_one(*m, 1);
      for (quant::WeightMatrix* m : {&l.gate_exps, &l.up_exps, &l.down_exps}) {
        copy_one(*m, std::max<int64_t>(1, w->config_.n_experts));
      }
    }
    // The output head (a tied one gets a copy of its own in the kernels'
    // layout), then the embedding table as the file lays it out: read in
    // place, a model larger than the page cache can keep beside its copies
    // (qwen3-30b-a3b on 24 GB) read a row from disk for each new token, 1.5 ms.
    copy_one(w->output_, 1);
    copy_one(w->token_embd_, 1, /*plain=*/true);
    w->GatherSmallCopies();
    if (f.Changed()) return absl::DataLossError(absl::StrCat(f.path(), ": the file shrank while it was loaded"));
  }
  return w;
}

absl::StatusOr<double> ModelWeights::HugePageShare() const {
  std::vector<quant::MemorySpan> spans;
  for (const quant::WeightBuffer& c : copies_) spans.push_back({c.data(), c.size()});
  return quant::HugePageShare(spans);
}

void ModelWeights::GatherSmallCopies() {
  constexpr size_t kHugePage = size_t{2} << 20, kPage = 4096;
  size_t total = 0;
  for (const quant::WeightBuffer& c : copies_) {
    if (c.size() < kHugePage) total += (c.size() + kPage - 1) / kPage * kPage;
  }
  if (total < kHugePage) return;
  quant::WeightBuffer arena(total);
  std::vector<quant::WeightMatrix*> matrices = {&output_, &token_embd_};
  for (LayerWeights& l : layers_) {
    for (quant::WeightMatrix* m : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down, &l.router, &l.gate_exps,
                                   &l.up_exps, &l.down_exps}) {
      matrices.push_back(m);
    }
  }
  std::vector<quant::WeightBuffer> kept;
  size_t offset = 0;
  for (quant::WeightBuffer& c : copies_) {
    if (c.size() >= kHugePage) {
      kept.push_back(std::move(c));
      continue;
    }
    uint8_t* to = arena.data() + offset;
    std::memcpy(to, c.data(), c.size());
    for (quant::WeightMatrix* m : matrices) {
      if (m->data >= c.data() && m->data < c.data() + c.size()) m->data = to + (m->data - c.data());
    }
    offset += (c.size() + kPage - 1) / kPage * kPage;
  }
  kept.push_back(std::move(arena));
  copies_ = std::move(kept);
}

const std::vector<float>& ModelWeights::RopeFactors(int context) const {
  if (!rope_factors_long_.empty() && context > rope_original_context_) return rope_factors_long_;
  return rope_factors_;
}

absl::Status ModelWeights::Embed(int32_t token, float* out) const {
  if (token < 0 || token >= token_embd_.rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("token id ", token, " is outside the vocabulary [0, ", token_embd_.rows, ")"));
  }
  return quant::DequantizeRow(token_embd_.type, token_embd_.data + token * token_embd_.RowBytes(), out,
                              token_embd_.cols);
}

}  // namespace model

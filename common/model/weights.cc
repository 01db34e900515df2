#include "common/model/weights.h"

#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/model/gguf_config.h"
#include "common/quant/dequantize.h"

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

absl::StatusOr<std::unique_ptr<ModelWeights>> ModelWeights::Load(const std::string& path, bool repack) {
  auto file = gguf::GgufFile::Open(path);
  if (!file.ok()) return file.status();
  return FromFile(*std::move(file), repack);
}

absl::StatusOr<std::unique_ptr<ModelWeights>> ModelWeights::FromFile(std::unique_ptr<gguf::GgufFile> file,
                                                                     bool repack) {
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
    APR_ASSIGN(layer.q, Matrix(f, TensorName::Block(i, "attn_q.weight")));
    APR_ASSIGN(layer.k, Matrix(f, TensorName::Block(i, "attn_k.weight")));
    APR_ASSIGN(layer.v, Matrix(f, TensorName::Block(i, "attn_v.weight")));
    APR_ASSIGN(layer.o, Matrix(f, TensorName::Block(i, "attn_output.weight")));
    APR_ASSIGN(layer.gate, Matrix(f, TensorName::Block(i, "ffn_gate.weight")));
    APR_ASSIGN(layer.up, Matrix(f, TensorName::Block(i, "ffn_up.weight")));
    APR_ASSIGN(layer.down, Matrix(f, TensorName::Block(i, "ffn_down.weight")));
    if (w->config_.qkv_bias) {
      APR_ASSIGN(layer.q_bias, Vector(f, TensorName::Block(i, "attn_q.bias")));
      APR_ASSIGN(layer.k_bias, Vector(f, TensorName::Block(i, "attn_k.bias")));
      APR_ASSIGN(layer.v_bias, Vector(f, TensorName::Block(i, "attn_v.bias")));
    }
    w->layers_.push_back(std::move(layer));
  }
  APR_ASSIGN(w->output_norm_, Vector(f, "output_norm.weight"));
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
    size_t copy_budget = pages > 0 && page > 0 ? size_t(pages) * size_t(page) / 2 : 0;
    auto copy_one = [&](quant::WeightMatrix& m) {
      quant::RepackedRows r = quant::RepackRows(m);
      if (r.storage.empty()) {  // no layout of its own: the same bytes, on huge pages
        const size_t bytes = m.Stride() * m.rows;
        if (bytes > copy_budget) return;
        copy_budget -= bytes;
        quant::WeightBuffer copy(bytes);
        std::memcpy(copy.data(), m.data, copy.size());
        m.data = copy.data();
        w->copies_.push_back(std::move(copy));
        return;
      }
      m = r.matrix;  // points into r.storage, whose buffer the move keeps
      w->copies_.push_back(std::move(r.storage));
    };
    for (LayerWeights& l : w->layers_) {
      for (quant::WeightMatrix* m : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) copy_one(*m);
    }
    // The output head; the embedding table stays as in the file (rows are
    // dequantized from it), so a tied head gets its own copy.
    copy_one(w->output_);
    if (f.Changed()) return absl::DataLossError(absl::StrCat(f.path(), ": the file shrank while it was loaded"));
  }
  return w;
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

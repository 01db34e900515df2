// Writes a corpus of malformed model files, one per way a GGUF file can be
// wrong, and a manifest: "<file>\t<text the error must contain>" per line,
// with "\trun" after it for a file that only running must refuse (a profile
// sizes every ggml type).
// The regression test runs `apr` on each.
//
//   malformed_models OUT_DIR
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "common/gguf/gguf_file.h"
#include "common/gguf/gguf_writer.h"
#include "common/model/gguf_config.h"
#include "common/model/tensor_layout.h"

namespace {

using gguf::GgmlType;

model::ModelConfig Tiny() {
  model::ModelConfig c;
  c.name = "tiny";
  c.arch = "llama";
  c.n_layers = 1;
  c.hidden = 256;
  c.n_heads = 4;
  c.n_kv_heads = 2;
  c.head_dim = 64;
  c.ffn = 512;
  c.vocab = 300;
  c.context_length = 64;
  c.norm_eps = 1e-5f;
  return c;
}

// A valid model, or one changed: `skip` drops a tensor, `widen` gives a
// matrix one row too many, `extra` adds or overrides metadata, `retype`
// stores that tensor in `type` instead.
std::string Model(const model::ModelConfig& c, const std::string& skip = "", const std::string& widen = "",
                  void (*extra)(gguf::GgufWriter*) = nullptr, const std::string& retype = "",
                  GgmlType type = GgmlType::kQ8_0) {
  gguf::GgufWriter w;
  model::AddConfigMetadata(c, &w);
  if (extra) extra(&w);
  const auto layout = model::LayoutForScheme(c, "q8_0");
  if (!layout.ok()) std::exit(1);
  for (model::TensorSpec t : *layout) {
    if (t.name == skip) continue;
    if (t.name == widen) t.dims[1] += 1;
    if (t.name == retype) t.type = type;
    const uint64_t rows = t.Rows();
    std::vector<uint8_t> data(*gguf::RowBytes(t.type, t.dims[0]) * rows, 1);
    if (!w.AddTensor(t.name, t.dims, t.type, std::move(data)).ok()) std::abort();
  }
  return w.Serialize();
}

template <typename T>
std::string Patch(std::string bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
  return bytes;
}

// Offset of a tensor info's fields: its name, then n_dims, dims, type, offset.
size_t TensorInfo(const std::string& bytes, const std::string& name) {
  const size_t pos = bytes.find(std::string("\0", 1) + name);  // after the length's high zero byte
  if (pos == std::string::npos) {
    std::fprintf(stderr, "no tensor info %s\n", name.c_str());
    std::exit(1);
  }
  return pos + 1 + name.size();  // at n_dims
}

size_t KeyValue(const std::string& bytes, const std::string& key) {
  const size_t pos = bytes.find(key);
  if (pos == std::string::npos) {
    std::fprintf(stderr, "no key %s\n", key.c_str());
    std::exit(1);
  }
  return pos + key.size();  // at the value type
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const model::ModelConfig c = Tiny();
  const std::string good = Model(c);
  struct Case {
    std::string name, bytes, expected;
    bool run_only = false;
  };
  std::vector<Case> cases;
  auto add = [&](const std::string& name, const std::string& bytes, const std::string& expected) {
    cases.push_back({name, bytes, expected});
  };
  const size_t q = TensorInfo(good, "blk.0.attn_q.weight");     // n_dims
  const size_t q_dims = q + 4, q_type = q + 4 + 16, q_offset = q + 4 + 16 + 4;
  const size_t k_offset = TensorInfo(good, "blk.0.attn_k.weight") + 4 + 16 + 4;
  const size_t arch_type = KeyValue(good, "general.architecture");

  add("empty.gguf", "", "magic: file ends");
  add("bad-magic.gguf", Patch<uint32_t>(good, 0, 0x46554746), "not a GGUF file");
  add("version-1.gguf", Patch<uint32_t>(good, 4, 1), "unsupported GGUF version 1");
  add("version-9.gguf", Patch<uint32_t>(good, 4, 9), "unsupported GGUF version 9");
  add("big-endian.gguf", Patch<uint32_t>(good, 4, 0x03000000), "big-endian");
  add("truncated-header.gguf", good.substr(0, 10), "tensor count: file ends");
  add("truncated-tensor-infos.gguf", good.substr(0, q + 10), "file ends");
  add("truncated-data.gguf", good.substr(0, good.size() * 7 / 10), "runs past the end of the file");
  add("absurd-tensor-count.gguf", Patch<uint64_t>(good, 8, 1ull << 50), "tensors cannot fit");
  add("absurd-metadata-count.gguf", Patch<uint64_t>(good, 16, 1ull << 60), "entries cannot fit");
  add("key-length-past-end.gguf", Patch<uint64_t>(good, 24, 1ull << 40), "runs past the end");
  add("string-length-past-end.gguf", Patch<uint64_t>(good, arch_type + 4, 1ull << 33), "runs past the end");
  add("unknown-value-type.gguf", Patch<uint32_t>(good, arch_type, 77), "unknown value type 77");
  const size_t tokens_type = KeyValue(good, "tokenizer.ggml.tokens");
  add("truncated-metadata.gguf", good.substr(0, tokens_type + 200), "metadata 'tokenizer.ggml.tokens'");
  add("unknown-array-type.gguf", Patch<uint32_t>(good, tokens_type + 4, 99), "unknown array element type 99");
  add("absurd-array-count.gguf", Patch<uint64_t>(good, tokens_type + 8, 1ull << 61), "cannot fit");
  add("zero-dims.gguf", Patch<uint32_t>(good, q, 0), "0 dimensions");
  add("five-dims.gguf", Patch<uint32_t>(good, q, 5), "5 dimensions");
  add("overflowing-dims.gguf", Patch<uint64_t>(Patch<uint64_t>(good, q_dims, 1ull << 40), q_dims + 8, 1ull << 40),
      "overflows");
  add("unknown-tensor-type.gguf", Patch<uint32_t>(good, q_type, 4), "unknown tensor type 4");
  // A type ggml knows and the engine does not run yet: the tensor, the type
  // and the types that run are named.
  cases.push_back({"unsupported-tensor-type.gguf",
                   Model(c, "", "", nullptr, "blk.0.ffn_up.weight", GgmlType::kIQ3_S),
                   "tensor 'blk.0.ffn_up.weight': no matrix kernels for tensor type IQ3_S (supported: F32, F16, Q4_0, "
                   "Q4_1",
                   /*run_only=*/true});
  add("partial-block-row.gguf", Patch<uint64_t>(good, q_dims, 100), "is not a multiple of the Q8_0 block size");
  add("data-out-of-bounds.gguf", Patch<uint64_t>(good, q_offset, 1ull << 40), "runs past the end of the file");
  add("misaligned-offset.gguf", Patch<uint64_t>(good, q_offset, 8), "not a multiple of the alignment");
  {
    uint64_t k_off;
    std::memcpy(&k_off, good.data() + k_offset, 8);
    add("overlapping-tensors.gguf", Patch<uint64_t>(good, q_offset, k_off), "overlaps tensor");
  }
  add("duplicate-key.gguf", [&] {
        // Two keys of one length (20): rename the second into the first.
        std::string d = good;
        d.replace(d.find("llama.rope.freq_base"), 20, "llama.context_length");  // both 20 bytes
        return d;
      }(),
      "duplicate key");
  add("duplicate-tensor-name.gguf", [&] {
        std::string d = good;
        const size_t at = d.find("blk.0.attn_k.weight");
        d.replace(at, 19, "blk.0.attn_q.weight");
        return d;
      }(),
      "duplicate tensor name");
  add("missing-tensor.gguf", Model(c, "blk.0.ffn_up.weight"), "'blk.0.ffn_up.weight' is missing");
  add("wrong-shape.gguf", Model(c, "", "blk.0.attn_k.weight"), "'blk.0.attn_k.weight' has shape");
  {
    model::ModelConfig bad = c;
    bad.arch = "gptj";
    add("unsupported-arch.gguf", Model(bad), "architecture 'gptj' is not supported");
  }
  add("missing-metadata.gguf", [&] {
        std::string d = good;
        const size_t at = d.find("llama.block_count");
        d.replace(at, 17, "llama.block_xxxxx");
        return d;
      }(),
      "'llama.block_count' is missing");
  add("bad-alignment.gguf", Model(c, "", "", [](gguf::GgufWriter* w) {
        w->Set("general.alignment", gguf::GgufValue::Uint(gguf::ValueType::kUint32, 24));
      }),
      "general.alignment");
  add("kv-heads-not-dividing.gguf", Model(c, "", "", [](gguf::GgufWriter* w) {
        w->SetUint32("llama.attention.head_count_kv", 3);
      }),
      "not a multiple of 3 kv heads");
  {
    std::string d = Model(c, "", "", [](gguf::GgufWriter* w) { w->SetBool("general.flag", true); });
    const size_t at = KeyValue(d, "general.flag") + 4;
    d[at] = 7;
    add("bool-not-0-or-1.gguf", d, "bool value 7 is not 0 or 1");
  }
  add("metadata-wrong-type.gguf", Model(c, "", "", [](gguf::GgufWriter* w) {
        w->SetString("llama.embedding_length", "wide");
      }),
      "'llama.embedding_length' is string, not an integer");
  add("huge-dimension.gguf", Model(c, "", "", [](gguf::GgufWriter* w) {
        w->SetUint32("llama.feed_forward_length", 4000000);
      }),
      "larger than any model");

  // A mixture of experts: metadata that contradicts itself or its tensors.
  {
    model::ModelConfig moe = c;
    moe.arch = "qwen3moe";
    moe.n_experts = 8;
    moe.n_experts_used = 2;
    moe.expert_ffn = 256;
    add("moe-more-used-than-experts.gguf", Model(moe, "", "", [](gguf::GgufWriter* w) {
          w->SetUint32("qwen3moe.expert_used_count", 9);
        }),
        "experts: 9 used of 8");
    add("moe-no-expert-count.gguf", [&] {
          std::string d = Model(moe);
          const size_t at = d.find("qwen3moe.expert_count");
          d.replace(at, 21, "qwen3moe.expert_xxxxx");
          return d;
        }(),
        "'qwen3moe.expert_count' is missing");
    add("moe-expert-stack-shape.gguf", Model(moe, "", "blk.0.ffn_up_exps.weight"),
        "'blk.0.ffn_up_exps.weight' has shape [256, 257, 8]");
  }

  std::ofstream manifest(dir + "/MANIFEST");
  for (const Case& k : cases) {
    std::ofstream(dir + "/" + k.name, std::ios::binary) << k.bytes;
    manifest << k.name << "\t" << k.expected << (k.run_only ? "\trun" : "") << "\n";
  }
  std::printf("%zu malformed models written to %s\n", cases.size(), dir.c_str());
  return 0;
}

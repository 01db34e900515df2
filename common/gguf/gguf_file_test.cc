#include "common/gguf/gguf_file.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/gguf/gguf_writer.h"
#include "gtest/gtest.h"

namespace gguf {
namespace {

std::vector<uint8_t> Bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

GgufWriter SampleWriter() {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetUint32("llama.block_count", 2);
  w.SetFloat32("llama.rope.freq_base", 10000.0f);
  w.SetBool("general.flag", true);
  w.Set("general.i64", GgufValue::Int(ValueType::kInt64, -5));
  w.Set("general.f64", GgufValue::Float(ValueType::kFloat64, 0.25));
  w.Set("general.u8", GgufValue::Uint(ValueType::kUint8, 200));
  w.SetStringArray("tokenizer.ggml.tokens", {"a", "bb", ""});
  w.SetInt32Array("tokenizer.ggml.token_type", {1, 2, 3});
  w.Set("general.nested",
        GgufValue::Array(ValueType::kArray,
                         {GgufValue::Array(ValueType::kUint16, {GgufValue::Uint(ValueType::kUint16, 7)}),
                          GgufValue::Array(ValueType::kUint16, {})}));
  EXPECT_TRUE(w.AddTensor("a.weight", {64, 3}, GgmlType::kF32, Bytes(64 * 3 * 4, 1)).ok());
  EXPECT_TRUE(w.AddTensor("b.weight", {256, 2}, GgmlType::kQ4_K, Bytes(2 * 144, 2)).ok());
  EXPECT_TRUE(w.AddTensor("c.weight", {32}, GgmlType::kQ8_0, Bytes(34, 3)).ok());
  return w;
}

TEST(GgufFile, RoundTripsEveryValueTypeAndTensor) {
  const std::string bytes = SampleWriter().Serialize();
  auto f = GgufFile::Parse(bytes);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->version(), 3u);
  EXPECT_EQ(*(*f)->GetString("general.architecture"), "llama");
  EXPECT_EQ(*(*f)->GetUint("llama.block_count"), 2u);
  EXPECT_FLOAT_EQ(*(*f)->GetFloat("llama.rope.freq_base"), 10000.0f);
  EXPECT_TRUE(*(*f)->GetBool("general.flag"));
  EXPECT_FALSE((*f)->GetUint("general.i64").ok());  // negative
  EXPECT_DOUBLE_EQ(*(*f)->GetFloat("general.f64"), 0.25);
  EXPECT_EQ(*(*f)->GetUint("general.u8"), 200u);
  const GgufValue* tokens = (*f)->Find("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  ASSERT_EQ(tokens->array.size(), 3u);
  EXPECT_EQ(tokens->array[1].str, "bb");
  const GgufValue* nested = (*f)->Find("general.nested");
  ASSERT_EQ(nested->array.size(), 2u);
  EXPECT_EQ(nested->array[0].array[0].u, 7u);
  EXPECT_TRUE(nested->array[1].array.empty());

  ASSERT_EQ((*f)->tensors().size(), 3u);
  const GgufTensor* b = (*f)->FindTensor("b.weight");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type, GgmlType::kQ4_K);
  EXPECT_EQ(b->n_bytes, 288u);
  EXPECT_EQ(b->Rows(), 2u);
  EXPECT_EQ(b->data[0], 2);
  EXPECT_EQ(b->data[5], static_cast<uint8_t>(2 + 35));
  EXPECT_EQ((b->data - reinterpret_cast<const uint8_t*>(bytes.data())) % 32, 0);
  EXPECT_EQ((*f)->TensorDataBytes(), 64u * 3 * 4 + 288 + 34);
}

TEST(GgufFile, TypedLookupsNameTheKey) {
  auto f = GgufFile::Parse(SampleWriter().Serialize(), "m.gguf");
  ASSERT_TRUE(f.ok());
  auto missing = (*f)->GetUint("llama.nothing");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("'llama.nothing'"), std::string::npos);
  auto wrong = (*f)->GetUint("general.architecture");
  EXPECT_NE(wrong.status().message().find("is string, not an integer"), std::string::npos);
}

TEST(GgufFile, OpensAFileByMapping) {
  const std::string path = testing::TempDir() + "/sample.gguf";
  ASSERT_TRUE(SampleWriter().WriteFile(path).ok());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->file_size(), std::filesystem::file_size(path));
  EXPECT_EQ((*f)->FindTensor("c.weight")->data[0], 3);
  EXPECT_FALSE(GgufFile::Open(path + ".missing").ok());
  EXPECT_FALSE(GgufFile::Open(testing::TempDir()).ok());  // a directory
}

TEST(GgufFile, AFileTruncatedUnderneathIsReportedNotACrash) {
  const std::string path = testing::TempDir() + "/shrinks.gguf";
  GgufWriter w;
  ASSERT_TRUE(w.AddTensor("big", {1024, 64}, GgmlType::kF32, Bytes(1024 * 64 * 4, 5)).ok());
  ASSERT_TRUE(w.WriteFile(path).ok());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE((*f)->Changed());
  const GgufTensor* t = (*f)->FindTensor("big");
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  // Reading every byte of the tensor now touches pages past the new end.
  uint64_t sum = 0;
  for (uint64_t i = 0; i < t->n_bytes; ++i) sum += t->data[i];
  EXPECT_TRUE((*f)->Changed());
  EXPECT_GT(sum, 0u);  // the bytes before the cut were read as they were
}

TEST(GgufFile, CustomAlignmentIsHonoured) {
  GgufWriter w(64);
  ASSERT_TRUE(w.AddTensor("x", {32}, GgmlType::kF32, Bytes(128, 0)).ok());
  ASSERT_TRUE(w.AddTensor("y", {32}, GgmlType::kF16, Bytes(64, 0)).ok());
  const std::string bytes = w.Serialize();
  auto f = GgufFile::Parse(bytes);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ((*f)->alignment(), 64u);
  EXPECT_EQ((*f)->data_offset() % 64, 0u);
}

TEST(GgufFile, EveryTruncationIsAnErrorNotACrash) {
  const std::string bytes = SampleWriter().Serialize();
  auto whole = GgufFile::Parse(bytes);
  ASSERT_TRUE(whole.ok());
  const GgufTensor& last = (*whole)->tensors().back();
  // Only the padding after the last tensor's data may be cut.
  const size_t data_end = (*whole)->data_offset() + last.offset + last.n_bytes;
  for (size_t n = 0; n < data_end; ++n) {
    auto f = GgufFile::Parse(std::string_view(bytes.data(), n));
    ASSERT_FALSE(f.ok()) << "truncated to " << n << " bytes";
  }
}

// Patches bytes at `offset` of a serialized file.
template <typename T>
std::string Patch(std::string bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
  return bytes;
}

struct Corruption {
  const char* what;
  std::string bytes;
  const char* expected;
};

TEST(GgufFile, EachCorruptionHasItsOwnMessage) {
  GgufWriter one;
  one.SetString("k", "v");
  ASSERT_TRUE(one.AddTensor("t", {32, 2}, GgmlType::kF32, Bytes(256, 0)).ok());
  const std::string good = one.Serialize();
  // Layout: 0 magic, 4 version, 8 n_tensors, 16 n_kv, 24 key len, 32 "k",
  // 33 type, 37 value len, 45 "v", 46 name len, 54 "t", 55 n_dims, 59 dim0,
  // 67 dim1, 75 type, 79 offset.
  ASSERT_TRUE(GgufFile::Parse(good).ok());
  const Corruption cases[] = {
      {"magic", Patch<uint32_t>(good, 0, 0x46554746), "not a GGUF file"},
      {"version", Patch<uint32_t>(good, 4, 7), "unsupported GGUF version 7"},
      {"big endian", Patch<uint32_t>(good, 4, 0x03000000), "big-endian"},
      {"tensor count", Patch<uint64_t>(good, 8, 1ull << 40), "tensors cannot fit"},
      {"metadata count", Patch<uint64_t>(good, 16, ~0ull), "entries cannot fit"},
      {"key length", Patch<uint64_t>(good, 24, 1ull << 62), "runs past the end"},
      {"value type", Patch<uint32_t>(good, 33, 99), "unknown value type 99"},
      {"string length", Patch<uint64_t>(good, 37, 5000), "runs past the end"},
      {"n_dims", Patch<uint32_t>(good, 55, 9), "9 dimensions"},
      {"zero dim", Patch<uint64_t>(good, 59, 0), "dimension 0 is 0"},
      {"dims overflow", Patch<uint64_t>(Patch<uint64_t>(good, 59, 1ull << 40), 67, 1ull << 40),
       "overflows"},
      {"tensor type", Patch<uint32_t>(good, 75, 4), "unknown tensor type 4"},
      {"block size", Patch<uint32_t>(good, 75, static_cast<uint32_t>(GgmlType::kQ4_K)),
       "not a multiple of the Q4_K block size"},
      {"misaligned", Patch<uint64_t>(good, 79, 8), "not a multiple of the alignment"},
      {"past end", Patch<uint64_t>(good, 79, 4096), "runs past the end of the file"},
      {"huge dims in bounds", Patch<uint64_t>(good, 67, 1ull << 30), "runs past the end of the file"},
  };
  for (const Corruption& c : cases) {
    auto f = GgufFile::Parse(c.bytes, "bad.gguf");
    ASSERT_FALSE(f.ok()) << c.what;
    EXPECT_NE(f.status().message().find(c.expected), std::string::npos)
        << c.what << ": " << f.status().message();
    EXPECT_NE(f.status().message().find("bad.gguf"), std::string::npos) << c.what;
  }
}

TEST(GgufFile, DuplicatesAndOverlapsAreRejected) {
  GgufWriter dup_key;
  dup_key.SetString("a", "1");
  dup_key.SetString("b", "2");
  std::string bytes = dup_key.Serialize();
  bytes.replace(bytes.find("b"), 1, "a");
  auto f = GgufFile::Parse(bytes);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("duplicate key"), std::string::npos) << f.status();

  GgufWriter dup_tensor;
  ASSERT_TRUE(dup_tensor.AddTensor("x", {32}, GgmlType::kF32, Bytes(128, 0)).ok());
  ASSERT_TRUE(dup_tensor.AddTensor("y", {32}, GgmlType::kF32, Bytes(128, 0)).ok());
  bytes = dup_tensor.Serialize();
  const size_t y_name = bytes.find('y', 24);
  std::string renamed = bytes;
  renamed[y_name] = 'x';
  f = GgufFile::Parse(renamed);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("duplicate tensor name"), std::string::npos) << f.status();

  // y's offset (after its type) points into x's data.
  const size_t y_offset = y_name + 1 + 4 + 8 + 4;
  f = GgufFile::Parse(Patch<uint64_t>(bytes, y_offset, 32));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("overlaps tensor 'x'"), std::string::npos) << f.status();
}

TEST(GgufFile, HostileArraysAreBounded) {
  GgufWriter w;
  w.SetInt32Array("arr", {1, 2});
  std::string bytes = w.Serialize();
  // key "arr" at 24..35, type at 35, element type at 39, count at 43.
  auto f = GgufFile::Parse(Patch<uint64_t>(bytes, 43, 1ull << 60));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("cannot fit"), std::string::npos) << f.status();
  f = GgufFile::Parse(Patch<uint32_t>(bytes, 39, 77));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("unknown array element type 77"), std::string::npos);

  // Arrays nested deeper than 8.
  GgufValue v = GgufValue::Array(ValueType::kUint8, {});
  for (int d = 0; d < 10; ++d) v = GgufValue::Array(ValueType::kArray, {v});
  GgufWriter deep;
  deep.Set("deep", v);
  f = GgufFile::Parse(deep.Serialize());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("nested deeper"), std::string::npos);
}

TEST(GgufFile, BadAlignmentIsRejected) {
  GgufWriter w;
  w.Set("general.alignment", GgufValue::Uint(ValueType::kUint32, 24));
  auto f = GgufFile::Parse(w.Serialize());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("general.alignment"), std::string::npos);
}

TEST(GgufWriter, RejectsWrongSizes) {
  GgufWriter w;
  EXPECT_FALSE(w.AddTensor("x", {32}, GgmlType::kF32, Bytes(100, 0)).ok());
  EXPECT_FALSE(w.AddTensor("x", {100}, GgmlType::kQ4_K, Bytes(144, 0)).ok());
  EXPECT_FALSE(w.AddTensor("x", {}, GgmlType::kF32, {}).ok());
}

// A deferred tensor's bytes are made when the file is written, in order, and
// give the same file as the bytes given up front; a producer's error or a
// wrong size fails the write.
TEST(GgufWriter, DeferredTensorsAreMadeWhenWritten) {
  GgufWriter given, deferred;
  int made = 0;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "t" + std::to_string(i);
    ASSERT_TRUE(given.AddTensor(name, {8, 2}, GgmlType::kF32, Bytes(64, uint8_t(i))).ok());
    ASSERT_TRUE(deferred
                    .AddDeferredTensor(name, {8, 2}, GgmlType::kF32,
                                       [&made, i]() -> absl::StatusOr<std::vector<uint8_t>> {
                                         EXPECT_EQ(made++, i);
                                         return Bytes(64, uint8_t(i));
                                       })
                    .ok());
  }
  EXPECT_EQ(made, 0);
  const std::string path = testing::TempDir() + "/deferred.gguf";
  ASSERT_TRUE(deferred.WriteFile(path).ok());
  EXPECT_EQ(made, 3);
  std::ifstream in(path, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, given.Serialize());

  GgufWriter short_one, failing;
  ASSERT_TRUE(short_one
                  .AddDeferredTensor("x", {8}, GgmlType::kF32,
                                     []() -> absl::StatusOr<std::vector<uint8_t>> { return Bytes(4, 0); })
                  .ok());
  EXPECT_FALSE(short_one.WriteFile(path).ok());
  ASSERT_TRUE(failing
                  .AddDeferredTensor("x", {8}, GgmlType::kF32,
                                     []() -> absl::StatusOr<std::vector<uint8_t>> {
                                       return absl::InternalError("no bytes");
                                     })
                  .ok());
  EXPECT_EQ(failing.WriteFile(path).message(), "no bytes");
}

}  // namespace
}  // namespace gguf

#include "tools/apr/args.h"

#include "gtest/gtest.h"

namespace apr {
namespace {

struct Parsed {
  bool json = false;
  std::string svg, model;
  int64_t threads = 0;
  std::vector<int64_t> prompts = {512};
};

absl::Status Parse(const std::vector<std::string>& args, Parsed* p) {
  ArgParser parser("test", "a test command");
  parser.AddFlag("json", &p->json, "json");
  parser.AddString("svg", &p->svg, "FILE", "svg");
  parser.AddInt("threads", &p->threads, 1, 64, "threads");
  parser.AddIntList("prompt", &p->prompts, 1, 4096, "prompt sizes");
  parser.AddAlias("-p", "prompt");
  parser.AddAlias("-t", "threads");
  parser.AddPositional("MODEL.gguf", &p->model, /*required=*/false);
  return parser.Parse(args);
}

TEST(ArgParser, ReadsEveryKindOfOption) {
  Parsed p;
  ASSERT_TRUE(Parse({"m.gguf", "--json", "--svg=out.svg", "-t", "2", "-p", "91,512"}, &p).ok());
  EXPECT_TRUE(p.json);
  EXPECT_EQ(p.svg, "out.svg");
  EXPECT_EQ(p.threads, 2);
  EXPECT_EQ(p.prompts, (std::vector<int64_t>{91, 512}));
  EXPECT_EQ(p.model, "m.gguf");
}

TEST(ArgParser, RejectsMistakesWithAMessageEach) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--nope"}, "unknown option '--nope'"},
      {{"-x"}, "unknown option '-x'"},
      {{"--threads", "two"}, "'two' is not a whole number"},
      {{"--threads", "0"}, "outside [1, 64]"},
      {{"--threads", "99999999999999999999"}, "not a whole number"},
      {{"--threads"}, "needs a value"},
      {{"--json=yes"}, "takes no value"},
      {{"-p", "91,,512"}, "'' is not a whole number"},
      {{"a.gguf", "b.gguf"}, "unexpected argument 'b.gguf'"},
      {{"--svg="}, "is empty"},
  };
  for (const auto& [args, expected] : cases) {
    Parsed p;
    absl::Status s = Parse(args, &p);
    ASSERT_FALSE(s.ok()) << args[0];
    EXPECT_NE(std::string(s.message()).find(expected), std::string::npos) << s.message();
  }
}

TEST(ArgParser, RequiredPositionalMustBeGiven) {
  ArgParser parser("profile", "x");
  std::string model;
  parser.AddPositional("MODEL.gguf", &model, /*required=*/true);
  absl::Status s = parser.Parse({});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("missing MODEL.gguf"), std::string::npos);
  EXPECT_NE(parser.Usage().find("usage: apr profile MODEL.gguf"), std::string::npos);
}

}  // namespace
}  // namespace apr

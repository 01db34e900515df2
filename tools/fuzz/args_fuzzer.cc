// libFuzzer target: the apr argument parser, fed NUL-separated arguments.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/apr/args.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args;
  std::string current;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  args.push_back(current);
  apr::ArgParser parser("fuzz", "a parser with every kind of option");
  bool flag = false;
  std::string text, model;
  int64_t number = 0;
  std::vector<int64_t> list;
  parser.AddFlag("json", &flag, "a flag");
  parser.AddString("svg", &text, "FILE", "a string");
  parser.AddInt("threads", &number, 1, 1024, "a number");
  parser.AddIntList("n-prompt", &list, 0, 16384, "a list");
  parser.AddAlias("-p", "n-prompt");
  parser.AddPositional("MODEL.gguf", &model, /*required=*/false);
  (void)parser.Parse(args);
  (void)parser.Usage();
  return 0;
}

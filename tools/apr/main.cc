// apr: the chapter-13 performance lab's command line.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tools/apr/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>&);
};

const Command kCommands[] = {
    {"roofline", "measure this machine's bandwidth and compute ceilings", apr::RunRoofline},
    {"profile", "per-op FLOPs, bytes and predicted time of a model's decode and prefill", apr::RunProfile},
    {"trace", "the real forward pass, op by op and layer by layer, beside the prediction", apr::RunTrace},
    {"bench", "prompt-processing and generation tokens/s of a model", apr::RunBench},
    {"run", "evaluate a token sequence and report (or dump) the last logits", apr::RunRun},
    {"synth", "write a deterministic synthetic model of a preset's shape", apr::RunSynth},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: apr COMMAND [options]   (apr COMMAND --help for its options)\n\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out, "  %-10s %s\n", "--version", "the commit, compiler and Bazel built with, and the kernels this CPU gets");
}

}  // namespace

int main(int argc, char** argv) {
  // Under `bazel run`, paths the user gives are relative to where they ran it.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir && *dir) {
    if (chdir(dir) != 0) {
      std::fprintf(stderr, "apr: cannot enter %s: %s\n", dir, std::strerror(errno));
      return 1;
    }
  }
  if (argc >= 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "version") == 0)) {
    return apr::RunVersion(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) return c.run(std::vector<std::string>(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "apr: unknown command '%s'\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}

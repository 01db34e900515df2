// The `apr` subcommands. Each takes the arguments after its name and returns
// the process exit code (0 ok, 1 failure, 2 bad usage).
#ifndef APR_TOOLS_APR_COMMANDS_H_
#define APR_TOOLS_APR_COMMANDS_H_

#include <string>
#include <vector>

namespace apr {

int RunRoofline(const std::vector<std::string>& args);
int RunProfile(const std::vector<std::string>& args);
int RunSynth(const std::vector<std::string>& args);
int RunRun(const std::vector<std::string>& args);
int RunBench(const std::vector<std::string>& args);
int RunTrace(const std::vector<std::string>& args);
int RunVersion(const std::vector<std::string>& args);

// The commit this binary was built from ("unknown" outside tools/bazel).
const char* BuildCommit();

}  // namespace apr

#endif  // APR_TOOLS_APR_COMMANDS_H_

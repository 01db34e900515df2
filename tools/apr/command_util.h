// Helpers every `apr` subcommand shares.
#ifndef APR_TOOLS_APR_COMMAND_UTIL_H_
#define APR_TOOLS_APR_COMMAND_UTIL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/roofline/machine_profile.h"
#include "tools/apr/args.h"

namespace apr {

// Parses `args`; on --help prints the usage and sets *exit_code = 0, on a
// mistake prints "apr CMD: message" and the usage and sets *exit_code = 2.
// Returns true when the command should go on.
bool ParseOrExit(ArgParser& parser, const std::string& command, std::vector<std::string> args,
                 int* exit_code);

// Prints "apr CMD: message" for a failure and returns 1.
int Fail(const std::string& command, const absl::Status& status);

// Writes `bytes` to the file `path`; the error says why it could not.
absl::Status WriteFile(const std::string& path, std::string_view bytes);
// Writes `text` to `path`; "-" is stdout.
absl::Status WriteTextFile(const std::string& path, const std::string& text);

// The machine profile: from `machine_file` when given, else the cached one,
// else measured now (about 10 s, with a progress line) and cached.
absl::StatusOr<roofline::MachineProfile> LoadMachine(const std::string& machine_file);

}  // namespace apr

#endif  // APR_TOOLS_APR_COMMAND_UTIL_H_

#include "tools/apr/command_util.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/report/progress_line.h"
#include "common/roofline/measure.h"

namespace apr {

bool ParseOrExit(ArgParser& parser, const std::string& command, std::vector<std::string> args,
                 int* exit_code) {
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::printf("%s", parser.Usage().c_str());
    *exit_code = 0;
    return false;
  }
  if (absl::Status s = parser.Parse(args); !s.ok()) {
    std::fprintf(stderr, "apr %s: %s\n%s", command.c_str(), std::string(s.message()).c_str(),
                 parser.Usage().c_str());
    *exit_code = 2;
    return false;
  }
  return true;
}

int Fail(const std::string& command, const absl::Status& status) {
  std::fprintf(stderr, "apr %s: %s\n", command.c_str(), std::string(status.message()).c_str());
  return 1;
}

absl::Status WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  if (out) out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status WriteTextFile(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return absl::OkStatus();
  }
  return WriteFile(path, text);
}

absl::StatusOr<roofline::MachineProfile> LoadMachine(const std::string& machine_file) {
  if (!machine_file.empty()) return roofline::LoadProfileFile(machine_file);
  report::ProgressLine progress("measuring this machine's roofline (once; cached)");
  roofline::MeasureOptions options;
  options.progress = [&](const std::string& what) { progress.Update(what); };
  return roofline::LoadOrMeasure(options, /*remeasure=*/false);
}

}  // namespace apr

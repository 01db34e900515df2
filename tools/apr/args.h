// A small command-line parser for `apr` subcommands: declared flags only,
// numbers range-checked, one message per mistake.
//
//   ArgParser args("roofline", "measure this machine's ceilings");
//   bool json = false;
//   args.AddFlag("json", &json, "print one JSON object");
//   if (absl::Status s = args.Parse(argc, argv); !s.ok()) { ...usage, exit 2 }
#ifndef APR_TOOLS_APR_ARGS_H_
#define APR_TOOLS_APR_ARGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace apr {

class ArgParser {
 public:
  ArgParser(std::string command, std::string summary);

  void AddFlag(const std::string& name, bool* value, const std::string& help);
  void AddString(const std::string& name, std::string* value, const std::string& metavar,
                 const std::string& help);
  void AddInt(const std::string& name, int64_t* value, int64_t min, int64_t max,
              const std::string& help);
  // A comma-separated list of whole numbers in [min, max]: "-p 91,512".
  void AddIntList(const std::string& name, std::vector<int64_t>* value, int64_t min, int64_t max,
                  const std::string& help);
  // A short alias ("-p") for a declared long option ("--prompt").
  void AddAlias(const std::string& alias, const std::string& name);
  // Positional arguments, in order; `required` ones must be given.
  // `existing_file`: a given path must name a readable regular file.
  void AddPositional(const std::string& metavar, std::string* value, bool required,
                     bool existing_file = false);

  // Parses the arguments after the subcommand. "--name=value" and
  // "--name value" both work.
  absl::Status Parse(const std::vector<std::string>& args);
  std::string Usage() const;

 private:
  enum class Kind { kFlag, kString, kInt, kIntList };
  struct Option {
    std::string name, metavar, help;
    Kind kind;
    void* target;
    int64_t min = 0, max = 0;
  };
  struct Positional {
    std::string metavar;
    std::string* target;
    bool required;
    bool existing_file;
  };
  const Option* Find(const std::string& name) const;
  absl::Status Assign(const Option& option, const std::string& value) const;

  std::string command_, summary_;
  std::vector<Option> options_;
  std::vector<std::pair<std::string, std::string>> aliases_;
  std::vector<Positional> positionals_;
};

}  // namespace apr

#endif  // APR_TOOLS_APR_ARGS_H_

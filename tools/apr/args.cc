#include "tools/apr/args.h"

#include <sys/stat.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace apr {

ArgParser::ArgParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

void ArgParser::AddFlag(const std::string& name, bool* value, const std::string& help) {
  options_.push_back({name, "", help, Kind::kFlag, value});
}

void ArgParser::AddString(const std::string& name, std::string* value, const std::string& metavar,
                          const std::string& help) {
  options_.push_back({name, metavar, help, Kind::kString, value});
}

void ArgParser::AddInt(const std::string& name, int64_t* value, int64_t min, int64_t max,
                       const std::string& help) {
  options_.push_back({name, "N", help, Kind::kInt, value, min, max});
}

void ArgParser::AddIntList(const std::string& name, std::vector<int64_t>* value, int64_t min,
                           int64_t max, const std::string& help) {
  options_.push_back({name, "N[,N...]", help, Kind::kIntList, value, min, max});
}

void ArgParser::AddAlias(const std::string& alias, const std::string& name) {
  aliases_.push_back({alias, name});
}

void ArgParser::AddPositional(const std::string& metavar, std::string* value, bool required,
                              bool existing_file) {
  positionals_.push_back({metavar, value, required, existing_file});
}

const ArgParser::Option* ArgParser::Find(const std::string& name) const {
  for (const Option& o : options_) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

absl::Status ArgParser::Assign(const Option& o, const std::string& value) const {
  auto parse_int = [&](const std::string& text, int64_t* out) -> absl::Status {
    if (!absl::SimpleAtoi(text, out)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", o.name, ": '", text, "' is not a whole number"));
    }
    if (*out < o.min || *out > o.max) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", o.name, ": ", *out, " is outside [", o.min, ", ", o.max, "]"));
    }
    return absl::OkStatus();
  };
  switch (o.kind) {
    case Kind::kFlag:
      return absl::InvalidArgumentError(absl::StrCat("--", o.name, " takes no value"));
    case Kind::kString:
      if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("--", o.name, " is empty"));
      *static_cast<std::string*>(o.target) = value;
      return absl::OkStatus();
    case Kind::kInt:
      return parse_int(value, static_cast<int64_t*>(o.target));
    case Kind::kIntList: {
      std::vector<int64_t> list;
      for (const std::string& part : std::vector<std::string>(absl::StrSplit(value, ','))) {
        int64_t n = 0;
        if (absl::Status s = parse_int(part, &n); !s.ok()) return s;
        list.push_back(n);
      }
      if (list.size() > 64) {
        return absl::InvalidArgumentError(absl::StrCat("--", o.name, ": more than 64 values"));
      }
      *static_cast<std::vector<int64_t>*>(o.target) = list;
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status ArgParser::Parse(const std::vector<std::string>& args) {
  size_t next_positional = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    for (const auto& [alias, name] : aliases_) {
      if (arg == alias) arg = "--" + name;
    }
    if (arg.size() > 1 && arg[0] == '-' && !(arg.size() > 1 && std::isdigit(arg[1]))) {
      if (arg.rfind("--", 0) != 0) {
        return absl::InvalidArgumentError(absl::StrCat("unknown option '", arg, "'"));
      }
      std::string name = arg.substr(2), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      const Option* o = Find(name);
      if (o == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown option '--", name, "'"));
      if (o->kind == Kind::kFlag) {
        if (has_value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
        *static_cast<bool*>(o->target) = true;
        continue;
      }
      if (!has_value) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value (", o->metavar, ")"));
        }
        value = args[++i];
      }
      if (absl::Status s = Assign(*o, value); !s.ok()) return s;
      continue;
    }
    if (next_positional >= positionals_.size()) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    *positionals_[next_positional++].target = arg;
  }
  for (size_t i = next_positional; i < positionals_.size(); ++i) {
    if (positionals_[i].required) {
      return absl::InvalidArgumentError(absl::StrCat("missing ", positionals_[i].metavar));
    }
  }
  for (size_t i = 0; i < next_positional; ++i) {
    const Positional& p = positionals_[i];
    struct stat st;
    if (p.existing_file && (stat(p.target->c_str(), &st) != 0 || !S_ISREG(st.st_mode))) {
      return absl::InvalidArgumentError(
          absl::StrCat(p.metavar, " '", *p.target, "': no such file (or not a regular file)"));
    }
  }
  return absl::OkStatus();
}

std::string ArgParser::Usage() const {
  std::string usage = absl::StrCat("usage: apr ", command_);
  for (const Positional& p : positionals_) {
    absl::StrAppend(&usage, p.required ? " " : " [", p.metavar, p.required ? "" : "]");
  }
  absl::StrAppend(&usage, " [options]\n  ", summary_, "\n");
  for (const Option& o : options_) {
    std::string spelled = absl::StrCat("--", o.name, o.metavar.empty() ? "" : " " + o.metavar);
    for (const auto& [alias, name] : aliases_) {
      if (name == o.name) spelled = absl::StrCat(alias, ", ", spelled);
    }
    absl::StrAppendFormat(&usage, "  %-26s %s\n", spelled, o.help);
  }
  return usage;
}

}  // namespace apr

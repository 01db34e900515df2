// Chapter 13, "Profiling and Optimization", measured on this machine: the
// sections 13.1-13.7 on the built-in default model, an HTML report, and the
// chapter's contract checked against this run.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "chapters/ch13_profiling/chapter_html.h"
#include "chapters/ch13_profiling/chapter_metrics.h"
#include "chapters/ch13_profiling/chapter_run.h"
#include "chapters/ch13_profiling/chapter_text.h"
#include "common/contracts/claim_evaluation.h"
#include "common/contracts/contract.h"
#include "common/contracts/metric_registry.h"
#include "common/report/progress_line.h"

namespace {

constexpr char kContract[] = "contracts/apr-book-ch13-v1.yaml";
constexpr char kTargets[] = "contracts/apr-book-ch13-targets-v1.yaml";
constexpr char kFidelity[] = "contracts/fidelity-v1.yaml";

std::string ReportPath() {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  return std::string(dir && *dir ? dir : ".") + "/ch13_report.html";
}

}  // namespace

int main(int argc, char** argv) {
  ch13::ChapterOptions options;
  if (argc > 1) options.model_path = argv[1];
  // Under a sanitizer the timings say nothing, and the example's own test
  // (APR_CHAPTER_QUICK) checks what it prints while ch13_contracts_test
  // checks the claims on a full run: one repetition and one round run the
  // same code in less time, and measured claims are reported, not enforced.
  const char* sanitizer = contracts::Sanitizer();
  const bool instrumented = sanitizer != nullptr;
  const char* quick_env = std::getenv("APR_CHAPTER_QUICK");
  const bool quick = instrumented || (quick_env != nullptr && std::string(quick_env) == "1");
  if (quick) {
    options.repetitions = 1;
    options.quick_calibration = true;
    options.fidelity_rounds = 1;
  }
  report::ProgressLine progress("ch13");
  options.progress = [&](const std::string& what) { progress.Update(what); };
  absl::StatusOr<ch13::ChapterRun> run = ch13::RunChapter(options);
  progress.Done();
  if (!run.ok()) {
    std::fprintf(stderr, "ch13: %s\n", std::string(run.status().message()).c_str());
    return 1;
  }
  std::printf("Chapter 13: Profiling and Optimization, measured on this machine\n");
  std::printf("Model: %s%s\n", run->model_path.c_str(),
              run->model_generated ? " (generated now, cached for next time)" : " (cached)");
  std::string text;
  for (const auto& section : {ch13::RooflineSection, ch13::ProfileSection, ch13::TraceSection,
                              ch13::ThroughputSection, ch13::FusionSection, ch13::PrefillSection,
                              ch13::BandwidthSection}) {
    text += section(*run);
  }
  std::printf("%s", text.c_str());

  // The contracts, on this run's numbers: the enforced one decides the exit
  // code; the draft one shows the book's thresholds not met yet.
  contracts::MetricRegistry registry;
  ch13::RegisterChapterMetrics(registry, [&]() -> absl::StatusOr<const ch13::ChapterRun*> { return &*run; });
  int failed = 0;
  std::vector<ch13::ClaimVerdict> verdicts;
  for (const char* path : {kContract, kFidelity, kTargets}) {
    auto contract = contracts::LoadContractFile(path);
    if (!contract.ok()) {
      std::fprintf(stderr, "ch13: %s\n", std::string(contract.status().message()).c_str());
      return 1;
    }
    const bool enforced = contract->status == "enforced";
    std::printf("\nContract %s v%d (%s, %s)\n", contract->name.c_str(), contract->version, path,
                enforced ? "enforced" : "draft: targets, not enforced");
    int holding = 0;
    for (const contracts::Claim& claim : contract->claims) {
      const contracts::ClaimResult r = contracts::EvaluateClaim(*contract, claim, registry);
      const bool ok = r.evaluated && r.holds;
      holding += ok;
      if (!ok && enforced) ++failed;
      std::printf("  %-6s %-36s %s = %.4g (%s)\n", ok ? "holds" : enforced ? "FALSE" : "not yet", claim.id.c_str(),
                  claim.metric.c_str(), r.value, claim.check.text().c_str());
      verdicts.push_back({absl::StrCat(contract->name, " v", contract->version), enforced, claim.id, claim.metric,
                          claim.check.text(), r.value, r.evaluated, r.holds});
    }
    std::printf("Verdict: %d of %zu claims hold%s\n", holding, contract->claims.size(),
                enforced ? "" : " (targets)");
  }

  const std::string html = ReportPath();
  if (auto s = ch13::WriteHtmlReport(*run, verdicts, html); !s.ok()) {
    std::fprintf(stderr, "ch13: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("HTML report (roofline plot, per-layer chart, tables): %s\n", html.c_str());
  if (failed > 0 && quick) {
    const std::string why = instrumented ? absl::StrCat("built with ", sanitizer) : "a quick run";
    std::printf("(%s: %d measured claim(s) reported, not enforced)\n", why.c_str(), failed);
    return 0;
  }
  return failed == 0 ? 0 : 1;
}

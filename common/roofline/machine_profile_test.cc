#include "common/roofline/machine_profile.h"

#include <cmath>
#include <filesystem>

#include "common/roofline/measure.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace roofline {
namespace {

MachineProfile Sample() {
  MachineProfile p;
  p.cpu = "Test CPU";
  p.vendor = "AuthenticAMD";
  p.family = 0x19;
  p.threads = 2;
  p.core_ghz = 3.0;
  p.caches = {{1, 32768, 1}, {3, 32u << 20, 2}};
  for (int t : {1, 2}) {
    p.bandwidth.push_back({"L1", "load", t, 32768, 300.0 * t, 290.0 * t});
    p.bandwidth.push_back({"DRAM", "load", t, 1u << 30, 15.0 * t, 14.0 * t});
    p.bandwidth.push_back({"DRAM", "triad", t, 1u << 30, 14.0 * t, 13.0 * t});
    p.compute.push_back({"fp32_fma", "avx512f", t, 150.0 * t, 140.0 * t});
    p.compute.push_back({"fp32_fma", "avx2", t, 149.0 * t, 140.0 * t});
    p.compute.push_back({"int8_dot", "avx512vnni", t, 380.0 * t, 370.0 * t});
    p.dispatch.push_back({t, 0.1 * t});
  }
  p.sweep = {{4096, 300}, {1u << 30, 15}};
  return p;
}

TEST(MachineProfile, JsonHasTheSummaryFields) {
  auto j = nlohmann::json::parse(ProfileToJson(Sample()));
  for (const char* key : {"cpu", "threads", "dram_read_gbps", "l3_read_gbps", "l2_read_gbps",
                          "l1_read_gbps", "triad_dram_gbps", "peak_fp32_gflops", "peak_int8_gops",
                          "dispatch_us", "detail", "ridge_flop_per_byte"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["threads"], 2);
  EXPECT_DOUBLE_EQ(j["dram_read_gbps"].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(j["peak_fp32_gflops"].get<double>(), 300.0);  // best ISA
  EXPECT_DOUBLE_EQ(j["ridge_flop_per_byte"]["DRAM"]["int8_dot"].get<double>(), 760.0 / 30.0);
  EXPECT_DOUBLE_EQ(j["dispatch_us"].get<double>(), 0.2);
}

TEST(MachineProfile, RoundTripsThroughJson) {
  const MachineProfile p = Sample();
  auto back = ProfileFromJson(ProfileToJson(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->cpu, p.cpu);
  EXPECT_EQ(back->bandwidth.size(), p.bandwidth.size());
  EXPECT_DOUBLE_EQ(back->ReadGbps("DRAM", 2), 30.0);
  EXPECT_DOUBLE_EQ(back->PeakGops("int8_dot", 1), 380.0);
  EXPECT_EQ(back->Levels(), (std::vector<std::string>{"L1", "DRAM"}));
}

TEST(MachineProfile, RejectsMalformedJson) {
  EXPECT_FALSE(ProfileFromJson("").ok());
  EXPECT_FALSE(ProfileFromJson("[1,2]").ok());
  EXPECT_FALSE(ProfileFromJson("{\"cpu\": 3}").ok());
  auto j = nlohmann::json::parse(ProfileToJson(Sample()));
  j["detail"]["bandwidth"] = "lots";
  EXPECT_FALSE(ProfileFromJson(j.dump()).ok());
  j = nlohmann::json::parse(ProfileToJson(Sample()));
  j["detail"]["bandwidth"][0]["best_gbps"] = "fast";
  EXPECT_FALSE(ProfileFromJson(j.dump()).ok());
  j = nlohmann::json::parse(ProfileToJson(Sample()));
  j["threads"] = -4;
  EXPECT_FALSE(ProfileFromJson(j.dump()).ok());
}

TEST(MachineProfile, SavesAndLoadsAFile) {
  const std::string path = testing::TempDir() + "/apr-profile/machine.json";
  ASSERT_TRUE(SaveProfileFile(Sample(), path).ok());
  auto loaded = LoadProfileFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->threads, 2);
  EXPECT_FALSE(LoadProfileFile(path + ".missing").ok());
}

TEST(MachineProfile, DramReadCeilingOnlyRises) {
  MachineProfile p = Sample();
  EXPECT_FALSE(p.RaiseDramRead(2, 29.0));
  EXPECT_FALSE(p.RaiseDramRead(2, std::nan("")));
  EXPECT_DOUBLE_EQ(p.ReadGbps("DRAM", 2), 30.0);
  EXPECT_TRUE(p.RaiseDramRead(2, 41.5));
  EXPECT_DOUBLE_EQ(p.ReadGbps("DRAM", 2), 41.5);
  EXPECT_DOUBLE_EQ(p.ReadGbps("DRAM", 1), 15.0);       // other thread counts untouched
  EXPECT_DOUBLE_EQ(p.Gbps("DRAM", "triad", 2), 28.0);  // and other kernels
  MachineProfile empty;
  EXPECT_FALSE(empty.RaiseDramRead(4, 0));
  EXPECT_TRUE(empty.RaiseDramRead(4, 12.0));
  EXPECT_DOUBLE_EQ(empty.ReadGbps("DRAM", 4), 12.0);
}

TEST(MachineProfile, TheoreticalInt8StatesItsAssumption) {
  std::string assumption;
  const double gops = Sample().TheoreticalInt8Gops(2, &assumption);
  EXPECT_DOUBLE_EQ(gops, 3.0 * 1 * 128 * 2);
  EXPECT_NE(assumption.find("Zen 4"), std::string::npos);
}

TEST(LevelChecks, PlateausConfirmReportedLevels) {
  std::vector<CacheLevel> caches = {{1, 32 << 10, 1}, {2, 1 << 20, 1}, {3, 32 << 20, 2}};
  std::vector<SweepPoint> sweep;
  for (uint64_t b = 4096; b <= (256u << 20); b *= 2) {
    const double gbps = b <= (32u << 10) ? 300 : b <= (1u << 20) ? 140 : b <= (32u << 20) ? 30 : 15;
    sweep.push_back({b, gbps});
  }
  auto checks = CheckLevels(caches, sweep);
  ASSERT_EQ(checks.size(), 3u);
  for (const LevelCheck& c : checks) EXPECT_TRUE(c.confirmed) << c.level;
  EXPECT_DOUBLE_EQ(checks[0].inside_gbps, 300);
  EXPECT_DOUBLE_EQ(checks[2].beyond_gbps, 15);

  // A flat sweep confirms nothing.
  for (SweepPoint& p : sweep) p.gbps = 50;
  for (const LevelCheck& c : CheckLevels(caches, sweep)) EXPECT_FALSE(c.confirmed) << c.level;
}

TEST(WorkingSets, PrivateCachesScaleWithThreadsSharedOnesDoNot) {
  EXPECT_EQ(LevelWorkingSet({1, 32768, 1}, 2), 32768u);
  EXPECT_EQ(LevelWorkingSet({3, 32u << 20, 2}, 2), 16u << 20);
  EXPECT_GE(DramWorkingSet({{3, 32u << 20, 2}}, false), 8 * (32u << 20));
}

// The machinery end to end, quickly: every field is filled and positive.
// (No timing bounds: the machine is shared and noisy.)
TEST(MeasureMachine, QuickRunFillsEveryField) {
  MeasureOptions options;
  options.quick = true;
  options.threads = 2;
  int steps = 0;
  options.progress = [&](const std::string&) { ++steps; };
  auto p = MeasureMachine(options);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_GT(steps, 3);
  EXPECT_EQ(p->threads, 2);
  for (int t : {1, 2}) {
    for (const std::string& level : p->Levels()) {
      for (const char* kernel : {"load", "write", "copy", "triad"}) {
        EXPECT_GT(p->Gbps(level, kernel, t), 0) << level << " " << kernel << " " << t;
      }
    }
    EXPECT_GT(p->PeakGops("int8_dot", t), 0);
    EXPECT_GT(p->PeakGops("fp32_scalar", t), 0);
    EXPECT_GT(p->DispatchUs(t), 0);
  }
  EXPECT_EQ(p->Levels().back(), "DRAM");
  EXPECT_EQ(p->level_checks.size(), p->caches.size());
  EXPECT_FALSE(p->sweep.empty());
  EXPECT_TRUE(ProfileFromJson(ProfileToJson(*p)).ok());
}

}  // namespace
}  // namespace roofline

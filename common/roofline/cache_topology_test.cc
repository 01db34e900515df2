#include "common/roofline/cache_topology.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace roofline {
namespace {

namespace fs = std::filesystem;

void WriteEntry(const fs::path& dir, int index, const std::string& level, const std::string& type,
                const std::string& size, const std::string& shared) {
  const fs::path entry = dir / ("index" + std::to_string(index));
  fs::create_directories(entry);
  std::ofstream(entry / "level") << level << "\n";
  std::ofstream(entry / "type") << type << "\n";
  std::ofstream(entry / "size") << size << "\n";
  std::ofstream(entry / "shared_cpu_list") << shared << "\n";
}

fs::path FreshDir(const std::string& name) {
  fs::path dir = fs::path(testing::TempDir()) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(CacheTopology, ReadsDataAndUnifiedLevelsFromASysfsTree) {
  const fs::path dir = FreshDir("sysfs_ok");
  WriteEntry(dir, 3, "3", "Unified", "32768K", "0-1");
  WriteEntry(dir, 0, "1", "Data", "32K", "0");
  WriteEntry(dir, 1, "1", "Instruction", "32K", "0");
  WriteEntry(dir, 2, "2", "Unified", "1024K", "0");
  auto levels = ReadCacheLevels(dir.string());
  ASSERT_TRUE(levels.ok()) << levels.status();
  ASSERT_EQ(levels->size(), 3u);
  EXPECT_EQ((*levels)[0].Name(), "L1");
  EXPECT_EQ((*levels)[0].size_bytes, 32u * 1024);
  EXPECT_EQ((*levels)[1].size_bytes, 1024u * 1024);
  EXPECT_EQ((*levels)[2].size_bytes, 32u << 20);
  EXPECT_EQ((*levels)[2].shared_by_cpus, 2);
  EXPECT_EQ((*levels)[0].shared_by_cpus, 1);
}

TEST(CacheTopology, EmptyOrMissingTreeIsAnError) {
  EXPECT_FALSE(ReadCacheLevels(FreshDir("sysfs_empty").string()).ok());
  EXPECT_FALSE(ReadCacheLevels("/nonexistent/sysfs").ok());
}

TEST(CacheTopology, GarbageSizeIsAnError) {
  const fs::path dir = FreshDir("sysfs_bad");
  WriteEntry(dir, 0, "1", "Data", "lots", "0");
  EXPECT_FALSE(ReadCacheLevels(dir.string()).ok());
}

TEST(CacheTopology, ParsesSizesAndCpuLists) {
  EXPECT_EQ(*ParseCacheSize("48K"), 48u * 1024);
  EXPECT_EQ(*ParseCacheSize("2M"), 2u << 20);
  EXPECT_EQ(*ParseCacheSize("512"), 512u);
  EXPECT_FALSE(ParseCacheSize("").ok());
  EXPECT_FALSE(ParseCacheSize("0K").ok());
  EXPECT_FALSE(ParseCacheSize("99999999999999G").ok());
  EXPECT_EQ(*CountCpuList("0-3,8,10-11"), 7);
  EXPECT_EQ(*CountCpuList("5"), 1);
  EXPECT_FALSE(CountCpuList("3-1").ok());
  EXPECT_FALSE(CountCpuList("x").ok());
}

TEST(CacheTopology, ThisMachineReportsAtLeastOneLevel) {
  auto levels = ReadCacheLevels(kSysfsCacheDir);
  if (!levels.ok()) GTEST_SKIP() << "no sysfs cache info here: " << levels.status();
  EXPECT_GE(levels->size(), 1u);
}

}  // namespace
}  // namespace roofline

#!/usr/bin/env bash
# The calibrated cost model against what runs: `apr bench --expected` on each
# model file given, one after another (never two at once: on two cores they
# would measure each other), printed as a markdown table of pp512 and tg128
# tokens/s, measured beside expected. The README's fidelity table comes from
# this script.
#
#   tools/fidelity_table.sh MODEL.gguf...
set -euo pipefail
cd "$(dirname "$0")/.."
(($# > 0)) || { echo "usage: $0 MODEL.gguf..." >&2; exit 2; }
./tools/bazel build //:apr >/dev/null 2>&1
apr=bazel-bin/tools/apr/apr
echo "| model | pp512 measured | expected | ratio | tg128 measured | expected | ratio |"
echo "|---|---|---|---|---|---|---|"
for model in "$@"; do
  csv=$("$apr" bench "$model" -p 512 -n 128 -r 3 --expected -o csv 2>/dev/null)
  echo "$csv" | awk -F, -v name="$(basename "$model" .gguf)" '
    NR > 1 { ts[$5] = $9; ex[$5] = $11 }
    END {
      printf "| %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |\n", name,
             ts["pp512"], ex["pp512"], ts["pp512"] / ex["pp512"],
             ts["tg128"], ex["tg128"], ts["tg128"] / ex["tg128"]
    }'
done

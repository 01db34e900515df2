#!/usr/bin/env bash
# Builds one fuzz target with clang's libFuzzer + AddressSanitizer and runs it
# for SECONDS on a copy of its seed corpus (tools/fuzz/corpus/TARGET).
#   tools/fuzz/run.sh gguf_fuzzer 600
set -euo pipefail
cd "$(dirname "$0")/../.."
target="$1"; seconds="${2:-60}"
# tools/bazel installs clang and libFuzzer at tools/debian.lock's versions
# (its "fuzz" lines) when it sees --config=fuzz.
# A separate output base: the clang toolchain does not evict the gcc build's cache.
ob="${XDG_CACHE_HOME:-$HOME/.cache}/apr/fuzz-bazel"
./tools/bazel --output_base="$ob" build --config=fuzz "//tools/fuzz:$target"
bin="$(./tools/bazel --output_base="$ob" info --config=fuzz bazel-bin 2>/dev/null)/tools/fuzz/$target"
work=$(mktemp -d)
cp -r "tools/fuzz/corpus/$target/." "$work/"
"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=5 "$work" \
  2>&1 | tail -5
echo "corpus after the run: $(ls "$work" | wc -l) inputs (seeds: $(ls "tools/fuzz/corpus/$target" | wc -l))"

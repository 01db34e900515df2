#!/usr/bin/env bash
# Runs the fake contract test binary on broken contract files: each run must
# fail and its output must name the file and the claim.
set -u
bin="$1"
dir="common/contracts/testdata"
fails=0

expect_failure() {  # file, text the output must contain
  local file="$dir/$1" want="$2" out
  if out=$("$bin" "$file" 2>&1); then
    echo "FAIL: $file passed but should fail"; fails=$((fails + 1)); return
  fi
  for w in "$file" "$want"; do
    if ! grep -qF -- "$w" <<<"$out"; then
      echo "FAIL: output for $file lacks '$w':"; echo "$out"; fails=$((fails + 1)); return
    fi
  done
  echo "ok: $file fails, naming '$want'"
}

expect_failure false_claim.yaml "claim 'three-above-six'"
expect_failure unknown_metric.yaml "claim 'names-a-missing-metric'"
expect_failure unknown_metric.yaml "no library reports the metric 'fake.nobody_reports_this'"
expect_failure malformed.yaml "claim 'bad-check'"
expect_failure malformed.yaml "malformed.yaml:7:"
"$bin" "$dir/good.yaml" >/dev/null 2>&1 || { echo "FAIL: good.yaml should pass"; fails=$((fails + 1)); }
# A draft contract reports a false claim without failing; an unknown metric still fails it.
out=$("$bin" "$dir/draft_false_claim.yaml" 2>&1) || { echo "FAIL: a draft's false claim failed the test"; fails=$((fails + 1)); }
grep -qF "not yet met" <<<"$out" || { echo "FAIL: draft output lacks the target note"; fails=$((fails + 1)); }
exit $((fails > 0))

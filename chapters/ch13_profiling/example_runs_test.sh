#!/usr/bin/env bash
# The chapter example must exit 0, print every section and its contract
# verdict, and write its HTML report. A quick run (one repetition and
# round): ch13_contracts_test checks the claims on a full one.
set -euo pipefail
export BUILD_WORKING_DIRECTORY="${TEST_TMPDIR:-$(mktemp -d)}"
export APR_CHAPTER_QUICK=1
status=0
out=$("$1") || status=$?
echo "$out"
if [[ $status -ne 0 ]]; then echo "the example exited with $status"; exit 1; fi
for section in "13.1 Roofline" "13.2 apr profile" "13.3 apr trace" "13.4 apr bench" "13.5 FFN" \
               "13.6 Batched prefill" "13.7 Memory bandwidth" "Verdict:"; do
  grep -q "^$section" <<<"$out" || { echo "missing section: $section"; exit 1; }
done
grep -q "</html>" "$BUILD_WORKING_DIRECTORY/ch13_report.html"

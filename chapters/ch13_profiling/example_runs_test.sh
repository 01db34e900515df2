#!/usr/bin/env bash
# The chapter example must exit 0 and print its sections.
set -euo pipefail
out=$("$1")
echo "$out"
grep -q "^13.1 Roofline analysis" <<<"$out"

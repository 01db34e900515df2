#!/usr/bin/env bash
# Every malformed model file gets its own clear error and exit code 1 from
# `apr profile` and `apr run`, within a second, in bounded memory.
set -u
apr="$1"
corpus="${TEST_TMPDIR:-$(mktemp -d)}/malformed"
mkdir -p "$corpus"
"$2" "$corpus" || exit 1
machine="${TEST_TMPDIR:-/tmp}/machine.json"
"$apr" roofline --quick --json > "$machine" 2>/dev/null || exit 1
# Bounded memory (not under AddressSanitizer, which reserves terabytes).
nm -D "$apr" 2>/dev/null | grep -q __asan_init || nm "$apr" 2>/dev/null | grep -q __asan_init || ulimit -v 2000000
fails=0
count=0
while IFS=$'\t' read -r file expected only; do
  count=$((count + 1))
  cmds=("profile $corpus/$file --machine $machine" "run $corpus/$file --tokens 1,2")
  [[ "$only" == run ]] && cmds=("run $corpus/$file --tokens 1,2")
  for cmd in "${cmds[@]}"; do
    out=$(timeout 1 $apr $cmd 2>&1); rc=$?
    if [[ $rc -ne 1 ]] || ! grep -qF -- "$expected" <<<"$out"; then
      echo "FAIL: apr $cmd -> exit $rc, want 1 and '$expected':"; echo "$out" | head -3
      fails=$((fails + 1))
    fi
  done
  echo "ok: $file: $(timeout 1 $apr ${cmds[0]} 2>&1 | head -1)"
done < "$corpus/MANIFEST"
echo "$count malformed files checked"
[[ $count -ge 25 ]] || { echo "FAIL: fewer than 25 files"; fails=$((fails + 1)); }
exit $((fails > 0))

#!/usr/bin/env bash
# apr's command line as a user meets it: exit codes and messages, and a quick
# roofline whose JSON has the documented fields.
set -u
apr="$1"
fails=0
expect() {  # expected exit code, text the output must contain, args...
  local code="$1" want="$2"; shift 2
  local out rc
  out=$("$apr" "$@" 2>&1); rc=$?
  if [[ $rc -ne $code ]] || ! grep -qF -- "$want" <<<"$out"; then
    echo "FAIL: apr $* -> exit $rc (want $code), output:"; echo "$out" | head -20
    fails=$((fails + 1))
  else
    echo "ok: apr $* -> $rc"
  fi
}
export XDG_CACHE_HOME="${TEST_TMPDIR:-/tmp}/cache"
expect 2 "usage: apr COMMAND"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 0 "compiler: GCC" --version
expect 0 "tiers this binary uses here: scalar" --version
expect 0 "matmul Q4_K" --version
expect 2 "takes no arguments" --version extra
expect 0 "usage: apr roofline" roofline --help
expect 2 "unknown option '--bogus'" roofline --bogus
expect 2 "outside [1, 1024]" roofline --threads 0
expect 1 "cannot write" roofline --quick --svg /nonexistent/dir/x.svg
# One quick roofline's JSON: its fields, then the machine profile below.
machine="${TEST_TMPDIR:-/tmp}/machine.json"
"$apr" roofline --quick --json > "$machine" 2>/dev/null || { echo "FAIL: roofline --quick --json exited $?"; fails=$((fails + 1)); }
for key in cpu threads dram_read_gbps l3_read_gbps l2_read_gbps l1_read_gbps triad_dram_gbps \
           peak_fp32_gflops peak_int8_gops dispatch_us; do
  grep -q "\"$key\"" "$machine" || { echo "FAIL: JSON lacks $key"; fails=$((fails + 1)); }
done
svg="${TEST_TMPDIR:-/tmp}/roof.svg"
expect 0 "Roofline drawn to" roofline --quick --svg "$svg"
grep -q "</svg>" "$svg" || { echo "FAIL: no SVG written"; fails=$((fails + 1)); }

# apr profile on presets and files.
# Under a sanitizer every command prints the bound alone: a calibration
# instrumented (four calibration models' prompts at depth 8192) outlasts this
# test's time; measure_calibration_test runs a quick one instrumented.
later=()
if [[ -z "${APR_SANITIZER:-}" ]]; then
  expect 0 "Verdict: decode is memory-bound" profile --preset qwen2.5-1.5b --type q4_k_m --machine "$machine"
else  # instrumented compute loops make any verdict possible
  later=(--bound-only)
  expect 0 "Verdict: decode is" profile --preset qwen2.5-1.5b --type q4_k_m --machine "$machine" "${later[@]}"
fi
expect 0 '"predicted_tps"' profile --preset llama-2-7b --type q4_k --machine "$machine" --json "${later[@]}"
expect 2 "give a MODEL.gguf or --preset" profile --machine "$machine"
# qwen2.5-1.5b: 28 layers x 2 x 256 values of 34/32 bytes a cached token.
expect 0 "KV cache (q8_0): 15.2 kB per cached token" profile --preset qwen2.5-1.5b --type q4_k_m --ctx 4096 -ctk q8_0 -ctv q8_0 --machine "$machine" "${later[@]}"
expect 0 "KV cache (q8_0/f16): 22.0 kB per cached token" profile --preset qwen2.5-1.5b --type q4_k_m --ctx 4096 -ctk q8_0 -ctv f16 --machine "$machine" "${later[@]}"
expect 0 '"overtakes_weights_at_depth"' profile --preset qwen2.5-1.5b --type q4_k_m --json --machine "$machine" "${later[@]}"
expect 1 "unknown preset 'gpt-9'" profile --preset gpt-9 --machine "$machine"
expect 1 "unknown quantization scheme 'q9'" profile --preset qwen2.5-0.5b --type q9 --machine "$machine"
expect 2 "no such file" profile /nonexistent.gguf --machine "$machine"
expect 1 "not a GGUF file" profile "$machine" --machine "$machine"
expect 1 "no machine profile" profile --preset qwen2.5-0.5b --machine /nonexistent.json
expect 1 "measured for 1 and" profile --preset qwen2.5-0.5b --machine "$machine" --threads 3

# synth, run, bench and trace on a small synthetic model: two of the
# preset's layers, which every command below loads (a third of the bytes).
model="${TEST_TMPDIR:-/tmp}/tiny.gguf"
expect 0 "wrote" synth --preset qwen2.5-0.5b --type q8_0 -o "$model" --seed 3 --layers 2
expect 2 "qwen2.5-0.5b has 24 layers" synth --preset qwen2.5-0.5b --layers 25 -o "$model.x"
expect 2 "--preset and -o are required" synth --type q8_0
expect 1 "also ch13-default" synth --preset nope -o "$model.x"
expect 0 "argmax" run "$model" --tokens 1,2,3
expect 2 "is not a token id" run "$model" --tokens 1,x
expect 1 "outside the vocabulary" run "$model" --tokens 1,999999
expect 1 "cannot write /nonexistent/x.bin: No such file" run "$model" --tokens 1 --dump-logits /nonexistent/x.bin
expect 0 "| pp8 |" bench "$model" -p 8 -n 2 -r 1 -t 1
expect 0 '"avg_ts"' bench "$model" -p 8 -n 0 -r 1 -t 1 -o json
expect 0 '"type_k": "f32"' bench "$model" -p 8 -n 0 -r 1 -t 1 -ctk f32 -ctv f32 -o json
expect 1 "unknown KV cache type 'q4_0' (supported: f32, f16, bf16, q8_0)" run "$model" --tokens 1,2 -ctk q4_0 -ctv q4_0
expect 0 '"type_v": "q8_0"' bench "$model" -p 8 -n 2 -d 4 -r 1 -t 1 -ctk q8_0 -ctv q8_0 -o json
expect 0 '"type_k": "bf16"' bench "$model" -p 8 -n 2 -r 1 -t 1 -ctk bf16 -ctv bf16 -o json
expect 0 '"type_v": "f16"' bench "$model" -p 8 -n 2 -d 4 -r 1 -t 1 -ctk q8_0 -ctv f16 -o json
expect 0 "| q8_0 | f16 | pp8 |" bench "$model" -p 8 -n 0 -r 1 -t 1 -ctk q8_0 -ctv f16
expect 0 "| pp8 @ d16 |" bench "$model" -p 8 -n 2 -d 0,16 -r 1 -t 1
expect 0 '"n_depth": 16' bench "$model" -p 0 -n 2 -d 16 -r 1 -t 1 -o json
expect 2 "-o must be md, json or csv" bench "$model" -o xml
expect 2 "nothing to measure" bench "$model" -p 0 -n 0
expect 0 "Decode, per token" trace "$model" -p 8 -n 2 --machine "$machine" "${later[@]}"
expect 0 '"decode_per_token"' trace "$model" -p 8 -n 2 --machine "$machine" --json "${later[@]}"
expect 0 "Prefill of 8 tokens after 24 cached" trace "$model" -p 8 -n 2 -d 24 -ctk q8_0 -ctv q8_0 --machine "$machine" "${later[@]}"
expect 0 "Prefill of 8 tokens after 24 cached" trace "$model" -p 8 -n 2 -d 24 -ctk f16 -ctv q8_0 --machine "$machine" "${later[@]}"
# A mixture of experts: the profile's routed bytes, the trace's experts per layer.
expect 0 "parameters 30.5 G, of which a token reads 3.35 G" profile --preset qwen3-30b-a3b --type q4_k_m --machine "$machine" "${later[@]}"
expect 0 "(127.6 experts a layer under uniform routing)" profile --preset qwen3-30b-a3b --batch 91 --machine "$machine" "${later[@]}"
expect 0 '"active_parameters"' profile --preset qwen3-moe-mini --json --machine "$machine" "${later[@]}"
moe="${TEST_TMPDIR:-/tmp}/moe.gguf"
expect 0 "wrote" synth --preset qwen3-moe-mini --type q4_0 -o "$moe" --layers 2
expect 0 "Experts read per layer (of 128, 8 routed a token): prefill of 8 tokens" trace "$moe" -p 8 -n 1 --machine "$machine" "${later[@]}"
expect 0 '"experts_touched"' trace "$moe" -p 8 -n 1 --machine "$machine" --json "${later[@]}"
rm -f "$moe"
exit $((fails > 0))

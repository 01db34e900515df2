#!/usr/bin/env python3
"""Regenerates the README's comparison table: `apr bench` on synthesized
presets and, given the path of a llama-bench binary built elsewhere,
llama-bench on the same files, in alternating rounds; prints a markdown table
with the machine, the date and both commits.

  tools/bench_table.py                                  # our rows only
  tools/bench_table.py --llama-bench ~/llama.cpp/build/bin/llama-bench \
      --llama-label "snapshot d32676d, 2026-08-18"
  tools/bench_table.py --models qwen2.5-0.5b:q8_0 --rounds 3 -p 91,512 -n 128

Run it alone on an idle machine: two benchmarks at once measure each other.
"""

import argparse
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_MODELS = "ch13-default:q4_k,qwen2.5-0.5b:q8_0,qwen2.5-1.5b:q4_k_m"


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"bench_table: {' '.join(map(str, cmd))} failed (exit {r.returncode}):\n{r.stderr[-2000:]}")
    return r.stdout


def build_apr():
    run([str(ROOT / "tools/bazel"), "build", "//tools/apr"], cwd=ROOT)
    return ROOT / "bazel-bin/tools/apr/apr"


def model_path(apr, preset, scheme, folder):
    path = folder / f"{preset}-{scheme}-seed1.gguf"
    if not path.exists():
        print(f"bench_table: writing {path}", file=sys.stderr)
        run([apr, "synth", "--preset", preset, "--type", scheme, "-o", path])
    return path


def apr_bench(apr, path, args):
    rows = json.loads(run([apr, "bench", path, "-p", args.p, "-n", args.n, "-d", args.d, "-r", str(args.r),
                           "-t", str(args.threads), "-o", "json"]))
    return {r["test"]: r["avg_ts"] for r in rows}


def llama_bench(binary, path, args):
    rows = json.loads(run([binary, "-m", path, "-p", args.p, "-n", args.n, "-d", args.d, "-r", str(args.r),
                           "-t", str(args.threads), "-o", "json"]))
    out, commit = {}, ""
    for r in rows:
        test = f"pp{r['n_prompt']}" if r["n_gen"] == 0 else f"tg{r['n_gen']}"
        if r.get("n_depth", 0) > 0:
            test += f" @ d{r['n_depth']}"
        out[test] = r["avg_ts"]
        commit = f"{r.get('build_commit', '?')} (build {r.get('build_number', '?')})"
    if args.llama_label:
        commit = args.llama_label
    return out, commit


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def fmt(values):
    return ", ".join(f"{v:.1f}" for v in values)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--llama-bench", help="path of a llama-bench binary (nothing of llama.cpp is in this repository)")
    ap.add_argument("--llama-label", default="",
                    help="names the peer build when its llama-bench reports no commit (a snapshot without .git)")
    ap.add_argument("--models", default=DEFAULT_MODELS,
                    help=f"preset:scheme or FILE.gguf, comma-separated (default {DEFAULT_MODELS})")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    ap.add_argument("-p", default="91,512", help="prompt sizes (default 91,512)")
    ap.add_argument("-n", default="128", help="tokens generated (default 128)")
    ap.add_argument("-d", default="0", help="tokens in the cache before each test (default 0)")
    ap.add_argument("-r", type=int, default=3, help="repetitions within a run (default 3)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--dir", default=str(pathlib.Path.home() / ".cache/apr/models"),
                    help="where the synthesized models are kept")
    args = ap.parse_args()
    if args.llama_bench and not os.access(args.llama_bench, os.X_OK):
        sys.exit(f"bench_table: {args.llama_bench} is not an executable file")

    apr = build_apr()
    folder = pathlib.Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    commit = run([apr, "--version"]).splitlines()[0].split("commit ")[-1]
    llama_commit = ""
    lines = []
    for spec in args.models.split(","):
        if spec.endswith(".gguf"):  # a file of the user's, e.g. one llama-quantize wrote
            path = pathlib.Path(spec)
            preset, scheme = path.stem, ""
        else:
            preset, scheme = spec.split(":")
            path = model_path(apr, preset, scheme, folder)
        ours, theirs = {}, {}
        for k in range(args.rounds):
            print(f"bench_table: {preset} {scheme}, round {k + 1} of {args.rounds}", file=sys.stderr)
            for test, tps in apr_bench(apr, path, args).items():
                ours.setdefault(test, []).append(tps)
            if args.llama_bench:
                results, llama_commit = llama_bench(args.llama_bench, path, args)
                for test, tps in results.items():
                    theirs.setdefault(test, []).append(tps)
        size = path.stat().st_size / 2**20
        for test in ours:
            name = f"{preset} {scheme.upper()}".strip()
            row = f"| {name} ({size:.0f} MiB) | {test} | {fmt(ours[test])} |"
            if args.llama_bench:
                pairs = [a / b for a, b in zip(ours[test], theirs.get(test, [])) if b > 0]
                ratio = f"{min(pairs):.2f}-{max(pairs):.2f}" if pairs else "-"
                row += f" {fmt(theirs.get(test, []))} | {ratio} |"
            lines.append(row)

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{cpu_name()}, {args.threads} threads, {date}; apr {commit}"
          + (f", llama.cpp {llama_commit}" if args.llama_bench else "") + ".")
    depth = f" -d {args.d}" if args.d != "0" else ""
    print(f"`-p {args.p} -n {args.n}{depth} -r {args.r}`, "
          f"{args.rounds} alternating rounds (t/s, mean of each round's repetitions):\n")
    if args.llama_bench:
        print("| model | test | apr | llama-bench | apr / llama-bench |")
        print("|---|---|---|---|---|")
    else:
        print("| model | test | apr |")
        print("|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Side by side on one machine in one run: the host built from an older commit against the host
# built from the working tree, alternating (old, new, old, new, ...) on the same input, so that
# both see the same load. Prints each run's wall time and guest-seconds per wall second, the
# machine's load average, and whether the outputs are identical in all but their wall times.
#
#   bench/compare-with.sh COMMIT fleet FLEET.json [ROUNDS]     fleet.json compared without wallSeconds
#   bench/compare-with.sh COMMIT run SCENARIO.json [ROUNDS]    report.json compared without wallSeconds
set -euo pipefail
commit=${1:?commit to compare with}
kind=${2:?fleet or run}
input=$(realpath "${3:?input file}")
rounds=${4:-3}
repo=$(git rev-parse --show-toplevel)
scratch=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$scratch/old-tree" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT

git -C "$repo" worktree add --detach "$scratch/old-tree" "$commit" >/dev/null 2>&1
echo "building $commit and the working tree (Release)" >&2
dotnet build -c Release "$scratch/old-tree/src/Host" -o "$scratch/old" >/dev/null
dotnet build -c Release "$repo/src/Host" -o "$scratch/new" >/dev/null

if [[ $kind == fleet ]]; then output=fleet.json; else output=report.json; fi
run_one() { # which round
    local which=$1 round=$2 out="$scratch/out-$1-$2" start end
    start=$(date +%s.%N)
    if [[ $kind == fleet ]]; then
        dotnet "$scratch/$which/PageReportingActors.Host.dll" fleet "$input" --out "$out" >/dev/null 2>&1
    else
        dotnet "$scratch/$which/PageReportingActors.Host.dll" run "$input" --out "$out" --sample 1s --quiet >/dev/null 2>&1
    fi
    end=$(date +%s.%N)
    python3 - "$out/$output" "$which" "$round" "$start" "$end" <<'EOF'
import json, sys
path, which, round_, start, end = sys.argv[1:]
d = json.load(open(path))
summary = d.get("summary", d)
gs = summary.get("guestSeconds") or d.get("scenario", {}).get("durationSeconds") or summary.get("virtualSeconds")
wall = float(end) - float(start)
print(f"{which} round {round_}: {wall:.1f} s wall (process), wallSeconds {summary.get('wallSeconds', d.get('wallSeconds'))}" + (f", {float(gs)/wall:.0f} guest-s per wall s" if gs else ""))
EOF
}
for round in $(seq 1 "$rounds"); do
    run_one old "$round"
    run_one new "$round"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$scratch" "$output" "$rounds" <<'EOF'
import json, sys
scratch, output, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
def strip(node):
    if isinstance(node, dict): return {k: strip(v) for k, v in node.items() if k != "wallSeconds"}
    if isinstance(node, list): return [strip(v) for v in node]
    return node
runs = [strip(json.load(open(f"{scratch}/out-{w}-{r}/{output}"))) for r in range(1, rounds + 1) for w in ("old", "new")]
print(f"{output} identical in all but wallSeconds across all {len(runs)} runs: {all(r == runs[0] for r in runs)}")
EOF

#!/usr/bin/env bash
# Side by side on one machine in one run: the host built from an older commit against the host
# built from the working tree, alternating (old, new, old, new, ...) on the same input, so that
# both see the same load. Prints each run's wall time, guest-seconds per wall second and peak
# resident set (GNU time), the machine's load average, and whether the outputs are identical in
# all but their wall times (and, when the older commit predates them, the fields it lacks).
#
#   bench/compare-with.sh COMMIT fleet FLEET.json [ROUNDS]   fleet.json compared (node names aside)
#   bench/compare-with.sh COMMIT run SCENARIO [ROUNDS]       report.json compared; SCENARIO is a file
#                                                            or a built-in name
# For `run`, peak RSS is also divided by the guest's modelled 4 KiB pages: what each page costs
# the whole process, runtime included.
set -euo pipefail
commit=${1:?commit to compare with}
kind=${2:?fleet or run}
input=${3:?input file or built-in scenario name}
rounds=${4:-3}
if [[ -e $input ]]; then input=$(realpath "$input"); fi
[[ -x /usr/bin/time ]] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
repo=$(git rev-parse --show-toplevel)
scratch=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$scratch/old-tree" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT

git -C "$repo" worktree add --detach "$scratch/old-tree" "$commit" >/dev/null 2>&1
echo "building $commit and the working tree (Release)" >&2
dotnet build -c Release "$scratch/old-tree/src/Host" -o "$scratch/old" >/dev/null
dotnet build -c Release "$repo/src/Host" -o "$scratch/new" >/dev/null

if [[ $kind == fleet ]]; then output=fleet.json; else output=report.json; fi

# The guest's size in modelled 4 KiB pages, from the scenario as the new host reads it.
pages=0
if [[ $kind == run ]]; then
    pages=$(dotnet "$scratch/new/PageReportingActors.Host.dll" scenarios show "$input" 2>/dev/null |
        python3 -c '
import json, re, sys
size = json.load(sys.stdin)["guest"]["memory"]
m = re.fullmatch(r"([0-9.]+)\s*([KMGT])i?B", size)
print(int(float(m[1]) * 1024 ** ("KMGT".index(m[2]) + 1) // 4096) if m else 0)' || echo 0)
fi

report_py='
import json, sys
path, which, round_, start, end, rss_kib, pages = sys.argv[1:]
d = json.load(open(path))
summary = d.get("summary", d)
gs = summary.get("guestSeconds") or summary.get("virtualSeconds")
wall = float(end) - float(start)
rss = int(rss_kib) * 1024
reported_wall = summary.get("wallSeconds", d.get("wallSeconds"))
line = f"{which} round {round_}: {wall:.1f} s wall (process), wallSeconds {reported_wall}"
if gs: line += f", {float(gs) / wall:.0f} guest-s per wall s"
line += f", peak RSS {rss / 2**20:.0f} MiB"
if int(pages): line += f", {rss / int(pages):.2f} bytes per modelled page ({int(pages):,} pages)"
print(line)
'
run_one() { # which round
    local which=$1 round=$2 out="$scratch/out-$1-$2" start end
    start=$(date +%s.%N)
    if [[ $kind == fleet ]]; then
        /usr/bin/time -f %M -o "$scratch/rss" \
            dotnet "$scratch/$which/PageReportingActors.Host.dll" fleet "$input" --out "$out" >/dev/null 2>&1
    else
        /usr/bin/time -f %M -o "$scratch/rss" \
            dotnet "$scratch/$which/PageReportingActors.Host.dll" run "$input" --out "$out" --sample 1s --quiet >/dev/null 2>&1
    fi
    end=$(date +%s.%N)
    python3 -c "$report_py" "$out/$output" "$which" "$round" "$start" "$end" "$(tail -n 1 "$scratch/rss")" "$pages"
}
for round in $(seq 1 "$rounds"); do
    run_one old "$round"
    run_one new "$round"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$scratch" "$output" "$rounds" <<'EOF'
import json, sys
scratch, output, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
def strip(node, keep):
    # Compare only what both versions write: wall times always differ, and so do a fleet's node
    # names (each run listens on a free port); fields the older commit did not have yet (cost,
    # hostFaults, ...) are reported, not compared.
    if isinstance(node, dict):
        return {k: strip(v, keep.get(k) if isinstance(keep, dict) else None)
                for k, v in node.items() if k not in ("wallSeconds", "node") and (keep is None or k in keep)}
    if isinstance(node, list):
        return [strip(v, keep[i] if isinstance(keep, list) and i < len(keep) else None) for i, v in enumerate(node)]
    return node
def keys(node):
    if isinstance(node, dict): return {k: keys(v) for k, v in node.items()}
    if isinstance(node, list): return [keys(v) for v in node]
    return None
load = lambda w, r: json.load(open(f"{scratch}/out-{w}-{r}/{output}"))
old_shape = keys(load("old", 1))
new_only = sorted(set(load("new", 1)) - set(load("old", 1)))
def first_difference(a, b, path="$"):
    if type(a) is not type(b): return path
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b: return f"{path}.{k}"
            if (d := first_difference(a[k], b[k], f"{path}.{k}")): return d
    elif isinstance(a, list):
        if len(a) != len(b): return f"{path} (length {len(a)} against {len(b)})"
        for i, (x, y) in enumerate(zip(a, b)):
            if (d := first_difference(x, y, f"{path}[{i}]")): return d
    elif a != b: return f"{path}: {a!r} against {b!r}"
    return None
runs = [strip(load(w, r), old_shape) for r in range(1, rounds + 1) for w in ("old", "new")]
differences = [d for r in runs[1:] if (d := first_difference(runs[0], r))]
print(f"{output} identical in all but wallSeconds (and node names) across all {len(runs)} runs: {not differences}"
      + (f" (top-level fields only the new one writes: {', '.join(new_only)})" if new_only else "")
      + (f"; first difference from old round 1: {differences[0]}" if differences else ""))
EOF

#!/usr/bin/env bash
# Coverage-guided fuzzing of the file parsers with libFuzzer (see README.md).
#
#   Tests/Fuzz/run.sh [short|long] [parser…]
#
#   short  CI-sized: 20,000 executions per parser (at most 60 s each)   — the default
#   long   1,000,000 executions per parser (no time limit)
#   parser one or more of: idx csv npy gzip safetensors architecture cifar npyimages onnx — default: all
#
# Environment: FUZZ_RUNS / FUZZ_MAX_TIME override the executions / seconds per parser,
# FUZZ_MALLOC_LIMIT_MB the largest single allocation allowed (default 64),
# FUZZ_SANITIZE (default "fuzzer,address"; "fuzzer" alone drops AddressSanitizer; a different
# value rebuilds everything),
# FUZZ_JOBS (build jobs, default 2), FUZZ_NO_BUILD=1 skips the build, SWIFT (default: swift on
# PATH, else /opt/swift/usr/bin/swift).
#
# The harnesses are built into Tests/Fuzz/.build with every target of the main package
# instrumented. Each parser's committed corpus (Corpus/<parser>/) is copied into
# work/<parser>/corpus, which is what grows; findings go to crashes/<parser>/. One fuzzer runs at a
# time. Prints "<parser>: N executions, K crashes" per parser; exits non-zero on any crash,
# timeout, out-of-memory, leak or failed build.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

all_parsers=(idx csv npy gzip safetensors architecture cifar npyimages onnx)
mode=short
if [[ $# -gt 0 && ( "$1" == short || "$1" == long ) ]]; then mode=$1; shift; fi
parsers=("$@")
[[ ${#parsers[@]} -eq 0 ]] && parsers=("${all_parsers[@]}")
for parser in "${parsers[@]}"; do
    if [[ ! " ${all_parsers[*]} " == *" $parser "* ]]; then
        echo "run.sh: unknown parser '$parser' (expected: ${all_parsers[*]}; mode short|long first)" >&2
        exit 2
    fi
done

if [[ $mode == long ]]; then
    runs=${FUZZ_RUNS:-1000000}
    max_time=${FUZZ_MAX_TIME:-0}
else
    runs=${FUZZ_RUNS:-20000}
    max_time=${FUZZ_MAX_TIME:-60}
fi

# Inputs are at most 8 KB, so the largest honest allocation is the inflated data of a gzip bomb
# (deflate expands at most ~1032:1, so ~8 MB). A single malloc above this limit means a parser
# allocated from what a header *claims*: reported as out-of-memory, i.e. a finding.
malloc_limit=${FUZZ_MALLOC_LIMIT_MB:-64}

max_len_for() {
    case $1 in
        npy | npyimages | csv | safetensors | cifar) echo 8192 ;;
        onnx) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

swift=${SWIFT:-$(command -v swift || echo /opt/swift/usr/bin/swift)}
scratch="$here/.build"
# `--sanitize fuzzer` makes SwiftPM link the executables against libFuzzer's `main` (instead of
# the module's own entry point); the one combined -Xswiftc -sanitize= flag, which swiftc sees after
# SwiftPM's own, then applies to every compile (all targets of both packages) and link.
# Not `--sanitize fuzzer --sanitize address`: that passes two -sanitize= flags, swiftc keeps only
# the last, and SwiftPM's order varies from run to run, so about half of such builds came out
# without coverage instrumentation (run.sh now refuses to count a run without it).
sanitize_flags=(--sanitize fuzzer -Xswiftc "-sanitize=${FUZZ_SANITIZE:-fuzzer,address}")

if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
    echo "== building harnesses (${FUZZ_SANITIZE:-fuzzer,address}) into $scratch"
    # -Xswiftc on the command line instruments every target, the main package's included.
    if ! "$swift" build -c release --scratch-path "$scratch" -j "${FUZZ_JOBS:-2}" "${sanitize_flags[@]}" \
        > "$here/.build-log.txt" 2>&1; then
        grep -E "error:" "$here/.build-log.txt" | head -40 >&2
        echo "run.sh: build failed (full log: Tests/Fuzz/.build-log.txt)" >&2
        exit 1
    fi
fi
bin="$("$swift" build -c release --scratch-path "$scratch" "${sanitize_flags[@]}" --show-bin-path 2>/dev/null)"

# Swift's own backtracer would take over the crash signal; let libFuzzer report and save the input.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:allocator_may_return_null=0}
symbolizer=$(dirname "$swift")/llvm-symbolizer
[[ -x $symbolizer ]] && export ASAN_SYMBOLIZER_PATH=$symbolizer

tmp_base=/dev/shm
[[ -d $tmp_base && -w $tmp_base ]] || tmp_base="$here/work"

failed=0
summary=()
for parser in "${parsers[@]}"; do
    exe="$bin/fuzz-$parser"
    work="$here/work/$parser"
    crashes="$here/crashes/$parser"
    rm -rf "$work"
    mkdir -p "$work/corpus" "$crashes"
    cp "$here/Corpus/$parser/"* "$work/corpus/"
    export FUZZ_TMPDIR
    FUZZ_TMPDIR=$(mktemp -d "$tmp_base/curvature-fuzz-$parser.XXXXXX")
    args=(-runs="$runs" -max_total_time="$max_time" -rss_limit_mb=2048 -malloc_limit_mb="$malloc_limit" -timeout=10
          -max_len="$(max_len_for "$parser")" -print_final_stats=1 -artifact_prefix="$crashes/")
    [[ -f "$here/Dictionaries/$parser.dict" ]] && args+=(-dict="$here/Dictionaries/$parser.dict")
    before=$(find "$crashes" -type f | wc -l)
    echo "== $parser: $(basename "$exe") ${args[*]} work/$parser/corpus"
    start=$(date +%s)
    "$exe" "${args[@]}" "$work/corpus" > "$work/fuzz.log" 2>&1
    status=$?
    seconds=$(( $(date +%s) - start ))
    rm -rf "$FUZZ_TMPDIR"
    executions=$(grep -E '^stat::number_of_executed_units:' "$work/fuzz.log" | tail -1 | awk '{print $2}')
    [[ -z $executions ]] && executions=$(grep -oE '^Done [0-9]+ runs' "$work/fuzz.log" | tail -1 | awk '{print $2}')
    [[ -z $executions ]] && executions=$(grep -oE '^#[0-9]+' "$work/fuzz.log" | tail -1 | tr -d '#')
    found=$(( $(find "$crashes" -type f | wc -l) - before ))
    corpus_size=$(find "$work/corpus" -type f | wc -l)
    if [[ $status -ne 0 && $found -eq 0 ]]; then found=1; fi
    line="$parser: ${executions:-0} executions, $found crashes (${seconds} s, corpus $corpus_size inputs)"
    if [[ $found -ne 0 ]]; then
        failed=1
        kind=$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z-]+( [a-z-]+)?' "$work/fuzz.log")
        line+=" — ${kind:-exit status $status}; see work/$parser/fuzz.log and crashes/$parser/"
        grep -E 'Fatal error|Precondition failed|ERROR: |SUMMARY' "$work/fuzz.log" | head -5 | sed 's/^/    /'
    elif ! grep -qE '^INFO: Loaded [0-9]+ modules +\([0-9]+ inline 8-bit counters\)' "$work/fuzz.log"; then
        # Without coverage counters libFuzzer degrades to blind random testing: not a valid run.
        failed=1
        line="$parser: ${executions:-0} executions NOT COUNTED — the harness has no coverage instrumentation (see work/$parser/fuzz.log)"
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary ($mode, $(date -u +%Y-%m-%dT%H:%MZ))"
printf '%s\n' "${summary[@]}"
exit $failed

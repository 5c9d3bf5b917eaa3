#!/bin/sh
# `make fuzz`: build the targets, replay the saved regressions, then fuzz each target for
# FUZZ_SECONDS (default 60). Exits non-zero when any target crashes or trips an oracle; the crashing
# input is left in .build-fuzz/artifacts/<target>/ (copy it to Tests/Fuzz/regressions/<target>/ and add
# a test to Tests/TraktWidgetCoreTests/FuzzRegressionTests.swift).
# FUZZ_TARGETS (default "decoder router") limits the run; FUZZ_JOBS>1 runs that many libFuzzer jobs.
set -u
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-decoder router}
OUT=.build-fuzz
# Swift lazy globals look leaked to LeakSanitizer at exit; memory errors are still caught by ASan.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
# libFuzzer reports crashes itself (with the "Swift runtime failure: …" frame); Swift's own backtracer,
# forked from a crashing fuzz target, hangs around afterwards holding the log open.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
DEMANGLE=$(command -v swift-demangle || echo cat)

# The interesting lines of a libFuzzer crash report: the failure and the frames in our code.
report() {
    grep -E "Swift runtime failure|Fatal error|fuzz oracle|ERROR: AddressSanitizer|ERROR: libFuzzer|deadly signal" "$1" | head -3
    grep -E "^ +#[0-9]+ .*(/Sources/|/Tests/Fuzz/)" "$1" | head -8 | "$DEMANGLE" --simplified 2>/dev/null || true
}
Tests/Fuzz/build.sh 2>&1 | grep -v "Cannot export local symbol" || true
status=0
for target in $TARGETS; do
    [ -x "$OUT/$target" ] || { echo "fuzz: $OUT/$target was not built"; exit 1; }
    corpus="$OUT/corpus/$target"
    artifacts="$OUT/artifacts/$target/"
    mkdir -p "$corpus" "$artifacts"
    case $target in
        decoder) seeds="Tests/Fixtures Tests/Fuzz/seeds/decoder"; dict="-dict=Tests/Fuzz/json.dict" ;;
        router) seeds="Tests/Fuzz/seeds/router"; dict="" ;;
        *) seeds=""; dict="" ;;
    esac
    seed_dir="$OUT/seeds/$target"
    rm -rf "$seed_dir" && mkdir -p "$seed_dir"
    for dir in $seeds; do
        find "$dir" -maxdepth 1 -type f ! -name '*.txt' -exec cp {} "$seed_dir/" \;
    done

    # Saved crashers must stay fixed: replay each one before fuzzing.
    regressions="Tests/Fuzz/regressions/$target"
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions" 2>/dev/null)" ]; then
        echo "== $target: replaying $(ls "$regressions" | wc -l) saved regression input(s)"
        for input in "$regressions"/*; do
            if ! "$OUT/$target" -runs=1 "$input" > "$OUT/$target-regression.log" 2>&1 < /dev/null; then
                echo "fuzz: $target still fails on $input:"
                report "$OUT/$target-regression.log"
                status=1
            fi
        done
    fi

    echo "== $target: fuzzing for ${SECONDS_EACH}s"
    log="$OUT/$target.log"
    rm -f "$artifacts"crash-* "$artifacts"timeout-* "$artifacts"oom-*
    # Fork mode with -ignore_crashes: a crash is saved and fuzzing goes on for the full time, so one
    # known bug does not hide the next. Any saved artifact fails the run.
    # shellcheck disable=SC2086
    "$OUT/$target" -fork=1 -ignore_crashes=1 -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts" $dict "$corpus" "$seed_dir" \
        > "$log" 2>&1 < /dev/null
    code=$?
    grep -E "^#[0-9]+: cov: " "$log" | tail -1
    grep -E "^stat::" "$log" | awk '!seen[$0]++'
    found=$(ls "$artifacts" 2>/dev/null | grep -E '^(crash|timeout|oom|leak)-' || true)
    if [ $code -ne 0 ] || [ -n "$found" ]; then
        echo "fuzz: $target FAILED (exit $code); $(echo "$found" | grep -c . ) input(s) in $artifacts, log $log:"
        report "$log"
        echo "$found" | head -5
        status=1
    fi
done
exit $status

#!/bin/bash
# The test runner behind make test: unit tests plain and under ASan+UBSan,
# a short bounded run of every fuzz harness, then the integration tests
# against real servers. Each integration test exits 0 to pass, 77 to skip
# (its last line says why), anything else to fail. Prints one closing line
# and fails if anything failed.
#   tests/run-all.sh [unit] [unit-asan] [fuzz] [integration]   (default: all)
cd "$(dirname "$0")/.." || exit 1
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-15}
parts=${*:-unit unit-asan fuzz integration}
passed=0 failed=0 skipped=0

tally() { # name, exit status
	case $2 in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); echo "FAILED: $1" ;;
	esac
}

run_binaries() { # directory
	local t
	for t in "$1"/test_*; do
		echo "== $t"
		"$t"
		tally "$t" $?
	done
}

run_fuzzers() {
	local f corpus rc seeds
	for f in build/fuzz/fuzz_*; do
		echo "== $f for ${FUZZ_SMOKE_SECONDS}s"
		corpus=$(mktemp -d)
		# A harness's seeds, read only: new inputs go to the corpus.
		seeds=()
		for d in "tests/fuzz/seeds/$(basename "$f")" "build/seeds/$(basename "$f")"; do
			[ -d "$d" ] && seeds+=("$d")
		done
		"$f" -max_total_time="$FUZZ_SMOKE_SECONDS" -artifact_prefix=build/fuzz/ "$corpus" "${seeds[@]}" >"$corpus.log" 2>&1
		rc=$?
		tail -n 1 "$corpus.log"
		[ $rc = 0 ] || tail -n 40 "$corpus.log"
		rm -rf "$corpus" "$corpus.log"
		tally "$f" $rc
	done
}

run_integration() {
	local t name start rc took logdir
	logdir=$(mktemp -d /tmp/sonde-integration.XXXXXX)
	for t in tests/integration/test_*.sh; do
		name=$(basename "$t" .sh)
		start=$(date +%s)
		timeout --kill-after=10 600 bash "$t" >"$logdir/$name.log" 2>&1
		rc=$?
		took=$(($(date +%s) - start))
		case $rc in
		0) echo "PASS $name (${took}s)" ;;
		77) echo "SKIP $name: $(tail -n 1 "$logdir/$name.log")" ;;
		*) echo "FAIL $name (exit $rc, ${took}s); its log:"; sed 's/^/    /' "$logdir/$name.log" | tail -n 80 ;;
		esac
		tally "$name" $rc
	done
	rm -rf "$logdir"
}

for part in $parts; do
	case $part in
	unit) run_binaries build/tests ;;
	unit-asan) run_binaries build/tests-asan ;;
	fuzz) run_fuzzers ;;
	integration) run_integration ;;
	*) echo "unknown part $part"; exit 2 ;;
	esac
done
echo "sonde: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

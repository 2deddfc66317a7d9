#!/bin/bash
# make test: unit tests plain and under ASan+UBSan, a short bounded run of
# every fuzz harness, then the integration tests against real servers.
cd "$(dirname "$0")/.." || exit 1
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-15}
passed=0 failed=0 skipped=0

tally() { # name, status
	case $2 in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); echo "FAILED: $1" ;;
	esac
}

for t in build/tests/test_* build/tests-asan/test_*; do
	echo "== $t"
	"$t"
	tally "$t" $?
done
for f in build/fuzz/fuzz_*; do
	echo "== $f for ${FUZZ_SMOKE_SECONDS}s"
	corpus=$(mktemp -d)
	"$f" -max_total_time="$FUZZ_SMOKE_SECONDS" "$corpus" >"$corpus.log" 2>&1
	rc=$?
	tail -n 2 "$corpus.log"
	rm -rf "$corpus" "$corpus.log"
	tally "$f" $rc
done
echo "== integration"
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
echo "sonde: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

#!/bin/bash
# Runs every tests/integration/test_*.sh: exit 0 passes, 77 skips (with a
# reason on its last line), anything else fails. Prints one closing line.
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0 skipped=0
logdir=$(mktemp -d /tmp/sonde-integration.XXXXXX)
for t in tests/integration/test_*.sh; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	timeout --kill-after=10 600 bash "$t" >"$logdir/$name.log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	case $rc in
	0) passed=$((passed + 1)); echo "PASS $name (${took}s)" ;;
	77) skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$logdir/$name.log")" ;;
	*) failed=$((failed + 1)); echo "FAIL $name (exit $rc, ${took}s); its log:"; sed 's/^/    /' "$logdir/$name.log" | tail -n 60 ;;
	esac
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

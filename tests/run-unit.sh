#!/bin/bash
# Runs cmocka test binaries; prints one closing line and fails if any failed.
passed=0 failed=0
for t in "$@"; do
	if "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $t"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" = 0 ]

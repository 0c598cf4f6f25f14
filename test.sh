#!/usr/bin/env bash
# Runs the whole suite (unit first, then the default image and the VM integration tests) and prints "N passed, N failed, N skipped" last.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
export SANDBOX86_ROOT="$ROOT"
RESULTS="$ROOT/artifacts/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
status=0

# Set-up (host packages, npm, build) through the same launcher users run.
./sandbox86 --version >/dev/null || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# The unmodified E2B JS SDK (pinned in tests/e2b/package-lock.json) that the server suite drives.
(cd tests/e2b && npm ci --no-audit --no-fund >/dev/null) || { echo "npm ci (tests/e2b) failed"; echo "0 passed, 1 failed"; exit 1; }
dotnet build sandbox86.slnx -c Release -nologo -v q -clp:'ErrorsOnly;NoSummary' || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

run_suite() {
    local project="$1" name="$2"
    echo "== $name"
    dotnet test "$project" -c Release --no-build --nologo \
        --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
        --results-directory "$RESULTS" -- RunConfiguration.TestSessionTimeout=3000000 || status=1
}

# Fast feedback first: the unit suite needs no image (and no VM).
run_suite tests/Sandbox86.Tests unit

# The integration tests boot the default image; build it once (cached under ~/.cache/sandbox86),
# and again only when this checkout's guest agent differs from the one inside it.
echo "== default image"
./sandbox86 image build --if-stale || status=1

run_suite tests/Sandbox86.IntegrationTests integration
run_suite tests/Sandbox86.ServerTests server
# The web page in a real browser: Debian's chromium (installed here as root when missing; the tests install
# it too, and fail if they cannot).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 || echo "apt-get install chromium failed"
fi
run_suite tests/Sandbox86.WebTests web

passed=0; failed=0; skipped=0; found=0
for trx in "$RESULTS"/*.trx; do
    [ -f "$trx" ] || continue
    found=1
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    p=$(echo "$counters" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
    f=$(echo "$counters" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
    e=$(echo "$counters" | grep -o ' error="[0-9]*"' | grep -o '[0-9]*')
    t=$(echo "$counters" | grep -o ' total="[0-9]*"' | grep -o '[0-9]*')
    x=$(echo "$counters" | grep -o ' executed="[0-9]*"' | grep -o '[0-9]*')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${e:-0})); skipped=$((skipped + ${t:-0} - ${x:-0}))
done
if [ "$found" = 0 ] || { [ "$status" != 0 ] && [ "$failed" = 0 ]; }; then
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

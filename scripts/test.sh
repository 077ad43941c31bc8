#!/bin/bash
# Set up everything (Debian packages, build) and run the whole test suite: unit tests, the system
# tests (namespaces, veth, real vswitchd/vmmd processes; they need root, else they skip), then
# every libFuzzer target for a bounded time over its seed corpus (FUZZ_SECONDS, default 60;
# FUZZ_SECONDS=0 skips fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
meson test -C build --suite unit --print-errorlogs
meson test -C build --suite system --print-errorlogs --num-processes 1
if [[ "${FUZZ_SECONDS:-60}" != 0 ]]; then
	scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi

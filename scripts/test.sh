#!/bin/bash
# Set up everything (Debian packages, build) and run the whole test suite: unit tests, then the
# system tests (namespaces, veth, real vswitchd processes; they need root, else they skip).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
meson test -C build --suite unit --print-errorlogs
meson test -C build --suite system --print-errorlogs --num-processes 1

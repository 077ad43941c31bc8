#!/bin/bash
# Build the libFuzzer targets with clang in ./build-fuzz and run each for a bounded time over its
# checked-in seed corpus (tests/fuzz/corpus/<target>/). A crash fails the run and leaves the
# reproducer in build-fuzz/artifacts/.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET (default 60)] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
if [[ ! -d build-fuzz ]]; then
	CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled >/dev/null
fi
ninja -C build-fuzz >/dev/null
targets=("$@")
if ((${#targets[@]} == 0)); then
	mapfile -t targets < <(find build-fuzz/tests/fuzz -maxdepth 1 -type f -executable -name 'fuzz_*' -printf '%f\n' | sort)
fi
if ((${#targets[@]} == 0)); then
	echo "fuzz: no targets built"
	exit 0
fi
mkdir -p build-fuzz/artifacts
failed=0
for t in "${targets[@]}"; do
	seeds=tests/fuzz/corpus/$t
	work=build-fuzz/corpus/$t
	mkdir -p "$work"
	args=(-max_total_time="$secs" -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/"$t"-)
	echo "fuzz: $t for ${secs}s"
	if ! "build-fuzz/tests/fuzz/$t" "${args[@]}" "$work" ${seeds:+$( [[ -d $seeds ]] && echo "$seeds")} \
		>"build-fuzz/$t.log" 2>&1; then
		echo "fuzz: $t FAILED (log build-fuzz/$t.log)"
		tail -40 "build-fuzz/$t.log"
		failed=$((failed + 1))
	else
		grep -E 'stat::number_of_executed_units' "build-fuzz/$t.log" || true
	fi
done
echo "fuzz: $((${#targets[@]} - failed)) passed, $failed failed"
((failed == 0))

#!/bin/bash
# Install what the project needs from Debian (only what is missing) and build it in ./build.
# Usage: scripts/setup.sh [--bench]   (--bench also installs Open vSwitch-DPDK for bench/)
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(gcc clang pkg-config meson ninja-build dpdk dpdk-dev libcmocka-dev libjansson-dev libseccomp-dev
      iproute2 iputils-ping iperf3 tcpdump jq python3 procps util-linux ethtool kmod)
[[ "${1:-}" == "--bench" ]] && pkgs+=(openvswitch-switch-dpdk)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages (run as root to install): ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=debugoptimized -Ddeveloper_mode=true >/dev/null
fi
ninja -C build

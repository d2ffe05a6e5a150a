#!/usr/bin/env bash
# deps.sh - install what `make bench` compares leakscope with, and its
# realistic load, only if missing. Idempotent: apt-get is not run at all
# when everything is present. Used by `make bench`.
set -euo pipefail

packages=(
	strace valgrind bpftrace	# the peers
	hyperfine			# not used by bench.py; for ad-hoc timing
	libpython3.11-testsuite		# the realistic load: python3 -m test ...
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	[ "${V:-0}" = 1 ] && echo "bench deps: all ${#packages[@]} packages present"
	exit 0
fi

echo "bench deps: installing ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=sudo
	else
		echo "bench deps: need root; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bench deps: installed ${#missing[@]} package(s)"

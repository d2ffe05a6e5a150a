#!/usr/bin/env bash
# deps.sh - install what leakscope needs to build, test and demo, and nothing
# else. Idempotent: packages already present are not touched, and apt-get is
# not run at all when nothing is missing. Used by `make deps`; with
# `--as NAME PKG...` it installs those packages instead, its messages
# headed NAME (tools/bench/deps.sh).
set -euo pipefail
what=deps

# Debian package names, one per need; see README.md for what each is for.
packages=(
	make gcc clang llvm pkg-config	# compilers (clang builds the BPF side)
	libbpf-dev bpftool		# BPF loading and skeleton generation
	libelf-dev zlib1g-dev		# libbpf's own dependencies
	libcmocka-dev			# unit tests
	libclang-rt-dev			# libFuzzer and sanitizer runtimes
	python3 python3-pytest		# BPF and end-to-end tests
	locales				# a comma-decimal locale for the JSON tests
	tmux procps iproute2		# e2e helpers (ps, ss)
)
if [ "${1:-}" = --as ]; then
	what=$2
	shift 2
	packages=("$@")
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	[ "${V:-0}" = 1 ] && echo "$what: all ${#packages[@]} packages present"
	exit 0
fi

echo "$what: installing ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO=sudo
	else
		echo "$what: need root to install; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "$what: installed ${#missing[@]} package(s)"

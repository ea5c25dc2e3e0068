#!/usr/bin/env bash
# Validates what can be validated of docker/ without a Docker engine: the runtime packages the
# Dockerfile installs exist in Debian 12, and together they provide every shared library the
# locally built mediasoup-worker links against.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(readlink -f node_modules/mediasoup/worker/out/Release/mediasoup-worker)
runtime_pkgs=$(sed -n '/^FROM node:20-bookworm-slim/,$p' docker/Dockerfile | grep -oE 'lib[a-z0-9.+-]+[0-9]' | sort -u)
echo "runtime packages: $(echo $runtime_pkgs)"
for p in $runtime_pkgs; do
  apt-cache show "$p" >/dev/null 2>&1 || { echo "missing Debian package: $p"; exit 1; }
done
status=0
while read -r lib path; do
  case "$lib" in libc.so*|libm.so*|libstdc++*|libgcc_s*|ld-linux*|linux-vdso*|libpthread*|libdl*|librt*) continue;; esac
  pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1 || true)
  if [ -z "$pkg" ] || ! grep -qw "${pkg%%:*}" <<<"$runtime_pkgs"; then
    echo "worker links $lib ($pkg) which the runtime stage does not install"; status=1
  else
    echo "ok: $lib <- $pkg"
  fi
done < <(ldd "$bin" | awk '/=>/ {print $1, $3}')
exit $status

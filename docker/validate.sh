#!/usr/bin/env bash
# Validates what can be validated of docker/ without a Docker engine: the runtime packages the
# Dockerfile installs exist in Debian 12, together they provide every shared library the locally
# built mediasoup-worker links against, and the worker links no libsrtp2, NSS or NSPR (SRTP is
# built in, against OpenSSL).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(readlink -f node_modules/mediasoup/worker/out/Release/mediasoup-worker)
runtime_pkgs=$(sed -n '/^FROM node:24-bookworm-slim/,$p' docker/Dockerfile | grep -oE 'lib[a-z0-9.+-]+[0-9]' | sort -u)
echo "runtime packages: $(echo $runtime_pkgs)"
for p in $runtime_pkgs; do
  apt-cache show "$p" >/dev/null 2>&1 || { echo "missing Debian package: $p"; exit 1; }
done
status=0
echo "ldd $bin:"
ldd "$bin" | sed 's/^/  /'
if ldd "$bin" | grep -Eq 'libsrtp|libnss3|libnspr4|libsoftokn3|libfreebl'; then
  echo "the worker links libsrtp2 or NSS dynamically; SRTP must be built in (scripts/worker/)"
  status=1
fi
if ! grep -aq 'libsrtp2 2\.' "$bin"; then
  echo "the worker does not carry libsrtp's version string: is SRTP linked in?"
  status=1
fi
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

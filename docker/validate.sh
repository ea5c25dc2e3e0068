#!/usr/bin/env bash
# Validates what can be validated of docker/ without a Docker engine: the runtime packages the
# Dockerfile installs exist in Debian 12, together they provide every shared library the locally
# built mediasoup-worker links against, and the worker links no libsrtp2, NSS or NSPR (SRTP is
# built in, against OpenSSL); the coturn image's package exists and coturn (Debian's, as
# installed by `node scripts/setup.mjs --browser`) parses docker/turnserver.conf and starts with
# it, and the config keeps its peer-address hardening; compose.yml has the services, profile and
# settings the docs describe (with `docker compose config` when a compose client is installed);
# the image's healthcheck is the TLS-aware script.
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

echo "coturn image: Debian package"
apt-cache show coturn >/dev/null 2>&1 || { echo "missing Debian package: coturn"; status=1; }

echo "docker/turnserver.conf:"
conf=docker/turnserver.conf
for line in use-auth-secret no-multicast-peers no-cli fingerprint \
    denied-peer-ip=0.0.0.0-0.255.255.255 denied-peer-ip=10.0.0.0-10.255.255.255 \
    denied-peer-ip=100.64.0.0-100.127.255.255 denied-peer-ip=127.0.0.0-127.255.255.255 \
    denied-peer-ip=169.254.0.0-169.254.255.255 denied-peer-ip=172.16.0.0-172.31.255.255 \
    denied-peer-ip=192.168.0.0-192.168.255.255 denied-peer-ip=::1 \
    denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff \
    denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff; do
  grep -qxF "$line" "$conf" || { echo "  missing: $line"; status=1; }
done
if grep -Eq '^(allow-loopback-peers|allowed-peer-ip|static-auth-secret|lt-cred-mech|user=)' "$conf"; then
  echo "  the shipped config must not allow peers back, carry a secret or define users"; status=1
fi
if command -v turnserver >/dev/null; then
  tmp=$(mktemp -d)
  port=$(( 35000 + RANDOM % 5000 ))
  # The shipped file, with only the addresses, ports and state files moved to a scratch place.
  timeout 3 turnserver -c "$conf" --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
    --listening-port=$port --tls-listening-port=$((port + 1)) --min-port=$((port + 10)) \
    --max-port=$((port + 20)) --static-auth-secret=validate-only-secret-0123456789 \
    --realm=validate --pidfile="$tmp/pid" --db="$tmp/db" >"$tmp/log" 2>&1 || true
  bad=$(grep -Ei 'bad configuration|config error|unknown|cannot bind|error' "$tmp/log" || true)
  if [ -n "$bad" ]; then echo "  coturn refused it:"; echo "$bad" | sed 's/^/    /'; status=1
  elif ! grep -q 'Total General servers' "$tmp/log"; then
    echo "  coturn did not start with it:"; tail -5 "$tmp/log" | sed 's/^/    /'; status=1
  else echo "  ok: coturn $(turnserver --version 2>&1 | head -1) starts with it"; fi
  rm -rf "$tmp"
else
  echo "  turnserver missing: run node scripts/setup.mjs --browser"; status=1
fi

echo "docker/compose.yml:"
if docker compose version >/dev/null 2>&1; then
  ANNOUNCED_ADDRESS=203.0.113.7 TURN_SECRET=validate-only-secret-0123456789 \
    docker compose -f docker/compose.yml --profile cluster config -q || status=1
else
  echo "  (no docker compose client here: structural checks only)"
fi
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import yaml from "js-yaml";
  const c = yaml.load(readFileSync("docker/compose.yml", "utf8"));
  const fail = (m) => { console.log("  " + m); process.exitCode = 1; };
  const s = c.services ?? {};
  for (const name of ["sfu", "coturn", "redis"]) if (!s[name]) fail(`no ${name} service`);
  const env = s.sfu?.environment ?? {};
  for (const v of ["TURN_URLS", "TURN_SECRET", "TURN_CREDENTIAL_TTL", "METRICS_PORT", "METRICS_TOKEN"])
    if (!(v in env)) fail(`sfu sets no ${v}`);
  const cmd = (s.coturn?.command ?? []).join(" ");
  for (const o of ["--static-auth-secret=", "--allowed-peer-ip=", "--external-ip="])
    if (!cmd.includes(o)) fail(`coturn is started without ${o}`);
  if (JSON.stringify(s.redis?.profiles) !== JSON.stringify(["cluster"]))
    fail("redis is not in the cluster profile only");
  if (process.exitCode !== 1) console.log("  ok: sfu, coturn (use-auth-secret), redis (profile cluster)");
' || status=1

echo "healthcheck:"
if grep -q 'HEALTHCHECK.*dist/server/sfu/healthcheck.js' docker/Dockerfile && [ -f sfu/healthcheck.ts ]; then
  echo "  ok: the image runs sfu/healthcheck.ts (HTTPS when TLS is on)"
else
  echo "  the Dockerfile HEALTHCHECK is not dist/server/sfu/healthcheck.js"; status=1
fi
exit $status

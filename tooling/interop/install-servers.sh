#!/usr/bin/env bash
# Installs, with apt-get, the real servers (and the Python Requests oracle) that the interop
# suite runs against. Idempotent: quiet and offline when everything is already installed.
set -euo pipefail

# One Debian package a line; a later server is one more line here.
PACKAGES=(
  python3-httpbin   # httpbin, the WSGI app every interop test talks to
  gunicorn          # serves httpbin over HTTP/1.1
  python3-requests  # the oracle: what Python Requests answers for the same calls
  python3-brotli    # lets httpbin serve /brotli and Requests decode it
  h2o               # apps/bench: the loopback server the benchmark measures clients against
  caddy             # HTTPS reverse proxy (h1, h2, h3; Go net/http, quic-go) in front of httpbin
  python3-hypercorn # the second HTTP/2 stack (python-h2): serves httpbin itself over TLS
  ngtcp2-server     # gtlsserver: the second HTTP/3 stack (ngtcp2, nghttp3, GnuTLS); Retry and loss on demand
  ngtcp2-client     # gtlsclient: the reference HTTP/3 client that self-checks the QUIC servers
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
((${#missing[@]} == 0)) && exit 0

if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-servers.sh: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-servers.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-servers.sh: installed ${missing[*]}"

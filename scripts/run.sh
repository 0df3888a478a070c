#!/usr/bin/env bash
# Runs the product: installs what is missing, builds what changed, and
# starts the server on localhost. VC_PORT picks the HTTP port (8080).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
port=${VC_PORT:-8080}

scripts/setup.sh
# The product needs no sanitizer build; the tests do.
VC_NO_ASAN=1 scripts/build.sh
echo
echo "Open http://localhost:$port/ in Chrome or Edge, or go straight to a"
echo "meeting: http://localhost:$port/meeting/<your-name>/<meeting-id>"
echo "Stop the server with Ctrl-C."
echo
exec build/native/server-stub/vc-server --web-root build/web --port "$port"

#!/usr/bin/env bash
# Install the pinned openapi-typescript, openapi-fetch and typescript (package-lock.json) with
# `npm ci`. Idempotent: does nothing while node_modules is newer than package-lock.json
# (the same pattern as tests/compat/install.sh).
set -euo pipefail

src="${BASH_SOURCE[0]}"
case "$src" in */*) here="${src%/*}" ;; *) here=. ;; esac
here="$(cd "$here" && pwd)"
stamp="$here/node_modules/.package-lock.json"  # npm writes it on every install

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "clients/typescript/install.sh: '$tool' is not installed (Node.js >= 20 and npm are needed)" >&2
        exit 127
    fi
done

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
    echo "clients/typescript/install.sh: Node.js >= 20 is needed, found $(node --version)" >&2
    exit 1
fi

if [ -f "$stamp" ] && [ "$stamp" -nt "$here/package-lock.json" ] \
    && [ -d "$here/node_modules/openapi-typescript" ] && [ -d "$here/node_modules/typescript" ]; then
    exit 0
fi

cd "$here"
if ! log="$(npm ci --no-audit --no-fund --loglevel=error 2>&1)"; then
    echo "clients/typescript/install.sh: npm ci failed in $here:" >&2
    echo "$log" >&2
    exit 1
fi
touch "$stamp"

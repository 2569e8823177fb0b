#!/usr/bin/env bash
# Install the pinned better-auth (tests/compat/node/package-lock.json) with `npm ci`.
# Idempotent: does nothing while node_modules is newer than package-lock.json.
set -euo pipefail

src="${BASH_SOURCE[0]}"
case "$src" in */*) here="${src%/*}" ;; *) here=. ;; esac
here="$(cd "$here" && pwd)"
node_dir="$here/node"
stamp="$node_dir/node_modules/.package-lock.json"  # npm writes it on every install

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "tests/compat/install.sh: '$tool' is not installed (Node.js >= 20 and npm are needed to run better-auth)" >&2
        exit 127
    fi
done

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
    echo "tests/compat/install.sh: Node.js >= 20 is needed, found $(node --version)" >&2
    exit 1
fi

if [ -f "$stamp" ] && [ "$stamp" -nt "$node_dir/package-lock.json" ] \
    && [ -d "$node_dir/node_modules/better-auth" ]; then
    exit 0
fi

cd "$node_dir"
if ! log="$(npm ci --no-audit --no-fund --loglevel=error 2>&1)"; then
    echo "tests/compat/install.sh: npm ci failed in $node_dir:" >&2
    echo "$log" >&2
    exit 1
fi
touch "$stamp"

#!/usr/bin/env bash
# Runs the same workload — 1,000 stores, then 100 searches, one client over stdio — against the
# official MCP memory server (@modelcontextprotocol/server-memory, from npm) and against memos-mcp,
# in one run on one machine, and prints both reports and the ratio. Needs Go, Node.js and npm.
#
#   scripts/bench-peers.sh                 # defaults
#   STORES=5000 SEARCHES=500 scripts/bench-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

STORES=${STORES:-1000}
SEARCHES=${SEARCHES:-100}
OFFICIAL_VERSION=${OFFICIAL_VERSION:-2026.8.31}
CACHE=${MEMOS_BENCH_CACHE:-$HOME/.cache/memos-mcp-bench}
official="$CACHE/server-memory-$OFFICIAL_VERSION"

if [ ! -x "$official/node_modules/.bin/mcp-server-memory" ]; then
  echo "installing @modelcontextprotocol/server-memory@$OFFICIAL_VERSION into $official" >&2
  npm install --silent --prefix "$official" "@modelcontextprotocol/server-memory@$OFFICIAL_VERSION" >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/memos-mcp" ./cmd/memos-mcp

echo "== official MCP memory server $OFFICIAL_VERSION (node $(node --version))"
MEMORY_FILE_PATH="$work/official-memory.jsonl" "$work/memos-mcp" bench --profile official-memory \
  --server "$official/node_modules/.bin/mcp-server-memory" --stores "$STORES" --searches "$SEARCHES" --json >"$work/official.json"
echo "== memos-mcp $(git describe --always --dirty 2>/dev/null || echo dev) (embedded store, built-in embedder)"
"$work/memos-mcp" bench --profile memos --stores "$STORES" --searches "$SEARCHES" --json >"$work/memos.json"

node - "$work/official.json" "$work/memos.json" <<'JS'
const [official, memos] = process.argv.slice(2).map(f => JSON.parse(require('fs').readFileSync(f, 'utf8')));
const ms = ns => (ns / 1e6).toFixed(2) + ' ms';
for (const [name, r] of [['official', official], ['memos-mcp', memos]]) {
  console.log(`${name.padEnd(10)} ${r.stores} stores in ${ms(r.store_wall_ns)} (${r.stores_per_second.toFixed(0)}/s, ` +
    `p50 ${ms(r.store_latency.P50)}, p95 ${ms(r.store_latency.P95)}, last/first tenth ${r.store_growth.toFixed(2)}); ` +
    `${r.searches} searches p50 ${ms(r.search_latency.P50)} p95 ${ms(r.search_latency.P95)} p99 ${ms(r.search_latency.P99)}`);
}
console.log(`ratio      stores: memos-mcp is ${(official.store_wall_ns / memos.store_wall_ns).toFixed(1)}x faster; ` +
  `search p95: ${(official.search_latency.P95 / memos.search_latency.P95).toFixed(1)}x`);
JS

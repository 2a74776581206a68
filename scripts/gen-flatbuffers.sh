#!/usr/bin/env bash
# Regenerates src/codec/flat/generated/ from src/codec/flat/record.fbs (ring records,
# input) and src/codec/flat/result.fbs (window results, Kafka sink) with Debian's
# flatc (flatbuffers-compiler 2.0.8). The output is committed; test/unit/codec/codec-record.test.ts
# checks it is what this script produces.
# flatc 2.0.8 writes extensionless relative imports, which Node's ESM resolver
# (tsconfig "module": "NodeNext") rejects, so we add ".js" to them.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-src/codec/flat/generated}"
command -v flatc >/dev/null || { echo "flatc not found: apt-get install -y flatbuffers-compiler" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
flatc --ts -o "$out" src/codec/flat/record.fbs src/codec/flat/result.fbs
find "$out" -name '*.ts' -print0 | xargs -0 sed -i -E "s#(from '\.{1,2}/[^']*)'#\1.js'#"
echo "generated $(find "$out" -name '*.ts' | wc -l) files in $out with $(flatc --version)"

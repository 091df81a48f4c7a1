#!/usr/bin/env bash
# The GPU check, on the GPU machine (built by build.sh; needs python3, PyTorch with CUDA for the anchor, and the
# NVIDIA driver's Vulkan ICD for Dawn):  bash run.sh ['{"steps": 10, "batch": 32, "seq": 32, "composite": true}']
# Prints the merged JSON (ftlab-gpu.json + torch-cuda.json → gpu-check.json) and a summary on stderr.
set -uo pipefail
cd "$(dirname "$0")"
JOB=${1:-'{"steps": 10, "composite": true}'}
unxz() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
[ -x node ] || { unxz node.xz node && chmod +x node; }
DAWN=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$DAWN" ] || unxz dawn.node.xz "$DAWN"
# libvulkan1 (the Vulkan loader Dawn dlopens) from its .deb, for machines that lack it
if [ ! -d vulkan ]; then
  mkdir -p vulkan
  dpkg-deb -x libvulkan1_*.deb vulkan 2>/dev/null || python3 - libvulkan1_*.deb vulkan <<'PY'
import io, sys, tarfile
data = open(sys.argv[1], "rb").read()
pos = 8  # "!<arch>\n", then 60-byte member headers
while pos < len(data):
    name, size = data[pos:pos + 16].decode().strip().rstrip("/"), int(data[pos + 48:pos + 58])
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(data[pos + 60:pos + 60 + size])).extractall(sys.argv[2])
    pos += 60 + size + (size & 1)
PY
fi
export LD_LIBRARY_PATH="$PWD/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
./node --version >&2
./node gpuBench.mjs "$JOB" >ftlab-gpu.json
rc=$?
if [ $rc -ne 0 ]; then
  cat ftlab-gpu.json
  echo "ftlab GPU bench exited $rc" >&2
  [ $rc -eq 2 ] && echo "no GPU adapter found" >&2
  exit $rc
fi
python3 torchBench.py "$(./node gpuBench.mjs --torch-job "$JOB")" >torch-cuda.json || echo '{"error": "torchBench.py failed"}' >torch-cuda.json
python3 merge.py ftlab-gpu.json torch-cuda.json | tee gpu-check.json

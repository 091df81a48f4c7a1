"""Merges the GPU check's two results and derives the issue's ratios; prints JSON on stdout, a summary on stderr."""
import json
import sys

GENQ_PAIRS = 19161  # the kata's GenQ rows for all-MiniLM-L6-v2

ftlab, torch = (json.load(open(p)) for p in sys.argv[1:3])
out = {"ftlab": ftlab, "torch": torch, "ratios": {}}


def step_ms(r):
    return (r or {}).get("train", {}).get("medianMs")


fused, composite, anchor = step_ms(ftlab.get("fused")), step_ms(ftlab.get("composite")), step_ms(torch)
batch = ftlab.get("job", {}).get("batch", 32)
if fused and anchor:
    out["ratios"]["trainStepVsTorchCuda"] = fused / anchor
if fused and composite:
    out["ratios"]["fusedVsComposite"] = fused / composite
if fused:
    out["ratios"]["genqEpochMinutes"] = -(-GENQ_PAIRS // batch) * fused / 60000  # extrapolated from steady steps
json.dump(out, sys.stdout, indent=2)
print(file=sys.stderr)
print(f"ftlab webgpu step {fused} ms, composite {composite} ms, PyTorch CUDA {anchor} ms; {out['ratios']}", file=sys.stderr)

"""Merges the GPU check's two results and derives the issue's ratios; prints JSON on stdout, a summary on stderr."""
import json
import sys

GENQ_PAIRS = 19161  # the kata's GenQ rows for all-MiniLM-L6-v2

ftlab, torch = (json.load(open(p)) for p in sys.argv[1:3])
out = {"ftlab": ftlab, "torch": torch, "ratios": {}}


def step_ms(r):
    return (r or {}).get("train", {}).get("medianMs")


def pipelined_ms(r):
    return (r or {}).get("train", {}).get("pipelined", {}).get("meanMs")


fused, composite, anchor = step_ms(ftlab.get("fused")), step_ms(ftlab.get("composite")), step_ms(torch)
# back-to-back steps as the training loop runs them (the next step is built while a loss is read back)
looped = pipelined_ms(ftlab.get("fused")) or fused
batch = ftlab.get("job", {}).get("batch", 32)
if fused and anchor:
    out["ratios"]["trainStepVsTorchCuda"] = fused / anchor
    out["ratios"]["pipelinedStepVsTorchCuda"] = looped / anchor
if fused and composite:
    out["ratios"]["fusedVsComposite"] = fused / composite
if looped:
    out["ratios"]["genqEpochMinutes"] = -(-GENQ_PAIRS // batch) * looped / 60000  # extrapolated from steady steps
json.dump(out, sys.stdout, indent=2)
print(file=sys.stderr)
print(f"ftlab webgpu step {fused} ms (pipelined {looped} ms), composite {composite} ms, PyTorch CUDA {anchor} ms; {out['ratios']}", file=sys.stderr)

/**
 * The CLI's forward-only encoders: a sentence model's current weights as an onnxruntime-node graph (what the
 * exported onnx/model.onnx holds), tfjs where the graph cannot be built. The runtime is installed by main.ts.
 */
import type { SentenceEncoder } from '../training/models/sentenceEncoder.ts';
import type { FamilyEncoder, ModelFamily } from '../training/families/family.ts';
import { familyForType } from '../training/families/registry.ts';
import { familyForwardEncoder, type ForwardEncoder } from '../training/inference/forwardEncoder.ts';

const onWarning = (m: string) => process.stderr.write(`warning: ${m}\n`);

export function sentenceForward(encoder: SentenceEncoder, family?: ModelFamily): ForwardEncoder {
  return familyForwardEncoder((family ?? familyForType(encoder.modelConfig.model_type)) as ModelFamily<FamilyEncoder>, encoder, { onWarning });
}

/** `f` over a forward encoder of the weights as they are now, released afterwards. */
export async function usingForward<T>(encoder: SentenceEncoder, f: (e: ForwardEncoder) => Promise<T>, family?: ModelFamily): Promise<T> {
  const forward = sentenceForward(encoder, family);
  try {
    return await f(forward);
  } finally {
    await forward.release();
  }
}

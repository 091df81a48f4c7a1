/**
 * The model-family registry, after transformers.js' registry.js: config.json's `model_type` picks the family
 * that inspects, estimates, loads, trains, indexes and exports the model. Adding a family is one line here.
 */
import { readJson, type ModelSource } from '../source/modelSource.ts';
import type { SentenceEncoder } from '../models/sentenceEncoder.ts';
import type { FamilyEncoder, LoadOptions, ModelFamily } from './family.ts';
import { isClipShape, type FamilyShape } from './shapes.ts';
import { bertFamily } from './sentence/bertFamily.ts';
import { clipFamily } from './clip/clipFamily.ts';
import { xlmRobertaFamily } from './xlmRoberta/xlmRobertaFamily.ts';

export type { LoadOptions as LoadEncoderOptions } from './family.ts';

const families: readonly ModelFamily[] = [bertFamily, clipFamily, xlmRobertaFamily];

const byType = new Map<string, ModelFamily>(families.flatMap((f) => f.modelTypes.map((t) => [t, f] as const)));

export function supportedModelTypes(): string[] {
  return [...byType.keys()];
}

/** The family of a config.json model_type; the error names the file and lists what is supported. */
export function familyForType(type: unknown, where = 'config.json'): ModelFamily {
  const family = typeof type === 'string' ? byType.get(type) : undefined;
  if (!family) {
    const what = typeof type === 'string' ? `model_type "${type}" is not supported` : 'has no "model_type"';
    throw new Error(`${where}: ${what} (supported model types: ${supportedModelTypes().join(', ')})`);
  }
  return family;
}

/** The family of a model folder, from its config.json. */
export async function familyOf(source: ModelSource): Promise<ModelFamily> {
  return familyForType((await readJson(source, 'config.json')).model_type, `${source.id}/config.json`);
}

/** The family that builds "from scratch" specs of this kind ('scratch', 'scratch-clip'). */
export function scratchFamily(kind: string): ModelFamily | undefined {
  return families.find((f) => f.scratch?.kind === kind);
}

/** Loads a text (sentence-transformers) model; a CLIP folder is refused with the flags that use it. */
export async function loadSentenceEncoder(source: ModelSource, opts: LoadOptions = {}): Promise<SentenceEncoder> {
  const family = await familyOf(source);
  if (family.task !== 'text') {
    throw new Error(
      `${source.id}/config.json: ${source.id} is a CLIP model: use it with --images / --loss clip (it embeds texts and images, not sentences alone)`,
    );
  }
  return (await family.load(source, opts)) as FamilyEncoder as SentenceEncoder;
}

/** config.json's model_type ("" when absent), so callers can pick the sentence or the CLIP loader. */
export async function modelTypeOf(source: ModelSource): Promise<string> {
  const type = (await readJson(source, 'config.json')).model_type;
  return typeof type === 'string' ? type : '';
}

/** The family an estimate's shape belongs to (an untagged text shape is a BERT-family one). */
export function familyForShape(shape: FamilyShape): ModelFamily {
  const name = shape.family ?? (isClipShape(shape) ? 'clip' : 'sentence');
  const family = families.find((f) => f.name === name);
  if (!family) throw new Error(`unknown model family "${name}" (known: ${families.map((f) => f.name).join(', ')})`);
  return family;
}

/**
 * A lab preset (lib/labPreset.ts) applied to the Configure step's state, and the current setup as a preset
 * (for "Copy link to this setup"). Fields for the other family are ignored by design: a CLIP preset's
 * `mode` is the CLIP mode.
 */
import type { LabPreset } from '../lib/labPreset.ts';
import type { ConfigState } from './configState.svelte.ts';

export function applyPresetToConfig(config: ConfigState, p: LabPreset): void {
  if (p.family) config.chooseFamily(p.family);
  if (p.model) config.chooseModel(p.model);
  if (p.modelId && p.model === 'curated') config.curatedId = p.modelId;
  if (p.modelId && p.model === 'custom') config.customId = p.modelId;
  for (const k of ['epochs', 'steps', 'batchSize', 'lr', 'warmupRatio', 'weightDecay', 'seed'] as const) {
    if (p[k] !== undefined) (config as unknown as Record<string, unknown>)[k] = p[k];
  }
  if (config.family === 'clip') {
    const c = config.clip;
    if (p.mode) c.mode = p.mode;
    if (p.maxProducts !== undefined) c.maxProducts = p.maxProducts;
    if (p.lock) c.lock = p.lock;
    return;
  }
  const t = config.text;
  if (p.mode) t.mode = p.mode;
  if (p.querySource) t.querySource = p.querySource;
  if (p.perProduct !== undefined) t.perProduct = p.perProduct;
  if (p.maxProducts !== undefined) t.maxProducts = p.maxProducts;
  if (p.teacher) t.teacher = p.teacher;
  if (p.crossEncoderId) t.crossEncoderId = p.crossEncoderId;
  if (p.genqNegative) t.genqNegative = p.genqNegative;
  if (p.hardNegatives !== undefined) t.hardNegatives = p.hardNegatives;
  if (p.evalEvery !== undefined) t.evalEvery = p.evalEvery;
}

/**
 * The setup as a preset. What a link cannot carry is left out and named in `omitted`: picked files (a local
 * model folder, a teacher folder, your own corpus) stay on this computer.
 */
export function presetOfConfig(config: ConfigState, data: { bundled: boolean; slice: number | null }): { preset: LabPreset; omitted: string[] } {
  const omitted: string[] = [];
  const p: LabPreset = { ...(data.bundled ? { data: 'chorus', slice: data.slice } : {}), family: config.family };
  if (!data.bundled) omitted.push('your data files (open the link, then load them in step 1)');
  if (config.modelChoice === 'files') omitted.push('the local model folder');
  else if (config.modelChoice === 'scratch') p.model = 'scratch';
  else p.model = config.modelChoice;
  if (config.modelChoice === 'curated') p.modelId = config.curatedId;
  if (config.modelChoice === 'custom' && config.customId.trim()) p.modelId = config.customId.trim();
  Object.assign(p, { epochs: config.epochs, steps: config.steps, batchSize: config.batchSize, lr: config.lr });
  Object.assign(p, { warmupRatio: config.warmupRatio, weightDecay: config.weightDecay, seed: config.seed });
  if (config.family === 'clip') {
    Object.assign(p, { mode: config.clip.mode, maxProducts: config.clip.maxProducts, lock: config.clip.lock });
    return { preset: p, omitted };
  }
  const t = config.text;
  Object.assign(p, { mode: t.mode, querySource: t.querySource, perProduct: t.perProduct, maxProducts: t.maxProducts });
  Object.assign(p, { genqNegative: t.genqNegative, hardNegatives: t.hardNegatives, evalEvery: t.evalEvery });
  if (t.teacher === 'files') omitted.push("the cross-encoder's local folder");
  else {
    p.teacher = t.teacher;
    if (t.teacher === 'hub') p.crossEncoderId = t.crossEncoderId;
  }
  return { preset: p, omitted };
}

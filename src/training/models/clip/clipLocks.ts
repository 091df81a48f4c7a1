import type { ClipConfig } from './clipConfig.ts';
import { clipParamSpecs } from './clipWeights.ts';

/**
 * open_clip's lock-text / lock-image fine-tuning options. `lockImage` freezes the vision tower and
 * visual_projection except the last `unlockedImageLayers` encoder layers; when that is > 0, post_layernorm and
 * visual_projection train too (they sit after those layers), and a value above num_hidden_layers also unlocks
 * the embeddings + pre_layrnorm (the whole tower trains). `lockText` / `unlockedTextLayers` likewise for the
 * text tower (final_layer_norm, text_projection). logit_scale trains unless both towers are fully locked.
 */
export interface ClipLocks {
  lockText?: boolean;
  lockImage?: boolean;
  unlockedTextLayers?: number;
  unlockedImageLayers?: number;
}

function unlockedCount(v: number | undefined, field: string, locked: boolean, lockField: string): number {
  const n = v ?? 0;
  if (!Number.isInteger(n) || n < 0) throw new Error(`ClipLocks.${field} must be a non-negative integer, got ${JSON.stringify(v)}`);
  // without the lock every layer trains anyway; a count there is a mistake the user should hear about
  if (n > 0 && !locked) throw new Error(`ClipLocks.${field} = ${n} only applies with ${lockField}`);
  return n;
}

/** Which tower a parameter belongs to and its lock group: 'embed', a layer index, or 'head' (final LN + projection). */
function groupOf(name: string): { tower: 'text' | 'vision' | 'scale'; group: 'embed' | 'head' | number } {
  if (name === 'logit_scale') return { tower: 'scale', group: 'head' };
  const tower = name.startsWith('text_') ? 'text' : 'vision';
  const layer = /\.encoder\.layers\.(\d+)\./.exec(name);
  if (layer) return { tower, group: Number(layer[1]) };
  if (/^(text_model|vision_model)\.(embeddings\.|pre_layrnorm\.)/.test(name)) return { tower, group: 'embed' };
  return { tower, group: 'head' };
}

/** The names of the parameters `locks` freezes (HF CLIPModel names). */
export function frozenClipParams(c: ClipConfig, locks: ClipLocks): Set<string> {
  const lockText = locks.lockText ?? false;
  const lockImage = locks.lockImage ?? false;
  const nText = unlockedCount(locks.unlockedTextLayers, 'unlockedTextLayers', lockText, 'lockText');
  const nImage = unlockedCount(locks.unlockedImageLayers, 'unlockedImageLayers', lockImage, 'lockImage');
  const frozen = new Set<string>();
  for (const { name } of clipParamSpecs(c)) {
    const { tower, group } = groupOf(name);
    if (tower === 'scale') {
      if (lockText && nText === 0 && lockImage && nImage === 0) frozen.add(name);
      continue;
    }
    const [locked, n, layers] = tower === 'text' ? [lockText, nText, c.text.num_hidden_layers] : [lockImage, nImage, c.vision.num_hidden_layers];
    if (!locked) continue;
    const isFrozen = group === 'embed' ? n <= layers : group === 'head' ? n === 0 : group < layers - n;
    if (isFrozen) frozen.add(name);
  }
  return frozen;
}

import type { ClipRow } from '../data/clipRows.ts';
import type { TrainRow } from '../data/trainRows.ts';
import { clipLoss, type ClipEmbedder } from './clipLoss.ts';
import type { Loss, LossOptions, TextEmbedder } from './loss.ts';
import { marginMseLoss } from './marginMse.ts';
import { mnrlLoss } from './mnrl.ts';
import { cachedMnrlLoss } from './cachedMnrl.ts';
import { matryoshkaLoss } from './matryoshka.ts';

export type LossFactory = (opts: LossOptions) => Loss<unknown, unknown>;

const factories = new Map<string, LossFactory>();
const names: string[] = [];

/** The registered loss names, in registration order (kept current by registerLoss). */
export const lossNames: readonly string[] = names;

export function registerLoss(name: string, factory: LossFactory): void {
  if (factories.has(name)) throw new Error(`loss "${name}" is already registered`);
  factories.set(name, factory);
  names.push(name);
}

registerLoss('mnrl', (opts) => mnrlLoss(opts.scale ?? 20));
registerLoss('cached-mnrl', (opts) => cachedMnrlLoss(opts.miniBatchSize ?? 32, opts.scale ?? 20));
registerLoss('margin-mse', () => marginMseLoss());
registerLoss('clip', (opts) => clipLoss(opts.miniBatchSize));

/**
 * A name known only at run time (a config's) types the loss by the encoder and rows the caller pairs with
 * it, text ones by default; validateRows checks the rows against the real loss.
 */
export function createLoss(name: 'clip', opts?: LossOptions): Loss<ClipEmbedder, ClipRow>;
export function createLoss<E = TextEmbedder, R = TrainRow>(name: string, opts?: LossOptions): Loss<E, R>;
export function createLoss(name: string, opts: LossOptions = {}): unknown {
  const factory = factories.get(name);
  if (!factory) throw new Error(`unknown loss "${name}" (supported: ${lossNames.join(', ')})`);
  if (!opts.matryoshkaDims) return factory(opts);
  if (name === 'clip') throw new Error('matryoshka: the clip loss cannot be wrapped (text losses only)');
  // GradCache takes the Matryoshka sum inside its full-batch loss (its gradients come from several tapes)
  if (name === 'cached-mnrl')
    return cachedMnrlLoss(opts.miniBatchSize ?? 32, opts.scale ?? 20, { dims: opts.matryoshkaDims, weights: opts.matryoshkaWeights });
  return matryoshkaLoss(factory(opts) as Loss<TextEmbedder, TrainRow>, { dims: opts.matryoshkaDims, weights: opts.matryoshkaWeights });
}

/** Checks training rows against the columns the named loss declares (the CLI's check before loading a model). */
export function validateRowsForLoss(rows: readonly TrainRow[], lossName: string, source = 'training data'): void {
  createLoss(lossName).validateRows(rows, source);
}

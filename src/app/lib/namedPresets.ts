/**
 * The presets a teacher hands out by link (`?preset=<name>`), one per kata mode, each sized to a class period
 * on a laptop without a GPU. Those on Hub models need the network once (then the model is cached).
 */
import type { LabPreset, NamedPreset } from './labPreset.ts';

/** the kata's Hub runs: all-MiniLM-L6-v2 on the catalogue sliced to the judged products plus 1,000 others */
const hubMiniLM: LabPreset = {
  data: 'chorus',
  slice: 1000,
  family: 'text',
  model: 'curated',
  modelId: 'sentence-transformers/all-MiniLM-L6-v2',
  batchSize: 16,
  lr: 2e-5,
  warmupRatio: 0.1,
};

export const namedPresets: Readonly<Record<string, NamedPreset>> = {
  'kata-genq-quick': {
    title: 'GenQ from scratch (offline)',
    about:
      'Unsupervised GenQ on the bundled catalogue sliced to the judged products plus 1,000 others, one generated query per product, ' +
      'a small BERT from random weights: no download at all. Before/after metrics on the dev judgments.',
    preset: {
      data: 'chorus',
      slice: 1000,
      family: 'text',
      model: 'scratch',
      mode: 'unsupervised',
      querySource: 'offline',
      perProduct: 1,
      genqNegative: 'none',
      epochs: 1,
      batchSize: 32,
      lr: 5e-4,
      warmupRatio: 0.1,
      evalEvery: 0,
    },
  },
  'kata-gpl-quick': {
    title: 'GPL with a cross-encoder teacher',
    about:
      "The kata's unsupervised GPL: generated queries for 300 products, negatives mined with all-MiniLM-L6-v2, pseudo labels from " +
      'the ms-marco MiniLM cross-encoder, MarginMSE. Downloads both models once.',
    preset: {
      ...hubMiniLM,
      mode: 'unsupervised',
      querySource: 'offline',
      perProduct: 1,
      maxProducts: 300,
      teacher: 'hub',
      crossEncoderId: 'cross-encoder/ms-marco-MiniLM-L-6-v2',
      epochs: 1,
    },
  },
  'kata-supervised-quick': {
    title: 'Supervised on the judgments',
    about:
      "The kata's supervised mode: all-MiniLM-L6-v2 on the dev judgments (grade ≥ 2 positives, one mined hard negative), 20% of the " +
      'queries held out and scored every 20 steps. Downloads the model once.',
    preset: {
      ...hubMiniLM,
      mode: 'supervised',
      hardNegatives: 1,
      epochs: 1,
      evalEvery: 20,
    },
  },
  'kata-clip-quick': {
    title: 'CLIP on product images',
    about:
      'TinyCLIP (ViT-8M) on product text ↔ image pairs for 200 products, image tower locked (the text side learns the catalogue). ' +
      'Downloads the model and the product images once.',
    preset: {
      data: 'chorus',
      slice: 1000,
      family: 'clip',
      model: 'curated',
      mode: 'unsupervised',
      maxProducts: 200,
      lock: 'image',
      epochs: 1,
      batchSize: 8,
      lr: 1e-5,
      warmupRatio: 0.1,
    },
  },
};

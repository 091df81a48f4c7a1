import { describe, expect, it } from 'vitest';
import { ImagesState, type ImagesClient } from '../../src/app/state/imagesState.svelte.ts';
import { ConfigState, type ConfigClient } from '../../src/app/state/configState.svelte.ts';
import { clipPreset, clipScratchLr, curatedClipModels } from '../../src/app/lib/clipModels.ts';
import { clipSnippets } from '../../src/app/lib/clipSnippets.ts';
import { steps, whyFor } from '../../src/app/lib/kataText.ts';
import type { ImageSource, ImageSummary } from '../../src/lab/api/clipRequest.ts';
import type { DataSummary, Estimate, EstimateRequest, Progress } from '../../src/lab/api/labApi.ts';

const summary = (p: Partial<ImageSummary> = {}): ImageSummary => ({
  products: 10,
  withImage: 9,
  withoutImage: 1,
  withoutImageIds: ['p9'],
  checked: 9,
  ok: 8,
  failures: [{ key: 'p3', reason: 'http://x/p3.png: not found (HTTP 404)' }],
  unmatchedFiles: [],
  fromCache: 0,
  ...p,
});

function imagesClient(result: ImageSummary | Error = summary()): ImagesClient & { sources: ImageSource[] } {
  const sources: ImageSource[] = [];
  return {
    sources,
    setImages: async (s) => {
      sources.push(s);
      return summary({ checked: 0, ok: 0, failures: [] });
    },
    checkImages: async (onProgress?: (p: Progress) => void) => {
      onProgress?.({ phase: 'images', done: 9, total: 9, unit: 'items' });
      if (result instanceof Error) throw result;
      return result;
    },
  };
}

const file = (name: string) => new File([new Uint8Array([1])], name);

describe('ImagesState', () => {
  it('checks the catalogue URLs in the chosen field and keeps the summary with its failures', async () => {
    const client = imagesClient();
    const s = new ImagesState({ client });
    s.field = ' img_thumb ';
    expect(await s.check()).toBe(true);
    expect(client.sources).toEqual([{ kind: 'urls', field: 'img_thumb' }]);
    expect(s.summary?.failures[0]!.reason).toContain('HTTP 404');
    expect(s.ready).toBe(true);
    expect(s.progress.bars[0]).toMatchObject({ key: 'images', done: 9, total: 9, finished: true });
    expect(s.imageUrl('p1', { img_thumb: 'http://x/p1.png' })).toBe('http://x/p1.png');
  });

  it('sends only image files of a picked folder, refuses a folder without images, and makes object URLs once', async () => {
    const client = imagesClient();
    const made: string[] = [];
    const s = new ImagesState({
      client,
      objectUrl: (f) => {
        made.push(f.name);
        return `blob:${f.name}`;
      },
    });
    s.choose('files');
    s.setFiles([file('README.md')]);
    expect(await s.check()).toBe(false);
    expect(s.error).toMatch(/no \.jpg/);
    s.setFiles([file('p1.PNG'), file('p2.jpg'), file('.DS_Store')]);
    expect(await s.check()).toBe(true);
    expect((client.sources[0] as { files: File[] }).files.map((f) => f.name)).toEqual(['p1.PNG', 'p2.jpg']);
    expect(s.imageUrl('p1', {})).toBe('blob:p1.PNG');
    expect(s.imageUrl('p1', {})).toBe('blob:p1.PNG');
    expect(s.imageUrl('p7', {})).toBeUndefined();
    expect(made).toEqual(['p1.PNG']);
  });

  it('says why when no image loaded, and shows worker errors', async () => {
    const none = new ImagesState({ client: imagesClient(summary({ ok: 0, failures: [{ key: 'a', reason: 'blocked' }] })) });
    expect(await none.check()).toBe(false);
    expect(none.error).toMatch(/No image could be loaded/);
    const broken = new ImagesState({ client: imagesClient(new Error('load the corpus first')) });
    expect(await broken.check()).toBe(false);
    expect(broken.error).toBe('load the corpus first');
  });
});

const est = (fits: boolean): Estimate => ({
  backend: 'wasm',
  fits,
  reason: fits ? 'ok' : 'training needs about 9 GiB',
  parameters: 1,
  trainingBytes: 1,
  largestBufferBytes: 1,
  secondsPerStep: 1,
  totalSeconds: 1,
  flopsPerSecond: 1e10,
  measured: false,
  totalSteps: 1,
});
const data: DataSummary = {
  products: 10,
  documents: 10,
  judgedQueries: 2,
  judgments: 20,
  importedQueries: 0,
  rejected: [],
  warnings: [],
  preview: [],
};

function clipState(fits = true) {
  const calls: unknown[] = [];
  const client: ConfigClient = {
    estimate: async (r) => {
      calls.push(r);
      return { ...est(fits), ...(r.gradCache && { miniBatchSize: 4 }) };
    },
    inspectModel: async (spec) => {
      calls.push(spec);
      return { id: 'x', family: 'clip', modelType: 'clip', ...curatedClipModels[1]!.shape! };
    },
  };
  const s = new ConfigState({ client, hubEndpoint: () => 'http://hub.test' });
  s.chooseFamily('clip');
  return { s, calls };
}

describe('ClipConfigState', () => {
  it('starts from the kata preset and builds an unsupervised CLIP plan with the image source', () => {
    const { s } = clipState();
    expect([s.lr, s.batchSize, s.weightDecay]).toEqual([1e-5, 8, 0.1]);
    const plan = s.plan(true, { kind: 'urls', field: 'img_500x500' });
    expect(plan.model).toEqual({ kind: 'hub', id: 'wkcn/TinyCLIP-ViT-8M-16-Text-3M-YFCC15M', endpoint: 'http://hub.test' });
    expect(plan.prepare).toEqual({ mode: 'clip-unsupervised', template: '{title} {supplier} {attr_t_product_type}', seed: 42 });
    expect(plan.train.config).toMatchObject({ loss: 'clip', lr: 1e-5, batchSize: 8, weightDecay: 0.1, warmupRatio: 0.1, scheduler: 'cosine' });
    expect(plan.images).toEqual({ kind: 'urls', field: 'img_500x500' });
    expect(plan.name).toBe('CLIP unsupervised · wkcn/TinyCLIP-ViT-8M-16-Text-3M-YFCC15M');
  });

  it('trains the CLIP loss through GradCache when asked, with the mini-batch the estimate picked', async () => {
    const { s, calls } = clipState();
    expect(s.trainSettings().miniBatchSize).toBeUndefined();
    s.clip.gradCache = true;
    s.batchSize = 128;
    await s.refreshEstimate(data);
    expect((calls.at(-1) as EstimateRequest).gradCache).toBe(true);
    expect(s.trainSettings()).toMatchObject({ loss: 'clip', batchSize: 128, miniBatchSize: 4 });
  });

  it('maps the lock choice to open_clip lock fields and swaps the lr for a scratch CLIP', () => {
    const { s } = clipState();
    s.clip.lock = 'image';
    s.clip.unlockedLayers = 2;
    expect(s.trainSettings()).toMatchObject({ lockImage: true, unlockedImageLayers: 2 });
    expect(s.trainSettings().lockText).toBeUndefined();
    expect(s.trainSettings().noDuplicates).toBeUndefined();
    s.clip.noDuplicates = true; // the no-duplicates sampler is there for CLIP rows too
    expect(s.trainSettings()).toMatchObject({ loss: 'clip', noDuplicates: true });
    s.clip.lock = 'text';
    s.clip.unlockedLayers = 0;
    expect(s.clip.locks()).toEqual({ lockText: true });
    s.chooseModel('scratch');
    expect(s.lr).toBe(clipScratchLr);
    expect(s.modelSpec()).toMatchObject({ kind: 'scratch-clip', hidden: 64, layers: 2, seed: 42 });
    s.chooseModel('curated');
    expect(s.lr).toBe(clipPreset.lr);
    s.lr = 0.3;
    s.applyPreset();
    expect(s.lr).toBe(clipPreset.lr);
  });

  it('lists what blocks a run: no checked images, supervised without judgments, a refused model', async () => {
    const { s, calls } = clipState(false);
    expect(s.problems(data, null)).toContain('CLIP needs product images: choose an image source in step 1 and check the images.');
    s.clip.mode = 'supervised';
    expect(s.problems({ ...data, judgments: 0 }, summary()).join(' ')).toMatch(/Supervised CLIP needs relevance judgments/);
    s.modelChoice = 'custom';
    s.customId = 'owner/clip';
    await s.refreshEstimate(data, summary());
    expect(calls[0]).toEqual({ kind: 'hub', id: 'owner/clip', endpoint: 'http://hub.test' });
    expect(calls[1]).toMatchObject({ batchSize: 8, rows: 8, lockText: false, lockImage: false });
    expect(s.problems(data, summary())).toContain('This model does not fit: training needs about 9 GiB');
  });
});

describe('ConfigState families', () => {
  const bert = {
    id: 'owner/bert',
    family: 'sentence',
    modelType: 'bert',
    hidden: 32,
    layers: 2,
    heads: 4,
    intermediate: 64,
    vocabSize: 100,
    maxSeqLength: 64,
  };
  const clip = { id: 'owner/clip', family: 'clip', modelType: 'clip', ...curatedClipModels[1]!.shape! };
  const configWith = (shape: typeof bert | typeof clip) =>
    new ConfigState({
      client: { estimate: async () => est(true), inspectModel: async () => shape },
      hubEndpoint: () => 'http://hub.test',
    });

  it("keeps each family's model and hyper-parameters while the other is edited", () => {
    const s = configWith(clip);
    s.chooseModel('scratch');
    s.batchSize = 32;
    s.chooseFamily('clip');
    expect([s.modelChoice, s.curatedId, s.lr, s.batchSize]).toEqual(['curated', curatedClipModels[0]!.id, clipPreset.lr, clipPreset.batchSize]);
    s.lr = 3e-5;
    s.chooseFamily('text');
    expect([s.modelChoice, s.lr, s.batchSize]).toEqual(['scratch', 5e-4, 32]);
    expect(s.modelSpec()).toMatchObject({ kind: 'scratch' });
    s.chooseFamily('clip');
    expect(s.lr).toBe(3e-5);
  });

  it('refuses a model of the other family with a message that says which one it needs', async () => {
    const s = configWith(bert);
    s.chooseFamily('clip');
    s.chooseModel('custom');
    s.customId = 'owner/bert';
    await s.refreshEstimate(data, summary());
    expect(s.estimateError).toMatch(/owner\/bert.*not "clip": CLIP mode needs a CLIP model \(e\.g\. openai\/clip-vit-base-patch32\)/);
    const t = configWith(clip);
    t.chooseModel('custom');
    t.customId = 'owner/clip';
    await t.refreshEstimate(data);
    expect(t.estimateError).toMatch(/owner\/clip is a CLIP model: choose "CLIP"/);
  });
});

describe('CLIP Chorus snippets', () => {
  it('name the image vector field, the /ftclip/text/ route and the model width', () => {
    const s = clipSnippets(512);
    expect(s.map((x) => x.title)).toContain('Product image vectors');
    expect(s.find((x) => x.title === 'Embeddings service route')!.code).toContain('/ftclip/text/');
    expect(s.find((x) => x.title === 'Solr field type')!.code).toContain('"vectorDimension": 512');
    expect(s.find((x) => x.title === 'Product image vectors')!.code).toContain('finetuned_product_image_vector');
    expect(s.find((x) => x.title === 'Querqy embeddings rewriter')!.code).toContain('ftclip');
  });
});

describe('the why panels in CLIP mode', () => {
  it('explain CLIP pairs on Configure and image vectors on Evaluate, and fall back to the text wording elsewhere', () => {
    const configure = whyFor('configure', 'clip').join(' ');
    expect(configure).toMatch(/product images/);
    expect(configure).not.toMatch(/cross-encoder estimates/);
    expect(whyFor('configure', 'text').join(' ')).toMatch(/cross-encoder/);
    const evaluate = whyFor('evaluate', 'clip').join(' ');
    expect(evaluate).toContain('finetuned_product_image_vector');
    expect(evaluate).toContain('/ftclip/text/');
    expect(evaluate).not.toContain('/ftbert/');
    for (const s of steps.filter((x) => x.id === 'data' || x.id === 'train')) expect(whyFor(s.id, 'clip')).toEqual(s.why);
  });
});

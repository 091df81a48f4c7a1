import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { readSafetensors } from '../../src/training/weights/safetensors.ts';
import { errorLines, flags, jsonLines, runCliOk, tempDir, type CliResult } from '../helpers/cli.ts';
import { tinyImage } from '../helpers/clipFixture.ts';

// product id, title, brand, type; p12 has no image, and the folder has one stray file
const products = [
  ['p1', 'Red running shoes', 'Acme', 'Footwear'],
  ['p2', 'Blue ceramic coffee mug', 'Potter', 'Kitchen'],
  ['p3', 'Black leather wallet', 'Hide', 'Accessories'],
  ['p4', 'Yellow rain jacket', 'Storm', 'Clothing'],
  ['p5', 'Green yoga mat', 'Zen', 'Sports'],
  ['p6', 'Steel water bottle', 'Flow', 'Kitchen'],
  ['p7', 'White cotton t-shirt', 'Basic', 'Clothing'],
  ['p8', 'Wireless headphones', 'Sonic', 'Audio'],
  ['p9', 'USB-C charging cable', 'Volt', 'Electronics'],
  ['p10', 'Smart watch', 'Tick', 'Electronics'],
  ['p11', 'Trail running shoe', 'Acme', 'Footwear'],
  ['p12', 'Espresso machine', 'Brew', 'Kitchen'],
];
const judgments =
  'query,docid,rating\nrunning shoes,p1,3\nrunning shoes,p11,2\ncoffee mug,p2,3\ncoffee mug,p12,2\nrain jacket,p4,3\nyoga mat,p5,2\n' +
  'headphones,p8,3\nwater bottle,p6,3\nwater bottle,p2,1\nleather wallet,p3,3\ncharging cable,p9,2\n';

let dir = '';
let model = '';
let bert = '';
const f = (name: string) => path.join(dir, name);
const images = () => f('images');

/**
 * ftlab in this process, capturing stdout and stderr: no start-up cost (seconds per command on a busy
 * machine). The binary itself is still run for init and for the main training run.
 */
async function runHere(args: string[]): Promise<CliResult> {
  const out = { stdout: '', stderr: '' };
  const [writeOut, writeErr] = [process.stdout.write, process.stderr.write];
  const capture = (k: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      out[k] += String(chunk);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    return { code: await main(['node', 'ftlab', ...args]), ...out };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

async function okHere(args: string[]): Promise<CliResult> {
  const r = await runHere(args);
  expect(r.stderr, args.join(' ')).not.toMatch(/ftlab: /);
  expect(r.code).toBe(0);
  return r;
}
const events = (r: CliResult) => jsonLines(r.stdout);

beforeAll(async () => {
  dir = tempDir('ftlab-clip-cli-');
  writeFileSync(
    f('corpus.jsonl'),
    products.map(([id, title, supplier, type]) => JSON.stringify({ id, title, supplier, attr_t_product_type: type })).join('\n') + '\n',
  );
  writeFileSync(f('judgments.csv'), judgments);
  await mkdir(images());
  // random RGB pictures of assorted sizes, so resize and centre crop both run
  await Promise.all(
    products.slice(0, 11).map(([id], i) => {
      const img = tinyImage(i + 1, 40 + 4 * i, 36 + 2 * (i % 3));
      return sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } })
        .png()
        .toFile(path.join(images(), `${id}.png`));
    }),
  );
  writeFileSync(path.join(images(), 'p99.png'), readFileSync(path.join(images(), 'p1.png')));
  model = f('base');
  bert = f('bert');
  await Promise.all([
    runCliOk([
      'init',
      '--clip',
      ...flags({
        corpus: f('corpus.jsonl'),
        output: model,
        hidden: 32,
        layers: 2,
        heads: 4,
        'image-size': 32,
        'patch-size': 8,
        projection: 16,
        merges: 150,
        'max-seq-length': 24,
        seed: 2,
        'text-template': '{title} {supplier} {attr_t_product_type}',
      }),
    ]),
    runCliOk(['init', ...flags({ corpus: f('corpus.jsonl'), output: bert, hidden: 16, layers: 1, heads: 2, 'vocab-size': 150 })]),
  ]);
}, 60_000);

describe('ftlab CLIP commands', () => {
  it('init --clip → prepare clip → eval (before) → train --loss clip (checkpoints, resume) → eval (after) → export → vectors and embed', async () => {
    const cfg = JSON.parse(readFileSync(path.join(model, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_type: 'clip', projection_dim: 16, vision_config: { image_size: 32, patch_size: 8 } });

    const prep = await okHere(['prepare', 'clip', '--corpus', f('corpus.jsonl'), '--images', images(), '--output', f('rows.jsonl')]);
    expect(prep.stderr).toMatch(/1 of 12 products have no image .* p12/);
    expect(prep.stderr).toMatch(/1 image file\(s\) in .* match no product id: p99\.png/);
    const rows = jsonLines(readFileSync(f('rows.jsonl'), 'utf8'));
    expect(rows.length).toBe(11);
    expect(rows[0]).toEqual({ text: 'Red running shoes Acme Footwear', image: 'p1' });
    const sup = await okHere([
      'prepare',
      'clip',
      ...flags({ corpus: f('corpus.jsonl'), images: images(), judgments: f('judgments.csv'), validation: '0.25', output: f('sup') }),
    ]);
    expect(sup.stderr).toMatch(/coffee mug \/ p12/); // relevant but without an image
    const supTrain = jsonLines(readFileSync(path.join(f('sup'), 'train.jsonl'), 'utf8'));
    const supVal = jsonLines(readFileSync(path.join(f('sup'), 'validation.jsonl'), 'utf8'));
    expect(supTrain.length + supVal.length).toBe(9); // rating ≥ 2 with an image
    expect(existsSync(path.join(f('sup'), 'validation-judgments.csv'))).toBe(true);

    const evalArgs = (m: string) => [
      'eval',
      ...flags({ model: m, corpus: f('corpus.jsonl'), judgments: f('judgments.csv'), images: images(), json: true }),
    ];
    const before = JSON.parse((await okHere(evalArgs(model))).stdout);
    expect(before.queries.length).toBe(8);

    // 16 steps straight, and the same run as 8 steps + a resume to 16 from its checkpoint
    const trainArgs = (out: string, steps: number, extra: string[] = []) => [
      'train',
      ...flags({ model, data: f('rows.jsonl'), loss: 'clip', images: images(), output: out, steps, 'batch-size': 4 }),
      ...flags({ lr: '2e-3', 'warmup-steps': 2, scheduler: 'constant', seed: 5, 'log-json': true }),
      ...extra,
    ];
    const straight = await runCliOk(trainArgs(f('trained'), 16, ['--eval-corpus', f('corpus.jsonl'), '--eval-judgments', f('judgments.csv')]));
    const half = await okHere(trainArgs(f('half'), 8, ['--checkpoint-dir', f('ck'), '--checkpoint-every', '4']));
    const ev = events(straight);
    const steps = ev.filter((e) => e.type === 'step');
    expect(steps.length).toBe(16);
    const evals = ev.filter((e) => e.type === 'eval');
    expect(evals.map((e) => e.step)).toEqual([0, 16]);
    expect(evals[0].metrics).toEqual(before.metrics); // train's "before" is eval's
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(steps.slice(-4).map((e) => e.loss))).toBeLessThan(mean(steps.slice(0, 4).map((e) => e.loss)));
    const resumed = await okHere(trainArgs(f('resumed'), 16, ['--checkpoint-dir', f('ck'), '--resume']));
    expect(events(resumed).filter((e) => e.type === 'step')[0].step).toBe(9);
    expect(
      events(half)
        .filter((e) => e.type === 'checkpoint')
        .map((e) => e.step),
    ).toEqual([4, 8]);
    const weights = (d: string) => readSafetensors(new Uint8Array(readFileSync(path.join(d, 'model.safetensors'))));
    const [a, b, base] = [weights(f('trained')), weights(f('resumed')), weights(model)];
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data), name).toEqual(Array.from(t.data));
    expect(Array.from(a.get('visual_projection.weight')!.data)).not.toEqual(Array.from(base.get('visual_projection.weight')!.data));
    for (const file of ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx', 'README.md']) {
      expect(existsSync(path.join(f('trained'), file)), file).toBe(true);
    }

    const after = JSON.parse((await okHere(evalArgs(f('trained')))).stdout);
    expect(after.metrics).toEqual(evals[1].metrics); // the export evaluates exactly as the trained model did
    expect(after.metrics).not.toEqual(before.metrics);
    console.log(
      `clip cli: ndcg@10 ${before.metrics['ndcg@10'].toFixed(4)} -> ${after.metrics['ndcg@10'].toFixed(4)}, loss ${steps[0].loss.toFixed(4)} -> ${steps.at(-1).loss.toFixed(4)}`,
    );

    await okHere(['export', '--model', f('trained'), '--output', f('exported')]);
    expect(existsSync(path.join(f('exported'), 'onnx/vision_model.onnx'))).toBe(true);
    // WiSE-FT for CLIP: alpha 0 exports the base model's weights, bit for bit
    await okHere(['export', '--model', f('trained'), '--output', f('wise-0'), '--wise-alpha', '0', '--wise-base', model]);
    const wise0 = weights(f('wise-0'));
    for (const name of ['visual_projection.weight', 'text_projection.weight', 'logit_scale'])
      expect(Array.from(wise0.get(name)!.data), name).toEqual(Array.from(base.get(name)!.data));
    const vec = await okHere(['vectors', '--model', f('exported'), '--corpus', f('corpus.jsonl'), '--images', images(), '--output', f('docs.json')]);
    expect(JSON.parse(vec.stdout)).toMatchObject({ documents: 12, field: 'finetuned_product_image_vector', dimension: 16, missing: 1 });
    const docs = JSON.parse(readFileSync(f('docs.json'), 'utf8')) as Record<string, unknown>[];
    expect(docs.map((d) => d.id)).toEqual(products.map((p) => p[0]));
    expect(docs[11]).not.toHaveProperty('finetuned_product_image_vector');
    expect(docs[0]).toMatchObject({ title: 'Red running shoes', supplier: 'Acme' });
    await okHere(['embed', '--model', f('exported'), '--images', images(), '--output', f('emb.json')]);
    const emb = JSON.parse(readFileSync(f('emb.json'), 'utf8')) as { ids: string[]; dim: number; embeddings: number[][] };
    expect(emb.ids.length).toBe(12); // every image in the folder, p99 included
    for (const d of docs.slice(0, 11)) {
      const v = d.finetuned_product_image_vector as number[];
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
      const e = emb.embeddings[emb.ids.indexOf(d.id as string)]!;
      expect(Math.max(...v.map((x, i) => Math.abs(x - e[i]!)))).toBeLessThan(1e-6);
    }
  }, 240_000);

  it('bad input exits non-zero with one clear message', async () => {
    writeFileSync(f('bad-rows.jsonl'), '{"text":"red shoe","image":"p1"}\n{"text":"mug","image":"p2"}\n{"text":"lamp","image":"nope"}\n');
    writeFileSync(f('good-rows.jsonl'), '{"text":"red shoe","image":"p1"}\n{"text":"mug","image":"p2"}\n');
    writeFileSync(f('text-rows.jsonl'), '{"query":"red shoe","positive":"Red running shoes"}\n');
    const train = (m: string, data: string, extra: string[]) => [
      'train',
      '--model',
      m,
      '--data',
      f(data),
      '--output',
      f('x'),
      '--steps',
      '1',
      ...extra,
    ];
    const cases: [string[], RegExp][] = [
      [train(model, 'good-rows.jsonl', ['--loss', 'clip', '--images', f('no-such-dir')]), /--images .*no-such-dir: folder not found/],
      [train(model, 'good-rows.jsonl', ['--loss', 'clip', '--images', f('corpus.jsonl')]), /is a file, expected a folder/],
      [
        train(model, 'bad-rows.jsonl', ['--loss', 'clip', '--images', images()]),
        /bad-rows\.jsonl: 1 of 3 rows name images that are not in .*images: row 3 "nope"/,
      ],
      [train(model, 'good-rows.jsonl', ['--loss', 'clip']), /--loss clip needs --images <dir>/],
      [
        train(bert, 'good-rows.jsonl', ['--loss', 'clip', '--images', images()]),
        /bert: model_type is "bert", not a CLIP model; --loss clip needs a CLIP model/,
      ],
      [train(model, 'good-rows.jsonl', ['--loss', 'mnrl', '--images', images()]), /--images is for CLIP training: use it with --loss clip/],
      [
        train(bert, 'good-rows.jsonl', ['--loss', 'mnrl', '--lock-text']),
        /--lock-text, --lock-image and --unlocked-layers apply to --loss clip only/,
      ],
      [
        train(model, 'good-rows.jsonl', ['--loss', 'clip', '--images', images(), '--unlocked-layers', '1']),
        /--unlocked-layers needs --lock-text or --lock-image/,
      ],
      [
        train(model, 'rows.jsonl', ['--loss', 'clip', '--images', images(), '--dropout', '0.1']),
        /--dropout: CLIP models are trained without dropout/,
      ],
      [train(model, 'text-rows.jsonl', ['--loss', 'mnrl']), /is a CLIP model/],
      [
        ['eval', '--model', bert, '--corpus', f('corpus.jsonl'), '--judgments', f('judgments.csv'), '--images', images()],
        /not a CLIP model; --images needs a CLIP model/,
      ],
      [
        ['vectors', '--model', model, '--corpus', f('corpus.jsonl'), '--images', images(), '--engine', 'onnx', '--output', f('v.json')],
        /--engine onnx: image vectors are computed with tfjs only/,
      ],
      [['embed', '--model', model, '--output', f('e.json')], /embed needs either --input <file> \(texts\) or --images <dir>/],
      [['prepare', 'clip', '--corpus', f('corpus.jsonl'), '--images', f('empty'), '--output', f('r.jsonl')], /--images .*empty: folder not found/],
      [['init', '--corpus', f('corpus.jsonl'), '--output', f('m'), '--image-size', '64'], /--image-size applies to --clip only/],
    ];
    for (const [args, message] of cases) {
      const r = await runHere(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(errorLines(r.stderr).length, args.join(' ')).toBe(1);
    }
  }, 60_000);
});

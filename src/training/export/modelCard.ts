import type { SentenceConfig } from '../models/sentenceConfig.ts';

/** What the README model card says about a fine-tuning run. */
export interface ModelCardInfo {
  baseModel: string;
  data?: { name: string; rows: number };
  loss?: string;
  hyperparameters?: Record<string, string | number | boolean>;
  metricsBefore?: Record<string, number>;
  metricsAfter?: Record<string, number>;
  /** the best periodic evaluation; `kept`: the weights are its (load best), `earlyStopped`: patience ran out */
  bestModel?: { step: number; metric: string; value: number; kept: boolean; earlyStopped: boolean };
  /** WiSE-FT: the weights are (1 − alpha)·base + alpha·the fine-tuned model's */
  wiseFt?: { alpha: number; base: string };
  /** repo id or folder used in the usage snippets (default "path/to/this/model") */
  modelId?: string;
}

export interface ModelCardModel {
  dim: number;
  sentence: SentenceConfig;
  layers: number;
}

// Hub ids are "name" or "owner/name"; anything else (a local path, a URL) cannot be a base_model reference.
export const hubId = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

const cell = (v: unknown) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(4));

function table(header: string[], rows: unknown[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** The Hub metadata block: library, pipeline tag, the base model when it is a Hub id, and the tags. */
function frontMatter(card: ModelCardInfo, library: string, pipelineTag: string, tags: string[]): string {
  const lines = ['---', `library_name: ${library}`, `pipeline_tag: ${pipelineTag}`];
  // JSON strings are valid YAML double-quoted scalars, so any id is quoted safely.
  if (hubId.test(card.baseModel) && !card.baseModel.includes('..')) lines.push(`base_model: ${JSON.stringify(card.baseModel)}`);
  lines.push('tags:', ...tags.map((t) => `- ${t}`));
  lines.push('---');
  return lines.join('\n');
}

/** The title line: the base model and, when known, the data it was tuned on. */
const cardTitle = (card: ModelCardInfo) => `# ${card.data ? `${card.baseModel} fine-tuned on ${card.data.name}` : `Fine-tuned ${card.baseModel}`}`;

/** Training data (counted as `rowNoun`), loss and hyper-parameters, each only when the card has it. */
function trainingSections(card: ModelCardInfo, rowNoun: string): string[] {
  const out: string[] = [];
  if (card.data) out.push('## Training data', '', `\`${card.data.name}\`: ${card.data.rows.toLocaleString('en-US')} ${rowNoun}.`, '');
  if (card.loss) out.push('## Loss', '', `\`${card.loss}\``, '');
  const hp = Object.entries(card.hyperparameters ?? {});
  if (hp.length) out.push('## Hyperparameters', '', table(['Name', 'Value'], hp), '');
  const b = card.bestModel;
  if (b)
    out.push(
      '## Checkpoint kept',
      '',
      `${b.kept ? `These are the weights of step ${b.step}` : `The last step's weights; the best evaluation was at step ${b.step}`}, the best ${b.metric} of the periodic evaluation (${b.value.toFixed(4)}).${b.earlyStopped ? ' Training stopped early: the evaluations after it did not improve within the patience.' : ''}`,
      '',
    );
  const w = card.wiseFt;
  if (w)
    out.push(
      '## Weight-space ensemble (WiSE-FT)',
      '',
      `These weights are ${(1 - w.alpha).toFixed(2)} × \`${w.base}\` + ${w.alpha.toFixed(2)} × the fine-tuned model's (α = ${w.alpha}): closer to the base model keeps more of its general knowledge, closer to 1 more of the fine-tune's gain.`,
      '',
    );
  return out;
}

function metricsSection(card: ModelCardInfo): string[] {
  const before = card.metricsBefore ?? {};
  const after = card.metricsAfter ?? {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  if (!names.length) return [];
  const rows = names.map((n) => {
    const b = before[n],
      a = after[n];
    const delta = a !== undefined && b !== undefined ? `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(4)}` : '–';
    return [n, num(b), num(a), delta];
  });
  return [
    '## Evaluation',
    '',
    'Retrieval metrics on the held-out judgments, before and after fine-tuning:',
    '',
    table(['Metric', 'Before', 'After', 'Change'], rows),
    '',
  ];
}

function usage(id: string, m: ModelCardModel): string[] {
  const sc = m.sentence;
  const jsPooling = sc.pooling === 'max' ? undefined : sc.pooling;
  const tjs = jsPooling
    ? [
        "import { pipeline } from '@huggingface/transformers';",
        '',
        `const extractor = await pipeline('feature-extraction', '${id}', { dtype: 'fp32' });`,
        `const output = await extractor(['red running shoes', 'blue denim jacket'], { pooling: '${jsPooling}', normalize: ${sc.normalize} });`,
        ...(sc.truncateDim
          ? [
              `// Matryoshka: the pipeline pools all ${m.dim} dimensions; keep the first ${sc.truncateDim}${sc.normalize ? ' and re-normalize' : ''}`,
              `console.log(output.slice(null, [0, ${sc.truncateDim}])${sc.normalize ? '.normalize(2, -1)' : ''}.tolist());`,
            ]
          : ['console.log(output.tolist());']),
      ]
    : [
        "import { AutoModel, AutoTokenizer } from '@huggingface/transformers';",
        '',
        `const tokenizer = await AutoTokenizer.from_pretrained('${id}');`,
        `const model = await AutoModel.from_pretrained('${id}', { dtype: 'fp32' });`,
        "const inputs = tokenizer(['red running shoes', 'blue denim jacket'], { padding: true, truncation: true });",
        '// the ONNX graph includes max pooling' +
          (sc.truncateDim ? `, the first ${sc.truncateDim} dimensions` : '') +
          (sc.normalize ? ' and normalization' : ''),
        'const { sentence_embedding } = await model(inputs);',
        'console.log(sentence_embedding.tolist());',
      ];
  return [
    '## Usage',
    '',
    '### sentence-transformers',
    '',
    '```python',
    'from sentence_transformers import SentenceTransformer',
    '',
    sc.truncateDim
      ? `model = SentenceTransformer("${id}", truncate_dim=${sc.truncateDim})  # the Matryoshka dimension this export was cut to`
      : `model = SentenceTransformer("${id}")  # or backend="onnx" to run onnx/model.onnx`,
    'embeddings = model.encode(["red running shoes", "blue denim jacket"])',
    'print(model.similarity(embeddings, embeddings))',
    '```',
    '',
    '### transformers.js',
    '',
    '```js',
    ...tjs,
    '```',
    '',
    '### onnxruntime',
    '',
    `\`onnx/model.onnx\` takes int64 \`input_ids\`, \`attention_mask\` and \`token_type_ids\` and returns \`last_hidden_state\` and the pooled${sc.truncateDim ? `, truncated to ${sc.truncateDim} dimensions` : ''}${sc.normalize ? ', normalized' : ''} \`sentence_embedding\`.`,
    '',
    '```python',
    'import onnxruntime as ort',
    'from transformers import AutoTokenizer',
    '',
    `tokenizer = AutoTokenizer.from_pretrained("${id}")`,
    `session = ort.InferenceSession("${id}/onnx/model.onnx")`,
    `enc = tokenizer(["red running shoes"], padding=True, truncation=True, max_length=${sc.maxSeqLength}, return_tensors="np")`,
    'feeds = {k: enc[k] for k in ("input_ids", "attention_mask", "token_type_ids")}',
    'embedding = session.run(["sentence_embedding"], feeds)[0]',
    '```',
    '',
  ];
}

/** What a family's card says in the layout every card shares. */
export interface CardSections {
  library: string;
  pipelineTag: string;
  /** the family's own tags; every ftlab export adds feature-extraction, transformers.js, onnx and ftlab */
  tags: string[];
  /** the paragraph under the title */
  intro: string;
  /** the "Model details" table's (property, value) rows */
  details: unknown[][];
  /** the line about the exported files */
  files: string;
  /** what the training data's rows are called */
  rowNoun: string;
  usage: string[];
}

/** A README.md model card: Hub metadata, title, intro, model details, training, metrics, usage. */
export function renderCard(card: ModelCardInfo, s: CardSections): string {
  const tags = [...s.tags, 'feature-extraction', 'transformers.js', 'onnx', 'ftlab'];
  const details = table(['Property', 'Value'], s.details);
  const out = [
    frontMatter(card, s.library, s.pipelineTag, tags),
    '',
    cardTitle(card),
    '',
    s.intro,
    '',
    '## Model details',
    '',
    details,
    '',
    s.files,
    '',
  ];
  out.push(...trainingSections(card, s.rowNoun), ...metricsSection(card), ...s.usage);
  return out.join('\n');
}

/** README.md for an exported model: Hub metadata, what was trained and how, metrics, and usage. */
export function renderModelCard(card: ModelCardInfo, m: ModelCardModel): string {
  const sc = m.sentence;
  return renderCard(card, {
    library: 'sentence-transformers',
    pipelineTag: 'sentence-similarity',
    tags: ['sentence-transformers', 'sentence-similarity'],
    intro: `A [sentence-transformers](https://www.sbert.net) model fine-tuned with ftlab from \`${card.baseModel}\`. It maps text to a ${sc.truncateDim ?? m.dim}-dimensional vector for semantic search and similarity${sc.truncateDim ? ` (the first ${sc.truncateDim} of its ${m.dim} dimensions: \`truncate_dim\` in config_sentence_transformers.json)` : ''}.`,
    details: [
      ['Base model', card.baseModel],
      ['Architecture', `BERT, ${m.layers} layers`],
      ['Output dimension', sc.truncateDim ? `${sc.truncateDim} (truncated from ${m.dim})` : m.dim],
      ['Max sequence length', sc.maxSeqLength],
      ['Pooling', sc.pooling],
      ['Normalized embeddings', sc.normalize ? 'yes' : 'no'],
      ['Similarity', 'cosine'],
    ],
    files:
      'Files: `model.safetensors` (PyTorch / transformers), `onnx/model.onnx` (onnxruntime, transformers.js), tokenizer and sentence-transformers configuration.',
    rowNoun: 'training rows',
    usage: usage(card.modelId ?? 'path/to/this/model', m),
  });
}

/**
 * The sentence family: bi-encoders in sentence-transformers' layout (a transformer backbone + pooling
 * [+ Normalize]) trained with MNRL or MarginMSE, evaluated and searched text→text. The backbone is the only
 * part that differs between BERT, XLM-RoBERTa and other encoder-only transformers, so a new one is a
 * `SentenceBackbone` passed to createSentenceFamily (see families/xlmRoberta/ for a second backbone).
 */
import type { BertConfig } from '../../models/bert/bertConfig.ts';
import type { SentenceEncoder } from '../../models/sentenceEncoder.ts';
import { readJson, type ModelSource } from '../../source/modelSource.ts';
import type { ModelFiles } from '../../export/modelFiles.ts';
import type { ModelCardInfo } from '../../export/modelCard.ts';
import { CorpusVectors } from '../../eval/corpusVectors.ts';
import { sentenceOnnx, type SentenceExportArch } from '../../export/exportSentenceModel.ts';
import { forwardEncoder } from '../../inference/forwardEncoder.ts';
import { embeddingDimension } from '../../models/truncateDim.ts';
import type { OnnxTextGraph } from '../../inference/onnxTextEncoder.ts';
import type { LoadOptions, ModelFamily, ScratchBuilder } from '../family.ts';
import { estimateSentenceRun } from './estimateSentence.ts';
import { describeSentenceEncoder, inspectSentenceSource, type ShapeExtras } from './inspectSentence.ts';

export interface SentenceBackbone {
  /** the family's name (shown in the UI and stored in shapes) */
  name: string;
  modelTypes: readonly string[];
  /** config.json → the BertConfig-shaped numbers the encoder and estimate use */
  parseConfig(raw: Record<string, unknown>, where: string): BertConfig;
  /** position/token-type counts that differ from BERT's defaults */
  shapeExtras?(config: BertConfig, raw: Record<string, unknown>): ShapeExtras;
  load(source: ModelSource, raw: Record<string, unknown>, opts: LoadOptions): Promise<SentenceEncoder>;
  exportFiles(encoder: SentenceEncoder, card: ModelCardInfo): Promise<ModelFiles>;
  /** the architecture and ONNX options its export uses (default BERT's) */
  exportArch?(encoder: SentenceEncoder): SentenceExportArch;
  scratch?: ScratchBuilder;
}

const lossCards: Record<string, string> = {
  mnrl: 'MultipleNegativesRankingLoss',
  'cached-mnrl': 'CachedMultipleNegativesRankingLoss',
  'margin-mse': 'MarginMSELoss',
};

export function createSentenceFamily(backbone: SentenceBackbone): ModelFamily<SentenceEncoder> {
  /** the exported onnx/model.onnx of the current weights, so inference and the exported model agree */
  const onnxTextGraph = async (encoder: SentenceEncoder): Promise<OnnxTextGraph> => {
    const bytes = sentenceOnnx(encoder, await encoder.model.exportWeights(), backbone.exportArch?.(encoder));
    return {
      bytes,
      output: 'sentence_embedding',
      dim: embeddingDimension(encoder.config, encoder.model.config.hidden_size),
      tokenize: (texts) => encoder.tokenizer.encode(texts, encoder.config.maxSeqLength),
    };
  };
  return {
    name: backbone.name,
    modelTypes: backbone.modelTypes,
    task: 'text',
    losses: ['mnrl', 'cached-mnrl', 'margin-mse'],
    presetBatchSize: 16,
    async inspect(source) {
      const raw = await readJson(source, 'config.json');
      const config = backbone.parseConfig(raw, `${source.id}/config.json`);
      return inspectSentenceSource(backbone.name, source, config, backbone.shapeExtras?.(config, raw));
    },
    estimate: estimateSentenceRun,
    async load(source, opts = {}) {
      return backbone.load(source, await readJson(source, 'config.json'), opts);
    },
    describe: (id, encoder, warnings) => describeSentenceEncoder(backbone.name, id, encoder, warnings),
    trainable: (encoder) => encoder,
    lossDescription: (loss) => lossCards[loss] ?? loss,
    index: (encoder, corpus) =>
      new CorpusVectors(
        forwardEncoder(encoder, () => onnxTextGraph(encoder)),
        corpus.ids,
        corpus.texts,
      ),
    onnxTextGraph,
    exportFiles: (encoder, card) => backbone.exportFiles(encoder, card),
    scratch: backbone.scratch,
  };
}

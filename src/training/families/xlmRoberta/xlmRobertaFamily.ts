/**
 * XLM-RoBERTa bi-encoders (model_type "xlm-roberta": intfloat/multilingual-e5-small/-base,
 * sentence-transformers/paraphrase-multilingual-mpnet-base-v2, …) as a sentence family: the BERT encoder with
 * RoBERTa's position numbering, a SentencePiece tokenizer, no token types, exported as XLMRobertaModel.
 */
import { exportSentenceModel, type SentenceExportArch } from '../../export/exportSentenceModel.ts';
import type { SentenceEncoder } from '../../models/sentenceEncoder.ts';
import type { ModelFiles } from '../../export/modelFiles.ts';
import type { ScratchBuilder } from '../family.ts';
import { createSentenceFamily } from '../sentence/sentenceFamily.ts';
import { scratchId, scratchInitOptions, type SentenceScratchSpec } from '../sentence/sentenceScratch.ts';
import { initXlmRoberta } from './initXlmRoberta.ts';
import { loadXlmRoberta, parseXlmRobertaConfig, XLM_ROBERTA_ARCHITECTURE, xlmRobertaModelTypes } from './xlmRobertaBackbone.ts';
import { xlmRobertaOnnxPositionIds, xlmRobertaShapeExtras } from './xlmRobertaPositions.ts';

/** The lab's "from scratch" multilingual model. */
export type XlmRobertaScratchSpec = SentenceScratchSpec;

export function scratchXlmRoberta(spec: XlmRobertaScratchSpec, texts: readonly string[]): { id: string; files: ModelFiles } {
  if (!texts.length) throw new Error('a model from scratch needs the corpus first (its vocabulary is learned from the product texts)');
  return { id: scratchId(spec, 'scratch-xlm-roberta'), files: initXlmRoberta(scratchInitOptions(spec, texts)) };
}

const scratch: ScratchBuilder = { kind: 'scratch-xlm-roberta', build: (spec, texts) => scratchXlmRoberta(spec as XlmRobertaScratchSpec, texts) };

/** transformers.js feeds token_type_ids only to graphs that declare them; optimum's XLM-R exports have none */
const exportArch = (encoder: SentenceEncoder): SentenceExportArch => ({
  architecture: XLM_ROBERTA_ARCHITECTURE,
  onnx: { tokenTypeIds: false, positionIds: xlmRobertaOnnxPositionIds(encoder.model.config) },
});

export const xlmRobertaFamily = createSentenceFamily({
  name: 'xlm-roberta',
  modelTypes: xlmRobertaModelTypes,
  parseConfig: parseXlmRobertaConfig,
  shapeExtras: xlmRobertaShapeExtras,
  load: loadXlmRoberta,
  exportArch,
  exportFiles: (encoder, card) => exportSentenceModel(encoder, card, exportArch(encoder)),
  scratch,
});

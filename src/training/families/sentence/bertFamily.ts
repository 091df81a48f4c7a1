/** BERT-family bi-encoders (model_type "bert": all-MiniLM-L6-v2, bge-small, e5-small-v2, …) as a sentence family. */
import { parseBertConfig } from '../../models/bert/bertConfig.ts';
import { exportSentenceModel } from '../../export/exportSentenceModel.ts';
import { loadBert } from './bertBackbone.ts';
import { createSentenceFamily } from './sentenceFamily.ts';
import { scratchSentenceModel, type SentenceScratchSpec } from './sentenceScratch.ts';

export const bertFamily = createSentenceFamily({
  name: 'sentence',
  modelTypes: ['bert'],
  parseConfig: parseBertConfig,
  load: loadBert,
  exportFiles: exportSentenceModel,
  scratch: { kind: 'scratch', build: (spec, texts) => scratchSentenceModel(spec as SentenceScratchSpec, texts) },
});

/** The base models offered in Configure, with their shapes so the estimate works before anything is fetched. */
import type { ModelShape } from '../../lab/api/labApi.ts';

export interface CuratedModel {
  id: string;
  note: string;
  shape: ModelShape;
}

export const curatedModels: CuratedModel[] = [
  {
    id: 'sentence-transformers/all-MiniLM-L6-v2',
    note: '384-d, 6 layers, 22M parameters: fast, a good first choice',
    shape: { hidden: 384, layers: 6, heads: 12, intermediate: 1536, vocabSize: 30522, maxSeqLength: 256 },
  },
  {
    id: 'sentence-transformers/all-MiniLM-L12-v2',
    note: '384-d, 12 layers, 33M parameters: the model Chorus serves on /minilm/text/',
    shape: { hidden: 384, layers: 12, heads: 12, intermediate: 1536, vocabSize: 30522, maxSeqLength: 128 },
  },
  {
    id: 'BAAI/bge-small-en-v1.5',
    note: '384-d, 12 layers, 33M parameters, CLS pooling: strong on retrieval benchmarks',
    shape: { hidden: 384, layers: 12, heads: 12, intermediate: 1536, vocabSize: 30522, maxSeqLength: 512 },
  },
  {
    id: 'intfloat/multilingual-e5-small',
    note: '384-d, 12 layers, 118M parameters (96M of them the 250k-token embeddings), XLM-RoBERTa: multilingual catalogues; prefix texts with "query: " / "passage: "',
    shape: {
      family: 'xlm-roberta',
      hidden: 384,
      layers: 12,
      heads: 12,
      intermediate: 1536,
      vocabSize: 250037,
      maxSeqLength: 512,
      positions: 514,
      typeVocab: 1,
    },
  },
];

export const defaultCrossEncoder = 'cross-encoder/ms-marco-MiniLM-L-6-v2';

/** A fresh model's default size: small enough to train from scratch in a browser within minutes. */
export const scratchDefaults = { hidden: 128, layers: 2, heads: 4, vocabSize: 8000, maxSeqLength: 64 };

export function scratchShape(s: { hidden: number; layers: number; heads: number; vocabSize: number; maxSeqLength: number }): ModelShape {
  return { ...s, intermediate: 4 * s.hidden };
}

/** Learning rates: the kata's 2e-5 suits pretrained weights; random weights need a much larger step. */
export const pretrainedLr = 2e-5;
export const scratchLr = 5e-4;

/**
 * A freshly initialised XLM-RoBERTa sentence encoder in full Hugging Face + sentence-transformers layout,
 * for tests and the lab's offline "from scratch" option: config.json as XLMRobertaConfig.save_pretrained
 * writes it, a Unigram tokenizer learned from the corpus, model.safetensors under XLMRobertaModel's names
 * (initialised as XLMRobertaPreTrainedModel._init_weights does: normal(0, 0.02), zero biases, unit
 * LayerNorms, zero padding_idx rows in the word and position tables), mean pooling + Normalize.
 */
import type { ModelFiles } from '../../export/modelFiles.ts';
import { randomBertWeights } from '../../init/randomBert.ts';
import { encoderSizes, sentenceEncoderFiles, type EncoderInitOptions } from '../../init/sentenceEncoderFiles.ts';
import { parseXlmRobertaConfig, XLM_ROBERTA_ARCHITECTURE } from './xlmRobertaBackbone.ts';
import { xlmRobertaTokenizerFiles, xlmRobertaVocab } from './xlmRobertaTokenizerFiles.ts';

export interface InitXlmRobertaOptions extends EncoderInitOptions {
  /** upper bound (specials included); a small corpus yields fewer pieces */
  vocabSize?: number;
  /** random biases, LayerNorms and padding rows too (parity tests); default false = Hugging Face init */
  perturbAll?: boolean;
  /** config.json initializer_range, the std of the random weights; default 0.02 (larger makes attention peaked) */
  initializerRange?: number;
}

const PAD = 1;

/** config.json in the layout XLMRobertaConfig.save_pretrained writes (sorted keys), xlm-roberta-base's constants. */
function xlmRobertaConfigJson(o: {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  positions: number;
  std: number;
}) {
  return {
    architectures: [XLM_ROBERTA_ARCHITECTURE],
    attention_probs_dropout_prob: 0.1,
    bos_token_id: 0,
    classifier_dropout: null,
    eos_token_id: 2,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: o.hidden,
    initializer_range: o.std,
    intermediate_size: o.intermediate,
    layer_norm_eps: 1e-5,
    max_position_embeddings: o.positions,
    model_type: 'xlm-roberta',
    num_attention_heads: o.heads,
    num_hidden_layers: o.layers,
    pad_token_id: PAD,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    transformers_version: '4.41.2',
    type_vocab_size: 1,
    use_cache: true,
    vocab_size: o.vocab,
  };
}

export function initXlmRoberta(opts: InitXlmRobertaOptions): ModelFiles {
  const { maxSeqLength, ...sizes } = encoderSizes(opts, 'initXlmRoberta');
  const vocab = xlmRobertaVocab(opts.texts, opts.vocabSize ?? 8000, { lowercase: opts.lowercase });
  // like xlm-roberta-base's 514 = 512 + padding_idx + 1: the table numbers maxSeqLength tokens from padding_idx + 1
  const raw = xlmRobertaConfigJson({
    vocab: vocab.length,
    ...sizes,
    positions: Math.max(maxSeqLength, 128) + PAD + 1,
    std: opts.initializerRange ?? 0.02,
  });
  const config = parseXlmRobertaConfig(raw, 'initXlmRoberta options');
  const weights = randomBertWeights(config, opts);
  const positions = weights.get('embeddings.position_embeddings.weight')!;
  if (!opts.perturbAll) positions.data.fill(0, PAD * sizes.hidden, (PAD + 1) * sizes.hidden);
  const tokenizer = xlmRobertaTokenizerFiles(vocab, { modelMaxLength: maxSeqLength, lowercase: opts.lowercase });
  return sentenceEncoderFiles(raw, tokenizer, weights, { hidden: sizes.hidden, maxSeqLength });
}

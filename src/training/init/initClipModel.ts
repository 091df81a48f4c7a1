import { clipImageConfigJson, defaultClipImageConfig } from '../images/clipImageProcessor.ts';
import type { ModelFiles } from '../export/modelFiles.ts';
import { clipConfigJson, parseClipConfig } from '../models/clip/clipConfig.ts';
import { writeSafetensors } from '../weights/safetensors.ts';
import { learnClipMerges } from './clipBpe.ts';
import { clipTokenizerFiles, clipVocab } from './clipTokenizerFiles.ts';
import { randomClipWeights } from './randomClip.ts';

export interface InitClipOptions {
  /** corpus the BPE merges are learned from */
  texts: string[];
  /** upper bound on learned merges (a small corpus yields fewer); default 2000 */
  merges?: number;
  textHidden?: number;
  textLayers?: number;
  textHeads?: number;
  visionHidden?: number;
  visionLayers?: number;
  visionHeads?: number;
  /** default 4 * hidden of each tower */
  textIntermediate?: number;
  visionIntermediate?: number;
  projectionDim?: number;
  /** text max_position_embeddings and tokenizer model_max_length; default 77 as CLIP */
  maxTextLength?: number;
  imageSize?: number;
  patchSize?: number;
  hiddenAct?: 'quick_gelu' | 'gelu';
  seed?: number;
  /** random biases and LayerNorms too (parity tests); default false = Hugging Face init */
  perturbAll?: boolean;
  /** scales the init standard deviations (see randomClipWeights) */
  initFactor?: number;
}

/**
 * A freshly initialised CLIPModel in Hugging Face layout (config.json, CLIP byte-level BPE tokenizer files
 * learned from `texts`, preprocessor_config.json, model.safetensors): what `ftlab init --clip` writes for
 * offline experiments and what the tests use as a tiny CLIP.
 */
export function initClipModel(opts: InitClipOptions): ModelFiles {
  if (!opts.texts.some((t) => t.trim() !== '')) throw new Error('initClipModel: texts is empty; the BPE merges are learned from them');
  const merges = learnClipMerges(opts.texts, opts.merges ?? 2000);
  const vocabSize = clipVocab(merges).length;
  const textHidden = opts.textHidden ?? 128;
  const visionHidden = opts.visionHidden ?? 128;
  const maxTextLength = opts.maxTextLength ?? 77;
  const act = opts.hiddenAct ?? 'quick_gelu';
  const raw = clipConfigJson(
    parseClipConfig(
      {
        model_type: 'clip',
        projection_dim: opts.projectionDim ?? 64,
        logit_scale_init_value: 2.6592,
        text_config: {
          vocab_size: vocabSize,
          hidden_size: textHidden,
          intermediate_size: opts.textIntermediate ?? 4 * textHidden,
          num_hidden_layers: opts.textLayers ?? 2,
          num_attention_heads: opts.textHeads ?? 4,
          max_position_embeddings: maxTextLength,
          hidden_act: act,
          layer_norm_eps: 1e-5,
          bos_token_id: vocabSize - 2,
          eos_token_id: vocabSize - 1,
          pad_token_id: vocabSize - 1,
        },
        vision_config: {
          hidden_size: visionHidden,
          intermediate_size: opts.visionIntermediate ?? 4 * visionHidden,
          num_hidden_layers: opts.visionLayers ?? 2,
          num_attention_heads: opts.visionHeads ?? 4,
          image_size: opts.imageSize ?? 224,
          patch_size: opts.patchSize ?? 32,
          num_channels: 3,
          hidden_act: act,
          layer_norm_eps: 1e-5,
        },
      },
      'initClipModel options',
    ),
  );
  const config = parseClipConfig(raw, 'initClipModel config.json');
  const weights = randomClipWeights(config, { seed: opts.seed ?? 0, perturbAll: opts.perturbAll ?? false, initFactor: opts.initFactor });
  const files: ModelFiles = new Map();
  files.set('config.json', JSON.stringify(raw, null, 2) + '\n');
  for (const [name, text] of Object.entries(clipTokenizerFiles(merges, { modelMaxLength: maxTextLength }))) files.set(name, text);
  files.set('preprocessor_config.json', JSON.stringify(clipImageConfigJson(defaultClipImageConfig(config.vision.image_size)), null, 2) + '\n');
  files.set('model.safetensors', writeSafetensors(weights));
  return files;
}

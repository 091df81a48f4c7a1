import type { ClipConfig } from '../models/clip/clipConfig.ts';
import { renderCard, type ModelCardInfo } from './modelCard.ts';

/** What the CLIP card says about the model itself. */
export interface ClipCardModel {
  config: ClipConfig;
  /** the text length ftlab trained with (tokenizer_config.json model_max_length) */
  maxTextLength: number;
  /** preprocessed image height and width (preprocessor_config.json crop_size) */
  imageSize: number;
}

function usage(id: string, m: ClipCardModel): string[] {
  const dim = m.config.projection_dim;
  return [
    '## Usage',
    '',
    'Both towers return **unnormalized** embeddings (as Hugging Face does); L2-normalize them before a dot product, or use cosine similarity.',
    '',
    '### transformers.js',
    '',
    '```js',
    "import { AutoProcessor, AutoTokenizer, CLIPTextModelWithProjection, CLIPVisionModelWithProjection, RawImage, cos_sim } from '@huggingface/transformers';",
    '',
    `const tokenizer = await AutoTokenizer.from_pretrained('${id}');`,
    `const textModel = await CLIPTextModelWithProjection.from_pretrained('${id}', { dtype: 'fp32' }); // onnx/text_model.onnx`,
    "const { text_embeds } = await textModel(tokenizer(['red running shoes', 'blue denim jacket'], { padding: true, truncation: true }));",
    '',
    `const processor = await AutoProcessor.from_pretrained('${id}');`,
    `const visionModel = await CLIPVisionModelWithProjection.from_pretrained('${id}', { dtype: 'fp32' }); // onnx/vision_model.onnx`,
    "const { image_embeds } = await visionModel(await processor(await RawImage.read('product.jpg')));",
    "console.log(cos_sim(text_embeds[0].data, image_embeds[0].data)); // 'red running shoes' vs the image",
    '```',
    '',
    `CLIP pools the text at its end-of-text token. transformers.js' truncation cuts that token off texts longer than ${m.maxTextLength} tokens ` +
      '(Python tokenizers keep it), so keep texts within that length there.',
    '',
    '### Hugging Face transformers',
    '',
    '```python',
    'import torch',
    'from PIL import Image',
    'from transformers import CLIPModel, CLIPProcessor',
    '',
    `model = CLIPModel.from_pretrained("${id}")`,
    `processor = CLIPProcessor.from_pretrained("${id}")`,
    'inputs = processor(text=["red running shoes"], images=Image.open("product.jpg"), return_tensors="pt", padding=True)',
    'with torch.no_grad():',
    '    out = model(**inputs)  # out.text_embeds / out.image_embeds are normalized, out.logits_per_text is scaled',
    '    text = model.get_text_features(input_ids=inputs.input_ids, attention_mask=inputs.attention_mask)  # unnormalized',
    '```',
    '',
    '### Chorus',
    '',
    `Text-to-image search in [Chorus](https://github.com/querqy/chorus): product **images** are embedded offline into the dense vector field \`finetuned_product_image_vector\` (its field type's \`vectorDimension\` must be ${dim}), and **queries** are embedded at search time by the text tower behind the embeddings service route \`/ftclip/text/\`.`,
    '',
    '```sh',
    `npx ftlab vectors --model ${id} --corpus products.json --images images/ --field finetuned_product_image_vector --output products-with-image-vectors.json`,
    `npx ftlab serve --model ${id} --port 8000   # a CLIP folder is served as POST /ftclip/text/ (onnx/text_model.onnx)`,
    `npx ftlab chorus-config --dimension ${dim} --route ftclip --field finetuned_product_image_vector --rewriter embftimg --output-dir chorus/`,
    '```',
    '',
    '`/ftclip/text/` takes Chorus\' request body (`{"text": "...", "output_format": "float_list", "normalize": true}`) and answers `{"embedding": [...]}` with the text tower\'s `text_embeds`, L2-normalized unless `"normalize": false`.',
    '',
  ];
}

/** README.md for an exported CLIP model: Hub metadata, the two towers, training details, metrics and usage. */
export function renderClipModelCard(card: ModelCardInfo, m: ClipCardModel): string {
  const { text: t, vision: v, projection_dim: dim } = m.config;
  return renderCard(card, {
    library: 'transformers',
    pipelineTag: 'zero-shot-image-classification',
    tags: ['clip', 'image-text-retrieval'],
    intro: `A [CLIP](https://openai.com/research/clip) model fine-tuned with ftlab from \`${card.baseModel}\`. It maps search queries and product images into one ${dim}-dimensional space for text-to-image retrieval.`,
    details: [
      ['Base model', card.baseModel],
      ['Architecture', 'CLIPModel (dual encoder)'],
      ['Text tower', `${t.num_hidden_layers} layers, width ${t.hidden_size}, ${t.num_attention_heads} heads`],
      ['Image tower', `ViT, ${v.num_hidden_layers} layers, width ${v.hidden_size}, patch ${v.patch_size}`],
      ['Embedding dimension', dim],
      ['Max text length (tokens)', m.maxTextLength],
      ['Image size', `${m.imageSize}x${m.imageSize}`],
      ['Similarity', 'cosine'],
    ],
    files:
      'Files: `model.safetensors` (transformers `CLIPModel`, with `logit_scale`), `onnx/text_model.onnx` (`input_ids`, `attention_mask` → `text_embeds`, `last_hidden_state`), ' +
      '`onnx/vision_model.onnx` (`pixel_values` → `image_embeds`, `last_hidden_state`), tokenizer files and `preprocessor_config.json` (CLIPImageProcessor).',
    rowNoun: '(text, image) pairs',
    usage: usage(card.modelId ?? 'path/to/this/model', m),
  });
}

/**
 * The Chorus integration snippets for a fine-tuned CLIP model: product images go into the dense vector field
 * `finetuned_product_image_vector` and queries are embedded by the text tower behind `/ftclip/text/`. Built
 * by the same generator as the text snippets (src/training/chorus/chorusConfig.ts).
 */
import { chorusConfig } from '../../training/chorus/chorusConfig.ts';
import type { Snippet } from './chorusSnippets.ts';

export const clipImageField = 'finetuned_product_image_vector';
export const clipRoute = 'ftclip';

const json = (v: unknown) => JSON.stringify(v, null, 2);

export function clipSnippets(dimension: number): Snippet[] {
  const cfg = chorusConfig({
    dimension,
    field: clipImageField,
    route: clipRoute,
    rewriter: 'embftimg',
    matchParamSet: 'querqy_match_by_ft_img_emb',
    boostParamSet: 'querqy_boost_by_ft_img_emb',
  });
  const request = { text: 'gaming mouse pad', output_format: 'float_list' };
  return [
    {
      title: 'Embeddings service route',
      note: `Serve the unzipped folder with \`npx ftlab serve --model <folder> --port 8000\`: /${clipRoute}/text/ embeds queries with the text tower (onnx/text_model.onnx) into ${dimension}-d vectors.`,
      language: 'bash',
      code: `curl -X POST http://localhost:8000/${clipRoute}/text/ -H 'Content-type:application/json' -d '${JSON.stringify(request)}'\n# → {"embedding": [ …${dimension} floats… ]}`,
    },
    {
      title: 'Product image vectors',
      note: `Embed every product image with the image tower and index them into ${clipImageField}.`,
      language: 'bash',
      code: `npx ftlab vectors --model <folder> --corpus products.json --images images/ --field ${clipImageField} --output products-with-image-vectors.json\n${cfg.indexCommand('products-with-image-vectors.json')}`,
    },
    {
      title: 'Solr field type',
      note: `The field ${cfg.field} must have the model's width: vectorDimension ${dimension}, cosine similarity, HNSW.`,
      language: 'json',
      code: json(cfg.schema.replaceFieldType),
    },
    {
      title: 'Querqy embeddings rewriter',
      note: `POST /solr/ecommerce/querqy/rewriter/${cfg.rewriter.name}?action=save — query vectors come from /${clipRoute}/text/.`,
      language: 'json',
      code: json(cfg.rewriter.body),
    },
    {
      title: 'Param sets',
      note: `POST /solr/ecommerce/config/params — ${cfg.paramSets.match} matches products by image vector, ${cfg.paramSets.boost} boosts keyword results.`,
      language: 'json',
      code: json(cfg.paramSets.body),
    },
    {
      title: 'Everything at once',
      note: 'A script that applies the field type, rewriter and param sets with curl.',
      language: 'bash',
      code: cfg.script,
    },
  ];
}

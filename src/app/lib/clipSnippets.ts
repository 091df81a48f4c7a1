/**
 * The Chorus integration snippets for a fine-tuned CLIP model: product images go into the dense vector field
 * `finetuned_product_image_vector` and queries are embedded by the text tower behind `/ftclip/text/`. Built
 * by the same generator as the text snippets (src/training/chorus/chorusConfig.ts).
 */
import { chorusConfig } from '../../training/chorus/chorusConfig.ts';
import { routeSnippet, solrSnippets, type Snippet } from './chorusSnippets.ts';

export const clipImageField = 'finetuned_product_image_vector';
export const clipRoute = 'ftclip';

export function clipSnippets(dimension: number): Snippet[] {
  const cfg = chorusConfig({
    dimension,
    field: clipImageField,
    route: clipRoute,
    rewriter: 'embftimg',
    matchParamSet: 'querqy_match_by_ft_img_emb',
    boostParamSet: 'querqy_boost_by_ft_img_emb',
  });
  return [
    routeSnippet(
      clipRoute,
      dimension,
      `Serve the unzipped folder with \`npx ftlab serve --model <folder> --port 8000\`: /${clipRoute}/text/ embeds queries with the text tower (onnx/text_model.onnx) into ${dimension}-d vectors.`,
    ),
    {
      title: 'Product image vectors',
      note: `Embed every product image with the image tower and index them into ${clipImageField}.`,
      language: 'bash',
      code: `npx ftlab vectors --model <folder> --corpus products.json --images images/ --field ${clipImageField} --output products-with-image-vectors.json\n${cfg.indexCommand('products-with-image-vectors.json')}`,
    },
    ...solrSnippets(cfg, { queryVectors: `/${clipRoute}/text/`, matchBy: 'products by image vector' }),
  ];
}

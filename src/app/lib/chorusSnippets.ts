/**
 * The Chorus integration snippets (../shared/kata/CHORUS_INTEGRATION.md) for a model of a given width:
 * built from the same generator as `ftlab chorus-config` (src/training/chorus/chorusConfig.ts).
 */
import { chorusConfig } from '../../training/chorus/chorusConfig.ts';

export interface Snippet {
  title: string;
  /** what the snippet is for, one sentence */
  note: string;
  language: 'json' | 'bash';
  code: string;
}

const json = (v: unknown) => JSON.stringify(v, null, 2);

export function chorusSnippets(dimension: number): Snippet[] {
  const cfg = chorusConfig({ dimension });
  const request = { text: 'gaming mouse pad', output_format: 'float_list' };
  return [
    {
      title: 'Embeddings service route',
      note: `Serve the downloaded folder on /ftbert/text/ of Chorus' embeddings service (port 8000); a query returns a ${dimension}-d vector.`,
      language: 'bash',
      code: `curl -X POST http://localhost:8000/ftbert/text/ -H 'Content-type:application/json' -d '${JSON.stringify(request)}'\n# → {"embedding": [ …${dimension} floats… ]}`,
    },
    {
      title: 'Solr field type',
      note: `The field ${cfg.field} must have the model's width: vectorDimension ${dimension}, cosine similarity, HNSW.`,
      language: 'json',
      code: json(cfg.schema.replaceFieldType),
    },
    {
      title: 'Querqy embeddings rewriter',
      note: `POST /solr/ecommerce/querqy/rewriter/${cfg.rewriter.name}?action=save — query vectors come from the fine-tuned route.`,
      language: 'json',
      code: json(cfg.rewriter.body),
    },
    {
      title: 'Param sets',
      note: `POST /solr/ecommerce/config/params — ${cfg.paramSets.match} matches by vector, ${cfg.paramSets.boost} boosts keyword results.`,
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

/**
 * The Chorus integration snippets (../shared/kata/CHORUS_INTEGRATION.md) for a model of a given width:
 * built from the same generator as `ftlab chorus-config` (src/training/chorus/chorusConfig.ts).
 */
import { chorusConfig, type ChorusConfig } from '../../training/chorus/chorusConfig.ts';

export interface Snippet {
  title: string;
  /** what the snippet is for, one sentence */
  note: string;
  language: 'json' | 'bash';
  code: string;
}

const json = (v: unknown) => JSON.stringify(v, null, 2);

/** The embeddings service's /<route>/text/ asked for a query vector with curl. */
export function routeSnippet(route: string, dimension: number, note: string): Snippet {
  const request = { text: 'gaming mouse pad', output_format: 'float_list' };
  return {
    title: 'Embeddings service route',
    note,
    language: 'bash',
    code: `curl -X POST http://localhost:8000/${route}/text/ -H 'Content-type:application/json' -d '${JSON.stringify(request)}'\n# → {"embedding": [ …${dimension} floats… ]}`,
  };
}

/**
 * Solr and Querqy for either model kind: the field type, the rewriter, the param sets and the script that
 * applies them; `queryVectors` says where the rewriter's vectors come from, `matchBy` what "match" matches by.
 */
export function solrSnippets(cfg: ChorusConfig, text: { queryVectors: string; matchBy: string }): Snippet[] {
  return [
    {
      title: 'Solr field type',
      note: `The field ${cfg.field} must have the model's width: vectorDimension ${cfg.dimension}, cosine similarity, HNSW.`,
      language: 'json',
      code: json(cfg.schema.replaceFieldType),
    },
    {
      title: 'Querqy embeddings rewriter',
      note: `POST /solr/ecommerce/querqy/rewriter/${cfg.rewriter.name}?action=save — query vectors come from ${text.queryVectors}.`,
      language: 'json',
      code: json(cfg.rewriter.body),
    },
    {
      title: 'Param sets',
      note: `POST /solr/ecommerce/config/params — ${cfg.paramSets.match} matches ${text.matchBy}, ${cfg.paramSets.boost} boosts keyword results.`,
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

export function chorusSnippets(dimension: number): Snippet[] {
  return [
    routeSnippet(
      'ftbert',
      dimension,
      `Serve the downloaded folder on /ftbert/text/ of Chorus' embeddings service (port 8000); a query returns a ${dimension}-d vector.`,
    ),
    ...solrSnippets(chorusConfig({ dimension }), { queryVectors: 'the fine-tuned route', matchBy: 'by vector' }),
  ];
}

/**
 * Solr and Querqy configuration that puts a model into Chorus (querqy/chorus): the dense vector field
 * type for the model's width, the embeddings rewriter that asks the embeddings service for query vectors,
 * the param sets that select "match" (KNN as the main query) and "boost" (KNN boosts keyword results),
 * and the curl commands that apply them, in the shapes Chorus' own quickstart.sh uses.
 * The same generator serves image fields of CLIP models later: only field, route and rewriter differ.
 */

export interface ChorusConfigOptions {
  /** the model's embedding width */
  dimension: number;
  /** vector field in the ecommerce schema; default finetuned_product_vector */
  field?: string;
  /** embeddings service route: http://embeddings:8000/<route>/text/; default ftbert */
  route?: string;
  /** Querqy rewriter name; default embfttxt */
  rewriter?: string;
  /** embeddings service as Solr sees it; default http://embeddings:8000 */
  embeddingsUrl?: string;
  /** Solr as the user's shell sees it; default http://localhost:8983 */
  solrUrl?: string;
  collection?: string;
  /** curl --user; default Chorus' solr:SolrRocks; '' for none */
  solrUser?: string;
  /** KNN candidates; default 100 */
  topK?: number;
  /** boost mode weight; default 10000 as in Chorus */
  boost?: number;
  /** param set names; defaults querqy_match_by_ft_txt_emb and querqy_boost_by_ft_txt_emb */
  matchParamSet?: string;
  boostParamSet?: string;
}

export interface ChorusConfig {
  dimension: number;
  field: string;
  fieldTypeName: string;
  /** Solr Schema API payloads */
  schema: {
    addFieldType: Record<string, unknown>;
    replaceFieldType: Record<string, unknown>;
    replaceField: Record<string, unknown>;
    addField: Record<string, unknown>;
  };
  /** body of POST /solr/<collection>/querqy/rewriter/<name>?action=save */
  rewriter: { name: string; body: Record<string, unknown> };
  /** body of POST /solr/<collection>/config/params */
  paramSets: { match: string; boost: string; body: Record<string, unknown> };
  /** a bash script applying everything, in order */
  script: string;
  /** the curl command that indexes a vectors file written by `ftlab vectors` */
  indexCommand(file: string): string;
}

// Chorus' keyword settings, kept so the param sets behave like its other vector algorithms
const chorusQf = 'id name title product_type short_description ean search_attributes';

function check(name: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`${name} "${value}" is not valid: ${what}`);
  return value;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const pretty = (v: unknown) => JSON.stringify(v, null, 2);

export function chorusConfig(opts: ChorusConfigOptions): ChorusConfig {
  const D = opts.dimension;
  // Lucene's HNSW vectors allow up to 1024 dimensions by default (Solr 9)
  if (!Number.isInteger(D) || D < 1 || D > 1024) throw new Error(`dimension must be an integer in 1..1024 (Solr's default limit), got ${D}`);
  const ident = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const field = check('field', opts.field ?? 'finetuned_product_vector', ident, 'use letters, digits and _');
  const route = check('route', opts.route ?? 'ftbert', /^[A-Za-z0-9_-]+$/, 'use letters, digits, _ and -');
  const rw = check('rewriter', opts.rewriter ?? 'embfttxt', ident, 'use letters, digits and _');
  const topK = opts.topK ?? 100;
  const boost = opts.boost ?? 10000;
  const solr = (opts.solrUrl ?? 'http://localhost:8983').replace(/\/+$/, '');
  const collection = check('collection', opts.collection ?? 'ecommerce', /^[A-Za-z0-9_.-]+$/, 'use letters, digits, _ . -');
  const embeddings = (opts.embeddingsUrl ?? 'http://embeddings:8000').replace(/\/+$/, '');
  const user = opts.solrUser ?? 'solr:SolrRocks';
  const fieldTypeName = `ftlab_knn_vector_${D}`;

  const fieldType = {
    name: fieldTypeName,
    class: 'solr.DenseVectorField',
    vectorDimension: D,
    similarityFunction: 'cosine',
    knnAlgorithm: 'hnsw',
  };
  const fieldDef = { name: field, type: fieldTypeName, indexed: true, stored: true };
  const schema = {
    addFieldType: { 'add-field-type': fieldType },
    replaceFieldType: { 'replace-field-type': fieldType },
    replaceField: { 'replace-field': fieldDef },
    addField: { 'add-field': fieldDef },
  };
  const rewriterBody = {
    class: 'querqy.solr.embeddings.SolrEmbeddingsRewriterFactory',
    config: {
      model: {
        class: 'querqy.embeddings.ChorusEmbeddingModel',
        url: `${embeddings}/${route}/text/`,
        normalize: false,
        cache: 'embeddings',
      },
    },
  };
  const match = opts.matchParamSet ?? 'querqy_match_by_ft_txt_emb';
  const boostName = opts.boostParamSet ?? 'querqy_boost_by_ft_txt_emb';
  const common = { qf: chorusQf, 'querqy.infoLogging': 'on', mm: '100%' };
  const paramBody = {
    set: {
      [match]: {
        defType: 'querqy',
        'querqy.rewriters': rw,
        [`querqy.${rw}.topK`]: topK,
        [`querqy.${rw}.mode`]: 'MAIN_QUERY',
        [`querqy.${rw}.f`]: field,
        ...common,
      },
      [boostName]: {
        defType: 'querqy',
        'querqy.rewriters': rw,
        [`querqy.${rw}.topK`]: topK,
        [`querqy.${rw}.mode`]: 'BOOST',
        [`querqy.${rw}.boost`]: boost,
        [`querqy.${rw}.f`]: field,
        ...common,
      },
    },
  };

  const auth = user ? `--user ${shellQuote(user)} ` : '';
  const post = (path: string, body: unknown, extra = '') =>
    `curl ${auth}${extra}-X POST ${shellQuote(`${solr}${path}`)} -H 'Content-type:application/json' -d ${shellQuote(pretty(body))}`;
  const schemaPath = `/solr/${collection}/schema`;
  const script = [
    '#!/bin/bash',
    `# Chorus configuration for a ${D}-dimensional text model (generated by ftlab chorus-config).`,
    '# Field type: added, or replaced when it exists already. Then the field is pointed at it (or added).',
    'set -u',
    `${post(schemaPath, schema.addFieldType, '-sf ')} \\`,
    `  || ${post(schemaPath, schema.replaceFieldType, '-sf ')}`,
    `${post(schemaPath, schema.replaceField, '-sf ')} \\`,
    `  || ${post(schemaPath, schema.addField, '-sf ')}`,
    '',
    `# Querqy embeddings rewriter "${rw}": query vectors from ${embeddings}/${route}/text/`,
    post(`/solr/${collection}/querqy/rewriter/${rw}?action=save`, rewriterBody),
    '',
    `# Param sets: ${match} (vector match) and ${boostName} (keyword match boosted by vector)`,
    post(`/solr/${collection}/config/params`, paramBody),
    '',
  ].join('\n');

  return {
    dimension: D,
    field,
    fieldTypeName,
    schema,
    rewriter: { name: rw, body: rewriterBody },
    paramSets: { match, boost: boostName, body: paramBody },
    script,
    indexCommand: (file) =>
      `curl ${auth}${shellQuote(`${solr}/solr/${collection}/update?commit=true`)} --data-binary @${shellQuote(file)} -H 'Content-type:application/json'`,
  };
}

/** The files `ftlab chorus-config --output-dir` writes. */
export function chorusConfigFiles(cfg: ChorusConfig): Record<string, string> {
  const json = (v: unknown) => pretty(v) + '\n';
  return {
    'schema-add-field-type.json': json(cfg.schema.addFieldType),
    'schema-replace-field-type.json': json(cfg.schema.replaceFieldType),
    'schema-replace-field.json': json(cfg.schema.replaceField),
    'schema-add-field.json': json(cfg.schema.addField),
    [`rewriter-${cfg.rewriter.name}.json`]: json(cfg.rewriter.body),
    'paramsets.json': json(cfg.paramSets.body),
    'apply.sh': cfg.script,
  };
}

import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { chorusConfig, chorusConfigFiles } from '../../../src/training/chorus/chorusConfig.ts';
import { makeTinyClip } from '../../helpers/clipFixture.ts';
import { makeTinyModel } from '../../helpers/fixtures.ts';
import { runCli, tempDir } from '../../helpers/cli.ts';

/** The JSON bodies of the script's `curl ... -d '<json>'` commands, in order. */
function curlBodies(script: string): { url: string; body: Record<string, unknown> }[] {
  const out: { url: string; body: Record<string, unknown> }[] = [];
  const re = /-X POST '([^']+)' -H 'Content-type:application\/json' -d '([^']*)'/g;
  for (const m of script.matchAll(re)) out.push({ url: m[1]!, body: JSON.parse(m[2]!) as Record<string, unknown> });
  return out;
}

describe('chorusConfig', () => {
  it("builds the field type, rewriter and param sets for a 384-d model in Chorus' shapes", () => {
    const c = chorusConfig({ dimension: 384 });
    expect(c.fieldTypeName).toBe('ftlab_knn_vector_384');
    const type = {
      name: 'ftlab_knn_vector_384',
      class: 'solr.DenseVectorField',
      vectorDimension: 384,
      similarityFunction: 'cosine',
      knnAlgorithm: 'hnsw',
    };
    expect(c.schema.addFieldType).toEqual({ 'add-field-type': type });
    expect(c.schema.replaceFieldType).toEqual({ 'replace-field-type': type });
    expect(c.schema.replaceField).toEqual({
      'replace-field': { name: 'finetuned_product_vector', type: 'ftlab_knn_vector_384', indexed: true, stored: true },
    });
    expect(c.rewriter).toEqual({
      name: 'embfttxt',
      body: {
        class: 'querqy.solr.embeddings.SolrEmbeddingsRewriterFactory',
        config: {
          model: {
            class: 'querqy.embeddings.ChorusEmbeddingModel',
            url: 'http://embeddings:8000/ftbert/text/',
            normalize: false,
            cache: 'embeddings',
          },
        },
      },
    });
    const sets = (c.paramSets.body as { set: Record<string, Record<string, unknown>> }).set;
    expect(Object.keys(sets)).toEqual(['querqy_match_by_ft_txt_emb', 'querqy_boost_by_ft_txt_emb']);
    expect(sets.querqy_match_by_ft_txt_emb).toMatchObject({
      defType: 'querqy',
      'querqy.rewriters': 'embfttxt',
      'querqy.embfttxt.topK': 100,
      'querqy.embfttxt.mode': 'MAIN_QUERY',
      'querqy.embfttxt.f': 'finetuned_product_vector',
    });
    expect(sets.querqy_match_by_ft_txt_emb).not.toHaveProperty('querqy.embfttxt.boost');
    expect(sets.querqy_boost_by_ft_txt_emb).toMatchObject({
      'querqy.embfttxt.mode': 'BOOST',
      'querqy.embfttxt.boost': 10000,
      'querqy.embfttxt.topK': 100,
    });
  });

  it("writes curl commands that post exactly these payloads to Chorus' endpoints", () => {
    const c = chorusConfig({
      dimension: 32,
      route: 'mine',
      rewriter: 'embmine',
      field: 'my_vec',
      embeddingsUrl: 'http://host.docker.internal:8000/',
      topK: 50,
    });
    const posts = curlBodies(c.script);
    expect(posts.map((p) => p.url)).toEqual([
      'http://localhost:8983/solr/ecommerce/schema',
      'http://localhost:8983/solr/ecommerce/schema',
      'http://localhost:8983/solr/ecommerce/schema',
      'http://localhost:8983/solr/ecommerce/schema',
      'http://localhost:8983/solr/ecommerce/querqy/rewriter/embmine?action=save',
      'http://localhost:8983/solr/ecommerce/config/params',
    ]);
    expect(posts.map((p) => p.body)).toEqual([
      c.schema.addFieldType,
      c.schema.replaceFieldType,
      c.schema.replaceField,
      c.schema.addField,
      c.rewriter.body,
      c.paramSets.body,
    ]);
    expect(c.script).toMatch(/curl --user 'solr:SolrRocks' -sf -X POST/);
    expect((c.rewriter.body.config as { model: { url: string } }).model.url).toBe('http://host.docker.internal:8000/mine/text/');
    expect(JSON.stringify(c.paramSets.body)).toContain('"querqy.embmine.topK":50');
    expect(c.indexCommand('out/products.json')).toBe(
      "curl --user 'solr:SolrRocks' 'http://localhost:8983/solr/ecommerce/update?commit=true' --data-binary @'out/products.json' -H 'Content-type:application/json'",
    );
    expect(chorusConfig({ dimension: 8, solrUser: '' }).script).not.toContain('--user');
  });

  it('rejects dimensions Solr cannot index and names that would break the JSON or the shell', () => {
    expect(() => chorusConfig({ dimension: 0 })).toThrow(/dimension/);
    expect(() => chorusConfig({ dimension: 2048 })).toThrow(/1\.\.1024/);
    expect(() => chorusConfig({ dimension: 384, field: "x'; rm -rf /" })).toThrow(/field/);
    expect(() => chorusConfig({ dimension: 384, route: 'a/b' })).toThrow(/route/);
  });

  it('ftlab chorus-config reads the dimension from the model and writes the files', async () => {
    const dir = await makeTinyModel();
    const out = tempDir('ftlab-chorus-');
    const r = await runCli(['chorus-config', '--model', dir, '--output-dir', out]);
    expect(r.stderr).toMatch(/32 dimensions/);
    expect(r.code).toBe(0);
    const expected = chorusConfigFiles(chorusConfig({ dimension: 32 }));
    for (const [name, text] of Object.entries(expected)) expect(readFileSync(path.join(out, name), 'utf8')).toBe(text);
    expect(JSON.parse(readFileSync(path.join(out, 'schema-add-field-type.json'), 'utf8'))['add-field-type'].vectorDimension).toBe(32);
    expect(statSync(path.join(out, 'apply.sh')).mode & 0o111).not.toBe(0);
  });

  it('ftlab chorus-config on a CLIP model uses projection_dim and the image vector field, route and rewriter', async () => {
    const dir = await makeTinyClip();
    const out = tempDir('ftlab-chorus-clip-');
    const r = await runCli(['chorus-config', '--model', dir, '--output-dir', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/16 dimensions \(field finetuned_product_image_vector/);
    const expected = chorusConfigFiles(
      chorusConfig({
        dimension: 16,
        route: 'ftclip',
        rewriter: 'embftimg',
        field: 'finetuned_product_image_vector',
        matchParamSet: 'querqy_match_by_ft_img_emb',
        boostParamSet: 'querqy_boost_by_ft_img_emb',
      }),
    );
    for (const [name, text] of Object.entries(expected)) expect(readFileSync(path.join(out, name), 'utf8')).toBe(text);
    expect(readFileSync(path.join(out, 'rewriter-embftimg.json'), 'utf8')).toContain('/ftclip/text/');
    expect(readFileSync(path.join(out, 'paramsets.json'), 'utf8')).toContain('querqy_match_by_ft_img_emb');
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderSource } from '../../../src/cli/folderSource.ts';
import { loadSentenceEncoder } from '../../../src/training/families/registry.ts';
import { fileListSource } from '../../../src/training/source/fileListSource.ts';
import { makeTinyModel } from '../../helpers/fixtures.ts';

/** What `<input type=file webkitdirectory>` hands the page: Files whose relative path starts with the folder. */
function pickedFolder(dir: string, as: string): File[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)]));
  return walk(dir).map((full) => {
    const f = new File([readFileSync(full)], path.basename(full));
    Object.defineProperty(f, 'webkitRelativePath', { value: `${as}/${path.relative(dir, full)}` });
    return f;
  });
}

describe('fileListSource (browser folder picker)', () => {
  it('loads the same encoder as the folder on disk', async () => {
    const dir = await makeTinyModel();
    const source = fileListSource(pickedFolder(dir, 'my-model'));
    expect(source.id).toBe('my-model');
    expect(await source.exists('1_Pooling/config.json')).toBe(true);
    expect(await source.exists('pytorch_model.bin')).toBe(false);
    await expect(source.readText('nope.json')).rejects.toThrow(/my-model: nope\.json not found/);
    const [a, b] = await Promise.all([loadSentenceEncoder(source), loadSentenceEncoder(folderSource(dir))]);
    const texts = ['red running shoes', 'coffee machine'];
    const [ea, eb] = await Promise.all([a.encode(texts), b.encode(texts)]);
    expect(ea).toEqual(eb);
    a.dispose();
    b.dispose();
  });
});

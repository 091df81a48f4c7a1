import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { cachedImage, clearImageCache, imageCacheUsage, openLabDb, storeImage, createRun, getRun, type LabDb } from '../../src/storage/index.ts';

let n = 0;

describe('the product image cache (IndexedDB, schema version 3)', () => {
  it('upgrades a version 2 database: runs are kept and the images store appears', async () => {
    const name = `image-cache-upgrade-${n++}`;
    const v2 = await openLabDb(name, { version: 2 });
    expect([...v2.objectStoreNames]).not.toContain('images');
    const run = await createRun(v2, { name: 'text run', config: { lr: 2e-5 } });
    v2.close();
    const db = await openLabDb(name);
    expect(db.version).toBe(3);
    expect([...db.objectStoreNames]).toContain('images');
    expect(await getRun(db, run.id)).toMatchObject({ name: 'text run', config: { lr: 2e-5 } });
    db.close();
  });

  it('stores image blobs by URL, reads them back byte for byte, counts and clears them', async () => {
    const db: LabDb = await openLabDb(`image-cache-${n++}`);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    expect(await cachedImage(db, 'http://x/p1.png')).toBeUndefined();
    await storeImage(db, 'http://x/p1.png', new Blob([png], { type: 'image/png' }));
    await storeImage(db, 'http://x/p2.jpg', new Blob([new Uint8Array(10)]));
    const back = await cachedImage(db, 'http://x/p1.png');
    expect(new Uint8Array(await back!.arrayBuffer())).toEqual(png);
    expect(await imageCacheUsage(db)).toEqual({ images: 2, bytes: 17 });
    await clearImageCache(db);
    expect(await imageCacheUsage(db)).toEqual({ images: 0, bytes: 0 });
    db.close();
  });

  it('reports, instead of throwing, an image that cannot be stored', async () => {
    const db = await openLabDb(`image-cache-${n++}`);
    db.close(); // a closed connection makes every put fail
    const warnings: string[] = [];
    await storeImage(db, 'http://x/p3.png', new Blob([new Uint8Array(2048)]), (m) => warnings.push(m));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^http:\/\/x\/p3\.png \(2\.0 KB\) was not kept for offline use: /);
  });
});

/**
 * A small catalogue for the lab's CLIP mode: products of four types whose images are colour-coded by type
 * (so a text "mouse pad" can learn to find the red images), image URLs in img_500x500 (one product without
 * a field, one URL answering 404), judgments, and an in-memory LabImageSet that stands in for fetch + decode.
 */
import type { RgbImage } from '../../src/training/images/rgbImage.ts';
import { LabImageSet } from '../../src/lab/labImageSet.ts';
import type { ResolvedImages } from '../../src/lab/api/clipRequest.ts';
import type { LabData } from '../../src/lab/api/labApi.ts';
import { Rng } from '../../src/training/random/rng.ts';

export const clipTypes = [
  { type: 'mouse pad', titles: ['gaming mouse pad', 'large desk mouse pad', 'cloth mouse pad'], rgb: [200, 30, 30] },
  { type: 'game pad', titles: ['wireless game pad', 'usb game pad controller', 'retro game pad'], rgb: [30, 30, 200] },
  { type: 'office software', titles: ['microsoft office home', 'office suite license', 'microsoft office pro'], rgb: [30, 170, 60] },
  { type: 'laptop', titles: ['thin laptop 14 inch', 'gaming laptop 17 inch', 'business laptop'], rgb: [220, 200, 40] },
] as const;

export const suppliers = ['Logitech', 'Microsoft', 'Acer', 'Razer'];

export interface ClipCatalogue {
  products: Record<string, string>[];
  judgmentsCsv: string;
  /** product id → the image that its URL serves */
  images: Map<string, RgbImage>;
  /** the product whose URL answers 404 */
  missingId: string;
  /** the product without an img_500x500 field */
  noFieldId: string;
}

/** A type-coloured image with seeded noise, w x h. */
export function typeImage(rgb: readonly number[], seed: number, w = 40, h = 36): RgbImage {
  const rng = new Rng(seed);
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = Math.max(0, Math.min(255, rgb[c]! + rng.int(61) - 30));
  return { width: w, height: h, data };
}

/** 24 products (6 per type) whose img_500x500 is `${imageBase}/<id>.png`. */
export function clipCatalogue(imageBase: string): ClipCatalogue {
  const products: Record<string, string>[] = [];
  const images = new Map<string, RgbImage>();
  let n = 0;
  for (const [t, spec] of clipTypes.entries()) {
    for (let i = 0; i < 6; i++) {
      const id = `p${100 + n}`;
      const p: Record<string, string> = {
        id,
        title: `${spec.titles[i % 3]} ${i}`,
        supplier: suppliers[(t + i) % 4]!,
        attr_t_product_type: spec.type,
        img_500x500: `${imageBase}/${id}.png`,
      };
      products.push(p);
      images.set(id, typeImage(spec.rgb, 1000 + n));
      n++;
    }
  }
  const noFieldId = products[5]!.id;
  delete products[5]!.img_500x500;
  images.delete(noFieldId);
  const missingId = products[11]!.id;
  images.delete(missingId);
  const lines = ['query,docid,rating'];
  const queries = ['gaming mouse pad', 'game pad', 'microsoft office', 'laptop'];
  products.forEach((p, i) => {
    const t = Math.floor(i / 6);
    lines.push(`${queries[t]},${p.id},3`);
    lines.push(`${queries[(t + 1) % 4]},${p.id},0`);
  });
  return { products, judgmentsCsv: lines.join('\n') + '\n', images, missingId, noFieldId };
}

export function clipLabData(c: ClipCatalogue): LabData {
  return {
    corpus: [{ name: 'clip-catalogue.json', bytes: new TextEncoder().encode(JSON.stringify(c.products)) }],
    template: '{title} {supplier}',
    judgments: { name: 'clip-judgments.csv', text: c.judgmentsCsv },
  };
}

/** A LabImageSet over in-memory images: a URL whose image is missing answers like a 404. */
export function memoryImageSet(c: ClipCatalogue, fetched: string[] = []): (r: ResolvedImages) => LabImageSet {
  return (resolved) =>
    new LabImageSet(
      resolved,
      async (key) => {
        fetched.push(key);
        if (!c.images.has(key)) throw new Error(`HTTP 404 for ${resolved.entries.find(([k]) => k === key)?.[1] ?? key}`);
        return { data: new TextEncoder().encode(key), cached: false };
      },
      async (data) => c.images.get(new TextDecoder().decode(data as Uint8Array))!,
    );
}

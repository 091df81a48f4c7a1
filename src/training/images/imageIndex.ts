/**
 * Matches product ids to image files named `<id>.<ext>` and to image URLs in product fields. Both report
 * what did not match (products without an image, files that belong to no product), because a silently
 * smaller image set changes evaluation numbers.
 */

/** Extensions recognised as images, in the order preferred when one id has several files. */
export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'gif'] as const;

export interface ImageFileIndex {
  /** product id -> file name (as listed, e.g. "123.JPG") */
  files: Map<string, string>;
  /** product ids (of those asked for) without an image file, in the order given */
  missing: string[];
  /** image files whose name matches no product id */
  unmatched: string[];
  /** ids with more than one image file: the first by IMAGE_EXTENSIONS order is used */
  duplicates: { id: string; files: string[] }[];
  /** files ignored because their extension is not an image extension (README, .DS_Store, ...) */
  ignored: string[];
}

/** Splits "abc.JPG" into id "abc" and extension "jpg"; null when the extension is not an image one. */
export function imageFileId(fileName: string): { id: string; ext: string } | null {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return null;
  const ext = fileName.slice(dot + 1).toLowerCase();
  if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext)) return null;
  return { id: fileName.slice(0, dot), ext };
}

/**
 * Indexes file names (no directories) against product ids. Ids match case-sensitively (ids are data;
 * "A1" and "a1" may be different products); extensions case-insensitively. Without `productIds` every
 * image file is a key and nothing is missing.
 */
export function indexImageFiles(fileNames: readonly string[], productIds?: readonly string[]): ImageFileIndex {
  const byId = new Map<string, { file: string; rank: number }[]>();
  const ignored: string[] = [];
  for (const file of fileNames) {
    const parsed = imageFileId(file);
    if (!parsed) {
      ignored.push(file);
      continue;
    }
    const list = byId.get(parsed.id) ?? [];
    list.push({ file, rank: (IMAGE_EXTENSIONS as readonly string[]).indexOf(parsed.ext) });
    byId.set(parsed.id, list);
  }
  const wanted = productIds ? new Set(productIds) : null;
  const files = new Map<string, string>();
  const duplicates: { id: string; files: string[] }[] = [];
  const unmatched: string[] = [];
  for (const [id, list] of byId) {
    // Rank, then name, so the choice does not depend on the directory listing order.
    list.sort((a, b) => a.rank - b.rank || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    if (wanted && !wanted.has(id)) {
      unmatched.push(...list.map((e) => e.file));
      continue;
    }
    files.set(id, list[0]!.file);
    if (list.length > 1) duplicates.push({ id, files: list.map((e) => e.file) });
  }
  const missing = productIds ? productIds.filter((id) => !files.has(id)) : [];
  return { files, missing, unmatched: unmatched.sort(), duplicates, ignored };
}

export interface ImageUrlIndex {
  /** product id -> absolute image URL */
  urls: Map<string, string>;
  /** product ids whose field is absent, empty or not a usable URL */
  missing: string[];
}

/**
 * Reads each product's image URL from `field` (Chorus / Icecat corpora carry e.g. img_500x500).
 * Relative URLs resolve against `base` (the page in the browser); anything but http(s), data and blob
 * URLs counts as missing, since fetch could not load it anyway.
 */
export function indexImageUrls(products: readonly { id: string; fields: Record<string, unknown> }[], field: string, base?: string): ImageUrlIndex {
  const urls = new Map<string, string>();
  const missing: string[] = [];
  for (const p of products) {
    const raw = p.fields[field];
    let url: URL | null = null;
    if (typeof raw === 'string' && raw.trim() !== '') {
      try {
        url = new URL(raw.trim(), base);
      } catch {
        url = null;
      }
    }
    if (url && ['http:', 'https:', 'data:', 'blob:'].includes(url.protocol)) urls.set(p.id, url.href);
    else missing.push(p.id);
  }
  return { urls, missing };
}

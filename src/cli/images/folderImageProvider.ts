import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { cachingImageProvider, type CachingProviderOptions } from '../../training/images/cachingImageProvider.ts';
import { preprocessClipImage, type ClipImageConfig } from '../../training/images/clipImageProcessor.ts';
import { indexImageFiles, type ImageFileIndex } from '../../training/images/imageIndex.ts';
import { ImageUnavailableError, throwIfAborted, type ImageProvider } from '../../training/images/imageProvider.ts';
import { decodeImageFile } from './decodeImageFile.ts';

export interface FolderImageProviderOptions extends CachingProviderOptions {
  /** product ids to match; without it every image file in the folder is a key (its name without extension) */
  ids?: string[];
}

/** An ImageProvider over a folder, plus what matching found (missing products, stray files, duplicates). */
export interface FolderImageProvider extends ImageProvider {
  dir: string;
  index: ImageFileIndex;
}

/**
 * Images in `dir` named `<product id>.<jpg|jpeg|png|webp|gif>` (top level only). Listing the folder is the
 * only upfront cost: files are decoded and preprocessed on first use and kept in an LRU. A file that
 * cannot be read or decoded becomes a failure naming the file and the reason; it never throws for the batch.
 */
export async function folderImageProvider(dir: string, config: ClipImageConfig, opts: FolderImageProviderOptions = {}): Promise<FolderImageProvider> {
  const entries = await readdir(dir, { withFileTypes: true });
  // Symlinks are followed when read; directories are skipped (sub-folders are not searched).
  const names = entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
  const index = indexImageFiles(names, opts.ids);
  const keys = opts.ids ? opts.ids.filter((id) => index.files.has(id)) : [...index.files.keys()].sort();
  const load = async (key: string, signal?: AbortSignal): Promise<Float32Array> => {
    throwIfAborted(signal);
    const file = path.join(dir, index.files.get(key)!);
    try {
      return preprocessClipImage(await decodeImageFile(file), config);
    } catch (e) {
      // decodeImageFile's message already names the file; anything else gets it here.
      const msg = e instanceof Error ? e.message : String(e);
      throw new ImageUnavailableError(key, msg.includes(file) ? msg : `${file}: ${msg}`);
    }
  };
  return { ...cachingImageProvider(keys, load, opts), dir, index };
}

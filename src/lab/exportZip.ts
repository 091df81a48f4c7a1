/** The export folder as one zip (fflate): what the "Download" button saves and Chorus / sentence-transformers load once unzipped. */
import { strToU8, zipSync, type Zippable } from 'fflate';
import { emptyModuleDirs, type ModelFiles } from '../training/export/modelFiles.ts';

export function zipModelFiles(files: ModelFiles, folder = ''): Uint8Array {
  const prefix = folder ? `${folder.replace(/\/+$/, '')}/` : '';
  const entries: Zippable = {};
  for (const [name, content] of files) {
    const bytes = typeof content === 'string' ? strToU8(content) : content;
    // safetensors / onnx hardly compress; storing them keeps zipping a large model fast
    entries[prefix + name] = [bytes, { level: /\.(safetensors|onnx)$/.test(name) ? 0 : 6 }];
  }
  // sentence-transformers expects module folders such as 2_Normalize to exist even when empty
  for (const dir of emptyModuleDirs(files)) entries[`${prefix}${dir}/`] = new Uint8Array(0);
  return zipSync(entries);
}

/**
 * Dropout masks from a counter-based hash: element i of a site's mask is a pure function of (site seed, i).
 * The same function runs here (cpu, wasm, webgl: the mask is built in JS and uploaded) and inside the
 * WebGPU kernels (WGSL below, nothing uploaded), so every backend draws bit-identical masks, a
 * checkpointed layer can regenerate them in its backward pass, and a resumed run draws the same ones.
 * The hash is PCG-RXS-M-XS (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020), applied twice.
 */

/** 32-bit PCG hash; every step is exact u32 arithmetic in JS and in WGSL. */
export function pcgHash(v: number): number {
  const s = (Math.imul(v, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** A site seed as the u32 the hash mixes in: numbers by value, strings (`"seed:site"`) by FNV-1a, none at random. */
export function seedMix(seed: number | string | undefined): number {
  if (seed === undefined) return pcgHash((Math.random() * 0x100000000) >>> 0);
  if (typeof seed === 'number') return pcgHash(seed >>> 0);
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return pcgHash(h);
}

/** Elements whose 24-bit draw is below this are dropped; an integer compare is exact on every backend. */
export function dropThreshold(rate: number): number {
  return Math.ceil(rate * 0x1000000);
}

/** torch's inverted dropout scale, as the float32 every backend multiplies by. */
export function keepScale(rate: number): number {
  return Math.fround(1 / (1 - rate));
}

/** The scaled mask (0 or 1/(1 - rate)) of `n` elements for one dropout site. */
export function dropoutMask(mix: number, n: number, rate: number): Float32Array {
  const out = new Float32Array(n);
  const threshold = dropThreshold(rate);
  const scale = keepScale(rate);
  for (let i = 0; i < n; i++) out[i] = pcgHash((pcgHash(i) ^ mix) >>> 0) >>> 8 >= threshold ? scale : 0;
  return out;
}

/** The same hash in WGSL: `dropKeep(i, mix, threshold)` is true when element i survives. */
export const dropoutWgsl = `
fn pcgHash(v : u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}
fn dropKeep(i : u32, mix : u32, threshold : u32) -> bool {
  return (pcgHash(pcgHash(i) ^ mix) >> 8u) >= threshold;
}
`;

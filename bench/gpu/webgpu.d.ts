// The `webgpu` npm package (Dawn for Node) is fetched by bench/gpu/build.sh, not installed: it is 51 MB and only
// the GPU check needs it. Its API as used here:
declare module 'webgpu' {
  export function create(flags: string[]): GPU;
  export const globals: Record<string, unknown>;
}

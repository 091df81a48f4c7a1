/**
 * WGSL of WebGpuAdamW. stats: [loss, grad norm, clip coefficient, 1 if this step updates, latched non-finite].
 * segments: one (offset, size, flags, 0) per parameter, sorted by offset; flags bit 0 weight decay, bit 1 has a
 * gradient this step.
 */
const uniforms = `
struct Uniforms {
  decayFactor : f32, oneMinusB1 : f32, b2 : f32, oneMinusB2 : f32,
  bc2Sqrt : f32, eps : f32, stepSize : f32, maxNorm : f32,
  total : u32, segments : u32,
};
`;

const finite = `fn finite(x : f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;

const reduce = `
var<workgroup> lanes : array<f32, 256>;
fn laneSum(v : f32, li : u32) -> f32 {
  lanes[li] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (li < s) { lanes[li] = lanes[li] + lanes[li + s]; }
    workgroupBarrier();
  }
  return lanes[0];
}
`;

export function adamWShaders(workgroups: number) {
  return {
    partials: `${uniforms}${reduce}
@group(0) @binding(0) var<storage, read> g : array<f32>;
@group(0) @binding(1) var<storage, read_write> partials : array<f32>;
@group(0) @binding(2) var<uniform> u : Uniforms;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg : vec3<u32>, @builtin(local_invocation_index) li : u32) {
  var s = 0.0;
  for (var i = wg.x * 256u + li; i < u.total; i += ${workgroups}u * 256u) { let x = g[i]; s += x * x; }
  let total = laneSum(s, li);
  if (li == 0u) { partials[wg.x] = total; }
}`,
    norm: `${uniforms}${reduce}${finite}
@group(0) @binding(0) var<storage, read> partials : array<f32>;
@group(0) @binding(1) var<storage, read_write> stats : array<f32>;
@group(0) @binding(2) var<uniform> u : Uniforms;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) li : u32) {
  let total = laneSum(select(0.0, partials[min(li, ${workgroups - 1}u)], li < ${workgroups}u), li);
  if (li == 0u) {
    let norm = sqrt(total);
    let ok = finite(stats[0]) && finite(norm) && stats[4] == 0.0;
    let c = u.maxNorm / (norm + 1e-6);
    stats[1] = norm;
    stats[2] = select(1.0, c, u.maxNorm > 0.0 && c < 1.0);
    stats[3] = select(0.0, 1.0, ok);
    if (!ok) { stats[4] = 1.0; }
  }
}`,
    // torch AdamW (single tensor, amsgrad off) in AdamW.step's operation order
    update: `${uniforms}
@group(0) @binding(0) var<storage, read_write> p : array<f32>;
@group(0) @binding(1) var<storage, read> g : array<f32>;
@group(0) @binding(2) var<storage, read_write> m : array<f32>;
@group(0) @binding(3) var<storage, read_write> v : array<f32>;
@group(0) @binding(4) var<storage, read> stats : array<f32>;
@group(0) @binding(5) var<storage, read> segments : array<vec4<u32>>;
@group(0) @binding(6) var<uniform> u : Uniforms;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>) {
  if (stats[3] != 1.0) { return; }
  let coef = stats[2];
  for (var i = gid.x; i < u.total; i += nwg.x * 256u) {
    var lo = 0u;
    var hi = u.segments - 1u;
    while (lo < hi) {
      let mid = (lo + hi + 1u) / 2u;
      if (segments[mid].x <= i) { lo = mid; } else { hi = mid - 1u; }
    }
    let flags = segments[lo].z;
    if ((flags & 2u) == 0u) { continue; }
    let gi = g[i] * coef;
    var w = p[i];
    if ((flags & 1u) != 0u) { w = w * u.decayFactor; }
    let mi = m[i] + (gi - m[i]) * u.oneMinusB1;
    let vi = v[i] * u.b2 + gi * gi * u.oneMinusB2;
    let denom = sqrt(vi) / u.bc2Sqrt + u.eps;
    p[i] = w - (mi / denom) * u.stepSize;
    m[i] = mi;
    v[i] = vi;
  }
}`,
  };
}

import { dataTypeOf, onnx, type ElemType, type OnnxTypes } from './proto.ts';
import { floatTensor, int64Tensor } from './tensors.ts';

export type Dim = number | string;

/** A typed attribute value; ONNX distinguishes int from float, which a bare JS number cannot. */
export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
};

const AttrType = onnx.AttributeProto.AttributeType;

function encodeAttr(name: string, a: AttrValue): OnnxTypes.IAttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: AttrType.INT, i: a.value };
    case 'float':
      return { name, type: AttrType.FLOAT, f: a.value };
    case 'ints':
      return { name, type: AttrType.INTS, ints: a.value };
    case 'floats':
      return { name, type: AttrType.FLOATS, floats: a.value };
    case 'string':
      return { name, type: AttrType.STRING, s: new TextEncoder().encode(a.value) };
  }
}

export function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: dataTypeOf(type),
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface ModelOptions {
  opsetVersion: number;
  irVersion: number;
  producerName: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/**
 * Builds an ONNX graph in topological order: every node input must already be a graph input,
 * initializer or earlier node output, and every tensor name is defined once, so the result satisfies
 * the checker's SSA and ordering rules by construction.
 */
export class OnnxGraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly valueInfos: OnnxTypes.IValueInfoProto[] = [];
  private readonly defined = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;
  /** Prefix for generated node and tensor names (e.g. `encoder.layer.0/attention`), for readable graphs. */
  scope = '';

  constructor(readonly name: string) {}

  private define(name: string): string {
    if (!name) throw new Error('ONNX graph: empty tensor name');
    if (this.defined.has(name)) throw new Error(`ONNX graph: tensor "${name}" is defined twice`);
    this.defined.add(name);
    return name;
  }

  private fresh(base: string): string {
    const stem = this.scope ? `${this.scope}/${base}` : base;
    let name = `${stem}_${this.counter++}`;
    while (this.defined.has(name) || this.nodeNames.has(name)) name = `${stem}_${this.counter++}`;
    return name;
  }

  has(name: string): boolean {
    return this.defined.has(name);
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return this.define(name);
  }

  /** Declares a graph output; the tensor must already be produced. */
  output(name: string, type: ElemType, dims: readonly Dim[]): void {
    if (!this.defined.has(name)) throw new Error(`ONNX graph: output "${name}" is not produced by any node`);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Optional shape/type annotation for an intermediate tensor. */
  annotate(name: string, type: ElemType, dims: readonly Dim[]): void {
    if (!this.defined.has(name)) throw new Error(`ONNX graph: cannot annotate unknown tensor "${name}"`);
    this.valueInfos.push(valueInfo(name, type, dims));
  }

  floatInitializer(name: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    this.initializers.push(floatTensor(name, data, dims));
    return this.define(name);
  }

  int64Initializer(name: string, values: readonly number[], dims: readonly number[]): string {
    this.initializers.push(int64Tensor(name, values, dims));
    return this.define(name);
  }

  /** A shared constant initializer (deduplicated by type, shape and value); `dims` [] makes a scalar. */
  constant(type: 'float32' | 'int64', values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `${type}:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = `const_${type}_${this.constants.size}`;
    if (type === 'float32') this.floatInitializer(name, values, dims);
    else this.int64Initializer(name, values, dims);
    this.constants.set(key, name);
    return name;
  }

  /** Adds a node with one output and returns the output name (generated unless `outName` is given). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outName?: string): string {
    return this.opMulti(opType, inputs, 1, attrs, outName ? [outName] : undefined)[0]!;
  }

  opMulti(opType: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}, outNames?: string[]): string[] {
    for (const i of inputs) {
      // '' marks an omitted optional input in ONNX.
      if (i !== '' && !this.defined.has(i)) throw new Error(`ONNX graph: ${opType} input "${i}" is used before it is defined`);
    }
    const nodeName = this.fresh(opType);
    this.nodeNames.add(nodeName);
    const out = outNames ?? Array.from({ length: outputs }, (_, k) => `${nodeName}_out${k}`);
    for (const o of out) this.define(o);
    this.nodes.push({
      name: nodeName,
      opType,
      domain: '',
      input: inputs,
      output: out,
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)),
    });
    return out;
  }

  toModel(opts: ModelOptions): OnnxTypes.IModelProto {
    if (!this.outputs.length) throw new Error('ONNX graph: no outputs declared');
    return {
      irVersion: opts.irVersion,
      producerName: opts.producerName,
      producerVersion: opts.producerVersion ?? '',
      docString: opts.docString ?? '',
      opsetImport: [{ domain: '', version: opts.opsetVersion }],
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
        valueInfo: this.valueInfos,
      },
    };
  }

  serialize(opts: ModelOptions): Uint8Array {
    return onnx.ModelProto.encode(this.toModel(opts)).finish();
  }
}

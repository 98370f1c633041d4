/**
 * Makes the batch dimension of an exported ONNX graph dynamic, in memory, so that several frames can run in one
 * `session.run`. Exporters often freeze batch = 1 twice: in the graph's input/output shapes and in the constant
 * target shapes of `Reshape` nodes (`[1, 85, -1]`). Both are rewritten: dim 0 of every graph input and output becomes
 * the symbolic `batch`, and a leading 1 of a Reshape target constant becomes 0 ("copy dim 0 of the input", which is
 * the batch). Weights are untouched; the model file on disk (and its SHA-256) stays as published.
 *
 * The ONNX file is a protobuf ModelProto. Only the few messages on the path to those fields are decoded and
 * re-encoded (with their new lengths); every other byte, including unknown fields, is copied as it was.
 */

/** ModelProto / GraphProto / NodeProto / TensorProto / ValueInfoProto field numbers (onnx/onnx.proto3). */
const F = {
  model: { graph: 7 },
  graph: { node: 1, initializer: 5, input: 11, output: 12 },
  node: { input: 1, opType: 4 },
  tensor: { dims: 1, dataType: 2, int64Data: 7, name: 8, rawData: 9 },
  valueInfo: { name: 1, type: 2 },
  type: { tensorType: 1 },
  tensorType: { shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
} as const;
const INT64 = 7;

export class OnnxPatchError extends Error {
  readonly code = 'IOCV_MODEL_PATCH_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'OnnxPatchError';
  }
}

interface Field {
  no: number;
  wire: number;
  /** Payload: the varint/fixed bytes, or the bytes inside a length-delimited field. */
  data: Uint8Array;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new OnnxPatchError('truncated varint');
    const b = buf[pos++]!;
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [v, pos];
    shift += 7n;
  }
}

function writeVarint(v: bigint): Uint8Array {
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Uint8Array.from(out);
}

function parse(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    let end: number;
    let start = p1;
    if (wire === 0) end = readVarint(buf, p1)[1];
    else if (wire === 1) end = p1 + 8;
    else if (wire === 5) end = p1 + 4;
    else if (wire === 2) {
      const [len, p2] = readVarint(buf, p1);
      start = p2;
      end = p2 + Number(len);
    } else throw new OnnxPatchError(`unsupported protobuf wire type ${wire}`);
    if (end > buf.length) throw new OnnxPatchError('truncated protobuf field');
    fields.push({ no, wire, data: buf.subarray(start, end) });
    pos = end;
  }
  return fields;
}

function serialize(fields: readonly Field[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    parts.push(writeVarint((BigInt(f.no) << 3n) | BigInt(f.wire)));
    if (f.wire === 2) parts.push(writeVarint(BigInt(f.data.length)));
    parts.push(f.data);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** Rewrites the length-delimited subfields numbered `no` of a message through `fn` (null = unchanged). */
function mapSub(msg: Uint8Array, no: number, fn: (data: Uint8Array, index: number) => Uint8Array | null): { bytes: Uint8Array; changed: number } {
  const fields = parse(msg);
  let changed = 0;
  let index = 0;
  for (const f of fields) {
    if (f.no !== no || f.wire !== 2) continue;
    const next = fn(f.data, index++);
    if (next) {
      f.data = next;
      changed++;
    }
  }
  return { bytes: changed ? serialize(fields) : msg, changed };
}

/** ValueInfoProto with a fixed dim 0 → the same with dim 0 = `batch`; null when dim 0 is already symbolic. */
function dynamicDim0(valueInfo: Uint8Array): Uint8Array | null {
  let done = false;
  const r = mapSub(valueInfo, F.valueInfo.type, (type) =>
    mapSub(type, F.type.tensorType, (tt) =>
      mapSub(tt, F.tensorType.shape, (shape) =>
        mapSub(shape, F.shape.dim, (dim, i) => {
          if (i !== 0) return null;
          const fields = parse(dim);
          const value = fields.find((f) => f.no === F.dim.value);
          // Only a frozen batch of 1; symbolic or unknown dims are dynamic already.
          if (!value || readVarint(value.data, 0)[0] !== 1n) return null;
          done = true;
          const kept = fields.filter((f) => f.no !== F.dim.value && f.no !== F.dim.param);
          return serialize([{ no: F.dim.param, wire: 2, data: Buffer.from('batch') }, ...kept]);
        }).bytes,
      ).bytes,
    ).bytes,
  );
  return done ? r.bytes : null;
}

/** An int64 Reshape-target TensorProto whose first value is 1 → the same with 0 there; null otherwise. */
function copyBatchDim(tensor: Uint8Array): Uint8Array | null {
  const fields = parse(tensor);
  const type = fields.find((f) => f.no === F.tensor.dataType);
  if (!type || Number(readVarint(type.data, 0)[0]) !== INT64) return null;
  const raw = fields.find((f) => f.no === F.tensor.rawData);
  if (raw) {
    if (raw.data.length < 8) return null;
    const first = Buffer.from(raw.data).readBigInt64LE(0);
    if (first !== 1n) return null;
    const copy = Buffer.from(raw.data);
    copy.writeBigInt64LE(0n, 0);
    raw.data = copy;
    return serialize(fields);
  }
  const packed = fields.find((f) => f.no === F.tensor.int64Data && f.wire === 2);
  if (packed && packed.data[0] === 1) {
    const copy = Uint8Array.from(packed.data);
    copy[0] = 0; // varint 1 → varint 0: same length
    packed.data = copy;
    return serialize(fields);
  }
  return null;
}

export interface DynamicBatchPatch {
  model: Uint8Array;
  /** Graph inputs/outputs whose dim 0 became symbolic. */
  ioChanged: number;
  /** Reshape target constants whose leading 1 became 0. */
  reshapesChanged: number;
}

/** See the file comment. Throws OnnxPatchError when the bytes are not an ONNX model with a graph. */
export function makeBatchDynamic(model: Uint8Array): DynamicBatchPatch {
  const top = parse(model);
  const graphField = top.find((f) => f.no === F.model.graph && f.wire === 2);
  if (!graphField) throw new OnnxPatchError('not an ONNX model: no graph');
  const graph = parse(graphField.data);
  // Names of the constant shape inputs of Reshape nodes (input 1 of each).
  const reshapeTargets = new Set<string>();
  for (const f of graph) {
    if (f.no !== F.graph.node || f.wire !== 2) continue;
    const node = parse(f.data);
    const op = node.find((n) => n.no === F.node.opType);
    if (!op || text(op.data) !== 'Reshape') continue;
    const inputs = node.filter((n) => n.no === F.node.input);
    if (inputs[1]) reshapeTargets.add(text(inputs[1].data));
  }
  // Older exports list the weights among the graph inputs too: those keep their shapes.
  const initializers = new Set<string>();
  for (const f of graph) {
    if (f.no !== F.graph.initializer || f.wire !== 2) continue;
    const name = parse(f.data).find((t) => t.no === F.tensor.name);
    if (name) initializers.add(text(name.data));
  }
  let ioChanged = 0;
  for (const f of graph) {
    if (f.wire !== 2 || (f.no !== F.graph.input && f.no !== F.graph.output)) continue;
    const name = parse(f.data).find((v) => v.no === F.valueInfo.name);
    if (name && initializers.has(text(name.data))) continue;
    const next = dynamicDim0(f.data);
    if (next) {
      f.data = next;
      ioChanged++;
    }
  }
  // A graph whose batch was never frozen keeps its Reshape constants: a leading 1 there means something else.
  let reshapesChanged = 0;
  for (const f of graph) {
    if (!ioChanged || f.no !== F.graph.initializer || f.wire !== 2) continue;
    const name = parse(f.data).find((t) => t.no === F.tensor.name);
    if (!name || !reshapeTargets.has(text(name.data))) continue;
    const next = copyBatchDim(f.data);
    if (next) {
      f.data = next;
      reshapesChanged++;
    }
  }
  if (!ioChanged && !reshapesChanged) return { model, ioChanged, reshapesChanged };
  graphField.data = serialize(graph);
  return { model: serialize(top), ioChanged, reshapesChanged };
}

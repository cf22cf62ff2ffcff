/**
 * Fresh byte buffers, left unzeroed where the runtime can skip that (Node's and Bun's
 * Buffer), for buffers whose every byte is written before it is read: the writer's (padding
 * included, as it must be anyway for a writer that is reused) and the frame splitter's.
 * Zeroing the buffers of a volume transfer cost about as much as copying the data. The result
 * is a plain Uint8Array view, so `slice()` still copies (Buffer's `slice()` would not).
 */
type BufferLike = { allocUnsafeSlow(n: number): Uint8Array };
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

export function allocBytes(n: number): Uint8Array {
  if (!NodeBuffer) return new Uint8Array(n);
  const b = NodeBuffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

export { XdrError, XdrEncodeError, XdrDecodeError } from './errors.js';
export { XdrWriter } from './writer.js';
export { XdrReader } from './reader.js';
export { type Codec, encodeValue, decodeValue } from './codec.js';

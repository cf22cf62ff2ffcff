export { XdrError, XdrEncodeError, XdrDecodeError } from './errors.js';
export { XdrWriter } from './writer.js';
export { XdrReader } from './reader.js';
export { type Codec, encodeValue, decodeValue } from './codec.js';
export {
  type TypedParamType,
  type TypedParamValue,
  type TypedParams,
  type TypedParamExplicit,
  type TypedParamsInput,
  type WireTypedParam,
  typedParamTypes,
  recordsWithTypedParams,
  typedParamsFromWire,
  typedParamsToWire,
  cStringFromChars,
} from './typed-params.js';
export {
  type ProcedureInfo,
  type ProgramInfo,
  type CallOptions,
  type Unwrap,
  type ProcedureCaller,
  type StreamCaller,
  defineProgram,
} from './procedure.js';

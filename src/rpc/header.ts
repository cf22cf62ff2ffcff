/** The 24-byte message header that follows each frame's length word. */

/** virNetMessageType */
export const enum MessageType {
  CALL = 0,
  REPLY = 1,
  MESSAGE = 2,
  STREAM = 3,
  CALL_WITH_FDS = 4,
  REPLY_WITH_FDS = 5,
  STREAM_HOLE = 6,
}

/** virNetMessageStatus */
export const enum MessageStatus {
  OK = 0,
  ERROR = 1,
  CONTINUE = 2,
}

export interface MessageHeader {
  prog: number;
  vers: number;
  proc: number;
  type: number;
  serial: number;
  status: number;
}

/** Offset of the payload within a frame. */
export const PAYLOAD_OFFSET = 28;

export function readHeader(view: DataView, frameOffset: number): MessageHeader {
  return {
    prog: view.getUint32(frameOffset + 4),
    vers: view.getUint32(frameOffset + 8),
    proc: view.getInt32(frameOffset + 12),
    type: view.getInt32(frameOffset + 16),
    serial: view.getUint32(frameOffset + 20),
    status: view.getInt32(frameOffset + 24),
  };
}

export function writeHeader(view: DataView, frameOffset: number, length: number, h: MessageHeader): void {
  view.setUint32(frameOffset, length);
  view.setUint32(frameOffset + 4, h.prog);
  view.setUint32(frameOffset + 8, h.vers);
  view.setInt32(frameOffset + 12, h.proc);
  view.setInt32(frameOffset + 16, h.type);
  view.setUint32(frameOffset + 20, h.serial);
  view.setInt32(frameOffset + 24, h.status);
}

const TYPE_NAMES = ['CALL', 'REPLY', 'MESSAGE', 'STREAM', 'CALL_WITH_FDS', 'REPLY_WITH_FDS', 'STREAM_HOLE'];
const STATUS_NAMES = ['OK', 'ERROR', 'CONTINUE'];

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `status ${status}`;
}

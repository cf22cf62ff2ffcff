/**
 * The wire trace: one entry per frame with names instead of numbers. It describes headers
 * and sizes only, never payloads, so credentials cannot leak into it.
 */
import type { ProcedureInfo, ProgramInfo } from '../xdr/index.js';
import { type MessageHeader, statusName, typeName } from './header.js';

export interface TraceEntry {
  /** Milliseconds since the epoch. */
  time: number;
  direction: 'send' | 'recv';
  program: string;
  procedure: string;
  serial: number;
  type: string;
  status: string;
  /** Frame size in bytes, length word included. */
  size: number;
}

export function describeFrame(
  direction: 'send' | 'recv',
  h: MessageHeader,
  size: number,
  programs: ReadonlyMap<number, ProgramInfo>,
): TraceEntry {
  const program = programs.get(h.prog);
  return {
    time: Date.now(),
    direction,
    program: program?.name ?? `0x${h.prog.toString(16)}`,
    procedure: program?.byNumber.get(h.proc)?.name ?? String(h.proc),
    serial: h.serial,
    type: typeName(h.type),
    status: statusName(h.status),
    size,
  };
}

/** One line per entry, as `--debug` prints it. */
export function formatTrace(e: TraceEntry): string {
  const t = new Date(e.time).toISOString().slice(11, 23);
  return `${t} ${e.direction === 'send' ? '->' : '<-'} ${e.program} ${e.procedure} serial=${e.serial} ${e.type} ${e.status} ${e.size}B`;
}

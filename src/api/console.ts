/**
 * Interactive console attach, as `virsh console` does it: the terminal goes raw, keys go to
 * the guest, the guest's output to the terminal, and Ctrl-] (0x1d) leaves.
 */
import type { LibvirtStream } from './stream.js';

/** The escape key that detaches, as in virsh. */
export const CONSOLE_ESCAPE = 0x1d;

/** What attach needs of the terminal: Node's process.stdin/stdout fit. */
export interface ConsoleInput {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  off(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  resume?(): unknown;
  pause?(): unknown;
}

export interface ConsoleOutput {
  write(chunk: Uint8Array): unknown;
}

/**
 * Resolves when the user presses Ctrl-] or the console ends; aborts the stream on detach.
 *
 * @example
 * ```ts
 * const { stream } = await conn.openStream(remoteProcedures.domainOpenConsole, { dom, dev_name: null, flags: 0 });
 * await attachConsole(stream, process.stdin, process.stdout);
 * ```
 */
export async function attachConsole(stream: LibvirtStream, input: ConsoleInput, output: ConsoleOutput): Promise<'detached' | 'ended'> {
  const raw = input.isTTY && input.setRawMode;
  if (raw) input.setRawMode!(true);
  let detach!: () => void;
  const detached = new Promise<'detached'>((resolve) => (detach = () => resolve('detached')));
  const onData = (chunk: Uint8Array) => {
    const at = chunk.indexOf(CONSOLE_ESCAPE);
    const keys = at < 0 ? chunk : chunk.subarray(0, at);
    if (keys.length) void stream.write(keys).catch(detach);
    if (at >= 0) detach();
  };
  input.on('data', onData);
  input.resume?.();
  const pump = (async () => {
    for await (const chunk of stream.chunks()) output.write(chunk);
    return 'ended' as const;
  })().catch(() => 'ended' as const);
  try {
    const how = await Promise.race([detached, pump]);
    if (how === 'detached') await stream.abort();
    return how;
  } finally {
    input.off('data', onData);
    input.pause?.();
    if (raw) input.setRawMode!(false);
  }
}

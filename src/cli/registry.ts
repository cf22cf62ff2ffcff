/**
 * What a command module needs to add its commands to the program: the program itself, `act`
 * (connect, run the work, print its text or virsh's error, close), and the terminal the
 * command runs on. Each module of src/cli/ exports a `register(r: Registry)`; main.ts calls
 * them in turn, so adding a family of commands touches one line there.
 */
import type { Command } from 'commander';
import type { Context } from './commands.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal (progress bars are drawn only then). */
  isTTY?: boolean;
  /** Where progress bars are drawn (default: the process's stderr). */
  progressStream?: NodeJS.WritableStream;
  /** Where answers to virsh's prompts come from (default: the process's stdin). */
  stdin?: NodeJS.ReadableStream;
  /**
   * The stream behind `stdout`, for a command that draws on the terminal itself (`top`'s
   * full-screen view, only when this is a terminal; its size is read from it).
   */
  stdoutStream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
}

export interface Registry {
  program: Command;
  /** Runs `work` on a fresh connection and prints its result; failures set exit status 1. */
  act(work: (c: Context) => Promise<string>): Promise<void>;
  io: CliIo;
  /** The hosts of fleet mode (`-c` more than once, `--hosts`), for commands that run on a fleet themselves. */
  hosts(): string[];
  /** For commands that need no connection: prints `error: message` and sets exit status 1. */
  fail(message: string): void;
}

export interface AffectOptions {
  config?: boolean;
  live?: boolean;
  current?: boolean;
}

/** virsh's `--config --live --current` on a command that changes a domain. */
export const affectOptions = (command: Command): Command =>
  command.option('--config', 'affect next boot').option('--live', 'affect running domain').option('--current', 'affect current domain');

/**
 * A command that fails after printing its report, as some of virsh's do (`events received: 0`,
 * `Copy aborted`, an incompatible CPU, a console that is not there): main.ts prints `stdout` as
 * it is, then `stderr` (whole lines, already led by `error: ` where virsh prints one), and
 * exits 1 with no `error:` line or closing blank line of its own.
 */
export class FailureReport extends Error {
  constructor(
    readonly stdout: string,
    readonly stderr = '',
    /** What fleet mode reports for the host (it prints no per-host report). */
    message = stderr.replace(/^error: /, '').split('\n')[0] || 'the command failed after printing its report',
  ) {
    super(message);
  }
}

/**
 * Fleet mode, beyond virsh: one command on every host given with `-c` more than once or with
 * `--hosts FILE`. Every host is opened read-only, so a command that changes state is refused
 * by each daemon rather than run on a whole fleet by accident. Commands run with their JSON
 * output, which this module turns into one table with a leading host column, or one JSON line
 * per host.
 */
import type { ConnectOptions } from '../api/connect.js';
import { Fleet, type HostResult } from '../api/fleet.js';
import { LibvirtError } from '../errors.js';
import type { Context } from './commands.js';
import { table, toJson } from './format.js';
import type { CliIo } from './registry.js';

/** Hosts dialed and asked at once. */
export const FLEET_CONCURRENCY = 8;

/** A command's output as a value: its JSON parsed, or its text when it printed no JSON. */
function outputValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.replace(/\n+$/, '');
  }
}

function errorValue(error: Error): Record<string, unknown> {
  if (error instanceof LibvirtError) return { message: error.message, code: error.codeName, domain: error.domainName };
  return { message: error.message };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * One table for every host's result: a list of records gives a row per record, a record a row
 * per host, each led by its host; columns are the fields in the order they first appear.
 * Results of any other shape (XML, text) are printed per host under a `host:` line.
 */
export function fleetTable(results: { uri: string; value: unknown }[]): string {
  const rows: { uri: string; record: Record<string, unknown> }[] = [];
  for (const { uri, value } of results) {
    if (Array.isArray(value) && value.every(isRecord)) rows.push(...value.map((record) => ({ uri, record })));
    else if (isRecord(value)) rows.push({ uri, record: value });
    else return results.map(({ uri, value }) => `${uri}:\n${typeof value === 'string' ? value : toJson(value)}\n\n`).join('');
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.record)))];
  return table(['Host', ...columns], rows.map((r) => [r.uri, ...columns.map((k) => cell(r.record[k]))]));
}

/**
 * Runs `work` on every host, {@link FLEET_CONCURRENCY} at a time, and prints the results
 * (a table, or with `json` one `{"host", "result"}` or `{"host", "error"}` line per host in the
 * order given). Resolves with whether every host succeeded; a host's failure is printed as
 * `error: URI: message` on stderr.
 *
 * @example
 * ```ts
 * const ok = await runOnFleet(['qemu+ssh://a/system', 'qemu+ssh://b/system'], (c) => list(c, { all: true }), io, { json: false, connection: {} });
 * ```
 */
export async function runOnFleet(
  uris: string[],
  work: (c: Context) => Promise<string>,
  io: CliIo,
  opts: { json: boolean; connection: ConnectOptions },
): Promise<boolean> {
  const fleet = await Fleet.connect(uris, { concurrency: FLEET_CONCURRENCY, connection: { ...opts.connection, readonly: true, reconnect: false } });
  let results: HostResult<unknown>[];
  try {
    results = await fleet.map(async (conn, uri) => outputValue(await work({ conn, uri, json: true })));
  } finally {
    await fleet.close();
  }
  if (opts.json) {
    for (const r of results) io.stdout(JSON.stringify(r.ok ? { host: r.uri, result: r.value } : { host: r.uri, error: errorValue(r.error) }) + '\n');
  } else {
    for (const r of results) if (!r.ok) io.stderr(`error: ${r.uri}: ${r.error.message}\n`);
    const ok = results.filter((r): r is HostResult<unknown> & { ok: true } => r.ok);
    if (ok.length) io.stdout(fleetTable(ok.map((r) => ({ uri: r.uri, value: r.value }))));
  }
  return results.every((r) => r.ok);
}

/**
 * Type tests for the handle face, checked by `npm run typecheck` (tsc over test/): each
 * `@ts-expect-error` must meet an error, so a type that stops guarding fails CI. Never run.
 */
import type { Connection, Domain, DomainState, DomainXMLFlagsOptions, StorageVolume, TypedParams } from '../../src/index.js';

export async function optionTypes(conn: Connection, dom: Domain): Promise<void> {
  await dom.getXMLDesc({ inactive: true, secure: true, signal: AbortSignal.timeout(1000) });
  await dom.getXMLDesc(3);
  await dom.getXMLDesc({ flags: 0x10, timeoutMs: 5 });
  // @ts-expect-error an option getXMLDesc's flag enum does not have
  await dom.getXMLDesc({ inactiv: true });
  // @ts-expect-error options are booleans
  await dom.getXMLDesc({ inactive: 1 });
  // @ts-expect-error a list flag is not an XML flag
  await dom.getXMLDesc({ active: true });
  await conn.domains.listAll({ active: true, persistent: true });
  // @ts-expect-error an XML flag is not a list flag
  await conn.domains.listAll({ inactive: true, secure: true });
  const flags: DomainXMLFlagsOptions = { migratable: true, updateCpu: true };
  void flags;
}

export async function resultTypes(conn: Connection, dom: Domain, vol: StorageVolume): Promise<void> {
  const list: Domain[] = await conn.domains.listAll();
  const active: boolean = await dom.isActive();
  const uuid: string = dom.uuid;
  const { state } = await dom.getState();
  const named: DomainState | number = state;
  // @ts-expect-error a state is a name (or a number newer than the library), never any string
  const wrong: 'runing' = state;
  const stats = await dom.memoryStats();
  const balloon: bigint | undefined = stats.actualBalloon;
  const params: TypedParams = await dom.getMemoryParameters();
  const bytes: bigint = await vol.download('/tmp/x');
  // @ts-expect-error a handle method takes handles, not the wire form's name
  await conn.storagePools.lookupByVolume?.('x');
  // @ts-expect-error lookupByUUID takes a string or 16 bytes
  await conn.domains.lookupByUUID(42);
  void [list, active, uuid, named, wrong, balloon, params, bytes];
}

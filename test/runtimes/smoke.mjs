// The same smoke on every runtime (Node, Bun, Deno), through the package only. For each
// target (one transport: unix, tcp, tls, ssh) it runs a call sweep on the test driver, watches
// lifecycle events of a domain it defines and undefines, and sends a volume up and back down
// through a data stream on the session QEMU driver. Prints one JSON line.
//
// Arguments: what to import (the package's name, from an app that has it installed), then a
// JSON plan:
//   { "prefix": "node", "targets": [{ "label", "testUri", "qemuUri", "poolDir" }] }
const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const { connect, remoteProcedures: P } = await import(args[0]);
const plan = JSON.parse(args[1]);

const VOLUME_BYTES = 3 * 1024 * 1024 + 12345; // not a multiple of the stream chunk
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function sha256(chunks) {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.length) - c.length);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

const namesOf = (list) => list.map((x) => x.name).sort();

/** Read-only calls whose answers the test compares with python3-libvirt's. */
async function sweep(conn) {
  const dom = await conn.domainLookupByName('test');
  const info = await conn.domainGetInfo(dom);
  const node = await conn.nodeGetInfo();
  return {
    type: await conn.connectGetType(),
    version: String(await conn.connectGetVersion()),
    hostname: await conn.connectGetHostname(),
    domains: namesOf((await conn.connectListAllDomains(1, 0)).domains),
    domainInfo: [info.state, String(info.maxMem), info.nrVirtCpu],
    node: [node.model, node.cpus, node.mhz],
    networks: namesOf((await conn.connectListAllNetworks(1, 0)).nets),
    pools: namesOf((await conn.connectListAllStoragePools(1, 0)).pools),
    capabilities: await sha256([new TextEncoder().encode(await conn.connectGetCapabilities())]),
  };
}

/** Defines and undefines a domain; returns the lifecycle events seen for it. */
async function events(conn, name) {
  const seen = [];
  const stop = await conn.subscribe('domain:lifecycle', (e) => {
    if (e.dom.name === name) seen.push(e.event);
  });
  const dom = await conn.domainDefineXML(`<domain type='test'><name>${name}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>`);
  await conn.domainUndefine(dom);
  for (let i = 0; i < 250 && seen.length < 2; i++) await sleep(20);
  await stop();
  return seen;
}

/** Uploads a volume's bytes through a stream, downloads them again, compares the hashes. */
async function volumeStream(uri, poolName, poolDir) {
  const conn = await connect(uri);
  try {
    const pool = await conn.storagePoolCreateXML(`<pool type='dir'><name>${poolName}</name><target><path>${poolDir}</path></target></pool>`, 0);
    const vol = await conn.storageVolCreateXML(pool, `<volume><name>v.raw</name><capacity>${VOLUME_BYTES}</capacity><target><format type='raw'/></target></volume>`, 0);
    const sent = [];
    const up = await conn.openStream(P.storageVolUpload, { vol, offset: 0n, length: BigInt(VOLUME_BYTES), flags: 0 });
    for (let at = 0, seed = 7; at < VOLUME_BYTES; at += 200_000) {
      const chunk = new Uint8Array(Math.min(200_000, VOLUME_BYTES - at));
      for (let i = 0; i < chunk.length; i++) chunk[i] = seed = (seed * 1103515245 + 12345) & 0xff;
      sent.push(chunk);
      await up.stream.write(chunk);
    }
    await up.stream.finish();
    const got = [];
    const down = await conn.openStream(P.storageVolDownload, { vol, offset: 0n, length: 0n, flags: 0 });
    for await (const chunk of down.stream.chunks()) got.push(chunk);
    await conn.storageVolDelete(vol, 0);
    await conn.storagePoolDestroy(pool);
    const [a, b] = [await sha256(sent), await sha256(got)];
    return { bytes: got.reduce((n, c) => n + c.length, 0), sameHash: a === b };
  } finally {
    await conn.close();
  }
}

const out = {};
for (const t of plan.targets) {
  const conn = await connect(t.testUri);
  const result = { sweep: await sweep(conn), events: await events(conn, `${plan.prefix}-${t.label}`) };
  await conn.close();
  result.stream = await volumeStream(t.qemuUri, `${plan.prefix}-${t.label}`, t.poolDir);
  out[t.label] = result;
}
console.log(JSON.stringify(out));

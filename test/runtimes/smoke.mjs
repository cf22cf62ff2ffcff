// The same smoke on every runtime: a unix-socket connection to the test driver, calls, an
// event, close. Prints one JSON line. Arguments: the built library's path and a URI.
const args = typeof Deno !== 'undefined' ? Deno.args : process.argv.slice(2);
const { connect } = await import(args[0]);
const conn = await connect(args[1]);
const out = {
  type: await conn.connectGetType(),
  domains: (await conn.connectListAllDomains(1, 0)).domains.map((d) => d.name),
};
const seen = [];
const stop = await conn.subscribe('domain:lifecycle', (e) => seen.push(e.dom.name));
const dom = await conn.domainDefineXML("<domain type='test'><name>rt</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>");
await conn.domainUndefine(dom);
for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
await stop();
out.events = seen;
await conn.close();
console.log(JSON.stringify(out));

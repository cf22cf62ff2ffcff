/**
 * SCRAM (RFC 5802, RFC 7677) as a SASL client, on WebCrypto so it runs on Node, Deno and Bun.
 * The server's final message is verified: a server that does not know the password cannot
 * pretend to.
 */
const enc = new TextEncoder();
const dec = new TextDecoder();

export type ScramHash = 'SHA-256' | 'SHA-1';

function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(s: string): Uint8Array {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** `=` and `,` are escaped in SCRAM user names. */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

async function hmac(hash: ScramHash, key: Uint8Array, data: string | Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', key as BufferSource, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, (typeof data === 'string' ? enc.encode(data) : data) as BufferSource));
}

async function pbkdf2(hash: ScramHash, password: string, salt: Uint8Array, iterations: number, bits: number): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', enc.encode(password.normalize('NFKC')), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash, salt: salt as BufferSource, iterations }, k, bits));
}

function parseAttributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

export class ScramClient {
  private readonly nonce: string;
  private clientFirstBare = '';
  private serverSignature: Uint8Array | undefined;

  constructor(
    private readonly hash: ScramHash,
    private readonly username: string,
    private readonly password: string,
    nonce?: string,
  ) {
    this.nonce = nonce ?? b64(crypto.getRandomValues(new Uint8Array(18)));
  }

  /** The client-first message. */
  first(): Uint8Array {
    this.clientFirstBare = `n=${saslName(this.username)},r=${this.nonce}`;
    return enc.encode(`n,,${this.clientFirstBare}`);
  }

  /** Answers the server-first message with the client-final one. */
  async final(serverFirstBytes: Uint8Array): Promise<Uint8Array> {
    const serverFirst = dec.decode(serverFirstBytes);
    const a = parseAttributes(serverFirst);
    if (a.has('e')) throw new Error(`the server refused SCRAM: ${a.get('e')}`);
    const nonce = a.get('r');
    const salt = a.get('s');
    const iterations = Number(a.get('i'));
    if (!nonce || !nonce.startsWith(this.nonce) || nonce.length === this.nonce.length) {
      throw new Error('the server answered SCRAM with a nonce that does not extend ours');
    }
    if (!salt || !Number.isInteger(iterations) || iterations < 1) throw new Error(`malformed SCRAM server message '${serverFirst}'`);
    const bits = this.hash === 'SHA-256' ? 256 : 160;
    const salted = await pbkdf2(this.hash, this.password, unb64(salt), iterations, bits);
    const clientKey = await hmac(this.hash, salted, 'Client Key');
    const storedKey = new Uint8Array(await crypto.subtle.digest(this.hash, clientKey as BufferSource));
    const withoutProof = `c=${b64(enc.encode('n,,'))},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = await hmac(this.hash, storedKey, authMessage);
    const proof = clientKey.map((b, i) => b ^ signature[i]!);
    const serverKey = await hmac(this.hash, salted, 'Server Key');
    this.serverSignature = await hmac(this.hash, serverKey, authMessage);
    return enc.encode(`${withoutProof},p=${b64(proof)}`);
  }

  /** Checks the server-final message: proof that the server knows the password too. */
  verify(serverFinalBytes: Uint8Array): void {
    const a = parseAttributes(dec.decode(serverFinalBytes));
    if (a.has('e')) throw new Error(`SCRAM authentication failed: ${a.get('e')}`);
    const v = a.get('v');
    if (!v || !this.serverSignature || b64(this.serverSignature) !== v) {
      throw new Error('the server could not prove it knows the password (SCRAM server signature mismatch)');
    }
  }
}

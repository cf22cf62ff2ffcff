/**
 * The SASL mechanisms this client speaks, behind one small interface: SCRAM-SHA-256,
 * SCRAM-SHA-1, PLAIN and EXTERNAL. Mechanisms are tried in that order of preference among
 * those the server offers, unless the URI forces one (`auth=sasl.MECH`).
 */
import { checkCString } from '../xdr/writer.js';
import { ScramClient } from './scram.js';

export interface Credentials {
  username: string;
  password: string;
}

/** One SASL conversation from the client's side. */
export interface SaslMechanism {
  readonly name: string;
  /** Whether the mechanism sends a secret, which only a protected channel may carry. */
  readonly sendsSecret: boolean;
  /** Initial response (null: none). */
  start(): Promise<Uint8Array | null>;
  /** Answer to a server challenge. */
  step(challenge: Uint8Array): Promise<Uint8Array | null>;
  /** Called when the server says done, with its last data. */
  finish(data: Uint8Array | null): void;
}

export const PREFERENCE = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN', 'EXTERNAL'];

const enc = new TextEncoder();

export function createMechanism(name: string, askCredentials: () => Promise<Credentials>): SaslMechanism {
  // PLAIN separates its fields with NUL, and TextEncoder would turn a lone surrogate into
  // U+FFFD: either would log in with something else than what was given.
  const credentials = async () => {
    const c = await askCredentials();
    checkCString(c.username, 'SASL username');
    checkCString(c.password, 'SASL password');
    return c;
  };
  switch (name) {
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-1': {
      let scram: ScramClient | undefined;
      let round = 0;
      return {
        name,
        sendsSecret: false,
        async start() {
          const c = await credentials();
          scram = new ScramClient(name === 'SCRAM-SHA-256' ? 'SHA-256' : 'SHA-1', c.username, c.password);
          return scram.first();
        },
        async step(challenge) {
          round++;
          if (round === 1) return scram!.final(challenge);
          // The server-final message arrived as a challenge: check it, answer with nothing.
          scram!.verify(challenge);
          return new Uint8Array(0);
        },
        finish(data) {
          if (round === 1) {
            if (!data) throw new Error('the server ended SCRAM without its final message');
            scram!.verify(data);
          }
        },
      };
    }
    case 'PLAIN':
      return {
        name,
        sendsSecret: true,
        async start() {
          const c = await credentials();
          return enc.encode(`\0${c.username}\0${c.password}`);
        },
        async step() {
          throw new Error('the server sent a challenge to PLAIN, which has none');
        },
        finish() {},
      };
    case 'EXTERNAL':
      return {
        name,
        sendsSecret: false,
        async start() {
          return new Uint8Array(0);
        },
        async step() {
          return new Uint8Array(0);
        },
        finish() {},
      };
    default:
      throw new Error(`SASL mechanism ${name} is not supported (this client speaks ${PREFERENCE.join(', ')})`);
  }
}

/** The mechanism to use: the forced one if the server offers it, else the first preferred one offered. */
export function chooseMechanism(offered: string[], forced?: string): string {
  const upper = offered.map((m) => m.toUpperCase());
  if (forced) {
    if (!upper.includes(forced.toUpperCase())) {
      throw new Error(`the server does not offer SASL mechanism ${forced} (it offers ${offered.join(', ') || 'none'})`);
    }
    return forced.toUpperCase();
  }
  const pick = PREFERENCE.find((m) => upper.includes(m));
  if (!pick) throw new Error(`no SASL mechanism in common: the server offers ${offered.join(', ') || 'none'}, this client speaks ${PREFERENCE.join(', ')}`);
  return pick;
}

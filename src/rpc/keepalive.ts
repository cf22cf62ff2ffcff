/**
 * libvirt's keepalive, client side: when nothing has arrived for an interval, send a PING;
 * after `count` such intervals with no traffic at all, the peer is declared dead. Any
 * inbound frame (a PONG, a reply, an event) proves the peer alive.
 */

export interface KeepaliveOptions {
  /** Milliseconds of silence before a PING is sent (libvirt's default is 5 s). */
  intervalMs: number;
  /** Unanswered PINGs tolerated before the connection is declared dead (default 5). */
  count: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveOptions = { intervalMs: 5000, count: 5 };

export class Keepalive {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastReceived = Date.now();
  private unanswered = 0;

  constructor(
    private readonly opts: KeepaliveOptions,
    private readonly sendPing: () => void,
    private readonly onDead: (silentForMs: number) => void,
  ) {
    if (!(opts.intervalMs > 0) || !Number.isInteger(opts.count) || opts.count < 0) {
      throw new RangeError(`keepalive needs intervalMs > 0 and a whole count >= 0, got ${JSON.stringify(opts)}`);
    }
  }

  start(): void {
    if (this.timer) return;
    this.lastReceived = Date.now();
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    // An idle connection's socket keeps the process alive; the timer alone should not.
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called for every inbound frame. */
  received(): void {
    this.lastReceived = Date.now();
    this.unanswered = 0;
  }

  private tick(): void {
    const silent = Date.now() - this.lastReceived;
    // Timers can fire a little early; allow 10% slack so one interval counts as silence.
    if (silent < this.opts.intervalMs * 0.9) return;
    if (this.unanswered >= this.opts.count) {
      this.stop();
      this.onDead(silent);
      return;
    }
    this.unanswered++;
    this.sendPing();
  }
}

/**
 * libvirt's keepalive, client side: when nothing has arrived for an interval, send a PING;
 * after `count` such intervals with no traffic at all, the peer is declared dead. Any
 * inbound frame (a PONG, a reply, an event) proves the peer alive.
 *
 * While reading is paused (a download whose reader fell behind), the peer's silence proves
 * nothing: its frames wait unread in the socket. Then no interval counts, and PINGs keep
 * going out at least once a second so that the daemon's own keepalive, which counts any
 * message from us as an answer and reads our socket even while its writes to us are
 * blocked, sees us alive. Reading again starts a fresh window.
 */

export interface KeepaliveOptions {
  /** Milliseconds of silence before a PING is sent (libvirt's default is 5 s). */
  intervalMs: number;
  /** Unanswered PINGs tolerated before the connection is declared dead (default 5). */
  count: number;
}

export const DEFAULT_KEEPALIVE: KeepaliveOptions = { intervalMs: 5000, count: 5 };

/**
 * Longest gap between PINGs while reading is paused. libvirtd's keepalive_interval is in
 * whole seconds, so a message a second satisfies any daemon setting that tolerates one miss.
 */
const PAUSED_PING_MS = 1000;

export class Keepalive {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastReceived = Date.now();
  private unanswered = 0;
  private running = false;
  private paused = false;

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
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.disarm();
  }

  /** Called for every inbound frame. */
  received(): void {
    this.lastReceived = Date.now();
    this.unanswered = 0;
  }

  /** The socket is no longer read: stop counting the peer's silence, keep PINGing it. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    if (this.running) this.arm();
  }

  /** The socket is read again: a fresh window, as if the peer had just been heard. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.running) this.arm();
  }

  private arm(): void {
    this.disarm();
    this.lastReceived = Date.now();
    this.unanswered = 0;
    if (this.paused) {
      this.timer = setInterval(() => this.sendPing(), Math.min(this.opts.intervalMs, PAUSED_PING_MS));
    } else {
      this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    }
    // An idle connection's socket keeps the process alive; the timer alone should not.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private disarm(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
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

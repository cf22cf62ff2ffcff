import { EventQueue, SlowConsumerError } from '../../src/api/event-queue.js';

describe('EventQueue', () => {
  it('hands out events in order, waiting when empty', async () => {
    const q = new EventQueue<number>(10, async () => {});
    const next = q.next();
    q.push(1);
    q.push(2);
    expect(await next).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
  });

  it('gives a slow consumer a SlowConsumerError instead of growing, and unsubscribes', async () => {
    let ended = 0;
    const q = new EventQueue<number>(3, async () => void ended++);
    for (let i = 0; i < 10; i++) q.push(i);
    expect((await q.next()).value).toBe(0);
    expect((await q.next()).value).toBe(1);
    expect((await q.next()).value).toBe(2);
    await expect(q.next()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(ended).toBe(1);
  });

  it('ends when the loop breaks, and fails a waiting consumer when the connection dies', async () => {
    let ended = 0;
    const q = new EventQueue<number>(3, async () => void ended++);
    q.push(7);
    for await (const v of q) {
      expect(v).toBe(7);
      break;
    }
    expect(ended).toBe(1);
    const r = new EventQueue<number>(3, async () => {});
    const waiting = r.next();
    r.fail(new Error('connection closed'));
    await expect(waiting).rejects.toThrow('connection closed');
  });
});

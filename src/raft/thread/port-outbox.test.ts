import { describe, expect, it } from "vitest";
import { type Envelope, PortOutbox, unbatch } from "./port-outbox.js";

type M = { type: "m"; n: number };

function collect(): { sent: Envelope<M>[]; transfers: ArrayBuffer[][]; outbox: PortOutbox<M> } {
  const sent: Envelope<M>[] = [];
  const transfers: ArrayBuffer[][] = [];
  const outbox = new PortOutbox<M>((message, transfer) => {
    sent.push(message);
    transfers.push(transfer);
  });
  return { sent, transfers, outbox };
}

function received(sent: Envelope<M>[]): number[] {
  const out: number[] = [];
  for (const envelope of sent) unbatch(envelope, (m) => out.push(m.n));
  return out;
}

describe("PortOutbox", () => {
  it("sends what one turn posted as one message, in order, with every transfer", async () => {
    const { sent, transfers, outbox } = collect();
    const a = new ArrayBuffer(1);
    const b = new ArrayBuffer(2);
    outbox.post({ type: "m", n: 1 }, [a]);
    outbox.post({ type: "m", n: 2 });
    outbox.post({ type: "m", n: 3 }, [b]);
    expect(sent).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    expect(transfers[0]).toEqual([a, b]);
    expect(received(sent)).toEqual([1, 2, 3]);
  });

  it("sends a lone message as itself, and later turns as later messages", async () => {
    const { sent, outbox } = collect();
    outbox.post({ type: "m", n: 1 });
    await new Promise((r) => setImmediate(r));
    outbox.post({ type: "m", n: 2 });
    outbox.post({ type: "m", n: 3 });
    await new Promise((r) => setImmediate(r));
    expect(sent[0]).toEqual({ type: "m", n: 1 });
    expect(received(sent)).toEqual([1, 2, 3]);
  });

  it("flushes at once on demand and never sends a message twice", async () => {
    const { sent, outbox } = collect();
    outbox.post({ type: "m", n: 1 });
    outbox.flush();
    expect(received(sent)).toEqual([1]);
    outbox.post({ type: "m", n: 2 });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(received(sent)).toEqual([1, 2]);
  });
});

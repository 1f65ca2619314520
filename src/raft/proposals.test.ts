import { describe, expect, it } from "vitest";
import { TimeoutError } from "../common/errors.js";
import type { Entry } from "./core/types.js";
import { decodeProposal, encodeProposal } from "./proposal-id.js";
import { type ProposalSink, Proposals } from "./proposals.js";

class NotLeader extends Error {}
class Refused extends Error {}

function setup(incarnation = 7) {
  const proposals = new Proposals("s1", incarnation, {
    notLeader: () => new NotLeader("not leader"),
    isRefusal: (error) => error instanceof Refused,
  });
  const batches: Uint8Array[][] = [];
  const sink: ProposalSink = { proposeBatch: (datas) => batches.push([...datas]) };
  return { proposals, batches, sink };
}

const entry = (index: number, data: Uint8Array, term = 2): Entry => ({ index, term, type: "normal", data });

describe("Proposals", () => {
  it("hands queued proposals to the core in one batch and resolves each when its entry applies", async () => {
    const { proposals, batches, sink } = setup();
    const a = proposals.add(new TextEncoder().encode("a"), Number.POSITIVE_INFINITY, 0n);
    const b = proposals.add(new TextEncoder().encode("b"), Number.POSITIVE_INFINITY, 0n);
    proposals.flush(sink);
    expect(batches).toHaveLength(1);
    const [da, db] = batches[0] as [Uint8Array, Uint8Array];
    proposals.noteIndexes([entry(5, da), entry(6, db)]);
    proposals.settle(5, decodeProposal(da).id, "ra", 1n);
    proposals.settle(6, decodeProposal(db).id, "rb", 1n);
    await expect(a).resolves.toBe("ra");
    await expect(b).resolves.toBe("rb");
    expect(proposals.size).toBe(0);
  });

  it("names the tag of a pending proposal by its header, and forgets it once settled", async () => {
    const { proposals, batches, sink } = setup();
    const tagged = proposals.add(new Uint8Array([1]), Number.POSITIVE_INFINITY, 0n, 41);
    const untagged = proposals.add(new Uint8Array([2]), Number.POSITIVE_INFINITY, 0n);
    proposals.flush(sink);
    const [dt, du] = batches[0] as [Uint8Array, Uint8Array];
    expect(proposals.tagOf(decodeProposal(dt).id)).toBe(41);
    expect(proposals.tagOf(decodeProposal(du).id)).toBeUndefined();
    // The same sequence number from another server or an earlier run of this one is not ours.
    const { id } = decodeProposal(dt);
    expect(proposals.tagOf({ ...id, node: "s2" })).toBeUndefined();
    expect(proposals.tagOf({ ...id, incarnation: id.incarnation + 1 })).toBeUndefined();
    proposals.noteIndexes([entry(5, dt), entry(6, du)]);
    proposals.settle(5, decodeProposal(dt).id, "rt", 1n);
    proposals.settle(6, decodeProposal(du).id, "ru", 1n);
    await expect(tagged).resolves.toBe("rt");
    await expect(untagged).resolves.toBe("ru");
    expect(proposals.tagOf(decodeProposal(dt).id)).toBeUndefined();
  });

  it("rejects a proposal whose index another leader's entry took", async () => {
    const { proposals, batches, sink } = setup();
    const a = proposals.add(new Uint8Array([1]), Number.POSITIVE_INFINITY, 0n);
    proposals.flush(sink);
    proposals.noteIndexes([entry(5, (batches[0] as Uint8Array[])[0] as Uint8Array)]);
    const theirs = encodeProposal({ node: "s2", incarnation: 1, seq: 0 }, new Uint8Array([9]));
    proposals.settle(5, decodeProposal(theirs).id, undefined, 1n);
    await expect(a).rejects.toBeInstanceOf(NotLeader);
  });

  it("ignores entries of an earlier incarnation of the same server", () => {
    const { proposals, sink } = setup(8);
    void proposals.add(new Uint8Array([1]), Number.POSITIVE_INFINITY, 0n);
    proposals.flush(sink);
    const old = encodeProposal({ node: "s1", incarnation: 7, seq: 0 }, new Uint8Array([1]));
    proposals.settle(5, decodeProposal(old).id, "x", 1n);
    expect(proposals.size).toBe(1);
  });

  it("rejects a refused batch as not-leader, and rethrows anything else", async () => {
    const { proposals } = setup();
    const a = proposals.add(new Uint8Array([1]), Number.POSITIVE_INFINITY, 0n);
    proposals.flush({
      proposeBatch: () => {
        throw new Refused("dropped");
      },
    });
    await expect(a).rejects.toBeInstanceOf(NotLeader);
    void proposals.add(new Uint8Array([2]), Number.POSITIVE_INFINITY, 0n).catch(() => undefined);
    expect(() =>
      proposals.flush({
        proposeBatch: () => {
          throw new Error("broken");
        },
      }),
    ).toThrow("broken");
  });

  it("expires proposals past their deadline, and only those", async () => {
    const { proposals, sink } = setup();
    const late = proposals.add(new Uint8Array([1]), 100, 0n);
    const onTime = proposals.add(new Uint8Array([2]), 300, 0n);
    proposals.flush(sink);
    proposals.expire(200);
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    expect(proposals.size).toBe(1);
    proposals.rejectAll(new Error("stopped"));
    await expect(onTime).rejects.toThrow("stopped");
  });
});

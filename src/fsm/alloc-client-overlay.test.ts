import { describe, expect, it } from "vitest";
import { ALLOC_KEYS, CLIENT_FIELDS, clientOverlay, isClientFields } from "./alloc-client-overlay.js";
import { allocCompactor } from "./alloc-compactor.js";
import { mockAlloc } from "./mock.js";
import { STATIC_STRUCTURES } from "./record-codec.js";
import type { Allocation } from "./structs.js";

describe("clientOverlay", () => {
  const before = mockAlloc({ ClientStatus: "pending", ModifyIndex: 3 });
  const running: Allocation = {
    ...before,
    ClientStatus: "running",
    ClientDescription: "Tasks are running",
    TaskStates: {},
    DeploymentStatus: { Healthy: true, Timestamp: 5, Canary: false, ModifyIndex: 7 },
    ModifyIndex: 7,
    ModifyTime: 5,
  };

  it("takes all the client-owned fields of a rewrite that changed only those, in a fixed order", () => {
    const overlay = clientOverlay(before, running);
    expect(overlay).toEqual({
      ClientStatus: "running",
      ClientDescription: "Tasks are running",
      TaskStates: {},
      DeploymentStatus: running.DeploymentStatus,
      ModifyIndex: 7,
      ModifyTime: 5,
    });
    expect(Object.keys(overlay ?? {})).toEqual([...CLIENT_FIELDS]);
    expect(STATIC_STRUCTURES.at(-1)).toEqual(CLIENT_FIELDS);
    expect(isClientFields(overlay)).toBe(true);
    // Nothing changed at all is still an overlay (the update's stamps, say, were equal).
    expect(clientOverlay(before, { ...before })).toBeDefined();
  });

  it("refuses any other change, an equal but different object, and another key order", () => {
    expect(clientOverlay(before, { ...running, DesiredStatus: "stop" })).toBeUndefined();
    expect(clientOverlay(before, { ...running, AllocModifyIndex: 7 })).toBeUndefined();
    expect(
      clientOverlay(before, { ...running, DesiredTransition: { ...before.DesiredTransition } }),
    ).toBeUndefined();
    expect(clientOverlay(before, { ...running, CreateIndex: -0 })).toBeUndefined();
    const { ClientStatus, ...rest } = running;
    expect(clientOverlay(before, { ClientStatus, ...rest } as Allocation)).toBeUndefined();
    expect(clientOverlay(before, { ...running, Extra: 1 } as Allocation)).toBeUndefined();
    // A client field of the wrong type: the loader would refuse it, so it is stored whole.
    expect(
      clientOverlay(before, { ...running, ClientDescription: 5 } as unknown as Allocation),
    ).toBeUndefined();
  });

  it("notices a change of any field but the client's, in the compact key order and in any other", () => {
    // The compact order takes a field-by-field comparison, any other a walk over the keys.
    expect(Object.keys(before)).toEqual(ALLOC_KEYS);
    expect(Object.keys(allocCompactor.compact(before))).toEqual(ALLOC_KEYS);
    const reordered = (a: Allocation): Allocation => {
      const { ID, ...rest } = a;
      return { ...rest, ID };
    };
    expect(clientOverlay(reordered(before), reordered(running))).toEqual(clientOverlay(before, running));
    const clientFields = new Set<string>(CLIENT_FIELDS);
    for (const key of ALLOC_KEYS) {
      if (clientFields.has(key)) continue;
      const changed = { ...running, [key]: { other: key } } as Allocation;
      expect(clientOverlay(before, changed), key).toBeUndefined();
      expect(clientOverlay(reordered(before), reordered(changed)), key).toBeUndefined();
    }
  });

  it("recognises only the overlay's shape in stored records", () => {
    const overlay = clientOverlay(before, running);
    expect(isClientFields({ ...overlay, Extra: 1 })).toBe(false);
    expect(isClientFields({ ...overlay, TaskStates: null })).toBe(false);
    expect(isClientFields({ ...overlay, ModifyIndex: "7" })).toBe(false);
    expect(isClientFields(before)).toBe(false);
    expect(isClientFields(null)).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import type { Commit } from "../../fsm/state-store.js";
import { StateStore } from "../../fsm/state-store.js";
import { eventsOfCommit } from "./commit-events.js";

describe("events of namespace commits", () => {
  it("publishes NamespaceUpserted and NamespaceDeleted on the Namespace topic, outside any namespace", () => {
    const store = new StateStore();
    const commits: Commit[] = [];
    store.onCommit((commit) => commits.push(commit));
    store.apply(1, {
      type: "namespace-upsert",
      Namespaces: [{ Name: "prod", Description: "production", Meta: {} }],
    });
    store.apply(2, { type: "namespace-delete", Names: ["prod"] });

    const [upserted, deleted] = commits.map((c) => eventsOfCommit(c));
    expect(upserted?.Events).toEqual([
      {
        Topic: "Namespace",
        Type: "NamespaceUpserted",
        Key: "prod",
        FilterKeys: [],
        Namespace: "",
        Index: 1,
        Payload: {
          Namespace: expect.objectContaining({ Name: "prod", Description: "production", CreateIndex: 1 }),
        },
      },
    ]);
    expect(deleted?.Events).toEqual([
      expect.objectContaining({ Topic: "Namespace", Type: "NamespaceDeleted", Key: "prod", Index: 2 }),
    ]);
    expect(deleted?.Events[0]?.Payload).toEqual({ Namespace: { Name: "prod" } });
  });
});

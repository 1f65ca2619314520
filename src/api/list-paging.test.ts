import { describe, expect, it } from "vitest";
import { ValidationError } from "../common/errors.js";
import { emptyAllocMetric } from "../fsm/alloc-metric.js";
import { PackedAllocMetric } from "../fsm/packed-metric.js";
import { parseFilter } from "./filter-expr.js";
import { listQuery, pageOf } from "./list-paging.js";

interface Row {
  ID: string;
  Name: string;
  Status: string;
  Priority: number;
  Stop: boolean;
  Datacenters: string[];
  Meta: Record<string, string>;
}

const rows: Row[] = [
  { ID: "c", Name: "cache", Status: "running", Priority: 50, Stop: false, Datacenters: ["dc1"], Meta: {} },
  {
    ID: "a",
    Name: "api",
    Status: "pending",
    Priority: 70,
    Stop: false,
    Datacenters: ["dc1", "dc2"],
    Meta: { team: "x" },
  },
  { ID: "e", Name: "etl", Status: "dead", Priority: 50, Stop: true, Datacenters: ["dc2"], Meta: {} },
  {
    ID: "b",
    Name: "batch-web",
    Status: "running",
    Priority: 30,
    Stop: false,
    Datacenters: ["dc1"],
    Meta: {},
  },
  { ID: "d", Name: "db", Status: "running", Priority: 90, Stop: false, Datacenters: [], Meta: {} },
];

const page = (query: string) =>
  pageOf(
    rows,
    listQuery(new URLSearchParams(query)),
    (r) => r.ID,
    (r) => r,
  );
const ids = (query: string) => page(query).items.map((r) => r.ID);

describe("filter expressions", () => {
  const matching = (expr: string) => rows.filter(parseFilter(expr)).map((r) => r.ID);

  it("compares strings, numbers and booleans as the field's type", () => {
    expect(matching('Status == "running"')).toEqual(["c", "b", "d"]);
    expect(matching("Status != running")).toEqual(["a", "e"]);
    expect(matching("Priority == 50")).toEqual(["c", "e"]);
    expect(matching("Priority >= 70")).toEqual(["a", "d"]);
    expect(matching("Stop == true")).toEqual(["e"]);
  });

  it("knows contains, in, matches, is empty, and/or/not and parentheses", () => {
    expect(matching('Name contains "web"')).toEqual(["b"]);
    expect(matching('"dc2" in Datacenters')).toEqual(["a", "e"]);
    expect(matching('"dc2" not in Datacenters')).toEqual(["c", "b", "d"]);
    expect(matching('Name matches "^[ab]"')).toEqual(["a", "b"]);
    expect(matching("Datacenters is empty")).toEqual(["d"]);
    expect(matching("Meta is not empty")).toEqual(["a"]);
    expect(matching('Meta["team"] == x')).toEqual(["a"]);
    expect(matching("Status == running and (Priority < 40 or Priority > 80)")).toEqual(["b", "d"]);
    expect(matching("not Status == running")).toEqual(["a", "e"]);
    expect(matching('Name not contains "a"')).toEqual(["e", "d"]);
  });

  it("sees packed placement metrics as their JSON shows them", () => {
    const allocs = [3, 7].map((n) => ({
      ID: `a${n}`,
      Metrics: PackedAllocMetric.pack({
        ...emptyAllocMetric(),
        NodesEvaluated: n,
        NodesAvailable: { dc1: n },
      }),
    }));
    const match = (expr: string) => allocs.filter(parseFilter(expr)).map((a) => a.ID);
    expect(match("Metrics.NodesEvaluated > 5")).toEqual(["a7"]);
    expect(match('Metrics contains "NodesAvailable"')).toEqual(["a3", "a7"]);
    expect(match('Metrics.NodesAvailable["dc1"] == 3')).toEqual(["a3"]);
    expect(match("Metrics.ScoreMetaData is empty")).toEqual(["a3", "a7"]);
  });

  it("refuses bad expressions with the position", () => {
    for (const [expr, message] of [
      ["Status ==", "expected a value, found the end at position 9"],
      ['Status == "run', "unterminated string at position 10"],
      ["Status ~ x", 'unexpected "~" at position 7'],
      ["(Status == x", 'expected ")", found the end'],
      ["Priority > abc", "> needs a number"],
      ['Name matches "("', "bad regular expression"],
      ["Status == x extra", 'unexpected "extra" at position 12'],
    ] as const) {
      expect(() => parseFilter(expr), expr).toThrow(ValidationError);
      expect(() => parseFilter(expr), expr).toThrow(message);
    }
  });
});

describe("list paging", () => {
  it("keeps the state's order when nothing is asked (per_page=0 is no paging)", () => {
    expect(ids("")).toEqual(["c", "a", "e", "b", "d"]);
    expect(ids("per_page=0")).toEqual(["c", "a", "e", "b", "d"]);
  });

  it("pages by ID with Nomad's next_token (the next item's ID)", () => {
    expect(page("per_page=2")).toMatchObject({ nextToken: "c" });
    expect(ids("per_page=2")).toEqual(["a", "b"]);
    expect(ids("per_page=2&next_token=c")).toEqual(["c", "d"]);
    expect(page("per_page=2&next_token=e")).toMatchObject({ nextToken: undefined });
    // A token whose item is gone starts at the item after it.
    expect(ids("per_page=2&next_token=bb")).toEqual(["c", "d"]);
    expect(ids("per_page=2&reverse=true")).toEqual(["e", "d"]);
  });

  it("sorts by a field (ties by ID) and pages through every item once", () => {
    expect(ids("sort=Priority")).toEqual(["b", "c", "e", "a", "d"]);
    expect(ids("sort=Priority&reverse=true")).toEqual(["d", "a", "e", "c", "b"]);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const p = page(`sort=Priority&per_page=2${token === undefined ? "" : `&next_token=${token}`}`);
      seen.push(...p.items.map((r) => r.ID));
      token = p.nextToken;
    } while (token !== undefined);
    expect(seen).toEqual(["b", "c", "e", "a", "d"]);
  });

  it("filters before paging", () => {
    expect(ids("filter=Status%20%3D%3D%20running&per_page=2")).toEqual(["b", "c"]);
  });

  it("refuses bad paging parameters", () => {
    expect(() => page("per_page=10001")).toThrow("?per_page: must be at most 10000, got 10001");
    expect(() => page("per_page=x")).toThrow("?per_page: expected a non-negative integer");
    expect(() => page("sort=Priority&next_token=nope")).toThrow("?next_token: is not a token");
    expect(() => page("sort=a.b")).toThrow("?sort: must be a field name");
  });
});

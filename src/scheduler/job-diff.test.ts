import { describe, expect, it } from "vitest";
import type { Job } from "../fsm/structs.js";
import { type FieldDiff, jobDiff, type ObjectDiff, objectDiff, taskGroupDiff } from "./job-diff.js";
import { mockGroup, mockJob, mockTask, mockUpdate } from "./test-fixtures.js";

const base = mockJob("web", { TaskGroups: [mockGroup("web", { Count: 2 })] });

function withTask(job: Job, change: Partial<ReturnType<typeof mockTask>>): Job {
  const group = job.TaskGroups[0]!;
  return { ...job, TaskGroups: [{ ...group, Tasks: [{ ...group.Tasks[0]!, ...change }] }] };
}

function withGroup(job: Job, change: Partial<ReturnType<typeof mockGroup>>): Job {
  return { ...job, TaskGroups: [{ ...job.TaskGroups[0]!, ...change }] };
}

const field = (Type: FieldDiff["Type"], Name: string, Old: string, New: string): FieldDiff => ({
  Type,
  Name,
  Old,
  New,
  Annotations: null,
});

describe("jobDiff", () => {
  it("is None for the same job, whatever the store-managed fields say", () => {
    const stored = { ...base, Version: 3, JobModifyIndex: 40, Status: "running" as const, SubmitTime: 9 };
    const diff = jobDiff(stored, base);
    expect(diff.Type).toBe("None");
    expect(diff.Fields).toBeNull();
    expect(diff.TaskGroups?.map((g) => [g.Name, g.Type])).toEqual([["web", "None"]]);
    expect(diff.TaskGroups?.[0]?.Tasks?.map((t) => t.Type)).toEqual(["None"]);
  });

  it("is Added for a new job, with every group and task Added", () => {
    const diff = jobDiff(undefined, base);
    expect(diff.Type).toBe("Added");
    expect(diff.Fields).toContainEqual(field("Added", "Priority", "", "50"));
    expect(diff.Objects).toContainEqual({
      Type: "Added",
      Name: "Datacenters",
      Fields: [field("Added", "Datacenters", "", "dc1")],
      Objects: null,
    });
    expect(diff.TaskGroups?.[0]?.Type).toBe("Added");
    expect(diff.TaskGroups?.[0]?.Tasks?.[0]?.Type).toBe("Added");
  });

  it("is Deleted when the job would be removed", () => {
    const diff = jobDiff(base, undefined);
    expect(diff.Type).toBe("Deleted");
    expect(diff.TaskGroups?.[0]?.Type).toBe("Deleted");
  });

  const cases: Array<{
    name: string;
    change: (job: Job) => Job;
    at: "job" | "group" | "task";
    fields?: FieldDiff[];
    objects?: ObjectDiff[];
  }> = [
    {
      name: "job priority",
      change: (j) => ({ ...j, Priority: 70 }),
      at: "job",
      fields: [field("Edited", "Priority", "50", "70")],
    },
    {
      name: "job meta key added",
      change: (j) => ({ ...j, Meta: { team: "a" } }),
      at: "job",
      fields: [field("Added", "Meta[team]", "", "a")],
    },
    {
      name: "datacenters set",
      change: (j) => ({ ...j, Datacenters: ["dc1", "dc2"] }),
      at: "job",
      objects: [
        {
          Type: "Edited",
          Name: "Datacenters",
          Fields: [field("None", "Datacenters", "dc1", "dc1"), field("Added", "Datacenters", "", "dc2")],
          Objects: null,
        },
      ],
    },
    {
      name: "group count",
      change: (j) => withGroup(j, { Count: 3 }),
      at: "group",
      fields: [field("Edited", "Count", "2", "3")],
    },
    {
      name: "update block added",
      change: (j) => withGroup(j, { Update: mockUpdate({ MaxParallel: 1 }) }),
      at: "group",
    },
    {
      name: "task env keys added",
      change: (j) => withTask(j, { Env: { A: "2", B: "x" } }),
      at: "task",
      fields: [field("Added", "Env[A]", "", "2"), field("Added", "Env[B]", "", "x")],
    },
    {
      name: "task driver",
      change: (j) => withTask(j, { Driver: "docker" }),
      at: "task",
      fields: [field("Edited", "Driver", "exec", "docker")],
    },
    {
      name: "task config flattened into one object",
      change: (j) => withTask(j, { Config: { command: "/bin/sleep", args: ["10"] } }),
      at: "task",
      objects: [
        {
          Type: "Edited",
          Name: "Config",
          Fields: [
            field("Added", "args[0]", "", "10"),
            field("Edited", "command", "/bin/date", "/bin/sleep"),
          ],
          Objects: null,
        },
      ],
    },
  ];

  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      const diff = jobDiff(base, c.change(base));
      expect(diff.Type).toBe("Edited");
      const group = diff.TaskGroups?.[0];
      const task = group?.Tasks?.[0];
      const at = c.at === "job" ? diff : c.at === "group" ? group : task;
      expect(at?.Type).toBe("Edited");
      if (c.fields !== undefined) expect(at?.Fields).toEqual(c.fields);
      if (c.objects !== undefined) expect(at?.Objects).toEqual(c.objects);
      if (c.at !== "job") expect(diff.Fields).toBeNull();
      if (c.at === "group") expect(task?.Type).toBe("None");
    });
  }

  it("lists an edited env key with its old value, and unchanged keys not at all", () => {
    const old = withTask(base, { Env: { A: "1", B: "x" } });
    const diff = jobDiff(old, withTask(base, { Env: { A: "2", B: "x" } }));
    expect(diff.TaskGroups?.[0]?.Tasks?.[0]?.Fields).toEqual([field("Edited", "Env[A]", "1", "2")]);
  });

  it("nests resource changes and keeps unchanged sibling fields for context", () => {
    const old = mockTask();
    const resources = { ...old.Resources, MemoryMB: 512 };
    const diff = objectDiff("Resources", old.Resources, resources);
    expect(diff?.Type).toBe("Edited");
    expect(diff?.Fields).toContainEqual(field("Edited", "MemoryMB", "256", "512"));
    expect(diff?.Fields).toContainEqual(field("None", "CPU", "500", "500"));
  });

  it("pairs networks by position and names ports as Nomad does", () => {
    const network = {
      Mode: "host",
      Device: "",
      CIDR: "",
      IP: "",
      MBits: 0,
      ReservedPorts: [],
      DynamicPorts: [{ Label: "http", Value: 0, To: 0, HostNetwork: "default" }],
    };
    const group = mockGroup("web");
    const diff = taskGroupDiff(group, { ...group, Networks: [network] });
    expect(diff.Objects?.[0]?.Name).toBe("Network");
    expect(diff.Objects?.[0]?.Type).toBe("Added");
    expect(diff.Objects?.[0]?.Objects?.[0]?.Name).toBe("Dynamic Port");
  });

  it("reports added and deleted tasks and groups", () => {
    const group = base.TaskGroups[0]!;
    const next = {
      ...base,
      TaskGroups: [{ ...group, Tasks: [mockTask("sidecar")] }, mockGroup("api", { Count: 1 })],
    };
    const diff = jobDiff(base, next);
    expect(diff.TaskGroups?.map((g) => [g.Name, g.Type])).toEqual([
      ["api", "Added"],
      ["web", "Edited"],
    ]);
    expect(diff.TaskGroups?.[1]?.Tasks?.map((t) => [t.Name, t.Type])).toEqual([
      ["sidecar", "Added"],
      ["web", "Deleted"],
    ]);
  });
});

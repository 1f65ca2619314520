// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation references are plain strings
import { describe, expect, it } from "vitest";
import { mockAlloc, mockJob, mockNode, mockTask, mockTaskGroup } from "../../fsm/index.js";
import { buildTaskEnv, type TaskEnvInput, taskPorts } from "./task-env.js";

const taskDir = {
  dir: "/a/x/web",
  local: "/a/x/web/local",
  secrets: "/a/x/web/secrets",
  tmp: "/a/x/web/tmp",
};

function input(overrides: Partial<TaskEnvInput> = {}): TaskEnvInput {
  const task = mockTask({
    Name: "web",
    Env: { GREETING: "hi ${NOMAD_TASK_NAME} on ${node.unique.name}", FOO: "bar" },
    Meta: { Owner: "task", Tier: "t" },
  });
  const group = mockTaskGroup({ Name: "g", Tasks: [task], Meta: { owner: "group", zone: "z" } });
  return {
    alloc: mockAlloc({
      ID: "0123456789abcdef",
      Name: "example.g[3]",
      TaskGroup: "g",
      Namespace: "ns1",
    }),
    job: mockJob({ ID: "example", Name: "Example", Meta: { owner: "job", team: "x" }, ParentID: "" }),
    group,
    task,
    node: mockNode({
      Datacenter: "dc7",
      Name: "n1",
      Attributes: { "unique.network.ip-address": "10.1.1.1" },
    }),
    region: "eu",
    sharedDir: "/a/x/alloc",
    taskDir,
    agentPath: "/usr/bin:/bin",
    ...overrides,
  };
}

describe("buildTaskEnv", () => {
  it("describes the allocation, job, group, task, node and directories", () => {
    const env = buildTaskEnv(input());
    expect(env).toMatchObject({
      NOMAD_ALLOC_ID: "0123456789abcdef",
      NOMAD_SHORT_ALLOC_ID: "01234567",
      NOMAD_ALLOC_NAME: "example.g[3]",
      NOMAD_ALLOC_INDEX: "3",
      NOMAD_JOB_ID: "example",
      NOMAD_JOB_NAME: "Example",
      NOMAD_GROUP_NAME: "g",
      NOMAD_TASK_NAME: "web",
      NOMAD_NAMESPACE: "ns1",
      NOMAD_DC: "dc7",
      NOMAD_REGION: "eu",
      NOMAD_ALLOC_DIR: "/a/x/alloc",
      NOMAD_TASK_DIR: "/a/x/web/local",
      NOMAD_SECRETS_DIR: "/a/x/web/secrets",
      NOMAD_CPU_LIMIT: "500",
      NOMAD_MEMORY_LIMIT: "256",
      PATH: "/usr/bin:/bin",
      FOO: "bar",
      GREETING: "hi web on n1",
    });
    expect(env["NOMAD_JOB_PARENT_ID"]).toBeUndefined();
    expect(env["NOMAD_MEMORY_MAX_LIMIT"]).toBeUndefined();
  });

  it("merges job, group and task meta (task wins), as written and upper-cased", () => {
    const env = buildTaskEnv(input());
    expect(env).toMatchObject({
      NOMAD_META_owner: "group",
      NOMAD_META_OWNER: "task",
      NOMAD_META_Owner: "task",
      NOMAD_META_team: "x",
      NOMAD_META_TEAM: "x",
      NOMAD_META_zone: "z",
      NOMAD_META_TIER: "t",
    });
  });

  it("sets the parent job, the memory ceiling and keeps a task's own PATH", () => {
    const base = input();
    const env = buildTaskEnv({
      ...base,
      job: { ...base.job, ParentID: "parent" },
      task: { ...base.task, Env: { PATH: "/opt/bin" } },
      alloc: {
        ...base.alloc,
        AllocatedResources: {
          ...base.alloc.AllocatedResources,
          Tasks: {
            web: { Cpu: { CpuShares: 100 }, Memory: { MemoryMB: 64, MemoryMaxMB: 128 }, Networks: [] },
          },
        },
      },
    });
    expect(env).toMatchObject({
      NOMAD_JOB_PARENT_ID: "parent",
      NOMAD_CPU_LIMIT: "100",
      NOMAD_MEMORY_LIMIT: "64",
      NOMAD_MEMORY_MAX_LIMIT: "128",
      PATH: "/opt/bin",
    });
  });

  it("gives each port its host and task variables", () => {
    const base = input();
    const alloc = {
      ...base.alloc,
      AllocatedResources: {
        ...base.alloc.AllocatedResources,
        Shared: {
          DiskMB: 0,
          Networks: [],
          Ports: [
            { Label: "http", Value: 23456, To: 8080, HostIP: "192.168.0.100" },
            { Label: "db", Value: 25000, To: 0, HostIP: "" },
          ],
        },
      },
    };
    const env = buildTaskEnv({ ...base, alloc });
    expect(env).toMatchObject({
      NOMAD_PORT_http: "8080",
      NOMAD_HOST_PORT_http: "23456",
      NOMAD_IP_http: "192.168.0.100",
      NOMAD_ADDR_http: "192.168.0.100:8080",
      NOMAD_HOST_IP_http: "192.168.0.100",
      NOMAD_HOST_ADDR_http: "192.168.0.100:23456",
      NOMAD_ALLOC_PORT_http: "8080",
      NOMAD_PORT_db: "25000",
      NOMAD_HOST_PORT_db: "25000",
      NOMAD_IP_db: "10.1.1.1",
      NOMAD_ADDR_db: "10.1.1.1:25000",
    });
  });
});

describe("taskPorts", () => {
  it("takes shared ports first, then allocated networks, then static ports of the job's networks", () => {
    const base = input();
    const net = (ip: string, label: string, value: number) => ({
      Mode: "host",
      Device: "",
      CIDR: "",
      IP: ip,
      MBits: 0,
      ReservedPorts: [{ Label: label, Value: value, To: 0, HostNetwork: "default" }],
      DynamicPorts: [],
    });
    const alloc = {
      ...base.alloc,
      AllocatedResources: {
        Tasks: {
          web: {
            Cpu: { CpuShares: 1 },
            Memory: { MemoryMB: 1, MemoryMaxMB: 0 },
            Networks: [net("10.9.9.9", "admin", 9000)],
          },
        },
        Shared: {
          DiskMB: 0,
          Networks: [net("10.8.8.8", "http", 1)],
          Ports: [{ Label: "http", Value: 23456, To: 0, HostIP: "" }],
        },
      },
    };
    const group = { ...base.group, Networks: [net("", "static", 7000), net("", "dyn", 0)] };
    expect(taskPorts(alloc, group, base.task, base.node)).toEqual([
      { Label: "http", Value: 23456, To: 0, HostIP: "10.1.1.1" },
      { Label: "admin", Value: 9000, To: 0, HostIP: "10.9.9.9" },
      { Label: "static", Value: 7000, To: 0, HostIP: "10.1.1.1" },
    ]);
  });
});

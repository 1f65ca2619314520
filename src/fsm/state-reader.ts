import type { AclBootstrapRecord, AclPolicy, AclToken } from "./acl.js";
import type { NodeUsageSummary } from "./node-usage-summary.js";
import type {
  Allocation,
  Deployment,
  Evaluation,
  Job,
  JobSummary,
  Namespace,
  Node,
  SchedulerConfiguration,
  Variable,
} from "./structs.js";

/**
 * A read-only, immutable view of the replicated state at one Raft index: what schedulers,
 * the plan applier, RPC reads and the API see. Taking one is O(1) (structural sharing); it never
 * changes after later writes. Implemented by the state store's snapshots (state-store.ts).
 *
 * Returned arrays and objects are frozen by convention: never mutate them.
 */
export interface StateReader {
  /** The Raft index this view reflects (the latest applied index when it was taken). */
  readonly index: number;

  jobByID(namespace: string, id: string): Job | undefined;
  /** A specific version of a job (current or historical); allocations reference these. */
  jobByVersion(namespace: string, id: string, version: number): Job | undefined;
  /** All stored versions of a job, newest first. */
  jobVersions(namespace: string, id: string): readonly Job[];
  jobs(): Iterable<Job>;
  jobsByType(type: Job["Type"]): Iterable<Job>;
  /** Jobs whose ParentID is `parentId` (periodic launches, dispatched children). */
  jobsByParent(namespace: string, parentId: string): Iterable<Job>;
  jobSummary(namespace: string, id: string): JobSummary | undefined;

  nodeByID(id: string): Node | undefined;
  nodes(): Iterable<Node>;
  nodesByClass(computedClass: string): Iterable<Node>;
  nodeCount(): number;

  allocByID(id: string): Allocation | undefined;
  allocs(): Iterable<Allocation>;
  /** The node's allocations (terminal ones included), sorted by ID. */
  allocsByNode(nodeId: string): readonly Allocation[];
  /** Every allocation of the job, of all versions, terminal ones included. */
  allocsByJob(namespace: string, jobId: string): readonly Allocation[];
  allocsByEval(evalId: string): readonly Allocation[];
  allocCount(): number;
  /**
   * What the node's allocations that hold resources (desired run, client status not terminal)
   * hold, summed: cpu, memory, disk, host ports and counts per job and group. O(1) for a recent
   * snapshot (node-usage-store.ts); the empty summary for a node nothing holds (or an unknown one).
   */
  nodeUsage(nodeId: string): NodeUsageSummary;

  evalByID(id: string): Evaluation | undefined;
  evals(): Iterable<Evaluation>;
  evalsByJob(namespace: string, jobId: string): readonly Evaluation[];

  deploymentByID(id: string): Deployment | undefined;
  deployments(): Iterable<Deployment>;
  /** The job's deployments (any order), from the by-job index. */
  deploymentsByJob(namespace: string, jobId: string): Iterable<Deployment>;
  /** The most recently created deployment of the job, if any. */
  latestDeploymentByJob(namespace: string, jobId: string): Deployment | undefined;

  variable(namespace: string, path: string): Variable | undefined;
  /** Variables whose path starts with `prefix`, in path order. */
  variablesByPrefix(namespace: string, prefix: string): Iterable<Variable>;

  schedulerConfig(): SchedulerConfiguration;

  /** The namespace named `name` if it exists (`default` always does). */
  namespaceByName(name: string): Namespace | undefined;
  /** Every namespace, `default` included, in name order. */
  namespaces(): readonly Namespace[];

  aclPolicy(name: string): AclPolicy | undefined;
  /** Every ACL policy, in name order. */
  aclPolicies(): readonly AclPolicy[];
  aclToken(accessorId: string): AclToken | undefined;
  /** The token whose SecretID hashes (SHA-256, hex) to `secretHash`, if any. */
  aclTokenBySecretHash(secretHash: string): AclToken | undefined;
  /** Every ACL token, in AccessorID order. */
  aclTokens(): readonly AclToken[];
  /** The bootstrap record once the ACL system was bootstrapped. */
  aclBootstrap(): AclBootstrapRecord | undefined;

  /** The index at which the named table last changed ("jobs", "nodes", "allocs", "evals", …). */
  tableIndex(table: string): number;
}

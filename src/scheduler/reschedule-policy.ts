import type { Allocation, JobType, Nanos, ReschedulePolicy, TaskGroup } from "../fsm/structs.js";

/** Nomad's default reschedule policies, used when a group carries none. */
export const DEFAULT_SERVICE_RESCHEDULE: ReschedulePolicy = {
  Attempts: 0,
  Interval: 0,
  Delay: 30e9,
  DelayFunction: "exponential",
  MaxDelay: 3600e9,
  Unlimited: true,
};
export const DEFAULT_BATCH_RESCHEDULE: ReschedulePolicy = {
  Attempts: 1,
  Interval: 24 * 3600e9,
  Delay: 5e9,
  DelayFunction: "constant",
  MaxDelay: 0,
  Unlimited: false,
};

/** A reschedule due within this window is done now (Nomad's rescheduleWindowSize, 1 s). */
export const RESCHEDULE_WINDOW: Nanos = 1e9;

export function reschedulePolicy(group: TaskGroup, jobType: JobType): ReschedulePolicy | null {
  if (group.ReschedulePolicy !== null) return group.ReschedulePolicy;
  if (jobType === "service") return DEFAULT_SERVICE_RESCHEDULE;
  if (jobType === "batch") return DEFAULT_BATCH_RESCHEDULE;
  return null;
}

/** When the allocation ended: the latest task finish, else its last modification. */
export function failTime(alloc: Allocation): Nanos {
  let latest = 0;
  for (const state of Object.values(alloc.TaskStates)) {
    if (state.FinishedAt > latest) latest = state.FinishedAt;
  }
  return latest > 0 ? latest : alloc.ModifyTime;
}

/** Reschedule attempts already made within the policy's interval before `at`. */
function attemptsWithin(alloc: Allocation, policy: ReschedulePolicy, at: Nanos): number {
  const events = alloc.RescheduleTracker?.Events ?? [];
  let attempted = 0;
  for (const event of events) {
    if (at - event.RescheduleTime < policy.Interval) attempted++;
  }
  return attempted;
}

/** Nomad's RescheduleEligible: attempts left within the interval (or unlimited). */
export function rescheduleEligible(alloc: Allocation, policy: ReschedulePolicy | null, at: Nanos): boolean {
  if (policy === null) return false;
  if (policy.Unlimited) return true;
  if (policy.Attempts <= 0) return false;
  return attemptsWithin(alloc, policy, at) < policy.Attempts;
}

/**
 * The delay before the next attempt (Nomad's NextDelay): the policy's base delay for the first
 * reschedule; then doubled (exponential), the sum of the last two (fibonacci) or the same
 * (constant), capped at MaxDelay. Once capped, a long quiet period since the last reschedule
 * starts the series again.
 */
export function nextDelay(alloc: Allocation, policy: ReschedulePolicy): Nanos {
  const events = alloc.RescheduleTracker?.Events ?? [];
  const last = events[events.length - 1];
  if (last === undefined) return policy.Delay;
  let delay = policy.Delay;
  switch (policy.DelayFunction) {
    case "exponential":
      delay = last.Delay * 2;
      break;
    case "fibonacci": {
      const before = events[events.length - 2];
      if (before !== undefined) {
        // A series that hit the ceiling and was reset starts again from the base delay.
        delay =
          before.Delay === policy.MaxDelay && last.Delay === policy.Delay
            ? last.Delay
            : last.Delay + before.Delay;
      }
      break;
    }
    case "constant":
      return delay;
  }
  if (policy.MaxDelay > 0 && delay > policy.MaxDelay) {
    delay = policy.MaxDelay;
    if (failTime(alloc) - last.RescheduleTime > delay) delay = policy.Delay;
  }
  return delay;
}

export interface RescheduleDecision {
  /** false: the allocation stays failed (attempts used up or no policy). */
  eligible: boolean;
  /** When the replacement may be placed. */
  time: Nanos;
  delay: Nanos;
}

export function rescheduleDecision(alloc: Allocation, policy: ReschedulePolicy | null): RescheduleDecision {
  const failedAt = failTime(alloc);
  if (policy === null || !rescheduleEligible(alloc, policy, failedAt)) {
    return { eligible: false, time: 0, delay: 0 };
  }
  const delay = nextDelay(alloc, policy);
  return { eligible: true, time: failedAt + delay, delay };
}

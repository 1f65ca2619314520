/**
 * Why the FSM refused a command. A refused command leaves the state untouched (apply works on a
 * private copy that is only published when the whole command succeeded). Every server refuses the
 * same committed entry in the same way, so refusing is as deterministic as applying.
 */
export class CommandRejectedError extends Error {
  override name = "CommandRejectedError";
}

/** The bytes are not a msgpack-encoded command (truncated, garbled, wrong shape). */
export class CorruptCommandError extends CommandRejectedError {
  override name = "CorruptCommandError";
}

/** A well-formed message whose `type` this version does not know. */
export class UnknownCommandError extends CommandRejectedError {
  override name = "UnknownCommandError";
  constructor(readonly commandType: unknown) {
    super(`unknown command type ${JSON.stringify(commandType)}`);
  }
}

/** A decodable command that cannot apply to the current state (e.g. an unknown deployment). */
export class InvalidCommandError extends CommandRejectedError {
  override name = "InvalidCommandError";
}

/** A snapshot stream that cannot be restored (bad framing, wrong version, bad record). */
export class CorruptSnapshotError extends Error {
  override name = "CorruptSnapshotError";
}

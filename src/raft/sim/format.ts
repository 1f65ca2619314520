/** One-line, stable descriptions of messages for scenario traces and failure reports. */
import type { Entry, Message } from "../core/types.js";

function formatEntry(e: Entry): string {
  const data = e.data.byteLength === 0 ? "" : ` ${new TextDecoder().decode(e.data)}`;
  return `${e.index}/${e.term}${e.type === "confChange" ? " conf" : ""}${data}`;
}

export function formatMessage(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} term=${m.term}`];
  switch (m.type) {
    case "app":
      parts.push(`prev=${m.index}/${m.logTerm} commit=${m.commit}`);
      if (m.entries.length > 0) parts.push(`[${m.entries.map(formatEntry).join(", ")}]`);
      break;
    case "appResp":
      parts.push(`index=${m.index}`);
      if (m.reject) parts.push(`rejected hint=${m.rejectHint}/${m.rejectTerm}`);
      break;
    case "vote":
    case "preVote":
      parts.push(`last=${m.index}/${m.logTerm}`);
      break;
    case "voteResp":
    case "preVoteResp":
      if (m.reject) parts.push("rejected");
      break;
    case "heartbeat":
      parts.push(`commit=${m.commit}`);
      break;
    case "snap":
      if (m.snapshot !== undefined) {
        const md = m.snapshot.metadata;
        parts.push(`snapshot=${md.index}/${md.term} voters=${md.confState.voters.join(",")}`);
      }
      break;
    case "readIndexResp":
      parts.push(`index=${m.index}`);
      break;
    case "prop":
      parts.push(`[${m.entries.map(formatEntry).join(", ")}]`);
      break;
    default:
      break;
  }
  if (m.context.byteLength > 0) {
    parts.push(`ctx=${new TextDecoder().decode(m.context)}`);
  }
  return parts.join(" ");
}

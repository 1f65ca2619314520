import type { JSX } from "preact";

type Line = { kind: " " | "+" | "-"; text: string };

/** A line diff (longest common subsequence) of two texts; texts here are job specs, small. */
export function diffLines(before: string, after: string): Line[] {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length * b.length > 4_000_000) {
    return [
      ...a.map((text) => ({ kind: "-" as const, text })),
      ...b.map((text) => ({ kind: "+" as const, text })),
    ];
  }
  const rows = a.length + 1;
  const cols = b.length + 1;
  const lcs = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * cols + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * cols + j + 1] as number) + 1
          : Math.max(lcs[(i + 1) * cols + j] as number, lcs[i * cols + j + 1] as number);
    }
  }
  const out: Line[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: " ", text: a[i] as string });
      i++;
      j++;
    } else if ((lcs[(i + 1) * cols + j] as number) >= (lcs[i * cols + j + 1] as number)) {
      out.push({ kind: "-", text: a[i++] as string });
    } else {
      out.push({ kind: "+", text: b[j++] as string });
    }
  }
  while (i < a.length) out.push({ kind: "-", text: a[i++] as string });
  while (j < b.length) out.push({ kind: "+", text: b[j++] as string });
  return out;
}

/** Changed lines with three lines of context; unchanged runs are folded. */
export function DiffView(props: { before: string; after: string; label: string }): JSX.Element {
  const lines = diffLines(props.before, props.after);
  const keep = lines.map((_, index) =>
    lines.slice(Math.max(0, index - 3), index + 4).some((l) => l.kind !== " "),
  );
  if (!lines.some((l) => l.kind !== " ")) return <p class="muted">No changes.</p>;
  return (
    <pre class="diff" role="region" aria-label={props.label} tabIndex={0}>
      {lines.map((line, index) =>
        keep[index] ? (
          <span key={index} class={line.kind === "+" ? "add" : line.kind === "-" ? "del" : ""}>
            {line.kind} {line.text}
            {"\n"}
          </span>
        ) : index > 0 && keep[index - 1] ? (
          <span key={index} class="fold">
            {"  …\n"}
          </span>
        ) : null,
      )}
    </pre>
  );
}

/** A job version as text for diffs: the spec without the fields every version changes. */
export function specText(job: Record<string, unknown>): string {
  const {
    Version: _v,
    ModifyIndex: _m,
    JobModifyIndex: _j,
    SubmitTime: _s,
    Status: _st,
    StatusDescription: _sd,
    Stable: _sb,
    CreateIndex: _c,
    ...rest
  } = job;
  return JSON.stringify(rest, null, 2);
}

import type { ComponentChildren, JSX } from "preact";
import { errorText } from "../api";

export function ErrorBox(props: { error: unknown }): JSX.Element | null {
  if (props.error === undefined || props.error === null) return null;
  return (
    <p class="error" role="alert">
      {errorText(props.error)}
    </p>
  );
}

export function Loading(props: { what: string }): JSX.Element {
  return (
    <p class="muted" aria-busy="true">
      Loading {props.what}…
    </p>
  );
}

/** A status as a coloured pill; the word itself carries the meaning (not the colour alone). */
export function Status(props: { value: string }): JSX.Element {
  return <span class={`pill s-${props.value.replace(/[^a-z-]/gi, "")}`}>{props.value}</span>;
}

export function Section(props: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}): JSX.Element {
  return (
    <section class="card" aria-label={props.title}>
      <header class="card-head">
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

/** Used against total as a bar, with the numbers in words for screen readers. */
export function UsageBar(props: { label: string; used: number; total: number; unit: string }): JSX.Element {
  const share = props.total > 0 ? Math.min(1, props.used / props.total) : 0;
  return (
    <div class="usage">
      <span>{props.label}</span>
      <svg
        viewBox="0 0 100 8"
        preserveAspectRatio="none"
        role="img"
        aria-label={`${props.label}: ${props.used} of ${props.total} ${props.unit}`}
      >
        <rect x="0" y="0" width="100" height="8" class="bar-bg" />
        <rect x="0" y="0" width={share * 100} height="8" class={share > 0.9 ? "bar-hot" : "bar-fill"} />
      </svg>
      <span class="num">
        {props.used} / {props.total} {props.unit}
      </span>
    </div>
  );
}

/** A small live line chart of recent samples, in plain SVG. */
export function Sparkline(props: {
  label: string;
  samples: readonly number[];
  width?: number;
  height?: number;
}): JSX.Element {
  const width = props.width ?? 240;
  const height = props.height ?? 48;
  const max = Math.max(1, ...props.samples);
  const step = props.samples.length > 1 ? width / (props.samples.length - 1) : width;
  const points = props.samples
    .map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 4) - 2).toFixed(1)}`)
    .join(" ");
  const latest = props.samples[props.samples.length - 1] ?? 0;
  return (
    <figure class="spark">
      <figcaption>
        {props.label}: <strong>{latest}</strong>
      </figcaption>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${props.label}, latest ${latest}, max ${max}`}
      >
        <polyline points={points} fill="none" class="spark-line" stroke-width="2" />
      </svg>
    </figure>
  );
}

/** Key/value pairs as a definition list. */
export function Pairs(props: {
  pairs: Record<string, unknown> | null | undefined;
  empty?: string;
}): JSX.Element {
  const entries = Object.entries(props.pairs ?? {});
  if (entries.length === 0) return <p class="muted">{props.empty ?? "None."}</p>;
  return (
    <dl class="pairs">
      {entries
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>
          </div>
        ))}
    </dl>
  );
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** Nanoseconds since the epoch, or an RFC 3339 string, as local time. */
export function when(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === 0 || value === "") return "—";
  const date = typeof value === "number" ? new Date(value / 1e6) : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

import { elementScroll, observeElementOffset, observeElementRect, Virtualizer } from "@tanstack/virtual-core";
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";

const ROW_PX = 36;

/**
 * A table whose body renders only the rows in view (plus a few), so that a list of 100,000 rows
 * costs the DOM of thirty. Rows have one fixed height. `onNearEnd` is called when the last rows
 * come into view (the caller fetches the next page).
 */
export function VirtualRows<T>(props: {
  label: string;
  columns: string[];
  /** CSS grid-template-columns of a row. */
  template: string;
  rows: readonly T[];
  row: (item: T, index: number) => ComponentChildren;
  onNearEnd?: () => void;
  empty?: string;
}): JSX.Element {
  const scroller = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [virtualizer] = useState(
    () =>
      new Virtualizer<HTMLDivElement, Element>({
        count: props.rows.length,
        getScrollElement: () => scroller.current,
        estimateSize: () => ROW_PX,
        overscan: 10,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        // The first paint needs rows before the scroller is measured.
        initialRect: { width: 800, height: 600 },
        onChange: () => rerender(undefined),
      }),
  );
  virtualizer.setOptions({ ...virtualizer.options, count: props.rows.length });
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer]);
  useLayoutEffect(() => virtualizer._willUpdate());
  const items = virtualizer.getVirtualItems();
  const last = items[items.length - 1];
  const nearEnd = last !== undefined && last.index >= props.rows.length - 20;
  const { onNearEnd } = props;
  useEffect(() => {
    if (nearEnd) onNearEnd?.();
  }, [nearEnd, props.rows.length, onNearEnd]);
  const style = { gridTemplateColumns: props.template };
  return (
    <div class="vtable" role="table" aria-label={props.label} aria-rowcount={props.rows.length + 1}>
      <div class="vrow vhead" role="row" style={style}>
        {props.columns.map((c) => (
          <div role="columnheader" key={c}>
            {c}
          </div>
        ))}
      </div>
      <div class="vscroll" ref={scroller}>
        {props.rows.length === 0 ? (
          <p class="muted pad">{props.empty ?? "Nothing here."}</p>
        ) : (
          <div style={{ height: `${virtualizer.getTotalSize()}px`, position: "relative" }}>
            {items.map((v) => {
              const item = props.rows[v.index] as T;
              return (
                <div
                  class="vrow"
                  role="row"
                  aria-rowindex={v.index + 2}
                  key={v.key}
                  style={{
                    ...style,
                    position: "absolute",
                    top: 0,
                    left: 0,
                    right: 0,
                    height: `${ROW_PX}px`,
                    transform: `translateY(${v.start}px)`,
                  }}
                >
                  {props.row(item, v.index)}
                </div>
              );
            })}
          </div>
        )}
      </div>
    </div>
  );
}

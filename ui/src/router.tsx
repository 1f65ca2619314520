import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

/** The UI lives under /ui/; routes are the path after it ("" is the overview). */
const BASE = "/ui/";

function currentRoute(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "";
  return path.replace(/\/+$/, "") + location.search;
}

const listeners = new Set<() => void>();
addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

export function navigate(route: string): void {
  history.pushState(null, "", BASE + route);
  for (const listener of listeners) listener();
  scrollTo(0, 0);
}

/** The current route ("jobs/web?namespace=default"), re-rendering on navigation. */
export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const listener = () => setRoute(currentRoute());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return route;
}

/** A real link (keyboard, middle-click, copy address) that navigates without a reload. */
export function Link(props: {
  to: string;
  children: ComponentChildren;
  class?: string;
  "aria-current"?: "page" | undefined;
}): JSX.Element {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={BASE + props.to} onClick={onClick} class={props.class} aria-current={props["aria-current"]}>
      {props.children}
    </a>
  );
}

/** Path segments after the route's prefix, decoded (`jobs/a%2Fb` → ["jobs", "a/b"]). */
export function segments(route: string): string[] {
  const path = route.split("?")[0] ?? "";
  return path === "" ? [] : path.split("/").map(decodeURIComponent);
}

export function routeQuery(route: string): URLSearchParams {
  const q = route.indexOf("?");
  return new URLSearchParams(q < 0 ? "" : route.slice(q + 1));
}

export const enc = encodeURIComponent;

import type { JSX } from "preact";

/** The search box of a list's toolbar. */
export function SearchBox(props: {
  value: string;
  onInput: (text: string) => void;
  placeholder?: string;
}): JSX.Element {
  return (
    <label>
      Search{" "}
      <input
        type="search"
        value={props.value}
        placeholder={props.placeholder}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}

/** A choice's value, or its value and the text shown for it. */
export type ChoiceOption = string | readonly [value: string, text: string];

/**
 * A labelled select of a list's toolbar. With `any`, its first option is "any" with the value ""
 * (no filter on that field).
 */
export function Choice(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly ChoiceOption[];
  any?: boolean;
}): JSX.Element {
  return (
    <label>
      {props.label}{" "}
      <select value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        {props.any === true ? <option value="">any</option> : null}
        {props.options.map((o) =>
          typeof o === "string" ? (
            <option key={o}>{o}</option>
          ) : (
            <option key={o[0]} value={o[0]}>
              {o[1]}
            </option>
          ),
        )}
      </select>
    </label>
  );
}

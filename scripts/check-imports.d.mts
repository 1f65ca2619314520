// Types of check-imports.mjs, for its test.
export interface ImportRule {
  allowed: Array<{ folder: string; typesOnly: boolean }>;
}
export function parseRule(readme: string): ImportRule | undefined;
export function importsOf(source: string): Array<{ path: string; typeOnly: boolean; line: number }>;
export function checkImports(root: string): string[];

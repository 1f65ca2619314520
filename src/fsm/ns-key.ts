/** The key of a namespaced object (job, summary, versions, variable): namespace NUL id. */
export function nsKey(namespace: string, id: string): string {
  return `${namespace}\u0000${id}`;
}

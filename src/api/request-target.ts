/**
 * A path that WHATWG URL parsing would leave exactly as it is: no dot segments, percent escapes,
 * backslashes or other characters it rewrites, and not "//…" (which it would read as a host).
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9/_-]*$/;

/** A query URL parsing keeps as it is (no fragment, whitespace or characters it re-encodes). */
const PLAIN_QUERY = /^[A-Za-z0-9_.~%+=&,:@!$()*;/?-]*$/;

/**
 * The request target as URL reads it (dot segments resolved, backslashes as slashes, the
 * fragment dropped), so that `/v1/var/a/../b` routes as `/v1/var/b`. Plain targets (every API
 * path Drover's own clients send) are returned as they are, without building a URL object: at
 * 64 outstanding variable writes that object cost ~2.5% of the leader's CPU. Percent escapes
 * are left for the router to decode (and to refuse when malformed). Throws on what URL cannot
 * parse at all.
 */
export function normalizeTarget(raw: string): string {
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  if (PLAIN_PATH.test(path) && (q < 0 || PLAIN_QUERY.test(raw.slice(q + 1)))) return raw;
  const url = new URL(raw, "http://localhost");
  return `${url.pathname}${url.search}`;
}

import type { SeededRandom } from "../shared/rand.js";

/**
 * A UUID-shaped id (version 4 layout) drawn from the seeded PRNG, so that the same inputs and seed
 * give the same allocation and eval ids, and so the same plan.
 */
export function generateUuid(rng: SeededRandom): string {
  const hex: string[] = [];
  for (let i = 0; i < 4; i++) {
    hex.push((Math.floor(rng.next() * 0x100000000) >>> 0).toString(16).padStart(8, "0"));
  }
  const s = hex.join("");
  const variant = ((Number.parseInt(s[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20, 32)}`;
}

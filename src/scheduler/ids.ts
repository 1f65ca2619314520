import { SeededRandom } from "../common/rand.js";

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

/**
 * The PRNG for one scheduling call. The caller's seed is mixed with the eval's ID and the
 * snapshot index, so that two evals (or two attempts of one eval on newer state) never draw the
 * same ids even when a worker passes the same seed, while the same inputs still give the same plan.
 */
export function schedulingRandom(seed: number, evalId: string, snapshotIndex: number): SeededRandom {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  const mix = (value: number): void => {
    h = Math.imul(h ^ value, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  };
  for (let i = 0; i < evalId.length; i++) mix(evalId.charCodeAt(i));
  mix(snapshotIndex >>> 0);
  mix(Math.floor(snapshotIndex / 0x100000000));
  return new SeededRandom(h);
}

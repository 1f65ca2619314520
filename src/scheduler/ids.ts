import { SeededRandom } from "../common/rand.js";

/**
 * Where a scheduling call gets the ids of what it creates (allocations, evals, deployments):
 * xoshiro128** over a 128-bit state seeded from a 128-bit hash of the call's inputs, so that the
 * same inputs and seed give the same ids (and so the same plan), while ids of different calls
 * are as unlikely to meet as random version-4 UUIDs.
 *
 * Why not the shuffling PRNG: mulberry32's whole state is 32 bits, so each call's stream is a
 * stretch of one cycle of 2³² numbers. Two calls whose stretches overlap at the same phase draw
 * the same ids for as long as the overlap lasts; over a C1M run that happened, and a repeated id
 * made a later plan overwrite an allocation of another job on another node.
 */
export class IdSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number, evalId: string, snapshotIndex: number) {
    const [a, b, c, d] = hash128(`${seed >>> 0}/${evalId}/${snapshotIndex}`);
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    // xoshiro's all-zero state is a fixed point.
    this.s3 = (a | b | c | d) === 0 ? 1 : d;
  }

  /** The next 32 uniform bits (xoshiro128**). */
  next32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A UUID in the version 4 layout: 122 bits from the stream, the version and variant fixed. */
  uuid(): string {
    const w0 = this.next32();
    const w1 = this.next32();
    const w2 = this.next32();
    const w3 = this.next32();
    const s = hex8(w0) + hex8(w1) + hex8(w2) + hex8(w3);
    const variant = ((Number.parseInt(s[16] as string, 16) & 0x3) | 0x8).toString(16);
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-4${s.slice(13, 16)}-${variant}${s.slice(17, 20)}-${s.slice(20, 32)}`;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function hex8(word: number): string {
  return (word >>> 0).toString(16).padStart(8, "0");
}

/**
 * A 128-bit hash of `text` as four 32-bit words: four multiply-xor lanes that feed each other,
 * then a final avalanche of each lane. Not cryptographic; it spreads distinct inputs over 2¹²⁸.
 */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 0x6a09e667;
  let h2 = 0xbb67ae85;
  let h3 = 0x3c6ef372;
  let h4 = 0xa54ff53a;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 0x9e3779b1);
    h2 = h3 ^ Math.imul(h2 ^ k, 0x85ebca77);
    h3 = h4 ^ Math.imul(h3 ^ k, 0xc2b2ae3d);
    h4 = h1 ^ Math.imul(h4 ^ k, 0x27d4eb2f);
  }
  // Fold the lanes into each other, then avalanche each (murmur3's finalizer).
  h1 = fmix(h1 ^ Math.imul(h3, 0x165667b1));
  h2 = fmix(h2 ^ Math.imul(h4, 0xd3a2646c));
  h3 = fmix(h3 ^ h1);
  h4 = fmix(h4 ^ h2);
  h1 = fmix(h1 ^ h4);
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The PRNG for one scheduling call's choices (node shuffles, port picks; never ids). The
 * caller's seed is mixed with the eval's ID and the snapshot index, so that two evals (or two
 * attempts of one eval on newer state) choose independently, while the same inputs still give
 * the same plan.
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

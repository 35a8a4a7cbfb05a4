/** A seeded pseudo-random source (mulberry32), so a scenario with a seed runs the same every time. */
export interface Random {
  next(): number;
}

/** What a simulator takes to run on the scenario's clock and randomness. */
export interface SimulatorTiming {
  random?: Random;
  /** Share (0-1) of calls answered as throttled, in the service's own words. */
  throttleRate?: number;
  /** Returns the current (virtual) time in ms. */
  now?: () => number;
}

/** Whether a call is to be answered as throttled: a draw of the simulator's randomness under its throttle rate. */
export function throttled({ random, throttleRate = 0 }: SimulatorTiming): boolean {
  return throttleRate > 0 && random !== undefined && random.next() < throttleRate;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/**
 * Runs `work` with Math.random drawn from `seed`: whatever the local run leaves to Math.random (the
 * engine's Retry jitter, the SDK's backoff, our quick pauses) repeats from run to run, so the same
 * scenario prints the same figures. Restored afterwards.
 */
export async function withSeededMathRandom<T>(seed: number, work: () => Promise<T>): Promise<T> {
  const original = Math.random;
  // A stream of its own: the simulators' draws from `seed` stay what they were.
  const random = seededRandom(seed ^ 0x5eed5eed);
  Math.random = () => random.next();
  try {
    return await work();
  } finally {
    Math.random = original;
  }
}

import { checkOptions } from '../base/check-options.js';
import { describeValue } from '../base/describe-value.js';
import { ERR_ARG, MPIError } from '../base/errors.js';
import {
  ALGORITHMS,
  type AlgorithmSpec,
  COLLECTIVES,
  type CollectiveName,
} from '../collectives/algorithms.js';
import { OPTIMIZE_VALUES } from '../collectives/choose.js';
import {
  type CollectiveTuning,
  DEFAULT_TUNING,
  type TuningUpdate,
} from '../collectives/collective-tuning.js';

const SPEC_KEYS = new Set(['name', 'radix', 'radix2']);

/** An algorithm override: a known algorithm of that collective, radices integers >= 2. */
function checkAlgorithm(collective: CollectiveName, spec: unknown): asserts spec is AlgorithmSpec {
  const where = `setTuning: \`algorithm.${collective}\``;
  if (spec === null || typeof spec !== 'object') {
    throw new MPIError(ERR_ARG, `${where}: expected { name, radix?, radix2? }, got ${describeValue(spec)}`);
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key))
      throw new MPIError(ERR_ARG, `${where}: unknown key \`${key}\`; expected name, radix, radix2`);
  }
  const { name, radix, radix2 } = spec as AlgorithmSpec;
  const names = ALGORITHMS[collective];
  if (!names.includes(name)) {
    throw new MPIError(
      ERR_ARG,
      `${where}: expected \`name\` to be one of ${names.join(', ')}, got ${describeValue(name)}`,
    );
  }
  for (const [key, v] of [
    ['radix', radix],
    ['radix2', radix2],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 2)) {
      throw new MPIError(
        ERR_ARG,
        `${where}: expected \`${key}\` to be an integer >= 2, got ${describeValue(v)}`,
      );
    }
  }
}

/**
 * The tuning `current` becomes under `setTuning(t)`, after checking every field of `t`.
 * Setting `radix` or `allreduce` without `optimize` fixes the trees, turning the model off;
 * `algorithm` entries merge into the current ones, `null` removing one.
 */
export function updateTuning(current: CollectiveTuning, t: TuningUpdate): CollectiveTuning {
  try {
    checkOptions('setTuning', t, Object.keys(DEFAULT_TUNING));
  } catch (err) {
    // Comm methods reject bad arguments with MPIError(ERR_ARG), as every other argument check.
    throw new MPIError(ERR_ARG, (err as Error).message, { cause: err });
  }
  if (t.radix !== undefined && !(Number.isInteger(t.radix) && t.radix >= 2)) {
    throw new MPIError(
      ERR_ARG,
      `setTuning: expected \`radix\` to be an integer >= 2, got ${describeValue(t.radix)}`,
    );
  }
  if (t.allreduce !== undefined && t.allreduce !== 'recursive-doubling' && t.allreduce !== 'reduce-bcast') {
    throw new MPIError(
      ERR_ARG,
      `setTuning: expected \`allreduce\` to be 'recursive-doubling' or 'reduce-bcast', got ${describeValue(t.allreduce)}`,
    );
  }
  if (t.optimize !== undefined && t.optimize !== null && !OPTIMIZE_VALUES.includes(t.optimize)) {
    throw new MPIError(
      ERR_ARG,
      `setTuning: expected \`optimize\` to be 'balanced', 'latency', 'cost' or null, got ${describeValue(t.optimize)}`,
    );
  }
  if (
    t.profile !== undefined &&
    (t.profile === null || typeof t.profile !== 'object' || !t.profile.callLatency)
  ) {
    throw new MPIError(
      ERR_ARG,
      `setTuning: expected \`profile\` to be a TransportProfile, got ${describeValue(t.profile)}`,
    );
  }
  const algorithm = { ...current.algorithm };
  if (t.algorithm !== undefined) {
    if (t.algorithm === null || typeof t.algorithm !== 'object') {
      throw new MPIError(
        ERR_ARG,
        `setTuning: expected \`algorithm\` to be an object, got ${describeValue(t.algorithm)}`,
      );
    }
    for (const [coll, spec] of Object.entries(t.algorithm)) {
      if (!COLLECTIVES.includes(coll as CollectiveName)) {
        throw new MPIError(
          ERR_ARG,
          `setTuning: unknown collective \`${coll}\` in \`algorithm\`; expected one of ${COLLECTIVES.join(', ')}`,
        );
      }
      const c = coll as CollectiveName;
      if (spec === null || spec === undefined) {
        delete algorithm[c];
        continue;
      }
      checkAlgorithm(c, spec);
      algorithm[c] = { ...spec };
    }
  }
  const { algorithm: _, ...rest } = t;
  const fixes = (t.radix !== undefined || t.allreduce !== undefined) && t.optimize === undefined;
  return { ...current, ...rest, algorithm, ...(fixes ? { optimize: null } : {}) };
}

import { describeType, shortValue } from '../base/describe-value.js';
import { type Op, predefinedOp } from './op.js';
import { failOp, lengthMismatch, rejectOperands } from './operand-errors.js';

type Pair = [number | bigint, number];

function isPair(v: unknown): v is Pair {
  if (!Array.isArray(v) || v.length !== 2) return false;
  const t = typeof v[0];
  return (t === 'number' || t === 'bigint') && Number.isSafeInteger(v[1]);
}

/** Why `v` is not a `[value, index]` pair, as "got ..." text. */
function pairProblem(v: unknown): string {
  if (Array.isArray(v) && v.length === 2) {
    const t = typeof v[0];
    if (t !== 'number' && t !== 'bigint')
      return `a pair whose value is ${describeType(v[0])}, not a number or bigint`;
    return `a pair whose index is ${describeType(v[1])}, not an integer`;
  }
  return describeType(v);
}

function validateLoc(name: string, v: unknown, where: string): void {
  if (isPair(v)) return;
  if (Array.isArray(v) && (v.length === 0 || Array.isArray(v[0]))) {
    for (let i = 0; i < v.length; i++) {
      if (!isPair(v[i]))
        failOp(
          where,
          `${name} expects an array of [value, index] pairs, but element ${i} is ${pairProblem(v[i])}`,
        );
    }
    return;
  }
  failOp(where, `${name} expects a [value, index] pair, got ${pairProblem(v)}`);
}

/**
 * The winning pair, as a new pair. The order is total, so the op is associative and commutative:
 * by value (largest for MAXLOC, smallest for MINLOC), NaN beating every number as it does in
 * MAX/MIN, and on equal values (or two NaNs) the lower index.
 */
function locPair(name: string, max: boolean, a: Pair, b: Pair): Pair {
  const [av, ai] = a;
  const [bv, bi] = b;
  if (typeof av !== typeof bv) {
    failOp(
      '',
      `${name} cannot mix number and bigint values, got [${shortValue(av)}, ${ai}] and [${shortValue(bv)}, ${bi}]: convert one side with Number() or BigInt()`,
    );
  }
  let aWins: boolean;
  if (av > bv) aWins = max;
  else if (av < bv) aWins = !max;
  else {
    const aNaN = Number.isNaN(av);
    const bNaN = Number.isNaN(bv);
    aWins = aNaN === bNaN ? ai <= bi : aNaN;
  }
  return aWins ? [av, ai] : [bv, bi];
}

/** MAXLOC (`max`) or MINLOC: on `[value, index]` pairs, or element-wise on arrays of pairs. */
export function locOp(name: string, max: boolean): Op {
  const spec = { name, validate: (v: unknown, where: string) => validateLoc(name, v, where) };
  const combineLoc = (a: unknown, b: unknown): unknown => {
    if (isPair(a) && isPair(b)) return locPair(name, max, a, b);
    spec.validate(a, '');
    spec.validate(b, '');
    if (isPair(a) || isPair(b)) rejectOperands(spec, a, b);
    const as = a as Pair[];
    const bs = b as Pair[];
    if (as.length !== bs.length) lengthMismatch(spec, as, bs);
    const out = new Array<Pair>(as.length);
    for (let i = 0; i < as.length; i++) out[i] = locPair(name, max, as[i]!, bs[i]!);
    return out;
  };
  return predefinedOp(name, true, combineLoc, spec.validate);
}

import { describe, expect, it } from 'vitest';
import { choose } from '../../../sdk/collectives/choose.js';
import { MODEL_CACHES, ModelCache } from '../../../sdk/collectives/model-cache.js';
import { predict } from '../../../sdk/collectives/predict.js';
import { SQS_PROFILE, withProfile } from '../../../sdk/collectives/transport-profile.js';

describe('the cost model caches', () => {
  it('compute a value once per key and hand back the same one after', () => {
    const cache = new ModelCache<{ n: number }>('test');
    let calls = 0;
    const a = cache.get('k', () => ({ n: ++calls }));
    const b = cache.get('k', () => ({ n: ++calls }));
    expect(b).toBe(a);
    expect(calls).toBe(1);
    expect(cache.size).toBe(1);
    cache.clear();
    expect(cache.get('k', () => ({ n: ++calls })).n).toBe(2);
  });

  it('are all listed, and key profiles by content: an equal profile reuses the predictions and choices', () => {
    const names = MODEL_CACHES.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/child counts/),
        expect.stringMatching(/^predictions/),
        expect.stringMatching(/^choices/),
      ]),
    );
    const shape = { collective: 'bcast', size: 37, bytes: 8 } as const;
    const spec = { name: 'knomial', radix: 3 } as const;
    const first = predict(SQS_PROFILE, shape, spec);
    const equal = withProfile(SQS_PROFILE, {});
    expect(equal).not.toBe(SQS_PROFILE);
    expect(predict(equal, shape, spec)).toBe(first);
    expect(choose(equal, shape, 'cost')).toBe(choose(SQS_PROFILE, shape, 'cost'));
  });
});

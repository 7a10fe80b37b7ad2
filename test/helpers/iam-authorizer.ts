/**
 * TEST-ONLY: IAM for the stand-ins. Every request that reaches a stand-in endpoint carries the
 * access key id of the principal that signed it (launcher, rank function, sweeper: distinct
 * credentials); the endpoint maps it to an IAM action and resource ARN and asks `authorize`.
 *
 * The evaluation is `@cloud-copilot/iam-simulate` (AGPL-3.0: a devDependency used only here,
 * never bundled or shipped): it implements IAM's policy evaluation logic (explicit deny, allow,
 * wildcards, conditions) and knows, from AWS's service authorization reference, which resource
 * types each action applies to. Chosen over moto's IAM enforcement because it evaluates the
 * synthesized policies as they are, the same way in front of fauxqs and of moto, and explains
 * each decision.
 *
 * A denied call is recorded (tests assert there are none) and answered 403 by the endpoint, as
 * AWS would. `unusedGrants()` reports each granted action that no call used (least privilege).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, type PrincipalPolicies } from './synthesized-stack.js';

export interface Decision {
  principal: string;
  action: string;
  resource: string;
  allowed: boolean;
}

export interface IamAuthorizer {
  /** Credentials to give a principal: its access key id identifies it in every request. */
  credentials(principal: string): { accessKeyId: string; secretAccessKey: string };
  authorize(accessKeyId: string | undefined, action: string, resource: string): Promise<boolean>;
  /** The same evaluation, not recorded as a call (for rules that depend on a permission). */
  allows(accessKeyId: string | undefined, action: string, resource: string): Promise<boolean>;
  /** Every call denied so far. */
  readonly denials: readonly Decision[];
  /** Every distinct (principal, action) seen. */
  used(): Map<string, Set<string>>;
  /** Per principal, the granted actions no call used. */
  unusedGrants(): Record<string, string[]>;
}

/** Access key ids look like AWS's (AKIA + 16 upper-case characters); the principal is in the id. */
function keyFor(principal: string): string {
  return `AKIA${principal
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .padEnd(16, 'X')
    .slice(0, 16)}`;
}

export function createIamAuthorizer(principals: Record<string, PrincipalPolicies>): IamAuthorizer {
  const byKey = new Map(Object.keys(principals).map((name) => [keyFor(name), name]));
  const denials: Decision[] = [];
  const usedActions = new Map<string, Set<string>>();
  const cache = new Map<string, Promise<boolean>>();

  async function evaluate(principal: string, action: string, resource: string): Promise<boolean> {
    const p = principals[principal]!;
    const result = await runSimulation(
      {
        request: {
          principal: p.arn,
          action,
          resource: { resource, accountId: ACCOUNT },
          contextVariables: { 'aws:SecureTransport': 'true' },
        },
        identityPolicies: p.policies.map((x) => ({ name: x.name, policy: x.policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') {
      throw new Error(`iam-simulate rejected ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
    }
    return result.overallResult === 'Allowed';
  }

  const decide = (principal: string, action: string, resource: string) => {
    const key = `${principal} ${action} ${resource}`;
    let pending = cache.get(key);
    if (pending === undefined) {
      pending = evaluate(principal, action, resource);
      cache.set(key, pending);
    }
    return pending;
  };

  return {
    async allows(accessKeyId, action, resource) {
      const principal = accessKeyId === undefined ? undefined : byKey.get(accessKeyId);
      return principal !== undefined && (await decide(principal, action, resource));
    },
    credentials: (principal) => ({ accessKeyId: keyFor(principal), secretAccessKey: `secret-${principal}` }),
    denials,
    used: () => usedActions,
    async authorize(accessKeyId, action, resource) {
      const principal = accessKeyId === undefined ? undefined : byKey.get(accessKeyId);
      if (principal === undefined) {
        denials.push({ principal: `unknown key ${accessKeyId}`, action, resource, allowed: false });
        return false;
      }
      const allowed = await decide(principal, action, resource);
      if (!usedActions.has(principal)) usedActions.set(principal, new Set());
      usedActions.get(principal)!.add(action);
      if (!allowed) denials.push({ principal, action, resource, allowed });
      return allowed;
    },
    unusedGrants() {
      const out: Record<string, string[]> = {};
      for (const [principal, p] of Object.entries(principals)) {
        const granted = new Set<string>();
        for (const { policy } of p.policies) {
          for (const st of policy.Statement) {
            if (st.Effect !== 'Allow') continue;
            for (const a of [st.Action].flat()) if (typeof a === 'string') granted.add(a);
          }
        }
        const used = usedActions.get(principal) ?? new Set();
        out[principal] = [...granted].filter((a) => !used.has(a)).sort();
      }
      return out;
    },
  };
}

/**
 * Actions granted to a role that the stand-ins cannot see being used, with the reason: Lambda
 * itself writes a function's logs with its execution role, outside the function's code.
 */
export const UNOBSERVABLE_ACTIONS: Readonly<Record<string, string>> = {
  'logs:CreateLogStream': 'used by the Lambda service to write the function log, not by the code',
  'logs:PutLogEvents': 'used by the Lambda service to write the function log, not by the code',
  'logs:CreateLogGroup': 'used by the Lambda service to write the function log, not by the code',
};

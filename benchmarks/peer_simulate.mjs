// Peer runner for benchmarks/engine.py: runs @cloud-copilot/iam-simulate over a `simulate --cases` file,
// one JSON line per case. Install the package outside the repository (cd /tmp/peer && npm install
// @cloud-copilot/iam-simulate); `python benchmarks/engine.py --peer /tmp/peer` copies this file there and runs it.
import { readFileSync } from 'node:fs';
import { runSimulation, runUnsafeSimulation, anonymousPrincipal } from '@cloud-copilot/iam-simulate';

// --unsafe: the peer's fastest path (no input validation, no resource-type discovery), synchronous
const unsafe = process.argv.includes('--unsafe');

const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.trim());
const named = (list, prefix) => (list || []).map((policy, i) => ({ name: `${prefix}${i}`, policy }));
const org = (levels) => (levels || []).map((l) => ({ orgIdentifier: l.org_identifier,
  policies: named(l.policies, `${l.org_identifier}-`) }));
const out = [];
for (const line of lines) {
  const c = JSON.parse(line);
  const r = c.request;
  const principal = r.principal === 'anonymous' ? anonymousPrincipal : r.principal;
  const sim = {
    request: { principal, action: r.action,
      resource: { resource: r.resource || '*', accountId: r.resource_account || '' },
      contextVariables: r.context || {} },
    identityPolicies: named(c.identity_policies, 'id'),
    serviceControlPolicies: org(c.scps), resourceControlPolicies: org(c.rcps),
    sessionPolicy: c.session_policy || undefined, resourcePolicy: c.resource_policy || undefined,
    permissionBoundaryPolicies: c.permission_boundaries ? named(c.permission_boundaries, 'pb') : undefined,
    vpcEndpointPolicies: c.vpc_endpoint_policies ? named(c.vpc_endpoint_policies, 'vpce') : undefined,
  };
  let res;
  try {
    res = unsafe ? { resultType: 'single', overallResult: runUnsafeSimulation(sim, {}) } : await runSimulation(sim, {});
  } catch (e) { res = { resultType: 'error', errors: { message: String(e) } }; }
  out.push(JSON.stringify(res.resultType === 'error' ? { id: c.id, error: res.errors.message }
    : { id: c.id, decision: res.overallResult }));
}
process.stdout.write(out.join('\n') + '\n');

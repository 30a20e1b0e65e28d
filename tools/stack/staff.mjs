// A staff member made the way an operator makes one, for the tools that run the built platform (the
// fuzz stage, the benchmarks): `account:create-staff` as built, against the account service's
// database, the printed set-password link used at the running account service, then a sign-in.
// Specs have the same in libs/testing (createStaffMember), which runs from source.
import { randomUUID } from 'node:crypto';
import { runOperatorCommand } from './operator-command.mjs';

/**
 * @param {string} url
 * @param {unknown} body
 */
const postJson = (url, body) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/**
 * @param {{ accountUrl: string, databaseUrl: string, portalUrl: string, role: 'sales-rep' | 'sales-manager',
 *           email?: string, password: string }} options
 * @returns {Promise<{ accountId: string, email: string, accessToken(): Promise<string> }>}
 */
export async function createStaffMember(options) {
  const { accountUrl, databaseUrl, portalUrl, role, password } = options;
  const email = options.email ?? `staff-${role}-${randomUUID().slice(0, 8)}@desk.example`;
  const output = await runOperatorCommand(
    'dist/out-tsc/apps/account/src/staff/create-staff.js',
    ['--email', email, '--role', role],
    { DATABASE_URL: databaseUrl, PORTAL_URL: portalUrl },
  );
  const accountId = /Staff account ([0-9a-f-]{36})/.exec(output)?.[1];
  const link = /(https?:\/\/\S+set-password\?token=\S+)/.exec(output)?.[1];
  if (!accountId || !link) throw new Error(`create-staff printed no account or link:\n${output}`);
  const token = new URL(link).searchParams.get('token');
  const confirmed = await postJson(`${accountUrl}/v1/auth/password-reset/confirm`, { token, password });
  if (confirmed.status !== 204) throw new Error(`setting the staff password answered ${confirmed.status}`);
  return {
    accountId,
    email,
    async accessToken() {
      const response = await postJson(`${accountUrl}/v1/auth/token`, { email, password });
      const body = /** @type {{ accessToken?: string }} */ (await response.json());
      if (response.status !== 200 || !body.accessToken)
        throw new Error(`staff sign-in answered ${response.status}`);
      return body.accessToken;
    },
  };
}

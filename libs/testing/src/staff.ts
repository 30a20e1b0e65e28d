import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';

const ROOT = resolve(__dirname, '..', '..', '..');
const PASSWORD = 'staff password for tests';

export type StaffRole = 'sales-rep' | 'sales-manager';

export interface StaffMember {
  accountId: string;
  email: string;
  password: string;
  role: StaffRole;
  /** A fresh access token (roles included) from the account service. */
  accessToken(): Promise<string>;
}

/** Runs a built command (`node -r register-aliases dist/…`), resolving with its exit code and output. */
export function runBuiltCommand(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(
      process.execPath,
      ['-r', join(ROOT, 'tools', 'runtime', 'register-aliases.cjs'), join(ROOT, script), ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * A staff member made the way an operator makes one: `npm run account:create-staff` (as built)
 * against the account service's database, then the printed set-password link used at the running
 * account service, then a sign-in. Mail is not needed: the command prints the link too.
 */
export async function createStaffMember(
  account: { url: string; databaseUrl: string; portalUrl: string },
  role: StaffRole,
  email = `staff-${randomUUID().slice(0, 8)}@desk.example`,
): Promise<StaffMember> {
  const made = await runBuiltCommand(
    'dist/out-tsc/apps/account/src/staff/create-staff.js',
    ['--email', email, '--role', role],
    {
      DATABASE_URL: account.databaseUrl,
      PORTAL_URL: account.portalUrl,
    },
  );
  const accountId = /Staff account ([0-9a-f-]{36})/.exec(made.stdout)?.[1];
  const link = /(https?:\/\/\S+set-password\?token=\S+)/.exec(made.stdout)?.[1];
  if (made.code !== 0 || !accountId || !link) {
    throw new Error(`account:create-staff failed (${made.code}):\n${made.stdout}${made.stderr}`);
  }
  const token = new URL(link).searchParams.get('token');
  const confirmed = await fetch(`${account.url}/v1/auth/password-reset/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, password: PASSWORD }),
  });
  if (confirmed.status !== 204) throw new Error(`setting the staff password answered ${confirmed.status}`);
  return {
    accountId,
    email,
    password: PASSWORD,
    role,
    async accessToken() {
      const response = await fetch(`${account.url}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      const body = (await response.json()) as { accessToken?: string };
      if (response.status !== 200 || !body.accessToken)
        throw new Error(`staff sign-in answered ${response.status}`);
      return body.accessToken;
    },
  };
}

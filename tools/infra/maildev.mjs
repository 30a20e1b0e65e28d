// MailDev catches every mail the services send (SMTP) and shows it in a web UI and a REST API, e.g.
//   GET    <apiUrl>/api/email            all mails (JSON; filter with ?to.address=a@b.test, ?subject=…)
//   GET    <apiUrl>/api/email/:id        one mail (marks it read); /html, /source, /attachment/:name
//   DELETE <apiUrl>/api/email/:id        one mail;  DELETE <apiUrl>/api/email/all  every mail
//   GET    <apiUrl>/api/healthz          true once it is up
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertPortsFree,
  defaultLog,
  exited,
  pidFile,
  spawnDaemon,
  stopChild,
  tail,
  waitFor,
} from './process.mjs';

// The package exports only its library entry (dist/index.js); the CLI sits next to it.
const cli = fileURLToPath(new URL('./bin/maildev.js', import.meta.resolve('maildev')));

/** @typedef {import('./process.mjs').Log} Log */

/**
 * Starts MailDev bound to 127.0.0.1. With a `dataDir`, mails are kept in `<dataDir>/mail` across
 * restarts and its output goes to `<dataDir>/maildev.log`.
 * @param {{ smtpPort?: number, webPort?: number, dataDir?: string, log?: Log }} [options]
 */
export async function startMaildev({ smtpPort = 1025, webPort = 1080, dataDir, log = defaultLog } = {}) {
  const started = Date.now();
  const args = [
    cli,
    '--smtp',
    String(smtpPort),
    '--ip',
    '127.0.0.1',
    '--web',
    String(webPort),
    '--web-ip',
    '127.0.0.1',
  ];
  let logFile = '(no log: started without a data directory)';
  /** @type {string | undefined} */
  let pids;
  if (dataDir) {
    dataDir = resolve(dataDir);
    mkdirSync(join(dataDir, 'mail'), { recursive: true });
    args.push('--mail-directory', join(dataDir, 'mail'));
    logFile = join(dataDir, 'maildev.log');
    pids = join(dataDir, 'maildev.pid');
    await pidFile.reclaim(pids, { name: 'MailDev', marker: join(dataDir, 'mail'), log });
  }
  await assertPortsFree('MailDev', [smtpPort, webPort]);
  const out = dataDir ? openSync(logFile, 'a') : 'ignore';
  const child = spawnDaemon(process.execPath, args, { stdio: ['ignore', out, out] });
  if (typeof out === 'number') closeSync(out);
  if (pids && child.pid) pidFile.write(pids, child.pid);

  const apiUrl = `http://127.0.0.1:${webPort}`;
  try {
    await waitFor(async () => (await fetch(`${apiUrl}/api/healthz`)).ok, {
      timeoutMs: 20_000,
      abort: () =>
        child.exitCode !== null
          ? `MailDev exited during start-up (code ${child.exitCode}):\n${tail(logFile)}`
          : undefined,
      onTimeout: () => `MailDev did not answer on ${apiUrl}/api/healthz within 20s; see ${logFile}`,
    });
  } catch (error) {
    await stopChild(child, { name: 'MailDev', log });
    throw error;
  }
  log(
    `MailDev ready (SMTP 127.0.0.1:${smtpPort}, web ${apiUrl}) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    apiUrl,
    pid: /** @type {number} */ (child.pid),
    exited: exited(child),
    async stop() {
      await stopChild(child, { name: 'MailDev', log });
      if (pids) pidFile.remove(pids);
      log('MailDev stopped');
    },
  };
}

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { delay, type RunningService } from '@otl/testing';
import {
  MAIN,
  REGISTER_ALIASES,
  ROOT,
  call,
  payloadFor,
  seats,
  sign,
  startSelfHosted,
  tempDir,
  vendorKey,
} from './self-hosted-support';

// Proof 1 of "no outbound connection": the server and a client run in a network namespace whose
// only interface is loopback; the client loads a licence file and leases as a customer would.
// The client signs the file for the instance id the server made inside the namespace.
const CLIENT = `
const { createPrivateKey, randomUUID } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { newLicenseKey, signLicenseFile } = require('@otl/licensing');
const url = 'http://127.0.0.1:' + process.env.PORT;
const key = { kid: process.env.KID, privateKey: createPrivateKey(readFileSync(process.env.KEY_FILE, 'utf8')) };
const call = async (method, path, body) => {
  const response = await fetch(url + path, { method, headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
};
(async () => {
  const deadline = Date.now() + 30000;
  for (;;) {
    try { if ((await fetch(url + '/health/ready')).status === 200) break; } catch {}
    if (Date.now() > deadline) throw new Error('server not ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const instance = await call('GET', '/v1/lts/instance');
  const payload = (ltsInstanceId) => ({ licenseId: randomUUID(), licenseKey: newLicenseKey(), accountId: randomUUID(),
    trackingMode: 'self-hosted', ltsInstanceId, trackingUrl: null,
    entitlements: [{ product: 'barcode-reader-js', unit: 'device', seats: 2, expiresAt: null }],
    issuedAt: new Date().toISOString() });
  const mine = payload(instance.body.ltsInstanceId);
  const results = { instance: instance.body };
  results.load = await call('POST', '/v1/lts/license-files', signLicenseFile(mine, key));
  results.foreign = await call('POST', '/v1/lts/license-files', signLicenseFile(payload('lts-elsewhere'), key));
  const acquire = (clientId) => call('POST', '/v1/lts/leases', { licenseKey: mine.licenseKey, clientId });
  results.acquired = [await acquire('a'), await acquire('b'), await acquire('c')].map((answer) => answer.status);
  const lease = (await acquire('a')).body;
  results.heartbeat = (await call('POST', '/v1/lts/leases/' + lease.leaseId + '/heartbeat')).status;
  results.release = (await call('DELETE', '/v1/lts/leases/' + lease.leaseId)).status;
  results.afterRelease = (await acquire('c')).status;
  results.usage = (await call('GET', '/v1/lts/licenses/' + mine.licenseKey + '/usage')).body;
  process.stdout.write('RESULTS ' + JSON.stringify(results) + '\\n');
})().catch((error) => { console.error(error); process.exit(1); });
`;

const NAMESPACE_SCRIPT = `
set -u
ip link set lo up
echo "LINKS $(ip -o link show | awk -F': ' '{print $2}' | tr '\\n' ' ')"
echo "ROUTES $(ip route show | wc -l) $(ip -6 route show | grep -v '^::1 \\|^fe80' | wc -l)"
node -r "$ALIASES" "$MAIN" > "$SERVER_LOG" 2>&1 &
server=$!
node -r "$ALIASES" "$CLIENT_FILE"
status=$?
kill -TERM "$server"
wait "$server"
exit $status
`;

describe('self-hosted LTS in a network namespace with only loopback', () => {
  it('serves licence files and leases fully there', () => {
    const dir = tempDir('lts-netns');
    const key = vendorKey(dir);
    const keyFile = join(dir, 'vendor-private.pem');
    writeFileSync(keyFile, key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const clientFile = join(dir, 'client.js');
    writeFileSync(clientFile, CLIENT);
    const serverLog = join(dir, 'server.log');
    const result = spawnSync('unshare', ['-n', 'sh', '-c', NAMESPACE_SCRIPT], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH ?? '',
        ALIASES: REGISTER_ALIASES,
        MAIN,
        CLIENT_FILE: clientFile,
        SERVER_LOG: serverLog,
        KEY_FILE: keyFile,
        KID: key.kid,
        LTS_MODE: 'self-hosted',
        LTS_DATA_DIR: join(dir, 'data'),
        LTS_VENDOR_KEYS_FILE: key.keysFile,
        HOST: '127.0.0.1',
        PORT: '3106',
        LOG_LEVEL: 'warn',
      },
    });
    const lines = result.stdout.split('\n');
    const field = (name: string) => lines.find((line) => line.startsWith(`${name} `))?.slice(name.length + 1);
    const context = `exit ${result.status}\n${result.stdout}\n${result.stderr}\n${readFileSync(serverLog, 'utf8')}`;
    expect({ status: result.status, context }).toEqual({ status: 0, context });
    // The namespace has loopback only, and no route anywhere.
    expect(field('LINKS')?.trim()).toBe('lo');
    expect(field('ROUTES')).toBe('0 0');
    const results = JSON.parse(field('RESULTS') ?? 'null') as Record<string, unknown>;
    expect(results).toMatchObject({
      instance: { mode: 'self-hosted', ltsInstanceId: expect.stringMatching(/^lts-/) },
      load: { status: 201 },
      foreign: { status: 400, body: { type: expect.stringMatching(/license-file-wrong-instance$/) } },
      acquired: [201, 201, 409],
      heartbeat: 200,
      release: 204,
      afterRelease: 201,
      usage: [expect.objectContaining({ seatsTotal: 2, seatsInUse: 2 })],
    });
    expect(readFileSync(serverLog, 'utf8')).not.toMatch(/"level":"(error|fatal)"/);
  });
});

// Proof 2: while the server serves leases, every socket it holds is its listener or a connection
// it accepted from this test's clients.
interface TcpEntry {
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  state: string;
  table: string;
}

const inodesOf = (pid: number | 'self') =>
  new Map(
    readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return match ? [[match[1]!, Number(fd)] as const] : [];
      } catch {
        return []; // closed while listing
      }
    }),
  );

const hexAddress = (hex: string) =>
  hex.length === 8 ? (Buffer.from(hex, 'hex').reverse().join('.') as string) : hex;

/** Every socket the process's network namespace lists, by inode, from /proc/<pid>/net. */
function socketTables(pid: number): { tcp: Map<string, TcpEntry>; other: Map<string, string> } {
  const tcp = new Map<string, TcpEntry>();
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const [local, remote] = [columns[1]!.split(':'), columns[2]!.split(':')];
      tcp.set(columns[9]!, {
        local: hexAddress(local[0]!),
        localPort: parseInt(local[1]!, 16),
        remote: hexAddress(remote[0]!),
        remotePort: parseInt(remote[1]!, 16),
        state: columns[3]!,
        table,
      });
    }
  }
  const other = new Map<string, string>();
  const inodeColumn: Record<string, number> = {
    udp: 9,
    udp6: 9,
    raw: 9,
    raw6: 9,
    unix: 6,
    netlink: 8,
    packet: 8,
  };
  for (const [table, column] of Object.entries(inodeColumn)) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const inode = line.trim().split(/\s+/)[column];
      if (inode) other.set(inode, table);
    }
  }
  return { tcp, other };
}

/** What each of the server's sockets is; `unexpected` lists any that is neither listener nor accepted. */
function classifySockets(pid: number, port: number) {
  // The fds first, then the tables: a socket opened in between is in neither list, not unexplained.
  const server = inodesOf(pid);
  const client = inodesOf('self');
  const { tcp, other } = socketTables(pid);
  const clientPorts = new Set([...client.keys()].flatMap((inode) => tcp.get(inode)?.localPort ?? []));
  const result = { listeners: 0, accepted: 0, stdio: 0, unexpected: [] as string[] };
  const stillOpen = inodesOf(pid);
  for (const [inode, fd] of server) {
    const entry = tcp.get(inode);
    if (entry?.state === '0A' && entry.localPort === port) result.listeners++;
    else if (
      entry?.state === '01' &&
      entry.localPort === port &&
      entry.remote === '127.0.0.1' &&
      clientPorts.has(entry.remotePort)
    )
      result.accepted++;
    else if (!entry && other.get(inode) === 'unix' && fd <= 2)
      result.stdio++; // pipes to this test
    else if (!entry && !other.has(inode) && !stillOpen.has(inode))
      continue; // closed while listing
    else
      result.unexpected.push(
        `fd ${fd}: ${entry ? JSON.stringify(entry) : (other.get(inode) ?? 'unknown')} socket ${inode}`,
      );
  }
  return result;
}

describe('self-hosted LTS sockets while it serves leases', () => {
  let lts: RunningService | undefined;
  afterAll(async () => {
    await lts?.stop();
  });

  it('holds only its listener and the connections it accepted', async () => {
    const dir = tempDir('lts-sockets');
    const key = vendorKey(dir);
    lts = await startSelfHosted(join(dir, 'data'), key.keysFile);
    const pid = lts.process.pid!;
    const instanceId = String((await call(lts.url, 'GET', '/v1/lts/instance')).body['ltsInstanceId']);
    const payload = payloadFor(instanceId, [seats('barcode-reader-js', 20)]);
    expect((await call(lts.url, 'POST', '/v1/lts/license-files', sign(payload, key))).status).toBe(201);

    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const post = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${lts!.url}${path}`, { method: 'POST', agent }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });

    const samples: ReturnType<typeof classifySockets>[] = [];
    let serving = true;
    const sampler = (async () => {
      while (serving) {
        samples.push(classifySockets(pid, lts!.port));
        await delay(20);
      }
    })();
    try {
      const leases = await Promise.all(
        Array.from({ length: 20 }, async (_, index) => {
          const answer = await fetch(`${lts!.url}/v1/lts/leases`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ licenseKey: payload.licenseKey, clientId: `device-${index}` }),
          });
          return ((await answer.json()) as { leaseId: string }).leaseId;
        }),
      );
      for (let round = 0; round < 5; round++) {
        const statuses = await Promise.all(
          leases.map((leaseId) => post(`/v1/lts/leases/${leaseId}/heartbeat`)),
        );
        expect(new Set(statuses)).toEqual(new Set([200]));
      }
    } finally {
      serving = false;
      await sampler;
    }
    samples.push(classifySockets(pid, lts.port)); // at rest, with the keep-alive connections still open
    agent.destroy();

    expect(samples.length).toBeGreaterThan(3);
    expect(samples.flatMap((sample) => sample.unexpected)).toEqual([]);
    expect(samples.every((sample) => sample.listeners === 1)).toBe(true);
    // The check sees the connections it is about: at rest, the agent's open ones are all there.
    expect(samples.at(-1)!.accepted).toBeGreaterThanOrEqual(1);
    expect(Math.max(...samples.map((sample) => sample.accepted))).toBeGreaterThanOrEqual(2);
    const ss = spawnSync('ss', ['-tanpH'], { encoding: 'utf8' });
    if (ss.status === 0) {
      const own = ss.stdout.split('\n').filter((line) => line.includes(`pid=${pid},`));
      for (const line of own) expect(line).toMatch(new RegExp(`127\\.0\\.0\\.1:${lts.port}\\s`));
    }
  });
});

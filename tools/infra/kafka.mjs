// A single-node Apache Kafka broker (KRaft) for local development and tests, run straight from the
// Maven Central jars (tools/kafka/pom.xml) with the local JDK: no Docker, no Kafka download.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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

const require = createRequire(import.meta.url);
/** @type {typeof import('kafkajs')} */
const { Kafka, logLevel } = require('kafkajs');

/** Keep in step with kafka.version in tools/kafka/pom.xml. */
export const KAFKA_VERSION = '4.4.0';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const pom = join(repoRoot, 'tools/kafka/pom.xml');
const libsDir = join(repoRoot, '.cache/kafka', KAFKA_VERSION, 'libs');

/** @typedef {import('./process.mjs').Log} Log */

/**
 * Downloads the broker's jars with Maven unless a complete copy is cached. Maven copies into a
 * scratch folder that is renamed at the end, so an interrupted download is never mistaken for a
 * complete one.
 * @param {{ log?: Log }} [options]
 * @returns {Promise<string>} the folder holding the jars
 */
export async function ensureKafkaJars({ log = defaultLog } = {}) {
  if (existsSync(join(libsDir, `kafka_2.13-${KAFKA_VERSION}.jar`))) return libsDir;

  log(`Fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central (first run only)…`);
  const scratch = `${libsDir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  const args = [
    '-B',
    '-f',
    pom,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${scratch}`,
  ];
  const started = Date.now();
  /** @type {string[]} */
  const output = [];
  let downloaded = 0;
  const maven = spawn('mvn', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (/** @type {Buffer} */ chunk) => {
    for (const line of chunk.toString().split('\n')) {
      output.push(line);
      if (line.includes('Downloaded from')) downloaded += 1;
    }
  };
  maven.stdout.on('data', collect);
  maven.stderr.on('data', collect);
  const progress = setInterval(() => log(`  … ${downloaded} files downloaded so far`), 3000);
  const code = await new Promise((done) => {
    maven.on('error', (error) => done(/** @type {NodeJS.ErrnoException} */ (error).code));
    maven.on('close', done);
  }).finally(() => clearInterval(progress));

  if (code !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    if (code === 'ENOENT')
      throw new Error(
        'Maven (mvn) is not installed; it is needed once to fetch the Kafka jars (Maven 3.8+, Java 17+).',
      );
    throw new Error(`Maven could not fetch the Kafka jars (exit ${code}):\n${output.slice(-40).join('\n')}`);
  }
  rmSync(libsDir, { recursive: true, force: true });
  renameSync(scratch, libsDir);
  log(
    `Kafka jars ready in ${Math.round((Date.now() - started) / 1000)}s (${downloaded} files downloaded) → ${libsDir}`,
  );
  return libsDir;
}

/**
 * Starts a broker+controller and resolves once kafkajs gets answers from it. The storage directory
 * is formatted only on first use, so topics, offsets and messages survive restarts.
 * @param {{ port?: number, controllerPort?: number, dataDir: string, partitions?: number, heap?: string, log?: Log }} options
 */
export async function startKafka({
  port = 9092,
  controllerPort = 9093,
  dataDir,
  partitions = 3,
  heap = '512m',
  log = defaultLog,
}) {
  const libs = await ensureKafkaJars({ log });
  dataDir = resolve(dataDir);
  const logDirs = join(dataDir, 'kraft');
  const brokerLog = join(dataDir, 'broker.log');
  const properties = join(dataDir, 'server.properties');
  const log4j = join(dataDir, 'log4j2.properties');
  const pids = join(dataDir, 'broker.pid');
  mkdirSync(dataDir, { recursive: true });
  await pidFile.reclaim(pids, { name: 'Kafka broker', marker: properties, log });
  await assertPortsFree('Kafka', [port, controllerPort]);

  // Rewritten on every start so port or setting changes apply to existing data.
  writeFileSync(properties, serverProperties({ port, controllerPort, logDirs, partitions }));
  writeFileSync(log4j, log4jProperties(brokerLog));
  const java = [
    ...['-cp', `${libs}/*`, `-Dlog4j2.configurationFile=${log4j}`],
    // Kafka shuts down in its own shutdown hook; log4j2 must not close the log before it is done.
    '-Dlog4j2.shutdownHookEnabled=false',
  ];

  if (!existsSync(join(logDirs, 'meta.properties'))) {
    log(`Formatting a new Kafka storage directory in ${logDirs}`);
    await run('Formatting Kafka storage', 'java', [
      ...java,
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id',
      newClusterId(),
      '--config',
      properties,
    ]);
  }

  const clusterId = clusterIdOf(logDirs);
  const started = Date.now();
  // The JVM's own output (crashes, heap errors) joins log4j2's in broker.log; both append.
  const out = openSync(brokerLog, 'a');
  const child = spawnDaemon('java', [`-Xms${heap}`, `-Xmx${heap}`, ...java, 'kafka.Kafka', properties], {
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  /** @type {Error | undefined} */
  let spawnError;
  child.on('error', (error) => (spawnError = error));
  if (child.pid) pidFile.write(pids, child.pid);
  const brokers = `127.0.0.1:${port}`;
  try {
    await waitFor(async () => (await describeCluster(brokers)) === clusterId, {
      timeoutMs: 90_000,
      intervalMs: 500,
      abort: () => {
        if (spawnError) return `Could not start java: ${spawnError.message}`;
        if (child.exitCode !== null)
          return `Kafka exited during start-up (code ${child.exitCode}). Last lines of ${brokerLog}:\n${tail(brokerLog)}`;
      },
      onTimeout: () =>
        `Kafka did not become ready on ${brokers} within 90s; see ${brokerLog}:\n${tail(brokerLog)}`,
    });
  } catch (error) {
    await stopChild(child, { name: 'Kafka', log });
    pidFile.remove(pids);
    throw error;
  }
  log(
    `Kafka ${KAFKA_VERSION} ready on ${brokers} in ${((Date.now() - started) / 1000).toFixed(1)}s (log: ${brokerLog})`,
  );

  return {
    brokers,
    pid: /** @type {number} */ (child.pid),
    logFile: brokerLog,
    exited: exited(child),
    async stop() {
      log('Stopping Kafka');
      // A controlled shutdown flushes the logs and closes them cleanly; 30s is plenty for one node.
      await stopChild(child, { name: 'Kafka', timeoutMs: 30_000, log });
      pidFile.remove(pids);
      log('Kafka stopped');
    },
  };
}

/**
 * Creates the topics that do not exist yet and waits until every partition of each has a leader:
 * kafkajs on KRaft fails to subscribe to a topic whose metadata is still being created.
 * @param {string} brokers comma-separated host:port list
 * @param {string[]} topics
 * @param {number} partitions
 */
export async function ensureTopics(brokers, topics, partitions) {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
        waitForLeaders: true,
      });
    }
    await waitFor(
      async () => {
        const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
        return metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      },
      {
        timeoutMs: 30_000,
        onTimeout: () => `Topics ${topics.join(', ')} did not get partition leaders within 30s`,
      },
    );
    return missing;
  } finally {
    await admin.disconnect();
  }
}

/** @param {string} brokers */
function kafka(brokers) {
  return new Kafka({
    clientId: 'local-infra',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING, // Connection refusals while waiting are expected, not news.
    retry: { retries: 2 },
  });
}

/** @param {string} brokers */
async function describeCluster(brokers) {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    await admin.listTopics();
    // The cluster id proves that the broker answering is the one using our storage directory.
    return (await admin.describeCluster()).clusterId;
  } finally {
    await admin.disconnect();
  }
}

/** @param {string} logDirs */
function clusterIdOf(logDirs) {
  const match = /^cluster\.id=(.+)$/m.exec(readFileSync(join(logDirs, 'meta.properties'), 'utf8'));
  if (!match) throw new Error(`No cluster.id in ${join(logDirs, 'meta.properties')}`);
  return match[1].trim();
}

/** @param {{ port: number, controllerPort: number, logDirs: string, partitions: number }} options */
function serverProperties({ port, controllerPort, logDirs, partitions }) {
  return `# Written by tools/infra/kafka.mjs on every start; edits here are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=${logDirs}
num.partitions=${partitions}
# Topics are created explicitly (ensureTopics), never as a side effect of a typo.
auto.create.topics.enable=false
# A single node can only hold one replica of the internal topics.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# No point waiting for more group members on a dev box; keeps tests fast.
group.initial.rebalance.delay.ms=0
`;
}

/** @param {string} file */
function log4jProperties(file) {
  return `# Written by tools/infra/kafka.mjs: broker logs go to a file, not the console.
appender.file.type=RollingFile
appender.file.name=file
appender.file.fileName=${file}
appender.file.filePattern=${file}.%i
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
appender.file.policies.type=Policies
appender.file.policies.size.type=SizeBasedTriggeringPolicy
appender.file.policies.size.size=20MB
appender.file.strategy.type=DefaultRolloverStrategy
appender.file.strategy.max=2
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
# One line per partition state change is noise on a dev box.
logger.state.name=state.change.logger
logger.state.level=WARN
`;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka's own generator skips these too: tools would read a leading '-' as a flag.
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Runs a short command, failing with its output.
 * @param {string} what
 * @param {string} command
 * @param {string[]} args
 */
function run(what, command, args) {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) =>
      fail(
        /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT'
          ? new Error(`${command} is not installed (Kafka needs Java 17+)`)
          : error,
      ),
    );
    child.on('close', (code) =>
      code === 0 ? done(output) : fail(new Error(`${what} failed (exit ${code}):\n${output}`)),
    );
  });
}

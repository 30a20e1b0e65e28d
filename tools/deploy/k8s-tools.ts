import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@otl/testing';
import { parseAllDocuments } from 'yaml';

/**
 * The pinned tools and schemas the k8s deploy spec checks k8s/ with, fetched from package registries
 * into .cache/k8s on first use (never committed) and reused afterwards:
 *
 * - kustomize, built from the Go module proxy with the machine's Go (`go install`);
 * - the Kubernetes JSON schemas (strict: `additionalProperties: false`) that the PyPI package
 *   kubernetes-validate ships, for the core kinds;
 * - the CRDs of CloudNativePG and of the prometheus-operator, from their Go modules;
 * - the Strimzi CRDs, from the tests jar of io.strimzi:api on Maven Central (Strimzi's build
 *   generates them there from the same model classes as the CRDs it installs).
 */
export const pins = {
  kustomize: 'v5.8.2', // v5.8.3 needs Go 1.27; this machine and CI have 1.26
  kubernetes: '1.34.0', // schema set of kubernetes-validate
  kubernetesValidate: '1.37.0',
  cloudnativePg: 'v1.30.1',
  prometheusOperator: 'v0.89.0',
  strimzi: '0.51.0',
} as const;

export const cacheDir = join(repoRoot, '.cache', 'k8s');

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function run(command: string, args: string[], env: Record<string, string> = {}): string {
  try {
    return execFileSync(command, args, {
      cwd: cacheDir,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stderr ?? ''}${stdout ?? ''}`, { cause: error });
  }
}

/** Fetches into a scratch folder and renames it into place, so an interrupted fetch is redone. */
function fetchOnce(target: string, what: string, fetch: (scratch: string) => void): string {
  if (existsSync(target)) return target;
  progress(`Fetching ${what} (first run only)…`);
  mkdirSync(cacheDir, { recursive: true });
  const scratch = `${target}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  fetch(scratch);
  rmSync(target, { recursive: true, force: true });
  renameSync(scratch, target);
  return target;
}

const goEnv = () => ({
  GOTOOLCHAIN: 'local',
  GOFLAGS: '-modcacherw',
  GOMODCACHE: join(cacheDir, 'go', 'mod'),
  GOCACHE: join(cacheDir, 'go', 'build'),
});

/** Extracts the zip entries under `prefix` (python3's zipfile: no unzip binary needed). */
function extract(zip: string, prefix: string, into: string): void {
  const script =
    'import sys, zipfile\n' +
    'z = zipfile.ZipFile(sys.argv[1])\n' +
    'names = [n for n in z.namelist() if n.startswith(sys.argv[2])]\n' +
    'assert names, "nothing under " + sys.argv[2]\n' +
    'z.extractall(sys.argv[3], names)\n';
  run('python3', ['-c', script, zip, prefix, into]);
}

export function kustomizeBinary(): string {
  const dir = fetchOnce(
    join(cacheDir, `kustomize-${pins.kustomize}`),
    `kustomize ${pins.kustomize} from the Go module proxy, building it with go install`,
    (scratch) => {
      run('go', ['install', `sigs.k8s.io/kustomize/kustomize/v5@${pins.kustomize}`], {
        ...goEnv(),
        GOBIN: scratch,
      });
      // The build cache is only needed to build it; the binary stays.
      rmSync(goEnv().GOCACHE, { recursive: true, force: true });
    },
  );
  return join(dir, 'kustomize');
}

function goModule(module: string, version: string): string {
  const dir = fetchOnce(
    join(cacheDir, `${module.split('/').pop() ?? module}-${version}`),
    `${module}@${version} from the Go module proxy`,
    (scratch) => {
      const info = JSON.parse(run('go', ['mod', 'download', '-json', `${module}@${version}`], goEnv())) as {
        Dir?: string;
        Error?: string;
      };
      if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no Dir'}`);
      // Only the path of the module's folder: the module cache (.cache/k8s/go/mod) holds its files.
      writeFileSync(join(scratch, 'module-dir'), info.Dir);
    },
  );
  return readFileSync(join(dir, 'module-dir'), 'utf8');
}

/** CRD YAML files by their file names. */
function crdFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => join(dir, name));
}

export function cloudnativePgCrds(): string[] {
  return crdFiles(
    join(goModule('github.com/cloudnative-pg/cloudnative-pg', pins.cloudnativePg), 'config/crd/bases'),
  );
}

export function prometheusOperatorCrds(): string[] {
  const dir = join(
    goModule('github.com/prometheus-operator/prometheus-operator', pins.prometheusOperator),
    'example/prometheus-operator-crd',
  );
  return crdFiles(dir).filter((file) => file.endsWith('monitoring.coreos.com_servicemonitors.yaml'));
}

export function strimziCrds(): string[] {
  const dir = fetchOnce(
    join(cacheDir, `strimzi-api-${pins.strimzi}`),
    `the Strimzi ${pins.strimzi} CRDs (io.strimzi:api tests jar) from Maven Central`,
    (scratch) => {
      run('mvn', [
        '-B',
        '-q',
        'dependency:copy',
        `-Dartifact=io.strimzi:api:${pins.strimzi}:jar:tests`,
        `-DoutputDirectory=${scratch}`,
      ]);
      extract(join(scratch, `api-${pins.strimzi}-tests.jar`), 'crds/v1/', scratch);
    },
  );
  return crdFiles(join(dir, 'crds', 'v1'));
}

/** The folder of per-kind JSON schemas (`deployment-apps-v1.json`, `_definitions.json`, ...). */
export function kubernetesSchemaDir(): string {
  const inWheel = `kubernetes_validate/kubernetes-json-schema/v${pins.kubernetes}-local-strict/`;
  const dir = fetchOnce(
    join(cacheDir, `kubernetes-json-schema-v${pins.kubernetes}-strict`),
    `the Kubernetes ${pins.kubernetes} JSON schemas (kubernetes-validate ${pins.kubernetesValidate}) from PyPI`,
    (scratch) => {
      run('python3', [
        '-m',
        'pip',
        'download',
        '--quiet',
        '--no-deps',
        '--disable-pip-version-check',
        '-d',
        scratch,
        `kubernetes-validate==${pins.kubernetesValidate}`,
      ]);
      const wheel = readdirSync(scratch).find((name) => name.endsWith('.whl'));
      if (!wheel) throw new Error('pip downloaded no kubernetes-validate wheel');
      extract(join(scratch, wheel), inWheel, scratch);
      rmSync(join(scratch, wheel));
    },
  );
  return join(dir, inWheel);
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** `kustomize build k8s/overlays/<overlay>`, parsed. */
export function render(overlay: string): K8sObject[] {
  const output = run(kustomizeBinary(), ['build', join(repoRoot, 'k8s', 'overlays', overlay)]);
  return parseAllDocuments(output).map((document) => {
    if (document.errors.length > 0) throw document.errors[0];
    return document.toJS() as K8sObject;
  });
}

export const overlays = readdirSync(join(repoRoot, 'k8s', 'overlays')).sort();

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** One file of the built app, held in memory with its compressed forms. */
export interface WebFile {
  path: string;
  type: string;
  body: Buffer;
  gzip?: Buffer;
  brotli?: Buffer;
  etag: string;
  /** Hashed asset names never change content: cached for a year. index.html is revalidated. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * The single-page app as Vite built it (`dist/portal-web`), read once at start: a handful of files,
 * compressed ahead of time (brotli and gzip), so that serving one costs a map lookup.
 */
export class WebFiles {
  private constructor(private readonly files: Map<string, WebFile>) {}

  static load(dir: string): WebFiles {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      throw new Error(`the portal's web app is not built (no ${index}); run \`npm run build\``);
    }
    const files = new Map<string, WebFile>();
    for (const path of walk(dir)) {
      const extension = extname(path);
      if (extension === '.map') continue; // Source maps are not served.
      const body = readFileSync(path);
      const urlPath = `/${relative(dir, path).split('\\').join('/')}`;
      const compress = COMPRESSIBLE.has(extension) && body.length > 512;
      files.set(urlPath, {
        path: urlPath,
        type: TYPES[extension] ?? 'application/octet-stream',
        body,
        gzip: compress ? gzipSync(body, { level: 9 }) : undefined,
        brotli: compress
          ? brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })
          : undefined,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: urlPath.startsWith('/assets/'),
      });
    }
    return new WebFiles(files);
  }

  get(path: string): WebFile | undefined {
    return this.files.get(path);
  }

  get index(): WebFile {
    return this.files.get('/index.html') as WebFile;
  }
}

/** The body to send for an Accept-Encoding header, and its Content-Encoding. */
export function encoded(
  file: WebFile,
  acceptEncoding: string | undefined,
): { body: Buffer; encoding?: string } {
  const accepted = (acceptEncoding ?? '').toLowerCase();
  if (file.brotli && /\bbr\b/.test(accepted)) return { body: file.brotli, encoding: 'br' };
  if (file.gzip && /\bgzip\b/.test(accepted)) return { body: file.gzip, encoding: 'gzip' };
  return { body: file.body };
}

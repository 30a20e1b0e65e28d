import { createHash } from 'node:crypto';
import {
  DocumentError,
  MAX_DOCUMENT_BYTES,
  attachmentDisposition,
  decodeDocument,
  detectType,
} from './document';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('rest'),
]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n%%EOF');

const problemOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof DocumentError) return error.problem;
    throw error;
  }
  throw new Error('expected a DocumentError');
};

describe('documents', () => {
  it('detects PDF, PNG and JPEG by their first bytes', () => {
    expect(detectType(PDF)).toBe('application/pdf');
    expect(detectType(PNG)).toBe('image/png');
    expect(detectType(JPEG)).toBe('image/jpeg');
    expect(detectType(Buffer.from('GIF89a'))).toBeNull();
    expect(detectType(Buffer.from([0x89, 0x50]))).toBeNull();
  });

  it('decodes exactly, with size and SHA-256; MIME line breaks are allowed', () => {
    const decoded = decodeDocument(PNG.toString('base64'), 'image/png');
    expect(decoded.content.equals(PNG)).toBe(true);
    expect(decoded.size).toBe(PNG.length);
    expect(decoded.sha256).toBe(createHash('sha256').update(PNG).digest('hex'));
    const wrapped = PDF.toString('base64').replace(/(.{8})/g, '$1\r\n');
    expect(decodeDocument(wrapped, 'application/pdf').content.equals(PDF)).toBe(true);
  });

  it('refuses bad base64, an empty file, a mislabelled file and one byte over 10 MiB', () => {
    expect(problemOf(() => decodeDocument('not base64!', 'application/pdf')).kind).toBe('invalid-base64');
    expect(problemOf(() => decodeDocument('abc', 'application/pdf')).kind).toBe('invalid-base64');
    expect(problemOf(() => decodeDocument('JVBERi0=x', 'application/pdf')).kind).toBe('invalid-base64');
    // Padding only at the end, at most two; no base64url or other characters.
    for (const text of [
      'JVBERi0xQQ=x',
      'JVBE=i0xQQ==',
      'JVBERi0x===',
      'JVBERi0xQ===',
      'JVBE-i0x',
      'JVBE_i0x',
      'JVBE i0x',
    ])
      expect(problemOf(() => decodeDocument(text, 'application/pdf')).kind).toBe('invalid-base64');
    // "QR==" leaves bits set that no byte holds: not what any encoder writes.
    expect(problemOf(() => decodeDocument('JVBERi0xQR==', 'application/pdf')).kind).toBe('invalid-base64');
    expect(problemOf(() => decodeDocument('', 'application/pdf'))).toEqual({ kind: 'empty' });
    expect(problemOf(() => decodeDocument(PNG.toString('base64'), 'application/pdf'))).toEqual({
      kind: 'type-mismatch',
      declared: 'application/pdf',
      detected: 'image/png',
    });
    expect(problemOf(() => decodeDocument(Buffer.from('hello').toString('base64'), 'image/jpeg'))).toEqual({
      kind: 'type-mismatch',
      declared: 'image/jpeg',
      detected: null,
    });
    const tooLarge = Buffer.alloc(MAX_DOCUMENT_BYTES + 1);
    PDF.copy(tooLarge);
    expect(problemOf(() => decodeDocument(tooLarge.toString('base64'), 'application/pdf'))).toEqual({
      kind: 'too-large',
      size: MAX_DOCUMENT_BYTES + 1,
    });
    const largest = tooLarge.subarray(0, MAX_DOCUMENT_BYTES);
    expect(decodeDocument(largest.toString('base64'), 'application/pdf').size).toBe(MAX_DOCUMENT_BYTES);
  });

  it('writes Content-Disposition with an ASCII fallback and the exact name (RFC 6266)', () => {
    expect(attachmentDisposition('PO-1.pdf')).toBe(
      `attachment; filename="PO-1.pdf"; filename*=UTF-8''PO-1.pdf`,
    );
    expect(attachmentDisposition('Bestellung "Müller"; 50%.pdf')).toBe(
      `attachment; filename="Bestellung _M_ller__ 50_.pdf"; filename*=UTF-8''Bestellung%20%22M%C3%BCller%22%3B%2050%25.pdf`,
    );
  });
});

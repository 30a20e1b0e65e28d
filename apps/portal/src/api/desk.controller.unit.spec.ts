import { documentDisposition, mediaType } from './desk.controller';

describe('the purchase order document as the portal serves it', () => {
  it("keeps po-intake's file name and makes it inline or an attachment as chosen", () => {
    const upstream = `attachment; filename="PO 42.pdf"; filename*=UTF-8''PO%2042.pdf`;
    expect(documentDisposition(upstream, true)).toBe(
      `inline; filename="PO 42.pdf"; filename*=UTF-8''PO%2042.pdf`,
    );
    expect(documentDisposition(upstream, false)).toBe(upstream);
    expect(documentDisposition('INLINE; filename="a.png"', false)).toBe('attachment; filename="a.png"');
  });

  it('is a bare disposition without a file name', () => {
    expect(documentDisposition(null, true)).toBe('inline');
    expect(documentDisposition('attachment', false)).toBe('attachment');
  });

  it('reads the media type without parameters, in lower case', () => {
    expect(mediaType('Application/PDF; charset=binary')).toBe('application/pdf');
    expect(mediaType('image/png')).toBe('image/png');
    expect(mediaType(null)).toBe('');
  });
});

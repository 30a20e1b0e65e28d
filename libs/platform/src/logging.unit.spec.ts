import { currentCorrelationId, outsideRequestContext, withCorrelationId } from './logging';

describe('request contexts', () => {
  it('keeps a correlation id for the work it runs, and gives work outside any request none', async () => {
    await withCorrelationId('req-1', async () => {
      await Promise.resolve();
      expect(currentCorrelationId()).toBe('req-1');
      // A batch started by this request serves others too: it must not take this request's id.
      expect(await outsideRequestContext(async () => currentCorrelationId())).toBeUndefined();
      expect(currentCorrelationId()).toBe('req-1');
    });
    expect(currentCorrelationId()).toBeUndefined();
  });
});

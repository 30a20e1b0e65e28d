// Integration and end-to-end specs start real servers; Jest's project config has no
// per-project testTimeout, so the longer limit is set here.
jest.setTimeout(Number(process.env.TEST_TIMEOUT_MS ?? 60_000));

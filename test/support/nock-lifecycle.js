import nock from 'nock';
/**
 * The nock lifecycle the provider adapter tests share: no real network, a clean slate after
 * each test, and nock's interceptor taken off http/https at the end (jest runs several test
 * files in one worker, and an interceptor left applied by an earlier file would catch this
 * file's requests).
 */
export function useNockOnly() {
    beforeAll(() => nock.disableNetConnect());
    afterEach(() => {
        nock.abortPendingRequests();
        nock.cleanAll();
    });
    afterAll(() => {
        nock.enableNetConnect();
        nock.restore();
    });
}
//# sourceMappingURL=nock-lifecycle.js.map
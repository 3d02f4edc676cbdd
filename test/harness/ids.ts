/** A customer id unique to this test run, so tests never see each other's data. */
export const uniqueCustomer = (): string => `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

import { loadConfig } from './config.js';

describe('provider-sim config', () => {
  it('listens on 127.0.0.1:3010 with the default behaviour unless told otherwise', () => {
    expect(loadConfig({})).toMatchObject({ PORT: 3010, HOST: '127.0.0.1', SIM_CONFIG: {} });
  });

  it('takes a starting behaviour as JSON', () => {
    expect(loadConfig({ SIM_CONFIG: '{"twilio":{"ratePerSec":5}}' }).SIM_CONFIG).toEqual({ twilio: { ratePerSec: 5 } });
  });

  it('stops at start naming the variable that is wrong', () => {
    expect(() => loadConfig({ SIM_CONFIG: '{nope' })).toThrow(/SIM_CONFIG/);
    expect(() => loadConfig({ SIM_CONFIG: '{"twilio":{"outage":"yes"}}' })).toThrow(/SIM_CONFIG/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  });
});

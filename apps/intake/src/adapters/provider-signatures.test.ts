import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { verifySendGridSignature, verifyTwilioSignature } from './provider-signatures.js';

describe('verifySendGridSignature', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // As SendGrid shows it: base64 of the DER SubjectPublicKeyInfo, no PEM armour.
  const sendGridKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const pemKey = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const payload = '[{"email":"jane@example.com","event":"delivered","timestamp":1513299569}]\r\n';
  const timestamp = '1700000000';
  const signature = sign('sha256', Buffer.from(timestamp + payload), privateKey).toString('base64');

  it('accepts a signature over timestamp + raw body, key as SendGrid shows it or as PEM', () => {
    expect(verifySendGridSignature(sendGridKey, payload, signature, timestamp)).toBe(true);
    expect(verifySendGridSignature(sendGridKey, Buffer.from(payload), signature, timestamp)).toBe(true);
    expect(verifySendGridSignature(pemKey, payload, signature, timestamp)).toBe(true);
  });

  it('refuses a changed body, timestamp or signature', () => {
    expect(verifySendGridSignature(sendGridKey, payload.replace('delivered', 'bounce'), signature, timestamp)).toBe(false);
    expect(verifySendGridSignature(sendGridKey, payload.trimEnd(), signature, timestamp)).toBe(false);
    expect(verifySendGridSignature(sendGridKey, payload, signature, '1700000001')).toBe(false);
    const other = sign('sha256', Buffer.from(timestamp + payload), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    expect(verifySendGridSignature(sendGridKey, payload, other.toString('base64'), timestamp)).toBe(false);
  });

  it('treats malformed input as a failed verification, not an error', () => {
    expect(verifySendGridSignature(sendGridKey, payload, '', timestamp)).toBe(false);
    expect(verifySendGridSignature(sendGridKey, payload, signature, '')).toBe(false);
    expect(verifySendGridSignature(sendGridKey, payload, 'not base64 at all!', timestamp)).toBe(false);
    expect(verifySendGridSignature('not-a-key', payload, signature, timestamp)).toBe(false);
  });
});

describe('verifyTwilioSignature', () => {
  // Twilio's published example (its helper libraries' RequestValidator tests).
  const authToken = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };

  it("accepts Twilio's published example", () => {
    expect(verifyTwilioSignature(authToken, url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=')).toBe(true);
  });

  it('accepts a status callback signed by hand: url, then each name+value sorted by name', () => {
    const callbackUrl = 'https://herald.example.com/v1/providers/twilio/status?herald_id=ntf_01j9z8k2m4n6p8r0s2t4v6w8y0&herald_attempt=1';
    const form = { MessageStatus: 'delivered', MessageSid: 'SM1342fe1b2c904d1ab04f0fc7a58abca9', AccountSid: 'AC0000', To: '+15558675310' };
    const data = `${callbackUrl}AccountSidAC0000MessageSidSM1342fe1b2c904d1ab04f0fc7a58abca9MessageStatusdeliveredTo+15558675310`;
    const signature = createHmac('sha1', 'token-abc').update(data).digest('base64');
    expect(verifyTwilioSignature('token-abc', callbackUrl, form, signature)).toBe(true);
  });

  it('refuses a changed parameter, url, token or signature', () => {
    const good = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
    expect(verifyTwilioSignature(authToken, url, { ...params, Digits: '9999' }, good)).toBe(false);
    expect(verifyTwilioSignature(authToken, `${url}&x=1`, params, good)).toBe(false);
    expect(verifyTwilioSignature('54321', url, params, good)).toBe(false);
    expect(verifyTwilioSignature(authToken, url, params, 'AAAADt4T1cUTdK1PDd93/VVr8B8=')).toBe(false);
    expect(verifyTwilioSignature(authToken, url, params, '')).toBe(false);
    expect(verifyTwilioSignature(authToken, url, params, 'short')).toBe(false);
  });
});

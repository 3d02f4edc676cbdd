import { Writable } from 'node:stream';
import { createLogger } from './log.js';

describe('logger', () => {
  it('never writes a recipient, message content or credential', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
    const log = createLogger('test', 'info', sink);
    log.info(
      {
        notificationId: 'ntf_x',
        to: { email: 'secret@example.com', phone: '+14155550100' },
        message: { to: { deviceToken: 'tok-123456789' }, content: { text: 'your code is 123456' } },
        headers: { authorization: 'Bearer key-abcdef' },
      },
      'event',
    );
    const out = lines.join('');
    expect(out).toContain('ntf_x');
    for (const secret of ['secret@example.com', '+14155550100', 'tok-123456789', '123456', 'key-abcdef']) {
      expect(out).not.toContain(secret);
    }
  });
});

import { multipartBoundary, parseMultipart, partName } from './multipart.js';

/** A body laid out as @azure/notification-hubs lays out a direct batch send. */
const sdkBody = (boundary: string, payload: string, devices: string) =>
  `--${boundary}\r\nContent-type: application/json;charset=utf-8\r\nContent-Disposition: inline; name=notification\r\n\r\n${payload}\r\n` +
  `--${boundary}\r\nContent-type: application/json\r\nContent-Disposition: inline; name=devices\r\n\r\n${devices}\r\n` +
  `--${boundary}--`;

describe('multipartBoundary', () => {
  it.each([
    ['multipart/mixed; boundary = "nh-boundary-1"', 'nh-boundary-1'],
    ['multipart/mixed; boundary="nh-boundary-1"', 'nh-boundary-1'],
    ['Multipart/Mixed;boundary=b1; charset=utf-8', 'b1'],
  ])('reads %s', (contentType, boundary) => {
    expect(multipartBoundary(contentType)).toBe(boundary);
  });

  it.each([undefined, 'application/json', 'multipart/mixed', 'multipart/mixed; boundary=""'])('finds none in %s', (contentType) => {
    expect(multipartBoundary(contentType)).toBeUndefined();
  });
});

describe('parseMultipart', () => {
  it('reads the parts with their headers, names and contents, CRLFs inside a content kept', () => {
    const parts = parseMultipart(sdkBody('b1', '{"a":\r\n1}', '["h1","h2"]'), 'b1');
    expect(parts?.map((part) => [partName(part), part.headers.get('content-type'), part.body])).toEqual([
      ['notification', 'application/json;charset=utf-8', '{"a":\r\n1}'],
      ['devices', 'application/json', '["h1","h2"]'],
    ]);
  });

  it('ignores a preamble and an epilogue, and takes a quoted name and a part without headers', () => {
    const body = 'preamble\r\n--b1\r\nContent-Disposition: inline; name="devices"\r\n\r\n[]\r\n--b1\r\n\r\nbare\r\n--b1--\r\nepilogue';
    const parts = parseMultipart(body, 'b1');
    expect(parts?.map((part) => [partName(part), part.body])).toEqual([
      ['devices', '[]'],
      [undefined, 'bare'],
    ]);
  });

  it.each([
    ['no closing delimiter', '--b1\r\nContent-Disposition: inline; name=devices\r\n\r\n[]\r\n--b1'],
    ['no delimiter at all', '["h1"]'],
    ['another boundary', sdkBody('b2', '{}', '[]')],
    ['no blank line after the headers', '--b1\r\nContent-Disposition: inline; name=devices\r\n--b1--'],
    ['a header line without a colon', '--b1\r\nContent-Disposition\r\n\r\n[]\r\n--b1--'],
    ['text after a delimiter', '--b1 x\r\n\r\n[]\r\n--b1--'],
  ])('answers undefined for %s', (_case, body) => {
    expect(parseMultipart(body, 'b1')).toBeUndefined();
  });
});

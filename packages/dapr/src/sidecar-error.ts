/** A sidecar call answered with a non-2xx status; `code` is Dapr's errorCode when it sent one. */
export class SidecarError extends Error {
  readonly code: string;
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`dapr ${operation} failed: HTTP ${status} ${body.slice(0, 300)}`);
    this.name = new.target.name;
    this.code = parseErrorCode(body) ?? `HTTP_${status}`;
  }
}

function parseErrorCode(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'errorCode' in parsed && typeof parsed.errorCode === 'string') {
      return parsed.errorCode;
    }
  } catch {
    // not JSON: the status code is all we know
  }
  return undefined;
}

import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sidecarRequests } from './observe.js';

// daprd's Prometheus text, as two sidecars would serve it (abridged).
const metrics = (n: number) => `# HELP dapr_http_server_request_count Count of HTTP requests.
# TYPE dapr_http_server_request_count counter
dapr_http_server_request_count{app_id="dispatcher",method="POST",path="/v1.0/actors/NotificationActor/{id}/state",status="204"} ${2 * n}
dapr_http_server_request_count{app_id="dispatcher",method="PUT",path="/v1.0/actors/NotificationActor/{id}/method",status="200"} ${n}
dapr_http_server_request_bytes_count{app_id="dispatcher"} 999
dapr_http_client_completed_count{app_id="dispatcher",method="PUT",path="actors/NotificationActor/{id}/method/accept",status="200"} ${n}
dapr_http_client_roundtrip_latency_count{app_id="dispatcher",method="PUT",path="actors/NotificationActor/{id}/method/accept",status="200"} ${n}
dapr_grpc_io_server_completed_rpcs{app_id="dispatcher",grpc_server_method="/dapr.proto.internals.v1.ServiceInvocation/CallActor",grpc_server_status="OK"} ${n}
dapr_grpc_io_client_completed_rpcs{app_id="dispatcher",grpc_client_method="/dapr.proto.internals.v1.ServiceInvocation/CallActor",grpc_client_status="OK"} 5
`;

describe('requests through the sidecars', () => {
  it('adds up app→sidecar, sidecar→app and sidecar→sidecar (where it arrives) over every sidecar', async () => {
    const servers = await Promise.all(
      [10, 1e6].map(
        (n) =>
          new Promise<ReturnType<typeof createServer>>((resolve) => {
            const server = createServer((_req, res) => res.end(metrics(n)));
            server.listen(0, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    try {
      const ports = Object.fromEntries(servers.map((s, i) => [`app${i}`, (s.address() as AddressInfo).port]));
      // 1e6 is how Prometheus may print a large counter.
      expect(await sidecarRequests(ports)).toEqual({ appToSidecar: 30 + 3e6, sidecarToApp: 10 + 1e6, sidecarToSidecar: 10 + 1e6 });
    } finally {
      for (const s of servers) s.close();
    }
  });
});

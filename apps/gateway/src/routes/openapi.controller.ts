import { Controller, Get, Header, Inject } from '@nestjs/common';
import { OPENAPI_V2_DOCUMENT } from '@nextx/proto';
import { FILE_OUTPUTS } from '../http/file-outputs';
import { RequestAuthorizer } from '../http/request-authorizer';
import { RpcRoutes } from './rpc-routes';

type Operation = Record<string, unknown> & { operationId?: string; produces?: string[] };

/** The Swagger UI page of /docs (swagger-ui-dist, served under /vendor). */
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nextx HTTP API</title>
<link rel="stylesheet" href="/vendor/swagger-ui-dist/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/vendor/swagger-ui-dist/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });\n`;

/**
 * `/openapi.json`: the document protoc-gen-openapiv2 generated from the google.api.http rules,
 * with what only the gateway knows added: the stream and file media types of each operation,
 * the API-key scheme when keys are on, and the gateway's own endpoints. `/docs` renders it.
 */
@Controller()
export class OpenApiController {
  private readonly document: Record<string, unknown>;

  constructor(
    @Inject(RpcRoutes) routes: RpcRoutes,
    @Inject(RequestAuthorizer) authorizer: RequestAuthorizer,
  ) {
    const document = structuredClone(OPENAPI_V2_DOCUMENT) as Record<string, unknown> & {
      paths: Record<string, Record<string, Operation>>;
    };
    document['info'] = {
      title: 'nextx HTTP/JSON API',
      version: '0.1.0',
      description:
        'HTTP/JSON transcoding of the nextx gRPC services (proto3 JSON mapping). Server streams are ' +
        'Server-Sent Events with "Accept: text/event-stream", otherwise newline-delimited JSON.',
    };
    for (const route of routes.routes) {
      // The generator spells path variables by their JSON names ({job_id} → {jobId}).
      const path = route.template.replace(
        /\{([\w.]+)\}/g,
        (_, f: string) => `{${f.replace(/_(\w)/g, (__, c: string) => c.toUpperCase())}}`,
      );
      const operation = document.paths[path]?.[route.verb];
      if (!operation) throw new Error(`the OpenAPI document lacks ${route.verb} ${path}`);
      operation.produces = [
        'application/json',
        ...(route.serverStreaming ? ['text/event-stream', 'application/x-ndjson'] : []),
        ...(FILE_OUTPUTS[route.grpcPath]?.mediaTypes ?? []),
      ];
    }
    document.paths['/v1/models'] = {
      get: {
        summary: 'The models of every backend service, grouped by service.',
        operationId: 'Gateway_ListAllModels',
        tags: ['Gateway'],
        responses: {
          '200': { description: '{"services":[{"service","models":[ModelInfo],"error"?}]}' },
        },
      },
    };
    for (const [path, summary] of [
      ['/healthz', 'The gateway serves (503 while it shuts down).'],
      ['/readyz', "Each backend's grpc.health.v1 status; 200 when all are SERVING."],
    ] as const)
      document.paths[path] = {
        get: {
          summary,
          operationId: `Gateway_${path.slice(1)}`,
          tags: ['Gateway'],
          responses: { '200': { description: 'SERVING' }, '503': { description: 'NOT_SERVING' } },
        },
      };
    if (authorizer.required) {
      document['securityDefinitions'] = {
        bearer: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description: 'Bearer <key>',
        },
      };
      document['security'] = [{ bearer: [] }];
    }
    this.document = document;
  }

  @Get('openapi.json')
  @Header('content-type', 'application/json')
  openapi() {
    return this.document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  docs() {
    return DOCS_PAGE;
  }

  @Get('docs/init.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  docsInit() {
    return DOCS_INIT;
  }
}

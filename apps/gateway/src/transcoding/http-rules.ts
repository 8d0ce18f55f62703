import { getOption, hasOption, type DescMethod, type DescExtension } from '@bufbuild/protobuf';
import { BACKEND_SERVICES, type BackendName } from '../config';
import { descriptorRegistry } from './descriptor-registry';

/** HTTP verbs a google.api.HttpRule can name (`custom` is not used by nextx). */
export type HttpVerb = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One RPC as an HTTP route: what google.api.http says of it. */
export interface HttpRoute {
  readonly backend: BackendName;
  readonly method: DescMethod;
  /** `/package.Service/Method`, the path API keys' method patterns match. */
  readonly grpcPath: string;
  readonly verb: HttpVerb;
  /** The rule's path template, e.g. `/v1/video/jobs/{job_id}`. */
  readonly template: string;
  /** The template as a Fastify route, each variable a parameter `p0`, `p1`, … */
  readonly fastifyPath: string;
  /** Request field path (proto names, dotted) of each template variable, in order. */
  readonly variables: readonly string[];
  /** `*`: the body is the whole request message; empty: no body (fields from the query). */
  readonly body: string;
  readonly serverStreaming: boolean;
}

interface HttpRuleFields {
  get?: string;
  post?: string;
  put?: string;
  patch?: string;
  delete?: string;
  pattern: { case: string | undefined; value?: unknown };
  body: string;
}

const VARIABLE = /\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\}/g;

/** Splits a path template into a Fastify path and its variables (simple `{field.path}` ones). */
export function parseTemplate(template: string): { fastifyPath: string; variables: string[] } {
  const variables: string[] = [];
  const fastifyPath = template.replace(VARIABLE, (_, field: string) => {
    variables.push(field);
    return `:p${variables.length - 1}`;
  });
  if (fastifyPath.includes('{'))
    throw new Error(`path template ${template}: only {field.path} variables are supported`);
  return { fastifyPath, variables };
}

/** The HTTP routes of every backend service, read from the google.api.http options. */
export function httpRoutes(): HttpRoute[] {
  const registry = descriptorRegistry();
  const http = registry.getExtension('google.api.http') as DescExtension | undefined;
  if (!http) throw new Error('google.api.http is not in the descriptor set; run npm run generate');
  const routes: HttpRoute[] = [];
  for (const [backend, serviceName] of Object.entries(BACKEND_SERVICES) as [
    BackendName,
    string,
  ][]) {
    const service = registry.getService(serviceName);
    if (!service) throw new Error(`${serviceName} is not in the descriptor set`);
    for (const method of service.methods) {
      if (!hasOption(method, http))
        throw new Error(`${serviceName}/${method.name} has no google.api.http rule`);
      const rule = getOption(method, http) as unknown as HttpRuleFields;
      const verb = rule.pattern.case as HttpVerb | undefined;
      if (!verb || !['get', 'post', 'put', 'patch', 'delete'].includes(verb))
        throw new Error(
          `${serviceName}/${method.name}: unsupported HTTP rule ${rule.pattern.case}`,
        );
      const template = rule.pattern.value as string;
      routes.push({
        backend,
        method,
        grpcPath: `/${serviceName}/${method.name}`,
        verb,
        template,
        ...parseTemplate(template),
        body: rule.body,
        serverStreaming: method.methodKind === 'server_streaming',
      });
    }
  }
  return routes;
}

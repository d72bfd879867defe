/**
 * In-process validation of GitHub API requests against GitHub's own REST description (@octokit/openapi):
 * method + path template must exist, path and query parameters and the JSON body must match their schemas.
 * A request that is not in the spec is an error: tests fail on it.
 */
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Json;
}
interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Json }> };
  responses: Record<string, { content?: Record<string, { examples?: Record<string, { $ref?: string; value?: unknown }> }> }>;
}
interface Route {
  method: string;
  template: string;
  regex: RegExp;
  pathNames: string[];
  literalSegments: number;
  op: Operation;
  pointer: string;
}

export interface ApiCall {
  method: string;
  operationId: string;
  template: string;
  path: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export class SpecViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecViolation';
  }
}

const SPEC_ID = 'https://api.github.com/openapi';
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function escapePointer(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

export class OpenApi {
  private readonly routes: Route[] = [];
  private readonly byOperationId = new Map<string, Route>();
  private readonly bodyValidators = new Map<string, ValidateFunction>();
  private readonly paramValidators = new Map<string, ValidateFunction>();
  private readonly ajv: Ajv;
  private readonly params: Ajv;

  constructor(private readonly spec: { paths: Record<string, Record<string, Operation>>; components: Json & { parameters: Record<string, Parameter>; examples: Record<string, { value: unknown }> } }) {
    const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
    stripUntypedNullable(spec);
    const make = (coerce: boolean) => {
      const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: coerce });
      (addFormats as unknown as (a: Ajv) => void)(ajv);
      for (const f of ['int64', 'int32', 'double', 'repo.nwo', 'binary', 'timestamp']) ajv.addFormat(f, true);
      ajv.addSchema({ $id: SPEC_ID, components: spec.components, paths: spec.paths });
      return ajv;
    };
    this.ajv = make(false);
    this.params = make(true);
    for (const [template, item] of Object.entries(spec.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const pathNames: string[] = [];
        const source = template
          .split('/')
          .map((seg) => seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => (pathNames.push(name), '([^/]+)')))
          .join('/');
        const route: Route = {
          method: method.toUpperCase(),
          template,
          regex: new RegExp(`^${source}$`),
          pathNames,
          literalSegments: template.split('/').filter((s) => s && !s.includes('{')).length,
          op,
          pointer: `#/paths/${escapePointer(template)}/${method}`,
        };
        this.routes.push(route);
        this.byOperationId.set(op.operationId, route);
      }
    }
    // the most specific template first: /pulls/comments before /pulls/{pull_number}
    this.routes.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  private resolveParam(p: Parameter | { $ref: string }): Parameter {
    if ('$ref' in p) {
      const name = p.$ref.split('/').pop()!;
      return this.spec.components.parameters[name];
    }
    return p;
  }

  /** Parameter values arrive as strings: validate them as a property, so ajv can coerce "42" to an integer. */
  private paramValidator(route: Route, index: number): ValidateFunction {
    const key = `${route.pointer}:${index}`;
    let v = this.paramValidators.get(key);
    if (!v) {
      const raw = route.op.parameters![index];
      const ref = '$ref' in raw ? `${SPEC_ID}${raw.$ref}/schema` : `${SPEC_ID}${route.pointer}/parameters/${index}/schema`;
      v = this.params.compile({ type: 'object', properties: { v: { $ref: ref } } });
      this.paramValidators.set(key, v);
    }
    return v;
  }

  /** Validate a request; returns what was called, or throws SpecViolation. */
  validate(method: string, url: string, bodyText: string | null): ApiCall {
    const u = new URL(url);
    const route = this.routes.find((r) => r.method === method.toUpperCase() && r.regex.test(u.pathname));
    if (!route) throw new SpecViolation(`${method} ${u.pathname} is not an operation of the GitHub REST API`);
    const m = route.regex.exec(u.pathname)!;
    const path: Record<string, string> = {};
    route.pathNames.forEach((name, i) => (path[name] = decodeURIComponent(m[i + 1])));
    const query: Record<string, string> = {};
    u.searchParams.forEach((v, k) => (query[k] = v));
    const errors: string[] = [];
    const declared = (route.op.parameters ?? []).map((p) => this.resolveParam(p));
    declared.forEach((p, i) => {
      if (p.in === 'header') return;
      const value = p.in === 'path' ? path[p.name] : query[p.name];
      if (value === undefined) {
        if (p.required) errors.push(`missing ${p.in} parameter ${p.name}`);
        return;
      }
      const v = this.paramValidator(route, i);
      if (!v({ v: value })) errors.push(`${p.in} parameter ${p.name}=${JSON.stringify(value)}: ${this.params.errorsText(v.errors)}`);
    });
    for (const name of Object.keys(query)) {
      if (!declared.some((p) => p.in === 'query' && p.name === name)) errors.push(`query parameter ${name} is not defined for ${route.op.operationId}`);
    }
    let body: unknown = undefined;
    const hasBody = bodyText !== null && bodyText !== '';
    const jsonBody = route.op.requestBody?.content['application/json'];
    if (hasBody) {
      try {
        body = JSON.parse(bodyText!);
      } catch {
        errors.push('request body is not JSON');
      }
      if (!route.op.requestBody) errors.push(`${route.op.operationId} takes no request body`);
      else if (!jsonBody) errors.push(`${route.op.operationId} does not take a JSON body`);
      else {
        let v = this.bodyValidators.get(route.pointer);
        if (!v) {
          v = this.ajv.compile({ $ref: `${SPEC_ID}${route.pointer}/requestBody/content/application~1json/schema` });
          this.bodyValidators.set(route.pointer, v);
        }
        if (!v(body)) errors.push(`body: ${this.ajv.errorsText(v.errors, { separator: '; ' })}`);
      }
    } else if (route.op.requestBody?.required) {
      errors.push(`${route.op.operationId} requires a request body`);
    }
    if (errors.length) throw new SpecViolation(`${method} ${u.pathname}${u.search} (${route.op.operationId}): ${errors.join(' | ')}`);
    return { method: route.method, operationId: route.op.operationId, template: route.template, path, query, body };
  }

  /** A deep copy of the spec's example response of an operation, for tests to shape their replies. */
  example(operationId: string, status = 200): Record<string, any> {
    const route = this.byOperationId.get(operationId);
    if (!route) throw new Error(`no operation ${operationId}`);
    const examples = route.op.responses[String(status)]?.content?.['application/json']?.examples;
    const first = examples ? Object.values(examples)[0] : undefined;
    if (!first) throw new Error(`no example for ${operationId} ${status}`);
    const value = first.$ref ? this.spec.components.examples[first.$ref.split('/').pop()!].value : first.value;
    return structuredClone(value) as Record<string, any>;
  }

  has(operationId: string): boolean {
    return this.byOperationId.has(operationId);
  }
}

/** OpenAPI 3.0 allows `nullable` next to allOf/oneOf without `type`; ajv refuses it there, where it adds nothing. */
function stripUntypedNullable(node: unknown): void {
  if (Array.isArray(node)) for (const x of node) stripUntypedNullable(x);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if ('nullable' in o && !('type' in o)) delete o.nullable;
    for (const v of Object.values(o)) stripUntypedNullable(v);
  }
}

let cached: OpenApi | null = null;

/** Loaded once per test file (the JSON is 13 MB). */
export function githubApi(): OpenApi {
  cached ??= new OpenApi(require('@octokit/openapi/generated/api.github.com.json'));
  return cached;
}

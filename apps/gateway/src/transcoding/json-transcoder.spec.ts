import { describe, expect, it } from 'vitest';
import { httpRoutes, parseTemplate, type HttpRoute } from './http-rules';
import { BadRequestProblem, requestFromHttp, responseJson } from './json-transcoder';

const routes = httpRoutes();
const route = (path: string): HttpRoute => {
  const found = routes.find((r) => r.grpcPath === path);
  if (!found) throw new Error(`no route for ${path}`);
  return found;
};
const problem = (work: () => unknown): BadRequestProblem => {
  try {
    work();
  } catch (error) {
    if (error instanceof BadRequestProblem) return error;
    throw error;
  }
  throw new Error('expected a BadRequestProblem');
};

describe('http rules', () => {
  it('every RPC of the five services has a route, read from google.api.http', () => {
    expect(routes.map((r) => `${r.verb.toUpperCase()} ${r.template}`)).toEqual(
      expect.arrayContaining([
        'POST /v1/image/generate',
        'POST /v1/image/inpaint',
        'GET /v1/image/models/{model.name}',
        'POST /v1/video/clips',
        'POST /v1/video/jobs',
        'GET /v1/video/jobs/{job_id}',
        'GET /v1/video/jobs/{job_id}/events',
        'POST /v1/video/jobs/{job_id}/cancel',
        'GET /v1/video/jobs/{job_id}/output',
        'POST /v1/timeseries/forecast',
        'POST /v1/audio/generate',
        'POST /v1/shape/generate',
      ]),
    );
    expect(routes).toHaveLength(4 + 9 + 4 + 3 + 3);
    expect(route('/nextx.image.v1.ImageGeneration/Generate').serverStreaming).toBe(true);
    expect(route('/nextx.timeseries.v1.TimeSeries/Forecast').serverStreaming).toBe(false);
  });

  it('turns path variables into Fastify parameters and refuses templates it cannot serve', () => {
    expect(parseTemplate('/v1/x/{model.name}/y/{job_id}')).toEqual({
      fastifyPath: '/v1/x/:p0/y/:p1',
      variables: ['model.name', 'job_id'],
    });
    expect(() => parseTemplate('/v1/{name=models/*}')).toThrow(/only \{field.path\}/);
  });
});

describe('requestFromHttp (proto3 JSON, as grpc-gateway)', () => {
  const generate = route('/nextx.image.v1.ImageGeneration/Generate');

  it('reads the body as the request message: JSON names, 64-bit ints as strings or numbers', () => {
    const message = requestFromHttp(generate, {
      body: { model: { name: 'var-mnist' }, classLabel: 3, numImages: 2, seed: '12345678901234' },
      pathValues: [],
      query: {},
    });
    expect(responseJson(generate.method.input, message)).toMatchObject({
      model: { name: 'var-mnist' },
      classLabel: 3,
      numImages: 2,
      seed: '12345678901234',
    });
  });

  it('refuses unknown fields, wrong types and a non-object body, naming the field', () => {
    expect(
      problem(() =>
        requestFromHttp(generate, { body: { numImagez: 1 }, pathValues: [], query: {} }),
      ).field,
    ).toBe('numImagez');
    const wrongType = problem(() =>
      requestFromHttp(generate, { body: { numImages: 'many' }, pathValues: [], query: {} }),
    );
    expect(wrongType.field).toBe('num_images');
    expect(
      problem(() => requestFromHttp(generate, { body: [1], pathValues: [], query: {} })).field,
    ).toBe('body');
  });

  it('echoes at most a short prefix of what the client sent', () => {
    const long = 'x'.repeat(5000);
    const p = problem(() =>
      requestFromHttp(generate, { body: { [long]: 1 }, pathValues: [], query: {} }),
    );
    expect(p.field.length).toBeLessThanOrEqual(41);
    expect(p.description.length).toBeLessThan(300);
  });

  it('sets path variables (nested too) and, without a body, fields from the query', () => {
    const getModel = route('/nextx.image.v1.ImageGeneration/GetModel');
    const model = requestFromHttp(getModel, {
      body: undefined,
      pathValues: ['var-mnist'],
      query: {},
    });
    expect(responseJson(getModel.method.input, model)).toMatchObject({
      model: { name: 'var-mnist' },
    });

    const list = route('/nextx.video.v1.VideoGeneration/ListJobs');
    const jobs = requestFromHttp(list, {
      body: undefined,
      pathValues: [],
      query: { pageSize: '5', state: 'JOB_STATE_RUNNING', page_token: 'abc' },
    });
    expect(responseJson(list.method.input, jobs)).toMatchObject({
      pageSize: 5,
      state: 'JOB_STATE_RUNNING',
      pageToken: 'abc',
    });
    expect(
      problem(() =>
        requestFromHttp(list, { body: undefined, pathValues: [], query: { nope: '1' } }),
      ).field,
    ).toBe('nope');
    expect(
      problem(() =>
        requestFromHttp(list, {
          body: undefined,
          pathValues: [],
          query: { pageSize: 'x'.repeat(600) },
        }),
      ).description,
    ).toMatch(/longer than 512/);
  });
});

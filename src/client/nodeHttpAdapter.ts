// An axios adapter over node:http / node:https, for short-lived processes (the `flightdeck` command): a
// process that asks the server once and exits starts faster with it than with fetch, which loads undici
// and compiles its HTTP parser (WebAssembly) on the first request, and then waits for that compilation
// to finish before it can exit. The extension keeps the fetch adapter (it has no node:http in a browser).
import * as http from 'node:http';
import * as https from 'node:https';
import axios, { AxiosHeaders, type AxiosAdapter, type AxiosResponse } from 'axios';

export const nodeHttpAdapter: AxiosAdapter = (config) => new Promise<AxiosResponse>((resolve, reject) => {
  const url = new URL(axios.getUri(config));
  const client = url.protocol === 'https:' ? https : http;
  const headers = AxiosHeaders.from(config.headers).toJSON(true) as Record<string, string>;
  const body = typeof config.data === 'string' ? config.data : config.data === undefined || config.data === null ? undefined : JSON.stringify(config.data);
  const request = client.request(url, { method: (config.method ?? 'get').toUpperCase(), headers }, (response) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', reject);
    response.on('end', () => resolve({
      data: Buffer.concat(chunks).toString('utf8'),
      status: response.statusCode ?? 0,
      statusText: response.statusMessage ?? '',
      headers: AxiosHeaders.from(response.headers as Record<string, string>),
      config,
      request,
    }));
  });
  request.on('error', reject);
  if (config.timeout) {
    request.setTimeout(config.timeout, () => request.destroy(Object.assign(new Error(`timed out after ${config.timeout} ms`), { code: 'ETIMEDOUT' })));
  }
  request.end(body);
});

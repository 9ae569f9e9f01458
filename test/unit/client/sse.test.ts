import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from '../../../src/client/events';

describe('SSE parser', () => {
  it('assembles events across chunks and skips keep-alive comments', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(': keep-alive\n\nid: 7\nevent: deployment.upd'), []);
    const events = parser.push('ated\ndata: {"a":1}\n\nid: 8\r\nevent: release.created\r\ndata: x\r\ndata: y\r\n\r\n');
    assert.deepEqual(events, [
      { id: '7', event: 'deployment.updated', data: '{"a":1}' },
      { id: '8', event: 'release.created', data: 'x\ny' },
    ]);
  });
});

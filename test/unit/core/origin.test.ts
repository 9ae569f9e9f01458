// Where a credential may go: FLIGHTDECK_TOKEN only to an origin the user chose, the embedded admin token
// only to a loopback URL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envTokenAppliesTo, envTokenOrigins, isLoopbackHttpUrl, originOf, type EnvTokenScope } from '../../../src/core/origin';

const scope = (s: Partial<EnvTokenScope>): EnvTokenScope => ({ explicitOrigin: undefined, envServerUrl: undefined, userServerUrl: undefined, ...s });

describe('the environment token', () => {
  it('goes to the origin of FLIGHTDECK_SERVER and of the user setting, whatever the path', () => {
    const s = scope({ envServerUrl: 'https://releases.example.com/base', userServerUrl: 'http://127.0.0.1:7700' });
    assert.deepEqual(envTokenOrigins(s), ['https://releases.example.com', 'http://127.0.0.1:7700']);
    assert.equal(envTokenAppliesTo('https://releases.example.com/other/', s), true);
    assert.equal(envTokenAppliesTo('http://127.0.0.1:7700', s), true);
  });

  it('does not go to a server only a workspace names: another host, port or scheme', () => {
    const s = scope({ envServerUrl: 'https://releases.example.com', userServerUrl: 'http://127.0.0.1:7700' });
    for (const url of ['https://evil.example', 'https://releases.example.com:8443', 'http://releases.example.com', 'http://127.0.0.1:7701',
      'https://releases.example.com.evil.example', 'https://releases.example.com@evil.example', 'not a url', '']) {
      assert.equal(envTokenAppliesTo(url, s), false, url);
    }
  });

  it('goes nowhere when the user named no server (embedded, or a workspace-only URL)', () => {
    assert.deepEqual(envTokenOrigins(scope({})), []);
    assert.equal(envTokenAppliesTo('http://127.0.0.1:7700', scope({})), false);
  });

  it('goes only to FLIGHTDECK_TOKEN_ORIGIN when it is set, and nowhere when that is no http(s) URL', () => {
    const s = scope({ explicitOrigin: 'https://api.aviator.co', envServerUrl: 'https://releases.example.com' });
    assert.deepEqual(envTokenOrigins(s), ['https://api.aviator.co']);
    assert.equal(envTokenAppliesTo('https://releases.example.com', s), false);
    assert.equal(envTokenAppliesTo('https://api.aviator.co/api/v1', s), true);
    assert.deepEqual(envTokenOrigins(scope({ explicitOrigin: 'file:///etc', envServerUrl: 'https://releases.example.com' })), []);
  });

  it('never matches two non-http URLs by their shared "null" origin', () => {
    assert.equal(envTokenAppliesTo('file:///a', scope({ userServerUrl: 'file:///b' })), false);
  });
});

describe('originOf', () => {
  it('is scheme, host and port', () => {
    assert.equal(originOf('https://Releases.Example.com:443/api?x=1'), 'https://releases.example.com');
  });
});

describe('the embedded server state file URL', () => {
  it('is believed for loopback http URLs only', () => {
    for (const url of ['http://127.0.0.1:7700', 'http://[::1]:7700', 'http://localhost:7700', 'http://127.0.0.1:7700/']) {
      assert.equal(isLoopbackHttpUrl(url), true, url);
    }
    for (const url of ['https://127.0.0.1:7700', 'http://192.0.2.2:7700', 'http://127.0.0.1.evil.example:7700', 'http://evil.example',
      'http://user:pw@127.0.0.1:7700', 'http://127.0.0.1:7700/prefix', 'http://127.0.0.1:7700/?x', 'file:///tmp/x', 'not a url', '']) {
      assert.equal(isLoopbackHttpUrl(url), false, url);
    }
  });
});

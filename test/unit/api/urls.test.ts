// The addresses the server refuses to connect to, in every form a URL parser or a resolver gives them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRefusedAddress } from '../../../src/api/urls';

void describe('isRefusedAddress', () => {
  void it('refuses link-local and cloud metadata addresses, IPv4, IPv6 and IPv4-mapped', () => {
    for (const address of ['169.254.169.254', '169.254.0.1', 'fe80::1', 'FE80::1', 'febf::1', 'fd00:ec2::254', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe']) {
      assert.equal(isRefusedAddress(address), true, address);
    }
  });

  void it('allows loopback, private and public addresses', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.1', '8.8.8.8', '2001:db8::1', 'fd00:ec2::253', '::ffff:127.0.0.1', 'fec0::1']) {
      assert.equal(isRefusedAddress(address), false, address);
    }
  });
});

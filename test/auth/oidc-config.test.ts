/** The identity provider's settings: optional, complete or refused at start-up, https unless on this machine. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

describe('STEWARD_OIDC_* settings', () => {
  it('are off unless set', () => {
    const config = loadConfig({});
    expect(config.STEWARD_OIDC_ISSUER).toBeUndefined();
    expect(config.STEWARD_OIDC_CLIENT_ID).toBeUndefined();
    expect(config.STEWARD_OIDC_TRUST_EMAIL).toBe(false);
  });

  it("trust the provider's emails only when told to", () => {
    const provider = { STEWARD_OIDC_ISSUER: 'https://login.hope.example', STEWARD_OIDC_CLIENT_ID: 'steward' };
    expect(loadConfig(provider).STEWARD_OIDC_TRUST_EMAIL).toBe(false);
    expect(loadConfig({ ...provider, STEWARD_OIDC_TRUST_EMAIL: 'true' }).STEWARD_OIDC_TRUST_EMAIL).toBe(true);
  });

  it('read an issuer with its client, the secret and name optional', () => {
    expect(loadConfig({ STEWARD_OIDC_ISSUER: 'https://login.hope.example', STEWARD_OIDC_CLIENT_ID: 'steward' })).toMatchObject({
      STEWARD_OIDC_ISSUER: 'https://login.hope.example',
      STEWARD_OIDC_CLIENT_ID: 'steward',
    });
    expect(loadConfig({ STEWARD_OIDC_ISSUER: 'http://127.0.0.1:9000', STEWARD_OIDC_CLIENT_ID: 'steward', STEWARD_OIDC_CLIENT_SECRET: 's3cret', STEWARD_OIDC_PROVIDER_NAME: 'Hope Login' })).toMatchObject({
      STEWARD_OIDC_CLIENT_SECRET: 's3cret',
      STEWARD_OIDC_PROVIDER_NAME: 'Hope Login',
    });
  });

  it.each([
    [{ STEWARD_OIDC_ISSUER: 'https://login.hope.example' }, /STEWARD_OIDC_CLIENT_ID: is required when STEWARD_OIDC_ISSUER is set/],
    [{ STEWARD_OIDC_CLIENT_ID: 'steward' }, /STEWARD_OIDC_ISSUER: is required when STEWARD_OIDC_CLIENT_ID is set/],
    [{ STEWARD_OIDC_CLIENT_SECRET: 's3cret' }, /STEWARD_OIDC_ISSUER: is required when STEWARD_OIDC_CLIENT_SECRET is set/],
    [{ STEWARD_OIDC_TRUST_EMAIL: 'true' }, /STEWARD_OIDC_ISSUER: is required when STEWARD_OIDC_TRUST_EMAIL is set/],
    [{ STEWARD_OIDC_ISSUER: 'https://login.hope.example', STEWARD_OIDC_CLIENT_ID: 'steward', STEWARD_OIDC_TRUST_EMAIL: 'yes' }, /STEWARD_OIDC_TRUST_EMAIL: must be true or false/],
    [{ STEWARD_OIDC_ISSUER: 'http://login.hope.example', STEWARD_OIDC_CLIENT_ID: 'steward' }, /STEWARD_OIDC_ISSUER: must be an https:\/\/ URL \(http only for 127\.0\.0\.1/],
    [{ STEWARD_OIDC_ISSUER: 'login.hope.example', STEWARD_OIDC_CLIENT_ID: 'steward' }, /STEWARD_OIDC_ISSUER: must be an https:\/\/ URL/],
  ])('refuse %o, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});

/** Configuration: embedded defaults, and an error that names every bad variable. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('reads the receipt settings, asking for the tax id a jurisdiction needs in the form it takes', () => {
    expect(loadConfig({}).STEWARD_RECEIPT_JURISDICTION).toBe('none');
    expect(loadConfig({ STEWARD_RECEIPT_JURISDICTION: 'ca', STEWARD_ORG_TAX_ID: '123456789RR0001' })).toMatchObject({ STEWARD_RECEIPT_JURISDICTION: 'ca', STEWARD_ORG_TAX_ID: '123456789RR0001' });
    expect(() => loadConfig({ STEWARD_RECEIPT_JURISDICTION: 'us' })).toThrow(/STEWARD_ORG_TAX_ID: is required when STEWARD_RECEIPT_JURISDICTION is us/);
    expect(() => loadConfig({ STEWARD_RECEIPT_JURISDICTION: 'ca', STEWARD_ORG_TAX_ID: '12-3456789' })).toThrow(/STEWARD_ORG_TAX_ID: must be a CRA charity registration number/);
    expect(() => loadConfig({ STEWARD_RECEIPT_JURISDICTION: 'fr' })).toThrow(/STEWARD_RECEIPT_JURISDICTION/);
  });

  it('falls back to the embedded single-machine mode when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'steward',
      STEWARD_ROLES: ['api', 'worker'],
      STEWARD_SESSION_IDLE_MINUTES: 120,
      STEWARD_SESSION_LIFETIME_HOURS: 12,
      STEWARD_INVITATION_HOURS: 72,
      STEWARD_SIGN_IN_FAILURES: 5,
      STEWARD_SIGN_IN_LOCKOUT_MINUTES: 15,
      dataDir: path.resolve('.steward'),
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
    expect(config.SMTP_URL).toBeUndefined();
  });

  it('reads which proxies to trust as all, a number of hops, or addresses', () => {
    expect(loadConfig({}).STEWARD_TRUST_PROXY).toBeUndefined();
    expect(loadConfig({ STEWARD_TRUST_PROXY: 'true' }).STEWARD_TRUST_PROXY).toBe(true);
    expect(loadConfig({ STEWARD_TRUST_PROXY: '2' }).STEWARD_TRUST_PROXY).toBe(2);
    expect(loadConfig({ STEWARD_TRUST_PROXY: '10.0.0.0/8, 192.168.1.5' }).STEWARD_TRUST_PROXY).toBe('10.0.0.0/8, 192.168.1.5');
  });

  it('reads external services and treats empty values as unset', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://steward@db.internal:5432/steward',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      SMTP_URL: '',
      PORT: '8080',
      STEWARD_ROLES: 'worker',
    });
    expect(config).toMatchObject({
      DATABASE_URL: 'postgresql://steward@db.internal:5432/steward',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      PORT: 8080,
      STEWARD_ROLES: ['worker'],
    });
    expect(config.SMTP_URL).toBeUndefined();
  });

  it('sends webhooks to public addresses only unless private networks are allowed, embedded mode included', () => {
    expect(loadConfig({})).toMatchObject({ STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS: false, STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP: false });
    expect(loadConfig({ STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }).STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS).toBe(true);
    expect(loadConfig({ STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true' })).toMatchObject({
      STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS: true,
      STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP: true,
    });
    // http goes only to loopback, which is refused without private networks: half a setting is named at start-up.
    expect(() => loadConfig({ STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true' })).toThrow(/STEWARD_WEBHOOK_ALLOW_LOOPBACK_HTTP: needs STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true as well/);
  });

  it("keeps the workflow SDK's call time limit and drops its promise stack traces unless told otherwise", () => {
    expect(loadConfig({})).toMatchObject({ STEWARD_WORKFLOW_STACK_TRACES: false, STEWARD_WORKFLOW_CALL_TIMEOUT: true });
    expect(loadConfig({ STEWARD_WORKFLOW_STACK_TRACES: 'true', STEWARD_WORKFLOW_CALL_TIMEOUT: 'false' })).toMatchObject({
      STEWARD_WORKFLOW_STACK_TRACES: true,
      STEWARD_WORKFLOW_CALL_TIMEOUT: false,
    });
    expect(loadConfig({}).STEWARD_WORKFLOW_THREAD_NICE).toBe(0);
    expect(loadConfig({ STEWARD_WORKFLOW_THREAD_NICE: '10' }).STEWARD_WORKFLOW_THREAD_NICE).toBe(10);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://db/steward'],
    ['TEMPORAL_ADDRESS', 'http://temporal'],
    ['SMTP_URL', 'mail.example.org'],
    ['STEWARD_ROLES', 'api,scheduler'],
    ['STEWARD_SESSION_IDLE_MINUTES', '0'],
    ['STEWARD_SESSION_LIFETIME_HOURS', 'a day'],
    ['STEWARD_SIGN_IN_FAILURES', '0'],
    ['STEWARD_BOUNCE_WEBHOOK_TOKEN', 'short'],
    ['STEWARD_WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'yes'],
    ['STEWARD_WORKFLOW_STACK_TRACES', 'on'],
    ['STEWARD_WORKFLOW_CALL_TIMEOUT', '5s'],
    ['STEWARD_WORKFLOW_THREAD_NICE', '20'],
    ['STEWARD_WORKFLOW_THREAD_NICE', '-5'],
  ])('rejects %s=%s, naming the variable', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrowError(ConfigError);
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      expect((error as ConfigError).problems.map((problem) => problem.variable)).toEqual([variable]);
      expect((error as ConfigError).message).toContain(`${variable}: `);
    }
  });

  it('names every bad variable at once', () => {
    const attempt = () => loadConfig({ PORT: '-1', SMTP_URL: 'ftp://x', TEMPORAL_ADDRESS: 'nope' });
    expect(attempt).toThrowError(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems.map((problem) => problem.variable).sort()).toEqual(['PORT', 'SMTP_URL', 'TEMPORAL_ADDRESS']);
    }
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLocalAccess } from '../../local/config.ts';
import { hashApiKey } from '../../shared/http/auth.ts';

const defaults = { apiKey: 'local-dev-key', webhookSecret: 'whsec_ZGVmYXVsdA==' };
const keys = {
  keys: [
    { id: 'reader', hash: hashApiKey('reader-key'), scopes: ['read'], companies: [1] },
    { id: 'ops', hash: hashApiKey('ops-key'), scopes: ['control', 'read'], companies: '*' },
  ],
};
const sources = {
  sources: [
    {
      name: 'hubspot',
      secrets: ['whsec_aHVic3BvdA=='],
      companies: [1],
      mapping: { name: 'properties.firstname', phone: 'properties.phone' },
    },
  ],
};

describe('Function: readLocalAccess', () => {
  it('gives one all-scopes key and the local-crm source when nothing is set', () => {
    const access = readLocalAccess({}, defaults);
    expect(access.apiKeys).toEqual([
      {
        id: 'local',
        hash: hashApiKey('local-dev-key'),
        scopes: ['control', 'create', 'import', 'read'],
        companies: '*',
      },
    ]);
    expect(access.webhookSources.map((s) => s.name)).toEqual(['local-crm']);
    expect(access.describe).toBe('');
  });

  it('reads the deployed shapes from API_KEYS_JSON and WEBHOOK_SOURCES_FILE', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'local-access-')), 'sources.json');
    writeFileSync(file, JSON.stringify(sources));
    const access = readLocalAccess(
      { API_KEYS_JSON: JSON.stringify(keys), WEBHOOK_SOURCES_FILE: file },
      defaults,
    );
    expect(access.apiKeys.map((k) => [k.id, k.scopes])).toEqual([
      ['reader', ['read']],
      ['ops', ['control', 'read']],
    ]);
    expect(access.webhookSources[0]).toMatchObject({
      name: 'hubspot',
      mapping: { name: 'properties.firstname' },
    });
    expect(access.describe).toBe(
      'API keys from API_KEYS_JSON: reader (read), ops (control,read); webhook sources from WEBHOOK_SOURCES_FILE: hubspot',
    );
    expect(access.describe).not.toMatch(/sha256|whsec_/);
  });

  it.each([
    [{ API_KEYS_JSON: '{not json' }, /API_KEYS_JSON must be JSON/],
    [{ API_KEYS_JSON: '{"keys":[{"id":"x"}]}' }, /API_KEYS_JSON: /],
    [{ API_KEYS_JSON: '{}', API_KEYS_FILE: '/x' }, /set API_KEYS_JSON or API_KEYS_FILE, not both/],
    [
      { WEBHOOK_SOURCES_FILE: '/nonexistent/sources.json' },
      /WEBHOOK_SOURCES_FILE \(\/nonexistent\/sources\.json\) must be JSON/,
    ],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => readLocalAccess(env, defaults)).toThrow(message);
  });
});

// deploy/compose.yaml: the optional engines sit behind profiles and the app services are wired to them.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

 
const compose = parse(fs.readFileSync('deploy/compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, any> };
const s = compose.services;

describe('deploy/compose.yaml', () => {
  it('has a role service per process and optional OpenSearch / MinIO profiles', () => {
    for (const role of ['api', 'realtime', 'worker', 'scheduler']) expect(s[role].command).toEqual([role]);
    expect(s.migrate.command).toEqual(['migrate']);
    expect(s.opensearch.profiles).toEqual(['search']);
    expect(s.minio.profiles).toEqual(['storage']);
    expect(s['minio-init'].profiles).toEqual(['storage']);
    // The default stack (no profile) starts neither engine.
    for (const name of ['postgres', 'pgbouncer', 'redis', 'api']) expect(s[name].profiles).toBeUndefined();
  });

  it('wires the app roles to the engines, optionally', () => {
    for (const role of ['api', 'realtime', 'worker', 'scheduler']) {
      const env = s[role].environment;
      expect(env.OPENSEARCH_URL).toBe('http://opensearch:9200');
      expect(env.OPENSEARCH_ENABLED).toMatch(/^\$\{OPENSEARCH_ENABLED:-false\}$/);
      expect(env.STORAGE_BACKEND).toMatch(/^\$\{STORAGE_BACKEND:-local\}$/);
      expect(env.S3_ENDPOINT).toContain('http://minio:9000');
      expect(env.S3_FORCE_PATH_STYLE).toBe('true');
      expect(s[role].depends_on.opensearch).toEqual({ condition: 'service_healthy', required: false });
      expect(s[role].depends_on['minio-init']).toEqual({ condition: 'service_completed_successfully', required: false });
    }
    // MinIO's root login is the app's S3 key pair, and the init job creates the app's bucket.
    expect(s.minio.environment.MINIO_ROOT_USER).toBe(s.api.environment.S3_ACCESS_KEY_ID);
    expect(s.minio.environment.MINIO_ROOT_PASSWORD).toBe(s.api.environment.S3_SECRET_ACCESS_KEY);
    expect(s['minio-init'].entrypoint.join(' ')).toContain(s.api.environment.S3_BUCKET);
  });
});

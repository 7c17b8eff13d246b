// deploy/k8s/*.yaml: every document validates against the Kubernetes OpenAPI schemas (kubernetes-models,
// offline), and the manifests hang together: a Deployment per role with /health probes and resource
// requests, the migrations Job, HPA + PDB for api and realtime, every config variable in the ConfigMap/Secret.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as core from 'kubernetes-models/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as policy from 'kubernetes-models/policy/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';

const DIR = path.resolve('deploy/k8s');

type Model = { validate(): void };
type Ctor = new (data: never) => Model;
const MODELS: Record<string, Ctor> = {
  'apps/v1/Deployment': apps.Deployment as unknown as Ctor,
  'batch/v1/Job': batch.Job as unknown as Ctor,
  'v1/ConfigMap': core.ConfigMap as unknown as Ctor,
  'v1/Secret': core.Secret as unknown as Ctor,
  'v1/Service': core.Service as unknown as Ctor,
  'autoscaling/v2/HorizontalPodAutoscaler': autoscaling.HorizontalPodAutoscaler as unknown as Ctor,
  'policy/v1/PodDisruptionBudget': policy.PodDisruptionBudget as unknown as Ctor,
  'networking.k8s.io/v1/Ingress': networking.Ingress as unknown as Ctor,
};

 
type Doc = Record<string, any>;
interface Loaded {
  file: string;
  doc: Doc;
}

function load(): Loaded[] {
  const out: Loaded[] = [];
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'))) {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      const doc = d.toJS() as Doc | null;
      if (doc) out.push({ file, doc });
    }
  }
  return out;
}

/** Every environment variable src/config.ts and its areas in src/config/ read (`(env, 'NAME'` and `env.NAME`). */
function configVariables(): string[] {
  const files = ['src/config.ts', ...fs.readdirSync(path.resolve('src/config')).filter((f) => f.endsWith('.ts')).map((f) => `src/config/${f}`)];
  const src = files.map((f) => fs.readFileSync(path.resolve(f), 'utf8')).join('\n');
  const names = new Set<string>();
  for (const m of src.matchAll(/\(env, '([A-Z][A-Z0-9_]*)'/g)) names.add(m[1]);
  for (const m of src.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]);
  // SELFLINK_TEST_* are test hooks, never deployed.
  return [...names].filter((n) => !n.startsWith('SELFLINK_TEST_')).sort();
}

const docs = load();
const find = (kind: string, name: string) => docs.find((d) => d.doc.kind === kind && d.doc.metadata?.name === name)?.doc;

describe('deploy/k8s manifests', () => {
  it('every document is a known kind and validates against the Kubernetes schema', () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const { file, doc } of docs) {
      const key = `${doc.apiVersion}/${doc.kind}`;
      const Model = MODELS[key];
      expect(Model, `${file}: unexpected ${key}`).toBeDefined();
      expect(doc.metadata?.name, `${file}: ${key} without a name`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      try {
        new Model(doc as never).validate();
      } catch (err) {
        throw new Error(`${file}: ${key} ${doc.metadata.name}: ${(err as Error).message}`);
      }
    }
  });

  it('the validator catches a broken document', () => {
    const dep = structuredClone(find('Deployment', 'selflink-api')!);
    dep.spec.replicas = 'two';
    expect(() => new apps.Deployment(dep as never).validate()).toThrow(/replicas/);
  });

  it('a Deployment per role, each with /health probes, resource requests and matching labels', () => {
    for (const role of ['api', 'realtime', 'worker', 'scheduler']) {
      const dep = find('Deployment', `selflink-${role}`);
      expect(dep, role).toBeDefined();
      const pod = dep!.spec.template;
      for (const [k, v] of Object.entries(dep!.spec.selector.matchLabels)) expect(pod.metadata.labels[k], `${role} selector ${k}`).toBe(v);
      const [c] = pod.spec.containers;
      expect(c.args).toEqual([role]);
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.requests.memory).toBeDefined();
      const portNames = c.ports.map((p: Doc) => p.name);
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        expect(c[probe]?.httpGet?.path, `${role} ${probe}`).toBe('/health');
        expect(portNames).toContain(c[probe].httpGet.port);
      }
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'selflink-config' } }, { secretRef: { name: 'selflink-secrets' } }]);
    }
    // The background roles serve /health on HEALTH_PORT: the probes must hit that port.
    const cm = find('ConfigMap', 'selflink-config')!;
    for (const role of ['worker', 'scheduler']) expect(String(find('Deployment', `selflink-${role}`)!.spec.template.spec.containers[0].ports[0].containerPort)).toBe(cm.data.HEALTH_PORT);
    for (const role of ['api', 'realtime']) expect(String(find('Deployment', `selflink-${role}`)!.spec.template.spec.containers[0].ports[0].containerPort)).toBe(cm.data.PORT);
    expect(find('Deployment', 'selflink-scheduler')!.spec.replicas).toBe(1);
  });

  it('migrations run as a Job, straight to PostgreSQL', () => {
    const job = find('Job', 'selflink-migrate')!;
    const [c] = job.spec.template.spec.containers;
    expect(c.args).toEqual(['migrate']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(c.env).toContainEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'selflink-secrets', key: 'DATABASE_DIRECT_URL' } } });
    expect(find('Secret', 'selflink-secrets')!.stringData.DATABASE_DIRECT_URL).toBeDefined();
    expect(find('ConfigMap', 'selflink-config')!.data.MIGRATE_ON_START).toBe('false');
  });

  it('api and realtime have an HPA and a PodDisruptionBudget aimed at their pods', () => {
    for (const role of ['api', 'realtime']) {
      const dep = find('Deployment', `selflink-${role}`)!;
      const hpa = find('HorizontalPodAutoscaler', `selflink-${role}`)!;
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: `selflink-${role}` });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      const pdb = find('PodDisruptionBudget', `selflink-${role}`)!;
      expect(pdb.spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels);
      expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
      const svc = find('Service', `selflink-${role}`)!;
      expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    }
  });

  it('the ConfigMap and Secret cover every variable src/config.ts reads, and secrets stay in the Secret', () => {
    const cm = find('ConfigMap', 'selflink-config')!.data as Record<string, string>;
    const secret = find('Secret', 'selflink-secrets')!.stringData as Record<string, string>;
    const vars = configVariables();
    expect(vars).toContain('DATABASE_URL');
    const missing = vars.filter((v) => !(v in cm) && !(v in secret));
    expect(missing, `add these to deploy/k8s/config.yaml: ${missing.join(', ')}`).toEqual([]);
    const sensitive = /SECRET|PASSWORD|_TOKEN$|SIGNING_KEY|ACCESS_KEY|^DATABASE_URL$|^REDIS_URL$/;
    for (const k of Object.keys(cm)) expect(sensitive.test(k), `${k} belongs in the Secret`).toBe(false);
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'JWT_SIGNING_KEY', 'S3_SECRET_ACCESS_KEY', 'METRICS_TOKEN']) expect(Object.keys(secret)).toContain(k);
    // Every value is a string (a bare number or boolean would be rejected by the API server).
    for (const [k, v] of Object.entries({ ...cm, ...secret })) expect(typeof v, k).toBe('string');
  });

  it('PgBouncer sits between the roles and PostgreSQL', () => {
    const secret = find('Secret', 'selflink-secrets')!.stringData;
    const svc = find('Service', 'selflink-pgbouncer')!;
    expect(find('Deployment', 'selflink-pgbouncer')).toBeDefined();
    expect(find('ConfigMap', 'selflink-pgbouncer')!.data.POOL_MODE).toBe('transaction');
    const u = new URL(secret.DATABASE_URL);
    expect(u.hostname).toBe(svc.metadata.name);
    expect(Number(u.port)).toBe(svc.spec.ports[0].port);
  });
});

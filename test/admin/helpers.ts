// A staff browser over app.inject: a cookie jar, the login form's CSRF, and form posts.
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../support/app.js';

export class Jar {
  cookies = new Map<string, string>();
  take(res: LightMyRequestResponse) {
    const set = res.headers['set-cookie'];
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (/Max-Age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export const form = (fields: Record<string, string | number>) => new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();

/** The hidden csrf input's value in a page. */
export function csrfOf(body: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(body);
  if (!m) throw new Error('no csrf field in page');
  return m[1];
}

export class Browser {
  jar = new Jar();
  constructor(private t: TestApp) {}
  async get(url: string, headers: Record<string, string> = {}) {
    const res = await this.t.request({ url, headers: { cookie: this.jar.header(), ...headers } });
    this.jar.take(res);
    return res;
  }
  async post(url: string, fields: Record<string, string | number>, headers: Record<string, string> = {}) {
    const res = await this.t.request({ method: 'POST', url, payload: form(fields), headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    this.jar.take(res);
    return res;
  }
  /** Logs in through the form; returns the login POST's response. */
  async login(email: string, password: string) {
    const page = await this.get('/admin/login');
    return this.post('/admin/login', { csrf: csrfOf(page.body), email, password, next: '/admin/' });
  }
  /** The CSRF token of a page the session sees. */
  async csrf(url = '/admin/') {
    return csrfOf((await this.get(url)).body);
  }
}

// Gift types (payments service) and SLC products (coin service).
import { ApiError, conflict, notFound } from '../../../platform/http/errors.js';
import { ENTITLEMENT_KEYS, type EntitlementKey } from '../../coin/schema.js';
import { form, html, raw } from '../html.js';
import { idParam, intField, textField, type AdminKit } from '../routes.js';

const CODE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const BACK = '/admin/catalogue';

export function catalogPages(kit: AdminKit) {
  const { ctx } = kit;
  const gifts = () => ctx.services.payments.gifts;
  const coin = () => ctx.services.coin;

  kit.get(BACK, async (_req, staff) => {
    const [giftRows, products] = await Promise.all([gifts().listAll(200), coin().allProducts()]);
    const csrf = staff.session.csrf;
    return {
      title: 'Gifts & products',
      body: html`<h2>Gift types</h2>
<table><thead><tr><th>id</th><th>key</th><th>name</th><th>kind</th><th>price (cents)</th><th>price (SLC cents)</th><th>active</th><th>change</th></tr></thead><tbody>
${giftRows.map(
  (g) => html`<tr><td>${g.id}</td><td><code>${g.key ?? ''}</code></td><td>${g.name}</td><td>${g.kind}</td><td>${g.priceCents}</td><td>${g.priceSlcCents}</td><td>${g.isActive ? 'yes' : 'no'}</td>
<td>${form(`/admin/gifts/${g.id}`, csrf, html`<input name="price_slc_cents" type="number" min="0" max="100000000" value="${g.priceSlcCents}" size="8"><label><input type="checkbox" name="is_active"${g.isActive ? raw(' checked') : ''}> active</label>`, 'Save')}</td></tr>`,
)}
</tbody></table>
${form('/admin/gifts', csrf, html`<input name="key" placeholder="key" maxlength="64" required><input name="name" placeholder="name" maxlength="64" required><input name="price_cents" type="number" min="0" placeholder="price cents" required><input name="price_slc_cents" type="number" min="0" placeholder="SLC cents" required>`, 'Add gift type')}
<h2>SLC products</h2>
<table><thead><tr><th>code</th><th>title</th><th>price (SLC)</th><th>days</th><th>entitlement</th><th>active</th><th>change</th></tr></thead><tbody>
${products.map(
  (p) => html`<tr><td><code>${p.code}</code></td><td>${p.title}</td><td>${p.price_slc}</td><td>${p.duration_days ?? '—'}</td><td>${p.entitlement_key}</td><td>${p.is_active ? 'yes' : 'no'}</td>
<td>${form(`/admin/products/${encodeURIComponent(p.code)}`, csrf, html`<input name="price_slc" type="number" min="1" max="100000000" value="${p.price_slc}" size="8"><label><input type="checkbox" name="is_active"${p.is_active ? raw(' checked') : ''}> active</label>`, 'Save')}</td></tr>`,
)}
</tbody></table>
${form('/admin/products', csrf, html`<input name="code" placeholder="code" maxlength="64" required><input name="title" placeholder="title" maxlength="128" required><input name="price_slc" type="number" min="1" placeholder="price SLC" required><input name="duration_days" type="number" min="1" max="3650" placeholder="days (empty: forever)"><select name="entitlement_key">${raw(ENTITLEMENT_KEYS.map((k) => `<option>${k}</option>`).join(''))}</select>`, 'Add product')}`,
    };
  });

  kit.post(
    '/admin/gifts',
    async (_req, f) => {
      const key = textField(f, 'key', { max: 64, required: true });
      if (!CODE.test(key)) throw new ApiError(400, { key: ['Lower-case letters, digits and _ . - only.'] });
      const name = textField(f, 'name', { max: 64, required: true });
      const priceCents = intField(f, 'price_cents', { min: 0, max: 100_000_000 })!;
      const priceSlcCents = intField(f, 'price_slc_cents', { min: 0, max: 100_000_000 })!;
      if ((await gifts().listAll(1000)).some((g) => g.key === key)) throw conflict(`A gift type with key "${key}" exists.`, 'duplicate_key');
      const g = await gifts().create({ key, name, priceCents, priceSlcCents });
      return { audit: { action: 'admin.gift.create', objectType: 'gift_type', objectId: g.id, metadata: { key, price_cents: priceCents, price_slc_cents: priceSlcCents } }, back: BACK, msg: `Gift type ${name} added.` };
    },
    () => BACK,
  );

  kit.post(
    '/admin/gifts/:id',
    async (req, f) => {
      const id = idParam(req);
      const priceSlcCents = intField(f, 'price_slc_cents', { min: 0, max: 100_000_000 })!;
      const isActive = f.is_active === 'on';
      const before = await gifts().get(id);
      if (!before) throw notFound('No gift type matches the given query.');
      await gifts().update(id, { priceSlcCents, isActive });
      return { audit: { action: 'admin.gift.update', objectType: 'gift_type', objectId: id, metadata: { from: { price_slc_cents: before.priceSlcCents, is_active: before.isActive }, to: { price_slc_cents: priceSlcCents, is_active: isActive } } }, back: BACK, msg: `Gift type ${id} saved.` };
    },
    () => BACK,
  );

  kit.post(
    '/admin/products',
    async (_req, f) => {
      const code = textField(f, 'code', { max: 64, required: true });
      if (!CODE.test(code)) throw new ApiError(400, { code: ['Lower-case letters, digits and _ . - only.'] });
      const title = textField(f, 'title', { max: 128, required: true });
      const priceSlc = intField(f, 'price_slc', { min: 1, max: 100_000_000 })!;
      const durationDays = intField(f, 'duration_days', { min: 1, max: 3650, optional: true });
      const entitlementKey = f.entitlement_key as EntitlementKey;
      if (!ENTITLEMENT_KEYS.includes(entitlementKey)) throw new ApiError(400, { entitlement_key: ['Not a valid choice.'] });
      if ((await coin().allProducts()).some((p) => p.code === code)) throw conflict(`A product with code "${code}" exists.`, 'duplicate_code');
      await coin().upsertProduct(code, { title, priceSlc, durationDays, entitlementKey }, true);
      return { audit: { action: 'admin.product.create', objectType: 'coin_product', objectId: code, metadata: { price_slc: priceSlc, entitlement_key: entitlementKey, duration_days: durationDays } }, back: BACK, msg: `Product ${code} added.` };
    },
    () => BACK,
  );

  kit.post(
    '/admin/products/:code',
    async (req, f) => {
      const code = (req.params as Record<string, string>).code ?? '';
      if (!CODE.test(code)) throw notFound('No product matches the given query.');
      const priceSlc = intField(f, 'price_slc', { min: 1, max: 100_000_000 })!;
      const isActive = f.is_active === 'on';
      const before = (await coin().allProducts()).find((p) => p.code === code);
      if (!before) throw notFound('No product matches the given query.');
      await coin().upsertProduct(code, { priceSlc, isActive }, false);
      return { audit: { action: 'admin.product.update', objectType: 'coin_product', objectId: code, metadata: { from: { price_slc: before.price_slc, is_active: before.is_active }, to: { price_slc: priceSlc, is_active: isActive } } }, back: BACK, msg: `Product ${code} saved.` };
    },
    () => BACK,
  );
}

-- payments_custom: the default gift catalogue (staff edit it through payments/gifts/).
-- Safe to re-run: rows are keyed by `key` and never overwritten.
insert into payment_gift_types (key, name, price_cents, price_slc_cents, kind, media_url, animation_url, effects, metadata) values
  ('test_heart_1usd', 'Test Heart', 100, 100, 'static', '/media/gifts/test-heart.png', '', '{}', '{"seed": "migration", "purpose": "test"}'),
  ('border_lighting', 'Border Lighting', 100, 100, 'animated', '', '/media/gifts/border-lighting.json',
    '{"version": 2, "persist": {"mode": "window", "window_seconds": 3600}, "effects": [{"type": "overlay", "animation": "/media/gifts/border-lighting.json", "loop": true, "fit": "cover"}, {"type": "border_glow", "color": "#FFD166", "intensity": 0.8, "pulse": true}]}', '{"seed": "migration"}'),
  ('super_like', 'Super Like', 250, 250, 'animated', '', '',
    '{"version": 1, "persist": {"mode": "window", "window_seconds": 86400}, "effects": [{"type": "highlight", "color": "#FF4D6D"}, {"type": "badge", "text": "Super Like"}, {"type": "burst"}]}', '{"seed": "migration"}'),
  ('super_like_gold_1usd', 'Super Like Gold', 100, 100, 'animated', '', '',
    '{"version": 2, "persist": {"mode": "window", "window_seconds": 3600}, "effects": [{"type": "border_glow", "color": "#FFD54A", "intensity": 0.9}, {"type": "highlight", "tone": "gold"}, {"type": "overlay", "animation": "/media/gifts/super-like-gold.json"}]}', '{"seed": "migration"}'),
  ('rain_effect_099', 'Rain', 99, 99, 'animated', '', '',
    '{"version": 2, "persist": {"mode": "none", "window_seconds": 0}, "effects": [{"type": "overlay", "animation": "/media/gifts/rain.json"}]}', '{"seed": "migration"}'),
  ('sparkles_049', 'Sparkles', 49, 49, 'animated', '', '',
    '{"version": 2, "persist": {"mode": "none", "window_seconds": 0}, "effects": [{"type": "overlay", "animation": "/media/gifts/sparkles.json"}]}', '{"seed": "migration"}'),
  ('heart_burst_049', 'Heart Burst', 49, 49, 'animated', '', '',
    '{"version": 2, "persist": {"mode": "none", "window_seconds": 0}, "effects": [{"type": "overlay", "animation": "/media/gifts/heart-burst.json"}]}', '{"seed": "migration"}'),
  ('crown_199', 'Crown', 199, 199, 'static', '', '',
    '{"version": 2, "persist": {"mode": "window", "window_seconds": 86400}, "effects": [{"type": "badge", "text": "Crowned", "tone": "gold"}, {"type": "border_glow", "color": "#FFD700", "intensity": 0.7}]}', '{"seed": "migration"}'),
  ('trending_flame_149', 'Trending Flame', 149, 149, 'static', '', '',
    '{"version": 2, "persist": {"mode": "window", "window_seconds": 7200}, "effects": [{"type": "badge", "text": "Trending"}, {"type": "highlight", "tone": "warm"}]}', '{"seed": "migration"}'),
  ('megaphone_comment_199', 'Megaphone', 199, 199, 'static', '', '',
    '{"version": 2, "persist": {"mode": "window", "window_seconds": 1800}, "effects": [{"type": "highlight", "tone": "neon", "scope": "comment"}, {"type": "badge", "text": "Highlighted", "scope": "comment"}]}', '{"seed": "migration"}'),
  ('spotlight_499', 'Spotlight', 499, 499, 'animated', '', '',
    '{"version": 2, "persist": {"mode": "window", "window_seconds": 3600}, "effects": [{"type": "highlight", "tone": "spotlight"}, {"type": "overlay", "animation": "/media/gifts/spotlight.json"}]}', '{"seed": "migration"}')
on conflict (key) do nothing;

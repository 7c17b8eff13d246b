// home/highlights: the public landing page's static marketing object (contract C1 shape, our own copy).
export const HIGHLIGHTS = {
  hero: {
    badge: 'New on SelfLink',
    title: 'Connect with people who get you',
    description: 'Share moments, follow the people you care about and grow with daily guidance made for you.',
    primaryCta: { label: 'Create your account', path: '/register' },
    secondaryCta: { label: 'Meet your mentor', path: '/mentor' },
  },
  features: [
    { id: 'soulmatch', title: 'SoulMatch', subtitle: 'Find kindred spirits', description: 'Discover people whose values and rhythms fit yours.', cta: { label: 'Try SoulMatch', path: '/soul-match' } },
    { id: 'mentor', title: 'Mentor', subtitle: 'A daily reflection', description: 'Short check-ins that turn your day into insight.', cta: { label: 'Talk to your mentor', path: '/mentor' } },
    { id: 'growth', title: 'Growth path', subtitle: 'Small steps, every day', description: 'Track habits and milestones on a path that adapts to you.', cta: { label: 'Start your path', path: '/growth-path' } },
  ],
  celebration: {
    title: 'Celebrate every step',
    copy: 'Friends cheer you on with likes, comments and gifts as you grow.',
    tags: ['community', 'growth'],
    cta: 'Join the celebration',
  },
};

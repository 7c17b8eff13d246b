// Django pbkdf2_sha256 password hashes made outside this project, so a bug in our own hasher cannot
// hide itself by producing the very strings we test against. Each was computed with Python 3.11's
// standard library, Django's format `pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>`:
//   python3 -c "import hashlib,base64; print(base64.b64encode(hashlib.pbkdf2_hmac('sha256', b'<password>', b'<salt>', 260000)).decode())"
// 260000 iterations is Django 3.1's default; the salts are 22 characters like Django's.

/** Password `imported-pw-1`, salt `Vq3zXb8YkN2mTcR5pLwA1d`. */
export const DJANGO_IMPORTED = {
  password: 'imported-pw-1',
  hash: 'pbkdf2_sha256$260000$Vq3zXb8YkN2mTcR5pLwA1d$D1kYvc0DLR4YBF5DZFKbC66xaO5K0CwhtNmVW4AYQtg=',
};

/** Password `legacy-pass-1`, salt `Jd7Hs2KqP9wXe4LmZ0bTcN`. */
export const DJANGO_LEGACY = {
  password: 'legacy-pass-1',
  hash: 'pbkdf2_sha256$260000$Jd7Hs2KqP9wXe4LmZ0bTcN$72QwrosB8SsoTHKwQUmRX966H3dRDdcKNIPcz66MGvA=',
};

import { resolveUser } from '../../grader/src/lib/passwd.js';

const passwd = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'appuser:x:1000:1000::/home/appuser:/bin/sh',
  'sneaky:x:0:0::/home/sneaky:/bin/sh',
  '',
].join('\n');
const group = 'root:x:0:\nappuser:x:1000:\nstaff:x:50:\n';

describe('resolveUser', () => {
  it.each([
    ['', 0, 'no USER'],
    ['root', 0, 'root by name'],
    ['0', 0, 'root by uid'],
    ['appuser', 1000, 'a named user'],
    ['1000', 1000, 'a numeric user in passwd'],
    ['4242', 4242, 'a numeric user absent from passwd'],
    ['1000:1000', 1000, 'uid:gid'],
    ['appuser:staff', 1000, 'name:group'],
    ['sneaky', 0, 'a name mapped to uid 0 is root'],
  ])('USER %j → uid %d (%s)', (user, uid) => {
    const resolved = resolveUser(user, passwd, group);
    expect(resolved).toMatchObject({ ok: true, uid });
  });

  it('takes the group from /etc/group', () => {
    expect(resolveUser('appuser:staff', passwd, group)).toMatchObject({ ok: true, gid: 50 });
  });

  it('rejects a name the image does not know, as the runtime would', () => {
    const resolved = resolveUser('ghost', passwd, group);
    expect(resolved.ok).toBe(false);
    expect(resolved.ok === false && resolved.reason).toMatch(/ghost.*not in the image's \/etc\/passwd/);
  });

  it('rejects an unknown group name', () => {
    expect(resolveUser('appuser:nogroup', passwd, group)).toMatchObject({ ok: false });
  });

  it('treats a missing /etc/passwd as knowing no names', () => {
    expect(resolveUser('appuser', null)).toMatchObject({ ok: false });
    expect(resolveUser('1000', null)).toMatchObject({ ok: true, uid: 1000 });
  });
});

/** How the engine turns an image's USER into ids: names through the image's own /etc/passwd and /etc/group. */
export type ResolvedUser =
  | { ok: true; uid: number; gid: number | null; name: string | null; via: string }
  | { ok: false; reason: string };

interface Entry { name: string; id: number; gid: number | null; line: string }

export function parseIdFile(text: string | null): Entry[] {
  if (!text) return [];
  const out: Entry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(':');
    const id = Number(fields[2]);
    if (!fields[0] || !Number.isInteger(id)) continue;
    const gid = fields[3] !== undefined && fields[3] !== '' && Number.isInteger(Number(fields[3])) ? Number(fields[3]) : null;
    out.push({ name: fields[0], id, gid, line });
  }
  return out;
}

/**
 * Resolves `USER` ("", "root", "1000", "app", "app:grp", "1000:1000") the way the
 * runtime does: an empty user is root; a numeric user is that uid, whether or not
 * /etc/passwd knows it; a name must exist in /etc/passwd and takes *its* uid.
 */
export function resolveUser(user: string, passwd: string | null, group: string | null = null): ResolvedUser {
  const [userPart = '', groupPart] = user.trim().split(':');
  if (userPart === '') return { ok: true, uid: 0, gid: 0, name: 'root', via: 'no USER: the default user is root' };
  const users = parseIdFile(passwd);
  let uid: number;
  let gid: number | null;
  let name: string | null;
  let via: string;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const entry = users.find((u) => u.id === uid);
    name = entry?.name ?? null;
    gid = entry?.gid ?? null;
    via = entry ? `/etc/passwd: ${entry.line}` : 'numeric uid';
  } else {
    const entry = users.find((u) => u.name === userPart);
    if (!entry) return { ok: false, reason: `user "${userPart}" is not in the image's /etc/passwd: containers cannot start with it` };
    uid = entry.id;
    gid = entry.gid;
    name = entry.name;
    via = `/etc/passwd: ${entry.line}`;
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = parseIdFile(group).find((e) => e.name === groupPart);
      if (!g) return { ok: false, reason: `group "${groupPart}" is not in the image's /etc/group: containers cannot start with it` };
      gid = g.id;
    }
  }
  return { ok: true, uid, gid, name, via };
}

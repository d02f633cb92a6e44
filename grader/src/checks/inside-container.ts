import { Type } from '@sinclair/typebox';
import { type ContainerFacts, EngineError } from '../engine/index.js';
import { pollUntil } from '../lib/poll.js';
import { ContainerName, containerNeeds, describeLog, hopelessWatch, isObservation, targetContainer, truncate } from './common.js';
import type { InsideHttpAnswer, NameResolution } from './types.js';
import { defineCheck } from './types.js';

const HostName = Type.String({ pattern: '^[a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?$', maxLength: 253 });

/** The container a URL's host names (by name or alias), with the port the URL asks for; null when none does. */
async function peerOf(url: string, ctx: { findContainer(name: string): Promise<ContainerFacts | null> }): Promise<{ name: string; container: ContainerFacts; port: number } | null> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return null;
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(target.hostname) || /^[\d.]+$/.test(target.hostname)) return null;
  const container = await ctx.findContainer(target.hostname).catch(() => null);
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return container ? { name: target.hostname, container, port } : null;
}

/** A probe that could not run is the grader's fault, not the student's: the check is reported as an error. */
function probeFailed(detail: string): never {
  throw new EngineError(`the grader's probe container could not observe from inside the container: ${detail}`);
}

export const dnsResolves = defineCheck({
  kind: 'dns-resolves',
  example: { container: 'isole', name: 'api', resolves: false },
  description: "From inside a running container, a name resolves (or, with `resolves: false`, does not), as that container's own resolver sees it (its /etc/hosts, then its DNS server: Docker's embedded DNS on a user-defined network). Observed with the grader's probe container joined to its network namespace, so it does not depend on the tools of the container's image.",
  params: Type.Object({
    container: ContainerName,
    name: HostName,
    resolves: Type.Optional(Type.Boolean({ default: true })),
  }),
  needs: containerNeeds,
  titleData: (check) => (check.resolves === false ? { titleId: 'titleNot' } : {}),
  messages: {
    en: {
      title: 'From inside the container{named}, the name "{name}" resolves',
      titleNot: 'From inside the container{named}, the name "{name}" does not resolve',
      expected: '"{name}" resolves to an address',
      expectedNot: '"{name}" does not resolve',
      resolved: '"{name}" resolves to {addresses} ({source})',
      hosts: 'from /etc/hosts: --link or --add-host put it there',
      dns: "from the container's DNS server",
      notFound: '"{name}" does not resolve: {detail}',
      notRunning: 'the container is not running (state "{status}"): nothing can be resolved from inside it\n{logs}',
    },
    fr: {
      title: 'Depuis le conteneur{named}, le nom « {name} » se résout',
      titleNot: 'Depuis le conteneur{named}, le nom « {name} » ne se résout pas',
      expected: '« {name} » se résout en une adresse',
      expectedNot: '« {name} » ne se résout pas',
      resolved: '« {name} » se résout en {addresses} ({source})',
      hosts: 'par /etc/hosts : --link ou --add-host l’y ont mis',
      dns: 'par le serveur DNS du conteneur',
      notFound: '« {name} » ne se résout pas : {detail}',
      notRunning: "le conteneur n'est pas en marche (état « {status} ») : rien ne peut être résolu depuis l'intérieur\n{logs}",
    },
  },
  async evaluate(check, ctx, say) {
    const wanted = check.resolves !== false;
    const expected = say(wanted ? 'expected' : 'expectedNot', { name: check.name });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const result: NameResolution = await ctx.resolveFrom(container, check.name);
    switch (result.outcome) {
      case 'probe-failed':
        return probeFailed(result.detail);
      case 'not-running':
        return { passed: false, expected, observed: say('notRunning', { status: result.status, logs: describeLog(await container.logs(), ctx.lang) }) };
      case 'not-found':
        return { passed: !wanted, expected, observed: say('notFound', { name: check.name, detail: result.detail }) };
      case 'resolved':
        return { passed: wanted, expected, observed: say('resolved', { name: check.name, addresses: result.addresses.join(', '), source: say(result.source) }) };
    }
  },
});

export const httpFromContainer = defineCheck({
  kind: 'http-from-container',
  example: { container: 'client', url: 'http://api/' },
  description: "From inside a running container, an HTTP GET of `url` (e.g. `http://api/`: another container by name) answers `expect.status`, with `expect.bodyContains`; retried until `withinSeconds`. Sent by the grader's probe container joined to the container's network namespace, so it works whatever tools the container's image has; \"name not found\", \"connection refused\" and \"container not running\" are told apart.",
  params: Type.Object({
    container: ContainerName,
    url: Type.String({ pattern: '^http://[^\\s/?#]+(/[^\\s]*)?$', maxLength: 1000 }),
    expect: Type.Optional(Type.Object(
      {
        status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, default: 200 })),
        bodyContains: Type.Optional(Type.String({ maxLength: 1000 })),
      },
      { additionalProperties: false },
    )),
    withinSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 120, default: 10 })),
  }),
  needs: containerNeeds,
  titleData: (check, say) => ({ status: check.expect?.status ?? 200, contains: check.expect?.bodyContains ? say('contains', { text: check.expect.bodyContains }) : '' }),
  messages: {
    en: {
      title: 'From inside the container{named}, GET {url} answers {status}{contains}',
      contains: ' containing "{text}"',
      expected: 'HTTP {status}{contains}',
      answered: 'HTTP {status}, body: {body}',
      nameNotFound: 'the host name of {url} does not resolve from inside the container ({detail}): are both containers on the same user-defined network?',
      refused: 'connection refused by {url}: the name resolves, but nothing listens on that port',
      refusedBecause: 'connection refused by {url}: in the container "{name}", {why}',
      timeout: 'no answer from {url} in time ({detail})',
      unreachable: '{url} is unreachable from inside the container ({detail})',
      other: 'no HTTP answer from {url}: {detail}',
      notRunning: 'the container is not running (state "{status}"): nothing can be sent from inside it\n{logs}',
    },
    fr: {
      title: 'Depuis le conteneur{named}, GET {url} répond {status}{contains}',
      contains: ' avec « {text} »',
      expected: 'HTTP {status}{contains}',
      answered: 'HTTP {status}, corps : {body}',
      nameNotFound: "le nom d'hôte de {url} ne se résout pas depuis le conteneur ({detail}) : les deux conteneurs sont-ils sur le même réseau défini par l'utilisateur ?",
      refused: 'connexion refusée par {url} : le nom se résout, mais rien n’écoute sur ce port',
      refusedBecause: 'connexion refusée par {url} : dans le conteneur « {name} », {why}',
      timeout: 'pas de réponse de {url} à temps ({detail})',
      unreachable: '{url} est injoignable depuis le conteneur ({detail})',
      other: 'pas de réponse HTTP de {url} : {detail}',
      notRunning: "le conteneur n'est pas en marche (état « {status} ») : rien ne peut être envoyé depuis l'intérieur\n{logs}",
    },
  },
  async evaluate(check, ctx, say) {
    const status = check.expect?.status ?? 200;
    const text = check.expect?.bodyContains;
    const expected = say('expected', { status, contains: text ? say('contains', { text }) : '' });
    const container = await targetContainer(check, ctx, expected);
    if (isObservation(container)) return container;
    const good = (a: InsideHttpAnswer) => a.outcome === 'answered' && a.status === status && (text === undefined || a.body.includes(text));
    // Stop waiting when the answer cannot change: the container stopped, or the probe cannot run.
    const final = (a: InsideHttpAnswer) => good(a) || a.outcome === 'not-running' || a.outcome === 'probe-failed';
    // When the URL names a container (`http://api/`) and it refuses, its sockets can tell at once that
    // waiting will not help: it listens on another port, or on 127.0.0.1 only.
    const peer = await peerOf(check.url, ctx);
    const watch = peer ? hopelessWatch(ctx, peer.container, peer.port) : null;
    const refusedForGood = async (a: InsideHttpAnswer) => watch !== null && a.outcome === 'no-connection' && a.failure === 'refused' && (await watch.hopeless()) && watch.why() !== null;
    const { value: answer } = await pollUntil(() => ctx.httpFrom(container, { url: check.url, timeoutMs: 4000 }), final, (check.withinSeconds ?? 10) * 1000, { firstDelayMs: 500, maxDelayMs: 2000, signal: ctx.signal, stop: refusedForGood });
    switch (answer.outcome) {
      case 'probe-failed':
        return probeFailed(answer.detail);
      case 'not-running':
        return { passed: false, expected, observed: say('notRunning', { status: answer.status, logs: describeLog(await container.logs(), ctx.lang) }) };
      case 'name-not-found':
        return { passed: false, expected, observed: say('nameNotFound', { url: check.url, detail: answer.detail }) };
      case 'no-connection': {
        const why = answer.failure === 'refused' ? watch?.why() : null;
        if (why && peer) return { passed: false, expected, observed: say('refusedBecause', { url: check.url, name: peer.name, why }) };
        return { passed: false, expected, observed: say(answer.failure, { url: check.url, detail: answer.detail }) };
      }
      case 'answered':
        return { passed: good(answer), expected, observed: say('answered', { status: answer.status, body: truncate(answer.body.replace(/\s+/g, ' '), 200) || '∅' }) };
    }
  },
});

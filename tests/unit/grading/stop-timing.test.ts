import { describe, expect, it } from '@jest/globals';
import { isoToNs } from '../../../grader/src/engine/clock.js';

describe('engine timestamps (FinishedAt, events) as nanoseconds', () => {
  it('keeps every digit of the fraction the engine gives', () => {
    expect(isoToNs('2026-12-07T23:01:02.123456789Z')).toBe(BigInt(Date.parse('2026-12-07T23:01:02Z')) * 1_000_000n + 123_456_789n);
    expect(isoToNs('2026-12-07T23:01:02.5Z')).toBe(BigInt(Date.parse('2026-12-07T23:01:02Z')) * 1_000_000n + 500_000_000n);
  });
  it('reads a timestamp without a fraction, or with a zone offset', () => {
    expect(isoToNs('2026-12-07T23:01:02Z')).toBe(BigInt(Date.parse('2026-12-07T23:01:02Z')) * 1_000_000n);
    expect(isoToNs('2026-12-08T00:01:02.000000001+01:00')).toBe(BigInt(Date.parse('2026-12-07T23:01:02Z')) * 1_000_000n + 1n);
  });
  it('gives null for what is not one (the caller then times docker stop on its own clock)', () => {
    expect(isoToNs('')).toBeNull();
    expect(isoToNs('yesterday')).toBeNull();
    expect(isoToNs('2026-13-45T99:00:00Z')).toBeNull();
  });
});

import { invocationDir } from '../../grader/src/lib/invocation-dir.js';

describe('invocationDir: where relative paths are resolved', () => {
  it('under `npm run grade` (the process stands in the package folder): the folder the user typed in', () => {
    expect(invocationDir({ INIT_CWD: '/home/s/course/labs', npm_package_json: '/home/s/course/package.json' }, '/home/s/course')).toBe('/home/s/course/labs');
  });
  it('started directly from another folder below an outer npm script (CI, a test, a teacher\'s script): its own folder, not the outer npm\'s', () => {
    expect(invocationDir({ INIT_CWD: '/check/work/main', npm_package_json: '/check/work/main/package.json' }, '/tmp/dlt-labtester-1')).toBe('/tmp/dlt-labtester-1');
  });
  it('without npm at all: its own folder', () => {
    expect(invocationDir({}, '/tmp/x')).toBe('/tmp/x');
    expect(invocationDir({ INIT_CWD: '/elsewhere' }, '/tmp/x')).toBe('/tmp/x');
  });
});

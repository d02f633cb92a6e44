import { imagesThatCouldNotBePulled } from '../../grader/src/workloads/script.js';

describe('images a script could not get', () => {
  it('names an image no registry could serve, and an image that does not exist', () => {
    const offline = "Unable to find image 'httpd:2.4' locally\ndocker: Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: no such host.\nSee 'docker run --help'.\n";
    expect(imagesThatCouldNotBePulled(offline)).toEqual(['httpd:2.4']);
    const missing = "Unable to find image 'ngnix:latest' locally\ndocker: Error response from daemon: pull access denied for ngnix, repository does not exist or may require 'docker login'.\n";
    expect(imagesThatCouldNotBePulled(missing)).toEqual(['ngnix:latest', 'ngnix']);
  });
  it('says nothing when the pull worked', () => {
    expect(imagesThatCouldNotBePulled("Unable to find image 'nginx:1.27' locally\n1.27: Pulling from library/nginx\nStatus: Downloaded newer image for nginx:1.27\nabc123\n")).toEqual([]);
  });
});

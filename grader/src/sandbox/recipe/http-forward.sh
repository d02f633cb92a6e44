#!/bin/bash
# dockerlab-http-forward: one connection of the grader's HTTP forwarder (socat
# runs it as nobody). The grader sends the port on the first line; the answer's
# first line says whether 127.0.0.1:PORT in the sandbox's network namespace
# accepted the connection ("ok") or not ("refused"), then bytes are relayed.
IFS= read -r -t 5 port || exit 1
case "$port" in ''|*[!0-9]*) exit 1 ;; esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || exit 1
if ! { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
  printf 'refused\n'
  exit 0
fi
printf 'ok\n'
# -t 0.2: once the server has closed (an answer without Content-Length ends that
# way), exit at once, so that the grader sees the end of the answer: stdin and
# stdout are one socket, and closing stdout alone would not end it for the reader.
exec socat -t 0.2 STDIO FD:3
